#include <fmt/format.h>

#include <algorithm>

#include "controller/core/health/checks.hpp"
#include "controller/core/planner/heal_plan.hpp"

namespace warden {
namespace {

// Unreachable, and every view listing it flags it fail?/fail (a line has one or the other).
bool is_dead(const cluster_node& node, const topology& cluster) {
    if (is_reachable(node, cluster) || node.views_listing == 0) return false;
    int others = node.views_listing - (node.observed ? 1 : 0);
    return others > 0 && node.views_pfail + node.views_fail >= others;
}

// Replicas losing their link long before the master died hold stale data.
constexpr std::int64_t stale_link_margin_seconds = 30;

const cluster_node* best_replica(const cluster_node& master, const topology& cluster,
                                 std::int64_t dead_seconds, std::string& why_none) {
    const cluster_node* best = nullptr;
    why_none = "it has no replica";
    for (const auto& id : master.replica_ids) {
        const auto* replica = cluster.find(id);
        if (replica == nullptr) continue;
        if (is_down(*replica, cluster)) {
            why_none = fmt::format("replica {} is down too", replica->address);
            continue;
        }
        if (replica->nofailover) {
            why_none = fmt::format("replica {} has nofailover", replica->address);
            continue;
        }
        if (replica->link_down_seconds &&
            *replica->link_down_seconds > dead_seconds + stale_link_margin_seconds) {
            why_none = fmt::format(
                "replica {} lost its link {} s ago, long before its master "
                "died: its data is stale",
                replica->address, *replica->link_down_seconds);
            continue;
        }
        auto offset = replica->replication_offset.value_or(-1);
        if (best == nullptr || offset > best->replication_offset.value_or(-1)) best = replica;
    }
    return best;
}

std::vector<const cluster_node*> dead_voters(const topology& cluster) {
    std::vector<const cluster_node*> dead;
    for (const auto& node : cluster.nodes) {
        if (node.role == node_role::master && node.serves_slots() && is_dead(node, cluster)) {
            dead.push_back(&node);
        }
    }
    // Most slots first: each takeover gives back one vote, and serves the most data.
    std::stable_sort(dead.begin(), dead.end(),
                     [](const auto* a, const auto* b) { return a->slot_total > b->slot_total; });
    return dead;
}

}  // namespace

heal_plan plan_takeover(const topology& cluster, const assessment& health, std::int64_t now_ms,
                        std::chrono::milliseconds takeover_after) {
    heal_plan plan;
    if (cluster.offline || health.quorum.margin >= 0) return plan;
    int wanted = -health.quorum.margin;
    for (const auto* master : dead_voters(cluster)) {
        if (static_cast<int>(plan.actions.size()) == wanted) break;
        heal_skip waiting{master->id, master->address, heal_goal::restore_quorum, ""};
        if (master->last_pong_ms <= 0) {
            waiting.reason = "no view says when it was last seen; not taking over blind";
            plan.unmet.push_back(std::move(waiting));
            continue;
        }
        auto dead_ms = now_ms - master->last_pong_ms;
        if (dead_ms < takeover_after.count()) {
            waiting.reason = fmt::format("dead for {:.1f} s; takeover after {:.1f} s",
                                         static_cast<double>(dead_ms) / 1000.0,
                                         static_cast<double>(takeover_after.count()) / 1000.0);
            plan.unmet.push_back(std::move(waiting));
            continue;
        }
        std::string why_none;
        const auto* replica = best_replica(*master, cluster, dead_ms / 1000, why_none);
        if (replica == nullptr) {
            waiting.reason = "no replica to promote: " + why_none;
            plan.unmet.push_back(std::move(waiting));
            continue;
        }
        heal_action action;
        action.kind = heal_action_kind::takeover;
        action.goal = heal_goal::restore_quorum;
        action.source = candidate_class::spare_replica;
        action.node_id = replica->id;
        action.node_address = replica->address;
        action.node_domain = replica->failure_domain;
        action.master_id = master->id;
        action.master_address = master->address;
        action.master_domain = master->failure_domain;
        action.reason = fmt::format(
            "master dead for {:.1f} s with {} slots; its replica with the highest replication "
            "offset ({}); quorum needs {} more healthy master(s)",
            static_cast<double>(dead_ms) / 1000.0, master->slot_total,
            replica->replication_offset ? std::to_string(*replica->replication_offset)
                                        : std::string("unknown"),
            wanted);
        plan.actions.push_back(std::move(action));
    }
    return plan;
}

std::string takeover_blocker(const topology& cluster) {
    if (cluster.offline) return "offline snapshot: nothing to act on";
    auto replaced = [&](const cluster_node& node) { return is_dead(node, cluster); };
    for (const auto& node : cluster.nodes) {
        if (node.role != node_role::master || !node.serves_slots() || replaced(node)) continue;
        if (!is_reachable(node, cluster)) {
            return fmt::format("master {} serving slots is unreachable but not agreed dead",
                               node.address);
        }
        if (flagged_failing(node)) {
            return fmt::format("master {} serving slots is flagged failing", node.address);
        }
    }
    for (const auto& disagreement : cluster.disagreements) {
        if (disagreement.kind == disagreement_kind::slot_claimed_twice) {
            return "views disagree on slot owners: " + disagreement.detail;
        }
    }
    return "";
}

}  // namespace warden
