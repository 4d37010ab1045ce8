// Parser for the reply of CLUSTER NODES, every format from Redis 3.2 to 7.x.
// https://redis.io/commands/cluster-nodes/
//
// One line per known node, space separated:
//   <id> <address> <flags> <master-id> <ping-sent> <pong-recv> <config-epoch> <link-state>
//   <slot>...
// e.g. (7.0, a master that is moving slot 5461 to another node):
//   07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@40004,node-4 myself,master - 0 0 7
//   connected 0-5460 5462 [5461->-e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca]
// address: 3.2 "ip:port", 4-6 "ip:port@cport", 7.x "ip:port@cport[,hostname][,key=value...]";
// IPv6 addresses appear unbracketed ("::1:30001@40001"), so the port follows the last ':'.
//
// Forward compatibility: a flag or an address field this code does not know (a newer
// server's) is kept as printed in `unknown` lists and the line still parses; warden's
// decisions ignore it and the shells say so once. Only a line that cannot be understood (bad
// id, address, number, link state or slot) is an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/result.hpp"

namespace warden {

inline constexpr int slot_count = 16384;

struct slot_range {
    int first = 0;
    int last = 0;  // inclusive
    friend bool operator==(const slot_range&, const slot_range&) = default;
};

enum class open_slot_direction { migrating, importing };

struct open_slot {
    int slot = 0;
    open_slot_direction direction = open_slot_direction::migrating;
    std::string peer_id;  // target when migrating, source when importing
    friend bool operator==(const open_slot&, const open_slot&) = default;
};

struct node_flags {
    bool myself = false;
    bool master = false;
    bool replica = false;  // "slave"
    bool pfail = false;    // "fail?"
    bool fail = false;
    bool handshake = false;
    bool noaddr = false;
    bool nofailover = false;
    std::vector<std::string> unknown;  // flags this version does not know, as printed, in order
    friend bool operator==(const node_flags&, const node_flags&) = default;
};

struct node_address {
    std::string host;  // IP as printed; empty when the node has no address yet
    int port = 0;
    std::optional<int> bus_port;          // absent in the 3.2 format
    std::optional<std::string> hostname;  // 7.x announced hostname, when set
    // "key=value" fields after the hostname this version does not know, as printed. Known
    // ones (nodes.conf's shard-id, nodename, tcp-port, tls-port) are read past.
    std::vector<std::string> unknown_fields;
    friend bool operator==(const node_address&, const node_address&) = default;
};

// The flags as CLUSTER NODES prints them ("myself", "master", "slave", "fail?", ...), unknown
// ones last.
std::vector<std::string> flag_names(const node_flags& flags);

// "host:port", or "[host]:port" when host is IPv6.
std::string format_address(std::string_view host, int port);

struct node_line {
    std::string id;
    node_address address;
    node_flags flags;
    std::vector<std::string> flag_names;   // as printed, in the server's order, for display
    std::optional<std::string> master_id;  // absent for "-"
    std::int64_t ping_sent = 0;
    std::int64_t pong_received = 0;
    std::uint64_t config_epoch = 0;
    bool link_connected = false;
    std::vector<slot_range> slots;
    std::vector<open_slot> open_slots;
    friend bool operator==(const node_line&, const node_line&) = default;
};

// One node's view of the cluster: every line of its CLUSTER NODES reply.
struct cluster_view {
    std::vector<node_line> nodes;
    // The "myself" line, or nullptr if the reply has none (should not happen on a real node).
    const node_line* myself() const;
    friend bool operator==(const cluster_view&, const cluster_view&) = default;
};

// Parses a whole reply. A malformed line is an error naming the line number and the field;
// nothing is silently skipped. Empty lines (the trailing newline) are fine.
result<cluster_view> parse_cluster_nodes(std::string_view text);

// Just the address and role flags of each line, for discovery: cheaper than a full parse
// and total (a line it cannot read is left out; the full parse reports it).
struct listed_node {
    std::string host;
    int port = 0;
    node_flags flags;
};
std::vector<listed_node> list_cluster_nodes(std::string_view text);

// Parses one line (no newline). Exposed for tests and the fuzzer.
result<node_line> parse_cluster_nodes_line(std::string_view line);

}  // namespace warden
