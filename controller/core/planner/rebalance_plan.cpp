#include "controller/core/planner/rebalance_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "controller/core/health/findings.hpp"
#include "controller/core/parse/text_fields.hpp"

namespace warden {
namespace {

struct participant {
    const cluster_node* node;
    double weight = 1;
    int current = 0;
    int target = 0;
    bool settled = false;  // within threshold: keeps its slots
};

std::vector<int> slots_of(const topology& cluster, const std::string& id) {
    std::vector<int> owned;
    for (int slot = 0; slot < slot_count; ++slot) {
        auto owner = cluster.slot_owner[slot];
        if (owner >= 0 && cluster.nodes[owner].id == id) owned.push_back(slot);
    }
    return owned;
}

std::vector<slot_range> to_ranges(std::vector<int> slots) {
    std::sort(slots.begin(), slots.end());
    std::vector<slot_range> ranges;
    for (int slot : slots) {
        if (!ranges.empty() && ranges.back().last + 1 == slot) {
            ranges.back().last = slot;
        } else {
            ranges.push_back({slot, slot});
        }
    }
    return ranges;
}

// Largest-remainder apportionment of `total` over the unsettled participants by weight.
void apportion(std::vector<participant>& members, int total) {
    double weights = 0;
    for (const auto& member : members) {
        if (!member.settled) weights += member.weight;
    }
    int given = 0;
    std::vector<std::pair<double, std::size_t>> remainders;
    for (std::size_t i = 0; i < members.size(); ++i) {
        auto& member = members[i];
        if (member.settled) continue;
        double exact = weights > 0 ? total * member.weight / weights : 0;
        member.target = static_cast<int>(std::floor(exact));
        given += member.target;
        remainders.push_back({exact - member.target, i});
    }
    std::stable_sort(remainders.begin(), remainders.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first > b.first;
        return members[a.second].node->id < members[b.second].node->id;
    });
    for (std::size_t i = 0; given < total && i < remainders.size(); ++i, ++given) {
        ++members[remainders[i].second].target;
    }
}

void settle_within_threshold(std::vector<participant>& members, int total, double percent) {
    for (int round = 0; round < 4; ++round) {
        bool changed = false;
        for (auto& member : members) {
            if (member.settled || member.target == 0) continue;
            double off = std::abs(member.current - member.target) * 100.0 / member.target;
            if (off <= percent) {
                member.settled = true;
                member.target = member.current;
                changed = true;
            }
        }
        if (!changed) return;
        int left = total;
        for (const auto& member : members) {
            if (member.settled) left -= member.current;
        }
        apportion(members, left);
    }
}

void add_move(rebalance_plan& plan, const cluster_node& source, const cluster_node& target,
              std::vector<int> slots) {
    for (auto& move : plan.moves) {
        if (move.source_id == source.id && move.target_id == target.id) {
            for (const auto& range : move.slots) {
                for (int slot = range.first; slot <= range.last; ++slot) slots.push_back(slot);
            }
            move.slots = to_ranges(std::move(slots));
            move.slot_count = 0;
            for (const auto& range : move.slots) move.slot_count += range.last - range.first + 1;
            return;
        }
    }
    slot_move move{source.id,      source.address,   target.id,
                   target.address, to_ranges(slots), static_cast<int>(slots.size())};
    plan.moves.push_back(std::move(move));
}

void plan_moves(rebalance_plan& plan, std::vector<participant>& members, const topology& cluster) {
    std::vector<participant*> sources;
    std::vector<participant*> sinks;
    for (auto& member : members) {
        if (member.current > member.target) sources.push_back(&member);
        if (member.current < member.target) sinks.push_back(&member);
    }
    auto by_gap = [](const participant* a, const participant* b) {
        int gap_a = std::abs(a->current - a->target);
        int gap_b = std::abs(b->current - b->target);
        return gap_a != gap_b ? gap_a > gap_b : a->node->id < b->node->id;
    };
    std::sort(sources.begin(), sources.end(), by_gap);
    std::sort(sinks.begin(), sinks.end(), by_gap);
    std::size_t sink = 0;
    for (auto* source : sources) {
        auto owned = slots_of(cluster, source->node->id);
        int excess = source->current - source->target;
        while (excess > 0 && sink < sinks.size()) {
            auto* into = sinks[sink];
            int count = std::min(excess, into->target - into->current);
            // From the end of the source's slots, so both sides keep contiguous ranges.
            std::vector<int> moving(owned.end() - count, owned.end());
            owned.resize(owned.size() - count);
            add_move(plan, *source->node, *into->node, std::move(moving));
            excess -= count;
            into->current += count;
            plan.slots_moved += count;
            if (into->current == into->target) ++sink;
        }
    }
}

}  // namespace

result<std::vector<slot_range>> parse_slot_list(std::string_view text) {
    std::vector<int> slots;
    for (auto part : split(text, ',')) {
        if (part.empty()) continue;
        auto dash = part.find('-');
        auto first = parse_integer<int>(part.substr(0, dash));
        auto last =
            dash == std::string_view::npos ? first : parse_integer<int>(part.substr(dash + 1));
        if (!first || !last || *first < 0 || *last >= slot_count || *first > *last) {
            return error{fmt::format("invalid slot range '{}' (slots are 0-16383)", part)};
        }
        for (int slot = *first; slot <= *last; ++slot) slots.push_back(slot);
    }
    if (slots.empty()) return error{fmt::format("no slots in '{}'", text)};
    slots.erase(std::unique((std::sort(slots.begin(), slots.end()), slots.begin()), slots.end()),
                slots.end());
    return to_ranges(std::move(slots));
}

result<std::string> resolve_node(const topology& cluster, std::string_view name) {
    const cluster_node* match = nullptr;
    for (const auto& node : cluster.nodes) {
        if (node.id.empty()) continue;
        if (node.id == name || node.address == name) return node.id;
        if (name.size() >= 4 && node.id.starts_with(name)) {
            if (match != nullptr) return error{fmt::format("node prefix '{}' is ambiguous", name)};
            match = &node;
        }
    }
    if (match == nullptr) return error{fmt::format("no node '{}' in the cluster", name)};
    return match->id;
}

result<rebalance_plan> plan_rebalance(const topology& cluster, const rebalance_policy& policy) {
    for (const auto& [id, weight] : policy.weights) {
        const auto* node = cluster.find(id);
        if (node == nullptr || node->role != node_role::master) {
            return error{fmt::format("--weight names {}, which is not a master", id)};
        }
        if (weight < 0) return error{fmt::format("--weight for {} is negative", id)};
    }
    std::vector<participant> members;
    int total = 0;
    for (const auto& node : cluster.nodes) {
        if (node.role != node_role::master || node.id.empty() || is_down(node, cluster)) continue;
        bool weighted = policy.weights.contains(node.id);
        if (!node.serves_slots() && !policy.use_empty_masters && !weighted) continue;
        participant member{&node};
        member.weight = weighted ? policy.weights.at(node.id) : 1.0;
        member.current = node.slot_total;
        total += node.slot_total;
        members.push_back(member);
    }
    if (members.size() < 2) return error{"fewer than two masters take part: nothing to balance"};
    double weights = 0;
    for (const auto& member : members) weights += member.weight;
    if (weights <= 0) return error{"every weight is zero: the slots would have nowhere to go"};
    apportion(members, total);
    settle_within_threshold(members, total, policy.threshold_percent);
    rebalance_plan plan;
    for (const auto& member : members) plan.targets[member.node->id] = member.target;
    plan_moves(plan, members, cluster);
    return plan;
}

result<rebalance_plan> plan_manual_move(const topology& cluster, const std::string& slots,
                                        const std::string& target_id,
                                        const std::string& source_id) {
    auto ranges = parse_slot_list(slots);
    if (!ranges) return ranges.failure();
    const auto* target = cluster.find(target_id);
    if (target == nullptr || target->role != node_role::master) {
        return error{fmt::format("--to {} is not a master", target_id)};
    }
    std::map<std::string, std::vector<int>> by_owner;
    for (const auto& range : *ranges) {
        for (int slot = range.first; slot <= range.last; ++slot) {
            auto owner = cluster.slot_owner[slot];
            if (owner < 0) return error{fmt::format("slot {} has no owner to move it from", slot)};
            const auto& from = cluster.nodes[owner];
            if (!source_id.empty() && from.id != source_id) {
                return error{
                    fmt::format("slot {} is served by {}, not by --from", slot, from.address)};
            }
            if (from.id != target_id) by_owner[from.id].push_back(slot);
        }
    }
    rebalance_plan plan;
    for (auto& [owner, owned] : by_owner) {
        plan.slots_moved += static_cast<int>(owned.size());
        add_move(plan, *cluster.find(owner), *target, std::move(owned));
    }
    return plan;
}

namespace {

// One line per distinct method and reason: "keys move with client-side copies (WATCH, DUMP,
// RESTORE, MULTI/DEL; 3 move(s)): MIGRATE on Redis 3.2.13 cannot authenticate ...".
std::string describe_move_methods(const rebalance_plan& plan) {
    std::map<std::pair<move_method, std::string>, int> methods;
    for (const auto& move : plan.moves) ++methods[{move.method.method, move.method.reason}];
    std::string text;
    for (const auto& [method, moves] : methods) {
        const auto& [how, reason] = method;
        if (how == move_method::migrate && reason.empty()) continue;
        text += fmt::format("  move method: {}{} for {} move(s){}{}\n", move_method_name(how),
                            how == move_method::client
                                ? " (WATCH + DUMP + PTTL, ASKING + RESTORE, MULTI + DEL + EXEC)"
                                : "",
                            moves, reason.empty() ? "" : ": ", reason);
    }
    return text;
}

}  // namespace

std::string describe_rebalance(const rebalance_plan& plan, const topology& cluster) {
    if (plan.moves.empty()) return "rebalance plan: nothing to move\n";
    std::string text = fmt::format("rebalance plan: {} slot(s) in {} move(s)\n", plan.slots_moved,
                                   plan.moves.size());
    text += fmt::format("  {:<22} {:<22} {:>6} {:>9}  {}\n", "source", "target", "slots", "keys",
                        "ranges");
    for (const auto& move : plan.moves) {
        std::string ranges;
        for (std::size_t i = 0; i < move.slots.size() && i < 4; ++i) {
            const auto& range = move.slots[i];
            ranges += (i > 0 ? "," : "") + (range.first == range.last
                                                ? std::to_string(range.first)
                                                : fmt::format("{}-{}", range.first, range.last));
        }
        if (move.slots.size() > 4) ranges += ",...";
        text += fmt::format("  {:<22} {:<22} {:>6} {:>9}  {}\n", move.source_address,
                            move.target_address, move.slot_count,
                            move.keys ? std::to_string(*move.keys) : std::string("?"), ranges);
    }
    text += describe_move_methods(plan);
    if (!plan.targets.empty()) {
        text += "  targets:";
        for (const auto& [id, slots] : plan.targets) {
            const auto* node = cluster.find(id);
            text += fmt::format(" {} {} (now {});", node ? node->address : id, slots,
                                node ? node->slot_total : 0);
        }
        text.back() = '\n';
    }
    return text;
}

}  // namespace warden
