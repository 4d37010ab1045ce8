// Real replies of real servers, as tests/fixtures/redis-versions/ holds them: per node, a JSON
// array of {"command": [args...], "reply_b64": "<raw RESP reply bytes, base64>"} in the order
// sent on one connection (see that folder's README). This helper decodes them into values the
// tests can read, so no test builds a reply by hand.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/result.hpp"
#include "controller/core/snapshot.hpp"

namespace warden::testing {

// One RESP2 reply (https://redis.io/docs/latest/develop/reference/protocol-spec/):
//   +OK\r\n                  simple       -ERR syntax error\r\n    error
//   :3600000\r\n             integer      $5\r\nhello\r\n           bulk ($-1\r\n: nil)
//   *2\r\n:1\r\n$1\r\na\r\n  array (*-1\r\n: nil array)
struct resp_value {
    enum class kind { simple, error, integer, bulk, nil, array, nil_array };
    kind type = kind::nil;
    std::string text;  // simple, error, bulk (binary safe)
    std::int64_t number = 0;
    std::vector<resp_value> elements;

    bool is_error() const { return type == kind::error; }
    friend bool operator==(const resp_value&, const resp_value&) = default;
};

// Decodes exactly one reply from `bytes`: total, bounded (nesting, lengths), and trailing
// bytes are an error. The diagnostic names the byte offset.
result<resp_value> decode_resp(std::string_view bytes);

// How a reply reads in a failure message: "-ERR syntax error", "$703 bytes", "*3 [...]".
std::string describe(const resp_value& reply);

struct recorded_exchange {
    std::vector<std::string> command;
    resp_value reply;
};

struct recorded_node {
    std::string file;     // "redis-7.0.15/open/master-24000.json", for failure messages
    bool master = false;  // named master-<port> (its role when recorded)
    int port = 0;
    std::vector<recorded_exchange> exchanges;  // in the order sent

    std::string address() const { return "127.0.0.1:" + std::to_string(port); }
    // Every exchange whose command starts with `prefix`, in order.
    std::vector<const recorded_exchange*> all(const std::vector<std::string>& prefix) const;
    // The last reply to exactly `command` (in password/, the one sent after AUTH: the first
    // PING and CLUSTER NODES are refused). Throws when it was not recorded.
    const resp_value& reply(const std::vector<std::string>& command) const;
    // reply(command) as text; throws unless it is a bulk string (INFO, CLUSTER NODES, ...).
    const std::string& text(const std::vector<std::string>& command) const;
};

// The servers recorded, as folder names: "redis-3.2.13", ..., "valkey-8.0.1".
const std::vector<std::string>& recorded_servers();
// The cases each server ran: "open" (no password) and "password".
const std::vector<std::string>& recorded_cases();

// One <server>/<case>/<role>-<port>.json under tests/fixtures/redis-versions. Throws on a
// missing file, bad JSON, bad base64 or bad RESP, naming the file and entry.
recorded_node load_recorded_node(const std::string& relative_path);

// The six nodes of one server and case, sorted by port.
std::vector<recorded_node> load_recorded_cluster(const std::string& server,
                                                 const std::string& scenario);

// What a poll would have read from these nodes: CLUSTER NODES, CLUSTER INFO and INFO
// replication of each, every node reachable at 127.0.0.1:<port>.
snapshot snapshot_of(const std::vector<recorded_node>& nodes, const std::string& cluster_name);

}  // namespace warden::testing
