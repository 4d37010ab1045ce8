#include <fmt/format.h>

#include <set>

#include "controller/core/health/checks.hpp"
#include "controller/core/health/finding_codes.hpp"

namespace warden::detail {

void check_views(const topology& cluster, findings& out) {
    if (cluster.disagreements.empty()) return;
    constexpr std::size_t shown = 5;
    auto level = severity::warning;
    std::set<std::string> ids;
    std::string details;
    for (std::size_t i = 0; i < cluster.disagreements.size(); ++i) {
        const auto& item = cluster.disagreements[i];
        if (item.kind == disagreement_kind::slot_claimed_twice) level = severity::critical;
        ids.insert(item.node_ids.begin(), item.node_ids.end());
        if (i < shown) details += (i > 0 ? "; " : "") + item.detail;
    }
    if (cluster.disagreements.size() > shown) {
        details += fmt::format("; and {} more", cluster.disagreements.size() - shown);
    }
    auto advice = level == severity::critical
                      ? "split brain: two masters accept writes for the same slots; fence one "
                        "side (CLUSTER FAILOVER/SETSLOT) before data diverges further"
                      : "usually transient during a failover or node join; if it persists, "
                        "look for partitioned or stale nodes (CLUSTER FORGET the dead ones)";
    out.push_back({finding_code::views_disagree,
                   level,
                   {ids.begin(), ids.end()},
                   fmt::format("nodes disagree about the cluster: {}; {}", details, advice)});
}

}  // namespace warden::detail
