// Scaling out and in (`redis-warden add-node`, `remove-node`; issue "Scale out and in"):
// which nodes may join or leave, where a new replica goes, what moves before a master
// leaves, and the refusals, as values. Pure: decided from one merged topology, what the
// shell read from the new nodes, and the options.
//
// add-node: each new node must answer with the cluster's credentials, be cluster-enabled,
// know only itself, serve no slots and hold no keys. New masters first (with --rebalance
// they then get their share through the rebalance planner); new replicas go where the heal
// planner's rules say (place_replicas) unless --master names the master.
// remove-node: a master serving slots leaves only with --drain (its slots go to the other
// masters, by weight, through the rebalance planner); its replicas are re-pointed first
// (place_replicas); a replica that is its master's last healthy one leaves only with
// --force; a node that is down (flagged fail, or not answering) is only forgotten.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "controller/core/compat/server_version.hpp"
#include "controller/core/planner/heal_plan.hpp"
#include "controller/core/planner/rebalance_plan.hpp"
#include "controller/core/result.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {

enum class node_refusal_reason {
    unreachable,           // the new node does not answer
    credentials_rejected,  // it does not accept the cluster's credentials
    cluster_disabled,      // cluster-enabled no
    already_member,        // it is a member of this cluster already
    other_cluster,         // it knows other nodes: it belongs to another cluster
    serves_slots,          // a new node with slots, or a master leaving without --drain
    holds_keys,            // a new node with keys
    keys_unknown,          // a new node whose DBSIZE cannot be read: it may hold keys
    is_replica,            // a new node replicating something
    last_healthy_replica,  // a replica leaving would leave its master without one (--force)
    down_with_slots,       // a dead master still serving slots: its failover comes first
    no_master_left,        // nothing left to take the slots or the replicas
};
const char* to_string(node_refusal_reason reason);  // "credentials_rejected", ...

// Why one node may not join or leave; `override_flag` is the flag that allows it anyway
// ("--drain", "--force"), empty when none does.
struct node_refusal {
    std::string node;  // its address
    node_refusal_reason reason = node_refusal_reason::unreachable;
    std::string detail;
    std::string override_flag;
    friend bool operator==(const node_refusal&, const node_refusal&) = default;
};
// "127.0.0.1:7000: serves 5461 slot(s) (give --drain to move them to the other masters)"
std::string describe_refusal(const node_refusal& refusal);

// ---- add-node -------------------------------------------------------------------------

// What the shell read from a new node with the cluster's credentials.
struct newcomer_reading {
    std::string address;
    std::optional<error> connect_error;  // connect/AUTH failed (kind auth: credentials)
    std::string cluster_nodes;           // its CLUSTER NODES reply text
    std::string cluster_nodes_error;     // the error reply instead ("cluster support disabled")
    std::int64_t keys = 0;               // DBSIZE
    std::string keys_error;              // why DBSIZE gave no count (an error reply, ...)
    std::string info_server;             // INFO server
};

struct newcomer {
    spare_node node;  // id, address, failure domain
    std::optional<server_version> version;
};

// A new node fit to join, or why not.
std::variant<newcomer, node_refusal> judge_newcomer(const newcomer_reading& reading,
                                                    const topology& cluster,
                                                    const failure_domain_policy& domains);

struct join_options {
    bool as_master = false;                // --role master: the default role
    std::map<std::string, bool> roles;     // NEW=master|replica: address -> as master
    std::optional<std::string> master_id;  // --master, resolved
    bool rebalance = false;                // --rebalance: the new masters get their share
};

struct add_node_step {
    std::string id;
    std::string address;
    std::string domain;
    bool as_master = false;
    std::string master_id;  // replicas: the master it will replicate
    std::string master_address;
    std::string reason;  // replicas: why that master
    friend bool operator==(const add_node_step&, const add_node_step&) = default;
};

struct add_node_plan {
    std::vector<add_node_step> steps;    // masters first, then replicas
    std::vector<std::string> warnings;   // another major version than the cluster's
    std::vector<node_refusal> refusals;  // new replicas no master can take
    bool rebalance = false;
    // New masters get their share before the new replicas are placed, and the replicas'
    // masters are planned again then (replan_replicas): a new master may need them most.
    bool replicas_after_share = false;
};

// `cluster_version`: the cluster's (its first master's), when read.
add_node_plan plan_add_nodes(const topology& cluster, const std::vector<newcomer>& joining,
                             const join_options& options, const heal_policy& policy,
                             const std::optional<server_version>& cluster_version);

// The plan's replicas placed again by the heal planner's rules on `cluster` as it is now
// (the new nodes joined, the new masters serving their share). Not for --master's.
std::vector<add_node_step> replan_replicas(const topology& cluster, const add_node_plan& plan,
                                           const heal_policy& policy);

// With --rebalance: every master serving slots and the new masters share the slots evenly.
result<rebalance_plan> plan_newcomer_share(const topology& cluster,
                                           const std::vector<std::string>& new_master_ids);

// The plan's new masters (ids), in its order.
std::vector<std::string> new_master_ids(const add_node_plan& plan);

// The cluster as it would be once the plan's new masters joined, empty: what --dry-run plans
// their share on (the run plans again once they have joined: the cluster may have moved).
topology with_new_masters(const topology& cluster, const add_node_plan& plan);

// Empty when every reachable view lists every new node and none is in handshake with it
// (`views`: each reachable node's CLUSTER NODES), else what is still missing.
std::string joined_pending(const std::vector<std::string>& views,
                           const std::vector<add_node_step>& steps);

std::string describe_add_plan(const add_node_plan& plan);

// ---- remove-node ----------------------------------------------------------------------

struct leaving_node {
    std::string id;
    std::string address;
    node_role role = node_role::unknown;
    bool down = false;   // flagged fail, or not answering: only forgotten
    bool ghost = false;  // ":0@0": an address no node ever learnt
    int slots = 0;
    friend bool operator==(const leaving_node&, const leaving_node&) = default;
};

struct leave_options {
    bool drain = false;
    bool force = false;
};

struct remove_node_plan {
    std::vector<leaving_node> nodes;
    std::optional<rebalance_plan> drain;  // the slots of the masters that leave
    std::vector<heal_action> repoints;    // replicas of leaving masters, to their new master
    std::vector<node_refusal> refusals;   // none: the plan may run
};

// `ids`: the nodes named (resolved ids). Refusals rather than errors for every node that
// may not leave, so one run names them all.
remove_node_plan plan_remove_nodes(const topology& cluster, const std::vector<std::string>& ids,
                                   const leave_options& options, const heal_policy& policy);

// --failed: every node flagged fail and every ":0@0" ghost.
std::vector<std::string> failed_node_ids(const topology& cluster);

std::string describe_remove_plan(const remove_node_plan& plan, const topology& cluster);

}  // namespace warden
