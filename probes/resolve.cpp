#include "probes/resolve.hpp"

#include <boost/asio/post.hpp>
#include <system_error>
#include <thread>

namespace warden::probes {
namespace {

using boost::asio::ip::tcp;

std::vector<tcp::endpoint> lookup(const std::string& host, std::uint16_t port,
                                  boost::system::error_code& ec) {
    // A synchronous resolve calls getaddrinfo on this thread; the local io_context is
    // only there because Asio's resolver needs one. No AI_ADDRCONFIG: it hides "localhost"
    // on hosts whose only interface is loopback.
    boost::asio::io_context local;
    tcp::resolver resolver(local);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
    std::vector<tcp::endpoint> endpoints;
    if (!ec) {
        for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }
    return endpoints;
}

}  // namespace

void resolver_lifeline::cut() {
    std::lock_guard lock(mutex_);
    io_ = nullptr;
}

void resolver_lifeline::deliver(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    if (io_ != nullptr) boost::asio::post(*io_, std::move(work));
}

void resolve_detached(const std::shared_ptr<resolver_lifeline>& lifeline, std::string host,
                      std::uint16_t port, resolve_handler handler) {
    auto task = [lifeline, host = std::move(host), port, handler]() {
        boost::system::error_code ec;
        auto endpoints = lookup(host, port, ec);
        lifeline->deliver([handler, ec, endpoints = std::move(endpoints)]() mutable {
            handler(ec, std::move(endpoints));
        });
    };
    try {
        std::thread(std::move(task)).detach();
    } catch (const std::system_error& failure) {
        // No thread to spare: report it like any resolution failure, asynchronously.
        auto ec =
            boost::system::error_code(failure.code().value(), boost::system::system_category());
        lifeline->deliver([handler, ec]() { handler(ec, {}); });
    }
}

}  // namespace warden::probes
