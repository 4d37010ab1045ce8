#include "controller/core/report/report.hpp"

namespace warden {

check_report analyze(const snapshot& observed, const analysis_policy& policy) {
    topology_merger merger(policy.topology, observed.offline);
    for (const auto& probe : observed.nodes) (void)merger.add(probe);  // unusable: recorded
    return analyze(observed.cluster_name, std::move(merger),
                   as_of_poll(policy, observed.observed_at));
}

analysis_policy as_of_poll(const analysis_policy& policy, std::int64_t observed_at) {
    auto at_the_poll = policy;
    if (policy.health.now_unix_seconds == 0) at_the_poll.health.now_unix_seconds = observed_at;
    return at_the_poll;
}

check_report analyze(std::string cluster_name, topology_merger&& merger,
                     const analysis_policy& policy) {
    check_report report;
    report.cluster = std::move(cluster_name);
    report.cluster_topology = std::move(merger).finish();
    report.health = assess(report.cluster_topology, policy.health);
    return report;
}

}  // namespace warden
