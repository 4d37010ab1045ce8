// The individual health checks; assess() runs them all. Each appends findings.
#pragma once

#include <string>
#include <vector>

#include "controller/core/health/findings.hpp"

namespace warden::detail {

using findings = std::vector<finding>;

void check_nodes(const topology& cluster, findings& out);  // node_unreachable, node_failing
void check_replicas(const topology& cluster, const health_policy& policy, findings& out);
quorum_state check_quorum(const topology& cluster, findings& out);
void check_slots(const topology& cluster, findings& out);  // slots_uncovered, slots_open
void check_views(const topology& cluster, findings& out);  // views_disagree
// tls_certificate_expiring, tls_ca_inconsistent
void check_certificates(const topology& cluster, const health_policy& policy, findings& out);

// "127.0.0.1:7000" for an id, or the id itself when the topology does not know it.
std::string address_of(const topology& cluster, const std::string& id);
std::string node_key(const cluster_node& node);  // id, or address for unknown nodes
std::string describe_replica_state(const cluster_node& replica, const topology& cluster);
bool is_healthy_replica(const cluster_node& replica, const cluster_node& master,
                        const topology& cluster);

}  // namespace warden::detail
