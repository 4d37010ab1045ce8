// What one poll cycle saw: the raw replies of every node warden could reach, and why it
// could not reach the others. Probes fill it; the pure core analyses it. The same type
// serves `check`, the daemon and the offline `--from-file` mode.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/tls.hpp"

namespace warden {

struct node_probe {
    std::string address;               // "host:port" as dialed ("[v6]:port" for IPv6)
    bool reachable = false;            // connected, authenticated and CLUSTER NODES answered
    std::string error;                 // why not reachable (never contains a secret)
    std::string cluster_nodes;         // raw CLUSTER NODES reply text
    std::string cluster_info;          // raw CLUSTER INFO reply text ("" when not read)
    std::string info;                  // raw INFO replication reply ("" when not read)
    std::optional<double> latency_ms;  // round trip of the command batch
    // Over TLS: the certificate the node presented (read in the handshake, even when the
    // handshake then failed verification).
    std::optional<tls_certificate> certificate;

    friend bool operator==(const node_probe&, const node_probe&) = default;
};

// What the security poll (audit) read from one node. Secrets never arrive here in the clear:
// requirepass/masterauth are replaced by "sha256:<hex>" (or "" when unset) as they are read.
struct security_probe {
    std::string address;
    bool reachable = false;  // the authenticated connection answered
    std::string error;       // why not (never contains a secret)
    // Warden's own connection without credentials, first reply to PING: "PONG", "NOAUTH",
    // "DENIED ..." (protected mode), or why it could not ask.
    std::string anonymous_reply;
    std::map<std::string, std::string> config;  // CONFIG GET name -> value, what could be read
    std::vector<std::string> unreadable;        // "CONFIG GET: ERR unknown command ...", ...
    std::string info;                           // INFO server, memory, replication
    std::optional<std::string> acl_whoami;      // absent before Redis 6 or when denied
    std::vector<std::string> acl_list;          // ACL LIST lines (passwords as #<sha256>)
    // ACL DRYRUN <user> <command>: user -> command -> allowed. Absent users were not checked.
    std::map<std::string, std::map<std::string, bool>> command_rights;

    friend bool operator==(const security_probe&, const security_probe&) = default;
};

struct snapshot {
    std::string cluster_name;
    std::vector<node_probe> nodes;  // sorted by address
    bool offline =
        false;  // saved CLUSTER NODES files: no probes, no INFO, nothing is "unreachable"
    // When the poll ended (Unix seconds, the poller's clock); certificates are judged
    // against it. 0 for saved files.
    long long observed_at = 0;

    friend bool operator==(const snapshot&, const snapshot&) = default;
};

}  // namespace warden
