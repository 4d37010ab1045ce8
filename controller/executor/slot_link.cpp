#include "controller/executor/slot_link.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "probes/probe_exchange.hpp"

namespace warden::executor {

using probes::resp_type;

result<pair_link> connect_pair(const std::string& source, const std::string& target,
                               const mover_settings& settings) {
    auto target_endpoint = parse_endpoint(target);
    if (!target_endpoint) return target_endpoint.failure();
    auto source_timeout = std::max(settings.timeout, settings.migrate_timeout * 11);
    auto source_connection = probes::redis_connection::open(source, settings.auth, source_timeout);
    if (!source_connection) return source_connection.failure();
    auto target_connection =
        probes::redis_connection::open(target, settings.auth, settings.timeout);
    if (!target_connection) return target_connection.failure();
    return pair_link{std::move(*source_connection), std::move(*target_connection),
                     *target_endpoint};
}

result<void> expect_ok(const result<std::vector<probes::resp_value>>& replies,
                       const std::string& what, const std::string& address) {
    if (!replies) return replies.failure();
    for (const auto& reply : *replies) {
        if (reply.type == resp_type::error) {
            return error{
                fmt::format("{}: {} refused: {}", address, what, probes::one_line(reply.text)),
                error_kind::reply};
        }
    }
    return {};
}

probes::command setslot(int slot, const char* state, const std::string& id) {
    probes::command out{"CLUSTER", "SETSLOT", std::to_string(slot), state};
    if (!id.empty()) out.push_back(id);
    return out;
}

std::vector<probes::command> setslots(const std::vector<int>& slots, const char* state,
                                      const std::string& id) {
    std::vector<probes::command> out;
    for (int slot : slots) out.push_back(setslot(slot, state, id));
    return out;
}

bool is_redirect(const probes::resp_value& reply) {
    return reply.type == resp_type::error &&
           (reply.text.starts_with("ASK ") || reply.text.starts_with("TRYAGAIN") ||
            reply.text.starts_with("MOVED "));
}

}  // namespace warden::executor
