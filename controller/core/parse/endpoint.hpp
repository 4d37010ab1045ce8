// "host:port" as operators write it: "10.0.0.1:6379", "redis-a:6379", "[::1]:6379", and the
// unbracketed "::1:6379" CLUSTER NODES prints (the port follows the last ':').
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/core/result.hpp"

namespace warden {

struct endpoint {
    std::string host;  // without brackets
    std::uint16_t port = 0;
    friend bool operator==(const endpoint&, const endpoint&) = default;
};

// Errors name the input, e.g. "invalid address 'redis-1': missing port".
result<endpoint> parse_endpoint(std::string_view text);

}  // namespace warden
