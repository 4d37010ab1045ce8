#include "controller/daemon/etcd_client.hpp"

#include <fmt/format.h>

#include <algorithm>
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

constexpr std::uint64_t reply_limit = 1024 * 1024;  // replies are a few hundred bytes

std::string where(const etcd_endpoint& target) {
    auto scheme = target.tls ? "https://" : "";
    return target.host.find(':') != std::string::npos
               ? fmt::format("etcd {}[{}]:{}", scheme, target.host, target.port)
               : fmt::format("etcd {}{}:{}", scheme, target.host, target.port);
}

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

http::request<http::string_body> request_for(const etcd_endpoint& target, const etcd_call& call,
                                             const std::string& token) {
    http::request<http::string_body> request{http::verb::post, call.path, 11};
    request.set(http::field::host, fmt::format("{}:{}", target.host, target.port));
    request.set(http::field::content_type, "application/json");
    if (!token.empty()) request.set(http::field::authorization, token);
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

etcd_session::etcd_session(const config::coordination_settings& settings) {
    for (const auto& url : settings.endpoints) {
        if (auto parsed = parse_etcd_endpoint(url))
            endpoints_.push_back(*parsed);  // validated at load
    }
    bool tls = std::any_of(endpoints_.begin(), endpoints_.end(),
                           [](const etcd_endpoint& endpoint) { return endpoint.tls; });
    if (tls) {
        auto profile =
            probes::tls_client::make(settings.tls, probes::tls_config_names("coordination.tls"));
        if (profile) {
            tls_ = std::move(*profile);
        } else {
            problem_ = profile.failure().message;
        }
    }
    if (settings.auth.username && settings.auth.password) {
        credentials_ = credentials{*settings.auth.username, *settings.auth.password};
    }
}

etcd_session::~etcd_session() = default;

std::string etcd_session::token() const {
    std::lock_guard lock(token_mutex_);
    return token_;
}

void etcd_session::set_token(std::string token) {
    std::lock_guard lock(token_mutex_);
    token_ = std::move(token);
}

void etcd_session::forget_token(const std::string& rejected) {
    std::lock_guard lock(token_mutex_);
    if (token_ == rejected) token_.clear();  // another thread may have bought a new one
}

etcd_client::etcd_client(std::shared_ptr<etcd_session> session, std::chrono::milliseconds timeout)
    : session_(std::move(session)), timeout_(timeout) {}

result<etcd_reply> etcd_client::post(const etcd_call& call) {
    if (!session_->problem_.empty()) return error{session_->problem_};
    if (!session_->credentials_) return send(call, {});
    auto token = session_->token();
    if (token.empty()) {
        auto bought = authenticate();
        if (!bought) return bought.failure();
        token = *bought;
    }
    auto reply = send(call, token);
    if (!reply || !auth_token_rejected(*reply)) return reply;
    // Tokens expire (etcd's --auth-token-ttl) and die with an etcd restart: buy one more.
    session_->forget_token(token);
    auto bought = authenticate();
    if (!bought) return bought.failure();
    return send(call, *bought);
}

result<std::string> etcd_client::authenticate() {
    const auto& user = session_->credentials_->user;
    auto reply = send(authenticate_call(user, session_->credentials_->password), {});
    if (!reply) return reply.failure();
    auto token = parse_authenticate(*reply);
    if (!token) return error{fmt::format("etcd user '{}': {}", user, token.failure().message)};
    session_->set_token(*token);
    return token;
}

result<etcd_reply> etcd_client::send(const etcd_call& call, const std::string& token) {
    const auto& endpoints = session_->endpoints_;
    std::string problems;
    for (std::size_t attempt = 0; attempt < endpoints.size(); ++attempt) {
        auto index = (preferred_ + attempt) % endpoints.size();
        auto reply = post_to(endpoints[index], call, token);
        if (reply) {
            preferred_ = index;
            return reply;
        }
        problems += (problems.empty() ? "" : "; ") + reply.failure().message;
    }
    return error{problems.empty() ? std::string("no etcd endpoint configured") : problems};
}

result<etcd_reply> etcd_client::post_to(const etcd_endpoint& target, const etcd_call& call,
                                        const std::string& token) const {
    net::io_context io;
    lifeline_guard guard{std::make_shared<probes::resolver_lifeline>(io)};
    auto deadline = clock::now() + timeout_;
    auto addresses = resolve(io, guard, target, deadline);
    if (!addresses) return error{fmt::format("{}: {}", where(target), addresses.failure().message)};

    auto request = request_for(target, call, token);
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
        beast::ssl_stream<beast::tcp_stream> stream(io, session_->tls_->context());
        // The certificate must be for the host we dialed, not just signed by a trusted CA.
        if (auto prepared = session_->tls_->prepare(stream.native_handle(), target.host);
            !prepared) {
            return error{fmt::format("{}: {}", where(target), prepared.failure().message)};
        }
        failure = exchange(stream, beast::get_lowest_layer(stream));
        // With TLS 1.3 the server checks the client certificate after the handshake, so its
        // refusal arrives as an alert while reading: word any OpenSSL error as TLS.
        if (probes::is_tls_error(failure)) {
            tls_problem = probes::describe_tls_error(failure, stream.native_handle(),
                                                     session_->tls_->expected_name(target.host));
        }
    } else {
        beast::tcp_stream stream(io);
        failure = exchange(stream, stream);
    }
    if (failure == beast::error::timeout) {
        return error{
            fmt::format("{}: timed out after {} ms ({})", where(target), timeout_.count(), stage)};
    }
    if (failure) {
        auto text = !tls_problem.empty() ? tls_problem
                    : std::string_view(stage) == "connecting"
                        ? probes::describe_connect_error(failure)
                        : probes::describe_transfer_error(failure);
        return error{fmt::format("{}: {} ({})", where(target), text, stage)};
    }
    return etcd_reply{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace warden::daemon
