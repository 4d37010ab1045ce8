#include "controller/core/planner/fast_sync.hpp"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

namespace warden {
namespace {

std::optional<long> whole_seconds(const std::string& text) {
    long value = 0;
    auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (problem != std::errc() || end != text.data() + text.size() || value < 0) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

fast_sync_decision decide_fast_sync(bool enabled, const master_sync_settings& settings) {
    if (!enabled) return {false, {}, "heal.fast_sync is off"};
    if (!settings.diskless_sync || !settings.delay_seconds) {
        return {false,
                {},
                "the master did not answer CONFIG GET repl-diskless-sync(-delay): its sync "
                "starts after its own delay"};
    }
    if (*settings.diskless_sync != "yes") {
        return {false, {}, "repl-diskless-sync is no: the master starts its sync at once"};
    }
    auto delay = whole_seconds(*settings.delay_seconds);
    if (!delay) {
        return {false,
                {},
                fmt::format("repl-diskless-sync-delay '{}' is not a whole number of seconds",
                            *settings.delay_seconds)};
    }
    if (*delay == 0) return {false, {}, "repl-diskless-sync-delay is already 0"};
    return {true, *settings.delay_seconds,
            fmt::format("repl-diskless-sync-delay {} -> 0 on the master for the move (put back "
                        "afterwards; heal.fast_sync: false turns this off)",
                        *settings.delay_seconds)};
}

std::string ledger_text(const std::vector<pending_restore>& records) {
    auto array = nlohmann::json::array();
    for (const auto& record : records) {
        array.push_back({{"cluster", record.cluster},
                         {"node_id", record.node_id},
                         {"address", record.address},
                         {"parameter", record.parameter},
                         {"value", record.value},
                         {"lowered_to", record.lowered_to},
                         {"owner", record.owner},
                         {"since", record.since}});
    }
    return array.dump(2) + "\n";
}

result<std::vector<pending_restore>> parse_ledger(std::string_view text) {
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_array()) {
        return error{"not a JSON array of pending restores", error_kind::protocol};
    }
    std::vector<pending_restore> records;
    for (const auto& item : parsed) {
        auto text_of = [&item](const char* key) -> std::optional<std::string> {
            if (!item.is_object() || !item.contains(key) || !item[key].is_string()) {
                return std::nullopt;
            }
            return item[key].get<std::string>();
        };
        pending_restore record;
        auto cluster = text_of("cluster");
        auto node_id = text_of("node_id");
        auto address = text_of("address");
        auto parameter = text_of("parameter");
        auto value = text_of("value");
        auto lowered_to = text_of("lowered_to");
        if (!cluster || !node_id || !address || !parameter || !value || !lowered_to) {
            return error{fmt::format("record {} lacks cluster, node_id, address, parameter, value "
                                     "or lowered_to",
                                     records.size() + 1),
                         error_kind::protocol};
        }
        record.cluster = *cluster;
        record.node_id = *node_id;
        record.address = *address;
        record.parameter = *parameter;
        record.value = *value;
        record.lowered_to = *lowered_to;
        record.owner = text_of("owner").value_or("");
        if (item.contains("since") && item["since"].is_number()) {
            record.since = item["since"].get<double>();
        }
        records.push_back(std::move(record));
    }
    return records;
}

bool restore_due(const pending_restore& record, std::string_view cluster,
                 std::string_view this_owner, bool this_process_acting, bool owner_alive) {
    if (record.cluster != cluster) return false;
    if (record.owner == this_owner) return !this_process_acting;
    return !owner_alive;
}

restore_verdict judge_restore(const pending_restore& record, std::string_view answering_id,
                              std::string_view current_value) {
    if (answering_id != record.node_id) return restore_verdict::drop_moved;
    if (current_value != record.lowered_to) return restore_verdict::drop_changed;
    return restore_verdict::set;
}

}  // namespace warden
