// Fast sync (heal.fast_sync): a replica moved under a master needs a full sync, and with
// diskless replication (Redis' default since 7.0) the master waits repl-diskless-sync-delay
// (5 s by default) for more replicas before it starts. On a master that lost its replicas
// nobody else is coming, so that wait is the heal's largest cost. warden lowers the delay
// to 0 on that master for the move and puts the value back afterwards; every lowering is
// written to a ledger first (a file in the state directory), so a restart of warden puts it
// back too. These are the pure decisions; the I/O is controller/executor/fast_sync.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/result.hpp"

namespace warden {

inline constexpr std::string_view sync_delay_parameter = "repl-diskless-sync-delay";

// What the master answered to CONFIG GET repl-diskless-sync / repl-diskless-sync-delay
// (unset: not answered, e.g. CONFIG renamed away or denied).
struct master_sync_settings {
    std::optional<std::string> diskless_sync;  // "yes" | "no"
    std::optional<std::string> delay_seconds;  // "5"
};

struct fast_sync_decision {
    bool lower = false;
    std::string restore_to;  // the delay to put back (when lower)
    std::string reason;      // why not (or what is done), for the action log
};

fast_sync_decision decide_fast_sync(bool enabled, const master_sync_settings& settings);

// One lowering not yet put back: written before CONFIG SET, removed once restored.
struct pending_restore {
    std::string cluster;
    std::string node_id;  // the master's node id: never restore onto another node
    std::string address;
    std::string parameter;   // repl-diskless-sync-delay
    std::string value;       // what to put back
    std::string lowered_to;  // what warden set: restore only while it is still that
    std::string owner;       // "host:pid" of the warden process that lowered it
    double since = 0;        // unix seconds
    friend bool operator==(const pending_restore&, const pending_restore&) = default;
};

// The ledger file: a JSON array of records. A missing file is an empty ledger.
std::string ledger_text(const std::vector<pending_restore>& records);
result<std::vector<pending_restore>> parse_ledger(std::string_view text);

// Whether a record is for the restorer to act on now: its cluster, and not a lowering that
// a live action still needs (owned by a live process other than this one, or by this
// process while one of its actions on the cluster is in flight).
bool restore_due(const pending_restore& record, std::string_view cluster,
                 std::string_view this_owner, bool this_process_acting, bool owner_alive);

enum class restore_verdict {
    set,           // CONFIG SET the value back, then drop the record
    drop_moved,    // another node answers at that address: the master is gone; drop
    drop_changed,  // someone set another value since: theirs stands; drop
};
// From the node's CLUSTER MYID and its current CONFIG GET value.
restore_verdict judge_restore(const pending_restore& record, std::string_view answering_id,
                              std::string_view current_value);

}  // namespace warden
