// Options every command that talks to a cluster shares: seeds, credentials, TLS, timeout.
// Secrets come from a file or REDISCLI_AUTH and are never echoed.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/result.hpp"
#include "controller/core/tls.hpp"
#include "probes/poll.hpp"

namespace warden::cli {

// redis-cli's TLS flags (--tls, --cacert, ...); `prefix` "--from-" gives import's source
// flags (--from-tls, --from-cacert, ...).
struct tls_options {
    bool enabled = false;
    tls_settings settings;

    void add_to(CLI::App& command, const std::string& prefix = "--");
    bool any_given() const;
    // The profile when TLS is on (files read now); a TLS flag without --tls is a usage error.
    result<std::shared_ptr<probes::tls_client>> load(const std::string& prefix = "--") const;
};

struct connection_options {
    std::vector<std::string> seeds;
    std::optional<std::string> username;
    std::optional<std::string> password_file;
    int timeout_ms = 1000;
    tls_options tls;

    // Without `--timeout` for a command that gives the flag its own meaning (failover: the
    // bound of each failover); the per-node timeout then stays at its default.
    void add_to(CLI::App& command, bool with_timeout = true);
};

// Reads the password file (first line) or REDISCLI_AUTH, and the TLS files. An unreadable
// file is an error naming the file, never its content.
result<probes::credentials> load_credentials(const connection_options& options);

}  // namespace warden::cli
