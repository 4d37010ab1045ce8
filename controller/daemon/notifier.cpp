#include "controller/daemon/notifier.hpp"

#include <algorithm>

#include "controller/daemon/alert_push_sink.hpp"
#include "controller/daemon/sink_queue.hpp"
#include "controller/daemon/sink_senders.hpp"

namespace warden::daemon {
namespace {

std::shared_ptr<notify_sink> make_sink(const config::notify_sink_settings& settings,
                                       status_board& board) {
    if (settings.kind == config::sink_kind::alertmanager) {
        return std::make_shared<alert_push_sink>(settings, board);
    }
    return std::make_shared<sink_queue>(settings, make_sender(settings), board);
}

}  // namespace

notifier::notifier(status_board& board) : board_(board) {}

notifier::~notifier() = default;

void notifier::configure(const std::vector<config::notify_sink_settings>& sinks,
                         notify_predicate may_notify) {
    std::vector<std::shared_ptr<notify_sink>> next;
    std::vector<std::string> names;
    std::vector<std::shared_ptr<notify_sink>> old;
    {
        std::lock_guard lock(mutex_);
        for (const auto& wanted : sinks) {
            auto kept = std::find_if(sinks_.begin(), sinks_.end(),
                                     [&](const auto& sink) { return sink->settings() == wanted; });
            next.push_back(kept != sinks_.end() ? *kept : make_sink(wanted, board_));
            names.push_back(wanted.name);
        }
        old = std::exchange(sinks_, std::move(next));
        may_notify_ = std::move(may_notify);
    }
    board_.declare_sinks(names);
    old.clear();  // sinks no longer configured stop here, outside the lock
}

bool notifier::stop(std::chrono::steady_clock::time_point deadline) {
    std::vector<std::shared_ptr<notify_sink>> sinks;
    {
        std::lock_guard lock(mutex_);
        sinks = sinks_;
    }
    for (const auto& sink : sinks) sink->request_stop();
    return std::all_of(sinks.begin(), sinks.end(),
                       [deadline](const auto& sink) { return sink->wait_stopped(deadline); });
}

void notifier::submit(const event& item) {
    std::vector<std::shared_ptr<notify_sink>> sinks;
    notify_predicate may_notify;
    {
        std::lock_guard lock(mutex_);
        if (sinks_.empty()) return;
        sinks = sinks_;
        may_notify = may_notify_;
    }
    if (may_notify && !may_notify(item.cluster)) return;
    for (const auto& sink : sinks) {
        if (sink->settings().filter.accepts(item)) sink->submit(item);
    }
}

}  // namespace warden::daemon
