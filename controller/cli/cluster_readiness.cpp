#include "controller/cli/cluster_readiness.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "controller/core/health/finding_codes.hpp"
#include "controller/core/parse/cluster_nodes.hpp"
#include "controller/core/parse/info_fields.hpp"
#include "controller/core/planner/heal_plan.hpp"
#include "probes/poll.hpp"

namespace warden::cli {
namespace {

// Why the cluster is not settled enough to move slots: a node not answering, a node not
// knowing every member (a master just added), cluster_state not ok, views that have not
// caught up with a slot's new owner yet.
std::string unsettled(const snapshot& observed, const check_report& report,
                      const std::vector<std::string>& leaving) {
    auto is_leaving = [&](const std::string& id) {
        return std::find(leaving.begin(), leaving.end(), id) != leaving.end();
    };
    std::vector<std::string> leaving_addresses;
    for (const auto& id : leaving) {
        if (const auto* node = report.cluster_topology.find(id)) {
            leaving_addresses.push_back(node->address);
        }
    }
    for (const auto& probe : observed.nodes) {
        if (std::find(leaving_addresses.begin(), leaving_addresses.end(), probe.address) !=
            leaving_addresses.end()) {
            continue;  // a node on its way out (remove-node) may be dead
        }
        if (!probe.reachable) {
            // A dead replica does not stop slot moves; a master that cannot be reached does.
            for (const auto& node : report.cluster_topology.nodes) {
                if (node.address == probe.address && node.role != node_role::replica) {
                    return fmt::format("{} is unreachable: {}", probe.address, probe.error);
                }
            }
            continue;
        }
        for (const auto& line : list_cluster_nodes(probe.cluster_nodes)) {
            if (line.flags.handshake) {
                return fmt::format("{} is still in handshake with a node being added",
                                   probe.address);
            }
        }
        auto fields = parse_info_fields(probe.cluster_info);  // find_field's view points into it
        auto state = find_field(fields, "cluster_state");
        if (state != "ok")
            return fmt::format("{} reports cluster_state:{}", probe.address,
                               state ? std::string(*state) : "unknown");
    }
    for (const auto& disagreement : report.cluster_topology.disagreements) {
        if (!disagreement.node_ids.empty() &&
            std::all_of(disagreement.node_ids.begin(), disagreement.node_ids.end(), is_leaving)) {
            continue;
        }
        if (disagreement.kind == disagreement_kind::membership) {
            return "not every node knows every member yet: " + disagreement.detail;
        }
        // A slot just assigned (a reshard running beside us) reaches replicas by gossip a
        // moment later: wait for it rather than refuse.
        if (disagreement.kind == disagreement_kind::slot_owner) {
            return "views still differ on slot owners (a reshard in progress?): " +
                   disagreement.detail;
        }
    }
    return "";
}

}  // namespace

settled_cluster wait_settled(const cluster_target& target, std::chrono::milliseconds bound,
                             const std::vector<std::string>& leaving) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (true) {
        auto observed = probes::poll_cluster(target.request);
        observed.cluster_name = target.name;
        settled_cluster now{analyze(observed, target.policy), ""};
        now.problem = unsettled(observed, now.report, leaving);
        if (now.problem.empty() || std::chrono::steady_clock::now() >= deadline) return now;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

std::string refusal(const check_report& report) {
    auto blocker = acting_blocker(report.cluster_topology, report.health);
    if (!blocker.empty()) return blocker;
    if (count_findings(report.health, finding_code::slots_uncovered) > 0)
        return "some slots have no master";
    return "";
}

}  // namespace warden::cli
