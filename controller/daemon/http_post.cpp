#include "controller/daemon/http_post.hpp"

#include <fmt/format.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <optional>
#include <type_traits>

#include "probes/resolve.hpp"
#include "probes/tls.hpp"
#include "probes/transport_errors.hpp"

namespace warden::daemon {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;
using clock = std::chrono::steady_clock;

constexpr std::uint64_t reply_limit = 1024 * 1024;  // etcd's and receivers' replies are small

// Starts one asynchronous step and runs the io_context until it completes (the stream's
// deadline completes it with beast::error::timeout at the latest).
template <class Start>
error_code run_step(net::io_context& io, Start start) {
    error_code outcome;
    start([&outcome](error_code ec, auto&&...) { outcome = ec; });
    io.run();
    io.restart();
    return outcome;
}

http::request<http::string_body> request_for(const http_post_target& target,
                                             const http_post_request& call) {
    http::request<http::string_body> request{http::verb::post, target.path, 11};
    auto host = target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host;
    request.set(http::field::host, fmt::format("{}:{}", host, target.port));
    request.set(http::field::content_type, call.content_type);
    for (const auto& [name, value] : call.headers) request.set(name, value);
    request.keep_alive(false);
    request.body() = call.body;
    request.prepare_payload();
    return request;
}

// Cuts the resolver lifeline on every exit, before the io_context goes away.
struct lifeline_guard {
    std::shared_ptr<probes::resolver_lifeline> lifeline;
    ~lifeline_guard() { lifeline->cut(); }
};

result<std::vector<tcp::endpoint>> resolve(net::io_context& io, const lifeline_guard& guard,
                                           const http_post_target& target,
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

result<http_post_reply> http_post(const http_post_target& target, const http_post_request& call,
                                  const probes::tls_client* tls,
                                  std::chrono::milliseconds timeout) {
    const auto& where = target.label;
    net::io_context io;
    lifeline_guard guard{std::make_shared<probes::resolver_lifeline>(io)};
    auto deadline = clock::now() + timeout;
    auto addresses = resolve(io, guard, target, deadline);
    if (!addresses) return error{fmt::format("{}: {}", where, addresses.failure().message)};

    auto request = request_for(target, call);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(reply_limit);
    const char* stage = "connecting";
    // The stream's deadline closes the socket when it passes, completing whichever
    // operation is pending with beast::error::timeout.
    auto exchange = [&](auto& stream, beast::tcp_stream& transport) -> error_code {
        transport.expires_at(deadline);
        auto failure = run_step(io, [&](auto done) { transport.async_connect(*addresses, done); });
        if (failure) return failure;
        if constexpr (!std::is_same_v<std::decay_t<decltype(stream)>, beast::tcp_stream>) {
            stage = "TLS handshake";
            failure = run_step(io, [&](auto done) {
                stream.async_handshake(net::ssl::stream_base::client, done);
            });
            if (failure) return failure;
        }
        stage = "sending";
        failure = run_step(io, [&](auto done) { http::async_write(stream, request, done); });
        if (failure) return failure;
        stage = "reading the reply";
        return run_step(io, [&](auto done) { http::async_read(stream, buffer, parser, done); });
    };
    error_code failure;
    std::string tls_problem;  // worded while the session still exists
    if (target.tls) {
        if (tls == nullptr) return error{fmt::format("{}: no TLS profile", where)};
        beast::ssl_stream<beast::tcp_stream> stream(io, tls->context());
        // The certificate must be for the host we dialed, not just signed by a trusted CA.
        if (auto prepared = tls->prepare(stream.native_handle(), target.host); !prepared) {
            return error{fmt::format("{}: {}", where, prepared.failure().message)};
        }
        failure = exchange(stream, beast::get_lowest_layer(stream));
        // With TLS 1.3 the server checks the client certificate after the handshake, so its
        // refusal arrives as an alert while reading: word any OpenSSL error as TLS.
        if (probes::is_tls_error(failure)) {
            tls_problem = probes::describe_tls_error(failure, stream.native_handle(),
                                                     tls->expected_name(target.host));
        }
    } else {
        beast::tcp_stream stream(io);
        failure = exchange(stream, stream);
    }
    if (failure == beast::error::timeout) {
        return error{fmt::format("{}: timed out after {} ms ({})", where, timeout.count(), stage)};
    }
    if (failure) {
        auto text = !tls_problem.empty() ? tls_problem
                    : std::string_view(stage) == "connecting"
                        ? probes::describe_connect_error(failure)
                        : probes::describe_transfer_error(failure);
        return error{fmt::format("{}: {} ({})", where, text, stage)};
    }
    return http_post_reply{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace warden::daemon
