// A value or a human-readable diagnostic. Expected failures (unreachable node, malformed
// reply, bad input) travel as values; exceptions are reserved for process edges.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace warden {

struct error {
    std::string message;
    friend bool operator==(const error&, const error&) = default;
};

template <typename T>
class result {
  public:
    result(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
    result(error failure) : state_(std::move(failure)) {}  // NOLINT: implicit by design

    bool has_value() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return has_value(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const error& failure() const { return std::get<error>(state_); }

  private:
    std::variant<T, error> state_;
};

}  // namespace warden
