// The daemon's shared state: the last completed poll of each cluster. Poll loops publish,
// HTTP handlers read; a scrape never waits on Redis, only on this mutex.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/audit/audit.hpp"
#include "controller/core/events/event.hpp"
#include "controller/core/report/metrics.hpp"
#include "controller/daemon/leadership_status.hpp"

namespace warden::daemon {

using wall_time = std::chrono::system_clock::time_point;

struct health_verdict {
    bool fresh = false;
    std::string detail;  // one line per cluster
};

class status_board {
  public:
    explicit status_board(std::string version) : version_(std::move(version)) {}

    // Replaces the set of clusters (config load/reload), keeping state of those that stay.
    void set_clusters(
        const std::vector<std::pair<std::string, std::chrono::milliseconds>>& clusters);
    void publish(const std::string& cluster, check_report report, double poll_seconds,
                 wall_time finished, heal_plan plan = {});
    void publish_audit(const std::string& cluster, audit_report report, wall_time finished);
    // leader{cluster}, the coordination block of /status, coordination findings.
    void publish_coordination(const std::string& cluster, leadership_status status,
                              std::vector<finding> findings);
    // actions_total{action,outcome} += 1
    void count_action(const std::string& cluster, const std::string& action,
                      const std::string& outcome);

    // events_total{type} += 1; a failover also counts in failovers_total and sets
    // last_failover_timestamp_seconds.
    void count_event(const event& item);
    // notifications_total{sink,outcome} exists at 0 for every sink and outcome (config load).
    void declare_sinks(std::vector<std::string> names);
    // notifications_total{sink,outcome} += 1
    void count_notification(const std::string& cluster, const std::string& sink,
                            const std::string& outcome);

    // The text rendered once per change of the board (a poll, a counted event): a scrape
    // copies it. 1,000 nodes' worth takes milliseconds to render, ten scrapes a second
    // would each pay that (and hold the lock while they did).
    std::string metrics_text() const;
    // Renders now what the next scrape will copy: the poll loop calls it after publishing,
    // so no scrape pays for the render.
    void render_metrics_ahead() const;
    std::string status_json(wall_time now) const;  // status_document, serialised
    nlohmann::json status_document(wall_time now) const;
    // Fresh while every cluster's last poll is younger than 3 x its poll interval.
    health_verdict health(wall_time now) const;
    bool all_polled_once() const;
    std::string summary_line() const;  // for systemd STATUS=

  private:
    struct entry {
        cluster_metrics metrics;
        std::chrono::milliseconds poll_interval{1000};
        std::optional<wall_time> last_poll;
        std::optional<audit_report> last_audit;
        leadership_status coordination;
    };
    static double unix_seconds(wall_time at);
    void zero_notification_series(entry& item) const;
    const std::string& rendered_metrics() const;  // under mutex_
    // The lock every change to the board takes: it also drops the rendered /metrics text.
    std::unique_lock<std::mutex> lock_to_change();

    std::string version_;
    mutable std::mutex mutex_;
    std::map<std::string, entry> clusters_;
    std::vector<std::string> sink_names_;
    // Every change to the board resets it; the render fills it again.
    mutable std::optional<std::string> rendered_metrics_;
};

}  // namespace warden::daemon
