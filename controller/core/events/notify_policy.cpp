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

const char* to_string(delivery_verdict verdict) {
    switch (verdict) {
        case delivery_verdict::sent:
            return "sent";
        case delivery_verdict::retry:
            return "retry";
        case delivery_verdict::failed:
            break;
    }
    return "failed";
}

delivery_verdict judge_exec(int exit_code, bool timed_out, int attempt, int max_attempts) {
    if (!timed_out && exit_code == 0) return delivery_verdict::sent;
    // A shell reports death by signal N as 128 + N: that is Sentinel's "exit 1" case too.
    bool retryable = timed_out || exit_code == 1 || exit_code > 128;
    if (retryable && attempt < max_attempts) return delivery_verdict::retry;
    return delivery_verdict::failed;
}

delivery_verdict judge_http(std::optional<int> status, int attempt, int max_attempts) {
    if (status && *status >= 200 && *status < 300) return delivery_verdict::sent;
    bool retryable = !status || *status >= 500 || *status == 408 || *status == 429;
    if (retryable && attempt < max_attempts) return delivery_verdict::retry;
    return delivery_verdict::failed;
}

}  // namespace warden
