#include "controller/core/events/notify_policy.hpp"

#include <algorithm>

namespace warden {

bool event_filter::accepts(const event& item) const {
    if (item.level < min_severity) return false;
    return types.empty() || std::find(types.begin(), types.end(), item.type) != types.end();
}

std::vector<std::string> exec_arguments(const event& item) {
    return {to_string(item.type), item.cluster + " " + item.message};
}

const char* to_string(exec_verdict verdict) {
    switch (verdict) {
        case exec_verdict::sent:
            return "sent";
        case exec_verdict::retry:
            return "retry";
        case exec_verdict::failed:
            break;
    }
    return "failed";
}

exec_verdict judge_exec(int exit_code, bool timed_out, int attempt, int max_attempts) {
    if (!timed_out && exit_code == 0) return exec_verdict::sent;
    // A shell reports death by signal N as 128 + N: that is Sentinel's "exit 1" case too.
    bool retryable = timed_out || exit_code == 1 || exit_code > 128;
    if (retryable && attempt < max_attempts) return exec_verdict::retry;
    return exec_verdict::failed;
}

}  // namespace warden
