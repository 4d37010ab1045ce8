#include <fmt/format.h>

#include <algorithm>

#include "controller/core/health/checks.hpp"
#include "controller/core/health/finding_codes.hpp"

namespace warden::detail {
namespace {

std::vector<const cluster_node*> replicas_of(const cluster_node& master, const topology& cluster) {
    std::vector<const cluster_node*> replicas;
    for (const auto& id : master.replica_ids) {
        if (const auto* replica = cluster.find(id)) replicas.push_back(replica);
    }
    return replicas;
}

std::string replica_summary(const std::vector<const cluster_node*>& replicas,
                            const topology& cluster) {
    if (replicas.empty()) return "it has no replica";
    std::string text = "replicas: ";
    for (std::size_t i = 0; i < replicas.size(); ++i) {
        if (i > 0) text += ", ";
        text += describe_replica_state(*replicas[i], cluster);
    }
    return text;
}

void check_orphan(const cluster_node& master, const std::vector<const cluster_node*>& replicas,
                  const topology& cluster, findings& out) {
    out.push_back({finding_code::orphaned_master,
                   severity::critical,
                   {master.id},
                   fmt::format("master {} serves {} slots with no healthy replica ({}); one more "
                               "failure loses those slots: restore or add a replica "
                               "(redis-warden heal, or CLUSTER REPLICATE {} on a spare node)",
                               master.address, master.slot_total,
                               replica_summary(replicas, cluster), master.id)});
}

void check_links(const cluster_node& master, const std::vector<const cluster_node*>& replicas,
                 const topology& cluster, findings& out) {
    if (is_down(master, cluster)) return;
    for (const auto* replica : replicas) {
        if (is_down(*replica, cluster) || replica->master_link_up != false) continue;
        out.push_back({finding_code::replica_link_down,
                       severity::critical,
                       {replica->id, master.id},
                       fmt::format("replica {} is up but not replicating from master {} "
                                   "(master_link_status:down), so it cannot take over; check "
                                   "masterauth/masteruser and protected-mode on the master and "
                                   "the replica's log",
                                   replica->address, master.address)});
    }
}

void check_placement(const cluster_node& master, const std::vector<const cluster_node*>& replicas,
                     const topology& cluster, findings& out) {
    std::vector<std::string> ids{master.id};
    for (const auto* replica : replicas) {
        if (!is_healthy_replica(*replica, master, cluster)) continue;
        if (replica->failure_domain != master.failure_domain) return;
        ids.push_back(replica->id);
    }
    out.push_back({finding_code::replica_same_host, severity::warning, ids,
                   fmt::format("every healthy replica of master {} is in its failure domain {}: "
                               "losing that host loses the slots; move a replica to another "
                               "host (CLUSTER REPLICATE {} on a node elsewhere)",
                               master.address, master.failure_domain, master.id)});
}

}  // namespace

void check_replicas(const topology& cluster, const health_policy& policy, findings& out) {
    for (const auto& master : cluster.nodes) {
        if (master.role != node_role::master || !master.serves_slots()) continue;
        auto replicas = replicas_of(master, cluster);
        check_links(master, replicas, cluster, out);
        int healthy = healthy_replica_count(master, cluster);
        if (healthy == 0) {
            check_orphan(master, replicas, cluster, out);
            continue;
        }
        if (healthy < policy.min_replicas_per_master) {
            out.push_back({finding_code::replicas_below_target,
                           severity::warning,
                           {master.id},
                           fmt::format("master {} has {} healthy replica(s), policy wants {}; "
                                       "add replicas",
                                       master.address, healthy, policy.min_replicas_per_master)});
        }
        check_placement(master, replicas, cluster, out);
    }
}

}  // namespace warden::detail
