#include "controller/daemon/event_journal.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace warden::daemon {
namespace {

spdlog::level::level_enum log_level(event_severity level) {
    switch (level) {
        case event_severity::critical:
            return spdlog::level::err;
        case event_severity::warning:
            return spdlog::level::warn;
        case event_severity::info:
            break;
    }
    return spdlog::level::info;
}

}  // namespace

void event_journal::set_keep(std::size_t keep) {
    std::lock_guard lock(mutex_);
    keep_ = std::max<std::size_t>(keep, 1);
    while (kept_.size() > keep_) kept_.pop_front();
}

void event_journal::set_listener(listener on_event) {
    std::lock_guard lock(mutex_);
    listener_ = std::move(on_event);
}

void event_journal::record(std::vector<event> events, bool log) {
    listener notify;
    {
        std::lock_guard lock(mutex_);
        for (auto& item : events) {
            item.id = ++last_id_;
            kept_.push_back(item);
        }
        while (kept_.size() > keep_) kept_.pop_front();
        notify = listener_;
    }
    for (const auto& item : events) {
        if (log) spdlog::log(log_level(item.level), "{}", event_log_line(item));
        board_.count_event(item);
        if (notify) notify(item);
    }
}

std::vector<event> event_journal::since(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    auto first =
        std::upper_bound(kept_.begin(), kept_.end(), id,
                         [](std::uint64_t value, const event& item) { return value < item.id; });
    return {first, kept_.end()};
}

events_answer answer_events(const event_journal& journal, std::string_view query) {
    auto since = events_since(query);
    if (!since) return {400, since.failure().message + "\n"};
    return {200, events_document(journal.since(*since)) + "\n"};
}

}  // namespace warden::daemon
