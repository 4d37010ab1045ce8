// Maintenance markers (DESIGN.md "Maintenance windows"): while a planned operation runs, or
// an operator set a window by hand, the daemon polls and exports but does not act on the
// cluster, and alert rules stay quiet. Pure: the marker's form, where it lives, and the
// decisions about it; the store (a file in state_dir, or an etcd key on a lease) is
// controller/daemon/maintenance_store.
//
// Where:
//   coordination.backend etcd:  <prefix><cluster>/maintenance, attached to a lease (an
//                               operation's is kept alive by its CLI and vanishes with it;
//                               `maintenance on --for D` gets a lease of TTL D); the leader's
//                               fence txn requires the key absent.
//   backend none:               <state_dir>/maintenance-<cluster>.json, with its expiry
//                               inside (an operation refreshes it; a dead CLI's expires).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "controller/core/result.hpp"

namespace warden {

struct maintenance_marker {
    std::string operation = "manual";  // manual | restart | failover | rebalance | ...
    std::string reason;
    std::string holder;  // who set it: "user@host pid N"
    double since = 0;    // unix seconds
    // Unix seconds: never honoured after this. 0: bound to an etcd lease that the holder's
    // command keeps alive (the key vanishes with it), so no time is known in advance.
    double until = 0;
    friend bool operator==(const maintenance_marker&, const maintenance_marker&) = default;
};

std::string maintenance_key(std::string_view prefix, std::string_view cluster);
// "<prefix><cluster>.json"; bytes other than [A-Za-z0-9._-] are written %XX so any cluster
// name makes one file name inside state_dir (a cluster's files there all use it).
std::string cluster_file_name(std::string_view prefix, std::string_view cluster);
// "maintenance-<cluster>.json".
std::string maintenance_file_name(std::string_view cluster);

std::string marker_json(const maintenance_marker& marker);
result<maintenance_marker> parse_marker(std::string_view text);

// A marker counts until its `until` (a lease-bound one while it exists); an expired one is
// as good as none.
bool marker_active(const std::optional<maintenance_marker>& marker, double now_unix);

// "restart by root@db1 pid 42: rolling restart, until 2026-12-02T16:00:00Z"
std::string describe_marker(const maintenance_marker& marker);

// Whether an operation may start under the marker there is now: none, an expired one, or
// a manual window (the operation runs inside it) let it; another operation's refuses it
// (two rolling restarts at once could take both nodes of a shard). Empty: go.
std::string maintenance_conflict(const std::optional<maintenance_marker>& present, double now_unix);

}  // namespace warden
