#include "probes/security_poll.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

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

void probe_anonymously(security_probe& probe, const security_request& request) {
    auto anonymous = redis_connection::open(probe.address, {}, request.timeout);
    if (!anonymous) {
        probe.anonymous_reply = anonymous.failure().message;
        return;
    }
    auto reply = anonymous->call({"PING"});
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

security_probe probe_node(const std::string& address, const security_request& request) {
    security_probe probe;
    probe.address = address;
    probe_anonymously(probe, request);
    auto connection = redis_connection::open(address, request.auth, request.timeout);
    if (!connection) {
        probe.error = connection.failure().message;
        return probe;
    }
    auto replies = connection->pipeline(first_round());
    if (!replies) {
        probe.error = replies.failure().message;
        return probe;
    }
    probe.reachable = true;
    bool answered_acl = take_first_round(probe, *replies);
    switch (command_rights_method_for(server_version_of(probe.info), answered_acl)) {
        case command_rights_method::acl_dryrun:
            check_rights_with_acl(probe, *connection, request);
            break;
        case command_rights_method::acl_rules:
            rights_from_rules(probe, users_to_check(probe, request.policy));
            break;
        case command_rights_method::renamed_commands:
            check_rights_by_renames(probe, *connection);
            break;
    }
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

std::vector<security_probe> probe_security(const std::vector<std::string>& addresses,
                                           const security_request& request) {
    std::vector<security_probe> probes(addresses.size());
    parallel_for(addresses.size(), request.parallel,
                 [&](std::size_t i) { probes[i] = probe_node(addresses[i], request); });
    return probes;  // every worker joined before parallel_for returned
}

}  // namespace warden::probes
