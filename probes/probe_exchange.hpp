// What warden sends to one node and what the replies mean. Pure: no sockets, no clock.
// The request is one pipelined write:
//   [AUTH [user] password]   only when a password is configured
//   CLUSTER NODES            bulk string: the node's view (reachable iff this arrives)
//   [CLUSTER INFO]           bulk string; left out when the caller does not read it (check)
//   INFO replication         bulk string
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/snapshot.hpp"
#include "probes/poll.hpp"
#include "probes/resp.hpp"

namespace warden::probes {

struct probe_plan {
    std::string request;  // encoded bytes; holds the password when AUTH is sent
    bool sends_auth = false;
    bool sends_cluster_info = false;
    std::size_t expected_replies = 0;
};

probe_plan plan_probe(const credentials& auth, bool cluster_info = true);

// How the exchange ended before every reply arrived, if it did.
struct exchange_outcome {
    std::vector<resp_value> replies;     // in request order, possibly fewer than expected
    std::optional<std::string> failure;  // transport/protocol trouble, already worded
    std::optional<double> latency_ms;    // set when every reply arrived
};

// Fills reachable/error/cluster_nodes/cluster_info/info/latency of `address`'s probe.
// An error reply to CLUSTER NODES (NOAUTH, cluster disabled...) explains more than a later
// transport failure, so it wins. The replies' texts are moved into the probe, not copied.
node_probe interpret_exchange(std::string address, const probe_plan& plan,
                              exchange_outcome outcome);

// Redis error text made safe for a one-line diagnostic (bounded, printable).
std::string one_line(std::string_view text);

}  // namespace warden::probes
