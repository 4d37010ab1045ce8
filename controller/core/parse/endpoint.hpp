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

// "http://HOST:PORT/path" or "https://..." (the port is required; no credentials in it).
struct http_url {
    bool tls = false;
    endpoint where;
    std::string path = "/";  // with its query, if any
    friend bool operator==(const http_url&, const http_url&) = default;
};
result<http_url> parse_http_url(std::string_view url);

}  // namespace warden
