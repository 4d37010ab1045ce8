// Host name resolution that a deadline can abandon.
//
// Why not asio::ip::tcp::resolver::async_resolve: it runs getaddrinfo on Asio's private
// thread, and both io_context::run() and the io_context's destructor wait for that call
// to return, so a stuck DNS server would stretch a poll far past its timeout. Here lookups
// run on a few long-lived detached workers (at most 8, started as lookups wait and ended
// when idle) and hand their answers back through a lifeline that the poll cuts before its
// io_context goes away; a late answer is simply dropped.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace warden::probes {

class resolver_lifeline {
  public:
    explicit resolver_lifeline(boost::asio::io_context& io) : io_(&io) {}

    // After this, answers are dropped. Call before the io_context is destroyed.
    void cut();

    // Runs `work` on the io_context unless the lifeline was cut. Thread safe.
    void deliver(std::function<void()> work);

  private:
    std::mutex mutex_;
    boost::asio::io_context* io_;  // not owned; null once cut
};

using resolve_handler = std::function<void(const boost::system::error_code&,
                                           std::vector<boost::asio::ip::tcp::endpoint>)>;

// Resolves `host` on a resolver worker; `handler` later runs on the lifeline's io_context.
// Never calls `handler` inline.
void resolve_detached(const std::shared_ptr<resolver_lifeline>& lifeline, std::string host,
                      std::uint16_t port, resolve_handler handler);

}  // namespace warden::probes
