// What the shell reads about a rebalance plan before anything is touched: how each move's
// keys travel (the source's version through choose_move_method), whether the target can read
// them at all (payload_refusal), and how many keys each move carries (for the plan table).
#pragma once

#include "controller/core/planner/rebalance_plan.hpp"
#include "controller/core/result.hpp"
#include "controller/executor/slot_mover.hpp"

namespace warden::executor {

// Fills each move's method and keys. Returns a refusal (named: the move, both versions) or
// a node that could not be read; a key count that cannot be read is left unknown ("?").
result<void> survey_moves(rebalance_plan& plan, const mover_settings& settings);

}  // namespace warden::executor
