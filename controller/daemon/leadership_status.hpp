// What a cluster's poll loop and the status board need to know about coordination.
#pragma once

#include <optional>
#include <string>

#include "controller/core/coordination/leadership.hpp"
#include "controller/core/coordination/maintenance.hpp"

namespace warden::daemon {

struct leadership_status {
    bool coordinated = false;  // coordination.backend is etcd
    bool may_act = true;       // backend none, or this instance holds the cluster's lease
    bool available = true;     // etcd answered the coordinator's last round
    std::string identity;      // this instance
    std::string holder;        // the leader's identity (last known); empty: none/unknown
    std::string problem;       // why etcd is unavailable
    std::optional<action_record> last_action;  // latest record read as leader or written
    // The cluster's maintenance marker, if one is set and not expired (etcd: read by the
    // coordinator each round; backend none: the cluster monitor reads state_dir's file).
    std::optional<maintenance_marker> maintenance;
};

}  // namespace warden::daemon
