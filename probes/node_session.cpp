#include "probes/node_session.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/write.hpp>

#include "probes/tls.hpp"
#include "probes/transport_errors.hpp"

namespace warden::probes {
namespace {

namespace net = boost::asio;
using boost::system::error_code;

}  // namespace

node_session::node_session(net::io_context& io, std::shared_ptr<resolver_lifeline> lifeline,
                           probe_target target, const poll_request& request, node_link& link,
                           session_hooks hooks)
    : lifeline_(std::move(lifeline)),
      target_(std::move(target)),
      request_(request),
      limits_{request.timeout, request.max_reply_bytes},
      hooks_(std::move(hooks)),
      deadline_(io),
      link_(link),
      stream_(link.stream) {}

void node_session::start() {
    deadline_.expires_after(limits_.timeout);
    deadline_.async_wait([this](const error_code& ec) { on_deadline(ec); });
    if (link_.open && stream_.is_open()) {
        // Authenticated on an earlier poll: the probe goes without AUTH.
        reusing_ = true;
        plan_ = plan_probe({}, request_.read_cluster_info);
        phase_ = phase::exchanging;
        send_request();
        return;
    }
    start_fresh();
}

void node_session::start_fresh() {
    reusing_ = false;
    link_.open = false;
    link_.certificate.reset();
    stream_.close();
    plan_ = plan_probe(request_.auth, request_.read_cluster_info);
    error_code not_ip;
    auto ip = net::ip::make_address(target_.endpoint.host, not_ip);
    if (!not_ip) {
        // An IP literal needs no lookup (and no thread).
        connect({tcp::endpoint(ip, target_.endpoint.port)});
        return;
    }
    phase_ = phase::resolving;
    resolve_detached(lifeline_, target_.endpoint.host, target_.endpoint.port,
                     [this](const error_code& ec, std::vector<tcp::endpoint> endpoints) {
                         on_resolved(ec, std::move(endpoints));
                     });
}

void node_session::on_deadline(const error_code& ec) {
    if (ec == net::error::operation_aborted || phase_ == phase::done) return;
    finish(timeout_message());
}

void node_session::on_resolved(const error_code& ec, std::vector<tcp::endpoint> endpoints) {
    if (phase_ != phase::resolving) return;  // the deadline came first
    if (ec || endpoints.empty()) {
        finish(describe_resolve_error(target_.endpoint.host, ec));
        return;
    }
    connect(endpoints);
}

void node_session::connect(const std::vector<tcp::endpoint>& endpoints) {
    phase_ = phase::connecting;
    // Opened here, not by async_connect: Asio's range connect reports a socket it could not
    // open (EMFILE: out of descriptors) as "Operation canceled", which names nothing.
    error_code opened;
    if (!endpoints.empty()) stream_.socket().open(endpoints.front().protocol(), opened);
    if (opened) {
        finish(describe_socket_error(opened));
        return;
    }
    if (endpoints.size() == 1) {
        // The range form below closes the socket opened above and opens another: for one
        // address (every node a view names) that is three system calls per node for nothing.
        stream_.socket().async_connect(endpoints.front(),
                                       [this](const error_code& ec) { on_connected(ec); });
        return;
    }
    // Tries each resolved address in turn ("localhost" may give ::1 then 127.0.0.1).
    net::async_connect(stream_.socket(), endpoints,
                       [this](const error_code& ec, const tcp::endpoint&) { on_connected(ec); });
}

void node_session::on_connected(const error_code& ec) {
    if (phase_ != phase::connecting) return;
    if (ec) {
        finish(describe_connect_error(ec));
        return;
    }
    ++link_.connects;
    error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);  // one small write: no batching
    if (!request_.auth.tls) {
        stream_.end_tls();
        phase_ = phase::exchanging;
        send_request();
        return;
    }
    if (auto prepared = stream_.begin_tls(*request_.auth.tls, target_.endpoint.host); !prepared) {
        finish(prepared.failure().message);
        return;
    }
    phase_ = phase::handshaking;
    ++link_.handshakes;
    stream_.async_handshake([this](const error_code& handshake_ec) { on_handshake(handshake_ec); });
}

void node_session::on_handshake(const error_code& ec) {
    if (phase_ != phase::handshaking) return;
    // Read even when verification failed: an expired certificate is worth showing.
    link_.certificate = peer_certificate(stream_.tls_session());
    if (ec) {
        finish(describe_failure(ec));
        return;
    }
    phase_ = phase::exchanging;
    send_request();
}

std::string node_session::describe_failure(const error_code& ec) {
    if (is_tls_error(ec)) {
        const auto name = request_.auth.tls
                              ? request_.auth.tls->expected_name(target_.endpoint.host)
                              : target_.endpoint.host;
        return describe_tls_error(ec, stream_.tls_session(), name);
    }
    if (!reusing_ && bytes_read_ == 0) {
        if (auto hint = closed_before_reply_hint(ec, request_.auth.tls.get())) return *hint;
    }
    return describe_transfer_error(ec);
}

void node_session::send_request() {
    connected_at_ = std::chrono::steady_clock::now();
    reader_.emplace(limits_.max_reply_bytes);
    stream_.async_write(net::buffer(plan_.request),
                        [this](const error_code& write_ec, std::size_t) { on_written(write_ec); });
}

bool node_session::reconnect_if_stale(const error_code& ec) {
    // Only a link we reused, only before its first reply byte: anything later is the node's
    // trouble now, not a leftover of an idle link.
    if (!reusing_ || bytes_read_ > 0 || !ec) return false;
    if (ec != net::error::eof && ec != net::error::connection_reset &&
        ec != net::error::broken_pipe && ec != net::error::connection_aborted &&
        !is_tls_close(ec)) {
        return false;
    }
    reader_.reset();
    replies_.clear();
    phase_ = phase::idle;
    start_fresh();
    return true;
}

void node_session::on_written(const error_code& ec) {
    // The request may hold the password: do not keep it around longer than needed.
    std::fill(plan_.request.begin(), plan_.request.end(), '\0');
    if (phase_ != phase::exchanging) return;
    if (ec) {
        if (reconnect_if_stale(ec)) return;
        finish(describe_failure(ec));
        return;
    }
    read_more();
}

void node_session::read_more() {
    auto into = reader_->read_buffer();
    last_read_ = into.data();
    stream_.async_read_some(
        net::buffer(into.data(), into.size()),
        [this](const error_code& ec, std::size_t bytes) { on_read(ec, bytes); });
}

void node_session::on_read(const error_code& ec, std::size_t bytes) {
    if (phase_ != phase::exchanging) return;
    if (bytes > 0) {
        if (bytes_read_ == 0 && !stream_.tls()) {
            if (auto speaks_tls = tls_answer_to_plaintext(std::string_view(last_read_, bytes))) {
                finish(std::move(speaks_tls));
                return;
            }
        }
        bytes_read_ += bytes;
        if (bytes_read_ > limits_.max_reply_bytes) {
            finish(too_large_message(limits_.max_reply_bytes));
            return;
        }
        reader_->commit(bytes);
        if (auto failure = take_replies()) {
            finish(std::move(failure));
            return;
        }
        if (replies_.size() == plan_.expected_replies) {
            finish(std::nullopt);
            return;
        }
    }
    if (ec) {
        if (reconnect_if_stale(ec)) return;
        finish(describe_failure(ec));
        return;
    }
    read_more();
}

// Moves every complete reply out of the reader; returns why the stream is unusable, if it is.
std::optional<std::string> node_session::take_replies() {
    while (replies_.size() < plan_.expected_replies) {
        auto next = reader_->next();
        if (!next) return next.failure().message;
        if (!next->has_value()) return std::nullopt;
        replies_.push_back(std::move(**next));
        latency_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                connected_at_)
                          .count();
        const std::size_t nodes_index = plan_.sends_auth ? 1 : 0;
        const resp_value& latest = replies_.back();
        if (replies_.size() == nodes_index + 1 && latest.type == resp_type::string &&
            hooks_.on_cluster_nodes) {
            hooks_.on_cluster_nodes(latest.text);
        }
    }
    return std::nullopt;
}

void node_session::finish(std::optional<std::string> failure) {
    if (phase_ == phase::done) return;
    phase_ = phase::done;
    deadline_.cancel();
    reader_.reset();
    std::fill(plan_.request.begin(), plan_.request.end(), '\0');
    bool complete = !failure && replies_.size() == plan_.expected_replies;
    exchange_outcome outcome{std::move(replies_), std::move(failure), latency_ms_};
    auto probe = interpret_exchange(target_.address, plan_, std::move(outcome));
    // Kept only when the stream is exactly at a reply boundary and the node accepted us.
    probe.certificate = link_.certificate;
    link_.open = complete && probe.reachable && stream_.is_open();
    if (!link_.open) stream_.close();
    if (hooks_.on_done) hooks_.on_done(std::move(probe));
}

std::string node_session::timeout_message() const {
    const char* what = "waiting for reply";
    if (phase_ == phase::resolving) what = "resolving host";
    if (phase_ == phase::connecting) what = "connecting";
    if (phase_ == phase::handshaking) what = "TLS handshake: no TLS answer (a plaintext port?)";
    return fmt::format("timed out after {} ms ({})", limits_.timeout.count(), what);
}

}  // namespace warden::probes
