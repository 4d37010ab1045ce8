#include "controller/executor/slot_mover.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "controller/core/parse/endpoint.hpp"
#include "probes/connection.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

using probes::command;
using probes::redis_connection;
using probes::resp_type;
using probes::resp_value;

struct pair_link {
    redis_connection source;
    redis_connection target;
    endpoint target_endpoint;
};

std::optional<std::string> expect_ok(const result<std::vector<resp_value>>& replies,
                                     const std::string& what, const std::string& address) {
    if (!replies) return replies.failure().message;
    for (const auto& reply : *replies) {
        if (reply.type == resp_type::error) {
            return fmt::format("{}: {} refused: {}", address, what, probes::one_line(reply.text));
        }
    }
    return std::nullopt;
}

command setslot(int slot, const char* state, const std::string& id) {
    command out{"CLUSTER", "SETSLOT", std::to_string(slot), state};
    if (!id.empty()) out.push_back(id);
    return out;
}

std::vector<command> setslots(const std::vector<int>& slots, const char* state,
                              const std::string& id) {
    std::vector<command> out;
    for (int slot : slots) out.push_back(setslot(slot, state, id));
    return out;
}

command migrate_command(const pair_link& link, const mover_settings& settings,
                        std::chrono::milliseconds timeout, bool replace,
                        const std::vector<std::string>& keys) {
    command out{
        "MIGRATE", link.target_endpoint.host,      std::to_string(link.target_endpoint.port), "",
        "0",       std::to_string(timeout.count())};
    if (replace) out.push_back("REPLACE");
    if (settings.auth.password) {
        if (settings.auth.username) {
            out.insert(out.end(), {"AUTH2", *settings.auth.username, *settings.auth.password});
        } else {
            out.insert(out.end(), {"AUTH", *settings.auth.password});
        }
    }
    out.push_back("KEYS");
    out.insert(out.end(), keys.begin(), keys.end());
    return out;
}

// A key too big for MIGRATE's timeout is sent alone with ten times the timeout.
std::optional<std::string> migrate_alone(pair_link& link, int slot,
                                         const std::vector<std::string>& keys,
                                         const mover_settings& settings, bool replace,
                                         mover_progress& progress, const mover_log& log) {
    for (const auto& key : keys) {
        auto reply = link.source.call(
            migrate_command(link, settings, settings.migrate_timeout * 10, replace, {key}));
        if (!reply) return reply.failure().message;
        if (reply->type == resp_type::error) {
            return fmt::format(
                "slot {}: key '{}' could not be moved even alone with a {} ms "
                "timeout: {}",
                slot, probes::one_line(key), settings.migrate_timeout.count() * 10,
                probes::one_line(reply->text));
        }
        log(fmt::format("slot {}: key '{}' needed more than {} ms and was moved alone", slot,
                        probes::one_line(key), settings.migrate_timeout.count()));
        ++progress.keys_moved;
    }
    return std::nullopt;
}

std::optional<std::string> migrate_keys(pair_link& link, int slot, const mover_settings& settings,
                                        bool replace, mover_progress& progress,
                                        const mover_log& log) {
    while (true) {
        auto listed = link.source.call(
            {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), std::to_string(settings.pipeline)});
        if (!listed) return listed.failure().message;
        if (listed->type != resp_type::array) {
            return fmt::format("{}: CLUSTER GETKEYSINSLOT {} failed: {}", link.source.address(),
                               slot, probes::one_line(listed->text));
        }
        if (listed->elements.empty()) return std::nullopt;
        std::vector<std::string> keys;
        for (const auto& element : listed->elements) keys.push_back(element.text);
        auto moved = link.source.call(
            migrate_command(link, settings, settings.migrate_timeout, replace, keys));
        if (!moved) return moved.failure().message;
        if (moved->type != resp_type::error) {
            progress.keys_moved += static_cast<long long>(keys.size());
            // A MIGRATING slot takes no new keys (clients are sent to the target with ASK),
            // so a short batch was the last one.
            if (static_cast<int>(keys.size()) < settings.pipeline) return std::nullopt;
            continue;
        }
        // Redis 7 relays it as "ERR Target instance replied with error: BUSYKEY ...".
        if (moved->text.find("BUSYKEY") != std::string::npos) {
            return fmt::format(
                "slot {}: a key already exists on the target {} (BUSYKEY), so "
                "moving it would overwrite data there; check which copy is "
                "current, then rerun with --replace to let the source's copy win",
                slot, link.target.address());
        }
        if (moved->text.find("IOERR") != std::string::npos) {
            if (auto trouble = migrate_alone(link, slot, keys, settings, replace, progress, log)) {
                return trouble;
            }
            continue;
        }
        return fmt::format("{}: MIGRATE of slot {} refused: {}", link.source.address(), slot,
                           probes::one_line(moved->text));
    }
}

// SETSLOT NODE on the target first, then the source, then every other master.
std::optional<std::string> assign(const std::vector<int>& slots, const std::string& target_id,
                                  pair_link& link, const master_directory& masters,
                                  const std::string& source_id, const mover_settings& settings) {
    auto nodes = setslots(slots, "NODE", target_id);
    if (auto trouble =
            expect_ok(link.target.pipeline(nodes), "SETSLOT NODE", link.target.address())) {
        return trouble;
    }
    if (auto trouble =
            expect_ok(link.source.pipeline(nodes), "SETSLOT NODE", link.source.address())) {
        return trouble;
    }
    for (const auto& [id, address] : masters) {
        if (id == target_id || id == source_id) continue;
        auto other = redis_connection::open(address, settings.auth, settings.timeout);
        if (!other) return other.failure().message;
        if (auto trouble = expect_ok(other->pipeline(nodes), "SETSLOT NODE", address)) {
            return trouble;
        }
    }
    return std::nullopt;
}

result<pair_link> connect_pair(const std::string& source, const std::string& target,
                               const mover_settings& settings) {
    auto target_endpoint = parse_endpoint(target);
    if (!target_endpoint) return target_endpoint.failure();
    // The source waits for MIGRATE, which may take its own timeout (ten times for a big key).
    auto source_timeout = std::max(settings.timeout, settings.migrate_timeout * 11);
    auto source_connection = redis_connection::open(source, settings.auth, source_timeout);
    if (!source_connection) return source_connection.failure();
    auto target_connection = redis_connection::open(target, settings.auth, settings.timeout);
    if (!target_connection) return target_connection.failure();
    return pair_link{std::move(*source_connection), std::move(*target_connection),
                     *target_endpoint};
}

std::optional<std::string> move_chunk(pair_link& link, const slot_move& move,
                                      const std::vector<int>& chunk,
                                      const master_directory& masters,
                                      const mover_settings& settings, mover_progress& progress,
                                      const mover_log& log) {
    if (auto trouble = expect_ok(link.target.pipeline(setslots(chunk, "IMPORTING", move.source_id)),
                                 "SETSLOT IMPORTING", move.target_address)) {
        return trouble;
    }
    if (auto trouble = expect_ok(link.source.pipeline(setslots(chunk, "MIGRATING", move.target_id)),
                                 "SETSLOT MIGRATING", move.source_address)) {
        return trouble;
    }
    for (int slot : chunk) {
        if (auto trouble = migrate_keys(link, slot, settings, settings.replace, progress, log)) {
            return trouble;
        }
    }
    if (auto trouble = assign(chunk, move.target_id, link, masters, move.source_id, settings)) {
        return trouble;
    }
    progress.slots_done += static_cast<int>(chunk.size());
    return std::nullopt;
}

std::vector<int> expand(const std::vector<slot_range>& ranges) {
    std::vector<int> slots;
    for (const auto& range : ranges) {
        for (int slot = range.first; slot <= range.last; ++slot) slots.push_back(slot);
    }
    return slots;
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

std::optional<std::string> run_moves(const rebalance_plan& plan, const master_directory& masters,
                                     const mover_settings& settings, mover_progress& progress,
                                     const stop_flag& should_stop, const mover_log& log) {
    // Chunks of every move form one queue, so even a single source -> target pair runs on
    // several connections at once; each worker keeps one connection pair per move.
    struct task {
        std::size_t move;
        std::vector<int> slots;
    };
    // Round-robin over the moves, so every pair starts at once.
    std::vector<std::vector<task>> per_move(plan.moves.size());
    for (std::size_t i = 0; i < plan.moves.size(); ++i) {
        auto slots = expand(plan.moves[i].slots);
        for (std::size_t at = 0; at < slots.size(); at += settings.chunk_slots) {
            auto end = std::min(slots.size(), at + static_cast<std::size_t>(settings.chunk_slots));
            per_move[i].push_back({i, std::vector<int>(slots.begin() + static_cast<long>(at),
                                                       slots.begin() + static_cast<long>(end))});
        }
    }
    std::vector<task> tasks;
    for (std::size_t round = 0;; ++round) {
        bool any = false;
        for (auto& chunks : per_move) {
            if (round < chunks.size()) {
                tasks.push_back(std::move(chunks[round]));
                any = true;
            }
        }
        if (!any) break;
    }
    std::mutex mutex;
    std::optional<std::string> failure;
    std::atomic<std::size_t> next{0};
    auto stopping = [&] {
        std::lock_guard lock(mutex);
        return failure.has_value() || (should_stop && should_stop());
    };
    auto worker = [&] {
        std::map<std::size_t, pair_link> links;
        for (auto i = next++; i < tasks.size() && !stopping(); i = next++) {
            const auto& job = tasks[i];
            const auto& move = plan.moves[job.move];
            std::optional<std::string> trouble;
            auto found = links.find(job.move);
            if (found == links.end()) {
                auto link = connect_pair(move.source_address, move.target_address, settings);
                if (link) {
                    found = links.emplace(job.move, std::move(*link)).first;
                } else {
                    trouble = link.failure().message;
                }
            }
            if (!trouble) {
                trouble =
                    move_chunk(found->second, move, job.slots, masters, settings, progress, log);
            }
            if (trouble) {
                std::lock_guard lock(mutex);
                if (!failure) failure = *trouble;
                return;
            }
        }
    };
    {
        std::vector<std::jthread> workers;
        auto count = std::min<std::size_t>(std::max(settings.parallel, 1), tasks.size());
        for (std::size_t i = 0; i < count; ++i) workers.emplace_back(worker);
    }
    return failure;
}

std::optional<std::string> finish_open_slots(const topology& cluster,
                                             const mover_settings& settings,
                                             mover_progress& progress, const mover_log& log) {
    // slot -> (source id migrating to target id) / (target id importing from source id)
    std::map<int, std::pair<std::string, std::string>> migrating;
    std::map<int, std::pair<std::string, std::string>> importing;
    for (const auto& open : cluster.open_slots) {
        auto& into = open.state.direction == open_slot_direction::migrating ? migrating : importing;
        if (open.state.direction == open_slot_direction::migrating) {
            into[open.slot] = {open.node_id, open.state.peer_id};
        } else {
            into[open.slot] = {open.state.peer_id, open.node_id};
        }
    }
    auto masters = masters_of(cluster);
    auto address = [&](const std::string& id) {
        const auto* node = cluster.find(id);
        return node != nullptr ? node->address : id;
    };
    for (const auto& [slot, ends] : importing) {
        if (migrating.contains(slot)) continue;
        // The source never started migrating: no key moved. Undo the import.
        auto target = redis_connection::open(address(ends.second), settings.auth, settings.timeout);
        if (!target) return target.failure().message;
        if (auto trouble = expect_ok(target->pipeline({setslot(slot, "STABLE", "")}),
                                     "SETSLOT STABLE", target->address())) {
            return trouble;
        }
        log(fmt::format("slot {}: import on {} undone (its source never migrated a key)", slot,
                        address(ends.second)));
    }
    for (const auto& [slot, ends] : migrating) {
        const auto& [source_id, target_id] = ends;
        auto link = connect_pair(address(source_id), address(target_id), settings);
        if (!link) return link.failure().message;
        auto owner = cluster.slot_owner[slot];
        bool target_owns = owner >= 0 && cluster.nodes[owner].id == target_id;
        if (!importing.contains(slot) && !target_owns) {
            if (auto trouble =
                    expect_ok(link->target.pipeline({setslot(slot, "IMPORTING", source_id)}),
                              "SETSLOT IMPORTING", link->target.address())) {
                return trouble;
            }
        }
        if (auto trouble = migrate_keys(*link, slot, settings, true, progress, log)) return trouble;
        if (auto trouble = assign({slot}, target_id, *link, masters, source_id, settings)) {
            return trouble;
        }
        log(fmt::format("slot {}: left open by an interrupted run, finished: now on {}", slot,
                        address(target_id)));
    }
    return std::nullopt;
}

}  // namespace warden::executor
