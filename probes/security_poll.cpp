#include "probes/security_poll.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "controller/core/audit/sha256.hpp"
#include "controller/core/compat/server_version.hpp"
#include "probes/connection.hpp"
#include "probes/parallel.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::probes {
namespace {

bool is_secret(const std::string& name) {
    return name == "requirepass" || name == "masterauth";
}

// Only a fallback for a node whose INFO is denied: 3.2 says "unknown command 'ACL'", 4.0-5.0
// "unknown command `ACL`, with args...", 6.x "Unknown subcommand ... 'DRYRUN'" (capital U),
// 7.0 "unknown subcommand 'DRYRUN'".
bool unknown_command(const resp_value& reply) {
    if (reply.type != resp_type::error) return false;
    std::string lower = reply.text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char letter) { return static_cast<char>(std::tolower(letter)); });
    return lower.find("unknown command") != std::string::npos ||
           lower.find("unknown subcommand") != std::string::npos;
}

void note_unreadable(security_probe& probe, const std::string& what, const resp_value& reply) {
    auto line = fmt::format("{}: {}", what, one_line(reply.text));
    if (std::find(probe.unreadable.begin(), probe.unreadable.end(), line) ==
        probe.unreadable.end()) {
        probe.unreadable.push_back(line);
    }
}

std::string display_name(const std::vector<std::string>& command) {
    if (command[0] == "CLUSTER" && command.size() > 1) {
        return command[0] + " " + command[1];
    }
    return command[0];
}

// Warden's own connection before it authenticates: the first reply to PING, as a client
// without credentials would see it.
void ask_anonymously(security_probe& probe, redis_connection& connection) {
    auto reply = connection.call({"PING"});
    if (!reply) {
        // Protected mode answers -DENIED; the audit wants the server's own words.
        const auto& message = reply.failure().message;
        auto denied = message.find("DENIED");
        probe.anonymous_reply =
            reply.failure().kind == error_kind::denied && denied != std::string::npos
                ? message.substr(denied)
                : message;
        return;
    }
    probe.anonymous_reply = reply->type == resp_type::status ? reply->text : one_line(reply->text);
    if (probe.anonymous_reply.starts_with("NOAUTH")) probe.anonymous_reply = "NOAUTH";
}

// A kept connection put back into a new client's state: RESET (Redis 6.2+) deauthenticates
// it as if it had just connected. False before 6.2 or when the server closed it meanwhile.
bool reset_as_new(redis_connection& connection) {
    auto reply = connection.call({"RESET"});
    return reply && reply->type == resp_type::status && reply->text == "RESET";
}

// The node's connection, asked anonymously (probe.anonymous_reply) and then authenticated:
// the kept one when it can be reset, else a new one. An unauthenticated connection's rights
// are fixed when it connects (or is RESET), so only such a one tells what a new client may do.
result<redis_connection> ready_connection(security_probe& probe, const security_request& request,
                                          std::optional<redis_connection> connection) {
    // A kept one that cannot be reset (before 6.2, or closed meanwhile) is replaced.
    if (connection && !(connection->usable() && reset_as_new(*connection))) connection.reset();
    if (!connection) {
        auto opened =
            redis_connection::open(probe.address, request.auth.anonymous(), request.timeout);
        if (!opened) {
            probe.anonymous_reply = opened.failure().message;
            return opened.failure();
        }
        connection = std::move(*opened);
    }
    ask_anonymously(probe, *connection);
    if (!connection->usable() || probe.anonymous_reply.starts_with("DENIED")) {
        // Refused or closed by the server: what an authenticated client meets is a new
        // connection's business (protected mode denies it just the same).
        return redis_connection::open(probe.address, request.auth, request.timeout);
    }
    if (auto authenticated = connection->authenticate(request.auth); !authenticated) {
        return authenticated.failure();
    }
    return std::move(*connection);
}

std::vector<command> first_round() {
    std::vector<command> commands;
    for (const auto& name : audited_config()) commands.push_back({"CONFIG", "GET", name});
    commands.push_back({"INFO", "server"});
    commands.push_back({"INFO", "memory"});
    commands.push_back({"INFO", "replication"});
    commands.push_back({"ACL", "WHOAMI"});
    commands.push_back({"ACL", "LIST"});
    return commands;
}

// Returns whether the node answered ACL WHOAMI (Redis 6+, and the right to run it).
bool take_first_round(security_probe& probe, std::vector<resp_value>& replies) {
    const auto& names = audited_config();
    for (std::size_t i = 0; i < names.size(); ++i) take_config_reply(probe, names[i], replies[i]);
    auto at = names.size();
    for (int section = 0; section < 3; ++section, ++at) {
        if (replies[at].type == resp_type::string) {
            probe.info += replies[at].text;
        } else {
            note_unreadable(probe, "INFO", replies[at]);
        }
    }
    const auto& whoami = replies[at];
    const auto& list = replies[at + 1];
    if (unknown_command(whoami)) return false;
    if (whoami.type == resp_type::string || whoami.type == resp_type::status) {
        probe.acl_whoami = whoami.text;
    } else {
        note_unreadable(probe, "ACL WHOAMI", whoami);
    }
    if (list.type == resp_type::array) {
        for (const auto& line : list.elements) probe.acl_list.push_back(line.text);
    } else {
        note_unreadable(probe, "ACL LIST", list);
    }
    return true;
}

// Redis 6: judge each user's ACL LIST rules instead of asking the server.
void rights_from_rules(security_probe& probe, const std::vector<std::string>& users) {
    probe.command_rights.clear();
    if (users.empty()) return;
    if (probe.acl_list.empty()) {
        probe.unreadable.push_back("ACL LIST: needed for command rights before Redis 7");
        return;
    }
    for (const auto& user : parse_acl_list(probe.acl_list)) {
        if (std::find(users.begin(), users.end(), user.name) != users.end()) {
            probe.command_rights[user.name] = rights_from_acl_rules(user);
        }
    }
}

void check_rights_with_acl(security_probe& probe, redis_connection& connection,
                           const security_request& request) {
    auto users = users_to_check(probe, request.policy);
    if (users.empty()) return;
    std::vector<command> commands;
    for (const auto& user : users) {
        for (const auto& dangerous : dangerous_commands()) {
            command dryrun{"ACL", "DRYRUN", user};
            dryrun.insert(dryrun.end(), dangerous.begin(), dangerous.end());
            commands.push_back(std::move(dryrun));
        }
    }
    auto replies = connection.pipeline(commands);
    if (!replies) {
        probe.unreadable.push_back("ACL DRYRUN: " + replies.failure().message);
        return;
    }
    std::size_t at = 0;
    for (const auto& user : users) {
        for (const auto& dangerous : dangerous_commands()) {
            const auto& reply = (*replies)[at++];
            if (reply.type == resp_type::status && reply.text == "OK") {
                probe.command_rights[user][display_name(dangerous)] = true;
            } else if (reply.type == resp_type::string) {
                probe.command_rights[user][display_name(dangerous)] = false;  // the reason
            } else if (unknown_command(reply)) {
                rights_from_rules(probe, users);  // INFO denied and no DRYRUN: Redis 6
                return;
            } else if (reply.text.find("not found") == std::string::npos) {
                note_unreadable(probe, "ACL DRYRUN", reply);
            }
        }
    }
}

// Before ACLs every authenticated client may run every command not renamed away.
void check_rights_by_renames(security_probe& probe, redis_connection& connection) {
    std::vector<command> commands;
    for (const auto& dangerous : dangerous_commands()) {
        commands.push_back({"COMMAND", "INFO", dangerous[0]});
    }
    auto replies = connection.pipeline(commands);
    if (!replies) {
        probe.unreadable.push_back("COMMAND INFO: " + replies.failure().message);
        return;
    }
    for (std::size_t i = 0; i < replies->size(); ++i) {
        const auto& reply = (*replies)[i];
        if (reply.type != resp_type::array) {
            note_unreadable(probe, "COMMAND INFO", reply);
            continue;
        }
        bool present = !reply.elements.empty() && reply.elements[0].type != resp_type::nil;
        probe.command_rights["default"][display_name(dangerous_commands()[i])] = present;
    }
}

void read_security(security_probe& probe, redis_connection& connection,
                   const security_request& request) {
    auto replies = connection.pipeline(first_round());
    if (!replies) {
        probe.error = replies.failure().message;
        return;
    }
    probe.reachable = true;
    bool answered_acl = take_first_round(probe, *replies);
    switch (command_rights_method_for(server_version_of(probe.info), answered_acl)) {
        case command_rights_method::acl_dryrun:
            check_rights_with_acl(probe, connection, request);
            break;
        case command_rights_method::acl_rules:
            rights_from_rules(probe, users_to_check(probe, request.policy));
            break;
        case command_rights_method::renamed_commands:
            check_rights_by_renames(probe, connection);
            break;
    }
}

security_probe probe_node(const std::string& address, const security_request& request,
                          security_links* links) {
    security_probe probe;
    probe.address = address;
    auto connection = ready_connection(probe, request, links ? links->take(address) : std::nullopt);
    if (!connection) {
        probe.error = connection.failure().message;
        return probe;
    }
    read_security(probe, *connection, request);
    if (links != nullptr && connection->usable()) links->keep(address, std::move(*connection));
    return probe;
}

}  // namespace

void take_config_reply(security_probe& probe, const std::string& name, const resp_value& reply) {
    if (reply.type == resp_type::error) {
        note_unreadable(probe, "CONFIG GET", reply);
        return;
    }
    if (reply.type != resp_type::array || reply.elements.size() < 2) return;  // not in version
    std::string value = reply.elements[1].text;
    if (is_secret(name) && !value.empty()) {
        auto digest = "sha256:" + sha256_hex(value);
        std::fill(value.begin(), value.end(), '\0');
        value = digest;
    }
    probe.config[name] = std::move(value);
}

std::optional<redis_connection> security_links::take(const std::string& address) {
    std::lock_guard lock(mutex_);
    auto found = kept_.find(address);
    if (found == kept_.end()) return std::nullopt;
    auto connection = std::move(found->second);
    kept_.erase(found);
    return connection;
}

void security_links::keep(const std::string& address, redis_connection connection) {
    std::lock_guard lock(mutex_);
    kept_.insert_or_assign(address, std::move(connection));
}

void security_links::keep_only(const std::vector<std::string>& addresses) {
    std::set<std::string> wanted(addresses.begin(), addresses.end());
    std::lock_guard lock(mutex_);
    std::erase_if(kept_, [&wanted](const auto& entry) { return !wanted.contains(entry.first); });
}

std::size_t security_links::size() const {
    std::lock_guard lock(mutex_);
    return kept_.size();
}

std::vector<security_probe> probe_security(const std::vector<std::string>& addresses,
                                           const security_request& request, security_links* links) {
    std::vector<security_probe> probes(addresses.size());
    parallel_for(addresses.size(), request.parallel,
                 [&](std::size_t i) { probes[i] = probe_node(addresses[i], request, links); });
    if (links != nullptr) links->keep_only(addresses);  // nodes gone from the cluster
    return probes;  // every worker joined before parallel_for returned
}

}  // namespace warden::probes
