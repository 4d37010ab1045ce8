#include <algorithm>
#include <nlohmann/json.hpp>

#include "controller/core/report/report.hpp"
#include "controller/core/utc_time.hpp"

namespace warden {
namespace {

nlohmann::json certificate_json(const std::optional<tls_certificate>& certificate) {
    if (!certificate) return nullptr;
    return {{"not_after", certificate->not_after},
            {"not_after_utc", utc_text(static_cast<double>(certificate->not_after))},
            {"subject", certificate->subject},
            {"issuer", certificate->issuer}};
}

nlohmann::json optional_json(const std::optional<std::int64_t>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// Bytes a replica is behind its master: both offsets come from the same poll but not the same
// instant, so a busy master can read a little behind its replica; that reads as 0.
std::optional<std::int64_t> replication_lag(const cluster_node& node, const topology& cluster) {
    if (node.role != node_role::replica || !node.master_id || !node.replication_offset) {
        return std::nullopt;
    }
    const auto* master = cluster.find(*node.master_id);
    if (master == nullptr || !master->replication_offset) return std::nullopt;
    return std::max<std::int64_t>(0, *master->replication_offset - *node.replication_offset);
}

nlohmann::json open_slots_json(const topology& cluster) {
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& open : cluster.open_slots) {
        bool migrating = open.state.direction == open_slot_direction::migrating;
        listed.push_back({{"slot", open.slot},
                          {"node", open.node_id},
                          {"state", migrating ? "migrating" : "importing"},
                          {"peer", open.state.peer_id}});
    }
    return listed;
}

nlohmann::json node_json(const cluster_node& node, const topology& cluster) {
    nlohmann::json slots = nlohmann::json::array();
    for (const auto& range : node.slots) slots.push_back({range.first, range.last});
    return {
        {"id", node.id.empty() ? nlohmann::json(nullptr) : nlohmann::json(node.id)},
        {"address", node.address},
        {"role", to_string(node.role)},
        {"master_id", node.master_id ? nlohmann::json(*node.master_id) : nlohmann::json(nullptr)},
        {"slots", node.slot_total},
        {"slot_ranges", std::move(slots)},
        {"flags", node.flags},
        {"reachable", is_reachable(node, cluster)},
        {"failure_domain", node.failure_domain},
        {"hostname", node.hostname ? nlohmann::json(*node.hostname) : nlohmann::json(nullptr)},
        {"config_epoch", node.config_epoch},
        {"replicas", node.replica_ids},
        {"master_link_status", node.master_link_up
                                   ? nlohmann::json(*node.master_link_up ? "up" : "down")
                                   : nlohmann::json(nullptr)},
        {"error",
         node.probe_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(node.probe_error)},
        {"tls_certificate", certificate_json(node.certificate)},
        {"replication_offset", optional_json(node.replication_offset)},
        {"replication_lag_bytes", optional_json(replication_lag(node, cluster))},
        {"link_down_seconds", optional_json(node.link_down_seconds)},
    };
}

}  // namespace

nlohmann::json finding_json(const finding& item) {
    nlohmann::json object = {{"code", item.code},
                             {"severity", to_string(item.level)},
                             {"nodes", item.nodes},
                             {"message", item.message}};
    if (!item.remediation.empty()) object["remediation"] = item.remediation;
    return object;
}

nlohmann::json report_json(const check_report& report) {
    const auto& quorum = report.health.quorum;
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& node : report.cluster_topology.nodes) {
        nodes.push_back(node_json(node, report.cluster_topology));
    }
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& item : report.health.findings) findings.push_back(finding_json(item));
    nlohmann::json document = {
        {"cluster", report.cluster},
        {"status", to_string(report.health.status)},
        {"quorum",
         {{"voting_masters", quorum.voting_masters},
          {"healthy_voting_masters", quorum.healthy_voting_masters},
          {"needed", quorum.needed},
          {"margin", quorum.margin}}},
        {"nodes", std::move(nodes)},
        {"findings", std::move(findings)},
        {"open_slots", open_slots_json(report.cluster_topology)},
    };
    return document;
}

std::string render_json(const check_report& report) {
    // Replace invalid UTF-8 (a hostile reply's bytes in an error) instead of throwing.
    return report_json(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace warden
