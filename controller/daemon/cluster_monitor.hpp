// One cluster's poll loop on its own thread: poll, analyse, publish, log what changed,
// wait for the next interval. Polls never overlap, and a slow cluster delays only itself.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "config/settings.hpp"
#include "controller/core/health/transitions.hpp"
#include "controller/daemon/status_board.hpp"

namespace warden::daemon {

class cluster_monitor {
  public:
    cluster_monitor(config::cluster_settings settings, status_board& board);
    ~cluster_monitor();  // requests stop and joins (bounded by one poll's timeout)
    cluster_monitor(const cluster_monitor&) = delete;
    cluster_monitor& operator=(const cluster_monitor&) = delete;

    void start();
    void request_stop();
    // Steady time of the loop's last sign of life (for the systemd watchdog).
    std::chrono::steady_clock::time_point heartbeat() const;
    std::chrono::milliseconds liveness_budget() const;  // how stale a heartbeat may be
    bool finished() const { return finished_; }         // the loop has returned

  private:
    void run();
    void poll_once();
    void log_events(const std::vector<finding_event>& events);

    config::cluster_settings settings_;
    status_board& board_;
    active_findings active_;
    std::atomic<std::int64_t> heartbeat_ns_{0};
    std::atomic<bool> finished_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace warden::daemon
