// One cluster's poll loop on its own thread: poll, analyse, publish, log what changed,
// wait for the next interval. Polls never overlap, and a slow cluster delays only itself.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "config/settings.hpp"
#include "controller/core/events/topology_diff.hpp"
#include "controller/core/health/transitions.hpp"
#include "controller/core/planner/rate_limit.hpp"
#include "controller/daemon/coordinator.hpp"
#include "controller/daemon/event_journal.hpp"
#include "controller/daemon/status_board.hpp"
#include "controller/executor/heal_executor.hpp"
#include "probes/completion.hpp"
#include "probes/poll.hpp"
#include "probes/security_poll.hpp"

namespace warden::daemon {

class cluster_monitor {
  public:
    // `coordination` decides whether this instance may act on the cluster; it must outlive
    // the monitor.
    // `request`: the cluster's, as executor::poll_request_of built it (TLS profile loaded).
    // `journal` receives the cluster's events; it must outlive the monitor.
    cluster_monitor(config::cluster_settings settings, probes::poll_request request,
                    status_board& board, coordinator& coordination, event_journal& journal);
    // Requests stop and joins: at once for the poll loop (a poll in flight is cancelled), but
    // an action in flight ends its current step first (bounded by the acting timeout).
    ~cluster_monitor();
    cluster_monitor(const cluster_monitor&) = delete;
    cluster_monitor& operator=(const cluster_monitor&) = delete;

    void start();
    // Ends the poll loop soon (a poll in flight is cancelled) and asks an action in flight to
    // stop before its next step. Thread safe.
    void request_stop();
    // Steady time of the loop's last sign of life (for the systemd watchdog).
    std::chrono::steady_clock::time_point heartbeat() const;
    std::chrono::milliseconds liveness_budget() const;  // how stale a heartbeat may be
    // The poll loop has returned and no action is in flight, or `deadline` came first.
    bool wait_finished(std::chrono::steady_clock::time_point deadline) const;

  private:
    void run();
    void poll_once();
    // One poll of `request`'s seeds (and every node their views name), each view folded as
    // it arrives; `views` counts the usable ones.
    topology_merger fold_poll(const probes::poll_request& request, int& views);
    // The nodes the last poll with a view knew, but for the configured seeds: asked when no
    // configured seed answers, as a cluster client falls back on the nodes it discovered.
    std::vector<std::string> known_addresses() const;
    void log_events(const std::vector<finding_event>& events);
    // Events from this poll's topology against the last answered one (none on the first
    // poll); failovers above the announced epoch are announced and the epoch persisted.
    void record_topology_events(const topology& current);
    void remember_announced(std::uint64_t epoch);
    // Replicas our takeovers started on, until a failover event names them.
    std::vector<std::string> takeovers();
    void forget_takeover(const std::string& node_id);
    // heal.mode: observe logs the plan when it changes; heal runs its first action on the
    // actor thread once grace and the rate limit allow, one action at a time.
    // Every security_interval: the audit's security poll of every node the last poll knew.
    bool audit_due() const;
    void audit(const topology& cluster);
    // Leadership as the coordinator sees it now: published, and coordination_unavailable
    // tracked like any finding (one log line when it appears and when it clears).
    leadership_status follow_coordination();
    bool leadership_gained() const;  // the lease was won since the last poll
    void consider_healing(const heal_plan& plan, const leadership_status& lead);
    void put_back_sync_delays();
    void report_plan_change(const heal_plan& plan, const leadership_status& lead);
    void skip(const heal_action& action, const std::string& reason);
    void act(heal_action action);

    config::cluster_settings settings_;
    status_board& board_;
    coordinator& coordination_;
    event_journal& journal_;
    std::optional<topology> previous_;  // the last poll that had at least one view
    bool seeds_down_logged_ = false;    // "no configured seed answered", once per episode
    std::uint64_t announced_epoch_ = 0;
    std::mutex takeovers_mutex_;
    std::vector<std::string> takeovers_;
    active_findings coordination_active_;
    std::string maintenance_text_;     // the marker as last logged; empty: none
    std::string maintenance_problem_;  // why the marker file could not be read, as logged
    active_findings active_;
    std::atomic<std::int64_t> heartbeat_ns_{0};
    probes::completion loop_finished_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::stop_source stopping_;                  // cancels a poll in flight
    std::atomic<bool> led_at_last_poll_{false};  // written by the poll, read between polls
    std::thread thread_;

    executor::heal_target heal_target_;
    probes::cluster_poller poller_;          // one connection per node, kept across polls
    probes::security_links security_links_;  // the audit's, kept across audits
    action_rate_limit rate_limit_;
    std::string last_plan_text_;
    active_findings audit_active_;
    std::optional<std::chrono::steady_clock::time_point> last_audit_;
    std::string last_skip_;
    std::set<std::string> unknown_logged_;    // flags/fields of a newer server, logged once
    std::set<std::string> sync_kept_logged_;  // fast-sync restores still failing, logged once
    std::atomic<bool> acting_{false};
    mutable std::mutex actor_mutex_;  // guards actor_ and acting_'s changes
    mutable std::condition_variable actor_idle_;
    // Declared last: destroyed (stop requested, joined) before what the action uses.
    std::jthread actor_;
};

}  // namespace warden::daemon
