// Moves slots between masters (rebalance, manual reshard) and finishes slots a killed run
// left open. Per chunk of slots of one source -> target pair: SETSLOT IMPORTING on the
// target, MIGRATING on the source (pipelined for the whole chunk), then per slot the keys
// (MIGRATE, or client-side copies where MIGRATE cannot authenticate: key_movers.hpp), then
// SETSLOT NODE on target, source and every other master (pipelined). Independent pairs run
// in parallel. A chunk that fails closes what it opened: slots whose keys all moved are
// assigned, a slot none of whose keys moved is set STABLE again on both sides, a slot half
// moved is finished client-side; only what cannot be reached stays open (and is named).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/planner/move_method.hpp"
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
    // How finish_open_slots moves keys (run_moves follows each move's planned method).
    move_method_request move_method = move_method_request::automatic;
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

// A node's version from its INFO server; nullopt when INFO is denied or says none.
result<std::optional<server_version>> read_server_version(const std::string& address,
                                                          const mover_settings& settings);

// How keys should leave a source of this version: choose_move_method with settings'
// request and credentials; an error names the source.
result<move_method_choice> move_method_of(const std::string& source_address,
                                          const std::optional<server_version>& source,
                                          const mover_settings& settings);

// The same, reading the source's version first (read_server_version).
result<move_method_choice> move_method_for(const std::string& source_address,
                                           const mover_settings& settings);

// Runs the moves; the first failure stops everything and is returned (named: slot, nodes,
// Redis' reply, and what was done with the chunk it hit; its kind kept). Slots finished before stay
// finished; a slot stays open only when the nodes to close it cannot be reached, and the
// next run finishes it (finish_open_slots).
result<void> run_moves(const rebalance_plan& plan, const master_directory& masters,
                       const mover_settings& settings, mover_progress& progress,
                       const stop_flag& should_stop, const mover_log& log);

// Finishes every slot left MIGRATING/IMPORTING (by a killed rebalance): keys still on the
// source move to the target (REPLACE: the source's copy is the current one; client-side
// where MIGRATE cannot authenticate, or when MIGRATE fails), then the slot is assigned to the
// target everywhere. An IMPORTING side without a MIGRATING source had no key moved yet: it is
// made STABLE again and the slot stays with its owner. Every slot is tried; the failures
// come back together ("slot 4096: ...; slot 4097: ...", with the kind they share), so a
// caller can act on the rest.
result<void> finish_open_slots(const topology& cluster, const mover_settings& settings,
                               mover_progress& progress, const mover_log& log);

}  // namespace warden::executor
