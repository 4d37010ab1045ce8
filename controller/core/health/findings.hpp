// Health of a merged topology: findings with stable codes (DESIGN.md) and the quorum.
#pragma once

#include <string>
#include <vector>

#include "controller/core/topology/topology.hpp"

namespace warden {

// Ordered so that the worst of several is the maximum; values are check's exit codes.
enum class severity { ok = 0, warning = 1, critical = 2, unknown = 3 };
const char* to_string(severity level);
// The same in capitals, as reports print a status or a finding's level: "CRITICAL".
const char* severity_word(severity level);

struct finding {
    std::string code;  // stable, never renamed: see DESIGN.md
    severity level = severity::warning;
    std::vector<std::string> nodes;  // node ids (address when warden knows no id)
    std::string message;             // what is wrong and what to do
    std::string remediation;         // audit: the exact change to make ("" when in message)
    friend bool operator==(const finding&, const finding&) = default;
};

// Only masters serving slots vote in failover elections.
struct quorum_state {
    int voting_masters = 0;
    int healthy_voting_masters = 0;
    int needed = 0;  // voting / 2 + 1
    int margin = 0;  // healthy - needed
    friend bool operator==(const quorum_state&, const quorum_state&) = default;
};

struct health_policy {
    int min_replicas_per_master = 1;
    // TLS certificates are judged at the time of the poll (the caller's clock, Unix
    // seconds); 0 judges none (saved files carry no certificates anyway).
    long long now_unix_seconds = 0;
    int certificate_warning_days = 30;  // tls_certificate_expiring warning under this
    int certificate_critical_days = 7;  // critical under this, or expired
};

struct assessment {
    severity status = severity::ok;
    quorum_state quorum;
    std::vector<finding> findings;  // worst first, then by code and nodes
    friend bool operator==(const assessment&, const assessment&) = default;
};

assessment assess(const topology& cluster, const health_policy& policy);

int count_findings(const assessment& health, std::string_view code);

// Node states the findings and the reports share, so both tell the same story.
bool flagged_failing(const cluster_node& node);  // cluster says fail, or fail? by most views
bool is_reachable(const cluster_node& node, const topology& cluster);  // as reported
bool is_down(const cluster_node& node, const topology& cluster);
int healthy_replica_count(const cluster_node& master, const topology& cluster);

}  // namespace warden
