// /status documents for the on-call page's tests: a report analysed from recorded replies,
// wrapped in the fields the daemon's status board adds after a poll
// (controller/daemon/status_board.cpp), so the page renders what the daemon would serve.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "controller/core/report/report.hpp"

namespace warden::testing {

// One cluster of /status: `report` polled 0.4 s ago at a 1 s interval, nothing planned, no
// maintenance, no audit yet, coordination none.
nlohmann::json status_cluster(const check_report& report);
// {"version", "clusters": [...]} around one cluster.
nlohmann::json status_document(nlohmann::json cluster);
// The recorded scenario's cluster, named sso-tokens, with the node at `unreachable` (if not
// empty) refusing connections, as a whole /status document.
nlohmann::json status_of_scenario(const std::string& scenario, const std::string& unreachable = "");

}  // namespace warden::testing
