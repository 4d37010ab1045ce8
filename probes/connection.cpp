#include "probes/connection.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "controller/core/parse/endpoint.hpp"
#include "probes/idle_pool.hpp"
#include "probes/probe_exchange.hpp"
#include "probes/redis_stream.hpp"
#include "probes/resolve.hpp"
#include "probes/tls.hpp"
#include "probes/transport_errors.hpp"

namespace warden::probes {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// The io_contexts of blocking connections, reused: a connection takes one for as long as it
// lives and gives it back when it ends, so opening a connection (the executor opens one per
// node per step, the audit one per node) does not build an io_context (an epoll set with its
// eventfd and timerfd) each time. An io_context serves one connection at a time, so a
// connection may still move between threads (security_links hands them to the audit's
// workers); the pool's mutex orders one owner's use before the next one's.
class io_pool {
  public:
    static std::unique_ptr<net::io_context> take() {
        if (auto idle = shared().take()) return std::move(*idle);
        ++made_;
        return std::make_unique<net::io_context>(1);
    }
    // Only an io_context with nothing pending: every operation started on it has completed.
    static void give_back(std::unique_ptr<net::io_context> io) {
        shared().give_back(std::move(io));
    }
    static std::size_t made() { return made_; }

  private:
    static constexpr std::size_t max_idle = 32;  // the audit reads 16 nodes at once
    static idle_pool<std::unique_ptr<net::io_context>>& shared() {
        static idle_pool<std::unique_ptr<net::io_context>> instance(max_idle);
        return instance;
    }
    static inline std::atomic<std::size_t> made_ = 0;
};

// A connection's io_context from the pool, given back after everything using it is gone
// (declared before the stream and the lifeline) unless an operation was abandoned at a
// timeout: its handler or a late DNS answer may still be due, so that one is destroyed.
struct pooled_io {
    pooled_io() : io(io_pool::take()) {}
    ~pooled_io() {
        if (abandoned) return;  // destroyed with whatever is still queued on it
        io->restart();
        io_pool::give_back(std::move(io));
    }
    pooled_io(const pooled_io&) = delete;
    pooled_io& operator=(const pooled_io&) = delete;
    std::unique_ptr<net::io_context> io;
    bool abandoned = false;
};

}  // namespace

std::size_t connection_io_contexts_made() {
    return io_pool::made();
}

struct redis_connection::state {
    explicit state(std::string dialed, std::chrono::milliseconds limit)
        : address(std::move(dialed)),
          timeout(limit),
          lifeline(std::make_shared<resolver_lifeline>(io)),
          stream(io) {}
    ~state() {
        lifeline->cut();
        stream.close();
    }

    // Runs the io_context until `done` is set or the timeout passes. On timeout the socket
    // is closed (which completes the pending handlers) and the reason is returned.
    std::optional<error> run_until(const bool& done, const char* what) {
        io.restart();
        io.run_for(timeout);
        if (done) return std::nullopt;
        pooled.abandoned = true;
        stream.close();
        io.restart();
        io.run_for(std::chrono::milliseconds(100));  // let the aborted handlers finish
        return error{fmt::format("timed out after {} ms ({})", timeout.count(), what),
                     error_kind::timeout};
    }

    result<std::vector<tcp::endpoint>> resolve(const endpoint& target) {
        error_code not_ip;
        auto ip = net::ip::make_address(target.host, not_ip);
        if (!not_ip) return std::vector<tcp::endpoint>{tcp::endpoint(ip, target.port)};
        bool done = false;
        error_code outcome;
        std::vector<tcp::endpoint> found;
        // The lookup runs on its own thread: keep run_for() from returning for lack of work.
        auto pending_lookup = net::make_work_guard(io);
        resolve_detached(lifeline, target.host, target.port,
                         [&](const error_code& ec, std::vector<tcp::endpoint> endpoints) {
                             outcome = ec;
                             found = std::move(endpoints);
                             done = true;
                             pending_lookup.reset();
                         });
        if (auto late = run_until(done, "resolving host")) return *late;
        if (outcome || found.empty()) {
            return error{describe_resolve_error(target.host, outcome), error_kind::refused};
        }
        return found;
    }

    std::optional<error> connect(const std::vector<tcp::endpoint>& endpoints) {
        bool done = false;
        error_code outcome;
        // Opened here: Asio's range connect reports a socket it could not open as canceled.
        if (!endpoints.empty()) stream.socket().open(endpoints.front().protocol(), outcome);
        if (outcome) return error{describe_socket_error(outcome), error_kind::refused};
        net::async_connect(stream.socket(), endpoints,
                           [&](const error_code& ec, const tcp::endpoint&) {
                               outcome = ec;
                               done = true;
                           });
        if (auto late = run_until(done, "connecting")) return late;
        if (outcome) return error{describe_connect_error(outcome), error_kind::refused};
        error_code ignored;
        stream.socket().set_option(tcp::no_delay(true), ignored);
        return std::nullopt;
    }

    // Over TLS: the handshake, verified as the profile says; the certificate is kept.
    std::optional<error> handshake(const tls_client& profile, const std::string& host) {
        tls_profile = &profile;
        if (auto prepared = stream.begin_tls(profile, host); !prepared) return prepared.failure();
        bool done = false;
        error_code outcome;
        stream.async_handshake([&](const error_code& ec) {
            outcome = ec;
            done = true;
        });
        if (auto late = run_until(done, "TLS handshake: no TLS answer (a plaintext port?)")) {
            return late;
        }
        certificate = peer_certificate(stream.tls_session());
        expected_name = profile.expected_name(host);
        if (outcome) return error{describe_failure(outcome), error_kind::refused};
        return std::nullopt;
    }

    std::string describe_failure(const error_code& ec) {
        if (is_tls_error(ec)) return describe_tls_error(ec, stream.tls_session(), expected_name);
        if (!answered) {
            if (auto hint = closed_before_reply_hint(ec, tls_profile)) return *hint;
        }
        return describe_transfer_error(ec);
    }

    result<std::vector<resp_value>> exchange(std::string request, std::size_t expected) {
        if (broken) return *broken;
        bool written = false;
        error_code write_outcome;
        stream.async_write(net::buffer(request), [&](const error_code& ec, std::size_t) {
            write_outcome = ec;
            written = true;
        });
        auto failure = run_until(written, "sending");
        std::fill(request.begin(), request.end(), '\0');  // may hold a password
        if (!failure && write_outcome) {
            failure = error{describe_failure(write_outcome), error_kind::refused};
        }
        if (!failure) failure = read_replies(expected);
        if (failure) {
            broken = *failure;
            stream.close();
            return *failure;
        }
        std::vector<resp_value> replies;
        replies.swap(pending);
        return replies;
    }

    std::optional<error> read_replies(std::size_t expected) {
        std::size_t bytes_read = 0;
        while (pending.size() < expected) {
            auto next = reader.next();
            if (!next) return error{next.failure().message, error_kind::protocol};
            if (next->has_value()) {
                pending.push_back(std::move(**next));
                continue;
            }
            bool done = false;
            error_code outcome;
            std::size_t bytes = 0;
            stream.async_read_some(net::buffer(chunk), [&](const error_code& ec, std::size_t n) {
                outcome = ec;
                bytes = n;
                done = true;
            });
            if (auto late = run_until(done, "waiting for reply")) return late;
            if (!answered && !stream.tls()) {
                if (auto speaks_tls = tls_answer_to_plaintext({chunk.data(), bytes})) {
                    return error{*speaks_tls, error_kind::protocol};
                }
            }
            answered = answered || bytes > 0;
            bytes_read += bytes;
            if (bytes_read > max_reply_bytes) {
                return error{too_large_message(max_reply_bytes), error_kind::protocol};
            }
            reader.feed(std::string_view(chunk.data(), bytes));
            if (outcome && bytes == 0) {
                return error{describe_failure(outcome), error_kind::refused};
            }
        }
        return std::nullopt;
    }

    std::string address;
    std::chrono::milliseconds timeout;
    pooled_io pooled;
    net::io_context& io = *pooled.io;
    std::shared_ptr<resolver_lifeline> lifeline;
    redis_stream stream;
    std::optional<tls_certificate> certificate;
    std::string expected_name;                // the name the server's certificate must carry
    const tls_client* tls_profile = nullptr;  // set when the connection is TLS
    bool answered = false;                    // any reply byte arrived on this connection
    resp_reader reader;
    std::vector<resp_value> pending;
    std::array<char, 16 * 1024> chunk{};
    std::optional<error> broken;
    // Bytes one exchange may read, so a hostile peer cannot exhaust memory.
    static constexpr std::size_t max_reply_bytes = 512 * 1024 * 1024;
};

namespace {

std::string encode(const command& arguments) {
    std::vector<std::string_view> views(arguments.begin(), arguments.end());
    return encode_command(views);
}

}  // namespace

result<redis_connection> redis_connection::open(const std::string& address, const credentials& auth,
                                                std::chrono::milliseconds timeout) {
    auto target = parse_endpoint(address);
    if (!target) return error{target.failure().message, error_kind::usage};
    auto connection_state = std::make_unique<state>(address, timeout);
    auto endpoints = connection_state->resolve(*target);
    if (!endpoints) return prefixed(address, endpoints.failure());
    if (auto failure = connection_state->connect(*endpoints)) return prefixed(address, *failure);
    if (auth.tls) {
        if (auto failure = connection_state->handshake(*auth.tls, target->host)) {
            return prefixed(address, *failure);
        }
    }
    redis_connection connection(std::move(connection_state));
    if (auto authenticated = connection.authenticate(auth); !authenticated) {
        return authenticated.failure();
    }
    return connection;
}

redis_connection::redis_connection(std::unique_ptr<state> connection_state)
    : state_(std::move(connection_state)) {}
redis_connection::redis_connection(redis_connection&&) noexcept = default;
redis_connection& redis_connection::operator=(redis_connection&&) noexcept = default;
redis_connection::~redis_connection() = default;

result<void> redis_connection::authenticate(const credentials& auth) {
    if (!auth.password) return {};
    command request{"AUTH"};
    if (auth.username) request.push_back(*auth.username);
    request.push_back(*auth.password);
    auto reply = call(request);
    std::fill(request.back().begin(), request.back().end(), '\0');
    if (!reply) return reply.failure();  // already names the address
    if (reply->type == resp_type::error) {
        return error{address() + ": authentication failed: " + one_line(reply->text),
                     error_kind::auth};
    }
    return {};
}

bool redis_connection::usable() const {
    return !state_->broken;
}

result<resp_value> redis_connection::call(const command& arguments) {
    auto replies = state_->exchange(encode(arguments), 1);
    if (!replies) return prefixed(state_->address, replies.failure());
    if (replies->front().type == resp_type::error && replies->front().text.starts_with("DENIED")) {
        return error{fmt::format("{}: protected mode refused the connection ({})", state_->address,
                                 one_line(replies->front().text)),
                     error_kind::denied};
    }
    return std::move(replies->front());
}

result<std::vector<resp_value>> redis_connection::pipeline(const std::vector<command>& commands) {
    std::string request;
    for (const auto& arguments : commands) request += encode(arguments);
    auto replies = state_->exchange(std::move(request), commands.size());
    if (!replies) return prefixed(state_->address, replies.failure());
    return replies;
}

const std::string& redis_connection::address() const {
    return state_->address;
}

const std::optional<tls_certificate>& redis_connection::certificate() const {
    return state_->certificate;
}

bool is_permission_error(const resp_value& reply) {
    return reply.type == resp_type::error &&
           (reply.text.starts_with("NOPERM") || reply.text.starts_with("NOAUTH"));
}

std::optional<std::string> config_get_value(const resp_value& reply) {
    if (reply.type != resp_type::array || reply.elements.size() != 2) return std::nullopt;
    if (reply.elements[1].type != resp_type::string) return std::nullopt;
    return reply.elements[1].text;
}

}  // namespace warden::probes
