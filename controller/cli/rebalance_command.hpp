// `redis-warden rebalance`: weighted slot moves (or --move SLOTS --to NODE), faster than
// redis-cli (pipelined bookkeeping, parallel source -> target pairs), safe to interrupt:
// slots a killed run left open are finished first. Exit 0 success, 1 failure or refused
// (unhealthy cluster), 2 usage.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "controller/cli/acting_command.hpp"
#include "controller/core/planner/rebalance_plan.hpp"
#include "controller/daemon/maintenance_store.hpp"

namespace warden::cli {

struct rebalance_options : acting_options {
    std::vector<std::string> weights;  // NODE=W
    double threshold = 2.0;
    bool use_empty_masters = false;
    int pipeline = 100;
    int parallel = 0;  // 0: one per source -> target pair, at most 8
    std::optional<std::string> move_slots;
    std::string to;
    std::string from;
    bool replace = false;
    std::string move_method = "auto";  // auto | migrate | client
    int settle_timeout_ms = 30000;
};

void add_rebalance_command(CLI::App& app, rebalance_options& options);

// Rebalance's engine for the commands that move slots on the way (add-node --rebalance,
// remove-node --drain): fills each move's method and key count (the plan table shows them),
// or says why a move cannot be made.
result<void> survey_plan(const cluster_target& target, rebalance_plan& plan,
                         const rebalance_options& options);
// Runs the moves with the progress line on stderr and the "moved ..." summary on stdout;
// the error says what stopped it (Ctrl-C, or `hold` lost: the slots in flight are finished).
result<void> move_planned_slots(const cluster_target& target, const check_report& report,
                                const rebalance_plan& plan, const rebalance_options& options,
                                daemon::maintenance_hold* hold);
int run_rebalance(const rebalance_options& options);

}  // namespace warden::cli
