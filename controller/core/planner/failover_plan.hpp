// Planned failovers (`redis-warden failover`): which replica takes over which master, and
// why not when it must not. Pure: decided from one merged topology and its assessment.
// Only CLUSTER FAILOVER (the coordinated kind: the master stops writes, the replica catches
// up, then switches) is ever planned; FORCE and TAKEOVER are for dead masters (heal).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/health/findings.hpp"
#include "controller/core/result.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {

struct failover_step {
    std::string master_id;
    std::string master_address;
    std::string replica_id;
    std::string replica_address;
    int slots = 0;             // the master's slot count, for the report
    bool same_domain = false;  // the replica is in the master's failure domain
};

struct failover_plan {
    std::vector<failover_step> steps;  // one at a time, in this order
};

// Why the cluster is not fit for any planned failover (empty: it is): quorum margin below
// 1, open slots, a master serving slots that is down, views that disagree on owners.
std::string failover_refusal(const topology& cluster, const assessment& health);

// `failover --master NODE [--to NODE]`: the best healthy replica (the master's failure
// domain avoided when another has one, then the largest replication offset, then the
// address), or `to`, which must be a healthy replica of that master.
result<failover_plan> plan_master_failover(const topology& cluster, std::string_view master,
                                           std::optional<std::string_view> to = std::nullopt);

// `failover --host HOST`: every master serving slots on HOST (its IP or announced
// hostname) hands over to its best healthy replica on another host; refused, naming the
// master, when one has none. An empty plan when HOST serves no slots.
result<failover_plan> plan_host_drain(const topology& cluster, std::string_view host);

// Whether the node runs on HOST: its IP or its announced hostname (--host, as failover and
// restart take it).
bool node_on_host(const cluster_node& node, std::string_view host);

// "127.0.0.1:7000 (5461 slots) -> 127.0.0.2:7004", one line per step.
std::string describe_failover_plan(const failover_plan& plan);

// Whether the step is done as every view tells it: the replica is master of the slots the
// old master had, and the old master replicates it with its link up. Empty when done, else
// what is still missing.
std::string failover_pending(const topology& cluster, const failover_step& step,
                             int expected_slots);

}  // namespace warden
