// Internals shared by the audit's rule files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/core/audit/audit.hpp"
#include "controller/core/parse/info_fields.hpp"

namespace warden::audit_detail {

using findings = std::vector<finding>;

// One node as the audit sees it: its security probe, its place in the topology, parsed
// INFO and ACL LIST.
struct audited_node {
    const security_probe* probe = nullptr;
    const cluster_node* node = nullptr;  // null when no view knows the address
    std::string key;                     // node id, else address
    info_fields info;
    std::vector<acl_user> users;  // empty when ACL LIST was not read
};

std::optional<std::string> config_value(const audited_node& node, const std::string& name);

void check_anonymous_access(const std::vector<audited_node>& nodes, findings& out);
void check_protected_mode(const std::vector<audited_node>& nodes, const topology& cluster,
                          findings& out);
void check_master_auth(const std::vector<audited_node>& nodes, findings& out);
void check_auth_consistency(const std::vector<audited_node>& nodes, findings& out);
void check_dangerous_commands(const std::vector<audited_node>& nodes, findings& out);
void check_config_drift(const std::vector<audited_node>& nodes, findings& out);
void check_memory(const std::vector<audited_node>& nodes, double threshold, findings& out);
// plaintext_port_open, tls_bus_plaintext, tls_replication_plaintext, tls_client_auth_off,
// tls_legacy_protocols: only nodes that serve TLS (tls-port set) are judged.
void check_tls(const std::vector<audited_node>& nodes, findings& out);

}  // namespace warden::audit_detail
