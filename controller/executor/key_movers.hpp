// The two ways of moving the keys of one slot that is MIGRATING on link.source and
// IMPORTING on link.target (see core/planner/move_method.hpp for which one and why).
// Both return the first failure, named and with its kind; `moved_in_slot` counts the keys
// this call moved, so the caller knows whether the slot can simply be closed again after a
// failure.
#pragma once

#include "controller/core/planner/move_method.hpp"
#include "controller/core/result.hpp"
#include "controller/executor/slot_link.hpp"

namespace warden::executor {

struct slot_job {
    int slot = 0;
    bool replace = false;  // overwrite a copy already on the target (BUSYKEY otherwise stops)
};

// CLUSTER GETKEYSINSLOT + MIGRATE ... KEYS in batches, big keys alone with a longer timeout.
result<void> migrate_slot_keys(pair_link& link, const slot_job& job, const mover_settings& settings,
                               mover_progress& progress, const mover_log& log,
                               long long& moved_in_slot);

// From the client side, correct under concurrent writes (client_key_copy.cpp says how).
result<void> copy_slot_keys(pair_link& link, const slot_job& job, const mover_settings& settings,
                            mover_progress& progress, const mover_log& log,
                            long long& moved_in_slot);

result<void> move_slot_keys(move_method method, pair_link& link, const slot_job& job,
                            const mover_settings& settings, mover_progress& progress,
                            const mover_log& log, long long& moved_in_slot);

}  // namespace warden::executor
