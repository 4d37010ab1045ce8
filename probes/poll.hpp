// Poll a cluster: discover every node from the seeds and read each one's replies in
// parallel on one io_context. Every wait is bounded by the timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "controller/core/snapshot.hpp"

namespace warden::probes {

class tls_client;  // probes/tls.hpp

// What a node needs from warden to accept its connection: a password, and on a TLS
// cluster the client profile (the CA that verifies the node, warden's client certificate).
struct credentials {
    std::optional<std::string> username;  // ACL user; AUTH <user> <pass> when set
    std::optional<std::string> password;  // never logged or echoed
    std::shared_ptr<tls_client> tls;      // set: every connection is TLS, built from this

    // The same connection, without AUTH (audit's anonymous look).
    credentials anonymous() const { return credentials{std::nullopt, std::nullopt, tls}; }
};

struct poll_request {
    std::string cluster_name;
    std::vector<std::string> seeds;  // "host:port", "[v6]:port"
    credentials auth;
    std::chrono::milliseconds timeout{500};  // per node, connect through last reply
    bool discover = true;                    // also probe every node named in any view
    // Also send CLUSTER INFO (node_probe::cluster_info). check does not read it: leaving it
    // out spares every node a command and a reply.
    bool read_cluster_info = true;
    // Bytes read from one node before it is cut off, so a hostile peer cannot exhaust memory.
    std::size_t max_reply_bytes = 64 * 1024 * 1024;
    // Exchanges in flight at once; 0: every node at once. At 1,000 nodes each CLUSTER NODES
    // reply is ~133 KiB, all of them arriving together is 133 MB and more in buffers: the
    // daemon bounds it (DESIGN.md "Polling"). A node that has not finished within
    // `window_stall` gives its place to the next one and keeps its own deadline, so frozen
    // nodes delay the others by `window_stall`, never by `timeout`.
    std::size_t max_in_flight = 0;
    std::chrono::milliseconds window_stall{100};
};

// Called for each node's probe as it finishes, on the polling thread, before it joins the
// snapshot: it may take the CLUSTER NODES text (the daemon folds each view as it arrives and
// keeps none of the text).
using probe_sink = std::function<void(node_probe&)>;

// A sink that folds each view into a topology_merger (the daemon) and returns the view's
// lines the merger had not read before in this poll (topology_merger::add's `unfamiliar`):
// only those can name a node the poll has not met, so discovery reads only them, after the
// sink, rather than every line of every view as it arrives (at 1,000 nodes a million lines a
// poll, all of them met before). Called where a probe_sink would be, with the same licence
// to take the text.
using folding_sink = std::function<std::vector<std::string>(node_probe&)>;

// Never throws for network trouble: each node's failure is recorded in its node_probe.
// A stop requested on `stop` ends the poll at once (the daemon shutting down or reloading
// does not wait out a frozen node's timeout); the snapshot is then incomplete: discard it.
snapshot poll_cluster(const poll_request& request, std::stop_token stop = {});

// Polls one cluster again and again (the daemon's poll loop), keeping one connection per
// node open across polls on one long-lived io_context: steady state makes no new
// connection and sends no AUTH. A node's link is dropped when its probe fails or times out
// (the next poll connects afresh) and when the node is no longer probed. Not thread safe:
// one poller per poll loop. Polls never overlap.
class cluster_poller {
  public:
    // keep_links false: every link is closed as soon as its node's probe ends (one poll
    // only, as poll_cluster does).
    explicit cluster_poller(bool keep_links = true);
    ~cluster_poller();
    cluster_poller(const cluster_poller&) = delete;
    cluster_poller& operator=(const cluster_poller&) = delete;

    // As poll_cluster. After a stop the poller starts over (every link closed).
    snapshot poll(const poll_request& request, std::stop_token stop = {},
                  const probe_sink& sink = {});
    // As poll, discovery reading the lines `sink` returns.
    snapshot poll_folding(const poll_request& request, std::stop_token stop,
                          const folding_sink& sink);
    // Connections made since the poller was created (reconnects included), and the TLS
    // handshakes among them.
    long long connections_made() const { return connections_made_; }
    long long handshakes_made() const { return handshakes_made_; }
    std::size_t open_links() const;

  private:
    snapshot run_poll(const poll_request& request, std::stop_token stop, const probe_sink& sink,
                      const folding_sink& folding);
    struct state;
    std::unique_ptr<state> state_;
    bool keep_links_ = true;
    long long connections_made_ = 0;
    long long handshakes_made_ = 0;
};

}  // namespace warden::probes
