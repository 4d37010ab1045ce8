// HTTP/1.1 (or HTTPS) to etcd's v3 JSON gateway with Boost.Beast: one POST per call, each
// bounded by one deadline, on a connection the client keeps open across calls
// (http_client: HTTP keep-alive on an io_context of the client's own). The requests and
// their replies are built and parsed by the pure core (controller/core/coordination).
//
// Blocking by design: the coordinator's thread and an action's thread each own a client
// and make a few calls per second at most, so an event loop would buy nothing here.
// Not thread safe: one client per thread; the session behind them is shared.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "controller/core/coordination/etcd_protocol.hpp"
#include "controller/core/result.hpp"
#include "controller/daemon/http_post.hpp"

namespace warden::daemon {

// What every client of one coordinator shares: where etcd is, the TLS context (built once
// from coordination.tls), the etcd user, and the auth token that user bought (etcd hashes
// passwords with bcrypt, so a token is bought once and reused until etcd rejects it).
class etcd_session {
  public:
    // Never fails: a TLS file that does not load becomes the problem every call reports,
    // so it shows up as coordination_unavailable like any other reason etcd cannot be used.
    explicit etcd_session(const config::coordination_settings& settings);
    ~etcd_session();
    etcd_session(const etcd_session&) = delete;
    etcd_session& operator=(const etcd_session&) = delete;

  private:
    friend class etcd_client;
    struct credentials {
        std::string user;
        std::string password;  // a secret: sent only in the authenticate call, never printed
    };

    std::string token() const;
    void set_token(std::string token);
    void forget_token(const std::string& rejected);

    std::vector<etcd_endpoint> endpoints_;
    std::shared_ptr<probes::tls_client> tls_;  // null: no https:// endpoint
    std::string problem_;                      // why the session cannot be used
    std::optional<credentials> credentials_;
    mutable std::mutex token_mutex_;
    std::string token_;
};

class etcd_client {
  public:
    etcd_client(std::shared_ptr<etcd_session> session, std::chrono::milliseconds timeout);

    // Tries the endpoints in order, starting with the last one that answered. Any HTTP
    // answer counts (an etcd error is the caller's to read); fails only when no endpoint
    // answered, naming each one's problem, or when etcd refuses the configured user.
    // A kept connection etcd closed meanwhile (a restart) is replaced within the call.
    result<etcd_reply> post(const etcd_call& call);

    // TCP connections to etcd this client opened so far: one while etcd stays up.
    std::size_t connections_made() const { return http_.connections_made(); }

  private:
    result<etcd_reply> send(const etcd_call& call, const std::string& token);
    result<std::string> authenticate();
    result<etcd_reply> post_to(const etcd_endpoint& target, const etcd_call& call,
                               const std::string& token);

    std::shared_ptr<etcd_session> session_;
    std::chrono::milliseconds timeout_;
    std::size_t preferred_ = 0;
    http_client http_;  // the kept connection, to the endpoint that answered last
};

}  // namespace warden::daemon
