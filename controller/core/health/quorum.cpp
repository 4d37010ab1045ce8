#include <fmt/format.h>

#include <map>

#include "controller/core/health/checks.hpp"
#include "controller/core/health/finding_codes.hpp"

namespace warden::detail {
namespace {

void check_domains(const topology& cluster, const quorum_state& quorum, findings& out) {
    std::map<std::string, std::vector<std::string>> by_domain;
    for (const auto& node : cluster.nodes) {
        if (node.role == node_role::master && node.serves_slots() && !is_down(node, cluster)) {
            by_domain[node.failure_domain].push_back(node.id);
        }
    }
    for (const auto& [domain, ids] : by_domain) {
        auto left = quorum.healthy_voting_masters - static_cast<int>(ids.size());
        // A domain holding one master is no worse than any single failure (quorum_at_risk).
        if (ids.size() < 2 || left >= quorum.needed) continue;
        out.push_back(
            {finding_code::quorum_domain_risk, severity::warning, ids,
             fmt::format("failure domain {} holds {} of {} healthy voting masters: "
                         "losing it leaves {} (need {}) and no failover can happen; "
                         "spread masters across hosts/zones",
                         domain, ids.size(), quorum.healthy_voting_masters, left, quorum.needed)});
    }
}

std::vector<std::string> down_voters(const topology& cluster) {
    std::vector<std::string> ids;
    for (const auto& node : cluster.nodes) {
        if (node.role == node_role::master && node.serves_slots() && is_down(node, cluster)) {
            ids.push_back(node.id);
        }
    }
    return ids;
}

}  // namespace

quorum_state check_quorum(const topology& cluster, findings& out) {
    quorum_state quorum;
    for (const auto& node : cluster.nodes) {
        if (node.role != node_role::master || !node.serves_slots()) continue;
        ++quorum.voting_masters;
        if (!is_down(node, cluster)) ++quorum.healthy_voting_masters;
    }
    if (quorum.voting_masters == 0) return quorum;
    quorum.needed = quorum.voting_masters / 2 + 1;
    quorum.margin = quorum.healthy_voting_masters - quorum.needed;
    if (quorum.margin < 0) {
        out.push_back(
            {finding_code::quorum_lost, severity::critical, down_voters(cluster),
             fmt::format("only {} of {} voting masters are healthy (need {}): no "
                         "replica can be elected; restore masters, or promote replicas "
                         "with CLUSTER FAILOVER TAKEOVER (split-brain risk)",
                         quorum.healthy_voting_masters, quorum.voting_masters, quorum.needed)});
    } else if (quorum.margin == 0) {
        out.push_back(
            {finding_code::quorum_at_risk, severity::warning, down_voters(cluster),
             fmt::format("{} of {} voting masters are healthy, exactly the {} needed: "
                         "one more master failure stops all failover; restore the down "
                         "masters or add masters",
                         quorum.healthy_voting_masters, quorum.voting_masters, quorum.needed)});
    }
    if (quorum.margin >= 0) check_domains(cluster, quorum, out);
    return quorum;
}

}  // namespace warden::detail
