// Things kept for reuse after their user is done with them (an io_context, a kept HTTP
// connection): a user takes an idle one or makes its own, and gives it back when done.
// Thread safe; at most `max_idle` are kept, the rest are destroyed as they come back.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace warden::probes {

template <typename T>
class idle_pool {
  public:
    explicit idle_pool(std::size_t max_idle) : max_idle_(max_idle) {}

    // An idle one, if any.
    std::optional<T> take() {
        std::lock_guard lock(mutex_);
        if (idle_.empty()) return std::nullopt;
        std::optional<T> item(std::move(idle_.back()));
        idle_.pop_back();
        return item;
    }

    void give_back(T item) {
        std::lock_guard lock(mutex_);
        if (idle_.size() < max_idle_) idle_.push_back(std::move(item));
    }

  private:
    std::size_t max_idle_;
    std::mutex mutex_;
    std::vector<T> idle_;
};

}  // namespace warden::probes
