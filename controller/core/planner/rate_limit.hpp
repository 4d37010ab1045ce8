// heal.max_actions_per_minute: a sliding one-minute window of action attempts. Pure: the
// caller passes the (steady) time, so tests need no clock.
#pragma once

#include <chrono>
#include <deque>

namespace warden {

class action_rate_limit {
  public:
    using time_point = std::chrono::steady_clock::time_point;

    explicit action_rate_limit(int per_minute) : per_minute_(per_minute) {}

    bool allows(time_point now);  // forgets attempts older than a minute
    void record(time_point now);
    int recent() const { return static_cast<int>(recent_.size()); }
    int per_minute() const { return per_minute_; }

  private:
    int per_minute_;
    std::deque<time_point> recent_;
};

}  // namespace warden
