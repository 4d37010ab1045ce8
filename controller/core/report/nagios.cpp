#include <fmt/format.h>

#include <map>

#include "controller/core/health/finding_codes.hpp"
#include "controller/core/report/report.hpp"

namespace warden {
namespace {

std::string summary(const check_report& report) {
    const auto& health = report.health;
    if (health.status == severity::unknown) return "no node answered CLUSTER NODES";
    if (health.findings.empty()) {
        return fmt::format("{} nodes, {} voting masters, quorum margin {}",
                           report.cluster_topology.nodes.size(), health.quorum.voting_masters,
                           health.quorum.margin);
    }
    std::map<std::string, int> counts;  // worst first is preserved by listing in finding order
    std::vector<std::string> order;
    for (const auto& item : health.findings) {
        if (counts[item.code]++ == 0) order.push_back(item.code);
    }
    std::string text;
    for (const auto& code : order) {
        text += fmt::format("{}{} {}", text.empty() ? "" : ", ", counts[code], code);
    }
    return text;
}

}  // namespace

std::string render_nagios(const check_report& report) {
    const auto& health = report.health;
    auto status = severity_word(health.status);
    int unreachable = 0;
    for (const auto& node : report.cluster_topology.nodes) {
        if (!is_reachable(node, report.cluster_topology)) ++unreachable;
    }
    // Performance data: label=value pairs after '|', per the monitoring-plugins guidelines.
    return fmt::format(
        "REDIS CLUSTER {} - {} | nodes={} unreachable_nodes={} voting_masters={} "
        "healthy_voting_masters={} quorum_margin={} orphaned_masters={} slots_uncovered={} "
        "findings={}",
        status, summary(report), report.cluster_topology.nodes.size(), unreachable,
        health.quorum.voting_masters, health.quorum.healthy_voting_masters, health.quorum.margin,
        count_findings(health, finding_code::orphaned_master),
        count_findings(health, finding_code::slots_uncovered), health.findings.size());
}

}  // namespace warden
