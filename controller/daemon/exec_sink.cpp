#include "controller/daemon/exec_sink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controller/core/events/notify_policy.hpp"
#include "controller/executor/shell_command.hpp"

namespace warden::daemon {

exec_sink::exec_sink(config::notify_sink_settings settings, status_board& board)
    : settings_(std::move(settings)), board_(board) {
    for (std::size_t i = 0; i < max_running; ++i) {
        workers_.emplace_back([this](std::stop_token stop) { work(stop); });
    }
}

exec_sink::~exec_sink() {
    for (auto& worker : workers_) worker.request_stop();
    workers_.clear();  // joins; a running hook is killed by its stop token
}

void exec_sink::submit(const event& item) {
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

void exec_sink::work(std::stop_token stop) {
    while (auto job = next_due(stop)) deliver(std::move(*job), stop);
}

std::optional<exec_sink::delivery> exec_sink::next_due(std::stop_token stop) {
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

void exec_sink::deliver(delivery job, std::stop_token stop) {
    const auto& item = job.item;
    auto arguments = exec_arguments(item);
    std::vector<std::string> argv = {settings_.program, arguments[0], arguments[1]};
    auto json = event_json(item).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto ran = executor::run_program(argv, {{"WARDEN_EVENT", json}}, settings_.timeout, stop);
    if (ran && ran->stopped) return;  // shutting down or reconfigured: not an outcome
    auto verdict = ran ? judge_exec(ran->exit_code, ran->timed_out, job.attempt, max_attempts)
                       : exec_verdict::failed;
    auto what = !ran             ? ran.failure().message
                : ran->timed_out ? fmt::format("killed after {} ms", settings_.timeout.count())
                                 : fmt::format("exit {}", ran->exit_code);
    if (verdict == exec_verdict::sent) {
        board_.count_notification(item.cluster, settings_.name, "sent");
        spdlog::debug("cluster={} notify={} event={} id={} sent", item.cluster, settings_.name,
                      to_string(item.type), item.id);
        return;
    }
    if (verdict == exec_verdict::failed) {
        board_.count_notification(item.cluster, settings_.name, "failed");
        spdlog::warn("cluster={} notify={} event={} id={} failed ({}, run {} of at most {})",
                     item.cluster, settings_.name, to_string(item.type), item.id, what, job.attempt,
                     max_attempts);
        return;
    }
    spdlog::warn("cluster={} notify={} event={} id={} {}: run {} of {}, again in {} ms",
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
