// Rolling restarts and upgrades (`redis-warden restart`): which nodes, in which order, and
// when a restarted node is back. Pure: decided from merged topologies, their assessments and
// what the shell read from the restarted node.
//
// Order: replicas first, one at a time (so never two nodes of one shard, nor two failure
// domains, at once), grouped by failure domain; then each master, failed over to its best
// replica first (failover_plan) and restarted as a replica. A master is never restarted
// while it serves slots.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/health/findings.hpp"
#include "controller/core/result.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {

struct restart_target {
    std::string id;
    std::string address;
    std::string host;
    int port = 0;
    bool master = false;  // serves slots now: failed over before it is restarted
    std::string domain;
    friend bool operator==(const restart_target&, const restart_target&) = default;
};

struct restart_plan {
    std::vector<restart_target> steps;  // in order
};

// Every member, or those `nodes` names (id, unique id prefix or address) and those on
// `hosts` (IP or announced hostname). Nodes in `done` (ids, from --state) are left out.
result<restart_plan> plan_rolling_restart(const topology& cluster,
                                          const std::vector<std::string>& nodes,
                                          const std::vector<std::string>& hosts,
                                          const std::set<std::string>& done = {});

// Why a rolling restart must not start (empty: it may): the planned-failover refusals
// (quorum, open slots, a master down, views disagreeing), and a master serving slots that
// has no healthy replica, since restarting it would take its slots away.
std::string restart_refusal(const topology& cluster, const assessment& health);

// "  1. replica 127.0.0.2:7004 (4f3a1b2c) [host 127.0.0.2]" per step, masters with
// "failover to its best replica, then restart".
std::string describe_restart_plan(const restart_plan& plan);

// What the shell read from the restarted node itself after the command ran.
struct restarted_node_reading {
    bool answered = false;          // connected and authenticated with the cluster's credentials
    std::string error;              // why not
    bool loading = false;           // INFO persistence loading:1
    bool sync_in_progress = false;  // INFO replication master_sync_in_progress:1
    std::optional<std::int64_t>
        master_offset_before;                    // its master's master_repl_offset, read first
    std::optional<std::int64_t> replica_offset;  // then its own slave_repl_offset
};

// Whether the restarted node is back as the run requires before its next step: it answers
// and is not loading; every view lists it and none flags it failing; the cluster is settled
// (`unsettled`, the shell's wait_settled verdict, empty when settled); it is a replica whose
// link is up, not syncing, with its offset caught up to its master's; and no finding is
// present now that was not before the run (`baseline`: code + severity + nodes). Empty when
// ready, else what is still missing.
std::string restart_pending(const topology& cluster, const assessment& health,
                            const std::string& node_id, const restarted_node_reading& reading,
                            const std::string& unsettled, const std::set<std::string>& baseline);

// What --state FILE records after every step (replaced atomically): the run it belongs to,
// the nodes restarted so far, and what the report and --failback need from the start.
struct restart_progress {
    std::string cluster;
    std::string command;                                 // --exec as given
    std::vector<std::string> done;                       // node ids, in the order restarted
    std::vector<std::string> masters_before;             // ids of the masters serving slots
    std::map<std::string, std::string> versions_before;  // id -> redis_version
    friend bool operator==(const restart_progress&, const restart_progress&) = default;
};
std::string progress_json(const restart_progress& progress);
result<restart_progress> parse_progress(std::string_view text);

// "6 nodes restarted, 7.0.15 -> 7.0.15" or "..., 6.2.14 -> 7.0.15" (each distinct version
// before and after, sorted; "?" when a node could not be read).
std::string describe_versions(std::size_t restarted,
                              const std::map<std::string, std::string>& before,
                              const std::map<std::string, std::string>& after);

// The findings of an assessment as restart_pending compares them.
std::set<std::string> finding_keys(const assessment& health);

}  // namespace warden
