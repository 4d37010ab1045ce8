#include "config/summary.hpp"

#include <fmt/format.h>

namespace warden::config {

std::string summary_line(const settings& loaded) {
    std::string clusters;
    for (const auto& cluster : loaded.clusters) {
        if (!clusters.empty()) clusters += ", ";
        clusters += fmt::format("{}: {}", cluster.name,
                                cluster.heal.mode == heal_mode::heal ? "heal" : "observe");
    }
    auto count = loaded.clusters.size();
    return fmt::format("{} cluster{} ({}), coordination {}, listen {}", count,
                       count == 1 ? "" : "s", clusters, loaded.coordination.backend, loaded.listen);
}

}  // namespace warden::config
