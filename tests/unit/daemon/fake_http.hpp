// A scripted HTTP/1.1 server on 127.0.0.1 for unit tests of the HTTP clients: it counts the
// connections it accepts and answers each request as the script says (a keep-alive reply,
// a reply and a hang-up, a hang-up without a reply, or nothing at all). Runs on its own
// thread because the clients block the test's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace warden::daemon::testing {

enum class http_answer {
    reply,            // 200 with a small JSON body, connection kept open
    reply_and_close,  // the same without saying so, then the server hangs up (an idle timeout)
    hang_up,          // closes the connection without answering
    silent,           // reads the request, never answers
};

// connection: which accepted connection (1 for the first); request: which request on it.
using http_script = std::function<http_answer(int connection, int request)>;

class fake_http {
  public:
    explicit fake_http(http_script script);
    ~fake_http();
    fake_http(const fake_http&) = delete;
    fake_http& operator=(const fake_http&) = delete;

    std::uint16_t port() const { return port_; }
    int connections() const;  // accepted so far
    int requests() const;     // read so far, on every connection

  private:
    void accept();
    void serve(std::shared_ptr<struct fake_http_connection> connection);

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    http_script script_;
    mutable std::mutex mutex_;
    int connections_ = 0;
    int requests_ = 0;
    std::thread thread_;
};

}  // namespace warden::daemon::testing
