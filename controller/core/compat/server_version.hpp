// Which server a node runs, and what that version can do. Decided once per node from
// `INFO server` (https://redis.io/commands/info/):
//   # Server
//   redis_version:7.2.4        <- Valkey keeps reporting the Redis version it is compatible with
//   valkey_version:8.0.1       <- Valkey only
// Capabilities come from this table, never from the wording of an error reply: error texts
// change between versions (6.x says "Unknown subcommand", 7.0 "unknown subcommand"). Error
// texts are only a fallback when INFO itself is denied (see probes/).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace warden {

enum class server_flavour { redis, valkey };

struct server_version {
    server_flavour flavour = server_flavour::redis;
    // The Redis version the server implements (Valkey: its redis_version compatibility field).
    int major = 0;
    int minor = 0;
    int patch = 0;
    std::string product_version;  // what the product calls itself: "3.2.13", "8.0.1" (Valkey)

    bool at_least(int wanted_major, int wanted_minor = 0, int wanted_patch = 0) const;
    // "Redis 3.2.13", "Valkey 8.0.1".
    std::string describe() const;
    friend bool operator==(const server_version&, const server_version&) = default;
};

// "3.2.13" -> {3, 2, 13}; "7.0" -> {7, 0, 0}; a suffix after the digits ("7.4.1-rc1") is
// ignored. nullopt when it does not start with "<major>.<minor>".
std::optional<server_version> parse_version_number(std::string_view text);

// From an INFO reply (any sections, as long as "# Server" is among them). nullopt when the
// reply has no redis_version (INFO denied, or not a Redis).
std::optional<server_version> server_version_of(std::string_view info_text);

struct server_capabilities {
    bool acl = false;             // ACL, AUTH <user> <password>, WRONGPASS (6.0+)
    bool acl_dryrun = false;      // ACL DRYRUN (7.0+)
    bool hello = false;           // HELLO (6.0+)
    bool migrate_keys = false;    // MIGRATE ... "" 0 <timeout> KEYS k... (3.0.6+)
    bool migrate_auth = false;    // MIGRATE ... AUTH <password> (4.0.7+)
    bool migrate_auth2 = false;   // MIGRATE ... AUTH2 <user> <password> (6.0+)
    bool cluster_shards = false;  // CLUSTER SHARDS (7.0+)
    bool restore_absttl = false;  // RESTORE ... ABSTTL (5.0+)
    int newest_rdb_version = 0;   // the newest DUMP payload format it can RESTORE
    friend bool operator==(const server_capabilities&, const server_capabilities&) = default;
};

server_capabilities capabilities_of(const server_version& version);

// The oldest Redis that reads DUMP payloads of this RDB format ("7.0" for 10), "" if unknown.
std::string oldest_redis_reading(int rdb_version);

}  // namespace warden
