// Keys of one slot moved by the source itself: MIGRATE host port "" 0 timeout [REPLACE]
// [AUTH pw | AUTH2 user pw] KEYS k... (https://redis.io/commands/migrate/).
#include <fmt/format.h>

#include "controller/executor/key_movers.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

using probes::command;
using probes::resp_type;

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
result<void> migrate_alone(pair_link& link, const slot_job& job,
                           const std::vector<std::string>& keys, const mover_settings& settings,
                           mover_progress& progress, const mover_log& log,
                           long long& moved_in_slot) {
    for (const auto& key : keys) {
        auto reply = link.source.call(
            migrate_command(link, settings, settings.migrate_timeout * 10, job.replace, {key}));
        if (!reply) return reply.failure();
        if (reply->type == resp_type::error) {
            return error{
                fmt::format("slot {}: key '{}' could not be moved even alone with a {} ms "
                            "timeout: {}",
                            job.slot, probes::one_line(key), settings.migrate_timeout.count() * 10,
                            probes::one_line(reply->text)),
                error_kind::reply};
        }
        log(fmt::format("slot {}: key '{}' needed more than {} ms and was moved alone", job.slot,
                        probes::one_line(key), settings.migrate_timeout.count()));
        ++progress.keys_moved;
        ++moved_in_slot;
    }
    return {};
}

}  // namespace

result<void> migrate_slot_keys(pair_link& link, const slot_job& job, const mover_settings& settings,
                               mover_progress& progress, const mover_log& log,
                               long long& moved_in_slot) {
    while (true) {
        auto listed = link.source.call({"CLUSTER", "GETKEYSINSLOT", std::to_string(job.slot),
                                        std::to_string(settings.pipeline)});
        if (!listed) return listed.failure();
        if (listed->type != resp_type::array) {
            return error{
                fmt::format("{}: CLUSTER GETKEYSINSLOT {} failed: {}", link.source.address(),
                            job.slot, probes::one_line(listed->text)),
                error_kind::reply};
        }
        if (listed->elements.empty()) return {};
        std::vector<std::string> keys;
        for (const auto& element : listed->elements) keys.push_back(element.text);
        auto moved = link.source.call(
            migrate_command(link, settings, settings.migrate_timeout, job.replace, keys));
        if (!moved) return moved.failure();
        if (moved->type != resp_type::error) {
            progress.keys_moved += static_cast<long long>(keys.size());
            moved_in_slot += static_cast<long long>(keys.size());
            // A MIGRATING slot takes no new keys (clients are sent to the target with ASK),
            // so a short batch was the last one.
            if (static_cast<int>(keys.size()) < settings.pipeline) return {};
            continue;
        }
        // Redis 7 relays it as "ERR Target instance replied with error: BUSYKEY ...".
        if (moved->text.find("BUSYKEY") != std::string::npos) {
            return error{fmt::format("slot {}: a key already exists on the target {} (BUSYKEY), so "
                                     "moving it would overwrite data there; check which copy is "
                                     "current, then rerun with --replace to let the source's "
                                     "copy win",
                                     job.slot, link.target.address()),
                         error_kind::reply};
        }
        if (moved->text.find("IOERR") != std::string::npos) {
            if (auto alone = migrate_alone(link, job, keys, settings, progress, log, moved_in_slot);
                !alone) {
                return alone;
            }
            continue;
        }
        return error{fmt::format("{}: MIGRATE of slot {} refused: {}", link.source.address(),
                                 job.slot, probes::one_line(moved->text)),
                     error_kind::reply};
    }
}

result<void> move_slot_keys(move_method method, pair_link& link, const slot_job& job,
                            const mover_settings& settings, mover_progress& progress,
                            const mover_log& log, long long& moved_in_slot) {
    if (method == move_method::client) {
        return copy_slot_keys(link, job, settings, progress, log, moved_in_slot);
    }
    return migrate_slot_keys(link, job, settings, progress, log, moved_in_slot);
}

}  // namespace warden::executor
