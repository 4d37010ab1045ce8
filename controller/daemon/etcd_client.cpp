#include "controller/daemon/etcd_client.hpp"

#include <fmt/format.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "probes/resolve.hpp"
#include "probes/transport_errors.hpp"

namespace warden::daemon {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;
using clock = std::chrono::steady_clock;

constexpr std::uint64_t reply_limit = 1024 * 1024;  // replies are a few hundred bytes

std::string where(const etcd_endpoint& target) {
    return target.host.find(':') != std::string::npos
               ? fmt::format("etcd [{}]:{}", target.host, target.port)
               : fmt::format("etcd {}:{}", target.host, target.port);
}

// Cuts the resolver lifeline on every exit, before the io_context goes away.
struct lifeline_guard {
    std::shared_ptr<probes::resolver_lifeline> lifeline;
    ~lifeline_guard() { lifeline->cut(); }
};

result<std::vector<tcp::endpoint>> resolve(net::io_context& io, const lifeline_guard& guard,
                                           const etcd_endpoint& target,
                                           clock::time_point deadline) {
    error_code not_ip;
    auto ip = net::ip::make_address(target.host, not_ip);
    if (!not_ip) return std::vector<tcp::endpoint>{tcp::endpoint(ip, target.port)};
    std::optional<error_code> outcome;
    std::vector<tcp::endpoint> found;
    auto pending = net::make_work_guard(io);  // the lookup runs on its own thread
    probes::resolve_detached(guard.lifeline, target.host, target.port,
                             [&](const error_code& ec, std::vector<tcp::endpoint> endpoints) {
                                 outcome = ec;
                                 found = std::move(endpoints);
                                 pending.reset();
                             });
    io.run_until(deadline);
    if (!outcome) return error{"timed out resolving the host"};
    if (*outcome || found.empty())
        return error{probes::describe_resolve_error(target.host, *outcome)};
    io.restart();
    return found;
}

}  // namespace

etcd_client::etcd_client(std::vector<etcd_endpoint> endpoints, std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), timeout_(timeout) {}

result<etcd_reply> etcd_client::post(const etcd_call& call) {
    std::string problems;
    for (std::size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
        auto index = (preferred_ + attempt) % endpoints_.size();
        auto reply = post_to(endpoints_[index], call);
        if (reply) {
            preferred_ = index;
            return reply;
        }
        problems += (problems.empty() ? "" : "; ") + reply.failure().message;
    }
    return error{problems.empty() ? std::string("no etcd endpoint configured") : problems};
}

result<etcd_reply> etcd_client::post_to(const etcd_endpoint& target, const etcd_call& call) const {
    net::io_context io;
    lifeline_guard guard{std::make_shared<probes::resolver_lifeline>(io)};
    auto deadline = clock::now() + timeout_;
    auto addresses = resolve(io, guard, target, deadline);
    if (!addresses) return error{fmt::format("{}: {}", where(target), addresses.failure().message)};

    http::request<http::string_body> request{http::verb::post, call.path, 11};
    request.set(http::field::host, fmt::format("{}:{}", target.host, target.port));
    request.set(http::field::content_type, "application/json");
    request.keep_alive(false);
    request.body() = call.body;
    request.prepare_payload();

    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(reply_limit);
    error_code failure;
    const char* stage = "connecting";
    // The stream's deadline closes the socket when it passes, completing whichever
    // operation is pending with beast::error::timeout.
    stream.expires_at(deadline);
    stream.async_connect(*addresses, [&](error_code ec, const tcp::endpoint&) {
        if (ec) {
            failure = ec;
            return;
        }
        stage = "sending";
        http::async_write(stream, request, [&](error_code written, std::size_t) {
            if (written) {
                failure = written;
                return;
            }
            stage = "reading the reply";
            http::async_read(stream, buffer, parser,
                             [&](error_code read, std::size_t) { failure = read; });
        });
    });
    io.run();
    if (failure == beast::error::timeout) {
        return error{
            fmt::format("{}: timed out after {} ms ({})", where(target), timeout_.count(), stage)};
    }
    if (failure) {
        auto text = std::string_view(stage) == "connecting"
                        ? probes::describe_connect_error(failure)
                        : probes::describe_transfer_error(failure);
        return error{fmt::format("{}: {} ({})", where(target), text, stage)};
    }
    return etcd_reply{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace warden::daemon
