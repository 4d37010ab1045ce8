#include "controller/cli/restart_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "controller/cli/cluster_readiness.hpp"
#include "controller/cli/command_exit.hpp"
#include "controller/cli/failover_command.hpp"
#include "controller/cli/maintenance_command.hpp"
#include "controller/core/parse/info_fields.hpp"
#include "controller/core/parse/text_fields.hpp"
#include "controller/core/planner/failover_plan.hpp"
#include "controller/core/planner/restart_plan.hpp"
#include "controller/executor/shell_command.hpp"
#include "controller/executor/state_files.hpp"
#include "probes/connection.hpp"

namespace warden::cli {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds settle_bound{10000};
constexpr milliseconds failover_bound{60000};

int fail(int code, const std::string& message) {
    return cli::fail("restart", code, message);
}

double seconds_since(clock::time_point start) {
    return std::chrono::duration<double>(clock::now() - start).count();
}

// One INFO section on an open connection, or why it could not be read.
result<std::string> info_on(probes::redis_connection& connection, const std::string& address,
                            const char* section) {
    auto reply = connection.call({"INFO", section});
    if (!reply) return reply.failure();
    if (reply->type == probes::resp_type::error) {
        return error{fmt::format("{}: INFO {}: {}", address, section, reply->text)};
    }
    return reply->text;
}

// One INFO section of one node, on a connection of its own.
result<std::string> info_of(const cluster_target& target, const std::string& address,
                            const char* section) {
    auto connection =
        probes::redis_connection::open(address, target.request.auth, target.request.timeout);
    if (!connection) return connection.failure();
    return info_on(*connection, address, section);
}

std::optional<std::string> field_of(const std::string& text, std::string_view key) {
    auto fields = parse_info_fields(text);
    auto found = find_field(fields, key);
    if (!found) return std::nullopt;
    return std::string(*found);
}

std::optional<std::int64_t> integer_field(const std::string& text, std::string_view key) {
    auto found = field_of(text, key);
    if (!found) return std::nullopt;
    return parse_integer<std::int64_t>(*found);
}

std::string version_of(const cluster_target& target, const std::string& address) {
    auto text = info_of(target, address, "server");
    if (!text) return "";
    return field_of(*text, "redis_version").value_or("");
}

// What restart_pending needs from the node itself: the master's offset is read before the
// replica's, so "caught up" means it has everything written before the check began.
restarted_node_reading read_restarted(const cluster_target& target, const topology& cluster,
                                      const cluster_node& node) {
    restarted_node_reading reading;
    auto connection =
        probes::redis_connection::open(node.address, target.request.auth, target.request.timeout);
    auto persistence = connection ? info_on(*connection, node.address, "persistence")
                                  : result<std::string>(connection.failure());
    if (!persistence) {
        reading.error = persistence.failure().message;
        return reading;
    }
    reading.answered = true;
    reading.loading = field_of(*persistence, "loading") == "1";
    if (node.master_id) {
        if (const auto* master = cluster.find(*node.master_id)) {
            if (auto text = info_of(target, master->address, "replication")) {
                reading.master_offset_before = integer_field(*text, "master_repl_offset");
            }
        }
    }
    if (auto text = info_on(*connection, node.address, "replication")) {
        reading.sync_in_progress = field_of(*text, "master_sync_in_progress") == "1";
        reading.replica_offset = integer_field(*text, "slave_repl_offset");
    }
    return reading;
}

class restart_run {
  public:
    restart_run(const cluster_target& target, const restart_options& options)
        : target_(target), options_(options) {}

    int run();

  private:
    result<void> load_progress(const topology& cluster);
    result<void> save_progress();
    result<void> restart_node(const restart_target& step);
    result<void> hand_over(const std::string& node_id);
    result<void> wait_back(const std::string& node_id, const std::string& address);
    result<void> fail_back();
    std::string where(const std::string& address) const;

    const cluster_target& target_;
    const restart_options& options_;
    restart_progress progress_;
    std::set<std::string> baseline_;
    std::unique_ptr<daemon::maintenance_hold> hold_;
    double longest_failover_ = 0;
    std::size_t restarted_ = 0;
};

result<void> restart_run::load_progress(const topology& cluster) {
    progress_.cluster = target_.name;
    progress_.command = options_.exec;
    if (options_.state_file) {
        auto text = executor::read_if_exists(*options_.state_file);
        if (!text) return text.failure();
        if (*text) {
            auto loaded = parse_progress(**text);
            if (!loaded)
                return error{fmt::format("{}: {}", *options_.state_file, loaded.failure().message)};
            if (loaded->cluster != target_.name || loaded->command != options_.exec) {
                return error{fmt::format("{} belongs to another run (cluster '{}', --exec '{}'): "
                                         "give a new --state file, or the same --exec",
                                         *options_.state_file, loaded->cluster, loaded->command),
                             error_kind::usage};
            }
            progress_ = std::move(*loaded);
            std::printf("%s: continuing the run recorded in %s: %zu node(s) already restarted\n",
                        target_.name.c_str(), options_.state_file->c_str(), progress_.done.size());
            return {};
        }
    }
    for (const auto& node : cluster.nodes) {
        if (node.id.empty()) continue;
        if (node.role == node_role::master && node.serves_slots())
            progress_.masters_before.push_back(node.id);
        progress_.versions_before[node.id] = version_of(target_, node.address);
    }
    return save_progress();
}

result<void> restart_run::save_progress() {
    if (!options_.state_file) return {};
    return executor::write_replacing(*options_.state_file, progress_json(progress_));
}

std::string restart_run::where(const std::string& address) const {
    return fmt::format("stopped at {} ({} of the run's nodes restarted before it{})", address,
                       progress_.done.size(),
                       options_.state_file ? "; rerun with the same --state to continue" : "");
}

// A master serving slots hands them to its best replica first (a fresh look: the last step
// may have changed who that is).
result<void> restart_run::hand_over(const std::string& node_id) {
    auto settled = wait_settled(target_, settle_bound);
    if (!settled.problem.empty()) return error{"cluster not settled: " + settled.problem};
    const auto* node = settled.report.cluster_topology.find(node_id);
    if (node == nullptr || node->role != node_role::master || !node->serves_slots()) return {};
    auto plan = plan_master_failover(settled.report.cluster_topology, node_id);
    if (!plan) return plan.failure();
    const auto& step = plan->steps.front();
    auto started = clock::now();
    if (auto done = run_planned_failover(target_, step, failover_bound); !done) {
        return error{fmt::format("failover of {} to {}: {}", step.master_address,
                                 step.replica_address, done.failure().message)};
    }
    longest_failover_ = std::max(longest_failover_, seconds_since(started));
    // The failover itself may move a master onto a host that already has one
    // (quorum_domain_risk): what it changes on purpose is not what the restart must undo.
    auto after = wait_settled(target_, settle_bound);
    auto changed = finding_keys(after.report.health);
    baseline_.insert(changed.begin(), changed.end());
    std::printf("  failover: %s now serves the %d slot(s) of %s (%.2f s)\n",
                step.replica_address.c_str(), step.slots, step.master_address.c_str(),
                seconds_since(started));
    return {};
}

result<void> restart_run::wait_back(const std::string& node_id, const std::string& address) {
    auto deadline = clock::now() + milliseconds(options_.node_timeout_ms);
    std::string pending = "no look yet";
    while (clock::now() < deadline) {
        if (interruption_requested()) {
            return error{
                fmt::format("interrupted while waiting for {} to come back: {}", address, pending)};
        }
        auto settled = wait_settled(target_, milliseconds(0));
        const auto& cluster = settled.report.cluster_topology;
        restarted_node_reading reading;
        if (const auto* node = cluster.find(node_id)) {
            reading = read_restarted(target_, cluster, *node);
        } else {
            reading.error = "no view lists it";
        }
        pending = restart_pending(cluster, settled.report.health, node_id, reading, settled.problem,
                                  baseline_);
        if (pending.empty()) return {};
        std::this_thread::sleep_for(milliseconds(250));
    }
    return error{fmt::format("{} not back within --node-timeout {} ms: {}", address,
                             options_.node_timeout_ms, pending),
                 error_kind::timeout};
}

result<void> restart_run::restart_node(const restart_target& step) {
    if (step.master) {
        if (auto handed = hand_over(step.id); !handed) return handed;
    }
    auto command = executor::substitute_placeholders(
        options_.exec, {{"host", step.host}, {"port", std::to_string(step.port)}, {"id", step.id}});
    std::printf("  %s %s: %s\n", step.master ? "restarting (now a replica)" : "restarting",
                step.address.c_str(), command.c_str());
    std::fflush(stdout);
    auto outcome = executor::run_shell(command,
                                       {{"WARDEN_NODE_HOST", step.host},
                                        {"WARDEN_NODE_PORT", std::to_string(step.port)},
                                        {"WARDEN_NODE_ID", step.id},
                                        {"WARDEN_NODE_ROLE", "replica"},
                                        {"WARDEN_NODE_WAS_MASTER", step.master ? "1" : "0"}},
                                       milliseconds(options_.node_timeout_ms));
    if (!outcome) return outcome.failure();
    if (outcome->timed_out) {
        return error{
            fmt::format("--exec did not finish within --node-timeout {} ms on {} "
                        "(killed)",
                        options_.node_timeout_ms, step.address)};
    }
    if (outcome->exit_code != 0) {
        return error{
            fmt::format("--exec failed on {} (exit {})", step.address, outcome->exit_code)};
    }
    auto started = clock::now();
    if (auto back = wait_back(step.id, step.address); !back) return back;
    std::printf("  back: %s (%.2f s), redis_version %s\n", step.address.c_str(),
                seconds_since(started), version_of(target_, step.address).c_str());
    std::fflush(stdout);
    return {};
}

// --failback: every original master that is now a replica takes its slots back.
result<void> restart_run::fail_back() {
    for (const auto& id : progress_.masters_before) {
        auto settled = wait_settled(target_, settle_bound);
        if (!settled.problem.empty()) return error{"cluster not settled: " + settled.problem};
        const auto& cluster = settled.report.cluster_topology;
        const auto* node = cluster.find(id);
        if (node == nullptr || node->role != node_role::replica || !node->master_id) continue;
        const auto* master = cluster.find(*node->master_id);
        if (master == nullptr) continue;
        auto plan = plan_master_failover(cluster, master->id, std::string_view(id));
        if (!plan) return plan.failure();
        if (auto done = run_planned_failover(target_, plan->steps.front(), failover_bound); !done)
            return done.failure();
        std::printf("  failback: %s serves its slots again\n", node->address.c_str());
    }
    return {};
}

int restart_run::run() {
    auto settled = wait_settled(target_, settle_bound);
    if (!settled.problem.empty()) {
        return fail(exit_failure,
                    fmt::format("{}: cluster not settled: {}", target_.name, settled.problem));
    }
    const auto& cluster = settled.report.cluster_topology;
    if (auto why = restart_refusal(cluster, settled.report.health); !why.empty()) {
        return fail(exit_failure,
                    fmt::format("{}: refusing a rolling restart: {}", target_.name, why));
    }
    if (auto loaded = load_progress(cluster); !loaded) {
        return fail(loaded.failure().kind == error_kind::usage ? exit_usage : exit_failure,
                    loaded.failure().message);
    }
    std::set<std::string> done(progress_.done.begin(), progress_.done.end());
    auto plan = plan_rolling_restart(cluster, options_.nodes, options_.hosts, done);
    if (!plan) {
        return fail(plan.failure().kind == error_kind::usage ? exit_usage : exit_failure,
                    fmt::format("{}: {}", target_.name, plan.failure().message));
    }
    std::printf("%s: %zu node(s) to restart, one at a time, with: %s\n%s", target_.name.c_str(),
                plan->steps.size(), options_.exec.c_str(), describe_restart_plan(*plan).c_str());
    if (options_.failback) std::printf("  then: fail back to the original masters\n");
    if (options_.dry_run) return exit_ok;
    auto answer = confirm(options_.yes, fmt::format("Restart {} node(s)?", plan->steps.size()));
    if (answer != confirmation::go) return not_confirmed("restart", answer, "restarting");
    auto hold = hold_maintenance(target_, "restart",
                                 fmt::format("rolling restart of {} node(s)", plan->steps.size()));
    if (!hold)
        return fail(exit_failure, fmt::format("{}: {}", target_.name, hold.failure().message));
    hold_ = std::move(*hold);
    baseline_ = finding_keys(settled.report.health);
    catch_interruptions(true);
    auto run_started = clock::now();
    for (const auto& step : plan->steps) {
        if (interruption_requested()) {
            return fail(exit_failure, where(step.address) + ": interrupted");
        }
        if (auto lost = hold_lost(hold_.get()))
            return fail(exit_failure, where(step.address) + ": " + *lost);
        if (auto restarted = restart_node(step); !restarted) {
            return fail(exit_failure,
                        fmt::format("{}: {}; every slot is still served (the node restarted "
                                    "last is not confirmed back: `redis-warden check` shows it)",
                                    where(step.address), restarted.failure().message));
        }
        progress_.done.push_back(step.id);
        ++restarted_;
        if (auto saved = save_progress(); !saved) {
            return fail(exit_failure, fmt::format("after {}: cannot record progress: {}",
                                                  step.address, saved.failure().message));
        }
    }
    if (options_.failback) {
        if (auto back = fail_back(); !back) {
            return fail(exit_failure,
                        "failback: " + back.failure().message +
                            "; every node is restarted, the slots stay where they are");
        }
    }
    std::map<std::string, std::string> after;
    auto final_view = wait_settled(target_, settle_bound);
    for (const auto& node : final_view.report.cluster_topology.nodes) {
        if (!node.id.empty()) after[node.id] = version_of(target_, node.address);
    }
    std::printf("success: %s in %.1f s",
                describe_versions(progress_.done.size(), progress_.versions_before, after).c_str(),
                seconds_since(run_started));
    if (longest_failover_ > 0) std::printf("; longest failover %.2f s", longest_failover_);
    std::printf("\n");
    return exit_ok;
}

}  // namespace

void add_restart_command(CLI::App& app, restart_options& options) {
    auto* command = app.add_subcommand(
        "restart", "rolling restart or upgrade: replicas first, masters failed over first");
    options.connection.add_to(*command, false);
    options.add_to(*command, "with --config, the cluster to restart");
    command
        ->add_option("--exec", options.exec,
                     "run with /bin/sh -c for each node; {host} {port} {id} replaced, "
                     "WARDEN_NODE_HOST/PORT/ID/ROLE in its environment")
        ->required();
    command->add_option("--node", options.nodes,
                        "only this node: id, id prefix or address (repeatable)");
    command->add_option("--host", options.hosts, "only the nodes on this host (repeatable)");
    command->add_option("--state", options.state_file,
                        "record progress here; rerun with it to continue after a failure");
    command
        ->add_option("--node-timeout", options.node_timeout_ms,
                     "milliseconds a node has to come back after --exec (default 120000)")
        ->check(CLI::Range(1000, 3600000));
    command->add_flag("--failback", options.failback,
                      "at the end, hand the slots back to the original masters");
    options.add_acting_flags(*command, "print every step in order and change nothing",
                             "restart without asking");
}

int run_restart(const restart_options& options) {
    if (auto usable = options.check_usage(); !usable) {
        return fail(exit_usage, usable.failure().message);
    }
    if (options.exec.empty()) return fail(exit_usage, "--exec must not be empty");
    auto targets = resolve_targets(options);
    if (!targets) return fail(exit_usage, targets.failure().message);
    if (targets->size() > 1 && options.state_file) {
        return fail(exit_usage, "--state records one cluster's run: add --cluster-name");
    }
    int worst = exit_ok;
    for (const auto& target : *targets) {
        restart_run run(target, options);
        worst = std::max(worst, run.run());
    }
    return worst;
}

}  // namespace warden::cli
