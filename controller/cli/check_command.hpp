// `redis-warden check`: poll (or load saved views), analyse, render, exit 0/1/2/3.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "controller/cli/cluster_targets.hpp"

namespace warden::cli {

struct check_options : target_options {
    std::vector<std::string> from_files;
    std::string format = "text";
    bool json = false;
};

void add_check_command(CLI::App& app, check_options& options);

// Returns the process exit code (monitoring-plugin convention).
int run_check(const check_options& options);

}  // namespace warden::cli
