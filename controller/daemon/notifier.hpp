// The notification sinks of `notify:` (issue 19): each event the journal records goes to
// every sink whose filter takes it, when this instance may notify for the cluster (with
// coordination: the cluster's leader; a cluster no instance campaigns for, in observe mode,
// is notified by every instance). Sinks never block polling or healing: submit() only
// queues, and each sink delivers on its own threads.
//
// Kinds: exec (below) and webhook (sink_senders.hpp). exec: Sentinel's notification-script
// convention. PROGRAM <event-type> <description>, the
// event as JSON in WARDEN_EVENT; exit 0 sent, exit 1 (or killed: a signal, or the time
// limit) retried every retry_interval up to 10 runs in all, exit >= 2 failed; at most 16
// running at once per sink; a queue of at most 1000 deliveries (retries included), beyond
// which events are dropped. Counted in notifications_total{cluster,sink,outcome}.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "controller/core/events/event.hpp"
#include "controller/daemon/status_board.hpp"

namespace warden::daemon {

class notify_sink;

class notifier {
  public:
    using notify_predicate = std::function<bool(const std::string& cluster)>;

    explicit notifier(status_board& board);
    ~notifier();  // stops every sink: queued deliveries are dropped, running hooks killed
    notifier(const notifier&) = delete;
    notifier& operator=(const notifier&) = delete;

    // The config's sinks (start and reload). Sinks whose settings did not change keep their
    // queues and running hooks; the others are stopped and replaced.
    void configure(const std::vector<config::notify_sink_settings>& sinks,
                   notify_predicate may_notify);
    void submit(const event& item);  // never blocks on a sink
    // At shutdown: stops every sink (running exec hooks killed, a webhook POST ends at its
    // timeout) and says whether all sink threads ended by `deadline`.
    bool stop(std::chrono::steady_clock::time_point deadline);

  private:
    status_board& board_;
    std::mutex mutex_;
    std::vector<std::shared_ptr<notify_sink>> sinks_;
    notify_predicate may_notify_;
};

}  // namespace warden::daemon
