#include "controller/cli/add_node_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "controller/cli/cluster_readiness.hpp"
#include "controller/cli/command_exit.hpp"
#include "controller/cli/maintenance_command.hpp"
#include "controller/cli/rebalance_command.hpp"
#include "controller/core/parse/endpoint.hpp"
#include "controller/core/planner/node_change_plan.hpp"
#include "controller/executor/heal_executor.hpp"
#include "probes/connection.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::cli {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds settle_bound{10000};
constexpr milliseconds join_bound{30000};

int fail(int code, const std::string& message) {
    return cli::fail("add-node", code, message);
}

// NEW... as given: each HOST:PORT, or HOST:PORT=master|replica for its own role.
struct new_nodes {
    std::vector<std::string> addresses;
    std::map<std::string, bool> roles;  // address -> as master, where the NEW says
    bool any_master = false;
    bool any_replica = false;
};

result<new_nodes> new_nodes_of(const add_node_options& options) {
    new_nodes named;
    for (const auto& text : options.new_nodes) {
        auto equals = text.find('=');
        auto address = text.substr(0, equals);
        auto role = equals == std::string::npos ? options.role : text.substr(equals + 1);
        if (role != "master" && role != "replica") {
            return error{fmt::format("{}: the role after = is master or replica", text),
                         error_kind::usage};
        }
        if (std::count(named.addresses.begin(), named.addresses.end(), address) > 0)
            return error{fmt::format("{} is named twice", address), error_kind::usage};
        named.addresses.push_back(address);
        if (equals != std::string::npos) named.roles[address] = role == "master";
        (role == "master" ? named.any_master : named.any_replica) = true;
    }
    return named;
}

// What a new node says about itself, read with the cluster's credentials.
newcomer_reading read_newcomer(const std::string& address, const cluster_target& target) {
    newcomer_reading reading;
    reading.address = address;
    auto connection =
        probes::redis_connection::open(address, target.request.auth, target.request.timeout);
    if (!connection) {
        reading.connect_error = connection.failure();
        return reading;
    }
    auto replies = connection->pipeline({{"CLUSTER", "NODES"}, {"DBSIZE"}, {"INFO", "server"}});
    if (!replies) {
        reading.connect_error = replies.failure();
        return reading;
    }
    const auto& nodes = (*replies)[0];
    if (nodes.type == probes::resp_type::error) {
        reading.cluster_nodes_error = nodes.text;
    } else {
        reading.cluster_nodes = nodes.text;
    }
    const auto& keys = (*replies)[1];
    if (keys.type == probes::resp_type::integer) {
        reading.keys = keys.integer;
    } else if (keys.type == probes::resp_type::error) {
        reading.keys_error = "DBSIZE: " + probes::one_line(keys.text);
    } else {
        reading.keys_error =
            fmt::format("DBSIZE replied with a {}, not an integer", probes::to_string(keys.type));
    }
    reading.info_server = (*replies)[2].text;
    return reading;
}

// The cluster's version: its first master serving slots, as INFO server tells it.
std::optional<server_version> cluster_version(const topology& cluster,
                                              const cluster_target& target) {
    for (const auto& node : cluster.nodes) {
        if (node.role != node_role::master || !node.serves_slots() || !node.observed) continue;
        auto connection = probes::redis_connection::open(node.address, target.request.auth,
                                                         target.request.timeout);
        if (!connection) return std::nullopt;
        auto reply = connection->call({"INFO", "server"});
        if (!reply || reply->type == probes::resp_type::error) return std::nullopt;
        return server_version_of(reply->text);
    }
    return std::nullopt;
}

// --master, resolved: a usage error unless it names a master of the cluster.
result<std::optional<std::string>> master_of(const topology& cluster,
                                             const add_node_options& options) {
    if (!options.master) return std::optional<std::string>{};
    auto id = resolve_node(cluster, *options.master);
    if (!id) return error{"--master: " + id.failure().message, error_kind::usage};
    if (cluster.find(*id)->role != node_role::master) {
        return error{fmt::format("--master {} is not a master", *options.master),
                     error_kind::usage};
    }
    return std::optional<std::string>{*id};
}

// Every reachable member and every new node lists every new node, with no handshake left.
result<void> wait_joined(const cluster_target& target, const std::vector<add_node_step>& steps) {
    auto deadline = clock::now() + join_bound;
    std::string pending = "no look yet";
    while (clock::now() < deadline) {
        std::vector<std::string> views;
        for (const auto& probe : probes::poll_cluster(target.request).nodes) {
            if (probe.reachable) views.push_back(probe.cluster_nodes);
        }
        for (const auto& step : steps)
            views.push_back(read_newcomer(step.address, target).cluster_nodes);
        pending = joined_pending(views, steps);
        if (pending.empty()) return {};
        std::this_thread::sleep_for(milliseconds(250));
    }
    return error{fmt::format("not joined within {} ms: {}", join_bound.count(), pending),
                 error_kind::timeout};
}

result<void> meet_all(const cluster_target& target, const topology& cluster,
                      const add_node_plan& plan, const executor::heal_target& acting) {
    const cluster_node* via = nullptr;
    for (const auto& node : cluster.nodes) {
        if (node.role == node_role::master && node.serves_slots() && node.observed) {
            via = &node;
            break;
        }
    }
    if (via == nullptr) return error{"no reachable master to send CLUSTER MEET to"};
    for (const auto& step : plan.steps) {
        auto where = parse_endpoint(step.address);
        if (!where) return where.failure();
        std::printf("  CLUSTER MEET %s %u sent to %s\n", where->host.c_str(), where->port,
                    via->address.c_str());
        if (auto met = executor::send_command(
                via->address, {"CLUSTER", "MEET", where->host, std::to_string(where->port)},
                "CLUSTER MEET", acting);
            !met) {
            return met;
        }
    }
    if (auto joined = wait_joined(target, plan.steps); !joined) return joined;
    auto settled = wait_settled(target, settle_bound);
    if (!settled.problem.empty())
        return error{"cluster not settled after the MEET: " + settled.problem};
    return {};
}

// --rebalance: the new masters' share, through rebalance's engine.
result<void> give_share(const cluster_target& target, const add_node_plan& plan,
                        daemon::maintenance_hold* hold) {
    auto settled = wait_settled(target, settle_bound);
    if (!settled.problem.empty()) return error{"cluster not settled: " + settled.problem};
    auto share = plan_newcomer_share(settled.report.cluster_topology, new_master_ids(plan));
    if (!share) return share.failure();
    rebalance_options moving;
    if (auto surveyed = survey_plan(target, *share, moving); !surveyed) return surveyed;
    std::fputs(describe_rebalance(*share, settled.report.cluster_topology).c_str(), stdout);
    std::fflush(stdout);
    return move_planned_slots(target, settled.report, *share, moving, hold);
}

// What a run stopped after the MEET leaves: members that are not yet what they are meant to be.
constexpr const char* joined_left =
    "every new node joined; those not yet placed or given slots are masters without slots: "
    "`redis-warden heal` turns an empty master into a replica where one is needed, "
    "`rebalance --use-empty-masters` gives them slots";

// --rebalance --dry-run: the share planned as if the new masters had joined, with the keys
// each move would carry (the run plans again after the join).
void print_share_before_join(const cluster_target& target, const topology& cluster,
                             const add_node_plan& plan) {
    auto future = with_new_masters(cluster, plan);
    auto share = plan_newcomer_share(future, new_master_ids(plan));
    if (!share) {
        std::printf("  their share: %s\n", share.failure().message.c_str());
        return;
    }
    if (auto surveyed = survey_plan(target, *share, {}); !surveyed) {
        std::printf("  (keys not counted: %s)\n", surveyed.failure().message.c_str());
    }
    std::printf("their share, planned as if they had joined (planned again once they have):\n%s",
                describe_rebalance(*share, future).c_str());
}

// CLUSTER REPLICATE on each new replica, then its link verified up.
result<void> place(const std::vector<add_node_step>& steps, const executor::heal_target& acting,
                   daemon::maintenance_hold* hold) {
    for (const auto& step : steps) {
        if (step.as_master) continue;
        if (auto held = still_held(hold, "CLUSTER REPLICATE on " + step.address, joined_left);
            !held)
            return held;
        auto started = clock::now();
        std::printf("  CLUSTER REPLICATE %s sent to %s\n", step.master_id.c_str(),
                    step.address.c_str());
        std::fflush(stdout);
        if (auto moved = executor::replicate_verified(step.address, step.master_id,
                                                      step.master_address, acting);
            !moved) {
            return moved;
        }
        std::printf("  %s replicates %s with link up (%.2f s)\n", step.address.c_str(),
                    step.master_address.c_str(),
                    std::chrono::duration<double>(clock::now() - started).count());
    }
    return {};
}

// The new replicas' masters, planned again now that the new masters serve their share.
result<std::vector<add_node_step>> replanned(const cluster_target& target,
                                             const add_node_plan& plan) {
    auto settled = wait_settled(target, settle_bound);
    if (!settled.problem.empty())
        return error{"cluster not settled after the slot moves: " + settled.problem};
    auto steps = replan_replicas(settled.report.cluster_topology, plan,
                                 {target.heal.min_replicas_per_master});
    for (const auto& step : plan.steps) {
        bool placed = step.as_master || std::any_of(steps.begin(), steps.end(),
                                                    [&](const auto& s) { return s.id == step.id; });
        if (!placed) return error{fmt::format("no master can take {} as a replica", step.address)};
    }
    std::printf("  the new replicas' masters, planned again:\n");
    for (const auto& step : steps) {
        std::printf("    %s replicates %s: %s\n", step.address.c_str(), step.master_address.c_str(),
                    step.reason.c_str());
    }
    return steps;
}

// Masters first: all join, the new masters get their share (--rebalance), then the replicas
// are placed (planned again after the share when the plan says so).
result<void> carry_out(const cluster_target& target, const topology& cluster,
                       const add_node_plan& plan, daemon::maintenance_hold* hold) {
    auto acting = executor::heal_target_for(target.request, target.policy, target.heal);
    acting.request.timeout = acting_timeout(target.request.timeout);
    if (auto held = still_held(hold, "the CLUSTER MEET", "nothing done"); !held) return held;
    if (auto met = meet_all(target, cluster, plan, acting); !met) return met;
    std::printf("  joined: every node knows the new node(s)\n");
    if (!plan.rebalance) return place(plan.steps, acting, hold);
    if (auto held = still_held(hold, "the slot moves", joined_left); !held) return held;
    if (auto shared = give_share(target, plan, hold); !shared) return shared;
    if (!plan.replicas_after_share) return place(plan.steps, acting, hold);
    auto steps = replanned(target, plan);
    if (!steps) return steps.failure();
    return place(*steps, acting, hold);
}

int add_nodes(const cluster_target& target, const add_node_options& options,
              const new_nodes& named) {
    auto settled = wait_settled(target, settle_bound);
    if (!settled.problem.empty()) {
        return fail(exit_failure,
                    fmt::format("{}: cluster not settled: {}", target.name, settled.problem));
    }
    if (auto why = refusal(settled.report); !why.empty()) {
        return fail(exit_failure,
                    fmt::format("{}: not healthy enough to add nodes: {}", target.name, why));
    }
    const auto& cluster = settled.report.cluster_topology;
    auto master = master_of(cluster, options);
    if (!master) return fail(exit_usage, master.failure().message);
    std::vector<newcomer> joining;
    std::vector<node_refusal> refusals;
    for (const auto& address : named.addresses) {
        auto judged =
            judge_newcomer(read_newcomer(address, target), cluster, target.policy.topology.domains);
        if (auto* fit = std::get_if<newcomer>(&judged)) {
            joining.push_back(std::move(*fit));
        } else {
            refusals.push_back(std::get<node_refusal>(judged));
        }
    }
    join_options core{options.role == "master", named.roles, *master, options.rebalance};
    auto plan = plan_add_nodes(cluster, joining, core, {target.heal.min_replicas_per_master},
                               cluster_version(cluster, target));
    refusals.insert(refusals.end(), plan.refusals.begin(), plan.refusals.end());
    if (!refusals.empty()) {
        std::string text;
        for (const auto& each : refusals) text += "\n  " + describe_refusal(each);
        return fail(exit_failure, fmt::format("{}: refusing to add {} node(s):{}", target.name,
                                              refusals.size(), text));
    }
    std::printf("%s: %zu node(s) to add:\n%s", target.name.c_str(), plan.steps.size(),
                describe_add_plan(plan).c_str());
    if (options.dry_run) {
        if (plan.rebalance) print_share_before_join(target, cluster, plan);
        return exit_ok;
    }
    auto answer = confirm(options.yes, fmt::format("Add {} node(s)?", plan.steps.size()));
    if (answer != confirmation::go) return not_confirmed("add-node", answer, "adding nodes");
    auto hold =
        hold_maintenance(target, "add-node", fmt::format("adding {} node(s)", plan.steps.size()));
    if (!hold)
        return fail(exit_failure, fmt::format("{}: {}", target.name, hold.failure().message));
    if (auto done = carry_out(target, cluster, plan, hold->get()); !done) {
        return fail(exit_failure, fmt::format("{}: {}", target.name, done.failure().message));
    }
    std::printf("success: %zu node(s) added\n", plan.steps.size());
    return exit_ok;
}

}  // namespace

void add_add_node_command(CLI::App& app, add_node_options& options) {
    auto* command = app.add_subcommand(
        "add-node",
        "new nodes join the cluster as replicas (where the heal planner says) or "
        "masters");
    command
        ->add_option("NEW", options.new_nodes,
                     "the new nodes, host:port; host:port=master|replica overrides --role")
        ->required();
    options.connection.add_to(*command, false);
    options.add_to(*command, "with --config, the cluster to add to");
    command->add_option("--role", options.role, "replica (default) or master, for every NEW")
        ->check(CLI::IsMember({"replica", "master"}));
    command->add_option("--master", options.master,
                        "replicas: the master to replicate (node id, id prefix or address)");
    command->add_flag("--rebalance", options.rebalance,
                      "masters: move their share of the slots to them");
    options.add_acting_flags(*command, "print the plan and change nothing", "add without asking");
}

int run_add_node(const add_node_options& options) {
    if (auto usable = options.check_usage(); !usable) {
        return fail(exit_usage, usable.failure().message);
    }
    auto named = new_nodes_of(options);
    if (!named) return fail(exit_usage, named.failure().message);
    if (options.master && !named->any_replica) {
        return fail(exit_usage, "--master goes with new replicas (--role replica or NEW=replica)");
    }
    if (options.rebalance && !named->any_master) {
        return fail(exit_usage, "--rebalance goes with new masters (--role master or NEW=master)");
    }
    auto targets = resolve_targets(options);
    if (!targets) return fail(exit_usage, targets.failure().message);
    if (targets->size() > 1) {
        return fail(exit_usage, "new nodes join one cluster: add --cluster-name");
    }
    return add_nodes(targets->front(), options, *named);
}

}  // namespace warden::cli
