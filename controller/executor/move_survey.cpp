#include "controller/executor/move_survey.hpp"

#include <fmt/format.h>

#include "probes/connection.hpp"

namespace warden::executor {
namespace {

result<void> choose_method(slot_move& move, const mover_settings& settings) {
    auto source = read_server_version(move.source_address, settings);
    if (!source) return source.failure();
    auto target = read_server_version(move.target_address, settings);
    if (!target) return target.failure();
    if (auto refusal = payload_refusal(*source, *target)) {
        return error{
            fmt::format("{} -> {}: {}", move.source_address, move.target_address, *refusal)};
    }
    auto choice = move_method_of(move.source_address, *source, settings);
    if (!choice) return choice.failure();
    move.method = *choice;
    return {};
}

// One pipelined CLUSTER COUNTKEYSINSLOT per slot on the source.
void count_keys(slot_move& move, const mover_settings& settings) {
    auto source =
        probes::redis_connection::open(move.source_address, settings.auth, settings.timeout);
    if (!source) return;
    std::vector<probes::command> counts;
    for (const auto& range : move.slots) {
        for (int slot = range.first; slot <= range.last; ++slot) {
            counts.push_back({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
        }
    }
    auto replies = source->pipeline(counts);
    if (!replies) return;
    long long keys = 0;
    for (const auto& reply : *replies) keys += reply.integer;
    move.keys = keys;
}

}  // namespace

result<void> survey_moves(rebalance_plan& plan, const mover_settings& settings) {
    for (auto& move : plan.moves) {
        if (auto chosen = choose_method(move, settings); !chosen) return chosen;
        count_keys(move, settings);
    }
    return {};
}

}  // namespace warden::executor
