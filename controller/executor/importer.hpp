// `redis-warden import`: copies a standalone Redis into a cluster. One thread SCANs the
// source and reads each batch of keys (PTTL + DUMP inside MULTI/EXEC, so value and TTL
// belong together) while the previous batch is RESTOREd, pipelined per owning master and
// in parallel across masters (key_router). A checkpoint records the SCAN cursor once every
// key before it is written, so a killed run resumes there.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "controller/core/import/import_rules.hpp"
#include "controller/core/import/verify_rules.hpp"
#include "controller/core/topology/topology.hpp"
#include "probes/connection.hpp"
#include "probes/poll.hpp"

namespace warden::executor {

struct import_settings {
    std::string source;  // host:port
    probes::credentials source_auth;
    int db = 0;
    std::string match = "*";
    bool replace = false;  // RESTORE ... REPLACE; else BUSYKEY means "already there"
    int batch = 1000;      // keys per SCAN COUNT and per pipelined read
    int parallel = 8;      // masters written at once
    std::chrono::milliseconds timeout{5000};
    probes::credentials cluster_auth;
    std::optional<std::string> checkpoint_path;
    std::string source_version = "unknown";  // for the payload-format error (source_facts)
};

struct import_progress {
    std::atomic<std::int64_t> scanned{0};
    std::atomic<std::int64_t> copied{0};
    std::atomic<std::int64_t> existing{0};
    std::atomic<std::int64_t> expired{0};
    std::atomic<std::int64_t> redirects{0};  // MOVED/ASK followed (this run)
    import_counts snapshot() const;
    void start_from(const import_counts& counts);
};

// What the source says about itself before anything is copied.
struct source_facts {
    std::string redis_version;
    std::int64_t keys_in_db = 0;  // DBSIZE of --db
};

// Opens the source (AUTH, SELECT db) and refuses a cluster node. Errors start with
// "source HOST:PORT:" and never contain the password.
result<probes::redis_connection> open_source(const import_settings& settings, source_facts& facts);

// Reads the checkpoint file if it exists (nullopt when it does not): errors name the file.
result<std::optional<import_checkpoint>> load_checkpoint(const std::string& path);

using import_stop = std::function<bool()>;

// Copies from `start` (a fresh checkpoint or a loaded one) until SCAN completes, `stop`
// says so (between batches), or something fails (returned, naming the key or node, with
// the kind of the underlying error).
result<void> run_import(probes::redis_connection& source, const topology& cluster,
                        const import_settings& settings, import_checkpoint start,
                        import_progress& progress, const import_stop& stop);

// Compares `sample` random source keys (0: every key matching the pattern) with the cluster.
result<verify_summary> verify_import(probes::redis_connection& source, const topology& cluster,
                                     const import_settings& settings, std::int64_t sample,
                                     std::int64_t ttl_tolerance_ms);

}  // namespace warden::executor
