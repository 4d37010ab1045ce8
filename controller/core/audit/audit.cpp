#include "controller/core/audit/audit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <tuple>

#include "controller/core/audit/audit_detail.hpp"
#include "controller/core/health/finding_codes.hpp"
#include "controller/core/parse/text_fields.hpp"
#include "controller/core/report/report.hpp"

namespace warden {
namespace {

using audit_detail::audited_node;

std::vector<audited_node> gather(const topology& cluster,
                                 const std::vector<security_probe>& probes) {
    std::vector<audited_node> nodes;
    // Unreachable nodes stay in: what the anonymous probe saw (-DENIED) still counts.
    for (const auto& probe : probes) {
        audited_node node;
        node.probe = &probe;
        auto found =
            std::find_if(cluster.nodes.begin(), cluster.nodes.end(), [&](const cluster_node& each) {
                return each.address == probe.address && !each.id.empty();
            });
        node.node = found == cluster.nodes.end() ? nullptr : &*found;
        node.key = node.node != nullptr ? node.node->id : probe.address;
        node.info = parse_info_fields(probe.info);
        node.users = parse_acl_list(probe.acl_list);
        nodes.push_back(std::move(node));
    }
    return nodes;
}

std::vector<node_audit> describe_nodes(const topology& cluster,
                                       const std::vector<security_probe>& probes) {
    std::vector<node_audit> nodes;
    for (const auto& probe : probes) {
        node_audit item;
        item.address = probe.address;
        auto found =
            std::find_if(cluster.nodes.begin(), cluster.nodes.end(),
                         [&](const cluster_node& each) { return each.address == probe.address; });
        if (found != cluster.nodes.end()) item.id = found->id;
        auto info = parse_info_fields(probe.info);
        if (auto version = find_field(info, "redis_version")) item.redis_version = *version;
        if (!probe.reachable) {
            item.unknown.push_back("not audited: " + probe.error);
        }
        item.unknown.insert(item.unknown.end(), probe.unreadable.begin(), probe.unreadable.end());
        nodes.push_back(std::move(item));
    }
    return nodes;
}

void add_incomplete(const std::vector<node_audit>& nodes, std::vector<finding>& out) {
    std::vector<std::string> keys;
    std::vector<std::string> parts;
    for (const auto& node : nodes) {
        if (node.unknown.empty()) continue;
        keys.push_back(node.id.empty() ? node.address : node.id);
        parts.push_back(fmt::format("{} ({})", node.address, node.unknown.front()));
    }
    if (keys.empty()) return;
    std::string listed;
    for (const auto& part : parts) listed += (listed.empty() ? "" : "; ") + part;
    out.push_back({finding_code::audit_incomplete, severity::unknown, keys,
                   fmt::format("{} node(s) could not be audited completely, so their security "
                               "is unknown, not ok: {}",
                               keys.size(), listed),
                   "give warden's user the rights to run CONFIG GET, ACL LIST/WHOAMI/DRYRUN and "
                   "INFO (or un-rename CONFIG), or accept these nodes as unaudited"});
}

severity overall(const std::vector<finding>& found, bool anything_audited) {
    severity worst = severity::ok;
    bool unknown = !anything_audited;
    for (const auto& item : found) {
        assert(is_known_finding(item));  // a new code goes into finding_codes.cpp first
        if (item.level == severity::unknown) {
            unknown = true;
        } else {
            worst = std::max(worst, item.level);
        }
    }
    // An unaudited node must not read as "ok", but must not hide a real problem either.
    return worst == severity::ok && unknown ? severity::unknown : worst;
}

}  // namespace

const std::vector<std::string>& audited_config() {
    static const std::vector<std::string> names = {
        "protected-mode",
        "bind",
        "port",
        "requirepass",
        "masterauth",
        "masteruser",
        "cluster-node-timeout",
        "cluster-migration-barrier",
        "cluster-require-full-coverage",
        "cluster-allow-reads-when-down",
        "cluster-replica-validity-factor",
        "cluster-allow-replica-migration",
        "maxmemory",
        "maxmemory-policy",
        // TLS (Redis 6+ built with TLS; older servers answer nothing, which is not an error)
        "tls-port",
        "tls-cluster",
        "tls-replication",
        "tls-auth-clients",
        "tls-protocols",
    };
    return names;
}

const std::vector<std::string>& cluster_wide_config() {
    static const std::vector<std::string> names = {
        "cluster-node-timeout",
        "cluster-migration-barrier",
        "cluster-require-full-coverage",
        "cluster-allow-reads-when-down",
        "cluster-replica-validity-factor",
        "cluster-allow-replica-migration",
        "maxmemory",
        "maxmemory-policy",
    };
    return names;
}

const std::vector<std::vector<std::string>>& dangerous_commands() {
    static const std::vector<std::vector<std::string>> commands = {
        {"CONFIG", "SET", "maxmemory", "0"},
        {"FLUSHALL"},
        {"FLUSHDB"},
        {"DEBUG", "SLEEP", "0"},
        {"KEYS", "*"},
        {"SHUTDOWN"},
        {"MIGRATE", "127.0.0.1", "6379", "key", "0", "1000"},
        {"CLUSTER", "RESET"},
    };
    return commands;
}

std::vector<acl_user> parse_acl_list(const std::vector<std::string>& lines) {
    std::vector<acl_user> users;
    for (const auto& line : lines) {
        auto words = split_spaces(line);
        if (words.size() < 2 || words[0] != "user") continue;
        acl_user user;
        user.name = std::string(words[1]);
        for (std::size_t i = 2; i < words.size(); ++i) {
            auto word = words[i];
            if (word == "on") {
                user.enabled = true;
            } else if (word == "off") {
                user.enabled = false;
            } else if (word == "nopass") {
                user.nopass = true;
            } else if (word.starts_with("#")) {
                user.password_hashes.emplace_back(word.substr(1));
            } else {
                user.rules.emplace_back(word);
            }
        }
        users.push_back(std::move(user));
    }
    return users;
}

std::map<std::string, bool> rights_from_acl_rules(const acl_user& user) {
    struct command_acl {
        const char* display;
        const char* name;
        const char* subcommand;  // "" when none
        std::vector<std::string> categories;
    };
    // Categories as Redis 6.2 assigns them (every one of these is in @dangerous).
    static const std::vector<command_acl> table = {
        {"CONFIG", "config", "set", {"admin", "slow", "dangerous"}},
        {"FLUSHALL", "flushall", "", {"keyspace", "write", "slow", "dangerous"}},
        {"FLUSHDB", "flushdb", "", {"keyspace", "write", "slow", "dangerous"}},
        {"DEBUG", "debug", "sleep", {"admin", "slow", "dangerous"}},
        {"KEYS", "keys", "", {"keyspace", "read", "slow", "dangerous"}},
        {"SHUTDOWN", "shutdown", "", {"admin", "slow", "dangerous"}},
        {"MIGRATE", "migrate", "", {"keyspace", "write", "slow", "dangerous"}},
        {"CLUSTER RESET", "cluster", "reset", {"admin", "slow", "dangerous"}},
    };
    std::map<std::string, bool> rights;
    for (const auto& command : table) {
        bool allowed = false;
        std::string name = command.name;
        std::string full = *command.subcommand ? name + "|" + command.subcommand : name;
        for (const auto& rule : user.rules) {
            if (rule == "allcommands" || rule == "+@all") {
                allowed = true;
            } else if (rule == "nocommands" || rule == "-@all") {
                allowed = false;
            } else if (rule.size() > 2 && rule[1] == '@') {
                auto category = rule.substr(2);
                if (std::find(command.categories.begin(), command.categories.end(), category) !=
                    command.categories.end()) {
                    allowed = rule[0] == '+';
                }
            } else if (rule.size() > 1 && (rule[0] == '+' || rule[0] == '-')) {
                auto target = rule.substr(1);
                std::transform(target.begin(), target.end(), target.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                if (target == name || target == full) allowed = rule[0] == '+';
            }
        }
        rights[command.display] = allowed;
    }
    return rights;
}

command_rights_method command_rights_method_for(const std::optional<server_version>& version,
                                                bool answered_acl_whoami) {
    if (!version) {
        return answered_acl_whoami ? command_rights_method::acl_dryrun
                                   : command_rights_method::renamed_commands;
    }
    auto can = capabilities_of(*version);
    if (can.acl_dryrun) return command_rights_method::acl_dryrun;
    if (can.acl) return command_rights_method::acl_rules;
    return command_rights_method::renamed_commands;
}

std::vector<std::string> users_to_check(const security_probe& probe, const audit_policy& policy) {
    if (!policy.client_users.empty()) return policy.client_users;
    std::vector<std::string> users;
    for (const auto& user : parse_acl_list(probe.acl_list)) {
        if (!user.enabled) continue;
        if (probe.acl_whoami && user.name == *probe.acl_whoami && user.name != "default") continue;
        users.push_back(user.name);
    }
    return users;
}

audit_report run_audit(const std::string& cluster_name, const topology& cluster,
                       const std::vector<security_probe>& probes, const audit_policy& policy) {
    audit_report report;
    report.cluster = cluster_name;
    auto nodes = gather(cluster, probes);
    namespace rules = audit_detail;
    rules::check_anonymous_access(nodes, report.findings);
    rules::check_protected_mode(nodes, cluster, report.findings);
    rules::check_master_auth(nodes, report.findings);
    rules::check_auth_consistency(nodes, report.findings);
    rules::check_dangerous_commands(nodes, report.findings);
    rules::check_config_drift(nodes, report.findings);
    rules::check_memory(nodes, policy.memory_threshold, report.findings);
    rules::check_tls(nodes, report.findings);
    report.nodes = describe_nodes(cluster, probes);
    add_incomplete(report.nodes, report.findings);
    std::sort(report.findings.begin(), report.findings.end(),
              [](const finding& a, const finding& b) {
                  auto rank = [](severity level) {
                      return level == severity::unknown ? 0 : static_cast<int>(level) + 1;
                  };
                  return std::make_tuple(-rank(a.level), a.code, a.nodes) <
                         std::make_tuple(-rank(b.level), b.code, b.nodes);
              });
    bool anything_read = std::any_of(probes.begin(), probes.end(),
                                     [](const security_probe& probe) { return probe.reachable; });
    report.status = overall(report.findings, anything_read);
    return report;
}

nlohmann::json audit_json(const audit_report& report) {
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& item : report.findings) findings.push_back(finding_json(item));
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& node : report.nodes) {
        nodes.push_back(
            {{"address", node.address},
             {"id", node.id.empty() ? nlohmann::json(nullptr) : nlohmann::json(node.id)},
             {"redis_version", node.redis_version.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(node.redis_version)},
             {"unknown", node.unknown}});
    }
    return {{"cluster", report.cluster},
            {"status", to_string(report.status)},
            {"findings", std::move(findings)},
            {"nodes", std::move(nodes)}};
}

std::string render_audit_json(const audit_report& report) {
    return audit_json(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string render_audit_text(const audit_report& report) {
    std::string text = fmt::format("audit of cluster {}: {} ({} node(s) read)\n", report.cluster,
                                   to_string(report.status), report.nodes.size());
    if (report.findings.empty()) return text + "no findings\n";
    for (const auto& item : report.findings) {
        text += fmt::format("  {:<8} {}: {}\n", severity_word(item.level), item.code, item.message);
        if (!item.remediation.empty())
            text += fmt::format("           fix: {}\n", item.remediation);
    }
    return text;
}

}  // namespace warden
