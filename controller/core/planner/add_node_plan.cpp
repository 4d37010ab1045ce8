// add-node's half of node_change_plan.hpp: judging new nodes, placing them, and when they
// have joined.
#include <fmt/format.h>

#include <algorithm>

#include "controller/core/parse/cluster_nodes.hpp"
#include "controller/core/parse/endpoint.hpp"
#include "controller/core/planner/heal_checks.hpp"
#include "controller/core/planner/node_change_plan.hpp"

namespace warden {
namespace {

node_refusal refuse(const std::string& address, node_refusal_reason reason, std::string detail) {
    return {address, reason, std::move(detail), ""};
}

node_refusal_reason reason_of(spare_defect defect, bool member) {
    switch (defect) {
        case spare_defect::knows_others:
            return member ? node_refusal_reason::already_member
                          : node_refusal_reason::other_cluster;
        case spare_defect::serves_slots:
            return node_refusal_reason::serves_slots;
        case spare_defect::holds_keys:
            return node_refusal_reason::holds_keys;
        case spare_defect::is_replica:
            return node_refusal_reason::is_replica;
        case spare_defect::unreadable:
        case spare_defect::none:
            break;
    }
    return node_refusal_reason::cluster_disabled;
}

std::string detail_of(const spare_node& spare, node_refusal_reason reason) {
    switch (reason) {
        case node_refusal_reason::already_member:
            return "is already a member of this cluster";
        case node_refusal_reason::other_cluster:
            return spare.problem +
                   " (it belongs to another cluster: CLUSTER RESET it first "
                   "if it is meant to join this one)";
        case node_refusal_reason::holds_keys:
            return spare.problem +
                   " (a new node must be empty: FLUSHALL it first if the keys "
                   "are not needed)";
        default:
            return spare.problem;
    }
}

// The steps for new replicas: --master, or the heal planner's rules.
std::vector<add_node_step> replica_steps(const topology& cluster,
                                         const std::vector<newcomer>& replicas,
                                         const join_options& options, const heal_policy& policy) {
    std::vector<add_node_step> steps;
    if (options.master_id) {
        const auto* master = cluster.find(*options.master_id);
        for (const auto& each : replicas) {
            steps.push_back({each.node.id, each.node.address, each.node.failure_domain, false,
                             master->id, master->address, "--master"});
        }
        return steps;
    }
    std::vector<spare_node> joiners;
    for (const auto& each : replicas) joiners.push_back(each.node);
    for (const auto& action : place_replicas(cluster, policy, joiners)) {
        steps.push_back({action.node_id, action.node_address, action.node_domain, false,
                         action.master_id, action.master_address, action.reason});
    }
    return steps;
}

}  // namespace

std::variant<newcomer, node_refusal> judge_newcomer(const newcomer_reading& reading,
                                                    const topology& cluster,
                                                    const failure_domain_policy& domains) {
    const auto& address = reading.address;
    if (reading.connect_error) {
        if (reading.connect_error->kind == error_kind::auth) {
            return refuse(
                address, node_refusal_reason::credentials_rejected,
                "does not accept the cluster's credentials: " + reading.connect_error->message);
        }
        return refuse(address, node_refusal_reason::unreachable,
                      "does not answer: " + reading.connect_error->message);
    }
    // Without a password warden sends no AUTH: a node that wants one says so here.
    if (reading.cluster_nodes_error.starts_with("NOAUTH")) {
        return refuse(address, node_refusal_reason::credentials_rejected,
                      "does not accept the cluster's credentials: " + reading.cluster_nodes_error);
    }
    if (!reading.cluster_nodes_error.empty()) {
        return refuse(
            address, node_refusal_reason::cluster_disabled,
            "is not cluster-enabled (CLUSTER NODES: " + reading.cluster_nodes_error + ")");
    }
    // An unreadable count is not zero keys (an ACL may forbid DBSIZE): no flag overrides it.
    if (!reading.keys_error.empty()) {
        return refuse(address, node_refusal_reason::keys_unknown,
                      "cannot tell whether it holds keys: " + reading.keys_error);
    }
    auto spare = assess_spare(address, reading.cluster_nodes, reading.keys, domains);
    bool member = !spare.id.empty() && cluster.find(spare.id) != nullptr;
    if (member) {
        return refuse(address, node_refusal_reason::already_member,
                      "is already a member of this cluster");
    }
    if (!spare.eligible) {
        auto reason = reason_of(spare.defect, member);
        return refuse(address, reason, detail_of(spare, reason));
    }
    return newcomer{std::move(spare), server_version_of(reading.info_server)};
}

add_node_plan plan_add_nodes(const topology& cluster, const std::vector<newcomer>& joining,
                             const join_options& options, const heal_policy& policy,
                             const std::optional<server_version>& cluster_version) {
    add_node_plan plan;
    for (const auto& each : joining) {
        if (cluster_version && each.version && each.version->major != cluster_version->major) {
            plan.warnings.push_back(fmt::format(
                "{} runs {}, the cluster {}: mixed major versions are meant for upgrades by "
                "replacement, not to stay",
                each.node.address, each.version->describe(), cluster_version->describe()));
        }
    }
    std::vector<newcomer> replicas;
    for (const auto& each : joining) {
        auto role = options.roles.find(each.node.address);
        if (role != options.roles.end() ? role->second : options.as_master) {
            plan.steps.push_back(
                {each.node.id, each.node.address, each.node.failure_domain, true, "", "", ""});
        } else {
            replicas.push_back(each);
        }
    }
    plan.rebalance = options.rebalance && !plan.steps.empty();
    plan.replicas_after_share = plan.rebalance && !replicas.empty() && !options.master_id;
    auto replica_plan = replica_steps(cluster, replicas, options, policy);
    plan.steps.insert(plan.steps.end(), replica_plan.begin(), replica_plan.end());
    for (const auto& each : replicas) {
        bool placed =
            std::any_of(plan.steps.begin(), plan.steps.end(),
                        [&](const add_node_step& step) { return step.id == each.node.id; });
        if (!placed) {
            plan.refusals.push_back(refuse(each.node.address, node_refusal_reason::no_master_left,
                                           "no master serving slots can take it as a replica"));
        }
    }
    return plan;
}

result<rebalance_plan> plan_newcomer_share(const topology& cluster,
                                           const std::vector<std::string>& new_master_ids) {
    rebalance_policy policy;
    for (const auto& id : new_master_ids) policy.weights[id] = 1.0;
    return plan_rebalance(cluster, policy);
}

std::vector<add_node_step> replan_replicas(const topology& cluster, const add_node_plan& plan,
                                           const heal_policy& policy) {
    std::vector<add_node_step> steps;
    std::vector<spare_node> joiners;
    for (const auto& step : plan.steps) {
        if (!step.as_master)
            joiners.push_back({step.address, step.id, step.domain, true, "", spare_defect::none});
    }
    for (const auto& action : place_replicas(cluster, policy, joiners)) {
        steps.push_back({action.node_id, action.node_address, action.node_domain, false,
                         action.master_id, action.master_address, action.reason});
    }
    return steps;
}

std::vector<std::string> new_master_ids(const add_node_plan& plan) {
    std::vector<std::string> ids;
    for (const auto& step : plan.steps) {
        if (step.as_master) ids.push_back(step.id);
    }
    return ids;
}

topology with_new_masters(const topology& cluster, const add_node_plan& plan) {
    auto joined = cluster;  // find() scans for what its id index does not hold
    for (const auto& step : plan.steps) {
        if (!step.as_master) continue;
        cluster_node node;
        node.id = step.id;
        node.address = step.address;
        if (auto where = parse_endpoint(step.address)) node.host = where->host;
        node.role = node_role::master;
        node.observed = true;
        node.failure_domain = step.domain;
        joined.nodes.push_back(std::move(node));
    }
    return joined;
}

std::string joined_pending(const std::vector<std::string>& views,
                           const std::vector<add_node_step>& steps) {
    for (const auto& view : views) {
        for (const auto& line : list_cluster_nodes(view)) {
            if (line.flags.handshake) {
                return fmt::format("a node is still in handshake with {}:{}", line.host, line.port);
            }
        }
        for (const auto& step : steps) {
            if (!view_lists(view, step.id)) {
                return fmt::format("not every node knows {} yet", step.address);
            }
        }
    }
    return "";
}

std::string describe_add_plan(const add_node_plan& plan) {
    std::string text;
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
        const auto& step = plan.steps[i];
        if (step.as_master) {
            text += fmt::format("  {}. {} joins as a master{} [{}]\n", i + 1, step.address,
                                plan.rebalance ? ", then gets its share of slots" : " (no slots)",
                                step.domain);
        } else {
            text += fmt::format("  {}. {} joins as a replica of {} [{}]: {}{}\n", i + 1,
                                step.address, step.master_address, step.domain, step.reason,
                                plan.replicas_after_share
                                    ? " (planned again once the new masters have their share)"
                                    : "");
        }
    }
    for (const auto& warning : plan.warnings) text += "  warning: " + warning + "\n";
    return text;
}

}  // namespace warden
