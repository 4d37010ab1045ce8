// `redis-warden maintenance (on [--for D] [--reason T] | off | status) --config FILE
// [--cluster-name N]`: a maintenance window set by hand, and the hold the planned operations
// take for their duration (DESIGN.md "Maintenance windows"). While a marker is set, a daemon
// polls and exports but does not act, and the alert rules stay quiet.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "controller/cli/cluster_targets.hpp"
#include "controller/daemon/maintenance_store.hpp"

namespace warden::cli {

struct maintenance_options {
    std::string action;  // on | off | status
    std::string config_file;
    std::string cluster_name;
    std::optional<std::string> duration;  // --for; 1h when not given
    std::optional<std::string> reason;
};

void add_maintenance_command(CLI::App& app, maintenance_options& options);
int run_maintenance(const maintenance_options& options);

// The marker a planned operation holds while it acts on `target`: none with --seed (no
// daemon to tell: the config names state_dir and coordination), else the hold, or why it
// cannot be taken (another operation holds the cluster, the state_dir is not writable,
// etcd is down). `what` is the operation ("restart"), `reason` what it does.
result<std::unique_ptr<daemon::maintenance_hold>> hold_maintenance(const cluster_target& target,
                                                                   const std::string& what,
                                                                   const std::string& reason);

// Asked before each step of a planned operation (and per slot while slots move): why the
// operation must stop now, if it must: the marker it holds was removed (`maintenance off`)
// or its etcd lease ended. Never with no hold (--seed).
std::optional<std::string> hold_lost(daemon::maintenance_hold* hold);
// hold_lost as the error the operation stops with: "stopped before <step> (<left>): <why>",
// `left` saying what is done and the state the cluster is in.
result<void> still_held(daemon::maintenance_hold* hold, const std::string& step,
                        const std::string& left);

}  // namespace warden::cli
