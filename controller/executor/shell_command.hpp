// Runs an operator's command (`restart --exec`) with /bin/sh -c, bounded: its own process
// group, killed (SIGTERM, then SIGKILL 5 s later) when it outlives the bound. Its output
// goes to warden's stdout and stderr, so the operator sees what it said.
#pragma once

#include <chrono>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "controller/core/result.hpp"

namespace warden::executor {

struct shell_outcome {
    int exit_code = 0;  // the command's exit status (128 + N when killed by signal N)
    bool timed_out = false;
    bool stopped = false;  // `stop` was requested: killed before it ended on its own
};

// `environment` is added to warden's own. Fails only when the command cannot be started.
result<shell_outcome> run_shell(const std::string& command,
                                const std::map<std::string, std::string>& environment,
                                std::chrono::milliseconds bound);

// The program argv[0] (a path; no shell, no $PATH) with arguments argv[1..], bounded like
// run_shell; a stop request kills it (its process group) at once. The notification hooks.
result<shell_outcome> run_program(const std::vector<std::string>& argv,
                                  const std::map<std::string, std::string>& environment,
                                  std::chrono::milliseconds bound, std::stop_token stop = {});

// COMMAND with {host}, {port} and {id} replaced (other braces stay as they are).
std::string substitute_placeholders(std::string command,
                                    const std::map<std::string, std::string>& values);

}  // namespace warden::executor
