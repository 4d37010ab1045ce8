// One node's probe on a shared io_context: resolve, connect, send the pipelined request
// (probe_exchange.hpp), read the replies. One deadline covers all of it; when it fires the
// socket is closed and the node is reported as timed out. The session only performs I/O:
// what to send and what the replies mean are decided by probe_exchange.
//
// The socket is the node's link, which may outlive the session: a link left open by a
// clean probe is used again by the next poll (no connect, no AUTH). If the server closed it
// meanwhile (idle timeout, CLIENT KILL, restart), the first read or write fails before any
// reply: the session reconnects at once, within the same deadline, so a closed idle link is
// never reported as an unreachable node. Any other ending closes the link.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/snapshot.hpp"
#include "probes/discovery.hpp"
#include "probes/poll.hpp"
#include "probes/probe_exchange.hpp"
#include "probes/redis_stream.hpp"
#include "probes/resolve.hpp"
#include "probes/resp.hpp"

namespace warden::probes {

struct session_hooks {
    // The node's CLUSTER NODES text, as soon as it arrives (before the other replies).
    std::function<void(std::string_view)> on_cluster_nodes;
    // Exactly once, when the session ends for any reason.
    std::function<void(node_probe)> on_done;
};

// A connection to one node, kept across polls by whoever owns it (cluster_poller).
struct node_link {
    explicit node_link(boost::asio::io_context& io) : stream(io) {}
    redis_stream stream;
    bool open = false;   // connected, authenticated, and every reply read: reusable
    int connects = 0;    // connections made on this link (for the poller's count)
    int handshakes = 0;  // TLS handshakes among them
    std::optional<tls_certificate> certificate;  // what the node presented on this link
};

// Must outlive every handler it starts: keep it alive until io_context::run() returns.
class node_session {
  public:
    node_session(boost::asio::io_context& io, std::shared_ptr<resolver_lifeline> lifeline,
                 probe_target target, const poll_request& request, node_link& link,
                 session_hooks hooks);
    node_session(const node_session&) = delete;
    node_session& operator=(const node_session&) = delete;

    void start();

  private:
    enum class phase { idle, resolving, connecting, handshaking, exchanging, done };
    using tcp = boost::asio::ip::tcp;

    struct session_limits {
        std::chrono::milliseconds timeout;  // connect (or resolve) through last reply
        std::size_t max_reply_bytes;
    };

    void start_fresh();
    void send_request();
    // A reused link the server closed: true when the session reconnected instead of failing.
    bool reconnect_if_stale(const boost::system::error_code& ec);
    void on_deadline(const boost::system::error_code& ec);
    void on_resolved(const boost::system::error_code& ec, std::vector<tcp::endpoint> endpoints);
    void connect(const std::vector<tcp::endpoint>& endpoints);
    void on_connected(const boost::system::error_code& ec);
    void on_handshake(const boost::system::error_code& ec);
    // A read or write failure in words; a TLS one names the TLS problem.
    std::string describe_failure(const boost::system::error_code& ec);
    void on_written(const boost::system::error_code& ec);
    void read_more();
    void on_read(const boost::system::error_code& ec, std::size_t bytes);
    std::optional<std::string> take_replies();
    void finish(std::optional<std::string> failure);
    std::string timeout_message() const;

    std::shared_ptr<resolver_lifeline> lifeline_;
    probe_target target_;
    const poll_request& request_;
    probe_plan plan_;
    session_limits limits_;
    session_hooks hooks_;
    boost::asio::steady_timer deadline_;
    node_link& link_;
    redis_stream& stream_;
    bool reusing_ = false;  // this exchange runs on a link a previous poll left open
    // Made when the exchange starts and dropped when it ends: a poll of 1,000 nodes keeps
    // every finished session until the round is over.
    std::optional<scalar_reply_reader> reader_;
    std::vector<resp_value> replies_;
    const char* last_read_ = nullptr;  // where the read in flight puts its bytes
    std::size_t bytes_read_ = 0;
    std::chrono::steady_clock::time_point connected_at_;
    std::optional<double> latency_ms_;
    phase phase_ = phase::idle;
};

}  // namespace warden::probes
