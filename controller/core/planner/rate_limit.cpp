#include "controller/core/planner/rate_limit.hpp"

namespace warden {

bool action_rate_limit::allows(time_point now) {
    while (!recent_.empty() && now - recent_.front() >= std::chrono::minutes(1)) {
        recent_.pop_front();
    }
    return static_cast<int>(recent_.size()) < per_minute_;
}

void action_rate_limit::record(time_point now) {
    recent_.push_back(now);
}

}  // namespace warden
