// One node's probe on a shared io_context: resolve, connect, send the pipelined request
// (probe_exchange.hpp), read the replies. One deadline covers all of it; when it fires the
// socket is closed and the node is reported as timed out. The session only performs I/O:
// what to send and what the replies mean are decided by probe_exchange.
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
#include "probes/resolve.hpp"
#include "probes/resp.hpp"

namespace warden::probes {

struct session_hooks {
    // The node's CLUSTER NODES text, as soon as it arrives (before the other replies).
    std::function<void(std::string_view)> on_cluster_nodes;
    // Exactly once, when the session ends for any reason.
    std::function<void(node_probe)> on_done;
};

// Must outlive every handler it starts: keep it alive until io_context::run() returns.
class node_session {
  public:
    node_session(boost::asio::io_context& io, std::shared_ptr<resolver_lifeline> lifeline,
                 probe_target target, const poll_request& request, session_hooks hooks);
    node_session(const node_session&) = delete;
    node_session& operator=(const node_session&) = delete;

    void start();

  private:
    enum class phase { idle, resolving, connecting, exchanging, done };
    using tcp = boost::asio::ip::tcp;

    struct session_limits {
        std::chrono::milliseconds timeout;  // connect (or resolve) through last reply
        std::size_t max_reply_bytes;
    };

    void on_deadline(const boost::system::error_code& ec);
    void on_resolved(const boost::system::error_code& ec, std::vector<tcp::endpoint> endpoints);
    void connect(const std::vector<tcp::endpoint>& endpoints);
    void on_connected(const boost::system::error_code& ec);
    void on_written(const boost::system::error_code& ec);
    void read_more();
    void on_read(const boost::system::error_code& ec, std::size_t bytes);
    std::optional<std::string> take_replies();
    void finish(std::optional<std::string> failure);
    std::string timeout_message() const;

    std::shared_ptr<resolver_lifeline> lifeline_;
    probe_target target_;
    probe_plan plan_;
    session_limits limits_;
    session_hooks hooks_;
    boost::asio::steady_timer deadline_;
    tcp::socket socket_;
    resp_reader reader_;
    std::vector<resp_value> replies_;
    std::unique_ptr<char[]> buffer_;  // uninitialised: read_some fills what it reports
    std::size_t bytes_read_ = 0;
    std::chrono::steady_clock::time_point connected_at_;
    std::optional<double> latency_ms_;
    phase phase_ = phase::idle;
};

}  // namespace warden::probes
