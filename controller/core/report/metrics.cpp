#include "controller/core/report/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "controller/core/health/finding_codes.hpp"

namespace warden {
namespace {

// fmt renders doubles independently of the C locale; Prometheus wants +Inf/-Inf/NaN.
std::string number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
}

class exposition {
  public:
    void family(const char* name, const char* type, const char* help) {
        text_ += fmt::format("# HELP redis_warden_{} {}\n# TYPE redis_warden_{} {}\n", name, help,
                             name, type);
    }
    void sample(std::string_view name,
                const std::vector<std::pair<std::string, std::string>>& labels, double value) {
        text_ += fmt::format("redis_warden_{}{{", name);
        for (std::size_t i = 0; i < labels.size(); ++i) {
            text_ += fmt::format("{}{}=\"{}\"", i > 0 ? "," : "", labels[i].first,
                                 escape_label_value(labels[i].second));
        }
        text_ += fmt::format("}} {}\n", number(value));
    }
    std::string take() { return std::move(text_); }

  private:
    std::string text_;
};

using labels = std::vector<std::pair<std::string, std::string>>;

int uncovered_slots(const topology& cluster) {
    int uncovered = 0;
    for (auto owner : cluster.slot_owner) {
        if (owner < 0 || cluster.nodes[owner].views_fail > 0) ++uncovered;
    }
    return cluster.views == 0 ? 0 : uncovered;
}

int open_slots(const topology& cluster) {
    std::vector<int> slots;
    for (const auto& open : cluster.open_slots) slots.push_back(open.slot);
    std::sort(slots.begin(), slots.end());
    return static_cast<int>(std::unique(slots.begin(), slots.end()) - slots.begin());
}

using gauge_value = double (*)(const check_report&);

struct cluster_gauge {
    const char* name;
    const char* help;
    gauge_value value;
};

const std::vector<cluster_gauge>& cluster_gauges() {
    static const std::vector<cluster_gauge> gauges = {
        {"cluster_ok", "1 when the last check found nothing warning or worse",
         [](const check_report& r) { return r.health.status == severity::ok ? 1.0 : 0.0; }},
        {"status", "worst finding severity: 0 ok, 1 warning, 2 critical, 3 unknown",
         [](const check_report& r) { return static_cast<double>(r.health.status); }},
        {"orphaned_masters", "masters serving slots with no healthy replica",
         [](const check_report& r) {
             return double(count_findings(r.health, finding_code::orphaned_master));
         }},
        {"voting_masters", "masters serving at least one slot",
         [](const check_report& r) { return double(r.health.quorum.voting_masters); }},
        {"healthy_voting_masters", "voting masters that are up",
         [](const check_report& r) { return double(r.health.quorum.healthy_voting_masters); }},
        {"quorum_margin", "healthy voting masters minus the majority needed for failover",
         [](const check_report& r) { return double(r.health.quorum.margin); }},
        {"slots_uncovered", "slots with no serving master",
         [](const check_report& r) { return double(uncovered_slots(r.cluster_topology)); }},
        {"slots_open", "slots stuck migrating or importing",
         [](const check_report& r) { return double(open_slots(r.cluster_topology)); }},
    };
    return gauges;
}

void render_gauges(exposition& out, const cluster_metrics_refs& clusters) {
    for (const auto& gauge : cluster_gauges()) {
        out.family(gauge.name, "gauge", gauge.help);
        for (const cluster_metrics& cluster : clusters) {
            if (cluster.last_report) {
                out.sample(gauge.name, {{"cluster", cluster.cluster}},
                           gauge.value(*cluster.last_report));
            }
        }
    }
}

void render_nodes(exposition& out, const cluster_metrics_refs& clusters) {
    out.family("node_up", "gauge",
               "1 when warden reads the node and the cluster does not flag it failing");
    for (const cluster_metrics& cluster : clusters) {
        if (!cluster.last_report) continue;
        const auto& topo = cluster.last_report->cluster_topology;
        for (const auto& node : topo.nodes) {
            out.sample("node_up",
                       {{"cluster", cluster.cluster},
                        {"node_id", node.id},
                        {"address", node.address},
                        {"role", to_string(node.role)}},
                       is_down(node, topo) ? 0 : 1);
        }
    }
    out.family("tls_certificate_expiry_timestamp_seconds", "gauge",
               "not-after of the TLS certificate each node presented to warden (Unix seconds)");
    for (const cluster_metrics& cluster : clusters) {
        if (!cluster.last_report) continue;
        for (const auto& node : cluster.last_report->cluster_topology.nodes) {
            if (!node.certificate) continue;
            out.sample(
                "tls_certificate_expiry_timestamp_seconds",
                {{"cluster", cluster.cluster}, {"node_id", node.id}, {"address", node.address}},
                static_cast<double>(node.certificate->not_after));
        }
    }
    out.family("node_replicas", "gauge", "healthy replicas of each master");
    for (const cluster_metrics& cluster : clusters) {
        if (!cluster.last_report) continue;
        const auto& topo = cluster.last_report->cluster_topology;
        for (const auto& node : topo.nodes) {
            if (node.role != node_role::master) continue;
            out.sample(
                "node_replicas",
                {{"cluster", cluster.cluster}, {"node_id", node.id}, {"address", node.address}},
                healthy_replica_count(node, topo));
        }
    }
}

void render_findings(exposition& out, const cluster_metrics_refs& clusters) {
    out.family("findings", "gauge", "active findings by code and severity");
    for (const cluster_metrics& cluster : clusters) {
        if (!cluster.last_report) continue;
        std::map<std::pair<std::string, std::string>, int> counts;
        for (const auto& series : known_finding_series()) counts[series] = 0;
        for (const auto& item : cluster.last_report->health.findings) {
            ++counts[{item.code, to_string(item.level)}];
        }
        for (const auto& item : cluster.audit_findings)
            ++counts[{item.code, to_string(item.level)}];
        for (const auto& item : cluster.coordination_findings)
            ++counts[{item.code, to_string(item.level)}];
        for (const auto& [key, count] : counts) {
            out.sample(
                "findings",
                {{"cluster", cluster.cluster}, {"code", key.first}, {"severity", key.second}},
                count);
        }
    }
}

void render_histogram(exposition& out, const cluster_metrics_refs& clusters) {
    out.family("poll_duration_seconds", "histogram", "wall time of one poll of every node");
    for (const cluster_metrics& cluster : clusters) {
        const auto& h = cluster.poll_duration;
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= h.upper_bounds.size() && i < h.bucket_counts.size(); ++i) {
            cumulative += h.bucket_counts[i];
            auto le = i < h.upper_bounds.size() ? number(h.upper_bounds[i]) : std::string("+Inf");
            out.sample("poll_duration_seconds_bucket", {{"cluster", cluster.cluster}, {"le", le}},
                       double(cumulative));
        }
        out.sample("poll_duration_seconds_sum", {{"cluster", cluster.cluster}}, h.sum);
        out.sample("poll_duration_seconds_count", {{"cluster", cluster.cluster}}, double(h.count));
    }
}

void render_runtime(exposition& out, const cluster_metrics_refs& clusters) {
    out.family("last_poll_timestamp_seconds", "gauge", "unix time of the last completed poll");
    for (const cluster_metrics& cluster : clusters) {
        if (cluster.last_poll_timestamp) {
            out.sample("last_poll_timestamp_seconds", {{"cluster", cluster.cluster}},
                       *cluster.last_poll_timestamp);
        }
    }
    out.family("last_audit_timestamp_seconds", "gauge", "unix time of the last completed audit");
    for (const cluster_metrics& cluster : clusters) {
        if (cluster.last_audit_timestamp) {
            out.sample("last_audit_timestamp_seconds", {{"cluster", cluster.cluster}},
                       *cluster.last_audit_timestamp);
        }
    }
    out.family("leader", "gauge", "1 when this instance holds the action lease for the cluster");
    for (const cluster_metrics& cluster : clusters) {
        out.sample("leader", {{"cluster", cluster.cluster}}, cluster.leader ? 1 : 0);
    }
    out.family("maintenance", "gauge",
               "1 while a maintenance marker is set for the cluster (a planned operation or "
               "`redis-warden maintenance on`): warden polls and exports but does not act");
    for (const cluster_metrics& cluster : clusters) {
        out.sample("maintenance", {{"cluster", cluster.cluster}}, cluster.maintenance ? 1 : 0);
    }
    out.family("planned_actions", "gauge",
               "heal actions the last poll's plan holds (acted on in heal mode, reported in "
               "observe mode)");
    for (const cluster_metrics& cluster : clusters) {
        out.sample("planned_actions", {{"cluster", cluster.cluster}},
                   double(cluster.plan.actions.size()));
    }
    out.family("actions_total", "counter", "actions by outcome (success, failed, skipped)");
    for (const cluster_metrics& cluster : clusters) {
        for (const auto& [key, count] : cluster.actions) {
            out.sample(
                "actions_total",
                {{"cluster", cluster.cluster}, {"action", key.first}, {"outcome", key.second}},
                double(count));
        }
    }
}

void render_events(exposition& out, const cluster_metrics_refs& clusters) {
    out.family("events_total", "counter", "events recorded by type (GET /events)");
    for (const cluster_metrics& cluster : clusters) {
        for (const auto& [type, count] : cluster.events) {
            out.sample("events_total", {{"cluster", cluster.cluster}, {"type", type}},
                       double(count));
        }
    }
    out.family("failovers_total", "counter",
               "failovers seen: slots taken over by a replica of their master");
    for (const cluster_metrics& cluster : clusters) {
        out.sample("failovers_total", {{"cluster", cluster.cluster}}, double(cluster.failovers));
    }
    out.family("last_failover_timestamp_seconds", "gauge",
               "unix time of the last failover this process saw");
    for (const cluster_metrics& cluster : clusters) {
        if (cluster.last_failover_timestamp) {
            out.sample("last_failover_timestamp_seconds", {{"cluster", cluster.cluster}},
                       *cluster.last_failover_timestamp);
        }
    }
    out.family("notifications_total", "counter",
               "event notifications by sink and outcome (sent, failed, dropped)");
    for (const cluster_metrics& cluster : clusters) {
        for (const auto& [key, count] : cluster.notifications) {
            out.sample("notifications_total",
                       {{"cluster", cluster.cluster}, {"sink", key.first}, {"outcome", key.second}},
                       double(count));
        }
    }
}

}  // namespace

histogram_state histogram_state::with_bounds(std::vector<double> bounds) {
    histogram_state h;
    h.upper_bounds = std::move(bounds);
    h.bucket_counts.assign(h.upper_bounds.size() + 1, 0);
    return h;
}

void histogram_state::observe(double value) {
    auto bucket =
        std::lower_bound(upper_bounds.begin(), upper_bounds.end(), value) - upper_bounds.begin();
    if (bucket_counts.size() != upper_bounds.size() + 1)
        bucket_counts.assign(upper_bounds.size() + 1, 0);
    ++bucket_counts[static_cast<std::size_t>(bucket)];
    sum += value;
    ++count;
}

// From the finding code table, so a new code gets its zero series without a second list.
const std::vector<std::pair<std::string, std::string>>& known_finding_series() {
    static const auto series = [] {
        std::vector<std::pair<std::string, std::string>> pairs;
        for (const auto& entry : finding_codes()) {
            for (auto level : {severity::warning, severity::critical, severity::unknown}) {
                if (entry.severities.contains(level))
                    pairs.emplace_back(std::string(entry.code), to_string(level));
            }
        }
        return pairs;
    }();
    return series;
}

std::string escape_label_value(std::string_view value) {
    std::string escaped;
    for (char c : value) {
        if (c == '\\')
            escaped += "\\\\";
        else if (c == '"')
            escaped += "\\\"";
        else if (c == '\n')
            escaped += "\\n";
        else
            escaped += c;
    }
    return escaped;
}

std::string render_metrics(const std::vector<cluster_metrics>& clusters,
                           const std::string& version) {
    return render_metrics_refs(cluster_metrics_refs(clusters.begin(), clusters.end()), version);
}

std::string render_metrics_refs(const cluster_metrics_refs& clusters, const std::string& version) {
    exposition out;
    out.family("build_info", "gauge", "always 1; the version label says which build runs");
    out.sample("build_info", {{"version", version}}, 1);
    render_gauges(out, clusters);
    render_nodes(out, clusters);
    render_findings(out, clusters);
    render_histogram(out, clusters);
    render_runtime(out, clusters);
    render_events(out, clusters);
    return out.take();
}

}  // namespace warden
