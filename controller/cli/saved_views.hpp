// Offline input: saved CLUSTER NODES outputs, one file per node's view.
#pragma once

#include <string>
#include <vector>

#include "controller/core/result.hpp"
#include "controller/core/snapshot.hpp"

namespace warden::cli {

// Each file becomes one observed node, named by its "myself" line. An unreadable file or a
// malformed line is an error naming the file (and the line).
result<snapshot> load_saved_views(const std::vector<std::string>& files);

}  // namespace warden::cli
