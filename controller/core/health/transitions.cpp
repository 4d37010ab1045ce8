#include "controller/core/health/transitions.hpp"

#include <set>

namespace warden {

std::vector<finding_event> track_findings(active_findings& active,
                                          const std::vector<finding>& now_found, wall_time now) {
    std::vector<finding_event> events;
    std::set<finding_key> seen;
    for (const auto& item : now_found) {
        finding_key key{item.code, item.nodes};
        if (!seen.insert(key).second) continue;  // same code and nodes twice: one identity
        auto found = active.find(key);
        if (found == active.end()) {
            active.emplace(key, active_finding{item, now});
            events.push_back({finding_event::kind::appeared, item, {}});
            continue;
        }
        if (found->second.current.level != item.level) {
            events.push_back({finding_event::kind::changed_severity, item, {}});
        }
        found->second.current = item;
    }
    for (auto it = active.begin(); it != active.end();) {
        if (seen.count(it->first) != 0) {
            ++it;
            continue;
        }
        auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second.since);
        events.push_back({finding_event::kind::cleared, it->second.current, lasted});
        it = active.erase(it);
    }
    return events;
}

}  // namespace warden
