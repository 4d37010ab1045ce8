#include "controller/core/events/topology_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "controller/core/health/findings.hpp"

namespace warden {
namespace {

// Slots whose owner changed between the polls, grouped by (old owner, new owner).
struct owner_change {
    const cluster_node* from = nullptr;  // in `before`
    const cluster_node* to = nullptr;    // in `after`
    std::vector<int> slots;
};

std::vector<owner_change> owner_changes(const topology& before, const topology& after) {
    std::map<std::pair<std::string, std::string>, owner_change> by_pair;
    for (int slot = 0; slot < slot_count; ++slot) {
        auto was = before.slot_owner[static_cast<std::size_t>(slot)];
        auto now = after.slot_owner[static_cast<std::size_t>(slot)];
        if (was < 0 || now < 0) continue;  // uncovered slots are findings, not moves
        const auto& from = before.nodes[static_cast<std::size_t>(was)];
        const auto& to = after.nodes[static_cast<std::size_t>(now)];
        if (from.id.empty() || to.id.empty() || from.id == to.id) continue;
        auto& change = by_pair[{from.id, to.id}];
        change.from = &from;
        change.to = &to;
        change.slots.push_back(slot);
    }
    std::vector<owner_change> changes;
    for (auto& [key, change] : by_pair) changes.push_back(std::move(change));
    return changes;
}

bool is_failover(const owner_change& change, const topology& before, const topology& after) {
    const auto* promoted_was = before.find(change.to->id);
    if (promoted_was != nullptr && promoted_was->master_id == change.from->id) return true;
    const auto* old_now = after.find(change.from->id);
    return old_now != nullptr && old_now->master_id == change.to->id;
}

const char* failover_kind(const owner_change& change, const topology& after,
                          const poll_actions& actions) {
    const auto& taken = actions.takeover_node_ids;
    if (std::find(taken.begin(), taken.end(), change.to->id) != taken.end()) return "takeover";
    const auto* old_now = after.find(change.from->id);
    if (old_now != nullptr && old_now->role == node_role::replica &&
        old_now->master_id == change.to->id && !is_down(*old_now, after)) {
        return "manual";
    }
    return "automatic";
}

nlohmann::json node_json(const cluster_node& node) {
    return {{"id", node.id}, {"address", node.address}};
}

event failover_event(const std::string& cluster, const owner_change& change, const char* kind,
                     double now) {
    auto item = make_event(
        cluster, event_type::failover,
        std::string_view(kind) == "manual" ? event_severity::warning : event_severity::critical,
        now);
    item.nodes = {change.from->id, change.to->id};
    auto epoch = change.to->config_epoch;
    item.message =
        fmt::format("failover ({}): {} replaced master {} for {} slots ({}), config epoch {}", kind,
                    change.to->address, change.from->address, change.slots.size(),
                    describe_slots(change.slots), epoch);
    item.details = {{"kind", kind},
                    {"old_master", node_json(*change.from)},
                    {"new_master", node_json(*change.to)},
                    {"slots", describe_slots(change.slots, change.slots.size())},
                    {"slot_count", change.slots.size()},
                    {"config_epoch", epoch}};
    return item;
}

event slots_moved_event(const std::string& cluster, const owner_change& change, double now) {
    auto item = make_event(cluster, event_type::slots_moved, event_severity::info, now);
    item.nodes = {change.from->id, change.to->id};
    item.message =
        fmt::format("{} slots ({}) moved from {} to {}", change.slots.size(),
                    describe_slots(change.slots), change.from->address, change.to->address);
    item.details = {{"from", node_json(*change.from)},
                    {"to", node_json(*change.to)},
                    {"slots", describe_slots(change.slots, change.slots.size())},
                    {"slot_count", change.slots.size()}};
    return item;
}

// A master serving slots going down is what pages; anything else is a warning.
event_severity failing_severity(const cluster_node& node) {
    return node.role == node_role::master && node.serves_slots() ? event_severity::critical
                                                                 : event_severity::warning;
}

event node_event(const std::string& cluster, event_type type, event_severity level,
                 const cluster_node& node, std::string_view what, double now) {
    auto item = make_event(cluster, type, level, now);
    item.nodes = {node.id};
    item.message = fmt::format("{} {} ({}) {}", to_string(node.role), node.address,
                               node.id.substr(0, 8), what);
    item.details = {{"node", node_json(node)}, {"role", to_string(node.role)}};
    if (!node.flags.empty()) item.details["flags"] = node.flags;
    return item;
}

void add_node_events(const std::string& cluster, const topology& before, const topology& after,
                     double now, std::vector<event>& out) {
    for (const auto& node : after.nodes) {
        if (node.id.empty()) continue;
        const auto* was = before.find(node.id);
        if (was == nullptr) {
            out.push_back(node_event(cluster, event_type::node_added, event_severity::info, node,
                                     "joined the cluster", now));
        } else if (!flagged_failing(*was) && flagged_failing(node)) {
            out.push_back(node_event(cluster, event_type::node_failing, failing_severity(node),
                                     node, "is flagged failing by the cluster", now));
        } else if (flagged_failing(*was) && !flagged_failing(node)) {
            out.push_back(node_event(cluster, event_type::node_recovered, event_severity::info,
                                     node, "is no longer flagged failing", now));
        }
    }
    for (const auto& node : before.nodes) {
        if (node.id.empty() || after.find(node.id) != nullptr) continue;
        out.push_back(node_event(cluster, event_type::node_removed, event_severity::warning, node,
                                 "is no longer listed by any node", now));
    }
}

}  // namespace

topology_diff diff_topologies(const std::string& cluster, const topology& before,
                              const topology& after, const poll_actions& actions,
                              std::uint64_t announced_epoch, double now) {
    topology_diff diff;
    diff.failover_epoch = announced_epoch;
    if (before.views == 0 || after.views == 0) return diff;
    std::vector<event> moves;
    for (const auto& change : owner_changes(before, after)) {
        if (!is_failover(change, before, after)) {
            moves.push_back(slots_moved_event(cluster, change, now));
            continue;
        }
        if (change.to->config_epoch <= announced_epoch) continue;  // announced already
        diff.events.push_back(
            failover_event(cluster, change, failover_kind(change, after, actions), now));
        diff.failover_epoch = std::max(diff.failover_epoch, change.to->config_epoch);
    }
    diff.events.insert(diff.events.end(), moves.begin(), moves.end());
    add_node_events(cluster, before, after, now, diff.events);
    return diff;
}

}  // namespace warden
