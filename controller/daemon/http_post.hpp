// One HTTP/1.1 (or HTTPS) POST with Boost.Beast on a fresh connection: resolve + connect +
// TLS handshake + write + read, all bounded by one deadline. Used by the etcd client and
// the webhook sinks. Blocking by design: each caller is a thread of its own that makes a
// few calls a second at most.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "controller/core/result.hpp"

namespace warden::probes {
class tls_client;  // probes/tls.hpp
}

namespace warden::daemon {

struct http_post_target {
    std::string host;
    std::uint16_t port = 0;
    bool tls = false;
    std::string path = "/";
    std::string label;  // how errors name the peer: "etcd https://10.0.0.5:2379"
};

struct http_post_request {
    std::vector<std::pair<std::string, std::string>> headers;  // besides Host, Content-Type
    std::string content_type = "application/json";
    std::string body;
};

struct http_post_reply {
    int status = 0;
    std::string body;
};

// Any HTTP answer is a reply (its status is the caller's to judge); an error names the
// label, what failed and at which stage. `tls` is required for a TLS target: the peer's
// certificate must carry the host dialed (or the profile's server_name).
result<http_post_reply> http_post(const http_post_target& target, const http_post_request& request,
                                  const probes::tls_client* tls, std::chrono::milliseconds timeout);

}  // namespace warden::daemon
