// What the heal executor reads back from single nodes, judged purely: whether a spare is
// fit to join, and whether a moved replica is really replicating its new master.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/core/planner/heal_plan.hpp"
#include "controller/core/topology/failure_domain.hpp"

namespace warden {

// A spare from its own CLUSTER NODES and DBSIZE replies: eligible when it is cluster-enabled,
// knows only itself, serves no slots and holds no keys. `problem` says what disqualifies it.
spare_node assess_spare(const std::string& address, std::string_view cluster_nodes,
                        std::int64_t keys, const failure_domain_policy& domains);

// Empty when `cluster_nodes` (the node's own view) shows it a replica of `master_id` and
// `info` (INFO replication) says master_link_status:up; otherwise what is still missing.
std::string replication_pending(std::string_view cluster_nodes, std::string_view info,
                                const std::string& master_id);

// Empty when `cluster_nodes` (the node's own view) shows it a master serving slots (a
// takeover took effect); otherwise what is still missing.
std::string promotion_pending(std::string_view cluster_nodes);

// Whether the node's own view lists `node_id` (the spare has learnt of the cluster, or the
// cluster of the spare).
bool view_lists(std::string_view cluster_nodes, const std::string& node_id);

}  // namespace warden
