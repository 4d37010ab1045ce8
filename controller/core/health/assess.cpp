#include <algorithm>
#include <cassert>
#include <tuple>

#include "controller/core/health/checks.hpp"
#include "controller/core/health/finding_codes.hpp"

namespace warden {

assessment assess(const topology& cluster, const health_policy& policy) {
    assessment result;
    detail::check_nodes(cluster, result.findings);
    detail::check_replicas(cluster, policy, result.findings);
    result.quorum = detail::check_quorum(cluster, result.findings);
    detail::check_slots(cluster, result.findings);
    detail::check_views(cluster, result.findings);
    detail::check_certificates(cluster, policy, result.findings);
    std::sort(result.findings.begin(), result.findings.end(),
              [](const finding& a, const finding& b) {
                  return std::tie(b.level, a.code, a.nodes, a.message) <
                         std::tie(a.level, b.code, b.nodes, b.message);
              });
    for (const auto& item : result.findings) {
        assert(is_known_finding(item));  // a new code goes into finding_codes.cpp first
        result.status = std::max(result.status, item.level);
    }
    if (cluster.views == 0) result.status = severity::unknown;  // nothing answered
    return result;
}

int count_findings(const assessment& health, std::string_view code) {
    return static_cast<int>(std::count_if(health.findings.begin(), health.findings.end(),
                                          [code](const finding& f) { return f.code == code; }));
}

}  // namespace warden
