// GET / on the daemon's listener: the on-call page (controller/core/report/page.hpp) of the
// last completed poll, or with ?part=clusters the part its script swaps in. Served like
// /status, from the status board: it never waits on Redis.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "controller/daemon/http_server.hpp"

namespace warden::daemon {

// `status`: the /status document of this moment; `target`: the request target ("/?...").
http_response page_response(const nlohmann::json& status, const std::string& target);

}  // namespace warden::daemon
