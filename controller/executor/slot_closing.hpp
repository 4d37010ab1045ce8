// Closing an open slot, whichever way it has to go: forward (the rest of its keys moved,
// then assigned to the target everywhere) or back (STABLE again on both sides, when no key
// reached the target). Shared by a chunk that fails (slot_mover.cpp) and by
// finish_open_slots for slots a killed run left open.
#pragma once

#include <string>
#include <vector>

#include "controller/core/planner/move_method.hpp"
#include "controller/core/result.hpp"
#include "controller/executor/slot_link.hpp"

namespace warden::executor {

struct slot_ends {
    std::string source_id;
    std::string source_address;
    std::string target_id;
    std::string target_address;
};

// SETSLOT NODE on the target first, then the source, then every other master.
result<void> assign_slots(const std::vector<int>& slots, const slot_ends& ends, pair_link& link,
                          const master_directory& masters, const mover_settings& settings);

// Moves what is left of `slot` with `method`; if MIGRATE fails, client-side; then assigns
// it. The slot must be MIGRATING on the source (the target is set IMPORTING if it is not).
result<void> finish_slot(int slot, const slot_ends& ends, move_method method,
                         const master_directory& masters, const mover_settings& settings,
                         mover_progress& progress, const mover_log& log);

// Slots warden opened and moved no key of, with how many keys of each the target held
// before they were opened (normally 0). The target goes STABLE first (so no client is sent
// there any more); then if it holds no more keys of the slot than before (clients may have
// created keys there through ASK) the source goes STABLE too: the slot is as before. A slot
// the target gained keys of is finished forward instead. Returns what could not be closed.
result<void> close_unstarted(const std::vector<int>& slots,
                             const std::vector<long long>& keys_before, const slot_ends& ends,
                             const master_directory& masters, const mover_settings& settings,
                             mover_progress& progress, const mover_log& log);

// "100-163,170" for a log line.
std::string slot_list(const std::vector<int>& slots);

// Several failures (each already named, `troubles` not empty) as one: the messages joined
// with "; ", and the kind they share (unspecified when they differ).
error joined(const std::vector<error>& troubles);

}  // namespace warden::executor
