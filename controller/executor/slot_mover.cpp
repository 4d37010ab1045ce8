#include "controller/executor/slot_mover.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "controller/core/compat/server_version.hpp"
#include "controller/executor/key_movers.hpp"
#include "controller/executor/slot_closing.hpp"
#include "probes/connection.hpp"
#include "probes/parallel.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

using probes::redis_connection;
using probes::resp_type;

slot_ends ends_of(const slot_move& move) {
    return {move.source_id, move.source_address, move.target_id, move.target_address};
}

// A chunk that failed at chunk[failed_at] (or at its opening, failed_at == 0 with nothing
// moved): slots before it are complete and get assigned, the failed one is finished if it
// had keys moved, the rest go back to STABLE. Returns what is still open.
result<void> close_failed_chunk(const slot_move& move, const std::vector<int>& chunk,
                                const std::vector<long long>& keys_before, std::size_t failed_at,
                                long long moved_in_failed, const master_directory& masters,
                                const mover_settings& settings, mover_progress& progress,
                                const mover_log& log) {
    auto ends = ends_of(move);
    std::vector<error> still_open;
    std::vector<int> complete(chunk.begin(), chunk.begin() + static_cast<long>(failed_at));
    std::vector<int> unstarted(chunk.begin() + static_cast<long>(failed_at), chunk.end());
    std::vector<long long> unstarted_before(keys_before.begin() + static_cast<long>(failed_at),
                                            keys_before.end());
    if (moved_in_failed > 0 && !unstarted.empty()) {
        int half_moved = unstarted.front();
        unstarted.erase(unstarted.begin());
        unstarted_before.erase(unstarted_before.begin());
        log(fmt::format("slot {}: {} key(s) had moved; finishing it client-side", half_moved,
                        moved_in_failed));
        auto finished =
            finish_slot(half_moved, ends, move_method::client, masters, settings, progress, log);
        if (finished) {
            ++progress.slots_done;
        } else {
            still_open.push_back(prefixed(fmt::format("slot {}", half_moved), finished.failure()));
        }
    }
    if (!complete.empty()) {
        auto link = connect_pair(move.source_address, move.target_address, settings);
        auto assigned = link ? assign_slots(complete, ends, *link, masters, settings)
                             : result<void>(link.failure());
        if (assigned) {
            progress.slots_done += static_cast<int>(complete.size());
        } else {
            still_open.push_back(
                prefixed(fmt::format("slot(s) {}", slot_list(complete)), assigned.failure()));
        }
    }
    auto closed =
        close_unstarted(unstarted, unstarted_before, ends, masters, settings, progress, log);
    if (!closed) still_open.push_back(closed.failure());
    if (still_open.empty()) return {};
    auto left = joined(still_open);
    left.message += "; rerun rebalance (or heal) to finish them";
    return left;
}

// Opens the chunk, moves its keys slot by slot, assigns it. On failure the chunk is closed
// (close_failed_chunk) and the failure returned (its kind kept), followed by anything left
// open.
result<void> move_chunk(pair_link& link, const slot_move& move, const std::vector<int>& chunk,
                        const master_directory& masters, const mover_settings& settings,
                        mover_progress& progress, const mover_log& log) {
    // What the target held of each slot before (normally nothing), so closing the chunk
    // again can tell keys clients wrote there through ASK from keys it already had.
    std::vector<long long> keys_before(chunk.size(), 0);
    auto failed = [&](error trouble, std::size_t at, long long moved) {
        auto closed = close_failed_chunk(move, chunk, keys_before, at, moved, masters, settings,
                                         progress, log);
        if (!closed) trouble.message += fmt::format(" (then: {})", closed.failure().message);
        return trouble;
    };
    auto opening = setslots(chunk, "IMPORTING", move.source_id);
    for (int slot : chunk) opening.push_back({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
    auto opened = link.target.pipeline(opening);
    if (auto importing = expect_ok(opened, "SETSLOT IMPORTING", move.target_address); !importing) {
        return failed(importing.failure(), 0, 0);
    }
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        keys_before[i] = (*opened)[chunk.size() + i].integer;
    }
    auto migrating = expect_ok(link.source.pipeline(setslots(chunk, "MIGRATING", move.target_id)),
                               "SETSLOT MIGRATING", move.source_address);
    if (!migrating) return failed(migrating.failure(), 0, 0);
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        long long moved = 0;
        auto keys = move_slot_keys(move.method.method, link, {chunk[i], settings.replace}, settings,
                                   progress, log, moved);
        if (!keys) return failed(keys.failure(), i, moved);
    }
    if (auto assigned = assign_slots(chunk, ends_of(move), link, masters, settings); !assigned) {
        auto trouble = assigned.failure();
        trouble.message += fmt::format(
            " (slot(s) {} have every key on the target; rerun to assign them)", slot_list(chunk));
        return trouble;
    }
    progress.slots_done += static_cast<int>(chunk.size());
    return {};
}

std::vector<int> expand(const std::vector<slot_range>& ranges) {
    std::vector<int> slots;
    for (const auto& range : ranges) {
        for (int slot = range.first; slot <= range.last; ++slot) slots.push_back(slot);
    }
    return slots;
}

struct chunk_task {
    std::size_t move;
    std::vector<int> slots;
};

// Chunks of every move in one queue, round-robin over the moves so every pair starts at once.
std::vector<chunk_task> chunk_queue(const rebalance_plan& plan, int chunk_slots) {
    std::vector<std::vector<chunk_task>> per_move(plan.moves.size());
    for (std::size_t i = 0; i < plan.moves.size(); ++i) {
        auto slots = expand(plan.moves[i].slots);
        for (std::size_t at = 0; at < slots.size(); at += static_cast<std::size_t>(chunk_slots)) {
            auto end = std::min(slots.size(), at + static_cast<std::size_t>(chunk_slots));
            per_move[i].push_back({i, std::vector<int>(slots.begin() + static_cast<long>(at),
                                                       slots.begin() + static_cast<long>(end))});
        }
    }
    std::vector<chunk_task> tasks;
    for (std::size_t round = 0;; ++round) {
        bool any = false;
        for (auto& chunks : per_move) {
            if (round < chunks.size()) {
                tasks.push_back(std::move(chunks[round]));
                any = true;
            }
        }
        if (!any) return tasks;
    }
}

}  // namespace

master_directory masters_of(const topology& cluster) {
    master_directory masters;
    for (const auto& node : cluster.nodes) {
        if (node.role == node_role::master && !node.id.empty() && node.observed) {
            masters.emplace_back(node.id, node.address);
        }
    }
    return masters;
}

result<std::optional<server_version>> read_server_version(const std::string& address,
                                                          const mover_settings& settings) {
    auto node = redis_connection::open(address, settings.auth, settings.timeout);
    if (!node) return node.failure();
    auto info = node->call({"INFO", "server"});
    if (!info) return info.failure();
    if (info->type != resp_type::string) return std::optional<server_version>();
    return server_version_of(info->text);
}

result<move_method_choice> move_method_of(const std::string& source_address,
                                          const std::optional<server_version>& source,
                                          const mover_settings& settings) {
    auto choice = choose_move_method(
        settings.move_method, source,
        {settings.auth.password.has_value(), settings.auth.username.has_value()});
    if (!choice) return prefixed(source_address, choice.failure());
    return choice;
}

result<move_method_choice> move_method_for(const std::string& source_address,
                                           const mover_settings& settings) {
    auto version = read_server_version(source_address, settings);
    if (!version) return version.failure();
    return move_method_of(source_address, *version, settings);
}

result<void> run_moves(const rebalance_plan& plan, const master_directory& masters,
                       const mover_settings& settings, mover_progress& progress,
                       const stop_flag& should_stop, const mover_log& log) {
    // Even a single source -> target pair runs on several connections at once; each worker
    // keeps one connection pair per move.
    auto tasks = chunk_queue(plan, settings.chunk_slots);
    std::mutex mutex;
    std::optional<error> failure;
    auto stopping = [&] {
        std::lock_guard lock(mutex);
        return failure.has_value() || (should_stop && should_stop());
    };
    using links_by_move = std::map<std::size_t, pair_link>;  // this worker's, by move index
    probes::parallel_for_with_state<links_by_move>(
        tasks.size(), static_cast<std::size_t>(std::max(settings.parallel, 1)), stopping,
        [&](links_by_move& links, std::size_t i) {
            const auto& job = tasks[i];
            const auto& move = plan.moves[job.move];
            result<void> moved;
            auto found = links.find(job.move);
            if (found == links.end()) {
                auto link = connect_pair(move.source_address, move.target_address, settings);
                if (link) {
                    found = links.emplace(job.move, std::move(*link)).first;
                } else {
                    moved = link.failure();  // nothing opened yet
                }
            }
            if (moved) {
                moved =
                    move_chunk(found->second, move, job.slots, masters, settings, progress, log);
            }
            if (!moved) {
                std::lock_guard lock(mutex);
                if (!failure) failure = moved.failure();  // stopping() now ends every worker
            }
        });
    if (failure) return *failure;
    return {};
}

result<void> finish_open_slots(const topology& cluster, const mover_settings& settings,
                               mover_progress& progress, const mover_log& log) {
    // slot -> (source id migrating to target id) / (target id importing from source id)
    std::map<int, std::pair<std::string, std::string>> migrating;
    std::map<int, std::pair<std::string, std::string>> importing;
    for (const auto& open : cluster.open_slots) {
        if (open.state.direction == open_slot_direction::migrating) {
            migrating[open.slot] = {open.node_id, open.state.peer_id};
        } else {
            importing[open.slot] = {open.state.peer_id, open.node_id};
        }
    }
    auto masters = masters_of(cluster);
    auto address = [&](const std::string& id) {
        const auto* node = cluster.find(id);
        return node != nullptr ? node->address : id;
    };
    std::vector<error> troubles;
    for (const auto& [slot, ends] : importing) {
        if (migrating.contains(slot)) continue;
        // The source never started migrating: no key moved. Undo the import.
        auto target = redis_connection::open(address(ends.second), settings.auth, settings.timeout);
        auto undone = target ? expect_ok(target->pipeline({setslot(slot, "STABLE", "")}),
                                         "SETSLOT STABLE", target->address())
                             : result<void>(target.failure());
        if (!undone) {
            troubles.push_back(prefixed(fmt::format("slot {}", slot), undone.failure()));
            continue;
        }
        log(fmt::format("slot {}: import on {} undone (its source never migrated a key)", slot,
                        address(ends.second)));
    }
    std::map<std::string, result<move_method_choice>> methods;  // per source address
    for (const auto& [slot, ids] : migrating) {
        slot_ends ends{ids.first, address(ids.first), ids.second, address(ids.second)};
        auto known = methods.find(ends.source_address);
        if (known == methods.end()) {
            known =
                methods.emplace(ends.source_address, move_method_for(ends.source_address, settings))
                    .first;
        }
        auto finished = known->second ? finish_slot(slot, ends, known->second->method, masters,
                                                    settings, progress, log)
                                      : result<void>(known->second.failure());
        if (!finished) {
            troubles.push_back(prefixed(fmt::format("slot {}", slot), finished.failure()));
            continue;
        }
        log(fmt::format("slot {}: left open by an interrupted run, finished: now on {}", slot,
                        ends.target_address));
    }
    if (troubles.empty()) return {};
    return prefixed(fmt::format("{} slot(s) still open", troubles.size()), joined(troubles));
}

}  // namespace warden::executor
