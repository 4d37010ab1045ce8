// One notification sink's deliveries: a bounded queue and up to 16 threads, each running one
// attempt at a time through the sink's sender (sink_senders.hpp: an exec hook, a webhook
// POST). Retries wait in the queue, due `retry_interval` later. See notifier.hpp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.hpp"
#include "controller/core/events/event.hpp"
#include "controller/core/events/notify_policy.hpp"
#include "controller/daemon/notify_sink.hpp"
#include "controller/daemon/status_board.hpp"
#include "probes/completion.hpp"

namespace warden::daemon {

// One attempt's verdict, and what happened in words for the log ("exit 1", "HTTP 503").
struct delivery_attempt {
    delivery_verdict verdict = delivery_verdict::failed;
    std::string what;
    bool stopped = false;  // cut short by the stop token: not an outcome
};
// (event, attempt number from 1, stop) -> the attempt. Must return soon after a stop.
using sink_sender =
    std::function<delivery_attempt(const event& item, int attempt, std::stop_token stop)>;

class sink_queue final : public notify_sink {
  public:
    static constexpr std::size_t max_running = 16;
    static constexpr std::size_t queue_limit = 1000;
    static constexpr int max_attempts = 10;

    sink_queue(config::notify_sink_settings settings, sink_sender send, status_board& board);
    ~sink_queue() override;  // stops: running attempts are cut short, queued deliveries dropped
    sink_queue(const sink_queue&) = delete;
    sink_queue& operator=(const sink_queue&) = delete;

    const config::notify_sink_settings& settings() const override { return settings_; }
    // Asks every worker to stop (a running exec hook is killed at once; a webhook POST ends
    // at its timeout); wait_stopped says whether they all have by `deadline`.
    void request_stop() override;
    bool wait_stopped(std::chrono::steady_clock::time_point deadline) const override;
    // Queues the event (or counts it dropped when the queue is full). Never blocks on a send.
    void submit(const event& item) override;

  private:
    struct delivery {
        event item;
        int attempt = 1;
        std::chrono::steady_clock::time_point not_before{};
    };
    void work(std::stop_token stop);
    // The next delivery due, waiting for one; none when stopping.
    std::optional<delivery> next_due(std::stop_token stop);
    void deliver(delivery job, std::stop_token stop);

    config::notify_sink_settings settings_;
    sink_sender send_;
    status_board& board_;
    std::mutex mutex_;
    std::condition_variable_any changed_;
    std::deque<delivery> queue_;
    std::uint64_t version_ = 0;  // bumped on every push: wakes a worker waiting for a due time
    std::vector<std::unique_ptr<probes::completion>> finished_;  // one per worker
    std::vector<std::jthread> workers_;  // declared last: stopped and joined first
};

}  // namespace warden::daemon
