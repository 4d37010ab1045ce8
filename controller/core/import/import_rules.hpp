// The decisions `redis-warden import` makes, as pure functions: what a RESTORE reply means,
// which TTL a key gets when it is written, what a DUMP payload says about its format, and
// what the checkpoint file holds. The executor does the I/O around them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controller/core/compat/server_version.hpp"  // oldest_redis_reading
#include "controller/core/result.hpp"

namespace warden {

// ---- redirects: "-MOVED 3999 127.0.0.1:6381", "-ASK 3999 127.0.0.1:6381"
struct redirect {
    bool ask = false;  // ASK: this key only, once, after ASKING; MOVED: the slot moved
    int slot = 0;
    std::string address;
};
std::optional<redirect> parse_redirect(std::string_view error_text);

// ---- RESTORE replies
enum class restore_outcome {
    written,         // +OK
    already_there,   // BUSYKEY: the application wrote the key to the cluster first
    redirected,      // MOVED / ASK: retry where the reply says
    payload_format,  // the target cannot read the DUMP payload (source newer than target)
    retry_later,     // TRYAGAIN / LOADING / CLUSTERDOWN during a failover: retry shortly
    failed,          // anything else (NOPERM, OOM...): stop and say so
};
// `is_error` false means a non-error reply (status OK).
restore_outcome classify_restore_reply(bool is_error, std::string_view text);

// ---- TTLs
// PTTL read at `read_ms` (the moment the command was sent: the key's true deadline is at
// least read_ms + pttl, so the copy never outlives the original) and written at `now_ms`
// (same clock). Returns the RESTORE ttl argument: 0 for "no TTL", a positive number of
// milliseconds left, or nullopt when the key is gone (PTTL -2) or expired during the copy.
std::optional<std::int64_t> restore_ttl(std::int64_t pttl, std::int64_t read_ms,
                                        std::int64_t now_ms);

// ---- DUMP payloads: <serialized value><2-byte RDB version, little endian><8-byte CRC64>
std::optional<int> dump_rdb_version(std::string_view payload);

// ---- SCAN MATCH patterns, as Redis' stringmatchlen: * ? [abc] [^a] [a-z] and \ escapes.
// For --verify --sample, which draws keys with RANDOMKEY and keeps those that match.
bool matches_pattern(std::string_view pattern, std::string_view text);

// ---- checkpoint: where the SCAN stands and what was done, for a resumed run
struct import_counts {
    std::int64_t scanned = 0;   // keys SCAN returned
    std::int64_t copied = 0;    // RESTOREd into the cluster
    std::int64_t existing = 0;  // skipped: the cluster already had them (BUSYKEY)
    std::int64_t expired = 0;   // skipped: gone or expired before they could be written
    friend bool operator==(const import_counts&, const import_counts&) = default;
};

struct import_checkpoint {
    std::string source;  // host:port of the source
    int db = 0;
    std::string match;  // SCAN MATCH pattern, "*" for all
    std::string cursor = "0";
    bool complete = false;  // SCAN came back to cursor 0 and every batch was written
    import_counts counts;
    friend bool operator==(const import_checkpoint&, const import_checkpoint&) = default;
};

std::string serialize_checkpoint(const import_checkpoint& checkpoint);
// Errors name what is wrong with the text (not JSON, a field missing or of the wrong type).
result<import_checkpoint> parse_checkpoint(std::string_view text);
// Empty when `saved` belongs to this source/db/pattern, else why it cannot be resumed.
std::string checkpoint_mismatch(const import_checkpoint& saved, const std::string& source, int db,
                                const std::string& match);

}  // namespace warden
