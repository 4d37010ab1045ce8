// A value or a human-readable diagnostic. Expected failures (unreachable node, malformed
// reply, bad input) travel as values; exceptions are reserved for process edges.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace warden {

// What kind of trouble an error is, so callers decide by kind, never by searching the
// message (which is for people). Exit codes come from kinds (controller/cli/command_exit).
enum class error_kind {
    unspecified,  // a diagnostic without a class (most of the pure core's rejections)
    usage,        // bad arguments or configuration: the user must change the request
    refused,      // could not reach the node: unknown host, connection refused or reset
    timeout,      // the node did not answer within the deadline
    auth,         // credentials rejected (WRONGPASS, invalid password, NOAUTH)
    denied,       // the server refuses to serve warden: protected mode (-DENIED), NOPERM
    protocol,     // not a Redis reply, a malformed or oversized reply, not a cluster node
    reply,        // the server answered the command with an error
};
std::string_view to_string(error_kind kind);  // "timeout", "auth", ...

struct error {
    std::string message;
    error_kind kind = error_kind::unspecified;
    friend bool operator==(const error&, const error&) = default;
};

// The same error with "<prefix>: " before its message (e.g. the node's address).
inline error prefixed(std::string_view prefix, error failure) {
    failure.message = std::string(prefix) + ": " + failure.message;
    return failure;
}

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

// A step that yields nothing but may fail: `return {};` is success.
template <>
class result<void> {
  public:
    result() = default;
    result(error failure) : failure_(std::move(failure)) {}  // NOLINT: implicit by design

    bool has_value() const { return !failure_.has_value(); }
    explicit operator bool() const { return has_value(); }
    const error& failure() const { return *failure_; }

  private:
    std::optional<error> failure_;
};

inline std::string_view to_string(error_kind kind) {
    switch (kind) {
        case error_kind::usage:
            return "usage";
        case error_kind::refused:
            return "refused";
        case error_kind::timeout:
            return "timeout";
        case error_kind::auth:
            return "auth";
        case error_kind::denied:
            return "denied";
        case error_kind::protocol:
            return "protocol";
        case error_kind::reply:
            return "reply";
        case error_kind::unspecified:
            break;
    }
    return "unspecified";
}

}  // namespace warden
