// Moves slots between masters (rebalance, manual reshard) and finishes slots a killed run
// left open. Per chunk of slots of one source -> target pair: SETSLOT IMPORTING on the
// target, MIGRATING on the source (pipelined for the whole chunk), then per slot
// GETKEYSINSLOT + MIGRATE ... KEYS in batches, then SETSLOT NODE on target, source and every
// other master (pipelined). Independent pairs run in parallel.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/planner/rebalance_plan.hpp"
#include "controller/core/topology/topology.hpp"
#include "probes/poll.hpp"

namespace warden::executor {

struct mover_settings {
    probes::credentials auth;
    std::chrono::milliseconds timeout{5000};          // per command round trip
    std::chrono::milliseconds migrate_timeout{5000};  // MIGRATE's own timeout
    int pipeline = 100;                               // keys per MIGRATE
    int parallel = 8;                                 // chunks in flight at once
    int chunk_slots = 64;                             // slots opened together per pair
    bool replace = false;  // MIGRATE ... REPLACE (BUSYKEY otherwise stops)
};

struct mover_progress {
    std::atomic<int> slots_done{0};
    std::atomic<long long> keys_moved{0};
};

// Returns true to stop after the chunk in flight (Ctrl-C).
using stop_flag = std::function<bool()>;
// One line per event worth telling (a big key retried alone, a slot finished...).
using mover_log = std::function<void(const std::string&)>;

// Every master's address, id -> "host:port", for SETSLOT NODE broadcasts.
using master_directory = std::vector<std::pair<std::string, std::string>>;
master_directory masters_of(const topology& cluster);

// Runs the moves; the first failure stops everything and is returned (named: slot, nodes,
// Redis' reply). Slots finished before stay finished; at most a chunk stays open, and the
// next run finishes it (finish_open_slots).
std::optional<std::string> run_moves(const rebalance_plan& plan, const master_directory& masters,
                                     const mover_settings& settings, mover_progress& progress,
                                     const stop_flag& should_stop, const mover_log& log);

// Finishes every slot left MIGRATING/IMPORTING (by a killed rebalance): keys still on the
// source move to the target (REPLACE: the source's copy is the current one), then the slot
// is assigned to the target everywhere. An IMPORTING side without a MIGRATING source had
// no key moved yet: it is made STABLE again and the slot stays with its owner.
std::optional<std::string> finish_open_slots(const topology& cluster,
                                             const mover_settings& settings,
                                             mover_progress& progress, const mover_log& log);

}  // namespace warden::executor
