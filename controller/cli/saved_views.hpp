// Offline input: saved CLUSTER NODES outputs, one file per node's view.
#pragma once

#include <string>
#include <vector>

#include "controller/core/result.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden::cli {

// Folds each file into `merger` as it is read, so one file's text is in memory at a time
// (1,000 views of a 1,000-node cluster are about 100 MB). The "myself" line says whose view
// a file is. An unreadable file or a malformed line is an error naming the file (and the
// line). Files are folded in the order given.
result<void> fold_saved_views(const std::vector<std::string>& files, topology_merger& merger);

}  // namespace warden::cli
