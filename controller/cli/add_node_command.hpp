// `redis-warden add-node NEW...`: new nodes join the cluster (issue "Scale out and in").
// Each NEW must answer with the cluster's credentials, be cluster-enabled, know only itself
// and hold no keys, else the run is refused naming why. CLUSTER MEET, then a bounded wait
// until every node knows every new one and no handshake is left; as replicas (the default)
// each gets the master the heal planner's rules choose (or --master) and its link is
// verified up; as masters (--role master), --rebalance gives them their share of the slots
// through rebalance's engine. Exit 0 done, 1 refused or failed (naming where it stopped),
// 2 usage.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "controller/cli/acting_command.hpp"

namespace warden::cli {

struct add_node_options : acting_options {
    std::vector<std::string> new_nodes;  // host:port
    std::string role = "replica";        // replica | master
    std::optional<std::string> master;   // replicas: this master (id, id prefix or address)
    bool rebalance = false;              // masters: move their share of slots to them
};

void add_add_node_command(CLI::App& app, add_node_options& options);
int run_add_node(const add_node_options& options);

}  // namespace warden::cli
