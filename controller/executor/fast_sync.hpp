// heal.fast_sync's I/O (the decisions are controller/core/planner/fast_sync.hpp): the
// ledger file in the state directory, lowering repl-diskless-sync-delay on a master for one
// replica move, and putting back every lowering a move (or an earlier warden process) left.
#pragma once

#include "controller/executor/state_files.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/planner/fast_sync.hpp"
#include "controller/core/result.hpp"
#include "probes/poll.hpp"

namespace warden::executor {

// <state_dir>/fast-sync-ledger.json. Every change re-reads the file under an exclusive
// lock and replaces it atomically (write + fsync + rename), so the daemon and a `heal` run
// sharing a state directory do not lose each other's records.
class sync_ledger {
  public:
    explicit sync_ledger(std::string state_dir);
    const std::string& path() const { return path_; }
    result<std::vector<pending_restore>> read() const;  // a missing file: empty
    result<void> add(const pending_restore& record);
    result<void> remove(const pending_restore& record);

  private:
    result<void> update(const std::function<void(std::vector<pending_restore>&)>& change);
    std::string dir_;
    std::string path_;
};

// One line for the action log; `kept` when the value could not be put back (yet).
struct restore_note {
    bool kept = false;
    std::string text;
};

struct sync_target {
    std::string cluster;
    std::string master_id;
    std::string master_address;
    probes::credentials auth;
    std::chrono::milliseconds timeout{500};
    std::string state_dir;
    bool enabled = true;  // heal.fast_sync
};

// One lowering for the duration of a move: put back by restore() or, at the latest, by the
// destructor. A failed restore stays in the ledger for restore_pending to retry.
class sync_delay_override {
  public:
    // Decides, records, lowers. `note` receives one line saying what was done or why not.
    static sync_delay_override lower(const sync_target& target,
                                     const std::function<void(const std::string&)>& note);
    sync_delay_override(sync_delay_override&& other) noexcept;
    sync_delay_override& operator=(sync_delay_override&&) = delete;
    sync_delay_override(const sync_delay_override&) = delete;
    sync_delay_override& operator=(const sync_delay_override&) = delete;
    ~sync_delay_override();

    bool lowered() const { return record_.has_value(); }
    // Puts the value back; the line for the action log.
    restore_note restore();

  private:
    sync_delay_override(sync_target target, std::optional<pending_restore> record);
    sync_target target_;
    std::optional<pending_restore> record_;
};

// Puts back every due record of `cluster` (restore_due): what a finished move failed to
// restore, or what a stopped warden left. Call it only while none of this process's actions
// on the cluster is in flight (their records are still needed). One line per record handled.
std::vector<restore_note> restore_pending(const std::string& state_dir, const std::string& cluster,
                                          const probes::credentials& auth,
                                          std::chrono::milliseconds timeout);

}  // namespace warden::executor
