// Events from two consecutive polls of one cluster: failovers, nodes flagged failing and
// recovered, nodes added and removed, slots moved. Pure: `now` (unix seconds) and what
// warden did since the last poll come in as arguments.
//
// A failover is slots that changed owner from a master to the node that was its replica
// (or that the old master now replicates). Its kind: `takeover` when warden's own takeover
// promoted the new master, `manual` when the old master is up and now replicates the new one
// (CLUSTER FAILOVER), else `automatic`. Failovers are deduplicated by the new master's
// config epoch: one at or below the highest already announced (kept across restarts of the
// daemon, in its state_dir) is not announced again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controller/core/events/event.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {

// What warden did since the last poll that tells a failover's kind.
struct poll_actions {
    std::vector<std::string> takeover_node_ids;  // replicas warden's takeovers promoted
};

struct topology_diff {
    std::vector<event> events;         // failovers, slots_moved, then node events; ids not set
    std::uint64_t failover_epoch = 0;  // the highest failover epoch announced, updated
};

// No events when either poll had no view at all (nothing answered: the findings say so).
topology_diff diff_topologies(const std::string& cluster, const topology& before,
                              const topology& after, const poll_actions& actions,
                              std::uint64_t announced_epoch, double now);

}  // namespace warden
