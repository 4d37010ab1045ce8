#include "controller/core/coordination/leadership.hpp"

#include "controller/core/coordination/maintenance.hpp"
#include "controller/core/utc_time.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

namespace warden {
namespace {

std::string cluster_prefix(std::string_view prefix, std::string_view cluster) {
    std::string out(prefix);
    if (out.empty() || out.back() != '/') out += '/';
    out += cluster;
    return out;
}

}  // namespace

std::string leader_key(std::string_view prefix, std::string_view cluster) {
    return cluster_prefix(prefix, cluster) + "/leader";
}

std::string actions_prefix(std::string_view prefix, std::string_view cluster) {
    return cluster_prefix(prefix, cluster) + "/actions/";
}

std::string action_key(std::string_view prefix, std::string_view cluster, std::int64_t unix_ms,
                       std::int64_t lease) {
    return fmt::format("{}{:020}-{:x}", actions_prefix(prefix, cluster), unix_ms,
                       static_cast<std::uint64_t>(lease));
}

cluster_lease_state after_campaign(const campaign_reply& reply, std::string_view identity,
                                   std::int64_t lease) {
    if (reply.won) return {true, reply.revision, std::string(identity)};
    if (!reply.holder) return {};  // the key vanished between compare and range: no holder
    const auto& holder = *reply.holder;
    bool ours = holder.value == identity && holder.lease == lease && lease != 0;
    return {ours, ours ? holder.create_revision : 0, holder.value};
}

std::optional<std::string> describe_change(const cluster_lease_state& before,
                                           const cluster_lease_state& after) {
    if (before == after) return std::nullopt;
    if (after.leader && !before.leader) {
        return fmt::format("became leader (key created at revision {})", after.create_revision);
    }
    if (before.leader && !after.leader) {
        return after.holder.empty() ? std::string("lost leadership: nobody holds the key")
                                    : fmt::format("lost leadership to {}", after.holder);
    }
    if (after.holder != before.holder) {
        return after.holder.empty() ? std::string("no leader at the moment")
                                    : fmt::format("leader is {}", after.holder);
    }
    return std::nullopt;  // only the revision moved: not worth a line
}

std::optional<std::string> local_fence_refusal(const cluster_lease_state& state,
                                               const lease_proof& lease, steady_time now,
                                               std::chrono::milliseconds margin) {
    if (!state.leader) {
        return state.holder.empty()
                   ? std::string("not the leader (no instance holds the lease)")
                   : fmt::format("not the leader (the lease is held by {})", state.holder);
    }
    if (lease.id == 0) return std::string("lease lost: no lease is held");
    if (now + margin > lease.valid_until) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(lease.valid_until - now);
        return fmt::format(
            "lease not proven: {} ms left since the last successful keep-alive "
            "(need {} ms)",
            left.count(), margin.count());
    }
    return std::nullopt;
}

std::optional<std::string> fence_refusal(const fence_reply& reply, std::string_view identity,
                                         std::int64_t create_revision) {
    if (reply.held) return std::nullopt;
    if (reply.maintenance) {
        auto marker = parse_marker(reply.maintenance->value);
        return "the cluster is in maintenance (" +
               (marker ? describe_marker(*marker) : std::string("unreadable marker")) + ")";
    }
    if (!reply.holder) return std::string("lease gone: the leader key no longer exists");
    const auto& holder = *reply.holder;
    if (holder.value != identity) {
        return fmt::format("lease gone: the leader key is now held by {}", holder.value);
    }
    return fmt::format("lease revision changed: leader key created at revision {}, ours was {}",
                       holder.create_revision, create_revision);
}

std::string record_json(const action_record& record) {
    nlohmann::json document = {{"who", record.who},         {"action", record.action},
                               {"node", record.node},       {"master", record.master},
                               {"what", record.what},       {"started", record.started},
                               {"outcome", record.outcome}, {"detail", record.detail}};
    document["finished"] =
        record.finished ? nlohmann::json(*record.finished) : nlohmann::json(nullptr);
    return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

result<action_record> parse_record(std::string_view text) {
    auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return error{"action record is not a JSON object"};
    }
    action_record record;
    auto text_of = [&](const char* name, std::string& into) {
        if (document.contains(name) && document[name].is_string())
            into = document[name].get<std::string>();
    };
    text_of("who", record.who);
    text_of("action", record.action);
    text_of("node", record.node);
    text_of("master", record.master);
    text_of("what", record.what);
    text_of("outcome", record.outcome);
    text_of("detail", record.detail);
    if (document.contains("started") && document["started"].is_number())
        record.started = document["started"].get<double>();
    if (document.contains("finished") && document["finished"].is_number())
        record.finished = document["finished"].get<double>();
    if (record.who.empty() || record.action.empty()) {
        return error{"action record lacks 'who' or 'action'"};
    }
    return record;
}

std::string describe_record(const action_record& record) {
    auto line = fmt::format("{} {} {} node={} master={}: {}", utc_text(record.started), record.who,
                            record.action, record.node, record.master, record.outcome);
    if (!record.detail.empty()) line += " (" + record.detail + ")";
    return line;
}

}  // namespace warden
