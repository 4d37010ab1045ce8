// The daemon's decision, each poll, whether to carry out the first action of its heal plan:
// one pure step (inputs -> idle / wait / skip(reason) / act) so the gates that change
// production are in one place, unit-tested, and reusable by planned operations. The daemon
// only performs what it returns (cluster_monitor.cpp); the CLI and the executor ask
// blocker_for which safety gate applies to a plan.
#pragma once

#include <chrono>
#include <string>

#include "controller/core/health/transitions.hpp"
#include "controller/core/planner/heal_plan.hpp"

namespace warden {

struct heal_step_inputs {
    bool heal_mode = false;                 // heal.mode: heal (observe never acts)
    bool acting = false;                    // an action is still in flight
    bool may_act = false;                   // this instance holds the lease (or needs none)
    bool in_maintenance = false;            // a maintenance marker is set for the cluster
    std::string maintenance;                // ... its description (describe_marker)
    std::chrono::milliseconds grace{2000};  // heal.grace: a finding must last this long
    bool rate_limited = false;              // heal.max_actions_per_minute reached
    int recent_actions = 0;                 // ... in the last minute (for the reason)
    int max_actions_per_minute = 0;
};

enum class heal_step_kind {
    idle,  // nothing to do (or not allowed to act at all): no log, no count
    wait,  // the finding is younger than the grace: ask again next poll
    skip,  // would act but a gate says no: logged and counted once per episode
    act,   // carry out plan.actions.front()
};

struct heal_step {
    heal_step_kind kind = heal_step_kind::idle;
    std::string reason;  // for skip (and wait): why
    friend bool operator==(const heal_step&, const heal_step&) = default;
};

// `active` holds the findings the daemon tracks (with since when), `now` the wall time.
heal_step decide_heal_step(const heal_plan& plan, const active_findings& active,
                           const heal_step_inputs& inputs, wall_time now);

// Whether the action's finding (its goal on its master) has lasted the grace: a replica
// restarting after a crash comes back by itself, and moving another one meanwhile would be
// churn. Takeovers are exempt: takeover_after, measured from the views' last pong, is their
// gate.
bool grace_elapsed(const heal_action& action, const active_findings& active,
                   std::chrono::milliseconds grace, wall_time now);

// The safety gate for carrying out `plan`: takeover_blocker for a takeover plan (its dead
// masters are expected to be down), acting_blocker otherwise. Empty: safe to act.
std::string blocker_for(const heal_plan& plan, const topology& cluster, const assessment& health);
bool is_takeover_plan(const heal_plan& plan);

// Which planner answers: with quorum lost no failover can happen and replica moves cannot
// help, so a cluster that allows takeovers (heal.takeover) gets plan_takeover; every other
// case gets plan_heal (which then reports the lost quorum as unmet).
bool plans_takeover(bool takeover_allowed, const assessment& health);

}  // namespace warden
