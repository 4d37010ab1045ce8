// A scripted stand-in for a Redis node on 127.0.0.1, for unit tests: it decodes each
// command and answers with whatever bytes the script returns. Runs on its own thread
// because poll_cluster blocks the test's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace warden::probes::testing {

struct fake_reply {
    std::string bytes;         // raw RESP (or anything else); empty sends nothing
    bool close_after = false;  // hang up once sent
};

using fake_script = std::function<fake_reply(const std::vector<std::string>& command)>;

class fake_redis {
  public:
    explicit fake_redis(fake_script script);
    ~fake_redis();
    fake_redis(const fake_redis&) = delete;
    fake_redis& operator=(const fake_redis&) = delete;

    std::uint16_t port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    std::vector<std::vector<std::string>> commands_seen() const;

  private:
    void accept();

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    fake_script script_;
    mutable std::mutex mutex_;
    std::vector<std::vector<std::string>> seen_;
    std::thread thread_;
};

// Scripts for the usual cases.
fake_reply bulk(const std::string& text);
fake_script silent();                                 // accepts, reads, never answers
fake_script garbage();                                // answers like an HTTP server, then hangs up
fake_script always(std::string resp);                 // the same raw reply to every command
fake_script cluster_node(std::string cluster_nodes);  // a healthy node with this view

// A port on 127.0.0.1 that nothing listens on (bound, then released).
std::uint16_t closed_port();

}  // namespace warden::probes::testing
