// The rebalance planner (issue "rebalance"): how many slots each master should serve given
// weights, and the fewest slot moves that get there. Pure and deterministic.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/parse/cluster_nodes.hpp"
#include "controller/core/planner/move_method.hpp"
#include "controller/core/result.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {

struct rebalance_policy {
    std::map<std::string, double> weights;  // node id -> weight (default 1; 0 empties it)
    double threshold_percent = 2.0;         // masters within this share of target stay put
    bool use_empty_masters = false;         // masters without slots take part
};

struct slot_move {
    std::string source_id;
    std::string source_address;
    std::string target_id;
    std::string target_address;
    std::vector<slot_range> slots;  // ascending, merged ranges
    int slot_count = 0;
    std::optional<long long> keys;  // filled by the shell when cheap to count
    move_method_choice method;      // filled by the shell from the source's version
    friend bool operator==(const slot_move&, const slot_move&) = default;
};

struct rebalance_plan {
    std::map<std::string, int> targets;  // node id -> slots it should serve
    std::vector<slot_move> moves;        // one per source -> target pair
    int slots_moved = 0;
    friend bool operator==(const rebalance_plan&, const rebalance_plan&) = default;
};

// Errors name the problem: an unknown weighted node, all weights zero, nothing to balance.
result<rebalance_plan> plan_rebalance(const topology& cluster, const rebalance_policy& policy);

// --move SLOTS --to NODE [--from NODE]: the given slots ("0-99,200") go to `target_id`;
// with a source, only slots that source serves (others are an error, named).
result<rebalance_plan> plan_manual_move(const topology& cluster, const std::string& slots,
                                        const std::string& target_id, const std::string& source_id);

// "0-99,200,300-310" -> sorted, merged ranges; errors name the bad part.
result<std::vector<slot_range>> parse_slot_list(std::string_view text);

// A node named by id, unique id prefix (at least 4 characters) or address; errors say why.
result<std::string> resolve_node(const topology& cluster, std::string_view name);

// The plan as a table: source, target, slot ranges, slots; then how keys move (and why,
// when not plain MIGRATE).
std::string describe_rebalance(const rebalance_plan& plan, const topology& cluster);

}  // namespace warden
