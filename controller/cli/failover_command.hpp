// `redis-warden failover`: planned failovers. `--master NODE [--to NODE]` hands one master's
// slots to its best healthy replica (CLUSTER FAILOVER, never FORCE or TAKEOVER) and waits,
// bounded by --timeout, until every view names the replica master of the slots and the old
// master replicates it with its link up. `--host HOST` drains a host: every master on it,
// one at a time, verified between steps. Exit 0 done, 1 failed or refused (the message
// says where it stopped and what the cluster looks like), 2 usage.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "controller/cli/acting_command.hpp"

namespace warden::cli {

struct failover_options : acting_options {
    std::optional<std::string> master;
    std::optional<std::string> to;
    std::optional<std::string> host;
    int step_timeout_ms = 60000;  // --timeout: each failover, from CLUSTER FAILOVER to verified
};

void add_failover_command(CLI::App& app, failover_options& options);
int run_failover(const failover_options& options);

}  // namespace warden::cli
