#include <fmt/format.h>

#include <set>

#include "controller/core/report/report.hpp"
#include "controller/core/utc_time.hpp"

namespace warden {
namespace {

std::string slot_ranges(const cluster_node& node) {
    std::string text;
    for (const auto& range : node.slots) {
        if (!text.empty()) text += ",";
        text += range.first == range.last ? fmt::format("{}", range.first)
                                          : fmt::format("{}-{}", range.first, range.last);
    }
    return text;
}

std::string flag_list(const cluster_node& node) {
    std::string text;
    for (const auto& flag : node.flags) text += (text.empty() ? "" : ",") + flag;
    return text;
}

std::string node_row(const cluster_node& node, const topology& cluster, const char* prefix) {
    auto id = node.id.empty() ? std::string("?") : node.id.substr(0, 8);
    auto row = fmt::format("{}{:<22} {:<8} {:<7}", prefix, node.address, id, to_string(node.role));
    if (node.serves_slots())
        row += fmt::format(" slots {} ({})", node.slot_total, slot_ranges(node));
    row += fmt::format(" domain {}", node.failure_domain);
    if (node.master_link_up) row += *node.master_link_up ? " link up" : " link DOWN";
    if (!flag_list(node).empty()) row += fmt::format(" [{}]", flag_list(node));
    if (!is_reachable(node, cluster)) {
        row += node.probe_error.empty() ? " UNREACHABLE" : " UNREACHABLE: " + node.probe_error;
    }
    return row + "\n";
}

std::string render_nodes(const topology& cluster) {
    std::string text;
    std::set<std::string> shown;
    for (const auto& master : cluster.nodes) {
        if (master.role != node_role::master) continue;
        text += node_row(master, cluster, "");
        shown.insert(master.address);
        for (const auto& id : master.replica_ids) {
            const auto* replica = cluster.find(id);
            if (replica == nullptr) continue;
            text += node_row(*replica, cluster, "  -> ");
            shown.insert(replica->address);
        }
    }
    for (const auto& node : cluster.nodes) {
        if (shown.count(node.address) == 0) text += node_row(node, cluster, "");
    }
    return text;
}

// "tls: soonest certificate expiry 2026-12-07T07:41:44Z (127.0.0.1:7000), 6 of 6 nodes"
std::string soonest_expiry_line(const topology& cluster) {
    const cluster_node* soonest = nullptr;
    int presented = 0;
    for (const auto& node : cluster.nodes) {
        if (!node.certificate) continue;
        ++presented;
        if (!soonest || node.certificate->not_after < soonest->certificate->not_after) {
            soonest = &node;
        }
    }
    if (!soonest) return "";
    return fmt::format(
        "tls: soonest certificate expiry {} ({}); {} of {} node(s) presented one\n\n",
        utc_text(static_cast<double>(soonest->certificate->not_after)), soonest->address, presented,
        cluster.nodes.size());
}

}  // namespace

std::string render_text(const check_report& report) {
    const auto& quorum = report.health.quorum;
    const auto& cluster = report.cluster_topology;
    std::string text =
        fmt::format("cluster {}: {}\n", report.cluster.empty() ? "-" : report.cluster,
                    severity_word(report.health.status));
    text += fmt::format("quorum: {} of {} voting masters healthy, {} needed, margin {}\n\n",
                        quorum.healthy_voting_masters, quorum.voting_masters, quorum.needed,
                        quorum.margin);
    text += soonest_expiry_line(cluster);
    text += render_nodes(cluster);
    if (report.health.findings.empty()) return text + "\nno findings\n";
    text += fmt::format("\nfindings ({}):\n", report.health.findings.size());
    for (const auto& item : report.health.findings) {
        text += fmt::format("  {:<8} {}: {}\n", severity_word(item.level), item.code, item.message);
    }
    return text;
}

}  // namespace warden
