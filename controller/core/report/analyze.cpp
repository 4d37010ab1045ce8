#include "controller/core/report/report.hpp"

namespace warden {

check_report analyze(const snapshot& observed, const analysis_policy& policy) {
    check_report report;
    report.cluster = observed.cluster_name;
    report.cluster_topology = build_topology(observed, policy.topology);
    report.health = assess(report.cluster_topology, policy.health);
    return report;
}

}  // namespace warden
