// etcd v3 through its HTTP/JSON gateway (etcd 3.4: POST /v3/...), as pure request builders
// and reply parsers; the daemon's etcd_client only moves the bytes.
//
// Wire format, as etcd 3.4.23 answers (recorded in tests/fixtures/etcd-3.4/):
//   - keys and values are base64 (protobuf `bytes`), int64s are JSON strings: "revision":"7"
//   - zero values are left out: a failed txn has no "succeeded", an empty range no "kvs",
//     a keep-alive of an expired lease no "TTL"
//   - errors come with a non-200 status and {"error":"...","message":"...","code":5}; the
//     streaming keep-alive may nest it: {"error":{"grpc_code":5,"message":"..."}}
// https://etcd.io/docs/v3.4/dev-guide/api_grpc_gateway/ and api/etcdserverpb/rpc.proto
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/result.hpp"

namespace warden {

// "http://10.0.0.5:2379" or "https://etcd1:2379" (a trailing "/" is allowed).
struct etcd_endpoint {
    std::string host;
    std::uint16_t port = 0;
    bool tls = false;  // https://
    friend bool operator==(const etcd_endpoint&, const etcd_endpoint&) = default;
};
result<etcd_endpoint> parse_etcd_endpoint(std::string_view url);

// One gateway request: POST `path` with a JSON `body`.
struct etcd_call {
    std::string path;
    std::string body;
};

// What came back: the HTTP status and the body.
struct etcd_reply {
    int status = 0;
    std::string body;
};

struct etcd_key_value {
    std::string key;
    std::string value;
    std::int64_t create_revision = 0;
    std::int64_t mod_revision = 0;
    std::int64_t lease = 0;  // 0: no lease
    friend bool operator==(const etcd_key_value&, const etcd_key_value&) = default;
};

struct lease_grant {
    std::int64_t id = 0;
    std::int64_t ttl_seconds = 0;  // as granted: etcd raises a TTL below its minimum
};

// A campaign: put `key` = `value` with the lease only if the key does not exist
// (create_revision == 0), else read who holds it.
struct campaign_reply {
    bool won = false;
    std::int64_t revision = 0;             // won: the key's create revision (the put's)
    std::optional<etcd_key_value> holder;  // lost: the key as it is (none if it vanished)
};

// A fence: write `record` only while the leader key still has our create revision and
// value; otherwise read the key to say who holds it now.
struct fence_reply {
    bool held = false;
    std::optional<etcd_key_value> holder;  // not held: the key now (none: nobody holds it)
    // Not held: the cluster's maintenance key, when that is what stopped the fence.
    std::optional<etcd_key_value> maintenance;
};

// etcd with auth enabled: a user and password buy a token, sent as the Authorization header
// of every later call until etcd stops accepting it (auth_token_rejected), then bought again.
etcd_call authenticate_call(const std::string& user, const std::string& password);
// The token; the error never contains the password (it is only in the request).
result<std::string> parse_authenticate(const etcd_reply& reply);
bool auth_token_rejected(const etcd_reply& reply);

etcd_call grant_call(std::chrono::seconds ttl);
etcd_call keepalive_call(std::int64_t lease);
etcd_call revoke_call(std::int64_t lease);
etcd_call campaign_call(const std::string& key, const std::string& value, std::int64_t lease);
// The fence also requires `maintenance_key` absent: no action during a planned operation.
etcd_call fence_call(const std::string& leader_key, const std::string& identity,
                     std::int64_t create_revision, const std::string& record_key,
                     const std::string& record_value, const std::string& maintenance_key);
// One key (range without range_end); put with an optional lease (0: none); delete one key.
etcd_call get_call(const std::string& key);
etcd_call put_call(const std::string& key, const std::string& value, std::int64_t lease);
etcd_call delete_call(const std::string& key);
// Puts `key` = `value`; with `prune_end`, also deletes [prune_begin, prune_end) in the same txn.
etcd_call record_call(const std::string& key, const std::string& value,
                      const std::string& prune_begin = {}, const std::string& prune_end = {});
// The greatest key under `prefix` (sort by key, descending, limit 1).
etcd_call last_key_call(const std::string& prefix);

result<lease_grant> parse_grant(const etcd_reply& reply);
// Remaining TTL in seconds; 0 means the lease is gone (expired or revoked).
result<std::int64_t> parse_keepalive(const etcd_reply& reply);
result<campaign_reply> parse_campaign(const etcd_reply& reply);
result<fence_reply> parse_fence(const etcd_reply& reply);
result<std::vector<etcd_key_value>> parse_range(const etcd_reply& reply);
// Any reply without content the caller needs (put, txn of puts, revoke): ok or the error.
result<bool> parse_done(const etcd_reply& reply);

// The end of the key range holding every key that starts with `prefix` (etcd's
// "range_end = prefix + 1": the last byte incremented).
std::string prefix_range_end(std::string prefix);

}  // namespace warden
