// A blocking, deadline-bounded connection to one Redis node, for the code that acts on a
// cluster (executor) or re-reads one node (verification). Polls use node_session instead:
// they fan out to every node at once, this talks to one node at a time.
//
// Every call is bounded by the connection's timeout. A timeout or transport failure closes
// the connection; later calls fail at once with the same diagnostic, so a caller never
// waits twice on a dead node. Error replies (-ERR, -NOPERM...) are values, not failures:
// the caller decides what they mean.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/result.hpp"
#include "controller/core/tls.hpp"
#include "probes/poll.hpp"
#include "probes/resp.hpp"

namespace warden::probes {

using command = std::vector<std::string>;

class redis_connection {
  public:
    // Connects (and AUTHs when a password is given). Errors name the address and the
    // problem ("127.0.0.1:7001: authentication failed: WRONGPASS ..."), never the password.
    static result<redis_connection> open(const std::string& address, const credentials& auth,
                                         std::chrono::milliseconds timeout);

    redis_connection(redis_connection&&) noexcept;
    redis_connection& operator=(redis_connection&&) noexcept;
    ~redis_connection();

    // AUTH with these credentials (nothing to do without a password). The error names the
    // address, never the password.
    result<void> authenticate(const credentials& auth);
    // False once a timeout or transport failure has closed the connection.
    bool usable() const;

    result<resp_value> call(const command& arguments);
    // One write, replies in order; fails as a whole on a transport problem.
    result<std::vector<resp_value>> pipeline(const std::vector<command>& commands);

    const std::string& address() const;
    // Over TLS: the certificate the node presented.
    const std::optional<tls_certificate>& certificate() const;

  private:
    struct state;
    explicit redis_connection(std::unique_ptr<state> connection_state);
    std::unique_ptr<state> state_;
};

// io_contexts built for redis_connection so far: connections reuse them one after another
// (one per connection alive at once), so this grows with concurrency, not with connections.
std::size_t connection_io_contexts_made();

// "ERR unknown command" -> true when an error reply says the user lacks the right to run it.
bool is_permission_error(const resp_value& reply);

// The value in a reply to CONFIG GET of one parameter (its name, then its value); unset
// for anything else (an error, or an empty array: a parameter the version does not have).
std::optional<std::string> config_get_value(const resp_value& reply);

}  // namespace warden::probes
