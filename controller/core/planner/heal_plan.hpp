// The heal planner: which node should become a replica of which master, so that no master
// serving slots is left without a healthy replica (DESIGN.md "Acting safely", issue
// "Self-healing"). Pure and deterministic: the same topology gives the same plan.
//
// For each master that needs a replica, candidates in this order of preference:
//   1. a healthy replica of a master with more healthy replicas than the policy's minimum
//      (never a master's last healthy replica, nor one that would drop it below the minimum);
//   2. an empty master (no slots, no replicas), turned into a replica;
//   3. a spare node from the config (cluster-enabled, empty, not yet in the cluster).
// Within a class: a failure domain unlike the master's and its other replicas' first, then
// a donor that does not leave its own master's replicas all in one domain, then the
// least-loaded domain (fewest replicas already there), then the address.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "controller/core/health/findings.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {

enum class heal_action_kind {
    replicate,   // CLUSTER REPLICATE on a node already in the cluster
    meet_spare,  // CLUSTER MEET a spare node, then CLUSTER REPLICATE on it
    takeover,    // CLUSTER FAILOVER TAKEOVER on the best replica of a dead master
};
const char* to_string(heal_action_kind kind);  // "replicate", "meet", "takeover"

// joiner: a node add-node or remove-node places (place_replicas), never plan_heal's.
enum class candidate_class { spare_replica = 1, empty_master = 2, spare_node = 3, joiner = 4 };

enum class heal_goal {
    cover_orphan,           // the master has no healthy replica
    reach_target,           // fewer healthy replicas than min_replicas_per_master
    spread_failure_domain,  // every healthy replica shares the master's failure domain
    restore_quorum          // too few healthy voting masters are left for any failover
};
const char* to_string(heal_goal goal);  // "orphaned_master", "replicas_below_target", ...

struct heal_action {
    heal_action_kind kind = heal_action_kind::replicate;
    heal_goal goal = heal_goal::cover_orphan;
    candidate_class source = candidate_class::spare_replica;
    std::string node_id;  // the node that becomes a replica (a spare's own id)
    std::string node_address;
    std::string node_domain;
    std::string master_id;  // the master it will replicate
    std::string master_address;
    std::string master_domain;
    std::string donor_master_id;  // class 1: the master it replicates now
    std::string reason;           // one line: why this node, for logs and the plan table
    friend bool operator==(const heal_action&, const heal_action&) = default;
};

struct heal_skip {
    std::string master_id;
    std::string master_address;
    heal_goal goal = heal_goal::cover_orphan;
    std::string reason;
    friend bool operator==(const heal_skip&, const heal_skip&) = default;
};

struct heal_plan {
    std::vector<heal_action> actions;  // in the order to run them, one at a time
    std::vector<heal_skip> unmet;      // masters that need a replica and get none
    friend bool operator==(const heal_plan&, const heal_plan&) = default;
};

// What disqualifies a node from joining (assess_spare), as a value.
enum class spare_defect { none, unreadable, knows_others, serves_slots, holds_keys, is_replica };

// A node listed under heal.spares, as the shell found it.
struct spare_node {
    std::string address;
    std::string id;  // its node id, when it answered
    std::string failure_domain;
    bool eligible = false;  // cluster-enabled, knows only itself, no slots, no keys
    std::string problem;    // why not eligible
    spare_defect defect = spare_defect::none;
    friend bool operator==(const spare_node&, const spare_node&) = default;
};

struct heal_policy {
    int min_replicas_per_master = 1;
    // Also add replicas for replicas_below_target and replica_same_host when spare capacity
    // exists; orphans are always covered.
    bool fix_placement = true;
};

heal_plan plan_heal(const topology& cluster, const heal_policy& policy,
                    const std::vector<spare_node>& spares);

// add-node and remove-node: which master each of `joiners` (new nodes, or replicas whose
// master leaves) should replicate, by the same rules: the masters' needs in plan_heal's
// order (orphaned, below min_replicas_per_master, every replica on the master's host),
// each served by the best joiner (another failure domain first); a joiner left over goes to
// the master with the fewest healthy replicas, another failure domain preferred. Nodes in
// `leaving` neither count as replicas nor receive any. Actions in joiner order of choice;
// empty when no master serving slots stays.
std::vector<heal_action> place_replicas(const topology& cluster, const heal_policy& policy,
                                        const std::vector<spare_node>& joiners,
                                        const std::vector<std::string>& leaving = {});

// Why the cluster is not in a state to act on safely (DESIGN.md "Acting safely"), or
// empty: every master serving slots reachable and not flagged failing, views agree on slot
// owners, quorum not lost.
std::string acting_blocker(const topology& cluster, const assessment& health);

// Whether `action` is still what the planner would do on a fresh read of the cluster.
bool still_planned(const heal_action& action, const heal_plan& fresh);

// One line per action and unmet master, numbered, for the CLI and the log.
std::string describe_plan(const heal_plan& plan, const std::string& cluster_name);

// Quorum recovery (heal.takeover). Only when quorum is lost: for as many dead masters as it
// takes to get a majority back (most slots first), the replica to promote with CLUSTER
// FAILOVER TAKEOVER. A master is dead when warden cannot reach it and every view that lists
// it flags it fail?/fail, for at least `takeover_after` (measured from the latest pong any
// view received from it, against `now_ms`, unix milliseconds). The replica: reachable, not
// failing, no nofailover, link lost no longer than shortly before the master died, highest
// replication offset. Masters still waiting, or without a usable replica, are `unmet`.
heal_plan plan_takeover(const topology& cluster, const assessment& health, std::int64_t now_ms,
                        std::chrono::milliseconds takeover_after);

// acting_blocker for a takeover: masters agreed dead are expected to be down; every other
// master serving slots must be reachable and not failing, and no slot claimed twice.
std::string takeover_blocker(const topology& cluster);
std::string describe_action(const heal_action& action);

}  // namespace warden
