// The result of one check, and its three renderings: the JSON contract (DESIGN.md), the
// human table, and the one-line monitoring-plugin status. Pure functions of the report.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "controller/core/health/findings.hpp"
#include "controller/core/snapshot.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {

struct check_report {
    std::string cluster;
    topology cluster_topology;
    assessment health;
};

struct analysis_policy {
    topology_policy topology;
    health_policy health;
};

// The one analysis path shared by check, the daemon and --from-file.
check_report analyze(const snapshot& observed, const analysis_policy& policy);
// The same for views a caller folded one at a time (and dropped): `merger` was made with
// `policy.topology`.
check_report analyze(std::string cluster_name, topology_merger&& merger,
                     const analysis_policy& policy);
// `policy` judging as of the poll that ended at `observed_at` (unix seconds), unless it
// names its own time: what analyze(snapshot) does with the snapshot's observed_at.
analysis_policy as_of_poll(const analysis_policy& policy, std::int64_t observed_at);

nlohmann::json finding_json(const finding& item);  // {code,severity,nodes,message[,remediation]}
nlohmann::json report_json(const check_report& report);  // the object render_json prints
std::string render_json(const check_report& report);     // one object, no trailing newline
std::string render_text(const check_report& report);     // nodes master -> replicas, findings
std::string render_nagios(const check_report& report);   // "REDIS CLUSTER OK - ... | perf"

}  // namespace warden
