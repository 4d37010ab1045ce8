// `redis-warden import`: copy a live standalone Redis into the cluster, TTLs and all, while
// the application keeps dual-writing; resumable with --checkpoint, provable with --verify.
// Exit 0 success, 1 failure / refused / verify mismatch, 2 usage.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "controller/cli/acting_command.hpp"

namespace warden::cli {

struct import_options : acting_options {
    std::string from;
    std::optional<std::string> from_user;
    std::optional<std::string> from_password_file;
    tls_options from_tls;  // --from-tls, --from-cacert, ...
    std::string match = "*";
    int db = 0;
    std::string mode = "skip-existing";
    int pipeline = 1000;
    int parallel = 0;  // 0: one per master, at most 8
    std::optional<std::string> checkpoint;
    bool verify = false;
    long long sample = 0;  // 0: every key
    int ttl_tolerance_ms = 2000;
    int settle_timeout_ms = 30000;
};

void add_import_command(CLI::App& app, import_options& options);
int run_import_command(const import_options& options);

}  // namespace warden::cli
