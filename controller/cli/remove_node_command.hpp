// `redis-warden remove-node NODE...`: nodes leave the cluster for good (issue "Scale out and
// in"). A master serving slots leaves only with --drain (its slots move to the other
// masters through rebalance's engine); replicas of a leaving master are re-pointed to the
// masters that need them most; a master's last healthy replica leaves only with --force.
// Then CLUSTER RESET SOFT on each leaving node that answers (it forgets every other node and
// keeps no view of the cluster to rejoin with) and CLUSTER FORGET on every other node, repeated
// within the 60 s ban until no reachable node lists it. A node that is down is only forgotten;
// --failed forgets every node flagged fail and every ":0@0" ghost. Exit 0 done, 1 refused
// or failed, 2 usage.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "controller/cli/acting_command.hpp"

namespace warden::cli {

struct remove_node_options : acting_options {
    std::vector<std::string> nodes;  // id, id prefix or address
    bool drain = false;
    bool force = false;
    bool failed = false;
};

void add_remove_node_command(CLI::App& app, remove_node_options& options);
int run_remove_node(const remove_node_options& options);

}  // namespace warden::cli
