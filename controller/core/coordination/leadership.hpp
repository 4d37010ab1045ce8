// Who may act on a cluster when several warden instances watch it (DESIGN.md "Acting
// safely": the etcd lease is held). Pure decisions; the daemon's coordinator does the I/O.
//
// Keys under coordination.prefix, per cluster:
//   <prefix><cluster>/leader                 value: the holder's identity, attached to its lease
//   <prefix><cluster>/actions/<ms>-<lease>   one JSON record per action: who, what, when, outcome
// The leader key lives exactly as long as its lease, so "the key still has our create
// revision and value" proves the lease is alive at that revision.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controller/core/coordination/etcd_protocol.hpp"
#include "controller/core/result.hpp"

namespace warden {

std::string leader_key(std::string_view prefix, std::string_view cluster);
std::string actions_prefix(std::string_view prefix, std::string_view cluster);
// Sorts by time: the unix milliseconds are zero-padded; the lease id (hex) keeps two
// writers in one millisecond apart.
std::string action_key(std::string_view prefix, std::string_view cluster, std::int64_t unix_ms,
                       std::int64_t lease);

// One cluster as this instance sees it after its last campaign.
struct cluster_lease_state {
    bool leader = false;
    std::int64_t create_revision = 0;  // of our leader key, while leader
    std::string holder;                // identity of the holder; empty: nobody or unknown
    friend bool operator==(const cluster_lease_state&, const cluster_lease_state&) = default;
};

// A won campaign makes us leader at the put's revision; a lost one is still ours when the
// key carries our identity and our lease (we won it in an earlier round).
cluster_lease_state after_campaign(const campaign_reply& reply, std::string_view identity,
                                   std::int64_t lease);

// "became leader", "lost leadership to X", "leader is now X"; none when nothing changed.
std::optional<std::string> describe_change(const cluster_lease_state& before,
                                           const cluster_lease_state& after);

using steady_time = std::chrono::steady_clock::time_point;

// What this instance can prove about its lease: etcd keeps it at least until the last
// successful keep-alive's *send* time plus the TTL etcd answered with.
struct lease_proof {
    std::int64_t id = 0;  // 0: no lease
    steady_time valid_until{};
};

// The local half of the fence, checked before asking etcd: not leader, no lease, or too
// little of it left to finish the fence round trip and send the command. Nullopt: go on.
std::optional<std::string> local_fence_refusal(const cluster_lease_state& state,
                                               const lease_proof& lease, steady_time now,
                                               std::chrono::milliseconds margin);

// The etcd half: the fence txn's answer, as a refusal (nullopt when the lease is held).
std::optional<std::string> fence_refusal(const fence_reply& reply, std::string_view identity,
                                         std::int64_t create_revision);

// One action as recorded under actions/: written as "started" right after the fence, then
// rewritten with the outcome, so a new leader sees what its predecessor was doing.
struct action_record {
    std::string who;                  // identity of the instance
    std::string action;               // replicate | meet | takeover
    std::string node;                 // address acted on
    std::string master;               // address of the master concerned
    std::string what;                 // human description of the action
    double started = 0;               // unix seconds
    std::string outcome = "started";  // started | success | failed | skipped
    std::string detail;
    std::optional<double> finished;  // unix seconds
    friend bool operator==(const action_record&, const action_record&) = default;
};

std::string record_json(const action_record& record);
result<action_record> parse_record(std::string_view text);
// "2026-11-25T11:28:00Z host:1@127.0.0.1:9736 replicate 127.0.0.1:7005 -> ... : success (...)"
std::string describe_record(const action_record& record);

}  // namespace warden
