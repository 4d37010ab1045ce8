#include "controller/daemon/etcd_client.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "probes/tls.hpp"

namespace warden::daemon {
namespace {

std::string where(const etcd_endpoint& target) {
    auto scheme = target.tls ? "https://" : "";
    return target.host.find(':') != std::string::npos
               ? fmt::format("etcd {}[{}]:{}", scheme, target.host, target.port)
               : fmt::format("etcd {}{}:{}", scheme, target.host, target.port);
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
                                        const std::string& token) {
    http_post_request request;
    request.body = call.body;
    if (!token.empty()) request.headers.emplace_back("Authorization", token);
    auto reply = http_.post({target.host, target.port, target.tls, call.path, where(target)},
                            request, session_->tls_.get(), timeout_);
    if (!reply) return reply.failure();
    return etcd_reply{reply->status, std::move(reply->body)};
}

}  // namespace warden::daemon
