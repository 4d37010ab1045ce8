#include "controller/core/planner/heal_step.hpp"

#include <fmt/format.h>

namespace warden {

bool grace_elapsed(const heal_action& action, const active_findings& active,
                   std::chrono::milliseconds grace, wall_time now) {
    if (action.kind == heal_action_kind::takeover) return true;
    for (const auto& [key, found] : active) {
        if (key.code == to_string(action.goal) && !key.nodes.empty() &&
            key.nodes.front() == action.master_id) {
            return now - found.since >= grace;
        }
    }
    return false;  // the finding is gone (or not seen yet): nothing to heal now
}

heal_step decide_heal_step(const heal_plan& plan, const active_findings& active,
                           const heal_step_inputs& inputs, wall_time now) {
    if (!inputs.heal_mode || inputs.acting) return {};
    if (!inputs.may_act) return {};  // another instance leads, or the lease cannot be proven
    if (plan.actions.empty()) return {};
    if (inputs.in_maintenance) {
        return {heal_step_kind::skip,
                fmt::format("maintenance ({})", inputs.maintenance.empty() ? "a planned operation"
                                                                           : inputs.maintenance)};
    }
    if (!grace_elapsed(plan.actions.front(), active, inputs.grace, now)) {
        return {heal_step_kind::wait,
                fmt::format("waiting for heal.grace ({} ms)", inputs.grace.count())};
    }
    if (inputs.rate_limited) {
        return {heal_step_kind::skip,
                fmt::format("rate limit: {} action(s) in the last minute "
                            "(heal.max_actions_per_minute {})",
                            inputs.recent_actions, inputs.max_actions_per_minute)};
    }
    return {heal_step_kind::act, ""};
}

bool is_takeover_plan(const heal_plan& plan) {
    return !plan.actions.empty() && plan.actions.front().kind == heal_action_kind::takeover;
}

std::string blocker_for(const heal_plan& plan, const topology& cluster, const assessment& health) {
    return is_takeover_plan(plan) ? takeover_blocker(cluster) : acting_blocker(cluster, health);
}

bool plans_takeover(bool takeover_allowed, const assessment& health) {
    return takeover_allowed && health.quorum.margin < 0;
}

}  // namespace warden
