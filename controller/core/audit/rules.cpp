// The audit's checks, one function per finding code, over what the security poll read.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "controller/core/audit/audit_detail.hpp"
#include "controller/core/health/finding_codes.hpp"
#include "controller/core/parse/text_fields.hpp"

namespace warden::audit_detail {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

std::vector<std::string> keys_of(const std::vector<const audited_node*>& nodes) {
    std::vector<std::string> keys;
    for (const auto* node : nodes) keys.push_back(node->key);
    return keys;
}

std::vector<std::string> addresses_of(const std::vector<const audited_node*>& nodes) {
    std::vector<std::string> addresses;
    for (const auto* node : nodes) addresses.push_back(node->probe->address);
    return addresses;
}

int major_version(const audited_node& node) {
    auto version = find_field(node.info, "redis_version");
    if (!version) return 0;
    return parse_integer<int>(version->substr(0, version->find('.'))).value_or(0);
}

std::size_t distinct_hosts(const topology& cluster) {
    std::set<std::string> hosts;
    for (const auto& node : cluster.nodes) {
        if (!node.id.empty()) hosts.insert(node.host);
    }
    return hosts.size();
}

// What a user needs to authenticate, as one node knows it.
struct credential {
    bool known = false;
    bool exists = true;
    bool enabled = true;
    bool nopass = false;
    std::vector<std::string> hashes;

    std::string signature() const {
        if (!exists) return "absent";
        if (!enabled) return "off";
        if (nopass) return "nopass";
        auto sorted = hashes;
        std::sort(sorted.begin(), sorted.end());
        return join(sorted, ",");
    }
};

credential credential_of(const audited_node& node, const std::string& user) {
    credential found;
    if (!node.users.empty()) {
        found.known = true;
        auto match = std::find_if(node.users.begin(), node.users.end(),
                                  [&](const acl_user& each) { return each.name == user; });
        if (match == node.users.end()) {
            found.exists = false;
            return found;
        }
        found.enabled = match->enabled;
        found.nopass = match->nopass;
        found.hashes = match->password_hashes;
        return found;
    }
    if (user != "default") return found;  // before ACLs there is only the default user
    auto requirepass = config_value(node, "requirepass");
    if (!requirepass) return found;
    found.known = true;
    found.nopass = requirepass->empty();
    if (!found.nopass) found.hashes.push_back(requirepass->substr(std::string("sha256:").size()));
    return found;
}

}  // namespace

std::optional<std::string> config_value(const audited_node& node, const std::string& name) {
    auto found = node.probe->config.find(name);
    if (found == node.probe->config.end()) return std::nullopt;
    return found->second;
}

void check_anonymous_access(const std::vector<audited_node>& nodes, findings& out) {
    std::vector<const audited_node*> open;
    for (const auto& node : nodes) {
        if (node.probe->anonymous_reply == "PONG") open.push_back(&node);
    }
    if (open.empty()) return;
    out.push_back(
        {finding_code::auth_disabled, severity::critical, keys_of(open),
         fmt::format("{} node(s) answer commands without any credentials ({}): anyone who can "
                     "reach them can read, overwrite or FLUSHALL the data, and protected mode "
                     "may refuse every non-loopback client",
                     open.size(), join(addresses_of(open))),
         "on every node: CONFIG SET requirepass <secret>; CONFIG SET masterauth <secret>; "
         "CONFIG REWRITE (or ACL SETUSER default on ><secret>, and masteruser/masterauth for "
         "replication); then give clients the password"});
}

void check_protected_mode(const std::vector<audited_node>& nodes, const topology& cluster,
                          findings& out) {
    std::vector<const audited_node*> observed;
    std::vector<const audited_node*> predicted;
    for (const auto& node : nodes) {
        if (node.probe->anonymous_reply.starts_with("DENIED")) {
            observed.push_back(&node);
            continue;
        }
        if (config_value(node, "protected-mode") != "yes") continue;
        auto open_default = credential_of(node, "default");
        if (!open_default.known || !open_default.nopass || !open_default.enabled) continue;
        int major = major_version(node);
        auto bind = config_value(node, "bind");
        // Redis 7 denies non-loopback clients whatever bind says; 3.2-6.x only without bind.
        if (major >= 7 || (major > 0 && bind && bind->empty())) predicted.push_back(&node);
    }
    if (observed.empty() && predicted.empty()) return;
    auto affected = observed;
    affected.insert(affected.end(), predicted.begin(), predicted.end());
    std::string seen = observed.empty()
                           ? ""
                           : fmt::format(" warden's own connection got -DENIED from {};",
                                         join(addresses_of(observed)));
    std::string replicas =
        distinct_hosts(cluster) > 1
            ? " This cluster spans several hosts, so replicas syncing from another host are "
              "refused too and cannot fail over."
            : "";
    out.push_back(
        {finding_code::protected_mode_blocks_clients, severity::critical, keys_of(affected),
         fmt::format("protected-mode is on and the default user has no password on {}:{} Redis "
                     "7 then answers every client that is not on loopback (127.0.0.1/::1) with "
                     "-DENIED, whatever bind says (3.2-6.x: when no bind is set).{}",
                     join(addresses_of(affected)), seen, replicas),
         "set a password (CONFIG SET requirepass <secret>; CONFIG SET masterauth <secret>; "
         "CONFIG REWRITE) and give it to clients; only on a network no one else can reach: "
         "CONFIG SET protected-mode no; CONFIG REWRITE"});
}

void check_master_auth(const std::vector<audited_node>& nodes, findings& out) {
    for (const auto& replica : nodes) {
        if (replica.node == nullptr || replica.node->role != node_role::replica ||
            !replica.node->master_id) {
            continue;
        }
        auto master = std::find_if(nodes.begin(), nodes.end(), [&](const audited_node& each) {
            return each.node != nullptr && each.node->id == *replica.node->master_id;
        });
        if (master == nodes.end()) continue;
        auto masteruser = config_value(replica, "masteruser").value_or("");
        auto masterauth = config_value(replica, "masterauth");
        if (!masterauth) continue;  // unreadable: reported as unknown
        auto user = masteruser.empty() ? std::string("default") : masteruser;
        auto needed = credential_of(*master, user);
        if (!needed.known || (needed.exists && needed.enabled && needed.nopass)) continue;
        std::string problem;
        if (!needed.exists || !needed.enabled) {
            problem =
                fmt::format("its masteruser '{}' does not exist or is off on the master", user);
        } else if (masterauth->empty()) {
            problem = "it has no masterauth but the master requires a password";
        } else if (std::find(needed.hashes.begin(), needed.hashes.end(),
                             masterauth->substr(std::string("sha256:").size())) ==
                   needed.hashes.end()) {
            problem =
                fmt::format("its masterauth is not a password of user '{}' on the master", user);
        } else {
            continue;
        }
        std::string link = replica.node->master_link_up == false
                               ? "confirmed: master_link_status:down, so it cannot resync or "
                                 "fail over"
                               : "its link is up for now, but the next resync will fail";
        out.push_back({finding_code::masterauth_mismatch,
                       severity::critical,
                       {replica.key, master->key},
                       fmt::format("replica {} cannot authenticate to its master {}: {}; {}",
                                   replica.probe->address, master->probe->address, problem, link),
                       fmt::format("on {}: CONFIG SET masterauth <the master's password>{}; CONFIG "
                                   "REWRITE",
                                   replica.probe->address,
                                   masteruser.empty() ? "" : " (or fix masteruser)")});
    }
}

void check_auth_consistency(const std::vector<audited_node>& nodes, findings& out) {
    std::set<std::string> users{"default"};
    for (const auto& node : nodes) {
        for (const auto& user : node.users) users.insert(user.name);
    }
    std::vector<std::string> differing;
    std::set<const audited_node*> involved;
    for (const auto& user : users) {
        std::map<std::string, std::vector<const audited_node*>> groups;
        for (const auto& node : nodes) {
            auto wanted = credential_of(node, user);
            if (wanted.known) groups[wanted.signature()].push_back(&node);
        }
        if (groups.size() < 2) continue;
        // Listed by their first node's address (digest order would look random).
        std::vector<std::pair<std::string, std::vector<const audited_node*>>> ordered(
            groups.begin(), groups.end());
        std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
            return a.second.front()->probe->address < b.second.front()->probe->address;
        });
        std::vector<std::string> parts;
        for (const auto& [signature, members] : ordered) {
            // Signatures hold password digests: describe them, never print them.
            std::string what = signature == "nopass"   ? "no password"
                               : signature == "absent" ? "no such user"
                               : signature == "off"    ? "user off"
                                                       : "one password";
            parts.push_back(fmt::format("{} on {}", what, join(addresses_of(members))));
            involved.insert(members.begin(), members.end());
        }
        differing.push_back(fmt::format("user '{}': {}", user, join(parts, "; ")));
    }
    if (differing.empty()) return;
    std::vector<const audited_node*> affected(involved.begin(), involved.end());
    std::sort(affected.begin(), affected.end(),
              [](const auto* a, const auto* b) { return a->key < b->key; });
    out.push_back({finding_code::auth_inconsistent, severity::warning, keys_of(affected),
                   fmt::format("nodes of this cluster require different credentials ({}): "
                               "clients and replicas authenticate to some nodes and not others, "
                               "and a failover can lock them out",
                               join(differing, " | ")),
                   "set the same password (requirepass/masterauth, or the same ACL users) on "
                   "every node: CONFIG SET requirepass <secret>; CONFIG SET masterauth <secret>; "
                   "CONFIG REWRITE"});
}

void check_dangerous_commands(const std::vector<audited_node>& nodes, findings& out) {
    std::map<std::string, std::set<std::string>> commands_by_user;
    std::map<std::string, std::vector<const audited_node*>> nodes_by_user;
    for (const auto& node : nodes) {
        for (const auto& [user, rights] : node.probe->command_rights) {
            bool any = false;
            for (const auto& [command, allowed] : rights) {
                if (!allowed) continue;
                commands_by_user[user].insert(command);
                any = true;
            }
            if (any) nodes_by_user[user].push_back(&node);
        }
    }
    for (const auto& [user, commands] : commands_by_user) {
        std::vector<std::string> names(commands.begin(), commands.end());
        const auto& where = nodes_by_user[user];
        out.push_back({finding_code::dangerous_commands_exposed, severity::warning, keys_of(where),
                       fmt::format("user '{}' can run {} on {} node(s) ({}): one mistaken or "
                                   "hostile client can wipe or reconfigure the cluster",
                                   user, join(names), where.size(), join(addresses_of(where))),
                       fmt::format("on every node: ACL SETUSER {} -@dangerous (then allow back "
                                   "only what clients need); ACL SAVE or CONFIG REWRITE. Before "
                                   "Redis 6: rename-command in redis.conf",
                                   user)});
    }
}

void check_config_drift(const std::vector<audited_node>& nodes, findings& out) {
    for (const auto& name : cluster_wide_config()) {
        std::map<std::string, std::vector<const audited_node*>> by_value;
        for (const auto& node : nodes) {
            if (auto value = config_value(node, name)) by_value[*value].push_back(&node);
        }
        if (by_value.size() < 2) continue;
        auto common = std::max_element(
            by_value.begin(), by_value.end(),
            [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
        std::vector<std::string> parts;
        std::vector<const audited_node*> odd;
        std::vector<const audited_node*> all;
        for (const auto& [value, members] : by_value) {
            parts.push_back(fmt::format("{} on {}", value.empty() ? "\"\"" : value,
                                        join(addresses_of(members))));
            all.insert(all.end(), members.begin(), members.end());
            if (value != common->first) odd.insert(odd.end(), members.begin(), members.end());
        }
        out.push_back(
            {finding_code::config_inconsistent, severity::warning, keys_of(odd),
             fmt::format("{} differs across the cluster: {}", name, join(parts, "; ")),
             fmt::format("on {}: CONFIG SET {} {}; CONFIG REWRITE", join(addresses_of(odd)), name,
                         common->first.empty() ? "\"\"" : common->first)});
    }
}

void check_memory(const std::vector<audited_node>& nodes, double threshold, findings& out) {
    for (const auto& node : nodes) {
        auto limit = config_value(node, "maxmemory");
        auto policy = config_value(node, "maxmemory-policy");
        auto used_text = find_field(node.info, "used_memory");
        if (!limit) continue;
        auto max_bytes = parse_integer<std::int64_t>(*limit).value_or(0);
        if (max_bytes == 0) {
            if (policy && *policy != "noeviction") {
                out.push_back(
                    {finding_code::memory_near_limit,
                     severity::warning,
                     {node.key},
                     fmt::format("{} has maxmemory-policy {} but no maxmemory: as a cache it "
                                 "never evicts and grows until the kernel kills it",
                                 node.probe->address, *policy),
                     fmt::format("on {}: CONFIG SET maxmemory <bytes, e.g. 75% of RAM>; CONFIG "
                                 "REWRITE",
                                 node.probe->address)});
            }
            continue;
        }
        auto used = used_text ? parse_integer<std::int64_t>(*used_text) : std::nullopt;
        if (!used || static_cast<double>(*used) <= threshold * static_cast<double>(max_bytes)) {
            continue;
        }
        out.push_back(
            {finding_code::memory_near_limit,
             severity::warning,
             {node.key},
             fmt::format("{} uses {:.0f}% of maxmemory ({} of {} bytes): {}", node.probe->address,
                         100.0 * static_cast<double>(*used) / static_cast<double>(max_bytes), *used,
                         max_bytes,
                         policy == "noeviction" ? "writes will fail with OOM soon"
                                                : "evictions are dropping keys"),
             fmt::format("on {}: raise maxmemory (CONFIG SET maxmemory <bytes>; CONFIG REWRITE) "
                         "or add masters and rebalance",
                         node.probe->address)});
    }
}

namespace {

// A node serving TLS: its tls-port is set (CONFIG GET answers nothing before Redis 6 or
// without TLS built in, and "0" when TLS is off).
bool serves_tls(const audited_node& node) {
    auto port = config_value(node, "tls-port");
    return port && !port->empty() && *port != "0";
}

// The TLS nodes whose `name` is one of `values` ("tls-cluster" "no"...), with the value.
std::vector<const audited_node*> tls_nodes_where(const std::vector<audited_node>& nodes,
                                                 const std::string& name,
                                                 const std::set<std::string>& values) {
    std::vector<const audited_node*> matching;
    for (const auto& node : nodes) {
        auto value = config_value(node, name);
        if (serves_tls(node) && value && values.contains(*value)) matching.push_back(&node);
    }
    return matching;
}

bool allows_legacy_protocol(const std::string& protocols) {
    bool legacy = false;
    for_each_piece(protocols, ' ', [&legacy](std::string_view protocol) {
        legacy = legacy || protocol == "TLSv1" || protocol == "TLSv1.1";
        return !legacy;
    });
    return legacy;
}

void add_tls_finding(const char* code, const std::vector<const audited_node*>& nodes,
                     const std::string& problem, const std::string& remediation, findings& out) {
    if (nodes.empty()) return;
    out.push_back(
        {code, severity::warning, keys_of(nodes),
         fmt::format("{} node(s) ({}): {}", nodes.size(), join(addresses_of(nodes)), problem),
         remediation});
}

}  // namespace

void check_tls(const std::vector<audited_node>& nodes, findings& out) {
    std::vector<const audited_node*> plaintext_open;
    std::vector<const audited_node*> legacy;
    for (const auto& node : nodes) {
        if (!serves_tls(node)) continue;
        auto port = config_value(node, "port");
        if (port && *port != "0") plaintext_open.push_back(&node);
        auto protocols = config_value(node, "tls-protocols");
        if (protocols && allows_legacy_protocol(*protocols)) legacy.push_back(&node);
    }
    add_tls_finding(finding_code::plaintext_port_open, plaintext_open,
                    "serve TLS on tls-port but keep the plaintext port open: any client, and "
                    "anyone on the path, can still talk to them in clear",
                    "move every client to the TLS port, then on each node: CONFIG SET port 0; "
                    "CONFIG REWRITE",
                    out);
    add_tls_finding(finding_code::tls_bus_plaintext, tls_nodes_where(nodes, "tls-cluster", {"no"}),
                    "tls-cluster no: cluster bus gossip, and the keys MIGRATE moves between "
                    "nodes, travel in clear",
                    "on every node: CONFIG SET tls-cluster yes; CONFIG REWRITE (nodes then "
                    "announce their TLS ports to TLS clients)",
                    out);
    add_tls_finding(finding_code::tls_replication_plaintext,
                    tls_nodes_where(nodes, "tls-replication", {"no"}),
                    "tls-replication no: replicas copy the whole data set from their master "
                    "in clear",
                    "on every node: CONFIG SET tls-replication yes; CONFIG REWRITE (a replica "
                    "reconnects to its master over TLS)",
                    out);
    add_tls_finding(finding_code::tls_client_auth_off,
                    tls_nodes_where(nodes, "tls-auth-clients", {"no", "optional"}),
                    "tls-auth-clients is not yes: a client needs no certificate from the CA, so "
                    "TLS authenticates only the server",
                    "give every client a certificate from the CA, then on each node: CONFIG SET "
                    "tls-auth-clients yes; CONFIG REWRITE",
                    out);
    add_tls_finding(finding_code::tls_legacy_protocols, legacy,
                    "tls-protocols allows TLSv1 or TLSv1.1, deprecated protocols with known "
                    "weaknesses (RFC 8996)",
                    "on each node: CONFIG SET tls-protocols \"TLSv1.2 TLSv1.3\"; CONFIG REWRITE",
                    out);
}

}  // namespace warden::audit_detail
