// One `notify: - exec: PROGRAM` sink: a bounded queue of deliveries and up to 16 threads
// running the hook (controller/executor/shell_command's run_program). See notifier.hpp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "config/settings.hpp"
#include "controller/core/events/event.hpp"
#include "controller/daemon/status_board.hpp"

namespace warden::daemon {

class exec_sink {
  public:
    static constexpr std::size_t max_running = 16;
    static constexpr std::size_t queue_limit = 1000;
    static constexpr int max_attempts = 10;

    exec_sink(config::notify_sink_settings settings, status_board& board);
    ~exec_sink();  // stops: running hooks are killed, queued deliveries dropped (uncounted)
    exec_sink(const exec_sink&) = delete;
    exec_sink& operator=(const exec_sink&) = delete;

    const config::notify_sink_settings& settings() const { return settings_; }
    // Queues the event (or counts it dropped when the queue is full). Never blocks on a hook.
    void submit(const event& item);

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
    status_board& board_;
    std::mutex mutex_;
    std::condition_variable_any changed_;
    std::deque<delivery> queue_;
    std::uint64_t version_ = 0;  // bumped on every push: wakes a worker waiting for a due time
    std::vector<std::jthread> workers_;  // declared last: stopped and joined first
};

}  // namespace warden::daemon
