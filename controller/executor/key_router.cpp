#include "controller/executor/key_router.hpp"

#include <fmt/format.h>

#include <thread>

#include "controller/core/import/import_rules.hpp"
#include "controller/core/import/key_slot.hpp"
#include "probes/parallel.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

constexpr int max_rounds = 6;

enum class reply_kind { final, moved, ask, later };

struct reply_reading {
    reply_kind kind = reply_kind::final;
    std::string address;
};

// The first redirect or transient refusal among one key's replies decides its fate.
reply_reading read_key_replies(const std::vector<probes::resp_value>& replies) {
    for (const auto& reply : replies) {
        if (reply.type != probes::resp_type::error) continue;
        if (auto target = parse_redirect(reply.text)) {
            return {target->ask ? reply_kind::ask : reply_kind::moved, target->address};
        }
        if (classify_restore_reply(true, reply.text) == restore_outcome::retry_later) {
            return {reply_kind::later, ""};
        }
    }
    return {};
}

}  // namespace

key_router::key_router(const topology& cluster, probes::credentials auth,
                       std::chrono::milliseconds timeout, int parallel)
    : auth_(std::move(auth)), timeout_(timeout), parallel_(std::max(parallel, 1)) {
    for (int slot = 0; slot < slot_count; ++slot) {
        auto owner = cluster.slot_owner[static_cast<std::size_t>(slot)];
        if (owner >= 0) {
            owner_[static_cast<std::size_t>(slot)] =
                cluster.nodes[static_cast<std::size_t>(owner)].address;
        }
    }
}

result<probes::redis_connection*> key_router::connection(const std::string& address) {
    auto found = connections_.find(address);
    if (found == connections_.end()) {
        auto opened = probes::redis_connection::open(address, auth_, timeout_);
        if (!opened) return error{opened.failure().message};
        found = connections_.emplace(address, std::move(*opened)).first;
    }
    return &found->second;
}

result<void> key_router::send_group(const std::string& address, std::vector<routed>& group,
                                    const key_commands& commands, std::vector<key_replies>& out,
                                    std::vector<routed>& again) {
    auto& link = connections_.at(address);
    std::vector<probes::command> batch;
    std::vector<std::size_t> reply_counts;
    for (const auto& entry : group) {
        auto key_batch = commands(entry.key_index);
        if (entry.asking) batch.push_back({"ASKING"});
        reply_counts.push_back(key_batch.size());
        for (auto& one : key_batch) batch.push_back(std::move(one));
    }
    auto replies = link.pipeline(batch);
    if (!replies) return replies.failure();
    std::size_t at = 0;
    for (std::size_t i = 0; i < group.size(); ++i) {
        if (group[i].asking) ++at;  // ASKING's +OK
        std::vector<probes::resp_value> mine(
            std::make_move_iterator(replies->begin() + static_cast<std::ptrdiff_t>(at)),
            std::make_move_iterator(replies->begin() +
                                    static_cast<std::ptrdiff_t>(at + reply_counts[i])));
        at += reply_counts[i];
        auto reading = read_key_replies(mine);
        switch (reading.kind) {
            case reply_kind::final:
                out[group[i].key_index].replies = std::move(mine);
                break;
            case reply_kind::moved:
                again.push_back({group[i].key_index, reading.address, false});
                break;
            case reply_kind::ask:
                again.push_back({group[i].key_index, reading.address, true});
                break;
            case reply_kind::later:
                again.push_back({group[i].key_index, "", false});
                break;
        }
    }
    return {};
}

result<std::vector<key_router::key_replies>> key_router::run(const std::vector<std::string>& keys,
                                                             const key_commands& commands) {
    std::vector<key_replies> out(keys.size());
    std::vector<routed> pending;
    pending.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) pending.push_back({i, "", false});
    for (int round = 0; round < max_rounds && !pending.empty(); ++round) {
        std::map<std::string, std::vector<routed>> groups;
        for (auto& entry : pending) {
            if (entry.address.empty()) {
                entry.address = owner_[static_cast<std::size_t>(key_slot(keys[entry.key_index]))];
            }
            if (entry.address.empty()) {
                return error{fmt::format("no master serves slot {} (key '{}')",
                                         key_slot(keys[entry.key_index]), keys[entry.key_index])};
            }
            groups[entry.address].push_back(entry);
        }
        for (const auto& [address, group] : groups) {
            if (auto opened = connection(address); !opened) return error{opened.failure().message};
        }
        std::vector<std::pair<const std::string*, std::vector<routed>*>> work;
        for (auto& [address, group] : groups) work.emplace_back(&address, &group);
        std::vector<std::vector<routed>> again(work.size());
        std::vector<result<void>> sent(work.size());
        // One item per master's group: a round with one group runs on this thread alone.
        probes::parallel_for(work.size(), static_cast<std::size_t>(parallel_), [&](std::size_t i) {
            sent[i] = send_group(*work[i].first, *work[i].second, commands, out, again[i]);
        });
        for (const auto& delivered : sent) {
            if (!delivered) return delivered.failure();
        }
        pending.clear();
        bool pause = false;
        for (auto& retry : again) {
            for (auto& entry : retry) {
                auto slot = static_cast<std::size_t>(key_slot(keys[entry.key_index]));
                if (entry.address.empty()) {
                    pause = true;
                    pending.push_back(std::move(entry));
                    continue;
                }
                ++redirects_;
                if (!entry.asking) {
                    owner_[slot] = entry.address;  // MOVED: the slot's new owner, for every key
                }
                pending.push_back(std::move(entry));
            }
        }
        if (pause) std::this_thread::sleep_for(std::chrono::milliseconds(100 * (round + 1)));
    }
    if (!pending.empty()) {
        const auto& key = keys[pending.front().key_index];
        return error{fmt::format(
            "{} key(s) still redirected or refused after {} rounds (e.g. '{}', slot {}): is a "
            "failover or reshard under way?",
            pending.size(), max_rounds, key, key_slot(key))};
    }
    return out;
}

}  // namespace warden::executor
