#include "controller/daemon/cluster_monitor.hpp"

#include <spdlog/spdlog.h>

#include "probes/poll.hpp"

namespace warden::daemon {
namespace {

analysis_policy policy_of(const config::cluster_settings& settings) {
    analysis_policy policy;
    policy.topology.domains = settings.failure_domains;
    policy.health.min_replicas_per_master = settings.heal.min_replicas_per_master;
    return policy;
}

std::string nodes_list(const finding& item) {
    std::string text;
    for (const auto& node : item.nodes) text += (text.empty() ? "" : ",") + node;
    return text;
}

}  // namespace

cluster_monitor::cluster_monitor(config::cluster_settings settings, status_board& board)
    : settings_(std::move(settings)), board_(board) {
    heartbeat_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
}

cluster_monitor::~cluster_monitor() {
    request_stop();
    if (thread_.joinable()) thread_.join();
}

void cluster_monitor::start() {
    thread_ = std::thread([this] { run(); });
}

void cluster_monitor::request_stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
}

std::chrono::steady_clock::time_point cluster_monitor::heartbeat() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(heartbeat_ns_.load()));
}

std::chrono::milliseconds cluster_monitor::liveness_budget() const {
    // A poll may take a discovery chain of timeouts; allow generously before declaring a hang.
    return settings_.poll_interval + 4 * settings_.timeout + std::chrono::seconds(5);
}

void cluster_monitor::run() {
    struct mark_finished {
        std::atomic<bool>& flag;
        ~mark_finished() { flag = true; }
    } finished_on_exit{finished_};
    while (true) {
        auto started = std::chrono::steady_clock::now();
        poll_once();
        std::unique_lock lock(mutex_);
        auto next = started + settings_.poll_interval;
        while (!stop_ && std::chrono::steady_clock::now() < next) {
            heartbeat_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
            wake_.wait_until(
                lock, std::min(next, std::chrono::steady_clock::now() + std::chrono::seconds(1)));
        }
        if (stop_) return;
    }
}

void cluster_monitor::poll_once() {
    probes::poll_request request;
    request.cluster_name = settings_.name;
    request.seeds = settings_.seeds;
    request.auth = {settings_.auth.username, settings_.auth.password};
    request.timeout = settings_.timeout;
    auto started = std::chrono::steady_clock::now();
    auto observed = probes::poll_cluster(request);
    observed.cluster_name = settings_.name;
    auto report = analyze(observed, policy_of(settings_));
    auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto now = std::chrono::system_clock::now();
    log_events(track_findings(active_, report.health.findings, now));
    board_.publish(settings_.name, std::move(report), seconds, now);
    heartbeat_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
}

void cluster_monitor::log_events(const std::vector<finding_event>& events) {
    for (const auto& event : events) {
        const auto& item = event.subject;
        switch (event.what) {
            case finding_event::kind::appeared:
                spdlog::log(
                    item.level == severity::critical ? spdlog::level::err : spdlog::level::warn,
                    "cluster={} finding={} severity={} nodes={} appeared: {}", settings_.name,
                    item.code, to_string(item.level), nodes_list(item), item.message);
                break;
            case finding_event::kind::changed_severity:
                spdlog::warn("cluster={} finding={} severity={} nodes={} changed severity: {}",
                             settings_.name, item.code, to_string(item.level), nodes_list(item),
                             item.message);
                break;
            case finding_event::kind::cleared:
                spdlog::info("cluster={} finding={} nodes={} cleared after {:.1f} s",
                             settings_.name, item.code, nodes_list(item),
                             static_cast<double>(event.lasted.count()) / 1000.0);
                break;
        }
    }
}

}  // namespace warden::daemon
