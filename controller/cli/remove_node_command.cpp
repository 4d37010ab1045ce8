#include "controller/cli/remove_node_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "controller/cli/cluster_readiness.hpp"
#include "controller/cli/command_exit.hpp"
#include "controller/cli/maintenance_command.hpp"
#include "controller/cli/rebalance_command.hpp"
#include "controller/core/planner/heal_checks.hpp"
#include "controller/core/planner/node_change_plan.hpp"
#include "controller/executor/heal_executor.hpp"

namespace warden::cli {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds settle_bound{10000};
// A forgotten node is banned from re-joining for 60 s: every node must have forgotten it
// well within that, or one that still lists it teaches the others again.
constexpr milliseconds forget_bound{45000};

int fail(int code, const std::string& message) {
    return cli::fail("remove-node", code, message);
}

// The nodes named, and with --failed every node flagged fail and every ghost.
result<std::vector<std::string>> leaving_ids(const topology& cluster,
                                             const remove_node_options& options) {
    std::vector<std::string> ids;
    for (const auto& name : options.nodes) {
        auto id = resolve_node(cluster, name);
        if (!id) return error{id.failure().message, error_kind::usage};
        if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
    }
    if (options.failed) {
        for (const auto& id : failed_node_ids(cluster)) {
            if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
        }
    }
    return ids;
}

// Polls from the members that stay (a leaving node, once reset, knows only itself).
probes::poll_request staying_request(const cluster_target& target, const topology& cluster,
                                     const std::vector<std::string>& ids) {
    auto request = target.request;
    request.seeds.clear();
    for (const auto& node : cluster.nodes) {
        if (node.observed && std::find(ids.begin(), ids.end(), node.id) == ids.end()) {
            request.seeds.push_back(node.address);
        }
    }
    return request;
}

// CLUSTER FORGET on every reachable node that still lists a leaving node, round after
// round, until none does (or the bound, well inside the 60 s ban, passes).
result<void> forget_everywhere(const probes::poll_request& staying, const remove_node_plan& plan,
                               const executor::heal_target& acting,
                               daemon::maintenance_hold* hold) {
    auto deadline = clock::now() + forget_bound;
    std::string pending;
    for (int round = 1;; ++round) {
        if (auto held = still_held(hold, fmt::format("CLUSTER FORGET round {}", round),
                                   "nodes may still list the removed node(s): rerun remove-node to "
                                   "forget them");
            !held)
            return held;
        pending.clear();
        for (const auto& probe : probes::poll_cluster(staying).nodes) {
            if (!probe.reachable) continue;
            for (const auto& node : plan.nodes) {
                if (probe.address == node.address || !view_lists(probe.cluster_nodes, node.id)) {
                    continue;
                }
                pending = fmt::format("{} still lists {}", probe.address, node.address);
                // "Unknown node" when it forgot meanwhile: the next round's poll tells.
                auto sent = executor::send_command(probe.address, {"CLUSTER", "FORGET", node.id},
                                                   "CLUSTER FORGET", acting);
                if (!sent && sent.failure().kind == error_kind::denied) return sent;
                if (!sent) pending += " (" + sent.failure().message + ")";
            }
        }
        if (pending.empty()) return {};
        if (clock::now() >= deadline) {
            return error{
                fmt::format("not forgotten within {} ms: {}", forget_bound.count(), pending),
                error_kind::timeout};
        }
        std::this_thread::sleep_for(milliseconds(200));
    }
}

result<void> drain(const cluster_target& target, const check_report& report,
                   const remove_node_plan& plan, const std::vector<std::string>& ids,
                   daemon::maintenance_hold* hold) {
    if (!plan.drain || plan.drain->moves.empty()) return {};
    if (auto moved = move_planned_slots(target, report, *plan.drain, {}, hold); !moved) {
        return error{moved.failure().message +
                         "; every slot is served, the rest by the node(s) still to leave: "
                         "rerun remove-node --drain to continue",
                     moved.failure().kind};
    }
    auto settled = wait_settled(target, settle_bound, ids);
    if (!settled.problem.empty())
        return error{"cluster not settled after the drain: " + settled.problem};
    for (const auto& id : ids) {
        const auto* node = settled.report.cluster_topology.find(id);
        if (node != nullptr && node->serves_slots()) {
            return error{fmt::format("{} still serves {} slot(s) after the drain", node->address,
                                     node->slot_total)};
        }
    }
    return {};
}

result<void> carry_out(const cluster_target& target, const check_report& report,
                       const remove_node_plan& plan, const std::vector<std::string>& ids,
                       daemon::maintenance_hold* hold) {
    auto acting = executor::heal_target_for(target.request, target.policy, target.heal);
    acting.request.timeout = acting_timeout(target.request.timeout);
    if (auto held = still_held(hold, "the first step", "nothing done"); !held) return held;
    if (auto drained = drain(target, report, plan, ids, hold); !drained) return drained;
    const std::string members_left =
        "the node(s) serve no slots now but are still members: rerun remove-node to finish";
    for (const auto& action : plan.repoints) {
        if (auto held =
                still_held(hold, "CLUSTER REPLICATE on " + action.node_address, members_left);
            !held)
            return held;
        std::printf("  CLUSTER REPLICATE %s sent to %s\n", action.master_id.c_str(),
                    action.node_address.c_str());
        std::fflush(stdout);
        if (auto moved = executor::replicate_verified(action.node_address, action.master_id,
                                                      action.master_address, acting);
            !moved) {
            return moved;
        }
        std::printf("  %s replicates %s with link up\n", action.node_address.c_str(),
                    action.master_address.c_str());
    }
    auto staying = staying_request(target, report.cluster_topology, ids);
    for (const auto& node : plan.nodes) {
        if (node.down) continue;
        if (auto held = still_held(hold, "CLUSTER RESET SOFT on " + node.address, members_left);
            !held)
            return held;
        std::printf("  CLUSTER RESET SOFT sent to %s\n", node.address.c_str());
        if (auto reset = executor::send_command(node.address, {"CLUSTER", "RESET", "SOFT"},
                                                "CLUSTER RESET SOFT", acting);
            !reset) {
            return reset;
        }
    }
    std::printf("  CLUSTER FORGET on every other node, until none lists the removed node(s)\n");
    std::fflush(stdout);
    return forget_everywhere(staying, plan, acting, hold);
}

int remove_nodes(const cluster_target& target, const remove_node_options& options) {
    auto first = wait_settled(target, milliseconds(0));
    const auto& seen = first.report.cluster_topology.nodes;
    if (std::none_of(seen.begin(), seen.end(),
                     [](const cluster_node& node) { return node.observed; })) {
        // Not a usage error: the names cannot be looked up while no node answers.
        return fail(exit_failure,
                    fmt::format("{}: no node answers: {}", target.name, first.problem));
    }
    auto ids = leaving_ids(first.report.cluster_topology, options);
    if (!ids) return fail(exit_usage, fmt::format("{}: {}", target.name, ids.failure().message));
    if (ids->empty()) {
        std::printf("%s: no node flagged fail and no ghost: nothing to do\n", target.name.c_str());
        return exit_ok;
    }
    auto settled = wait_settled(target, settle_bound, *ids);
    if (!settled.problem.empty()) {
        return fail(exit_failure,
                    fmt::format("{}: cluster not settled: {}", target.name, settled.problem));
    }
    if (auto why = refusal(settled.report); !why.empty()) {
        return fail(exit_failure,
                    fmt::format("{}: not healthy enough to remove nodes: {}", target.name, why));
    }
    const auto& cluster = settled.report.cluster_topology;
    auto plan = plan_remove_nodes(cluster, *ids, {options.drain, options.force},
                                  {target.heal.min_replicas_per_master});
    if (!plan.refusals.empty()) {
        std::string text;
        for (const auto& each : plan.refusals) text += "\n  " + describe_refusal(each);
        return fail(exit_failure, fmt::format("{}: refusing to remove {} node(s):{}", target.name,
                                              plan.refusals.size(), text));
    }
    if (plan.drain) {
        if (auto surveyed = survey_plan(target, *plan.drain, {}); !surveyed) {
            return fail(exit_failure, surveyed.failure().message);
        }
    }
    std::printf("%s: %zu node(s) to remove:\n%s", target.name.c_str(), plan.nodes.size(),
                describe_remove_plan(plan, cluster).c_str());
    if (options.dry_run) return exit_ok;
    auto answer = confirm(options.yes, fmt::format("Remove {} node(s)?", plan.nodes.size()));
    if (answer != confirmation::go) return not_confirmed("remove-node", answer, "removing nodes");
    auto hold = hold_maintenance(target, "remove-node",
                                 fmt::format("removing {} node(s)", plan.nodes.size()));
    if (!hold)
        return fail(exit_failure, fmt::format("{}: {}", target.name, hold.failure().message));
    if (auto done = carry_out(target, settled.report, plan, *ids, hold->get()); !done) {
        return fail(exit_failure, fmt::format("{}: {}", target.name, done.failure().message));
    }
    std::printf("success: %zu node(s) removed; no reachable node lists them\n", plan.nodes.size());
    return exit_ok;
}

}  // namespace

void add_remove_node_command(CLI::App& app, remove_node_options& options) {
    auto* command = app.add_subcommand(
        "remove-node", "nodes leave the cluster for good: drained, re-pointed, reset, forgotten");
    command->add_option("NODE", options.nodes, "the nodes: node id, id prefix or address");
    options.connection.add_to(*command, false);
    options.add_to(*command, "with --config, the cluster to remove from");
    command->add_flag("--drain", options.drain,
                      "a master serving slots: move its slots to the other masters first");
    command->add_flag("--force", options.force,
                      "remove a master's last healthy replica all the same");
    command->add_flag("--failed", options.failed,
                      "also forget every node flagged fail and every :0@0 ghost");
    options.add_acting_flags(*command, "print the plan and change nothing",
                             "remove without asking");
}

int run_remove_node(const remove_node_options& options) {
    if (auto usable = options.check_usage(); !usable) {
        return fail(exit_usage, usable.failure().message);
    }
    if (options.nodes.empty() && !options.failed)
        return fail(exit_usage, "name a NODE or give --failed");
    auto targets = resolve_targets(options);
    if (!targets) return fail(exit_usage, targets.failure().message);
    if (targets->size() > 1 && !options.nodes.empty()) {
        return fail(exit_usage, "nodes belong to one cluster: add --cluster-name");
    }
    int worst = exit_ok;
    for (const auto& target : *targets) worst = std::max(worst, remove_nodes(target, options));
    return worst;
}

}  // namespace warden::cli
