#include "probes/probe_exchange.hpp"

#include <fmt/format.h>
#include <initializer_list>

namespace warden::probes {
namespace {

constexpr std::size_t max_error_chars = 200;

void append_command(std::string& out, std::initializer_list<std::string_view> arguments) {
    out += encode_command(std::span<const std::string_view>(arguments.begin(), arguments.size()));
}

// Why CLUSTER NODES did not give a view, from its error reply.
std::string cluster_nodes_error(const probe_plan& plan, const std::vector<resp_value>& replies,
                                const resp_value& reply) {
    const std::string& text = reply.text;
    if (plan.sends_auth && replies.front().type == resp_type::error) {
        return "authentication failed: " + one_line(replies.front().text);
    }
    if (text.starts_with("NOAUTH")) {
        return "authentication required (NOAUTH): give --password-file or REDISCLI_AUTH";
    }
    if (text.find("cluster support disabled") != std::string::npos) {
        return fmt::format("cluster support disabled ({})", one_line(text));
    }
    return fmt::format("CLUSTER NODES failed: {}", one_line(text));
}

// Protected mode answers the first command with -DENIED and hangs up, whatever was sent.
bool is_denied(const std::vector<resp_value>& replies) {
    return !replies.empty() && replies.front().type == resp_type::error &&
           replies.front().text.starts_with("DENIED");
}

void take_text(std::string& field, std::vector<resp_value>& replies, std::size_t index) {
    if (index < replies.size() && replies[index].type == resp_type::string) {
        field = std::move(replies[index].text);
    }
}

}  // namespace

probe_plan plan_probe(const credentials& auth, bool cluster_info) {
    probe_plan plan;
    if (auth.password) {
        plan.sends_auth = true;
        if (auth.username) {
            append_command(plan.request, {"AUTH", *auth.username, *auth.password});
        } else {
            append_command(plan.request, {"AUTH", *auth.password});
        }
    }
    append_command(plan.request, {"CLUSTER", "NODES"});
    if (cluster_info) append_command(plan.request, {"CLUSTER", "INFO"});
    plan.sends_cluster_info = cluster_info;
    // Only the section check needs: full INFO costs each node (and warden) far more.
    append_command(plan.request, {"INFO", "replication"});
    plan.expected_replies = (plan.sends_auth ? 1 : 0) + (cluster_info ? 1 : 0) + 2;
    return plan;
}

node_probe interpret_exchange(std::string address, const probe_plan& plan,
                              exchange_outcome outcome) {
    node_probe probe;
    probe.address = std::move(address);
    auto& replies = outcome.replies;
    const std::size_t nodes_index = plan.sends_auth ? 1 : 0;
    if (is_denied(replies)) {
        probe.error = fmt::format("protected mode refused the connection ({})",
                                  one_line(replies.front().text));
    } else if (nodes_index < replies.size()) {
        const resp_value& reply = replies[nodes_index];
        if (reply.type == resp_type::string) {
            probe.reachable = true;
            probe.cluster_nodes = std::move(replies[nodes_index].text);
        } else if (reply.type == resp_type::error) {
            probe.error = cluster_nodes_error(plan, replies, reply);
        } else {
            probe.error =
                fmt::format("unexpected {} reply to CLUSTER NODES", to_string(reply.type));
        }
    } else if (plan.sends_auth && !replies.empty() && replies.front().type == resp_type::error) {
        probe.error = "authentication failed: " + one_line(replies.front().text);
    }
    const std::size_t info_index = nodes_index + (plan.sends_cluster_info ? 2 : 1);
    if (plan.sends_cluster_info) take_text(probe.cluster_info, replies, nodes_index + 1);
    take_text(probe.info, replies, info_index);
    // A reachable node that then stalled keeps its view; the error says what is missing.
    if (probe.error.empty() && outcome.failure) probe.error = *outcome.failure;
    if (replies.size() == plan.expected_replies) probe.latency_ms = outcome.latency_ms;
    return probe;
}

std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, max_error_chars)) {
        bool printable = c >= 0x20 && c < 0x7f;
        out += printable ? c : '?';
    }
    if (text.size() > max_error_chars) out += "...";
    return out;
}

}  // namespace warden::probes
