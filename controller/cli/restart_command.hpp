// `redis-warden restart --exec 'COMMAND'`: a rolling restart or upgrade. Replicas first, one
// at a time; then each master, failed over first (as `failover --master`) and restarted as a
// replica. After each restart, bounded by --node-timeout, the node must be back (answering,
// not loading, known by every node, cluster_state:ok, its link up and caught up, no new
// finding) before the next step. --state FILE records progress so a rerun continues;
// --failback hands the slots back to the original masters at the end.
// Exit 0 done, 1 failed, refused or interrupted (the message says where it stopped and what
// it left), 2 usage.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "controller/cli/acting_command.hpp"

namespace warden::cli {

struct restart_options : acting_options {
    std::string exec;
    std::vector<std::string> nodes;
    std::vector<std::string> hosts;
    std::optional<std::string> state_file;
    int node_timeout_ms = 120000;
    bool failback = false;
};

void add_restart_command(CLI::App& app, restart_options& options);
int run_restart(const restart_options& options);

}  // namespace warden::cli
