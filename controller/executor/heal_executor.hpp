// The shell that carries out heal plans (DESIGN.md "Acting safely"): re-read the cluster,
// check the interlocks, run one action, verify it. Used by `redis-warden heal` and by the
// daemon in `heal.mode: heal`. Rate limit and grace are the caller's (they need memory
// across polls); everything that must hold at the moment of acting is checked here.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "controller/core/planner/heal_plan.hpp"
#include "controller/core/report/report.hpp"
#include "controller/core/result.hpp"
#include "probes/poll.hpp"

namespace warden::executor {

struct heal_target {
    probes::poll_request request;  // seeds, credentials, per-node timeout
    analysis_policy analysis;
    heal_policy planning;
    std::vector<std::string> spares;                          // heal.spares addresses
    std::chrono::milliseconds verify_timeout{30000};          // the move must show link up by then
    bool takeover = false;                                    // heal.takeover
    std::optional<std::chrono::milliseconds> takeover_after;  // unset: 3 x cluster-node-timeout
    bool fast_sync = true;  // heal.fast_sync (controller/executor/fast_sync.hpp)
    std::string state_dir;  // where the fast-sync ledger lives
};

// One fresh look at the cluster: the report, the spares as found, the plan it gives.
struct cluster_reading {
    check_report report;
    std::vector<spare_node> spares;
    heal_plan plan;
};

// The one translation of a cluster's heal settings, for the CLI and the daemon alike.
heal_target heal_target_for(probes::poll_request request, analysis_policy analysis,
                            const config::heal_settings& heal);

cluster_reading read_cluster(const heal_target& target);
// The plan for a report already in hand (the daemon's poll): probes the spares, plans.
cluster_reading plan_for(check_report report, const heal_target& target);

enum class action_outcome { success, failed, skipped };
const char* to_string(action_outcome outcome);

struct action_result {
    action_outcome outcome = action_outcome::skipped;
    std::string detail;  // why skipped/failed, or how long verification took
};

// Asked now and then during long waits; returning true abandons the action (as failed,
// "interrupted"), so a stopping daemon never waits out a verification.
using stop_requested = std::function<bool()>;

// Receives a line as each step starts ("CLUSTER REPLICATE sent to ..."), so the caller can
// log every action before and after it happens.
using progress_log = std::function<void(const std::string&)>;

// Asked right before each command that changes the cluster, after the fresh read: the
// coordination lease (DESIGN.md "Acting safely"). A failure means "skip the action".
using fence_check = std::function<result<void>()>;

// Re-reads the cluster and runs `action` only if the interlocks hold, a fresh plan still
// makes the same move and the fence (when given) passes. Never throws for Redis or network
// trouble.
action_result execute_action(const heal_action& action, const heal_target& target,
                             const stop_requested& should_stop, const progress_log& note,
                             const fence_check& fence = {});

// One command that changes the cluster, on a connection of its own with the target's
// credentials; an error reply is an error (`denied`, naming the ACL rule, when the user may
// not run it; else `reply`). `what` names it in the message ("CLUSTER FORGET").
result<void> send_command(const std::string& address, const std::vector<std::string>& arguments,
                          const std::string& what, const heal_target& target);

// CLUSTER REPLICATE `master_id` on `node_address`, then waits (target.verify_timeout) until
// the node's own view shows it a replica of that master with master_link_status:up. The
// middle of a heal move; add-node and remove-node place replicas with it too.
result<void> replicate_verified(const std::string& node_address, const std::string& master_id,
                                const std::string& master_address, const heal_target& target,
                                const stop_requested& should_stop = {});

}  // namespace warden::executor
