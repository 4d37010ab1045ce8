// Options every command that talks to a cluster shares: seeds, credentials, timeout.
// Secrets come from a file or REDISCLI_AUTH and are never echoed.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "controller/core/result.hpp"
#include "probes/poll.hpp"

namespace warden::cli {

struct connection_options {
    std::vector<std::string> seeds;
    std::optional<std::string> username;
    std::optional<std::string> password_file;
    int timeout_ms = 1000;

    void add_to(CLI::App& command);
};

// Reads the password file (first line) or REDISCLI_AUTH. An unreadable file is an error
// naming the file, never its content.
result<probes::credentials> load_credentials(const connection_options& options);

}  // namespace warden::cli
