// `redis-warden check`: poll (or load saved views), analyse, render, exit 0/1/2/3.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "controller/cli/connection_options.hpp"

namespace warden::cli {

struct check_options {
    connection_options connection;
    std::optional<std::string> config_file;
    std::vector<std::string> from_files;
    std::vector<std::string> zones;  // CIDR=ZONE failure-domain mappings
    std::string cluster_name;
    std::string format = "text";
    bool json = false;
    int min_replicas = 1;
};

void add_check_command(CLI::App& app, check_options& options);

// Returns the process exit code (monitoring-plugin convention).
int run_check(const check_options& options);

}  // namespace warden::cli
