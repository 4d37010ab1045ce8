#include "controller/cli/failover_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "controller/cli/cluster_readiness.hpp"
#include "controller/cli/command_exit.hpp"
#include "controller/cli/maintenance_command.hpp"
#include "controller/core/planner/failover_plan.hpp"
#include "probes/connection.hpp"

namespace warden::cli {
namespace {

using clock = std::chrono::steady_clock;

int fail(int code, const std::string& message) {
    return cli::fail("failover", code, message);
}

// A fresh look at the cluster: wait (briefly) for it to settle, then say why a planned
// failover must not start now, if it must not.
result<check_report> fit_cluster(const cluster_target& target) {
    auto settled = wait_settled(target, std::chrono::milliseconds(5000));
    if (!settled.problem.empty()) {
        return error{fmt::format("{}: cluster not settled: {}", target.name, settled.problem)};
    }
    auto why = failover_refusal(settled.report.cluster_topology, settled.report.health);
    if (!why.empty())
        return error{fmt::format("{}: refusing a planned failover: {}", target.name, why)};
    return settled.report;
}

result<failover_plan> plan_of(const topology& cluster, const failover_options& options) {
    if (options.host) return plan_host_drain(cluster, *options.host);
    return plan_master_failover(
        cluster, *options.master,
        options.to ? std::optional<std::string_view>(*options.to) : std::nullopt);
}

int failover_cluster(const cluster_target& target, const failover_options& options) {
    auto report = fit_cluster(target);
    if (!report) return fail(exit_failure, report.failure().message);
    auto plan = plan_of(report->cluster_topology, options);
    if (!plan) {
        return fail(plan.failure().kind == error_kind::usage ? exit_usage : exit_failure,
                    fmt::format("{}: {}", target.name, plan.failure().message));
    }
    if (plan->steps.empty()) {
        std::printf("%s: no master serving slots on %s: nothing to do\n", target.name.c_str(),
                    options.host->c_str());
        return exit_ok;
    }
    std::printf("%s: %zu planned failover(s), one at a time:\n%s", target.name.c_str(),
                plan->steps.size(), describe_failover_plan(*plan).c_str());
    if (options.dry_run) return exit_ok;
    auto answer = confirm(options.yes, fmt::format("Run {} failover(s)?", plan->steps.size()));
    if (answer != confirmation::go) return not_confirmed("failover", answer, "failing over");
    auto hold = hold_maintenance(target, "failover",
                                 fmt::format("{} planned failover(s)", plan->steps.size()));
    if (!hold)
        return fail(exit_failure, fmt::format("{}: {}", target.name, hold.failure().message));
    const auto bound = std::chrono::milliseconds(options.step_timeout_ms);
    for (std::size_t i = 0; i < plan->steps.size(); ++i) {
        const auto& step = plan->steps[i];
        if (auto held = still_held(hold->get(), step.master_address,
                                   fmt::format("{} of {} done", i, plan->steps.size()));
            !held) {
            return fail(exit_failure, held.failure().message);
        }
        if (i > 0) {
            if (auto still_fit = fit_cluster(target); !still_fit) {
                return fail(exit_failure, fmt::format("stopped before {} ({} of {} done): {}",
                                                      step.master_address, i, plan->steps.size(),
                                                      still_fit.failure().message));
            }
        }
        auto started = clock::now();
        if (auto done = run_planned_failover(target, step, bound); !done) {
            return fail(exit_failure,
                        fmt::format("failover of {} to {} ({} of {} done before it): {}; every "
                                    "slot is still served by one of the two (check shows which)",
                                    step.master_address, step.replica_address, i,
                                    plan->steps.size(), done.failure().message));
        }
        std::printf("done: %s now serves the %d slot(s) of %s, which replicates it (%.2f s)\n",
                    step.replica_address.c_str(), step.slots, step.master_address.c_str(),
                    std::chrono::duration<double>(clock::now() - started).count());
        std::fflush(stdout);
    }
    std::printf("success: %zu failover(s) done\n", plan->steps.size());
    return exit_ok;
}

}  // namespace

// CLUSTER FAILOVER on the replica, then polls until every view agrees the step is done.
result<void> run_planned_failover(const cluster_target& target, const failover_step& step,
                                  std::chrono::milliseconds bound) {
    auto replica = probes::redis_connection::open(step.replica_address, target.request.auth,
                                                  acting_timeout(target.request.timeout));
    if (!replica) return replica.failure();
    auto reply = replica->call({"CLUSTER", "FAILOVER"});
    if (!reply) return reply.failure();
    if (reply->type == probes::resp_type::error) {
        return error{
            fmt::format("{}: CLUSTER FAILOVER refused: {}", step.replica_address, reply->text),
            error_kind::reply};
    }
    auto deadline = clock::now() + bound;
    std::string pending = "no poll yet";
    while (clock::now() < deadline) {
        auto observed = probes::poll_cluster(target.request);
        auto report = analyze(observed, target.policy);
        pending = failover_pending(report.cluster_topology, step, step.slots);
        if (pending.empty()) return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return error{fmt::format("not verified within {} ms: {}", bound.count(), pending),
                 error_kind::timeout};
}

void add_failover_command(CLI::App& app, failover_options& options) {
    auto* command = app.add_subcommand(
        "failover",
        "planned CLUSTER FAILOVER of a master (--master) or of every master on a host (--host)");
    options.connection.add_to(*command, false);
    options.add_to(*command, "with --config, the cluster to act on");
    auto* master = command->add_option("--master", options.master,
                                       "the master to hand over: node id, id prefix or address");
    command->add_option("--to", options.to, "with --master: the replica that takes over")
        ->needs(master);
    auto* host = command->add_option("--host", options.host,
                                     "drain this host (IP or hostname): every master on it");
    master->excludes(host);
    command
        ->add_option("--timeout", options.step_timeout_ms,
                     "milliseconds each failover may take until verified (default 60000)")
        ->check(CLI::Range(1000, 3600000));
    options.add_acting_flags(*command, "print the plan and change nothing",
                             "fail over without asking");
}

int run_failover(const failover_options& options) {
    if (auto sourced = options.check_source(); !sourced) {
        return fail(exit_usage, sourced.failure().message);
    }
    if (!options.master && !options.host)
        return fail(exit_usage, "give --master NODE or --host HOST");
    if (auto usable = options.check_usage(); !usable) {
        return fail(exit_usage, usable.failure().message);
    }
    auto targets = resolve_targets(options);
    if (!targets) return fail(exit_usage, targets.failure().message);
    int worst = exit_ok;
    for (const auto& target : *targets) worst = std::max(worst, failover_cluster(target, options));
    return worst;
}

}  // namespace warden::cli
