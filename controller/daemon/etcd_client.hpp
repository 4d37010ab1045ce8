// HTTP/1.1 to etcd's v3 JSON gateway with Boost.Beast: one POST per call on a fresh
// connection, resolve + connect + write + read bounded by one deadline. The requests and
// their replies are built and parsed by the pure core (controller/core/coordination).
//
// Blocking by design: the coordinator's thread and an action's thread each own a client
// and make a few calls per second at most, so an event loop would buy nothing here.
// Not thread safe: one client per thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "controller/core/coordination/etcd_protocol.hpp"
#include "controller/core/result.hpp"

namespace warden::daemon {

class etcd_client {
  public:
    etcd_client(std::vector<etcd_endpoint> endpoints, std::chrono::milliseconds timeout);

    // Tries the endpoints in order, starting with the last one that answered. Any HTTP
    // answer counts (an etcd error is the caller's to read); fails only when no endpoint
    // answered, naming each one's problem.
    result<etcd_reply> post(const etcd_call& call);

  private:
    result<etcd_reply> post_to(const etcd_endpoint& target, const etcd_call& call) const;

    std::vector<etcd_endpoint> endpoints_;
    std::chrono::milliseconds timeout_;
    std::size_t preferred_ = 0;
};

}  // namespace warden::daemon
