#include "controller/executor/slot_closing.hpp"

#include <fmt/format.h>

#include "controller/executor/key_movers.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

using probes::redis_connection;
using probes::resp_type;

// Target: STABLE, then how many keys of the slot it holds.
result<long long> stabilize_target(redis_connection& target, int slot) {
    auto replies = target.pipeline(
        {setslot(slot, "STABLE", ""), {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}});
    if (auto stable = expect_ok(replies, "SETSLOT STABLE", target.address()); !stable) {
        return stable.failure();
    }
    return replies->back().integer;
}

}  // namespace

std::string slot_list(const std::vector<int>& slots) {
    std::string text;
    for (std::size_t i = 0; i < slots.size();) {
        std::size_t end = i;
        while (end + 1 < slots.size() && slots[end + 1] == slots[end] + 1) ++end;
        if (!text.empty()) text += ",";
        text += end == i ? std::to_string(slots[i]) : fmt::format("{}-{}", slots[i], slots[end]);
        i = end + 1;
    }
    return text;
}

error joined(const std::vector<error>& troubles) {
    error all{troubles.front().message, troubles.front().kind};
    for (std::size_t i = 1; i < troubles.size(); ++i) {
        all.message += "; " + troubles[i].message;
        if (troubles[i].kind != all.kind) all.kind = error_kind::unspecified;
    }
    return all;
}

result<void> assign_slots(const std::vector<int>& slots, const slot_ends& ends, pair_link& link,
                          const master_directory& masters, const mover_settings& settings) {
    auto nodes = setslots(slots, "NODE", ends.target_id);
    auto on_target = expect_ok(link.target.pipeline(nodes), "SETSLOT NODE", link.target.address());
    if (!on_target) return on_target;
    auto on_source = expect_ok(link.source.pipeline(nodes), "SETSLOT NODE", link.source.address());
    if (!on_source) return on_source;
    for (const auto& [id, address] : masters) {
        if (id == ends.target_id || id == ends.source_id) continue;
        auto other = redis_connection::open(address, settings.auth, settings.timeout);
        if (!other) return other.failure();
        auto on_other = expect_ok(other->pipeline(nodes), "SETSLOT NODE", address);
        if (!on_other) return on_other;
    }
    return {};
}

result<void> finish_slot(int slot, const slot_ends& ends, move_method method,
                         const master_directory& masters, const mover_settings& settings,
                         mover_progress& progress, const mover_log& log) {
    auto link = connect_pair(ends.source_address, ends.target_address, settings);
    if (!link) return link.failure();
    // A target that already took the slot (a run killed between SETSLOT NODE on the target
    // and on the source) says "already the owner": it accepts the keys anyway.
    auto importing = link->target.call(setslot(slot, "IMPORTING", ends.source_id));
    if (!importing) return importing.failure();
    if (importing->type == resp_type::error &&
        importing->text.find("already the owner") == std::string::npos) {
        return error{fmt::format("{}: SETSLOT IMPORTING refused: {}", link->target.address(),
                                 probes::one_line(importing->text)),
                     error_kind::reply};
    }
    slot_job job{slot, true};  // the source's copy is the current one
    long long moved = 0;
    auto keys = move_slot_keys(method, *link, job, settings, progress, log, moved);
    if (!keys && method == move_method::migrate) {
        log(fmt::format("slot {}: MIGRATE failed ({}); moving the rest client-side", slot,
                        keys.failure().message));
        keys = move_slot_keys(move_method::client, *link, job, settings, progress, log, moved);
    }
    if (!keys) return keys;
    return assign_slots({slot}, ends, *link, masters, settings);
}

result<void> close_unstarted(const std::vector<int>& slots,
                             const std::vector<long long>& keys_before, const slot_ends& ends,
                             const master_directory& masters, const mover_settings& settings,
                             mover_progress& progress, const mover_log& log) {
    if (slots.empty()) return {};
    auto link = connect_pair(ends.source_address, ends.target_address, settings);
    if (!link) {
        return prefixed(fmt::format("slot(s) {} left open", slot_list(slots)), link.failure());
    }
    std::vector<int> closed;
    std::vector<error> troubles;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        int slot = slots[i];
        auto held = stabilize_target(link->target, slot);
        if (!held) {
            troubles.push_back(prefixed(fmt::format("slot {}", slot), held.failure()));
            continue;
        }
        if (*held > keys_before[i]) {
            log(
                fmt::format("slot {}: clients wrote {} key(s) to the target meanwhile: finishing "
                            "it forward",
                            slot, *held - keys_before[i]));
            auto finished =
                finish_slot(slot, ends, move_method::client, masters, settings, progress, log);
            if (!finished) {
                troubles.push_back(prefixed(fmt::format("slot {}", slot), finished.failure()));
            }
            continue;
        }
        auto stable = expect_ok(link->source.pipeline({setslot(slot, "STABLE", "")}),
                                "SETSLOT STABLE", link->source.address());
        if (!stable) {
            troubles.push_back(prefixed(fmt::format("slot {}", slot), stable.failure()));
            continue;
        }
        closed.push_back(slot);
    }
    if (!closed.empty()) {
        log(fmt::format("slot(s) {}: no key had moved; set STABLE again on {} and {}",
                        slot_list(closed), ends.source_address, ends.target_address));
    }
    if (troubles.empty()) return {};
    return prefixed("left open", joined(troubles));
}

}  // namespace warden::executor
