#include "controller/executor/heal_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <thread>

#include "controller/core/parse/endpoint.hpp"
#include "controller/core/parse/text_fields.hpp"
#include "controller/core/planner/heal_checks.hpp"
#include "controller/core/planner/heal_step.hpp"
#include "controller/executor/fast_sync.hpp"
#include "probes/connection.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using probes::command;
using probes::redis_connection;
using probes::resp_type;
using probes::resp_value;

constexpr auto verify_step = 250ms;

action_result skipped(std::string why) {
    return {action_outcome::skipped, std::move(why)};
}
action_result failed(std::string why) {
    return {action_outcome::failed, std::move(why)};
}

result<redis_connection> connect(const std::string& address, const heal_target& target) {
    return redis_connection::open(address, target.request.auth, target.request.timeout);
}

spare_node probe_spare(const std::string& address, const heal_target& target) {
    spare_node unusable;
    unusable.address = address;
    auto connection = connect(address, target);
    if (!connection) {
        unusable.problem = connection.failure().message;
        return unusable;
    }
    auto replies = connection->pipeline({{"CLUSTER", "NODES"}, {"DBSIZE"}});
    if (!replies) {
        unusable.problem = replies.failure().message;
        return unusable;
    }
    const auto& nodes = (*replies)[0];
    const auto& keys = (*replies)[1];
    if (nodes.type != resp_type::string) {
        unusable.problem = "CLUSTER NODES failed: " + probes::one_line(nodes.text);
        return unusable;
    }
    if (keys.type != resp_type::integer) {
        unusable.problem = "DBSIZE failed: " + probes::one_line(keys.text);
        return unusable;
    }
    return assess_spare(address, nodes.text, keys.integer, target.analysis.topology.domains);
}

sync_target sync_target_of(const heal_action& action, const heal_target& target) {
    sync_target sync;
    sync.cluster = target.request.cluster_name;
    sync.master_id = action.master_id;
    sync.master_address = action.master_address;
    sync.auth = target.request.auth;
    sync.timeout = target.request.timeout;
    sync.state_dir = target.state_dir;
    sync.enabled = target.fast_sync;
    return sync;
}

// Sleeps in short slices; false when a stop was requested meanwhile.
bool pause(std::chrono::milliseconds how_long, const stop_requested& should_stop) {
    auto until = clock::now() + how_long;
    while (clock::now() < until) {
        if (should_stop && should_stop()) return false;
        std::this_thread::sleep_for(std::min<clock::duration>(50ms, until - clock::now()));
    }
    return !(should_stop && should_stop());
}

// Describes an error reply to a command that changes the cluster.
std::string refusal(const std::string& what, const resp_value& reply, const std::string& address) {
    if (probes::is_permission_error(reply)) {
        // "CLUSTER FAILOVER TAKEOVER" -> ACL rule "+cluster|failover" (command|subcommand)
        std::string rule = what.substr(0, what.find(' ', what.find(' ') + 1));
        std::transform(rule.begin(), rule.end(), rule.begin(),
                       [](unsigned char c) { return c == ' ' ? '|' : std::tolower(c); });
        return fmt::format(
            "{}: the configured user may not run {} ({}); allow it (ACL SETUSER <user> +{}) "
            "or use a user that may",
            address, what, probes::one_line(reply.text), rule);
    }
    return fmt::format("{}: {} refused: {}", address, what, probes::one_line(reply.text));
}

// An error reply as an error: `denied` when the user lacks the right, else `reply`.
error refused(const std::string& what, const resp_value& reply, const std::string& address) {
    return {refusal(what, reply, address),
            probes::is_permission_error(reply) ? error_kind::denied : error_kind::reply};
}

result<void> check_still_empty(const heal_action& action, const heal_target& target) {
    auto connection = connect(action.node_address, target);
    if (!connection) return connection.failure();
    auto keys = connection->call({"DBSIZE"});
    if (!keys) return keys.failure();
    if (keys->type != resp_type::integer) return refused("DBSIZE", *keys, action.node_address);
    if (keys->integer > 0) {
        return error{
            fmt::format("{} holds {} key(s): an empty master must hold none to become "
                        "a replica",
                        action.node_address, keys->integer)};
    }
    return {};
}

// Polls `pending` (empty string: done) until done, the deadline or a stop.
result<void> wait_until(const std::function<std::string()>& pending,
                        std::chrono::milliseconds limit, const stop_requested& should_stop) {
    auto deadline = clock::now() + limit;
    std::string last;
    while (true) {
        last = pending();
        if (last.empty()) return {};
        if (clock::now() >= deadline) {
            return error{fmt::format("not done within {} ms: {}", limit.count(), last),
                         error_kind::timeout};
        }
        if (!pause(verify_step, should_stop)) return error{"interrupted by shutdown: " + last};
    }
}

std::string own_view(const std::string& address, const heal_target& target) {
    auto connection = connect(address, target);
    if (!connection) return "";
    auto reply = connection->call({"CLUSTER", "NODES"});
    return reply && reply->type == resp_type::string ? reply->text : "";
}

// Every reachable member lists the spare and the spare lists the master.
std::string meet_pending(const heal_action& action, const heal_target& target) {
    if (!view_lists(own_view(action.node_address, target), action.master_id)) {
        return fmt::format("{} does not know master {} yet", action.node_address,
                           action.master_address);
    }
    auto observed = probes::poll_cluster(target.request);
    for (const auto& probe : observed.nodes) {
        if (probe.reachable && !view_lists(probe.cluster_nodes, action.node_id)) {
            return fmt::format("{} does not know {} yet", probe.address, action.node_address);
        }
    }
    return "";
}

result<void> meet_spare(const heal_action& action, const heal_target& target,
                        const stop_requested& should_stop, const progress_log& note) {
    auto spare = parse_endpoint(action.node_address);
    if (!spare) return spare.failure();
    note(fmt::format("CLUSTER MEET {} {} sent to {}", spare->host, spare->port,
                     action.master_address));
    if (auto met = send_command(action.master_address,
                                {"CLUSTER", "MEET", spare->host, std::to_string(spare->port)},
                                "CLUSTER MEET", target);
        !met) {
        return met;
    }
    return wait_until([&] { return meet_pending(action, target); }, target.verify_timeout,
                      should_stop);
}

std::string replication_state(const std::string& address, const std::string& master_id,
                              const heal_target& target) {
    auto connection = connect(address, target);
    if (!connection) return connection.failure().message;
    auto replies = connection->pipeline({{"CLUSTER", "NODES"}, {"INFO", "replication"}});
    if (!replies) return replies.failure().message;
    return replication_pending((*replies)[0].text, (*replies)[1].text, master_id);
}

// heal.takeover_after, else 3 x the cluster's own cluster-node-timeout (read from a live
// node), else 3 x Redis' default of 15 s when CONFIG is denied.
std::chrono::milliseconds takeover_delay(const check_report& report, const heal_target& target) {
    if (target.takeover_after) return *target.takeover_after;
    constexpr std::chrono::milliseconds redis_default_node_timeout{15000};
    for (const auto& node : report.cluster_topology.nodes) {
        if (!node.observed) continue;
        auto connection = connect(node.address, target);
        if (!connection) continue;
        auto reply = connection->call({"CONFIG", "GET", "cluster-node-timeout"});
        if (auto text = reply ? probes::config_get_value(*reply) : std::nullopt) {
            if (auto value = parse_integer<std::int64_t>(*text)) {
                return 3 * std::chrono::milliseconds(*value);
            }
        }
        break;
    }
    return 3 * redis_default_node_timeout;
}

// The fence's refusal, worded for the log ("not acting: ..."); none when it passes.
std::optional<std::string> fence_refusal_of(const fence_check& fence) {
    if (!fence) return std::nullopt;
    auto passed = fence();
    if (passed) return std::nullopt;
    return "coordination fence: " + passed.failure().message;
}

action_result execute_takeover(const heal_action& action, const heal_target& target,
                               const stop_requested& should_stop, const progress_log& note,
                               const fence_check& fence) {
    auto reading = read_cluster(target);
    auto blocker = takeover_blocker(reading.report.cluster_topology);
    if (!blocker.empty()) return skipped(blocker);
    if (!still_planned(action, reading.plan)) {
        return skipped(
            "a fresh read of the cluster no longer plans this takeover (quorum "
            "back, or another replica fits better)");
    }
    if (auto refusal = fence_refusal_of(fence)) return skipped(*refusal);
    auto started = clock::now();
    note(fmt::format("CLUSTER FAILOVER TAKEOVER sent to {}", action.node_address));
    if (auto sent = send_command(action.node_address, {"CLUSTER", "FAILOVER", "TAKEOVER"},
                                 "CLUSTER FAILOVER TAKEOVER", target);
        !sent) {
        return failed(sent.failure().message);
    }
    if (auto verified =
            wait_until([&] { return promotion_pending(own_view(action.node_address, target)); },
                       target.verify_timeout, should_stop);
        !verified) {
        return failed(fmt::format("{} did not verify as the new master: {}", action.node_address,
                                  verified.failure().message));
    }
    auto seconds = std::chrono::duration<double>(clock::now() - started).count();
    return {action_outcome::success,
            fmt::format("{} took over the slots of dead master {}, verified after {:.1f} s",
                        action.node_address, action.master_address, seconds)};
}

}  // namespace

const char* to_string(action_outcome outcome) {
    switch (outcome) {
        case action_outcome::success:
            return "success";
        case action_outcome::failed:
            return "failed";
        case action_outcome::skipped:
            break;
    }
    return "skipped";
}

heal_target heal_target_for(probes::poll_request request, analysis_policy analysis,
                            const config::heal_settings& heal) {
    heal_target target;
    target.request = std::move(request);
    target.analysis = std::move(analysis);
    target.planning.min_replicas_per_master = heal.min_replicas_per_master;
    target.planning.fix_placement = heal.fix_placement;
    target.spares = heal.spares;
    target.verify_timeout = heal.verify_timeout;
    target.takeover = heal.takeover;
    target.takeover_after = heal.takeover_after;
    target.fast_sync = heal.fast_sync;
    target.state_dir = heal.state_dir;
    return target;
}

cluster_reading read_cluster(const heal_target& target) {
    return plan_for(analyze(probes::poll_cluster(target.request), target.analysis), target);
}

cluster_reading plan_for(check_report report, const heal_target& target) {
    cluster_reading reading;
    reading.report = std::move(report);
    if (plans_takeover(target.takeover, reading.report.health)) {
        // Replica moves cannot help while no failover can happen; only takeovers can.
        auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
        reading.plan = plan_takeover(reading.report.cluster_topology, reading.report.health, now_ms,
                                     takeover_delay(reading.report, target));
        return reading;
    }
    for (const auto& address : target.spares) {
        reading.spares.push_back(probe_spare(address, target));
    }
    reading.plan = plan_heal(reading.report.cluster_topology, target.planning, reading.spares);
    return reading;
}

result<void> send_command(const std::string& address, const probes::command& arguments,
                          const std::string& what, const heal_target& target) {
    auto connection = connect(address, target);
    if (!connection) return connection.failure();
    auto reply = connection->call(arguments);
    if (!reply) return reply.failure();
    if (reply->type == resp_type::error) return refused(what, *reply, address);
    return {};
}

result<void> replicate_verified(const std::string& node_address, const std::string& master_id,
                                const std::string& master_address, const heal_target& target,
                                const stop_requested& should_stop) {
    if (auto sent = send_command(node_address, {"CLUSTER", "REPLICATE", master_id},
                                 "CLUSTER REPLICATE", target);
        !sent) {
        return sent;
    }
    if (auto verified =
            wait_until([&] { return replication_state(node_address, master_id, target); },
                       target.verify_timeout, should_stop);
        !verified) {
        return error{fmt::format("{} did not verify as a replica of {}: {}", node_address,
                                 master_address, verified.failure().message),
                     verified.failure().kind};
    }
    return {};
}

action_result execute_action(const heal_action& action, const heal_target& target,
                             const stop_requested& should_stop, const progress_log& note,
                             const fence_check& fence) {
    if (action.kind == heal_action_kind::takeover) {
        return execute_takeover(action, target, should_stop, note, fence);
    }
    auto reading = read_cluster(target);
    auto blocker = acting_blocker(reading.report.cluster_topology, reading.report.health);
    if (!blocker.empty()) return skipped(blocker);
    if (!still_planned(action, reading.plan)) {
        return skipped("a fresh read of the cluster no longer plans this move");
    }
    auto started = clock::now();
    if (action.kind == heal_action_kind::meet_spare) {
        if (auto refusal = fence_refusal_of(fence)) return skipped(*refusal);
        if (auto met = meet_spare(action, target, should_stop, note); !met) {
            return failed(met.failure().message);
        }
    }
    if (action.source == candidate_class::empty_master) {
        if (auto empty = check_still_empty(action, target); !empty) {
            return skipped(empty.failure().message);
        }
    }
    // Checked again after a MEET: its verification may have outlasted the lease.
    if (auto refusal = fence_refusal_of(fence)) return skipped(*refusal);
    // The master's sync starts without its diskless delay; put back once the move is over,
    // whichever way it ends.
    auto fast_sync = sync_delay_override::lower(sync_target_of(action, target), note);
    auto put_back = [&](action_result outcome) {
        if (fast_sync.lowered()) note(fast_sync.restore().text);
        return outcome;
    };
    note(fmt::format("CLUSTER REPLICATE {} sent to {}", action.master_id, action.node_address));
    if (auto moved = replicate_verified(action.node_address, action.master_id,
                                        action.master_address, target, should_stop);
        !moved) {
        return put_back(failed(moved.failure().message));
    }
    if (fast_sync.lowered()) note(fast_sync.restore().text);
    auto seconds = std::chrono::duration<double>(clock::now() - started).count();
    return {action_outcome::success,
            fmt::format("{} replicates {} with link up, verified after {:.1f} s",
                        action.node_address, action.master_address, seconds)};
}

}  // namespace warden::executor
