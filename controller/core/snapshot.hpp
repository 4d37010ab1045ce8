// What one poll cycle saw: the raw replies of every node warden could reach, and why it
// could not reach the others. Probes fill it; the pure core analyses it. The same type
// serves `check`, the daemon and the offline `--from-file` mode.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace warden {

struct node_probe {
    std::string address;               // "host:port" as dialed ("[v6]:port" for IPv6)
    bool reachable = false;            // connected, authenticated and CLUSTER NODES answered
    std::string error;                 // why not reachable (never contains a secret)
    std::string cluster_nodes;         // raw CLUSTER NODES reply text
    std::string cluster_info;          // raw CLUSTER INFO reply text ("" when not read)
    std::string info;                  // raw INFO replication reply ("" when not read)
    std::optional<double> latency_ms;  // round trip of the command batch

    friend bool operator==(const node_probe&, const node_probe&) = default;
};

struct snapshot {
    std::string cluster_name;
    std::vector<node_probe> nodes;  // sorted by address
    bool offline =
        false;  // saved CLUSTER NODES files: no probes, no INFO, nothing is "unreachable"

    friend bool operator==(const snapshot&, const snapshot&) = default;
};

}  // namespace warden
