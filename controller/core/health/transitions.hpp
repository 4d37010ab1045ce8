// What changed between two polls' findings, so the daemon logs a line when a finding
// appears and when it clears (with how long it lasted), never on every poll.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "controller/core/health/findings.hpp"

namespace warden {

using wall_time = std::chrono::system_clock::time_point;

// A finding's identity across polls: its code and the nodes it names (messages carry
// changing numbers, so they are not part of the identity).
struct finding_key {
    std::string code;
    std::vector<std::string> nodes;
    auto operator<=>(const finding_key&) const = default;
};

struct active_finding {
    finding current;
    wall_time since;
};

using active_findings = std::map<finding_key, active_finding>;

struct finding_event {
    enum class kind { appeared, cleared, changed_severity } what = kind::appeared;
    finding subject;                      // for cleared: the finding as last seen
    std::chrono::milliseconds lasted{0};  // for cleared
};

// Folds this poll's findings into `active` (updated in place) and returns the events.
std::vector<finding_event> track_findings(active_findings& active,
                                          const std::vector<finding>& now_found, wall_time now);

}  // namespace warden
