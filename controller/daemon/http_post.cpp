#include "controller/daemon/http_post.hpp"

#include <fmt/format.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

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

// Starts one asynchronous step on a stream and runs the io_context until it completes: the
// stream's deadline (expires_at) completes it with beast::error::timeout at the latest.
template <class Start>
error_code run_step(net::io_context& io, Start start) {
    std::optional<error_code> outcome;
    start([&outcome](error_code ec, auto&&...) { outcome = ec; });
    io.restart();  // a previous run may have stopped it for lack of work
    while (!outcome && io.run_one() != 0) {
    }
    return outcome.value_or(net::error::operation_aborted);
}

http::request<http::string_body> request_for(const http_post_target& target,
                                             const http_post_request& call) {
    http::request<http::string_body> request{http::verb::post, target.path, 11};
    auto host = target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host;
    request.set(http::field::host, fmt::format("{}:{}", host, target.port));
    request.set(http::field::content_type, call.content_type);
    for (const auto& [name, value] : call.headers) request.set(name, value);
    request.keep_alive(true);
    request.body() = call.body;
    request.prepare_payload();
    return request;
}

// The lookup runs on a resolver worker and hands its answer to this io_context through a
// lifeline cut before returning. The answer lives in shared state, so one that arrives
// after the deadline (and runs during a later call) writes into nothing anyone reads.
result<std::vector<tcp::endpoint>> resolve(net::io_context& io, const http_post_target& target,
                                           clock::time_point deadline) {
    error_code not_ip;
    auto ip = net::ip::make_address(target.host, not_ip);
    if (!not_ip) return std::vector<tcp::endpoint>{tcp::endpoint(ip, target.port)};
    struct lookup {
        std::optional<error_code> outcome;
        std::vector<tcp::endpoint> found;
    };
    auto answer = std::make_shared<lookup>();
    auto lifeline = std::make_shared<probes::resolver_lifeline>(io);
    probes::resolve_detached(lifeline, target.host, target.port,
                             [answer](const error_code& ec, std::vector<tcp::endpoint> endpoints) {
                                 answer->outcome = ec;
                                 answer->found = std::move(endpoints);
                             });
    io.restart();
    {
        auto waiting = net::make_work_guard(io);  // the lookup is not work Asio knows about
        while (!answer->outcome && io.run_one_until(deadline) != 0) {
        }
    }
    lifeline->cut();
    if (!answer->outcome) return error{"timed out resolving the host"};
    if (*answer->outcome || answer->found.empty())
        return error{probes::describe_resolve_error(target.host, *answer->outcome)};
    return std::move(answer->found);
}

std::string peer_of(const http_post_target& target) {
    return fmt::format("{} {} {}", target.host, target.port, target.tls);
}

// An idle kept connection that cannot carry a request any more: the peer closed or reset
// it. Over plaintext, bytes nobody asked for also mean it is not a clean HTTP connection;
// over TLS they may be a record OpenSSL reads itself (a session ticket).
bool hung_up(tcp::socket& socket, bool tls) {
    if (!socket.is_open()) return true;
    error_code ec;
    char byte = 0;
    socket.non_blocking(true, ec);
    if (ec) return true;
    socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, ec);
    if (ec == net::error::would_block) return false;
    return ec || !tls;
}

}  // namespace

struct http_client::state {
    // Declared first: destroyed after the streams that use it.
    net::io_context io;
    // The kept connection, plaintext or TLS; neither set when there is none.
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    std::string peer;           // the target the kept connection goes to (peer_of)
    std::string expected_name;  // over TLS: the name the peer's certificate had to carry
    std::size_t connections = 0;

    bool kept() const { return plain || secure; }
    beast::tcp_stream& transport() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

    void drop() {
        if (kept()) {
            error_code ignored;
            transport().socket().shutdown(tcp::socket::shutdown_both, ignored);
            transport().socket().close(ignored);
        }
        plain.reset();
        secure.reset();
        peer.clear();
    }

    // Runs one step on the kept stream, whichever it is.
    template <class Start>
    error_code step(Start start) {
        return secure ? run_step(io, [&](auto done) { start(*secure, done); })
                      : run_step(io, [&](auto done) { start(*plain, done); });
    }

    // Why a step failed, in an operator's words; call before drop().
    std::string describe(const error_code& failure, const char* stage,
                         const http_post_target& target, std::chrono::milliseconds timeout) {
        if (failure == beast::error::timeout) {
            return fmt::format("{}: timed out after {} ms ({})", target.label, timeout.count(),
                               stage);
        }
        // With TLS 1.3 the server checks the client certificate after the handshake, so its
        // refusal arrives as an alert while reading: word any OpenSSL error as TLS.
        auto text =
            secure && probes::is_tls_error(failure)
                ? probes::describe_tls_error(failure, secure->native_handle(), expected_name)
            : std::string_view(stage) == "connecting" ? probes::describe_connect_error(failure)
                                                      : probes::describe_transfer_error(failure);
        return fmt::format("{}: {} ({})", target.label, text, stage);
    }

    result<void> open(const http_post_target& target, const probes::tls_client* tls,
                      clock::time_point deadline, std::chrono::milliseconds timeout) {
        auto addresses = resolve(io, target, deadline);
        if (!addresses)
            return error{fmt::format("{}: {}", target.label, addresses.failure().message)};
        if (target.tls) {
            secure.emplace(io, tls->context());
            // The certificate must be for the host we dialed, not just signed by a trusted CA.
            if (auto prepared = tls->prepare(secure->native_handle(), target.host); !prepared) {
                drop();
                return error{fmt::format("{}: {}", target.label, prepared.failure().message)};
            }
            expected_name = tls->expected_name(target.host);
        } else {
            plain.emplace(io);
        }
        transport().expires_at(deadline);
        const char* stage = "connecting";
        auto failure =
            run_step(io, [&](auto done) { transport().async_connect(*addresses, done); });
        if (!failure) ++connections;
        if (!failure && secure) {
            stage = "TLS handshake";
            failure = run_step(io, [&](auto done) {
                secure->async_handshake(net::ssl::stream_base::client, done);
            });
        }
        if (failure) {
            auto why = describe(failure, stage, target, timeout);
            drop();
            return error{why};
        }
        peer = peer_of(target);
        return {};
    }

    struct attempt {
        result<http_post_reply> reply;
        bool stale = false;  // failed on a reused connection before any byte of a reply
    };

    attempt exchange(const http_post_target& target, const http_post_request& call,
                     clock::time_point deadline, std::chrono::milliseconds timeout, bool reused) {
        auto request = request_for(target, call);
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(reply_limit);
        transport().expires_at(deadline);
        const char* stage = "sending";
        auto failure =
            step([&](auto& stream, auto done) { http::async_write(stream, request, done); });
        if (!failure) {
            stage = "reading the reply";
            failure = step(
                [&](auto& stream, auto done) { http::async_read(stream, buffer, parser, done); });
        }
        if (!failure) {
            if (parser.keep_alive()) {
                transport().expires_never();  // idle until the next call sets its deadline
            } else {
                drop();
            }
            return {http_post_reply{static_cast<int>(parser.get().result_int()),
                                    std::move(parser.get().body())}};
        }
        bool stale =
            reused && failure != beast::error::timeout && buffer.size() == 0 && !parser.got_some();
        auto why = describe(failure, stage, target, timeout);
        drop();
        return {error{why}, stale};
    }
};

http_client::http_client() : state_(std::make_unique<state>()) {}
http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

std::size_t http_client::connections_made() const {
    return state_->connections;
}

result<http_post_reply> http_client::post(const http_post_target& target,
                                          const http_post_request& call,
                                          const probes::tls_client* tls,
                                          std::chrono::milliseconds timeout) {
    if (target.tls && tls == nullptr) return error{fmt::format("{}: no TLS profile", target.label)};
    auto& kept = *state_;
    auto deadline = clock::now() + timeout;
    if (kept.kept() && (kept.peer != peer_of(target) ||
                        hung_up(kept.transport().socket(), kept.secure.has_value()))) {
        kept.drop();
    }
    if (kept.kept()) {
        auto reused = kept.exchange(target, call, deadline, timeout, true);
        // The peer closed the idle connection as the request went out: one fresh try.
        if (reused.reply || !reused.stale) return std::move(reused.reply);
    }
    if (auto opened = kept.open(target, tls, deadline, timeout); !opened) return opened.failure();
    return std::move(kept.exchange(target, call, deadline, timeout, false).reply);
}

result<http_post_reply> http_post(const http_post_target& target, const http_post_request& call,
                                  const probes::tls_client* tls,
                                  std::chrono::milliseconds timeout) {
    http_client client;
    return client.post(target, call, tls, timeout);
}

}  // namespace warden::daemon
