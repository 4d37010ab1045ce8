#include "controller/daemon/sink_queue.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace warden::daemon {

sink_queue::sink_queue(config::notify_sink_settings settings, sink_sender send, status_board& board)
    : settings_(std::move(settings)), send_(std::move(send)), board_(board) {
    for (std::size_t i = 0; i < max_running; ++i) {
        finished_.push_back(std::make_unique<probes::completion>());
        workers_.emplace_back([this, done = finished_.back().get()](std::stop_token stop) {
            probes::mark_on_exit finished(*done);
            work(stop);
        });
    }
}

void sink_queue::request_stop() {
    for (auto& worker : workers_) worker.request_stop();
}

bool sink_queue::wait_stopped(std::chrono::steady_clock::time_point deadline) const {
    return std::all_of(finished_.begin(), finished_.end(),
                       [deadline](const auto& done) { return done->wait_until(deadline); });
}

sink_queue::~sink_queue() {
    for (auto& worker : workers_) worker.request_stop();
    workers_.clear();  // joins; a running attempt ends at its stop token
}

void sink_queue::submit(const event& item) {
    bool queued = false;
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() < queue_limit) {
            queue_.push_back({item, 1, {}});
            ++version_;
            queued = true;
        }
    }
    if (queued) {
        changed_.notify_one();
        return;
    }
    board_.count_notification(item.cluster, settings_.name, "dropped");
    spdlog::warn("cluster={} notify={} event={} id={} dropped: {} deliveries already queued",
                 item.cluster, settings_.name, to_string(item.type), item.id, queue_limit);
}

void sink_queue::work(std::stop_token stop) {
    while (auto job = next_due(stop)) deliver(std::move(*job), stop);
}

std::optional<sink_queue::delivery> sink_queue::next_due(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        auto now = std::chrono::steady_clock::now();
        auto due = std::find_if(queue_.begin(), queue_.end(),
                                [now](const delivery& job) { return job.not_before <= now; });
        if (due != queue_.end()) {
            auto job = std::move(*due);
            queue_.erase(due);
            return job;
        }
        auto wake = now + std::chrono::hours(1);
        for (const auto& job : queue_) wake = std::min(wake, job.not_before);
        auto seen = version_;
        changed_.wait_until(lock, stop, wake, [&] { return version_ != seen; });
    }
    return std::nullopt;
}

void sink_queue::deliver(delivery job, std::stop_token stop) {
    const auto& item = job.item;
    auto attempt = send_(item, job.attempt, stop);
    if (attempt.stopped) return;  // shutting down or reconfigured: not an outcome
    auto verdict = attempt.verdict;
    const auto& what = attempt.what;
    if (verdict == delivery_verdict::sent) {
        board_.count_notification(item.cluster, settings_.name, "sent");
        spdlog::debug("cluster={} notify={} event={} id={} sent", item.cluster, settings_.name,
                      to_string(item.type), item.id);
        return;
    }
    if (verdict == delivery_verdict::failed) {
        board_.count_notification(item.cluster, settings_.name, "failed");
        spdlog::warn("cluster={} notify={} event={} id={} failed ({}, attempt {} of at most {})",
                     item.cluster, settings_.name, to_string(item.type), item.id, what, job.attempt,
                     max_attempts);
        return;
    }
    spdlog::warn("cluster={} notify={} event={} id={} {}: attempt {} of {}, again in {} ms",
                 item.cluster, settings_.name, to_string(item.type), item.id, what, job.attempt,
                 max_attempts, settings_.retry_interval.count());
    ++job.attempt;
    job.not_before = std::chrono::steady_clock::now() + settings_.retry_interval;
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(job));  // a retry may exceed the limit by the running few
        ++version_;
    }
    changed_.notify_one();
}

}  // namespace warden::daemon
