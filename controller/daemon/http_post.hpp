// HTTP/1.1 (or HTTPS) POSTs with Boost.Beast, each bounded by one deadline that covers
// resolve + connect + TLS handshake + write + read. Used by the etcd client and the
// notification sinks.
//
// An http_client keeps its connection open between calls (HTTP keep-alive) on an io_context
// of its own that lives as long as the client: a thread that posts to the same peer again
// and again (the coordinator's etcd client, a sink's sender) connects, and over TLS
// handshakes, once instead of once per call. Blocking by design: each caller is a thread of
// its own that makes a few calls a second at most, so an event loop shared between threads
// would buy nothing here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
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

// Not thread safe: one client per thread (or per caller that serializes its calls).
class http_client {
  public:
    http_client();
    ~http_client();
    http_client(http_client&&) noexcept;
    http_client& operator=(http_client&&) noexcept;

    // Any HTTP answer is a reply (its status is the caller's to judge); an error names the
    // label, what failed and at which stage. `tls` is required for a TLS target: the peer's
    // certificate must carry the host dialed (or the profile's server_name).
    //
    // The kept connection is used when it goes to the same host, port and scheme. One the
    // peer closed while it was idle (a restart, an idle timeout) is replaced by a fresh
    // connection within the same deadline when nothing of a reply came back on it, so a
    // stale connection is never reported as the peer being down. A timeout, a transport
    // failure or a reply without keep-alive closes the connection.
    result<http_post_reply> post(const http_post_target& target, const http_post_request& request,
                                 const probes::tls_client* tls, std::chrono::milliseconds timeout);

    // TCP connections this client opened so far (a reused one counts once).
    std::size_t connections_made() const;

  private:
    struct state;
    std::unique_ptr<state> state_;
};

// One POST on a connection of its own, closed after the reply.
result<http_post_reply> http_post(const http_post_target& target, const http_post_request& request,
                                  const probes::tls_client* tls, std::chrono::milliseconds timeout);

}  // namespace warden::daemon
