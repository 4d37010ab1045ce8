// remove-node's half of node_change_plan.hpp: who may leave, what moves first, and the
// refusals' words (shared with add-node).
#include <fmt/format.h>

#include <algorithm>

#include "controller/core/health/checks.hpp"
#include "controller/core/parse/endpoint.hpp"
#include "controller/core/planner/node_change_plan.hpp"

namespace warden {
namespace {

bool listed(const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// A ":0@0" entry: a node some view heard of but never reached (a MEET to a dead address).
bool is_ghost(const cluster_node& node) {
    auto parsed = parse_endpoint(node.address);
    return !parsed || parsed->port == 0 ||
           std::find(node.flags.begin(), node.flags.end(), "noaddr") != node.flags.end();
}

leaving_node leaving_of(const cluster_node& node, const topology& cluster) {
    return {node.id,        node.address,   node.role, is_down(node, cluster),
            is_ghost(node), node.slot_total};
}

// The healthy replicas `master` keeps once every node in `ids` has left.
int healthy_left(const cluster_node& master, const topology& cluster,
                 const std::vector<std::string>& ids) {
    int left = 0;
    for (const auto& id : master.replica_ids) {
        const auto* replica = cluster.find(id);
        if (replica != nullptr && !listed(ids, id) &&
            detail::is_healthy_replica(*replica, master, cluster)) {
            ++left;
        }
    }
    return left;
}

// Refuses `node` leaving as it stands, if it may not (draining is the caller's).
std::optional<node_refusal> refusal_for(const cluster_node& node, const topology& cluster,
                                        const std::vector<std::string>& ids,
                                        const leave_options& options) {
    bool down = is_down(node, cluster);
    if (node.role == node_role::master && node.serves_slots()) {
        if (down) {
            return node_refusal{node.address, node_refusal_reason::down_with_slots,
                                fmt::format("is down and still serves {} slot(s): its replica "
                                            "must take over first (heal, or the cluster's own "
                                            "failover)",
                                            node.slot_total),
                                ""};
        }
        if (!options.drain) {
            return node_refusal{node.address, node_refusal_reason::serves_slots,
                                fmt::format("serves {} slot(s)", node.slot_total), "--drain"};
        }
        return std::nullopt;
    }
    if (node.role != node_role::replica || down || !node.master_id || options.force) {
        return std::nullopt;
    }
    const auto* master = cluster.find(*node.master_id);
    if (master == nullptr || !master->serves_slots() || listed(ids, master->id))
        return std::nullopt;
    if (!detail::is_healthy_replica(node, *master, cluster)) return std::nullopt;
    if (healthy_left(*master, cluster, ids) > 0) return std::nullopt;
    return node_refusal{node.address, node_refusal_reason::last_healthy_replica,
                        fmt::format("is the last healthy replica of {} (its slots would have no "
                                    "failover)",
                                    master->address),
                        "--force"};
}

// The slots of the masters that leave, to the others by weight (the rebalance planner).
void plan_drain(remove_node_plan& plan, const topology& cluster,
                const std::vector<const cluster_node*>& drained) {
    if (drained.empty()) return;
    rebalance_policy policy;
    for (const auto* node : drained) policy.weights[node->id] = 0.0;
    auto moves = plan_rebalance(cluster, policy);
    if (moves) {
        plan.drain = std::move(*moves);
        return;
    }
    for (const auto* node : drained) {
        plan.refusals.push_back({node->address, node_refusal_reason::no_master_left,
                                 "its slots have nowhere to go: " + moves.failure().message, ""});
    }
}

// The live replicas of the masters that leave, to the masters that need them most.
void plan_repoints(remove_node_plan& plan, const topology& cluster,
                   const std::vector<std::string>& ids, const heal_policy& policy) {
    std::vector<spare_node> joiners;
    for (const auto& id : ids) {
        const auto* master = cluster.find(id);
        if (master == nullptr || master->role != node_role::master) continue;
        for (const auto& replica_id : master->replica_ids) {
            const auto* replica = cluster.find(replica_id);
            if (replica == nullptr || listed(ids, replica_id) || is_down(*replica, cluster)) {
                continue;
            }
            spare_node joiner;
            joiner.id = replica->id;
            joiner.address = replica->address;
            joiner.failure_domain = replica->failure_domain;
            joiner.eligible = true;
            joiners.push_back(std::move(joiner));
        }
    }
    plan.repoints = place_replicas(cluster, policy, joiners, ids);
    for (const auto& joiner : joiners) {
        bool placed =
            std::any_of(plan.repoints.begin(), plan.repoints.end(),
                        [&](const heal_action& action) { return action.node_id == joiner.id; });
        if (!placed) {
            plan.refusals.push_back({joiner.address, node_refusal_reason::no_master_left,
                                     "its master leaves and no master serving slots stays to "
                                     "take it",
                                     ""});
        }
    }
}

}  // namespace

const char* to_string(node_refusal_reason reason) {
    switch (reason) {
        case node_refusal_reason::unreachable:
            return "unreachable";
        case node_refusal_reason::credentials_rejected:
            return "credentials_rejected";
        case node_refusal_reason::cluster_disabled:
            return "cluster_disabled";
        case node_refusal_reason::already_member:
            return "already_member";
        case node_refusal_reason::other_cluster:
            return "other_cluster";
        case node_refusal_reason::serves_slots:
            return "serves_slots";
        case node_refusal_reason::holds_keys:
            return "holds_keys";
        case node_refusal_reason::keys_unknown:
            return "keys_unknown";
        case node_refusal_reason::is_replica:
            return "is_replica";
        case node_refusal_reason::last_healthy_replica:
            return "last_healthy_replica";
        case node_refusal_reason::down_with_slots:
            return "down_with_slots";
        case node_refusal_reason::no_master_left:
            return "no_master_left";
    }
    return "unknown";
}

std::string describe_refusal(const node_refusal& refusal) {
    auto text = fmt::format("{}: {}", refusal.node, refusal.detail);
    if (!refusal.override_flag.empty()) {
        text +=
            fmt::format(" (give {} to {})", refusal.override_flag,
                        refusal.override_flag == "--drain" ? "move them to the other masters first"
                                                           : "remove it all the same");
    }
    return text;
}

remove_node_plan plan_remove_nodes(const topology& cluster, const std::vector<std::string>& ids,
                                   const leave_options& options, const heal_policy& policy) {
    remove_node_plan plan;
    std::vector<const cluster_node*> drained;
    for (const auto& id : ids) {
        const auto* node = cluster.find(id);
        if (node == nullptr) continue;  // the shell resolves names against this topology
        plan.nodes.push_back(leaving_of(*node, cluster));
        if (auto refused = refusal_for(*node, cluster, ids, options)) {
            plan.refusals.push_back(std::move(*refused));
        } else if (node->role == node_role::master && node->serves_slots()) {
            drained.push_back(node);
        }
    }
    plan_drain(plan, cluster, drained);
    plan_repoints(plan, cluster, ids, policy);
    return plan;
}

std::vector<std::string> failed_node_ids(const topology& cluster) {
    std::vector<std::string> ids;
    for (const auto& node : cluster.nodes) {
        if (node.id.empty() || node.observed) continue;
        if (node.views_fail > 0 || is_ghost(node)) ids.push_back(node.id);
    }
    return ids;
}

std::string describe_remove_plan(const remove_node_plan& plan, const topology& cluster) {
    std::string text;
    for (const auto& node : plan.nodes) {
        std::string what = node.ghost       ? "a ghost entry: only forgotten"
                           : node.down      ? "down: only forgotten"
                           : node.slots > 0 ? fmt::format("{} slot(s), drained first", node.slots)
                                            : "forgotten everywhere, then CLUSTER RESET SOFT";
        text += fmt::format("  remove {} {} ({}): {}\n", to_string(node.role), node.address,
                            node.id.substr(0, 8), what);
    }
    if (plan.drain) text += describe_rebalance(*plan.drain, cluster);
    for (const auto& action : plan.repoints) {
        text += fmt::format("  re-point {} -> replica of {}: {}\n", action.node_address,
                            action.master_address, action.reason);
    }
    return text;
}

}  // namespace warden
