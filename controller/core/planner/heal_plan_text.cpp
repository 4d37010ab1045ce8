// How heal plans read: the names of actions and goals, one line per action, the plan table
// (heal_plan.hpp). Kept apart from the planner's choices.
#include <fmt/format.h>

#include "controller/core/health/finding_codes.hpp"
#include "controller/core/planner/heal_plan.hpp"

namespace warden {

const char* to_string(heal_action_kind kind) {
    switch (kind) {
        case heal_action_kind::meet_spare:
            return "meet";
        case heal_action_kind::takeover:
            return "takeover";
        case heal_action_kind::replicate:
            break;
    }
    return "replicate";
}

const char* to_string(heal_goal goal) {
    switch (goal) {
        case heal_goal::cover_orphan:
            return finding_code::orphaned_master;
        case heal_goal::reach_target:
            return finding_code::replicas_below_target;
        case heal_goal::spread_failure_domain:
            return finding_code::replica_same_host;
        case heal_goal::restore_quorum:
            return finding_code::quorum_lost;
    }
    return "";
}

std::string describe_action(const heal_action& action) {
    if (action.kind == heal_action_kind::takeover) {
        return fmt::format("takeover {} -> master in place of dead {} ({}): {}",
                           action.node_address, action.master_address, to_string(action.goal),
                           action.reason);
    }
    return fmt::format("{} {} -> replica of {} ({}): {}", to_string(action.kind),
                       action.node_address, action.master_address, to_string(action.goal),
                       action.reason);
}

std::string describe_plan(const heal_plan& plan, const std::string& cluster_name) {
    if (plan.actions.empty() && plan.unmet.empty()) {
        return fmt::format("heal plan for cluster {}: nothing to do\n", cluster_name);
    }
    std::string text =
        fmt::format("heal plan for cluster {}: {} action(s)\n", cluster_name, plan.actions.size());
    for (std::size_t i = 0; i < plan.actions.size(); ++i) {
        text += fmt::format("  {}. {}\n", i + 1, describe_action(plan.actions[i]));
    }
    for (const auto& unmet : plan.unmet) {
        text += fmt::format("  unmet: master {} ({}): {}\n", unmet.master_address,
                            to_string(unmet.goal), unmet.reason);
    }
    return text;
}

}  // namespace warden
