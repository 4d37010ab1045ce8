// The audit's reads (security poll): per node, an unauthenticated PING from warden's own
// connection, then with credentials CONFIG GET (one parameter at a time), INFO server /
// memory / replication, ACL WHOAMI / LIST, and ACL DRYRUN of dangerous commands for the
// users the audit policy names (COMMAND INFO before Redis 6, where only renaming protects).
// Secrets are hashed the moment they arrive. Nodes are read in parallel, each bounded by
// the timeout per round trip.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/audit/audit.hpp"
#include "controller/core/snapshot.hpp"
#include "probes/connection.hpp"
#include "probes/poll.hpp"
#include "probes/resp.hpp"

namespace warden::probes {

struct security_request {
    credentials auth;
    std::chrono::milliseconds timeout{1000};
    audit_policy policy;
    std::size_t parallel = 16;  // nodes read at once
};

// Connections the security poll keeps from one audit to the next, one per node, for a
// caller that audits the same nodes again and again (the daemon, every security_interval).
// A kept connection is RESET before the anonymous PING, so it answers as a new client would
// (Redis 6.2+; before 6.2 each audit opens a new connection, as it must). Thread safe.
class security_links {
  public:
    std::optional<redis_connection> take(const std::string& address);
    void keep(const std::string& address, redis_connection connection);
    void keep_only(const std::vector<std::string>& addresses);  // closes the others
    std::size_t size() const;

  private:
    mutable std::mutex mutex_;
    std::map<std::string, redis_connection> kept_;
};

// One probe per address, in the same order. Never throws for Redis or network trouble.
// Each node is read on one connection: PING before AUTH (the anonymous reply), then the
// rest. With `links`, connections are taken from and left in it.
std::vector<security_probe> probe_security(const std::vector<std::string>& addresses,
                                           const security_request& request,
                                           security_links* links = nullptr);

// What warden reads for one node, given its replies (pure; exposed for tests).
void take_config_reply(security_probe& probe, const std::string& name, const resp_value& reply);

}  // namespace warden::probes
