// Events from what warden itself saw or did, beside the topology diff: findings raised and
// cleared, its heal actions' outcomes, leadership gained or lost, maintenance on and off.
#pragma once

#include <string>
#include <vector>

#include "controller/core/events/event.hpp"
#include "controller/core/health/transitions.hpp"
#include "controller/core/planner/heal_plan.hpp"

namespace warden {

// appeared and changed_severity -> finding_raised (details.changed_severity says which);
// cleared -> finding_cleared (info, details.lasted_seconds).
std::vector<event> finding_events(const std::string& cluster,
                                  const std::vector<finding_event>& changes, double now);

// A heal action that ended with `outcome` ("success", "failed", "skipped").
event action_event(const std::string& cluster, const heal_action& action,
                   const std::string& outcome, const std::string& detail, double now);

// `holder`: the leader now, when this instance lost the lease (may be empty: unknown).
event leadership_event(const std::string& cluster, bool gained, const std::string& holder,
                       double now);

// `description`: the marker as describe_marker says it (on), or the one that ended (off).
event maintenance_event(const std::string& cluster, bool on, const std::string& description,
                        double now);

}  // namespace warden
