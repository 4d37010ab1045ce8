// The security/configuration audit (issue "audit"): protected mode, auth, replication
// credentials, dangerous commands, configuration drift and memory. Pure: it judges what
// the security poll read (security_probe, secrets already hashed) against the topology.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/compat/server_version.hpp"
#include "controller/core/health/findings.hpp"
#include "controller/core/snapshot.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {

struct audit_policy {
    // Users whose rights to dangerous commands are checked. Empty: every enabled ACL user,
    // except warden's own when it is not "default" (a dedicated admin user may hold them).
    std::vector<std::string> client_users;
    double memory_threshold = 0.9;  // memory_near_limit above this share of maxmemory
};

// CONFIG GET parameters the audit reads (one at a time, so Redis 3.2-6 answer too).
const std::vector<std::string>& audited_config();
// Settings that must match across a cluster (config_inconsistent).
const std::vector<std::string>& cluster_wide_config();
// Commands a client user should not be able to run, as ACL DRYRUN arguments.
const std::vector<std::vector<std::string>>& dangerous_commands();

// ACL LIST line "user <name> on #<sha> ~* &* +@all" -> its parts.
struct acl_user {
    std::string name;
    bool enabled = false;
    bool nopass = false;
    std::vector<std::string> password_hashes;  // hex, without '#'
    std::vector<std::string> rules;            // everything else, in order
};
std::vector<acl_user> parse_acl_list(const std::vector<std::string>& lines);

// Redis 6 has ACLs but no ACL DRYRUN: a user's rights to the dangerous commands from its
// ACL LIST rules, applied in order as Redis does (last matching rule wins): allcommands /
// nocommands, +@category / -@category, +command / -command, +command|subcommand.
std::map<std::string, bool> rights_from_acl_rules(const acl_user& user);

// How the security poll learns what a user may run: ACL DRYRUN (7.0+), the user's ACL LIST
// rules (6.x), or, before ACLs, which dangerous commands are renamed away. Decided by the
// server's version; only when INFO was denied (no version) by whether ACL WHOAMI answered,
// and then a DRYRUN "unknown subcommand" reply still falls back to the rules.
enum class command_rights_method { acl_dryrun, acl_rules, renamed_commands };
command_rights_method command_rights_method_for(const std::optional<server_version>& version,
                                                bool answered_acl_whoami);

// Which users the security poll should check with ACL DRYRUN on this node.
std::vector<std::string> users_to_check(const security_probe& probe, const audit_policy& policy);

struct node_audit {
    std::string address;
    std::string id;
    std::string redis_version;         // "" when unknown
    std::vector<std::string> unknown;  // what could not be read, and why
};

struct audit_report {
    std::string cluster;
    severity status = severity::ok;  // worst of the findings; unknown only when nothing worse
    std::vector<finding> findings;   // worst first
    std::vector<node_audit> nodes;
};

audit_report run_audit(const std::string& cluster_name, const topology& cluster,
                       const std::vector<security_probe>& probes, const audit_policy& policy);

nlohmann::json audit_json(const audit_report& report);
std::string render_audit_json(const audit_report& report);  // one object, no newline
std::string render_audit_text(const audit_report& report);

}  // namespace warden
