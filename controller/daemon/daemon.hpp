// `redis-warden run`: the long-running service.
#pragma once

#include <optional>
#include <string>

namespace warden::daemon {

struct run_options {
    std::string config_file;
    std::optional<std::string> listen;  // overrides the config's listen
    std::string version;
};

// Returns the exit code: 0 after SIGTERM/SIGINT, 1 when it could not start.
int run_daemon(const run_options& options);

}  // namespace warden::daemon
