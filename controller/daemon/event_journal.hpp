// The daemon's recent events (GET /events): numbered in the order recorded (ids increase
// for the life of the process), the last `keep` kept in memory, each logged once and
// counted on the status board, then handed to the listener (the notification sinks).
// Thread safe: every cluster's poll loop and action thread records; HTTP reads.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "controller/core/events/event.hpp"
#include "controller/daemon/status_board.hpp"

namespace warden::daemon {

class event_journal {
  public:
    using listener = std::function<void(const event&)>;

    event_journal(status_board& board, std::size_t keep) : board_(board), keep_(keep) {}

    void set_keep(std::size_t keep);  // a reload's events.keep; drops the oldest beyond it
    // Called with each recorded event, outside the journal's lock; must not block.
    void set_listener(listener on_event);
    // `log`: false when the caller has logged the events already, in its own words (the
    // findings' "finding=... appeared" lines).
    void record(std::vector<event> events, bool log = true);
    // Events with an id greater than `id`, oldest first.
    std::vector<event> since(std::uint64_t id) const;

  private:
    status_board& board_;
    mutable std::mutex mutex_;
    std::deque<event> kept_;
    std::size_t keep_;
    std::uint64_t last_id_ = 0;
    listener listener_;
};

// GET /events[?since=ID] -> status and body (400 for a since that is not an id).
struct events_answer {
    int status = 200;
    std::string body;
};
events_answer answer_events(const event_journal& journal, std::string_view query);

}  // namespace warden::daemon
