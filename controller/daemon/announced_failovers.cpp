#include "controller/daemon/announced_failovers.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "controller/core/coordination/maintenance.hpp"
#include "controller/executor/state_files.hpp"

namespace warden::daemon {
namespace {

std::string path_of(const std::string& state_dir, const std::string& cluster) {
    return state_dir + "/" + cluster_file_name("failovers-", cluster);
}

}  // namespace

result<std::uint64_t> read_announced_epoch(const std::string& state_dir,
                                           const std::string& cluster) {
    auto path = path_of(state_dir, cluster);
    auto text = executor::read_if_exists(path);
    if (!text) return text.failure();
    if (!*text) return std::uint64_t{0};
    auto document = nlohmann::json::parse(**text, nullptr, false);
    if (!document.is_object() || !document.contains("announced_epoch") ||
        !document["announced_epoch"].is_number_unsigned()) {
        return error{fmt::format("{}: not {{\"announced_epoch\": N}}", path)};
    }
    return document["announced_epoch"].get<std::uint64_t>();
}

result<void> write_announced_epoch(const std::string& state_dir, const std::string& cluster,
                                   std::uint64_t epoch) {
    nlohmann::json document = {{"announced_epoch", epoch}};
    return executor::write_replacing(path_of(state_dir, cluster), document.dump() + "\n");
}

}  // namespace warden::daemon
