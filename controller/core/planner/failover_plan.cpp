#include "controller/core/planner/failover_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "controller/core/health/checks.hpp"
#include "controller/core/health/finding_codes.hpp"
#include "controller/core/planner/rebalance_plan.hpp"

namespace warden {
namespace {

std::vector<const cluster_node*> healthy_replicas(const cluster_node& master,
                                                  const topology& cluster) {
    std::vector<const cluster_node*> found;
    for (const auto& id : master.replica_ids) {
        const auto* replica = cluster.find(id);
        if (replica && detail::is_healthy_replica(*replica, master, cluster) &&
            replica->master_link_up.value_or(false)) {
            found.push_back(replica);
        }
    }
    return found;
}

// Another failure domain first, then the most replicated data, then a stable order.
const cluster_node* best_of(std::vector<const cluster_node*> candidates,
                            const cluster_node& master) {
    if (candidates.empty()) return nullptr;
    auto rank = [&master](const cluster_node* replica) {
        return std::make_tuple(replica->failure_domain == master.failure_domain,
                               -replica->replication_offset.value_or(0), replica->address);
    };
    return *std::min_element(candidates.begin(), candidates.end(),
                             [&](const auto* a, const auto* b) { return rank(a) < rank(b); });
}

failover_step step_of(const cluster_node& master, const cluster_node& replica) {
    return {master.id,       master.address,    replica.id,
            replica.address, master.slot_total, replica.failure_domain == master.failure_domain};
}

std::string replica_states(const cluster_node& master, const topology& cluster) {
    if (master.replica_ids.empty()) return "it has no replica";
    std::vector<std::string> states;
    for (const auto& id : master.replica_ids) {
        if (const auto* replica = cluster.find(id)) {
            states.push_back(detail::describe_replica_state(*replica, cluster));
        }
    }
    return fmt::format("replicas: {}", fmt::join(states, ", "));
}

}  // namespace

std::string failover_refusal(const topology& cluster, const assessment& health) {
    if (health.quorum.margin < 1) {
        return fmt::format(
            "quorum margin is {} ({} of {} voting masters healthy, {} needed): "
            "restore the down masters first",
            health.quorum.margin, health.quorum.healthy_voting_masters,
            health.quorum.voting_masters, health.quorum.needed);
    }
    if (!cluster.open_slots.empty()) {
        return fmt::format(
            "{} slot(s) are open (migrating or importing): finish them first "
            "(redis-warden rebalance finishes them)",
            cluster.open_slots.size());
    }
    for (const auto& node : cluster.nodes) {
        if (node.role == node_role::master && node.serves_slots() && is_down(node, cluster)) {
            return fmt::format(
                "master {} serves slots and is down: a planned failover needs "
                "every master up (redis-warden heal covers a dead one)",
                node.address);
        }
    }
    for (const auto& item : health.findings) {
        if (item.code == finding_code::views_disagree) {
            return "the nodes' views disagree: " + item.message;
        }
    }
    return "";
}

result<failover_plan> plan_master_failover(const topology& cluster, std::string_view master,
                                           std::optional<std::string_view> to) {
    auto master_id = resolve_node(cluster, master);
    if (!master_id) return master_id.failure();
    const auto* old_master = cluster.find(*master_id);
    if (old_master == nullptr || old_master->role != node_role::master) {
        return error{fmt::format("{} is not a master", master), error_kind::usage};
    }
    auto candidates = healthy_replicas(*old_master, cluster);
    if (to) {
        auto replica_id = resolve_node(cluster, *to);
        if (!replica_id) return replica_id.failure();
        auto chosen = std::find_if(candidates.begin(), candidates.end(),
                                   [&](const auto* replica) { return replica->id == *replica_id; });
        if (chosen == candidates.end()) {
            return error{fmt::format("--to {} is not a healthy replica of {} ({})", *to,
                                     old_master->address, replica_states(*old_master, cluster))};
        }
        return failover_plan{{step_of(*old_master, **chosen)}};
    }
    const auto* best = best_of(candidates, *old_master);
    if (best == nullptr) {
        return error{fmt::format("master {} has no healthy replica to hand over to ({})",
                                 old_master->address, replica_states(*old_master, cluster))};
    }
    return failover_plan{{step_of(*old_master, *best)}};
}

result<failover_plan> plan_host_drain(const topology& cluster, std::string_view host) {
    failover_plan plan;
    bool known = false;
    for (const auto& node : cluster.nodes) {
        known = known || node_on_host(node, host);
        if (node.role != node_role::master || !node.serves_slots() || !node_on_host(node, host)) {
            continue;
        }
        std::vector<const cluster_node*> elsewhere;
        for (const auto* replica : healthy_replicas(node, cluster)) {
            if (!node_on_host(*replica, host)) elsewhere.push_back(replica);
        }
        const auto* best = best_of(elsewhere, node);
        if (best == nullptr) {
            return error{
                fmt::format("master {} has no healthy replica on another host ({}): "
                            "draining {} would leave its slots on it",
                            node.address, replica_states(node, cluster), host)};
        }
        plan.steps.push_back(step_of(node, *best));
    }
    if (!known) {
        return error{fmt::format("no node of the cluster is on host '{}'", host),
                     error_kind::usage};
    }
    return plan;
}

bool node_on_host(const cluster_node& node, std::string_view host) {
    return node.host == host || (node.hostname && *node.hostname == host);
}

std::string describe_failover_plan(const failover_plan& plan) {
    std::string text;
    for (const auto& step : plan.steps) {
        text += fmt::format("  CLUSTER FAILOVER on {} ({}): takes over {} slot(s) from {} ({}){}\n",
                            step.replica_address, step.replica_id.substr(0, 8), step.slots,
                            step.master_address, step.master_id.substr(0, 8),
                            step.same_domain ? " [same failure domain: no replica elsewhere]" : "");
    }
    return text;
}

std::string failover_pending(const topology& cluster, const failover_step& step,
                             int expected_slots) {
    const auto* replica = cluster.find(step.replica_id);
    const auto* old_master = cluster.find(step.master_id);
    if (replica == nullptr || old_master == nullptr) return "a node of the step is not seen";
    if (replica->role != node_role::master || replica->slot_total != expected_slots) {
        return fmt::format("{} is not yet master of the {} slot(s)", step.replica_address,
                           expected_slots);
    }
    if (!cluster.disagreements.empty()) return "the views do not agree yet";
    if (old_master->role != node_role::replica || old_master->master_id != step.replica_id) {
        return fmt::format("{} does not replicate {} yet", step.master_address,
                           step.replica_address);
    }
    if (!old_master->master_link_up.value_or(false)) {
        return fmt::format("{}'s link to {} is not up yet", step.master_address,
                           step.replica_address);
    }
    return "";
}

}  // namespace warden
