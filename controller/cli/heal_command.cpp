#include "controller/cli/heal_command.hpp"
#include "controller/cli/command_exit.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "controller/core/planner/heal_step.hpp"
#include "controller/executor/fast_sync.hpp"
#include "controller/executor/heal_executor.hpp"
#include "controller/executor/slot_mover.hpp"

namespace warden::cli {
namespace {

int fail(int code, const std::string& message) {
    return cli::fail("heal", code, message);
}

executor::heal_target to_heal_target(const cluster_target& cluster, const heal_options& options) {
    auto heal = cluster.heal;
    heal.spares.insert(heal.spares.end(), options.spares.begin(), options.spares.end());
    heal.fix_placement = heal.fix_placement && !options.orphans_only;
    heal.takeover = heal.takeover || options.takeover;
    if (options.takeover_after_ms) {
        heal.takeover_after = std::chrono::milliseconds(*options.takeover_after_ms);
    }
    if (!options.config_file)
        heal.verify_timeout = std::chrono::milliseconds(options.verify_timeout_ms);
    if (options.state_dir) heal.state_dir = *options.state_dir;
    heal.fast_sync = heal.fast_sync && !options.no_fast_sync;
    return executor::heal_target_for(cluster.request, cluster.policy, heal);
}

void print_spares(const std::vector<spare_node>& spares) {
    for (const auto& spare : spares) {
        if (spare.eligible) continue;
        std::printf("  spare %s not usable: %s\n", spare.address.c_str(), spare.problem.c_str());
    }
}

bool orphan_left(const heal_plan& plan) {
    for (const auto& unmet : plan.unmet) {
        if (unmet.goal == heal_goal::cover_orphan || unmet.goal == heal_goal::restore_quorum) {
            return true;
        }
    }
    return false;
}

int carry_out(const heal_plan& plan, const executor::heal_target& target) {
    int code = exit_ok;
    for (std::size_t i = 0; i < plan.actions.size(); ++i) {
        const auto& action = plan.actions[i];
        std::printf("%zu. %s\n", i + 1, describe_action(action).c_str());
        std::fflush(stdout);
        auto done = executor::execute_action(
            action, target, [] { return false; },
            [](const std::string& line) {
                std::printf("   %s\n", line.c_str());
                std::fflush(stdout);
            });
        std::printf("   %s: %s\n", to_string(done.outcome), done.detail.c_str());
        if (done.outcome != executor::action_outcome::success) code = exit_failure;
    }
    return code;
}

result<void> finish_open_slots(const topology& cluster, const executor::heal_target& target) {
    executor::mover_settings settings;
    settings.auth = target.request.auth;
    settings.timeout = acting_timeout(target.request.timeout);
    executor::mover_progress progress;
    return executor::finish_open_slots(cluster, settings, progress, [](const std::string& line) {
        std::printf("   %s\n", line.c_str());
        std::fflush(stdout);
    });
}

int heal_cluster(const cluster_target& cluster, const heal_options& options) {
    auto target = to_heal_target(cluster, options);
    auto reading = executor::read_cluster(target);
    if (reading.report.health.status == severity::unknown) {
        return fail(exit_failure, fmt::format("{}: no node reachable", cluster.name));
    }
    std::fputs(describe_plan(reading.plan, cluster.name).c_str(), stdout);
    print_spares(reading.spares);
    auto blocker =
        blocker_for(reading.plan, reading.report.cluster_topology, reading.report.health);
    if (!blocker.empty() && !reading.plan.actions.empty()) {
        std::printf("  not safe to act now: %s\n", blocker.c_str());
    }
    int unmet_code = orphan_left(reading.plan) ? exit_failure : exit_ok;
    const auto& quorum = reading.report.health.quorum;
    if (quorum.margin < 0 && !target.takeover) {
        std::printf(
            "  quorum lost: %d of %d voting masters healthy, %d needed; no failover can "
            "happen and replica moves cannot help. Restore the dead masters, or allow "
            "--takeover (heal.takeover) after reading the README's split-brain note\n",
            quorum.healthy_voting_masters, quorum.voting_masters, quorum.needed);
        unmet_code = exit_failure;
    }
    const auto& open_slots = reading.report.cluster_topology.open_slots;
    if (!open_slots.empty()) {
        std::printf(
            "  %zu slot state(s) left MIGRATING/IMPORTING (slots_open): heal finishes "
            "them first, as rebalance would; make sure no rebalance is running\n",
            open_slots.size());
    }
    if (options.dry_run || (reading.plan.actions.empty() && open_slots.empty())) {
        return unmet_code;
    }
    auto actions = reading.plan.actions.size() + (open_slots.empty() ? 0 : 1);
    auto answer = confirm(options.yes, fmt::format("Carry out {} action(s)?", actions));
    if (answer != confirmation::go) {
        return not_confirmed("heal", answer, "acting", "--dry-run only prints the plan");
    }
    // What an earlier run (or a stopped daemon) left lowered by fast sync goes back first.
    for (const auto& note : executor::restore_pending(
             target.state_dir, cluster.name, target.request.auth, target.request.timeout)) {
        std::printf("   %s\n", note.text.c_str());
    }
    int open_code = exit_ok;
    if (!open_slots.empty()) {
        // Slots that cannot be finished are reported; the orphans are still covered.
        if (auto finished = finish_open_slots(reading.report.cluster_topology, target); !finished) {
            // Always 1, whatever the kind: the addresses dialed come from the cluster.
            open_code =
                fail(exit_failure,
                     prefixed("could not finish the open slots", finished.failure()).message);
        }
        if (reading.plan.actions.empty()) return std::max(unmet_code, open_code);
    }
    return std::max({carry_out(reading.plan, target), unmet_code, open_code});
}

}  // namespace

void add_heal_command(CLI::App& app, heal_options& options) {
    auto* command = app.add_subcommand(
        "heal", "cover orphaned masters with spare replicas, empty masters or spare nodes");
    options.connection.add_to(*command);
    options.add_to(*command, "with --config, the cluster to heal");
    command
        ->add_option("--spare", options.spares,
                     "empty cluster-enabled node warden may CLUSTER MEET in (repeatable)")
        ->type_name("HOST:PORT");
    command
        ->add_option("--verify-timeout", options.verify_timeout_ms,
                     "milliseconds a moved replica has to report link up")
        ->check(CLI::Range(100, 3600000));
    command->add_flag("--orphans-only", options.orphans_only,
                      "only cover orphaned masters (no target or placement moves)");
    command->add_flag("--takeover", options.takeover,
                      "when quorum is lost, CLUSTER FAILOVER TAKEOVER on the best replica of "
                      "each dead master (split-brain risk: see the README)");
    command
        ->add_option("--takeover-after", options.takeover_after_ms,
                     "milliseconds a master must be dead first (default 3 x "
                     "cluster-node-timeout)")
        ->check(CLI::Range(0, 3600000));
    command->add_option("--state-dir", options.state_dir,
                        "where the fast-sync ledger lives (default: the config's state_dir, "
                        "else $STATE_DIRECTORY, else /var/lib/redis-warden)");
    command->add_flag("--no-fast-sync", options.no_fast_sync,
                      "leave repl-diskless-sync-delay alone on the master a replica moves "
                      "under (heal.fast_sync: false)");
    options.add_acting_flags(*command, "print the plan, change nothing", "act without asking");
}

int run_heal(const heal_options& options) {
    if (auto usable = options.check_usage(); !usable) {
        return fail(exit_usage, usable.failure().message);
    }
    auto targets = resolve_targets(options);
    if (!targets) return fail(exit_usage, targets.failure().message);
    int worst = exit_ok;
    for (const auto& cluster : *targets) worst = std::max(worst, heal_cluster(cluster, options));
    return worst;
}

}  // namespace warden::cli
