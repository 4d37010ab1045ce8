// Keys of one slot moved from the client side, for sources whose MIGRATE cannot
// authenticate (Redis 3.2-4.0.6 with a password). Per batch of keys listed by GETKEYSINSLOT:
//
//   source: WATCH k1..kn; DUMP ki; PTTL ki          one pipeline
//   target: ASKING; EVAL restore_unless_theirs ki    one pipeline
//   source: MULTI; DEL k1..kn (those restored); EXEC one pipeline
//
// While the slot is MIGRATING the source keeps serving every key it has, and only a key it
// does not have is sent (ASK) to the target. So until the DEL the target's copy is seen by
// no client, and the WATCH makes the DEL happen only if no key changed since its DUMP: the
// target then holds exactly the source's last value. An aborted EXEC means a key changed:
// keys still on the source are copied again (the target's copy, still ours, is replaced);
// a key a client deleted meanwhile has its copy removed from the target, but only if it is
// still the copy we wrote (a client that wrote the key there since keeps its write).
// restore_unless_theirs refuses for the same reason to overwrite a key a client created on
// the target after deleting it on the source. Failures stop with the key, node and reply.
//
// What stays: a client that deletes a key on the source while warden is copying it may,
// for one round trip, read the old value from the target until warden removes it there.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "controller/executor/key_movers.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

using probes::command;
using probes::resp_type;
using probes::resp_value;

// KEYS[1] = key; ARGV = ttl-ms, payload, what the target's DUMP of our earlier copy was
// ("" if none), "1" to overwrite whatever is there (--replace). Returns the target's own DUMP
// of the copy (what identifies it as ours later: DUMP bytes of an equal hash or set differ
// between servers, which order members by their own hash seed), or 0 if left alone.
constexpr const char* restore_unless_theirs = R"lua(
local current = redis.call('DUMP', KEYS[1])
if current and ARGV[4] ~= '1' and current ~= ARGV[3] then return 0 end
redis.call('RESTORE', KEYS[1], ARGV[1], ARGV[2], 'REPLACE')
return redis.call('DUMP', KEYS[1])
)lua";

// KEYS[1] = key; ARGV[1] = the target's DUMP of our copy. Deletes it only if still ours.
constexpr const char* delete_if_ours = R"lua(
if redis.call('DUMP', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

constexpr int max_aborts_in_a_row = 200;

struct read_key {
    std::string name;
    std::string payload;
    long long ttl_ms = 0;  // 0: no expiry
};

// What the copy of one slot remembers between batches.
struct slot_copy {
    pair_link& link;
    const slot_job& job;
    const mover_settings& settings;
    mover_progress& progress;
    long long& moved_in_slot;
    std::map<std::string, std::string> ours;  // key -> target's DUMP of our copy, not DELeted
    std::set<std::string> overwrite;          // --replace: keys to overwrite on the target
    int batch = 1;
    int aborts_in_a_row = 0;
};

std::string key_text(const std::string& key) {
    return probes::one_line(key);
}

result<std::vector<std::string>> list_keys(slot_copy& copy) {
    auto listed = copy.link.source.call(
        {"CLUSTER", "GETKEYSINSLOT", std::to_string(copy.job.slot), std::to_string(copy.batch)});
    if (!listed) return listed.failure();
    if (listed->type != resp_type::array) {
        return error{
            fmt::format("{}: CLUSTER GETKEYSINSLOT {} failed: {}", copy.link.source.address(),
                        copy.job.slot, probes::one_line(listed->text)),
            error_kind::reply};
    }
    std::vector<std::string> keys;
    for (const auto& element : listed->elements) keys.push_back(element.text);
    return keys;
}

// WATCH + DUMP + PTTL. An empty result with no error: a key vanished before WATCH (the
// batch is retried smaller, or the key is simply gone).
result<std::vector<read_key>> read_watched(slot_copy& copy, const std::vector<std::string>& keys,
                                           bool& watch_redirected) {
    command watch{"WATCH"};
    watch.insert(watch.end(), keys.begin(), keys.end());
    std::vector<command> commands{watch};
    for (const auto& key : keys) {
        commands.push_back({"DUMP", key});
        commands.push_back({"PTTL", key});
    }
    auto replies = copy.link.source.pipeline(commands);
    if (!replies) return replies.failure();
    const auto& watched = (*replies)[0];
    watch_redirected = is_redirect(watched);
    if (watched.type == resp_type::error && !watch_redirected) {
        return error{fmt::format("{}: WATCH in slot {} refused: {}", copy.link.source.address(),
                                 copy.job.slot, probes::one_line(watched.text)),
                     error_kind::reply};
    }
    std::vector<read_key> read;
    if (watch_redirected) return read;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto& dump = (*replies)[1 + 2 * i];
        const auto& ttl = (*replies)[2 + 2 * i];
        if (dump.type != resp_type::string || ttl.type != resp_type::integer || ttl.integer == -2) {
            if (dump.type == resp_type::error && !is_redirect(dump)) {
                return error{
                    fmt::format("{}: DUMP of key '{}' refused: {}", copy.link.source.address(),
                                key_text(keys[i]), probes::one_line(dump.text)),
                    error_kind::reply};
            }
            continue;  // expired or deleted since GETKEYSINSLOT
        }
        // PTTL -1: no expiry (RESTORE ttl 0); 0 ms left must not become "no expiry".
        long long ttl_ms = ttl.integer < 0 ? 0 : std::max<long long>(ttl.integer, 1);
        read.push_back({keys[i], dump.text, ttl_ms});
    }
    return read;
}

command restore_command(const slot_copy& copy, const read_key& key) {
    auto previous = copy.ours.find(key.name);
    return {"EVAL",
            restore_unless_theirs,
            "1",
            key.name,
            std::to_string(key.ttl_ms),
            key.payload,
            previous == copy.ours.end() ? std::string() : previous->second,
            copy.overwrite.contains(key.name) ? "1" : "0"};
}

// ASKING + restore on the target; returns the keys restored (the others are left alone).
result<std::vector<std::string>> restore_on_target(slot_copy& copy,
                                                   const std::vector<read_key>& keys,
                                                   std::vector<std::string>& left_alone) {
    std::vector<command> commands;
    for (const auto& key : keys) {
        commands.push_back({"ASKING"});
        commands.push_back(restore_command(copy, key));
    }
    auto replies = copy.link.target.pipeline(commands);
    if (!replies) return replies.failure();
    std::vector<std::string> restored;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto& reply = (*replies)[2 * i + 1];
        if (reply.type == resp_type::error) {
            return error{
                fmt::format("slot {}: {} could not restore key '{}' copied from {}: {}{}",
                            copy.job.slot, copy.link.target.address(), key_text(keys[i].name),
                            copy.link.source.address(), probes::one_line(reply.text),
                            reply.text.find("payload") != std::string::npos
                                ? " (the source's DUMP format is newer than the target reads)"
                                : ""),
                error_kind::reply};
        }
        if (reply.type == resp_type::string) {
            copy.ours[keys[i].name] = reply.text;
            restored.push_back(keys[i].name);
        } else {
            left_alone.push_back(keys[i].name);
        }
    }
    return restored;
}

// MULTI / DEL / EXEC under the WATCH: true when the keys were deleted, false when aborted.
result<bool> delete_on_source(slot_copy& copy, const std::vector<std::string>& keys) {
    if (keys.empty()) {
        auto unwatched = copy.link.source.call({"UNWATCH"});
        if (!unwatched) return unwatched.failure();
        return true;
    }
    command del{"DEL"};
    del.insert(del.end(), keys.begin(), keys.end());
    auto replies = copy.link.source.pipeline({{"MULTI"}, del, {"EXEC"}});
    if (!replies) return replies.failure();
    const auto& exec = replies->back();
    if (exec.type == resp_type::array) return true;
    // nil: a watched key changed. EXECABORT: DEL was refused when queued (TRYAGAIN: a key
    // was deleted by a client meanwhile).
    if (exec.type == resp_type::nil || exec.text.starts_with("EXECABORT")) return false;
    return error{fmt::format("{}: MULTI/DEL/EXEC in slot {} failed: {}", copy.link.source.address(),
                             copy.job.slot, probes::one_line(exec.text)),
                 error_kind::reply};
}

// Which of `keys` the source still has (a missing key in a MIGRATING slot answers -ASK).
result<std::vector<bool>> still_on_source(slot_copy& copy, const std::vector<std::string>& keys) {
    std::vector<command> commands;
    for (const auto& key : keys) commands.push_back({"EXISTS", key});
    auto replies = copy.link.source.pipeline(commands);
    if (!replies) return replies.failure();
    std::vector<bool> present;
    for (const auto& reply : *replies) {
        if (reply.type == resp_type::error && !is_redirect(reply)) {
            return error{
                fmt::format("{}: EXISTS in slot {} refused: {}", copy.link.source.address(),
                            copy.job.slot, probes::one_line(reply.text)),
                error_kind::reply};
        }
        present.push_back(reply.type == resp_type::integer && reply.integer == 1);
    }
    return present;
}

// After an abort: copies of keys a client deleted on the source go, if still ours.
result<void> drop_copies_of_deleted(slot_copy& copy, const std::vector<std::string>& restored) {
    auto present = still_on_source(copy, restored);
    if (!present) return present.failure();
    std::vector<command> commands;
    std::vector<std::string> dropped;
    for (std::size_t i = 0; i < restored.size(); ++i) {
        if ((*present)[i]) continue;  // copied again next batch, over our own copy
        commands.push_back({"ASKING"});
        commands.push_back({"EVAL", delete_if_ours, "1", restored[i], copy.ours[restored[i]]});
        dropped.push_back(restored[i]);
    }
    if (commands.empty()) return {};
    auto removed = expect_ok(copy.link.target.pipeline(commands), "removing a stale copy",
                             copy.link.target.address());
    if (!removed) return removed;
    for (const auto& key : dropped) copy.ours.erase(key);
    return {};
}

// Keys the target already had while the source still has them: the BUSYKEY case.
result<void> settle_left_alone(slot_copy& copy, const std::vector<std::string>& left_alone) {
    if (left_alone.empty()) return {};
    auto present = still_on_source(copy, left_alone);
    if (!present) return present.failure();
    for (std::size_t i = 0; i < left_alone.size(); ++i) {
        if (!(*present)[i]) continue;  // a client deleted it here and wrote it there: theirs
        if (!copy.job.replace) {
            return error{fmt::format(
                "slot {}: key '{}' already exists on the target {} (BUSYKEY), so moving it "
                "would overwrite data there; check which copy is current, then rerun with "
                "--replace to let the source's copy win",
                copy.job.slot, key_text(left_alone[i]), copy.link.target.address())};
        }
        copy.overwrite.insert(left_alone[i]);
    }
    return {};
}

// One batch; returns false when the slot has no key left on the source.
result<bool> copy_batch(slot_copy& copy) {
    auto keys = list_keys(copy);
    if (!keys) return keys.failure();
    if (keys->empty()) return false;
    bool watch_redirected = false;
    auto read = read_watched(copy, *keys, watch_redirected);
    if (!read) return read.failure();
    if (watch_redirected) {  // a key left between GETKEYSINSLOT and WATCH: go key by key
        copy.batch = 1;
        return true;
    }
    std::vector<std::string> left_alone;
    auto restored = restore_on_target(copy, *read, left_alone);
    if (!restored) return restored.failure();
    auto deleted = delete_on_source(copy, *restored);
    if (!deleted) return deleted.failure();
    if (*deleted) {
        for (const auto& key : *restored) copy.ours.erase(key);
        copy.progress.keys_moved += static_cast<long long>(restored->size());
        copy.moved_in_slot += static_cast<long long>(restored->size());
        copy.aborts_in_a_row = 0;
        copy.batch = std::min(copy.batch * 2, copy.settings.pipeline);
    } else {
        if (++copy.aborts_in_a_row > max_aborts_in_a_row) {
            return error{fmt::format(
                "slot {}: keys kept changing while being copied ({} aborted transactions in a "
                "row); rerun when writes are lighter",
                copy.job.slot, copy.aborts_in_a_row)};
        }
        if (auto dropped = drop_copies_of_deleted(copy, *restored); !dropped) {
            return dropped.failure();
        }
        copy.batch = std::max(1, copy.batch / 2);
    }
    if (auto settled = settle_left_alone(copy, left_alone); !settled) return settled.failure();
    return true;
}

}  // namespace

result<void> copy_slot_keys(pair_link& link, const slot_job& job, const mover_settings& settings,
                            mover_progress& progress, const mover_log& /*log*/,
                            long long& moved_in_slot) {
    slot_copy copy{link, job, settings, progress, moved_in_slot};
    copy.batch = settings.pipeline;
    while (true) {
        auto more = copy_batch(copy);
        if (!more) return more.failure();
        if (!*more) return {};
    }
}

}  // namespace warden::executor
