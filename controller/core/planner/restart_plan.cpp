#include "controller/core/planner/restart_plan.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

#include "controller/core/health/checks.hpp"
#include "controller/core/parse/endpoint.hpp"
#include "controller/core/planner/failover_plan.hpp"
#include "controller/core/planner/rebalance_plan.hpp"

namespace warden {
namespace {

int port_of(const std::string& address) {
    auto parsed = parse_endpoint(address);
    return parsed ? parsed->port : 0;
}

restart_target target_of(const cluster_node& node) {
    return {node.id,
            node.address,
            node.host,
            port_of(node.address),
            node.role == node_role::master && node.serves_slots(),
            node.failure_domain};
}

// The nodes chosen by --node and --host, or every member when neither is given.
result<std::set<std::string>> chosen_ids(const topology& cluster,
                                         const std::vector<std::string>& nodes,
                                         const std::vector<std::string>& hosts) {
    std::set<std::string> ids;
    for (const auto& name : nodes) {
        auto id = resolve_node(cluster, name);
        if (!id) return id.failure();
        ids.insert(*id);
    }
    for (const auto& host : hosts) {
        bool any = false;
        for (const auto& node : cluster.nodes) {
            if (!node.id.empty() && node_on_host(node, host)) {
                ids.insert(node.id);
                any = true;
            }
        }
        if (!any) {
            return error{fmt::format("no node of the cluster is on host '{}'", host),
                         error_kind::usage};
        }
    }
    if (nodes.empty() && hosts.empty()) {
        for (const auto& node : cluster.nodes) {
            if (!node.id.empty()) ids.insert(node.id);
        }
    }
    return ids;
}

}  // namespace

result<restart_plan> plan_rolling_restart(const topology& cluster,
                                          const std::vector<std::string>& nodes,
                                          const std::vector<std::string>& hosts,
                                          const std::set<std::string>& done) {
    auto ids = chosen_ids(cluster, nodes, hosts);
    if (!ids) return ids.failure();
    restart_plan plan;
    for (const auto& id : *ids) {
        if (done.contains(id)) continue;
        const auto* node = cluster.find(id);
        if (node == nullptr) continue;
        if (node->role == node_role::unknown) {
            return error{
                fmt::format("{}: its role is unknown (a handshake or a node being "
                            "added): settle the cluster first",
                            node->address)};
        }
        plan.steps.push_back(target_of(*node));
    }
    // Replicas (and masters without slots) first, domain by domain; then the masters.
    std::stable_sort(plan.steps.begin(), plan.steps.end(),
                     [](const restart_target& a, const restart_target& b) {
                         return std::tie(a.master, a.domain, a.address) <
                                std::tie(b.master, b.domain, b.address);
                     });
    return plan;
}

std::string restart_refusal(const topology& cluster, const assessment& health) {
    if (auto why = failover_refusal(cluster, health); !why.empty()) return why;
    for (const auto& node : cluster.nodes) {
        if (node.role != node_role::master || !node.serves_slots()) continue;
        if (plan_master_failover(cluster, node.address)) continue;
        return fmt::format(
            "master {} serves {} slot(s) and has no healthy replica: restarting it would make "
            "its slots unavailable (add or repair a replica first)",
            node.address, node.slot_total);
    }
    return "";
}

std::string describe_restart_plan(const restart_plan& plan) {
    std::string text;
    int number = 0;
    for (const auto& step : plan.steps) {
        auto domain = step.domain.empty() ? step.host : step.domain;
        text +=
            fmt::format("  {}. {} {} ({}) [{}]{}\n", ++number, step.master ? "master" : "replica",
                        step.address, step.id.substr(0, 8), domain,
                        step.master ? ": CLUSTER FAILOVER to its best replica, then restart "
                                      "it as a replica"
                                    : ": restart");
    }
    return text;
}

std::set<std::string> finding_keys(const assessment& health) {
    std::set<std::string> keys;
    for (const auto& item : health.findings) {
        keys.insert(fmt::format("{}/{}", item.code, to_string(item.level)));
    }
    return keys;
}

std::string restart_pending(const topology& cluster, const assessment& health,
                            const std::string& node_id, const restarted_node_reading& reading,
                            const std::string& unsettled, const std::set<std::string>& baseline) {
    const auto* node = cluster.find(node_id);
    if (!reading.answered) {
        return "it does not answer" + (reading.error.empty() ? "" : ": " + reading.error);
    }
    if (reading.loading) return "it is loading its data set";
    if (node == nullptr || !node->observed) return "warden has no view of it yet";
    if (node->views_listing < cluster.views) {
        return fmt::format("{} of {} views list it", node->views_listing, cluster.views);
    }
    if (node->views_fail > 0 || node->views_pfail > 0) {
        return fmt::format("{} view(s) still flag it failing",
                           node->views_fail + node->views_pfail);
    }
    if (!unsettled.empty()) return unsettled;
    if (node->role != node_role::replica) return "it is not a replica";
    if (!node->master_link_up.value_or(false)) return "its link to its master is not up";
    if (reading.sync_in_progress) return "its sync with its master is in progress";
    if (!reading.master_offset_before || !reading.replica_offset) {
        return "its replication offset is not known";
    }
    if (*reading.replica_offset < *reading.master_offset_before) {
        return fmt::format("its offset {} is behind its master's {}", *reading.replica_offset,
                           *reading.master_offset_before);
    }
    for (const auto& key : finding_keys(health)) {
        if (!baseline.contains(key)) return "a finding the run did not start with: " + key;
    }
    return "";
}

std::string progress_json(const restart_progress& progress) {
    nlohmann::json document = {{"cluster", progress.cluster},
                               {"command", progress.command},
                               {"done", progress.done},
                               {"masters_before", progress.masters_before},
                               {"versions_before", progress.versions_before}};
    return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

result<restart_progress> parse_progress(std::string_view text) {
    auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return error{"not a restart state file (not a JSON object)"};
    }
    restart_progress progress;
    try {
        progress.cluster = document.at("cluster").get<std::string>();
        progress.command = document.at("command").get<std::string>();
        progress.done = document.at("done").get<std::vector<std::string>>();
        progress.masters_before = document.at("masters_before").get<std::vector<std::string>>();
        progress.versions_before =
            document.at("versions_before").get<std::map<std::string, std::string>>();
    } catch (const nlohmann::json::exception& failure) {
        return error{fmt::format("not a restart state file: {}", failure.what())};
    }
    return progress;
}

std::string describe_versions(std::size_t restarted,
                              const std::map<std::string, std::string>& before,
                              const std::map<std::string, std::string>& after) {
    auto distinct = [](const std::map<std::string, std::string>& versions) {
        std::set<std::string> seen;
        for (const auto& [id, version] : versions) seen.insert(version.empty() ? "?" : version);
        return seen.empty() ? std::string("?") : fmt::format("{}", fmt::join(seen, ", "));
    };
    return fmt::format("{} node(s) restarted, {} -> {}", restarted, distinct(before),
                       distinct(after));
}

}  // namespace warden
