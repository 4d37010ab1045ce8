#include "controller/core/planner/heal_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include "controller/core/health/checks.hpp"

namespace warden {
namespace {

struct need {
    const cluster_node* master;
    heal_goal goal;
    bool leftover = false;  // place_replicas: no need asked, the master has the fewest
};

struct candidate {
    candidate_class source;
    std::string id;
    std::string address;
    std::string domain;
    std::string donor_master_id;  // class 1 only
    bool used = false;
};

// What the plan has changed so far, so later choices see earlier ones.
struct plan_state {
    std::map<std::string, std::vector<std::string>> healthy_domains;  // master id -> domains
    std::map<std::string, int> domain_load;  // failure domain -> healthy replicas in it
};

bool is_candidate_master(const cluster_node& node, const topology& cluster) {
    if (node.role != node_role::master || node.serves_slots() || !node.replica_ids.empty()) {
        return false;
    }
    if (node.id.empty() || node.nofailover || is_down(node, cluster)) return false;
    return std::none_of(cluster.open_slots.begin(), cluster.open_slots.end(),
                        [&](const open_slot_state& open) { return open.node_id == node.id; });
}

bool listed(const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// `excluded`: replicas that do not count (they leave, or are about to be placed anew).
plan_state initial_state(const topology& cluster, const std::vector<std::string>& excluded = {}) {
    plan_state state;
    for (const auto& node : cluster.nodes) {
        if (node.role != node_role::replica || !node.master_id) continue;
        if (listed(excluded, node.id)) continue;
        const auto* master = cluster.find(*node.master_id);
        if (master == nullptr || !detail::is_healthy_replica(node, *master, cluster)) continue;
        state.healthy_domains[master->id].push_back(node.failure_domain);
        ++state.domain_load[node.failure_domain];
    }
    return state;
}

std::vector<candidate> gather_candidates(const topology& cluster,
                                         const std::vector<spare_node>& spares) {
    std::vector<candidate> pool;
    for (const auto& node : cluster.nodes) {
        if (node.role == node_role::replica && node.master_id) {
            const auto* master = cluster.find(*node.master_id);
            if (master == nullptr || is_down(*master, cluster)) continue;
            if (!detail::is_healthy_replica(node, *master, cluster)) continue;
            pool.push_back({candidate_class::spare_replica, node.id, node.address,
                            node.failure_domain, master->id});
        } else if (is_candidate_master(node, cluster)) {
            pool.push_back(
                {candidate_class::empty_master, node.id, node.address, node.failure_domain, {}});
        }
    }
    for (const auto& spare : spares) {
        if (!spare.eligible || spare.id.empty() || cluster.find(spare.id) != nullptr) continue;
        pool.push_back(
            {candidate_class::spare_node, spare.id, spare.address, spare.failure_domain, {}});
    }
    return pool;
}

bool all_in(const std::vector<std::string>& domains, const std::string& domain) {
    return std::all_of(domains.begin(), domains.end(),
                       [&](const std::string& each) { return each == domain; });
}

// Masters that can take a replica: serving slots, not down (its failover, not a new
// replica, helps it), not leaving.
bool receives_replicas(const cluster_node& master, const topology& cluster,
                       const std::vector<std::string>& leaving) {
    return master.role == node_role::master && master.serves_slots() && !is_down(master, cluster) &&
           !listed(leaving, master.id);
}

std::vector<need> gather_needs(const topology& cluster, const heal_policy& policy,
                               const plan_state& state,
                               const std::vector<std::string>& leaving = {}) {
    std::vector<need> orphans;
    std::vector<need> others;
    for (const auto& master : cluster.nodes) {
        if (!receives_replicas(master, cluster, leaving)) continue;
        auto found = state.healthy_domains.find(master.id);
        std::vector<std::string> domains;
        if (found != state.healthy_domains.end()) domains = found->second;
        int healthy = static_cast<int>(domains.size());
        if (healthy == 0) orphans.push_back({&master, heal_goal::cover_orphan});
        if (!policy.fix_placement) continue;
        for (int have = std::max(healthy, 1); have < policy.min_replicas_per_master; ++have) {
            others.push_back({&master, heal_goal::reach_target});
        }
        if (healthy > 0 && all_in(domains, master.failure_domain)) {
            others.push_back({&master, heal_goal::spread_failure_domain});
        }
    }
    orphans.insert(orphans.end(), others.begin(), others.end());
    return orphans;
}

// Whether taking `donor` away leaves its master's healthy replicas all in the master's domain
// when they were not before.
bool breaks_spread(const candidate& donor, const topology& cluster, const plan_state& state) {
    if (donor.source != candidate_class::spare_replica) return false;
    const auto& home = cluster.find(donor.donor_master_id)->failure_domain;
    const auto& domains = state.healthy_domains.at(donor.donor_master_id);
    // Spread now, and not once the donor's entry is gone: the donor is the only replica
    // outside its master's domain. Counted, not copied: this runs per candidate per need.
    auto elsewhere = std::count_if(domains.begin(), domains.end(),
                                   [&home](const std::string& each) { return each != home; });
    return elsewhere == 1 && donor.domain != home;
}

int domain_conflict(const candidate& option, const cluster_node& master, const plan_state& state) {
    if (option.domain == master.failure_domain) return 2;
    auto found = state.healthy_domains.find(master.id);
    if (found == state.healthy_domains.end()) return 0;
    return std::find(found->second.begin(), found->second.end(), option.domain) !=
                   found->second.end()
               ? 1
               : 0;
}

bool donor_allowed(const candidate& option, const cluster_node& master, const topology& cluster,
                   const heal_policy& policy, const plan_state& state) {
    if (option.source != candidate_class::spare_replica) return true;
    if (option.donor_master_id == master.id) return false;
    const auto* donor_master = cluster.find(option.donor_master_id);
    if (!donor_master->serves_slots()) return true;  // a master without slots needs no replica
    int healthy = static_cast<int>(state.healthy_domains.at(option.donor_master_id).size());
    return healthy > std::max(policy.min_replicas_per_master, 1);
}

candidate* choose(std::vector<candidate>& pool, const need& wanted, const topology& cluster,
                  const heal_policy& policy, const plan_state& state) {
    candidate* best = nullptr;
    std::tuple<int, int, int, int> best_key;
    bool spreading = wanted.goal == heal_goal::spread_failure_domain;
    for (auto& option : pool) {
        if (option.used || option.id == wanted.master->id) continue;
        // A replica in the master's own domain cannot spread it (the cheap test first: on one
        // host every candidate of every master fails it).
        if (spreading && option.domain == wanted.master->failure_domain) continue;
        if (!donor_allowed(option, *wanted.master, cluster, policy, state)) continue;
        int conflict = domain_conflict(option, *wanted.master, state);
        bool breaks = breaks_spread(option, cluster, state);
        if (spreading && (conflict == 2 || breaks)) continue;
        auto found = state.domain_load.find(option.domain);
        auto load = found == state.domain_load.end() ? 0 : found->second;
        auto key = std::make_tuple(static_cast<int>(option.source), conflict, breaks ? 1 : 0, load);
        if (best == nullptr || key < best_key ||
            (key == best_key && option.address < best->address)) {
            best = &option;
            best_key = key;
        }
    }
    return best;
}

std::string source_reason(const candidate& chosen, const topology& cluster,
                          const plan_state& state) {
    switch (chosen.source) {
        case candidate_class::spare_replica: {
            const auto* donor = cluster.find(chosen.donor_master_id);
            int keeps = static_cast<int>(state.healthy_domains.at(donor->id).size()) - 1;
            if (!donor->serves_slots()) {
                return fmt::format("replica of {}, a master serving no slots", donor->address);
            }
            return fmt::format("replica of {}, which keeps {} healthy replica(s)", donor->address,
                               keeps);
        }
        case candidate_class::empty_master:
            return "empty master (no slots, no replicas)";
        case candidate_class::spare_node:
            return "spare node from heal.spares";
        case candidate_class::joiner:
            break;
    }
    return "";
}

std::string domain_reason(const candidate& chosen, const cluster_node& master, int conflict) {
    if (conflict == 0) {
        return fmt::format("failure domain {}, apart from the master's {}", chosen.domain,
                           master.failure_domain);
    }
    if (conflict == 1) {
        return fmt::format("failure domain {} (another replica is there; none free elsewhere)",
                           chosen.domain);
    }
    return fmt::format("same failure domain {} as the master (no candidate elsewhere)",
                       chosen.domain);
}

void apply(candidate& chosen, const need& wanted, plan_state& state) {
    chosen.used = true;
    if (chosen.source == candidate_class::spare_replica) {
        auto& donor_domains = state.healthy_domains[chosen.donor_master_id];
        donor_domains.erase(std::find(donor_domains.begin(), donor_domains.end(), chosen.domain));
    } else {
        ++state.domain_load[chosen.domain];
    }
    state.healthy_domains[wanted.master->id].push_back(chosen.domain);
}

std::string unmet_reason(const need& wanted) {
    switch (wanted.goal) {
        case heal_goal::cover_orphan:
            return "no candidate: no replica to spare (every other master is at its minimum), "
                   "no empty master and no eligible spare node; add a node";
        case heal_goal::reach_target:
            return "below target and no spare capacity to add a replica";
        case heal_goal::spread_failure_domain:
            return "every replica shares the master's failure domain and no candidate is "
                   "elsewhere";
        case heal_goal::restore_quorum:
            break;
    }
    return "";
}

std::string joiner_reason(const need& wanted, const plan_state& state) {
    auto found = state.healthy_domains.find(wanted.master->id);
    auto healthy = found == state.healthy_domains.end() ? 0 : found->second.size();
    if (wanted.leftover) {
        return fmt::format("the master has {} healthy replica(s), the fewest", healthy);
    }
    switch (wanted.goal) {
        case heal_goal::cover_orphan:
            return "the master has no healthy replica";
        case heal_goal::spread_failure_domain:
            return "every replica of the master shares its failure domain";
        default:
            return fmt::format("the master has {} healthy replica(s), below the target", healthy);
    }
}

// The action that gives `wanted` its replica `chosen`, recorded in the plan's state.
heal_action take(candidate& chosen, const need& wanted, const topology& cluster,
                 plan_state& state) {
    const auto& master = *wanted.master;
    heal_action action;
    action.kind = chosen.source == candidate_class::spare_node ? heal_action_kind::meet_spare
                                                               : heal_action_kind::replicate;
    action.goal = wanted.goal;
    action.source = chosen.source;
    action.node_id = chosen.id;
    action.node_address = chosen.address;
    action.node_domain = chosen.domain;
    action.master_id = master.id;
    action.master_address = master.address;
    action.master_domain = master.failure_domain;
    action.donor_master_id = chosen.donor_master_id;
    auto why = chosen.source == candidate_class::joiner ? joiner_reason(wanted, state)
                                                        : source_reason(chosen, cluster, state);
    action.reason =
        why + "; " + domain_reason(chosen, master, domain_conflict(chosen, master, state));
    apply(chosen, wanted, state);
    return action;
}

// The master a joiner no need asked for goes to: fewest healthy replicas, then another
// failure domain than the master's and its replicas', then the address.
const cluster_node* fewest_replicas(const candidate& joiner, const topology& cluster,
                                    const plan_state& state,
                                    const std::vector<std::string>& leaving) {
    const cluster_node* best = nullptr;
    std::tuple<std::size_t, int, std::string> best_key;
    for (const auto& master : cluster.nodes) {
        if (master.id == joiner.id || !receives_replicas(master, cluster, leaving)) continue;
        auto found = state.healthy_domains.find(master.id);
        auto key = std::make_tuple(found == state.healthy_domains.end() ? 0 : found->second.size(),
                                   domain_conflict(joiner, master, state), master.address);
        if (best == nullptr || key < best_key) {
            best = &master;
            best_key = key;
        }
    }
    return best;
}

}  // namespace

heal_plan plan_heal(const topology& cluster, const heal_policy& policy,
                    const std::vector<spare_node>& spares) {
    heal_plan plan;
    if (cluster.offline) return plan;
    auto state = initial_state(cluster);
    auto pool = gather_candidates(cluster, spares);
    for (const auto& wanted : gather_needs(cluster, policy, state)) {
        auto* chosen = choose(pool, wanted, cluster, policy, state);
        if (chosen == nullptr) {
            // replica_same_host already says what it means; the others are work left undone.
            if (wanted.goal != heal_goal::spread_failure_domain) {
                plan.unmet.push_back(
                    {wanted.master->id, wanted.master->address, wanted.goal, unmet_reason(wanted)});
            }
            continue;
        }
        plan.actions.push_back(take(*chosen, wanted, cluster, state));
    }
    return plan;
}

std::vector<heal_action> place_replicas(const topology& cluster, const heal_policy& policy,
                                        const std::vector<spare_node>& joiners,
                                        const std::vector<std::string>& leaving) {
    std::vector<std::string> excluded = leaving;
    std::vector<candidate> pool;
    for (const auto& joiner : joiners) {
        excluded.push_back(joiner.id);
        pool.push_back(
            {candidate_class::joiner, joiner.id, joiner.address, joiner.failure_domain, {}});
    }
    auto state = initial_state(cluster, excluded);
    std::vector<heal_action> actions;
    for (const auto& wanted : gather_needs(cluster, policy, state, leaving)) {
        if (auto* chosen = choose(pool, wanted, cluster, policy, state)) {
            actions.push_back(take(*chosen, wanted, cluster, state));
        }
    }
    for (auto& joiner : pool) {
        if (joiner.used) continue;
        if (const auto* master = fewest_replicas(joiner, cluster, state, leaving)) {
            actions.push_back(
                take(joiner, {master, heal_goal::reach_target, true}, cluster, state));
        }
    }
    return actions;
}

std::string acting_blocker(const topology& cluster, const assessment& health) {
    if (cluster.offline) return "offline snapshot: nothing to act on";
    for (const auto& node : cluster.nodes) {
        if (node.role != node_role::master || !node.serves_slots()) continue;
        if (!is_reachable(node, cluster)) {
            return fmt::format("master {} serving slots is unreachable", node.address);
        }
        if (flagged_failing(node)) {
            return fmt::format("master {} serving slots is flagged failing", node.address);
        }
    }
    if (health.quorum.margin < 0) return "failover quorum is lost";
    for (const auto& disagreement : cluster.disagreements) {
        if (disagreement.kind == disagreement_kind::slot_owner ||
            disagreement.kind == disagreement_kind::slot_claimed_twice) {
            return "views disagree on slot owners: " + disagreement.detail;
        }
    }
    return "";
}

bool still_planned(const heal_action& action, const heal_plan& fresh) {
    return std::any_of(fresh.actions.begin(), fresh.actions.end(), [&](const heal_action& other) {
        return other.kind == action.kind && other.node_id == action.node_id &&
               other.master_id == action.master_id;
    });
}

}  // namespace warden
