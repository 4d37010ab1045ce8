#include "controller/cli/rebalance_command.hpp"
#include "controller/cli/command_exit.hpp"
#include "controller/cli/maintenance_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "controller/cli/cluster_readiness.hpp"
#include "controller/core/planner/heal_plan.hpp"
#include "controller/core/planner/rebalance_plan.hpp"
#include "controller/executor/move_survey.hpp"
#include "controller/executor/slot_mover.hpp"
#include "probes/connection.hpp"

namespace warden::cli {
namespace {

int fail(int code, const std::string& message) {
    return cli::fail("rebalance", code, message);
}

result<rebalance_plan> make_plan(const topology& cluster, const rebalance_options& options) {
    if (options.move_slots) {
        auto to = resolve_node(cluster, options.to);
        if (!to) return error{"--to: " + to.failure().message};
        std::string from;
        if (!options.from.empty()) {
            auto named = resolve_node(cluster, options.from);
            if (!named) return error{"--from: " + named.failure().message};
            from = *named;
        }
        return plan_manual_move(cluster, *options.move_slots, *to, from);
    }
    rebalance_policy policy;
    policy.threshold_percent = options.threshold;
    policy.use_empty_masters = options.use_empty_masters;
    for (const auto& weight : options.weights) {
        auto equals = weight.rfind('=');
        if (equals == std::string::npos)
            return error{fmt::format("--weight '{}': expected NODE=W", weight)};
        auto node = resolve_node(cluster, weight.substr(0, equals));
        if (!node) return error{fmt::format("--weight '{}': {}", weight, node.failure().message)};
        try {
            policy.weights[*node] = std::stod(weight.substr(equals + 1));
        } catch (const std::exception&) {
            return error{fmt::format("--weight '{}': the weight is not a number", weight)};
        }
    }
    return plan_rebalance(cluster, policy);
}

executor::mover_settings mover_settings_of(const cluster_target& target,
                                           const rebalance_options& options, std::size_t pairs) {
    executor::mover_settings settings;
    settings.auth = target.request.auth;
    settings.timeout = acting_timeout(target.request.timeout);
    settings.pipeline = options.pipeline;
    settings.parallel =
        options.parallel > 0 ? options.parallel : static_cast<int>(std::min<std::size_t>(pairs, 8));
    settings.replace = options.replace;
    settings.move_method = parse_move_method(options.move_method).value();  // checked by CLI11
    return settings;
}

void report_progress(const executor::mover_progress& progress, int total, double seconds, bool tty,
                     bool final_line) {
    int done = progress.slots_done;
    auto keys = progress.keys_moved.load();
    double rate = seconds > 0 ? static_cast<double>(keys) / seconds : 0;
    double eta = done > 0 ? seconds * (total - done) / done : 0;
    auto line = fmt::format("slots {}/{}  keys {}  {:.0f} keys/s  ETA {:.0f} s", done, total, keys,
                            rate, eta);
    if (tty) {
        std::fprintf(stderr, "\r%s   %s", line.c_str(), final_line ? "\n" : "");
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
}

int execute(const cluster_target& target, const check_report& report, const rebalance_plan& plan,
            const rebalance_options& options, daemon::maintenance_hold* hold) {
    if (auto moved = move_planned_slots(target, report, plan, options, hold); !moved) {
        return fail(exit_code_for(moved.failure(), command_family::acting),
                    moved.failure().message);
    }
    return exit_ok;
}

}  // namespace

result<void> survey_plan(const cluster_target& target, rebalance_plan& plan,
                         const rebalance_options& options) {
    return executor::survey_moves(plan, mover_settings_of(target, options, 1));
}

result<void> move_planned_slots(const cluster_target& target, const check_report& report,
                                const rebalance_plan& plan, const rebalance_options& options,
                                daemon::maintenance_hold* hold) {
    auto settings = mover_settings_of(target, options, plan.moves.size());
    executor::mover_progress progress;
    catch_interruptions(false);
    bool tty = isatty(STDERR_FILENO) != 0;
    result<void> moved;
    int last_reported = -1;
    auto seconds = run_with_progress(
        [&] {
            moved = executor::run_moves(
                plan, executor::masters_of(report.cluster_topology), settings, progress,
                [&] { return interruption_requested() || hold_lost(hold).has_value(); },
                [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
        },
        std::chrono::milliseconds(tty ? 200 : 50),
        [&](double elapsed, bool final) {
            // Not a terminal: one line per 256 slots, so logs stay readable.
            if (!final && !tty && progress.slots_done / 256 == last_reported) return;
            last_reported = progress.slots_done / 256;
            report_progress(progress, plan.slots_moved, elapsed, tty, final);
        });
    std::printf("moved %d slot(s) and %lld key(s) in %.2f s (%.0f keys/s)\n",
                progress.slots_done.load(), progress.keys_moved.load(), seconds,
                seconds > 0 ? static_cast<double>(progress.keys_moved) / seconds : 0.0);
    if (!moved) return moved;
    // All moved: the next step's check tells the caller, not a stop here.
    if (auto lost = progress.slots_done < plan.slots_moved ? hold_lost(hold) : std::nullopt) {
        return error{fmt::format("stopped after {} of {} slot(s), the slots in flight finished: {}",
                                 progress.slots_done.load(), plan.slots_moved, *lost)};
    }
    if (interruption_requested()) {
        return error{"interrupted: the slots in flight were finished; rerun to continue"};
    }
    return {};
}

namespace {

int rebalance_cluster(const cluster_target& target, const rebalance_options& options) {
    auto bound = std::chrono::milliseconds(options.settle_timeout_ms);
    auto settled = wait_settled(target, bound);
    if (!settled.report.cluster_topology.open_slots.empty()) {
        auto count = settled.report.cluster_topology.open_slots.size();
        if (options.dry_run) {
            std::printf(
                "%zu slot state(s) left open by an interrupted run would be finished "
                "first\n",
                count);
        } else {
            std::printf("finishing %zu slot state(s) left open by an interrupted run\n", count);
            executor::mover_progress progress;
            auto settings = mover_settings_of(target, options, 1);
            auto finished = executor::finish_open_slots(
                settled.report.cluster_topology, settings, progress,
                [](const std::string& line) { std::printf("  %s\n", line.c_str()); });
            if (!finished) {
                // Always 1: the addresses dialed here come from the cluster (an unknown node's
                // id stands in for its address), so a usage kind would not be the user's.
                return fail(
                    exit_failure,
                    prefixed("could not finish the open slots", finished.failure()).message);
            }
            settled = wait_settled(target, bound);
        }
    }
    if (!settled.problem.empty()) {
        return fail(exit_failure, fmt::format("{}: cluster not settled after {} ms: {}",
                                              target.name, bound.count(), settled.problem));
    }
    if (auto why = refusal(settled.report); !why.empty()) {
        return fail(exit_failure,
                    fmt::format("{}: not healthy enough to move slots: {}", target.name, why));
    }
    const auto& cluster = settled.report.cluster_topology;
    auto plan = make_plan(cluster, options);
    if (!plan) return fail(exit_usage, plan.failure().message);
    if (auto surveyed = survey_plan(target, *plan, options); !surveyed) {
        return fail(exit_code_for(surveyed.failure(), command_family::acting),
                    surveyed.failure().message);
    }
    std::fputs(describe_rebalance(*plan, cluster).c_str(), stdout);
    if (options.dry_run || plan->moves.empty()) return exit_ok;
    auto answer = confirm(options.yes, fmt::format("Move {} slot(s)?", plan->slots_moved));
    if (answer != confirmation::go) return not_confirmed("rebalance", answer, "moving slots");
    // Held for the whole move: a daemon in heal mode must not move replicas meanwhile.
    auto hold =
        hold_maintenance(target, "rebalance", fmt::format("moving {} slot(s)", plan->slots_moved));
    if (!hold)
        return fail(exit_failure, fmt::format("{}: {}", target.name, hold.failure().message));
    return execute(target, settled.report, *plan, options, hold->get());
}

}  // namespace

void add_rebalance_command(CLI::App& app, rebalance_options& options) {
    auto* command =
        app.add_subcommand("rebalance",
                           "move slots to match weights (or --move SLOTS --to NODE); safe to rerun "
                           "after an interruption");
    options.connection.add_to(*command);
    options.add_to(*command, "with --config, the cluster to rebalance");
    command->add_option("--weight", options.weights,
                        "NODE=W: node id, id prefix or address (repeatable)");
    command->add_option("--threshold", options.threshold, "leave masters within PCT of target")
        ->check(CLI::Range(0.0, 100.0));
    command->add_flag("--use-empty-masters", options.use_empty_masters,
                      "masters without slots take part");
    command->add_option("--pipeline", options.pipeline, "keys per MIGRATE")
        ->check(CLI::Range(1, 100000));
    command
        ->add_option(
            "--parallel", options.parallel,
            "chunks of slots moved at once (default: one per source -> target pair, at most 8)")
        ->check(CLI::Range(1, 64));
    command->add_option("--move", options.move_slots, "slots to move, e.g. 0-99,200");
    command->add_option("--to", options.to, "with --move: the master that gets them");
    command->add_option("--from", options.from, "with --move: only slots this master serves");
    command
        ->add_option("--move-method", options.move_method,
                     "how keys move: auto (MIGRATE, or client-side where MIGRATE cannot "
                     "authenticate: Redis before 4.0.7 with a password), migrate, client")
        ->check(CLI::IsMember({"auto", "migrate", "client"}))
        ->capture_default_str();
    command->add_flag("--replace", options.replace,
                      "on BUSYKEY, let the source's copy overwrite the target's");
    command
        ->add_option("--settle-timeout", options.settle_timeout_ms,
                     "milliseconds to wait for every node to know every master and report "
                     "cluster_state:ok")
        ->check(CLI::Range(0, 600000));
    options.add_acting_flags(*command, "print the plan, change nothing", "move without asking");
}

int run_rebalance(const rebalance_options& options) {
    if (auto sourced = options.check_source(); !sourced) {
        return fail(exit_usage, sourced.failure().message);
    }
    if (options.move_slots && options.to.empty()) return fail(exit_usage, "--move needs --to NODE");
    if (!options.move_slots && (!options.to.empty() || !options.from.empty())) {
        return fail(exit_usage, "--to/--from only go with --move");
    }
    if (auto usable = options.check_usage(); !usable) {
        return fail(exit_usage, usable.failure().message);
    }
    auto targets = resolve_targets(options);
    if (!targets) return fail(exit_usage, targets.failure().message);
    int worst = exit_ok;
    for (const auto& target : *targets) worst = std::max(worst, rebalance_cluster(target, options));
    return worst;
}

}  // namespace warden::cli
