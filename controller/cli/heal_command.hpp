// `redis-warden heal`: plan replica moves that cover orphaned masters (and, with spare
// capacity, fix targets and placement), print the plan, act only with --yes or after a
// confirmation on a terminal. Exit 0 when nothing is left to do, 1 when an action failed
// or was skipped or an orphan stays uncovered, 2 on usage errors.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "controller/cli/acting_command.hpp"

namespace warden::cli {

struct heal_options : acting_options {
    std::vector<std::string> spares;
    int verify_timeout_ms = 30000;
    bool orphans_only = false;
    bool takeover = false;
    std::optional<int> takeover_after_ms;
    std::optional<std::string> state_dir;  // overrides the config's (or the default)
    bool no_fast_sync = false;
};

void add_heal_command(CLI::App& app, heal_options& options);
int run_heal(const heal_options& options);

}  // namespace warden::cli
