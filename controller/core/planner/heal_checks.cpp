#include "controller/core/planner/heal_checks.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "controller/core/parse/cluster_nodes.hpp"
#include "controller/core/parse/endpoint.hpp"
#include "controller/core/parse/info_fields.hpp"

namespace warden {
namespace {

const node_line* myself(const cluster_view& view) {
    auto found = std::find_if(view.nodes.begin(), view.nodes.end(),
                              [](const node_line& line) { return line.flags.myself; });
    return found == view.nodes.end() ? nullptr : &*found;
}

}  // namespace

spare_node assess_spare(const std::string& address, std::string_view cluster_nodes,
                        std::int64_t keys, const failure_domain_policy& domains) {
    spare_node spare;
    spare.address = address;
    auto parsed_address = parse_endpoint(address);
    spare.failure_domain =
        failure_domain_of(parsed_address ? parsed_address->host : address, domains);
    auto view = parse_cluster_nodes(cluster_nodes);
    auto unfit = [&spare](spare_defect defect, std::string problem) {
        spare.defect = defect;
        spare.problem = std::move(problem);
        return spare;
    };
    if (!view) {
        return unfit(spare_defect::unreadable,
                     "unreadable CLUSTER NODES: " + view.failure().message);
    }
    const auto* self = myself(*view);
    if (self == nullptr)
        return unfit(spare_defect::unreadable, "its CLUSTER NODES has no myself line");
    spare.id = self->id;
    if (view->nodes.size() > 1) {
        unfit(spare_defect::knows_others,
              fmt::format("already knows {} other node(s): not a spare", view->nodes.size() - 1));
    } else if (!self->slots.empty()) {
        unfit(spare_defect::serves_slots, "serves slots");
    } else if (keys > 0) {
        unfit(spare_defect::holds_keys, fmt::format("holds {} key(s)", keys));
    } else if (!self->flags.master) {
        unfit(spare_defect::is_replica, "is a replica");
    } else {
        spare.eligible = true;
    }
    return spare;
}

std::string replication_pending(std::string_view cluster_nodes, std::string_view info,
                                const std::string& master_id) {
    auto view = parse_cluster_nodes(cluster_nodes);
    if (!view) return "unreadable CLUSTER NODES: " + view.failure().message;
    const auto* self = myself(*view);
    if (self == nullptr) return "its CLUSTER NODES has no myself line";
    if (!self->flags.replica || self->master_id != master_id) {
        return fmt::format("its own view does not yet show it a replica of {}", master_id);
    }
    auto fields = parse_info_fields(info);
    auto link = find_field(fields, "master_link_status");
    if (!link) return "INFO replication has no master_link_status yet";
    if (*link != "up") return fmt::format("master_link_status:{}", *link);
    return "";
}

std::string promotion_pending(std::string_view cluster_nodes) {
    auto view = parse_cluster_nodes(cluster_nodes);
    if (!view) return "unreadable CLUSTER NODES: " + view.failure().message;
    const auto* self = myself(*view);
    if (self == nullptr) return "its CLUSTER NODES has no myself line";
    if (!self->flags.master) return "its own view does not yet show it a master";
    if (self->slots.empty()) return "it is a master but serves no slots yet";
    return "";
}

bool view_lists(std::string_view cluster_nodes, const std::string& node_id) {
    auto view = parse_cluster_nodes(cluster_nodes);
    if (!view) return false;
    return std::any_of(view->nodes.begin(), view->nodes.end(),
                       [&](const node_line& line) { return line.id == node_id; });
}

}  // namespace warden
