#include "controller/executor/move_survey.hpp"

#include <fmt/format.h>

#include <map>

#include "probes/connection.hpp"

namespace warden::executor {
namespace {

// Each master's INFO server read once per survey (three moves to one new master: one read).
class version_cache {
  public:
    explicit version_cache(const mover_settings& settings) : settings_(settings) {}
    result<std::optional<server_version>> of(const std::string& address) {
        if (auto known = versions_.find(address); known != versions_.end()) return known->second;
        auto read = read_server_version(address, settings_);
        if (read) versions_.emplace(address, *read);
        return read;
    }

  private:
    const mover_settings& settings_;
    std::map<std::string, std::optional<server_version>> versions_;
};

result<void> choose_method(slot_move& move, const mover_settings& settings,
                           version_cache& versions) {
    auto source = versions.of(move.source_address);
    if (!source) return source.failure();
    auto target = versions.of(move.target_address);
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
    version_cache versions(settings);
    for (auto& move : plan.moves) {
        if (auto chosen = choose_method(move, settings, versions); !chosen) return chosen;
        count_keys(move, settings);
    }
    return {};
}

}  // namespace warden::executor
