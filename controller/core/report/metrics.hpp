// Prometheus text exposition format 0.0.4 for /metrics, rendered from the last completed
// poll of each cluster (a scrape never waits on Redis). Names: DESIGN.md "Metrics".
// https://prometheus.io/docs/instrumenting/exposition_formats/
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/core/planner/heal_plan.hpp"
#include "controller/core/report/report.hpp"

namespace warden {

struct histogram_state {
    std::vector<double> upper_bounds;          // ascending, without +Inf
    std::vector<std::uint64_t> bucket_counts;  // per bucket (not cumulative), size bounds + 1
    double sum = 0;
    std::uint64_t count = 0;

    static histogram_state with_bounds(std::vector<double> bounds);
    void observe(double value);
};

struct cluster_metrics {
    std::string cluster;
    std::optional<check_report> last_report;  // none before the first completed poll
    histogram_state poll_duration;
    std::optional<double> last_poll_timestamp;   // unix seconds
    std::optional<double> last_audit_timestamp;  // unix seconds
    std::vector<finding> audit_findings;         // from the last completed audit
    std::vector<finding> coordination_findings;  // coordination_unavailable, when it is
    bool leader = false;
    bool maintenance = false;  // a maintenance marker is set: warden does not act
    std::map<std::pair<std::string, std::string>, std::uint64_t> actions;  // (action, outcome)
    heal_plan plan;  // from the last completed poll
    // Events (controller/core/events): counted by type as the daemon's journal records them.
    std::map<std::string, std::uint64_t> events;  // type -> count
    std::uint64_t failovers = 0;
    std::optional<double> last_failover_timestamp;  // unix seconds of the last failover event
    // Notification sinks: (sink, outcome) -> count; outcome sent, failed or dropped.
    std::map<std::pair<std::string, std::string>, std::uint64_t> notifications;
};

// Every finding code this build raises (the table in core/health/finding_codes.hpp), with the
// severities it can take, so that findings{code,severity} is exported as 0 when inactive
// (alerts and dashboards see a series).
const std::vector<std::pair<std::string, std::string>>& known_finding_series();

std::string render_metrics(const std::vector<cluster_metrics>& clusters,
                           const std::string& version);
// The same from references: the daemon renders its board's state in place, under its lock,
// rather than copying every cluster's last report (1,000 nodes' worth) on each scrape.
using cluster_metrics_refs = std::vector<std::reference_wrapper<const cluster_metrics>>;
std::string render_metrics_refs(const cluster_metrics_refs& clusters, const std::string& version);

// Label value escaping per the exposition format: backslash, double quote, newline.
std::string escape_label_value(std::string_view value);

}  // namespace warden
