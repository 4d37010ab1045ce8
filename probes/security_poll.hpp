// The audit's reads (security poll): per node, an unauthenticated PING from warden's own
// connection, then with credentials CONFIG GET (one parameter at a time), INFO server /
// memory / replication, ACL WHOAMI / LIST, and ACL DRYRUN of dangerous commands for the
// users the audit policy names (COMMAND INFO before Redis 6, where only renaming protects).
// Secrets are hashed the moment they arrive. Nodes are read in parallel, each bounded by
// the timeout per round trip.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "controller/core/audit/audit.hpp"
#include "controller/core/snapshot.hpp"
#include "probes/poll.hpp"
#include "probes/resp.hpp"

namespace warden::probes {

struct security_request {
    credentials auth;
    std::chrono::milliseconds timeout{1000};
    audit_policy policy;
    std::size_t parallel = 16;  // nodes read at once
};

// One probe per address, in the same order. Never throws for Redis or network trouble.
std::vector<security_probe> probe_security(const std::vector<std::string>& addresses,
                                           const security_request& request);

// What warden reads for one node, given its replies (pure; exposed for tests).
void take_config_reply(security_probe& probe, const std::string& name, const resp_value& reply);

}  // namespace warden::probes
