// Prints /metrics for a recorded scenario so the real consumer, `promtool check metrics`,
// can validate the exposition format (ctest: metrics_promtool).
#include <cstdio>

#include "controller/core/report/metrics.hpp"
#include "fixtures.hpp"

int main() {
    using namespace warden;
    auto observed = testing::load_scenario("redis-7.0/replica-killed");
    testing::make_unreachable(observed, "127.0.0.2:21104", "connection \"refused\"\n");
    cluster_metrics metrics;
    metrics.cluster = "sso-tokens";
    metrics.last_report = analyze(observed, {});
    metrics.poll_duration = histogram_state::with_bounds({0.005, 0.05, 0.5, 5});
    metrics.poll_duration.observe(0.02);
    metrics.last_poll_timestamp = 1764000000.25;
    metrics.last_audit_timestamp = 1764000000.0;
    metrics.actions[{"replica_move", "success"}] = 1;
    metrics.events["failover"] = 1;
    metrics.events["finding_raised"] = 3;
    metrics.failovers = 1;
    metrics.last_failover_timestamp = 1764000000.5;
    metrics.notifications[{"exec:/usr/local/bin/page", "sent"}] = 1;
    cluster_metrics pending;
    pending.cluster = "second";
    pending.poll_duration = histogram_state::with_bounds({0.005, 0.05, 0.5, 5});
    std::fputs(render_metrics({metrics, pending}, "0.1.0").c_str(), stdout);
}
