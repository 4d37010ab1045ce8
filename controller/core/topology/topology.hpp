// The cluster as warden understands it after merging every reachable node's view:
// members, roles, master -> replicas, slot owners, and where the views disagree.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/parse/cluster_nodes.hpp"
#include "controller/core/snapshot.hpp"
#include "controller/core/tls.hpp"
#include "controller/core/topology/failure_domain.hpp"

namespace warden {

enum class node_role { master, replica, unknown };
const char* to_string(node_role role);

struct cluster_node {
    std::string id;       // empty for a probed address no view knows (e.g. a dead seed)
    std::string address;  // "host:port"
    std::string host;
    std::optional<std::string> hostname;
    node_role role = node_role::unknown;
    std::optional<std::string> master_id;
    std::vector<std::string> replica_ids;  // sorted
    std::vector<slot_range> slots;         // as the merged slot map assigns them
    int slot_total = 0;
    std::uint64_t config_epoch = 0;
    std::vector<std::string> flags;  // its own flags plus fail?/fail others see
    bool nofailover = false;
    int views_listing = 0;  // how many views list this node
    int views_pfail = 0;    // views (other than its own) flagging fail?
    int views_fail = 0;     // views flagging fail
    bool observed = false;  // warden has this node's own view (live: reachable)
    bool probed = false;    // warden tried to reach it (always false offline)
    std::string probe_error;
    std::optional<bool> master_link_up;  // replicas: INFO master_link_status, if read
    // Replicas: INFO slave_repl_offset; masters: master_repl_offset (what replicas catch up to).
    std::optional<std::int64_t> replication_offset;
    std::optional<std::int64_t> link_down_seconds;  // replicas: master_link_down_since_seconds
    std::int64_t last_pong_ms = 0;  // unix ms of the latest pong any other view got from it
    std::string failure_domain;
    std::optional<tls_certificate> certificate;  // over TLS: what it presented to warden

    bool serves_slots() const { return slot_total > 0; }
    friend bool operator==(const cluster_node&, const cluster_node&) = default;
};

enum class disagreement_kind {
    slot_owner,          // views name different owners for a slot
    slot_claimed_twice,  // two nodes each claim the same slot in their own view
    membership,          // a node some views list and others lack
    config_epoch,        // views hold different epochs for a node
    role,                // views disagree whether a node is a master or a replica
    unparsable_view,     // a node answered CLUSTER NODES with text warden cannot parse
};

struct disagreement {
    disagreement_kind kind = disagreement_kind::slot_owner;
    std::vector<std::string> node_ids;
    std::string detail;
    friend bool operator==(const disagreement&, const disagreement&) = default;
};

struct open_slot_state {
    int slot = 0;
    std::string node_id;  // the node reporting it open
    open_slot state;
    friend bool operator==(const open_slot_state&, const open_slot_state&) = default;
};

struct topology {
    std::vector<cluster_node> nodes;                    // sorted by address
    std::array<std::int32_t, slot_count> slot_owner{};  // index into nodes, -1 when none
    std::vector<open_slot_state> open_slots;            // sorted by slot, node
    std::vector<disagreement> disagreements;
    int views = 0;         // views merged
    bool offline = false;  // built from saved files, no probes
    // What some view printed that this redis-warden does not know (a newer server): flag
    // names, and the keys of address fields. Sorted, deduplicated; no decision uses them, the
    // shells mention each once.
    std::vector<std::string> unknown_flags;
    std::vector<std::string> unknown_address_fields;

    // Indices of `nodes` sorted by id, as the merge leaves them: find() is called per node
    // and per candidate by the planners (a million string compares a poll at 1,000 nodes
    // when it scanned). A topology edited or built by hand may leave it stale or empty; find
    // then falls back to a scan, so it is never wrong, only slower.
    std::vector<std::int32_t> by_id;

    const cluster_node* find(std::string_view id) const;
    friend bool operator==(const topology&, const topology&) = default;
};

struct topology_policy {
    failure_domain_policy domains;
};

// "0-5460,5462,..." for sorted slot numbers, at most `limit` ranges.
std::string describe_slots(const std::vector<int>& slots, std::size_t limit = 5);

// Folds views one at a time: a caller may drop each reply's text once it is added, so memory
// stays near one view plus the merged result even for 1,000 nodes. Reads a probe's address,
// reachability, error, CLUSTER NODES text and INFO; keeps none of the text. A line another
// view printed byte for byte but for ping-sent/pong-recv is not parsed again: on a healthy
// cluster that is nearly every line, so a poll costs about one parsed line per node.
class topology_merger {
  public:
    topology_merger(const topology_policy& policy, bool offline);
    ~topology_merger();
    topology_merger(topology_merger&&) noexcept;
    topology_merger& operator=(topology_merger&&) noexcept;

    // A failure says why the probe's CLUSTER NODES text is unusable; the merged topology
    // records it as an unparsable view all the same.
    // `unfamiliar`, when given, receives the view's lines that no view added before printed
    // byte for byte (ping-sent/pong-recv aside): only those can name an address or flags
    // not met yet (every line of a view that could not be read; none of a node unreached).
    result<void> add(const node_probe& probe, std::vector<std::string>* unfamiliar = nullptr);
    // False when folding the same probes in any other order gives the same topology, as on
    // a cluster where every node answered and all views agree. True when a tie-break
    // followed the order (a node no view of its own describes, equal-epoch claims, a node
    // dialed twice, disagreements listed in fold order): fold them in a fixed order instead.
    bool order_matters() const;
    topology finish() &&;

  private:
    class builder;
    std::unique_ptr<builder> builder_;
};

// Merges the snapshot's views, in its order. Pure and deterministic.
topology build_topology(const snapshot& observed, const topology_policy& policy);

}  // namespace warden
