// `redis-warden failover`: planned failovers. `--master NODE [--to NODE]` hands one master's
// slots to its best healthy replica (CLUSTER FAILOVER, never FORCE or TAKEOVER) and waits,
// bounded by --timeout, until every view names the replica master of the slots and the old
// master replicates it with its link up. `--host HOST` drains a host: every master on it,
// one at a time, verified between steps. Exit 0 done, 1 failed or refused (the message
// says where it stopped and what the cluster looks like), 2 usage.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "controller/cli/acting_command.hpp"
#include "controller/core/planner/failover_plan.hpp"

namespace warden::cli {

struct failover_options : acting_options {
    std::optional<std::string> master;
    std::optional<std::string> to;
    std::optional<std::string> host;
    int step_timeout_ms = 60000;  // --timeout: each failover, from CLUSTER FAILOVER to verified
};

void add_failover_command(CLI::App& app, failover_options& options);
// One planned failover (CLUSTER FAILOVER on the step's replica), then polls until every
// view agrees it is done (failover_pending), bounded. Also the first half of restarting a
// master (restart_command).
result<void> run_planned_failover(const cluster_target& target, const failover_step& step,
                                  std::chrono::milliseconds bound);
int run_failover(const failover_options& options);

}  // namespace warden::cli
