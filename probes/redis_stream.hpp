// The byte stream to one Redis node: a TCP socket, and over TLS the session on top of it.
// One type for the poller's kept links and the blocking connections, so both speak TLS
// the same way (DESIGN.md "TLS").
//
// The socket outlives TLS sessions: a reconnect closes the socket and begin_tls() makes a
// new session for the new connection. Callers start a new session only when no operation
// is pending on the old one.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "controller/core/result.hpp"
#include "controller/core/tls.hpp"
#include "probes/tls.hpp"

namespace warden::probes {

class redis_stream {
  public:
    using tcp = boost::asio::ip::tcp;

    explicit redis_stream(boost::asio::io_context& io) : socket_(io) {}

    tcp::socket& socket() { return socket_; }
    bool is_open() const { return socket_.is_open(); }
    bool tls() const { return session_ != nullptr; }
    SSL* tls_session() { return session_ ? session_->native_handle() : nullptr; }

    // On a connected socket: a new TLS session to `host`, verified as `profile` says.
    result<void> begin_tls(const tls_client& profile, const std::string& host);
    // Plaintext from here on (a reconnect without TLS).
    void end_tls() { session_.reset(); }

    template <class Handler>
    void async_handshake(Handler&& handler) {
        session_->async_handshake(boost::asio::ssl::stream_base::client,
                                  std::forward<Handler>(handler));
    }
    template <class Buffers, class Handler>
    void async_write(const Buffers& buffers, Handler&& handler) {
        if (session_) {
            boost::asio::async_write(*session_, buffers, std::forward<Handler>(handler));
        } else {
            boost::asio::async_write(socket_, buffers, std::forward<Handler>(handler));
        }
    }
    template <class Buffers, class Handler>
    void async_read_some(const Buffers& buffers, Handler&& handler) {
        if (session_) {
            session_->async_read_some(buffers, std::forward<Handler>(handler));
        } else {
            socket_.async_read_some(buffers, std::forward<Handler>(handler));
        }
    }

    // Closes the socket; pending operations complete with operation_aborted. The TLS
    // session stays until the next begin_tls (its pending operations still refer to it).
    void close();

  private:
    tcp::socket socket_;
    std::unique_ptr<boost::asio::ssl::stream<tcp::socket&>> session_;
};

}  // namespace warden::probes
