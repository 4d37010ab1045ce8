#include "controller/executor/importer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>

#include "controller/core/import/key_slot.hpp"
#include "controller/core/parse/info_fields.hpp"
#include "controller/executor/key_router.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

using probes::command;
using probes::redis_connection;
using probes::resp_type;
using probes::resp_value;

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// One batch as read from the source: PTTL and DUMP of each key, read together.
struct source_batch {
    std::string cursor;  // where SCAN continues after this batch; "0" when it was the last
    std::vector<std::string> keys;
    std::vector<std::int64_t> pttl;
    std::vector<std::optional<std::string>> payload;  // nullopt: the key is gone
    std::int64_t read_ms = 0;                         // steady clock, when the read was sent
};

// A transport failure on the source, "source " before its message ("source HOST:PORT: ...").
error from_source(error failure) {
    failure.message = "source " + failure.message;
    return failure;
}

error source_refusal(const redis_connection& source, const std::vector<resp_value>& replies,
                     const std::string& what) {
    for (const auto& reply : replies) {
        if (reply.type == resp_type::error) {
            return error{fmt::format("source {}: {} refused: {}", source.address(), what,
                                     probes::one_line(reply.text)),
                         error_kind::reply};
        }
    }
    return error{fmt::format("source {}: {} gave an unexpected reply", source.address(), what)};
}

// PTTL + DUMP of every key inside one MULTI/EXEC: the TTL belongs to the value read.
result<std::vector<resp_value>> read_keys(redis_connection& source,
                                          const std::vector<std::string>& keys) {
    std::vector<command> commands{{"MULTI"}};
    for (const auto& key : keys) {
        commands.push_back({"PTTL", key});
        commands.push_back({"DUMP", key});
    }
    commands.push_back({"EXEC"});
    auto replies = source.pipeline(commands);
    if (!replies) return from_source(replies.failure());
    auto& exec = replies->back();
    if (exec.type != resp_type::array || exec.elements.size() != keys.size() * 2) {
        return source_refusal(source, *replies, "MULTI/PTTL/DUMP/EXEC");
    }
    return std::move(exec.elements);
}

// SCAN until a batch is full (a sparse --match returns few keys per call) or done.
result<source_batch> scan_keys(redis_connection& source, const import_settings& settings,
                               const std::string& cursor) {
    source_batch batch;
    batch.cursor = cursor;
    constexpr int max_scans_per_batch = 64;
    for (int scans = 0; scans < max_scans_per_batch; ++scans) {
        command scan{"SCAN", batch.cursor, "COUNT", std::to_string(settings.batch)};
        if (settings.match != "*") scan.insert(scan.end(), {"MATCH", settings.match});
        auto reply = source.call(scan);
        if (!reply) return from_source(reply.failure());
        if (reply->type != resp_type::array || reply->elements.size() != 2 ||
            reply->elements[1].type != resp_type::array) {
            return source_refusal(source, {*reply}, "SCAN");
        }
        batch.cursor = reply->elements[0].text;
        for (auto& key : reply->elements[1].elements) batch.keys.push_back(std::move(key.text));
        if (batch.cursor == "0" || batch.keys.size() >= static_cast<std::size_t>(settings.batch))
            break;
    }
    return batch;
}

result<source_batch> read_batch(redis_connection& source, const import_settings& settings,
                                const std::string& cursor) {
    auto scanned = scan_keys(source, settings, cursor);
    if (!scanned) return scanned;
    auto& batch = *scanned;
    if (batch.keys.empty()) return scanned;
    batch.read_ms = steady_ms();
    auto values = read_keys(source, batch.keys);
    if (!values) return values.failure();
    for (std::size_t i = 0; i < batch.keys.size(); ++i) {
        const auto& ttl = (*values)[2 * i];
        auto& dump = (*values)[2 * i + 1];
        batch.pttl.push_back(ttl.type == resp_type::integer ? ttl.integer : -2);
        if (dump.type == resp_type::string) {
            batch.payload.emplace_back(std::move(dump.text));
        } else if (dump.type == resp_type::error) {
            return error{fmt::format("source {}: DUMP refused: {}", source.address(),
                                     probes::one_line(dump.text)),
                         error_kind::reply};
        } else {
            batch.payload.emplace_back(std::nullopt);
        }
    }
    return scanned;
}

std::string redis_version_of(key_router& router, const std::string& address) {
    auto link = router.connection(address);
    if (!link) return "unknown";
    auto info = (*link)->call({"INFO", "server"});
    if (!info || info->type != resp_type::string) return "unknown";
    auto fields = parse_info_fields(info->text);  // find_field's view points into it
    auto version = find_field(fields, "redis_version");
    return version ? std::string(*version) : "unknown";
}

error payload_refused(key_router& router, const import_settings& settings,
                      const std::string& address, const std::string& payload,
                      const std::string& reply) {
    auto version = dump_rdb_version(payload).value_or(-1);
    auto oldest = oldest_redis_reading(version);
    return error{
        fmt::format(
            "{} (Redis {}) cannot read the source's DUMP payloads ({}): they are RDB format {}{}, "
            "from source Redis {}. The source is newer than the target: import into a cluster "
            "running the source's Redis version or newer",
            address, redis_version_of(router, address), probes::one_line(reply), version,
            oldest.empty() ? "" : fmt::format(" (Redis {}+)", oldest), settings.source_version),
        error_kind::reply};
}

// RESTOREs one batch; counts what happened to each key.
result<void> write_batch(key_router& router, const import_settings& settings,
                         const source_batch& batch, import_progress& progress) {
    std::vector<std::string> keys;
    std::vector<std::size_t> origin;
    for (std::size_t i = 0; i < batch.keys.size(); ++i) {
        if (batch.payload[i] && batch.pttl[i] != -2) {
            keys.push_back(batch.keys[i]);
            origin.push_back(i);
        } else {
            ++progress.expired;
        }
    }
    if (keys.empty()) return {};
    auto replies = router.run(keys, [&](std::size_t index) -> std::vector<command> {
        auto from = origin[index];
        auto ttl = restore_ttl(batch.pttl[from], batch.read_ms, steady_ms());
        if (!ttl) return {};  // expired while waiting: never resurrect it
        command restore{"RESTORE", batch.keys[from], std::to_string(*ttl), *batch.payload[from]};
        if (settings.replace) restore.push_back("REPLACE");
        return {std::move(restore)};
    });
    if (!replies) return replies.failure();
    for (std::size_t index = 0; index < keys.size(); ++index) {
        const auto& mine = (*replies)[index].replies;
        if (mine.empty()) {
            ++progress.expired;
            continue;
        }
        const auto& reply = mine.front();
        switch (classify_restore_reply(reply.type == resp_type::error, reply.text)) {
            case restore_outcome::written:
                ++progress.copied;
                break;
            case restore_outcome::already_there:
                ++progress.existing;
                break;
            case restore_outcome::payload_format: {
                auto address = router.owner(key_slot(keys[index]));
                return payload_refused(router, settings, address, *batch.payload[origin[index]],
                                       reply.text);
            }
            default:
                return error{
                    fmt::format("RESTORE of '{}' refused by {}: {}", keys[index],
                                router.owner(key_slot(keys[index])), probes::one_line(reply.text)),
                    error_kind::reply};
        }
    }
    return {};
}

result<void> save_checkpoint(const std::string& path, const import_checkpoint& checkpoint) {
    auto temporary = path + ".tmp";
    auto text = serialize_checkpoint(checkpoint);
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return error{
            fmt::format("cannot write checkpoint '{}': {}", temporary, std::strerror(errno))};
    }
    bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!written || !synced || std::rename(temporary.c_str(), path.c_str()) != 0) {
        return error{fmt::format("cannot write checkpoint '{}': {}", path, std::strerror(errno))};
    }
    return {};
}

}  // namespace

import_counts import_progress::snapshot() const {
    return {scanned.load(), copied.load(), existing.load(), expired.load()};
}

void import_progress::start_from(const import_counts& counts) {
    scanned = counts.scanned;
    copied = counts.copied;
    existing = counts.existing;
    expired = counts.expired;
}

result<redis_connection> open_source(const import_settings& settings, source_facts& facts) {
    auto source = redis_connection::open(settings.source, settings.source_auth, settings.timeout);
    if (!source) return from_source(source.failure());
    auto replies = source->pipeline({{"INFO", "server"}, {"INFO", "cluster"}});
    if (!replies) return from_source(replies.failure());
    for (const auto& reply : *replies) {
        if (reply.type != resp_type::string) return source_refusal(*source, *replies, "INFO");
    }
    auto server = parse_info_fields((*replies)[0].text);
    auto version = find_field(server, "redis_version");
    facts.redis_version = version ? std::string(*version) : "unknown";
    auto cluster = parse_info_fields((*replies)[1].text);
    if (find_field(cluster, "cluster_enabled") == "1") {
        return error{fmt::format(
            "source {} is a cluster node (cluster_enabled:1): import copies from a standalone "
            "Redis; to move slots between masters of a cluster use `redis-warden rebalance`",
            settings.source)};
    }
    auto selected = source->call({"SELECT", std::to_string(settings.db)});
    if (!selected) return from_source(selected.failure());
    if (selected->type == resp_type::error) {
        return error{fmt::format("source {}: --db {}: {}", settings.source, settings.db,
                                 probes::one_line(selected->text)),
                     error_kind::reply};
    }
    auto size = source->call({"DBSIZE"});
    if (!size) return from_source(size.failure());
    if (size->type != resp_type::integer) return source_refusal(*source, {*size}, "DBSIZE");
    facts.keys_in_db = size->integer;
    return source;
}

result<std::optional<import_checkpoint>> load_checkpoint(const std::string& path) {
    std::ifstream file(path);
    if (!file) {
        if (errno == ENOENT) return std::optional<import_checkpoint>{};
        return error{fmt::format("cannot read checkpoint '{}': {}", path, std::strerror(errno))};
    }
    std::stringstream text;
    text << file.rdbuf();
    auto parsed = parse_checkpoint(text.str());
    if (!parsed) return error{fmt::format("checkpoint '{}': {}", path, parsed.failure().message)};
    return std::optional<import_checkpoint>{std::move(*parsed)};
}

result<void> run_import(redis_connection& source, const topology& cluster,
                        const import_settings& settings, import_checkpoint start,
                        import_progress& progress, const import_stop& stop) {
    if (start.complete) return {};
    key_router router(cluster, settings.cluster_auth, settings.timeout, settings.parallel);
    progress.start_from(start.counts);
    auto checkpoint = std::move(start);
    auto last_saved = std::chrono::steady_clock::now();
    auto read_from = [&](std::string cursor) {
        return std::async(std::launch::async, [&source, &settings, cursor = std::move(cursor)] {
            return read_batch(source, settings, cursor);
        });
    };
    auto next = read_from(checkpoint.cursor);
    while (true) {
        auto batch = next.get();
        if (!batch) return batch.failure();
        bool last = batch->cursor == "0";
        bool stopping = stop();
        if (!last && !stopping) next = read_from(batch->cursor);  // read ahead while writing
        progress.scanned += static_cast<std::int64_t>(batch->keys.size());
        auto written = write_batch(router, settings, *batch, progress);
        progress.redirects = router.redirects_followed();
        if (!written) return written;
        checkpoint.cursor = batch->cursor;
        checkpoint.complete = last;
        checkpoint.counts = progress.snapshot();
        auto now = std::chrono::steady_clock::now();
        // Every batch before the saved cursor is written; saving once a second keeps fsync
        // off the hot path (a resumed run redoes at most a second of work, harmlessly).
        if (settings.checkpoint_path &&
            (last || stopping || now - last_saved >= std::chrono::seconds(1))) {
            auto saved = save_checkpoint(*settings.checkpoint_path, checkpoint);
            if (!saved) return saved;
            last_saved = now;
        }
        if (last || stopping) return {};
    }
}

}  // namespace warden::executor
