// `redis-warden config check FILE`: judges a config as `run` would load it, at start or on
// SIGHUP (executor::load_config: every key, duration, address, CIDR, password file and TLS
// file), and connects to nothing, as `nginx -t` or `promtool check config`. Exit 0 with one
// line on stdout ("config OK: FILE: 1 cluster (local: observe), coordination none, listen
// 127.0.0.1:9736"), or 1 with the error `run` would print ("FILE:LINE:COL: key '...': ...")
// on stderr; 2 on usage errors. The unit's ExecReload runs it before it signals.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace warden::cli {

struct config_options {
    std::string file;
};

void add_config_command(CLI::App& app, config_options& options);
int run_config_check(const config_options& options);

}  // namespace warden::cli
