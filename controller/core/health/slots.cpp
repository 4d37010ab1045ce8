#include <fmt/format.h>

#include <set>

#include "controller/core/health/checks.hpp"
#include "controller/core/health/finding_codes.hpp"

namespace warden::detail {
namespace {

void check_uncovered(const topology& cluster, findings& out) {
    std::vector<int> unassigned;
    std::vector<int> failed;
    std::set<std::string> failed_owners;
    for (int slot = 0; slot < slot_count; ++slot) {
        auto owner = cluster.slot_owner[slot];
        if (owner < 0) {
            unassigned.push_back(slot);
        } else if (cluster.nodes[owner].views_fail > 0) {
            failed.push_back(slot);
            failed_owners.insert(cluster.nodes[owner].id);
        }
    }
    if (!unassigned.empty()) {
        out.push_back({finding_code::slots_uncovered,
                       severity::critical,
                       {},
                       fmt::format("{} slots ({}) have no owner: keys there cannot be served; "
                                   "assign them (CLUSTER ADDSLOTS, or redis-cli --cluster fix)",
                                   unassigned.size(), describe_slots(unassigned))});
    }
    if (!failed.empty()) {
        out.push_back({finding_code::slots_uncovered,
                       severity::critical,
                       {failed_owners.begin(), failed_owners.end()},
                       fmt::format("{} slots ({}) belong to masters the cluster marks fail and no "
                                   "replica has taken over; restore those masters or promote a "
                                   "replica",
                                   failed.size(), describe_slots(failed))});
    }
}

void check_open(const topology& cluster, findings& out) {
    if (cluster.open_slots.empty()) return;
    std::set<int> slots;
    std::set<std::string> ids;
    for (const auto& open : cluster.open_slots) {
        slots.insert(open.slot);
        ids.insert(open.node_id);
        ids.insert(open.state.peer_id);
    }
    std::vector<int> sorted(slots.begin(), slots.end());
    out.push_back({finding_code::slots_open,
                   severity::warning,
                   {ids.begin(), ids.end()},
                   fmt::format("{} slots ({}) are stuck migrating/importing: finish the move "
                               "(redis-warden rebalance resumes it) or close it with CLUSTER "
                               "SETSLOT <slot> NODE/STABLE",
                               sorted.size(), describe_slots(sorted))});
}

}  // namespace

void check_slots(const topology& cluster, findings& out) {
    if (cluster.views == 0) return;  // nothing observed: no slot map to judge
    check_uncovered(cluster, out);
    check_open(cluster, out);
}

}  // namespace warden::detail
