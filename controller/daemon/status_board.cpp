#include "controller/daemon/status_board.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace warden::daemon {
namespace {

// Poll durations from 1 ms to 10 s: loopback polls land low, timeouts land high.
const std::vector<double> poll_buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                          0.25,  0.5,    1,     2.5,  5,     10};

nlohmann::json coordination_json(const leadership_status& status,
                                 const std::vector<finding>& findings) {
    nlohmann::json out = {{"backend", status.coordinated ? "etcd" : "none"},
                          {"identity", status.identity}};
    if (!status.coordinated) return out;
    out["leader"] = status.may_act;
    out["holder"] = status.holder.empty() ? nlohmann::json(nullptr) : nlohmann::json(status.holder);
    out["available"] = status.available;
    out["problem"] =
        status.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(status.problem);
    out["last_action"] = status.last_action
                             ? nlohmann::json::parse(record_json(*status.last_action))
                             : nlohmann::json(nullptr);
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& item : findings) {
        listed.push_back(
            {{"code", item.code}, {"severity", to_string(item.level)}, {"message", item.message}});
    }
    out["findings"] = std::move(listed);
    return out;
}

}  // namespace

double status_board::unix_seconds(wall_time at) {
    return std::chrono::duration<double>(at.time_since_epoch()).count();
}

void status_board::set_clusters(
    const std::vector<std::pair<std::string, std::chrono::milliseconds>>& clusters) {
    auto lock = lock_to_change();
    std::map<std::string, entry> next;
    for (const auto& [name, interval] : clusters) {
        auto found = clusters_.find(name);
        entry item = found != clusters_.end() ? std::move(found->second) : entry{};
        if (found == clusters_.end()) {
            item.metrics.cluster = name;
            item.metrics.poll_duration = histogram_state::with_bounds(poll_buckets);
            // Every action/outcome series exists from the start, so increase() and alerts see
            // the first action instead of a series appearing out of nothing.
            for (const char* action : {"replicate", "meet", "takeover"}) {
                for (const char* outcome : {"success", "failed", "skipped"}) {
                    item.metrics.actions[{action, outcome}] = 0;
                }
            }
            for (auto type : all_event_types()) item.metrics.events[to_string(type)] = 0;
        }
        item.poll_interval = interval;
        zero_notification_series(item);
        next.emplace(name, std::move(item));
    }
    clusters_ = std::move(next);
}

void status_board::publish(const std::string& cluster, check_report report, double poll_seconds,
                           wall_time finished, heal_plan plan) {
    auto lock = lock_to_change();
    auto found = clusters_.find(cluster);
    if (found == clusters_.end()) return;  // removed by a reload while polling
    auto& item = found->second;
    item.metrics.last_report = std::move(report);
    item.metrics.plan = std::move(plan);
    item.metrics.poll_duration.observe(poll_seconds);
    item.metrics.last_poll_timestamp = unix_seconds(finished);
    item.last_poll = finished;
}

void status_board::publish_audit(const std::string& cluster, audit_report report,
                                 wall_time finished) {
    auto lock = lock_to_change();
    auto found = clusters_.find(cluster);
    if (found == clusters_.end()) return;
    auto& item = found->second;
    item.metrics.audit_findings = report.findings;
    item.metrics.last_audit_timestamp = unix_seconds(finished);
    item.last_audit = std::move(report);
}

void status_board::publish_coordination(const std::string& cluster, leadership_status status,
                                        std::vector<finding> findings) {
    auto lock = lock_to_change();
    auto found = clusters_.find(cluster);
    if (found == clusters_.end()) return;
    auto& item = found->second;
    // With backend none there is no lease to hold: leader stays 0 (DESIGN.md "leader").
    item.metrics.leader = status.coordinated && status.may_act;
    item.metrics.maintenance = status.maintenance.has_value();
    item.metrics.coordination_findings = std::move(findings);
    item.coordination = std::move(status);
}

void status_board::count_action(const std::string& cluster, const std::string& action,
                                const std::string& outcome) {
    auto lock = lock_to_change();
    auto found = clusters_.find(cluster);
    if (found != clusters_.end()) ++found->second.metrics.actions[{action, outcome}];
}

void status_board::count_event(const event& item) {
    auto lock = lock_to_change();
    auto found = clusters_.find(item.cluster);
    if (found == clusters_.end()) return;
    auto& metrics = found->second.metrics;
    ++metrics.events[to_string(item.type)];
    if (item.type != event_type::failover) return;
    ++metrics.failovers;
    metrics.last_failover_timestamp = item.time;
}

void status_board::zero_notification_series(entry& item) const {
    for (const auto& sink : sink_names_) {
        for (const char* outcome : {"sent", "failed", "dropped"}) {
            item.metrics.notifications.try_emplace({sink, outcome}, 0);
        }
    }
}

void status_board::declare_sinks(std::vector<std::string> names) {
    auto lock = lock_to_change();
    sink_names_ = std::move(names);
    for (auto& [name, item] : clusters_) zero_notification_series(item);
}

void status_board::count_notification(const std::string& cluster, const std::string& sink,
                                      const std::string& outcome) {
    auto lock = lock_to_change();
    auto found = clusters_.find(cluster);
    if (found != clusters_.end()) ++found->second.metrics.notifications[{sink, outcome}];
}

std::unique_lock<std::mutex> status_board::lock_to_change() {
    std::unique_lock lock(mutex_);
    rendered_metrics_.reset();
    return lock;
}

std::string status_board::metrics_text() const {
    std::lock_guard lock(mutex_);
    return rendered_metrics();
}

void status_board::render_metrics_ahead() const {
    std::lock_guard lock(mutex_);
    rendered_metrics();
}

const std::string& status_board::rendered_metrics() const {
    if (!rendered_metrics_) {
        cluster_metrics_refs all;
        all.reserve(clusters_.size());
        for (const auto& [name, item] : clusters_) all.emplace_back(item.metrics);
        rendered_metrics_ = render_metrics_refs(all, version_);
    }
    return *rendered_metrics_;
}

std::string status_board::status_json(wall_time now) const {
    return status_document(now).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json status_board::status_document(wall_time now) const {
    std::lock_guard lock(mutex_);
    nlohmann::json clusters = nlohmann::json::array();
    for (const auto& [name, item] : clusters_) {
        nlohmann::json cluster = item.metrics.last_report
                                     ? report_json(*item.metrics.last_report)
                                     : nlohmann::json{{"cluster", name}, {"status", "unknown"}};
        cluster["last_poll_timestamp"] = item.last_poll
                                             ? nlohmann::json(unix_seconds(*item.last_poll))
                                             : nlohmann::json(nullptr);
        cluster["poll_age_seconds"] =
            item.last_poll
                ? nlohmann::json(std::chrono::duration<double>(now - *item.last_poll).count())
                : nlohmann::json(nullptr);
        cluster["poll_interval_seconds"] =
            std::chrono::duration<double>(item.poll_interval).count();
        cluster["leader"] = item.metrics.leader;
        cluster["maintenance"] =
            item.coordination.maintenance
                ? nlohmann::json::parse(marker_json(*item.coordination.maintenance))
                : nlohmann::json(nullptr);
        nlohmann::json planned = nlohmann::json::array();
        nlohmann::json unmet = nlohmann::json::array();
        for (const auto& action : item.metrics.plan.actions)
            planned.push_back(describe_action(action));
        for (const auto& need : item.metrics.plan.unmet) {
            unmet.push_back(
                fmt::format("{} ({}): {}", need.master_address, to_string(need.goal), need.reason));
        }
        cluster["heal"] = {{"planned", std::move(planned)}, {"unmet", std::move(unmet)}};
        cluster["audit"] = item.last_audit ? audit_json(*item.last_audit) : nlohmann::json(nullptr);
        cluster["coordination"] =
            coordination_json(item.coordination, item.metrics.coordination_findings);
        clusters.push_back(std::move(cluster));
    }
    return {{"version", version_}, {"clusters", std::move(clusters)}};
}

health_verdict status_board::health(wall_time now) const {
    std::lock_guard lock(mutex_);
    health_verdict verdict{!clusters_.empty(), {}};
    for (const auto& [name, item] : clusters_) {
        if (!item.last_poll) {
            verdict.fresh = false;
            verdict.detail += fmt::format("{}: no completed poll yet\n", name);
            continue;
        }
        auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - *item.last_poll);
        bool fresh = age <= 3 * item.poll_interval;
        verdict.fresh = verdict.fresh && fresh;
        verdict.detail += fmt::format("{}: last poll {} ms ago ({})\n", name, age.count(),
                                      fresh ? "fresh" : "stale");
    }
    return verdict;
}

bool status_board::all_polled_once() const {
    std::lock_guard lock(mutex_);
    for (const auto& [name, item] : clusters_) {
        if (!item.last_poll) return false;
    }
    return true;
}

std::string status_board::summary_line() const {
    std::lock_guard lock(mutex_);
    std::string line;
    for (const auto& [name, item] : clusters_) {
        if (!line.empty()) line += "; ";
        if (!item.metrics.last_report) {
            line += name + ": waiting for first poll";
            continue;
        }
        const auto& report = *item.metrics.last_report;
        line += fmt::format("{}: {} ({} nodes, {} findings, quorum margin {})", name,
                            to_string(report.health.status), report.cluster_topology.nodes.size(),
                            report.health.findings.size(), report.health.quorum.margin);
    }
    return line;
}

}  // namespace warden::daemon
