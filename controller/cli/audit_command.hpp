// `redis-warden audit`: protected mode, auth, replication credentials, dangerous commands,
// configuration drift and memory, with the exact fix for each finding. Exit codes as check
// (0 ok, 1 warning, 2 critical, 3 unknown: nothing reachable, bad arguments, or nodes that
// could not be audited while nothing worse was found).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "controller/cli/cluster_targets.hpp"

namespace warden::cli {

struct audit_options : target_options {
    std::vector<std::string> client_users;
    bool json = false;
};

void add_audit_command(CLI::App& app, audit_options& options);
int run_audit_command(const audit_options& options);

}  // namespace warden::cli
