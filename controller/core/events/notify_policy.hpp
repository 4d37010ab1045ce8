// What the notification sinks decide without doing I/O: which events a sink takes, what an
// exec hook is called with (Sentinel's notification-script convention), and what its exit
// means. The shell (controller/daemon/notifier) runs the programs and keeps the queues.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/core/events/event.hpp"

namespace warden {

// A sink's `events:` (empty: every type) and `min_severity:`.
struct event_filter {
    std::vector<event_type> types;
    event_severity min_severity = event_severity::info;
    bool accepts(const event& item) const;
    friend bool operator==(const event_filter&, const event_filter&) = default;
};

// argv[1..] of an exec hook: <event-type> <description>, the description being
// "<cluster> <message>" (the event as JSON is in the environment, WARDEN_EVENT).
std::vector<std::string> exec_arguments(const event& item);

// Sentinel's rules for notification-script: exit 0 delivered; exit 1, a signal or the time
// limit (the hook is killed) retried later, up to `max_attempts` runs in all; exit 2 or
// more is not retried.
enum class delivery_verdict { sent, retry, failed };
const char* to_string(delivery_verdict verdict);
delivery_verdict judge_exec(int exit_code, bool timed_out, int attempt, int max_attempts);

// A webhook's answer (none: no answer at all, a connection or timeout failure): 2xx sent;
// no answer, 5xx, 408 and 429 retried like exit 1; any other status failed.
delivery_verdict judge_http(std::optional<int> status, int attempt, int max_attempts);

}  // namespace warden
