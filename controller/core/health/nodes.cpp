#include <fmt/format.h>

#include "controller/core/health/checks.hpp"
#include "controller/core/health/finding_codes.hpp"

namespace warden::detail {
namespace {

std::string role_phrase(const cluster_node& node) {
    if (node.serves_slots()) return fmt::format("master serving {} slots", node.slot_total);
    if (node.role == node_role::replica) {
        return node.master_id ? fmt::format("replica of {}", node.master_id->substr(0, 8))
                              : std::string("replica");
    }
    return node.role == node_role::master ? "master without slots" : "node";
}

void check_unreachable(const cluster_node& node, findings& out) {
    auto level = node.serves_slots() ? severity::critical : severity::warning;
    auto advice = node.serves_slots()
                      ? "its slots fail over only if a healthy replica exists; restore the node "
                        "or check the network and credentials between warden and it"
                      : "restore the node or check the network and credentials between warden "
                        "and it";
    out.push_back({finding_code::node_unreachable,
                   level,
                   {node_key(node)},
                   fmt::format("{} ({}) is unreachable from warden: {}; {}", node.address,
                               role_phrase(node), node.probe_error, advice)});
}

void check_failing(const cluster_node& node, findings& out) {
    bool fail = node.views_fail > 0;
    auto level = fail && node.serves_slots() ? severity::critical : severity::warning;
    auto verdict = fail ? fmt::format("flagged fail by {} node(s)", node.views_fail)
                        : fmt::format("suspected (fail?) by {} node(s)", node.views_pfail);
    out.push_back({finding_code::node_failing,
                   level,
                   {node.id},
                   fmt::format("{} ({}) is {}; restart or replace it, then check that a replica "
                               "took over its slots",
                               node.address, role_phrase(node), verdict)});
}

}  // namespace

void check_nodes(const topology& cluster, findings& out) {
    for (const auto& node : cluster.nodes) {
        if (!cluster.offline && node.probed && !node.observed) check_unreachable(node, out);
        if (node.views_fail > 0 || node.views_pfail > 0) check_failing(node, out);
    }
}

}  // namespace warden::detail
