#include <fmt/format.h>

#include <iterator>

#include "controller/core/health/checks.hpp"

namespace warden {

namespace {

struct severity_names {
    const char* lower;
    const char* upper;
};

// In the enum's order: ok, warning, critical, unknown.
constexpr severity_names names[] = {
    {"ok", "OK"}, {"warning", "WARNING"}, {"critical", "CRITICAL"}, {"unknown", "UNKNOWN"}};

const severity_names& names_of(severity level) {
    auto at = static_cast<std::size_t>(level);
    return names[at < std::size(names) ? at : std::size(names) - 1];
}

}  // namespace

const char* to_string(severity level) {
    return names_of(level).lower;
}

const char* severity_word(severity level) {
    return names_of(level).upper;
}

bool flagged_failing(const cluster_node& node) {
    // fail is the cluster's agreed verdict; a lone fail? may be one node's flaky link,
    // so it counts only when at least half of the other views suspect the node.
    int others = node.views_listing - (node.observed ? 1 : 0);
    return node.views_fail > 0 || (node.views_pfail > 0 && 2 * node.views_pfail >= others);
}

bool is_reachable(const cluster_node& node, const topology& cluster) {
    if (cluster.offline) return !flagged_failing(node);  // saved views are all we know
    return node.observed;
}

bool is_down(const cluster_node& node, const topology& cluster) {
    return !is_reachable(node, cluster) || flagged_failing(node);
}

namespace detail {

std::string address_of(const topology& cluster, const std::string& id) {
    const auto* node = cluster.find(id);
    return node != nullptr && !node->address.empty() ? node->address : id;
}

std::string node_key(const cluster_node& node) {
    return node.id.empty() ? node.address : node.id;
}

bool is_healthy_replica(const cluster_node& replica, const cluster_node& master,
                        const topology& cluster) {
    if (is_down(replica, cluster) || replica.nofailover) return false;
    // With its master down, a replica's link is down by definition; it is exactly the node
    // that should take over, so only a live master's broken link disqualifies it.
    if (is_down(master, cluster)) return true;
    return replica.master_link_up.value_or(true);
}

std::string describe_replica_state(const cluster_node& replica, const topology& cluster) {
    if (!is_reachable(replica, cluster)) return fmt::format("{} unreachable", replica.address);
    if (flagged_failing(replica)) return fmt::format("{} flagged failing", replica.address);
    if (replica.nofailover) return fmt::format("{} has nofailover", replica.address);
    if (replica.master_link_up == false) return fmt::format("{} link down", replica.address);
    return fmt::format("{} ok", replica.address);
}

}  // namespace detail

int healthy_replica_count(const cluster_node& master, const topology& cluster) {
    int healthy = 0;
    for (const auto& id : master.replica_ids) {
        const auto* replica = cluster.find(id);
        if (replica != nullptr && detail::is_healthy_replica(*replica, master, cluster)) ++healthy;
    }
    return healthy;
}

}  // namespace warden
