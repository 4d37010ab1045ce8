// "This work has ended", waitable with a deadline: how the daemon's threads (a cluster's
// poll loop, the coordinator, a reload) tell the thread shutting them down that they are done,
// instead of that thread polling a flag in a sleep loop. Part of the shell's concurrency
// toolkit with parallel.hpp; the pure core gets no threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace warden::probes {

class completion {
  public:
    void mark() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        changed_.notify_all();
    }
    bool done() const {
        std::lock_guard lock(mutex_);
        return done_;
    }
    // True once marked; false if `deadline` came first.
    bool wait_until(std::chrono::steady_clock::time_point deadline) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_until(lock, deadline, [this] { return done_; });
    }

  private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    bool done_ = false;
};

// Marks `target` when it goes out of scope: a thread's body holds one, so every way out of
// the body (return or early exit) counts as finished.
class mark_on_exit {
  public:
    explicit mark_on_exit(completion& target) : target_(target) {}
    ~mark_on_exit() { target_.mark(); }
    mark_on_exit(const mark_on_exit&) = delete;
    mark_on_exit& operator=(const mark_on_exit&) = delete;

  private:
    completion& target_;
};

}  // namespace warden::probes
