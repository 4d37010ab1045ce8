// Whether a cluster is settled and healthy enough for an operation that writes to every
// master (rebalance, import): every master answering, every node knowing every member,
// cluster_state:ok, no master failing, every slot served. Shared so both judge alike.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "controller/cli/cluster_targets.hpp"
#include "controller/core/report/report.hpp"

namespace warden::cli {

struct settled_cluster {
    check_report report;
    std::string problem;  // empty when settled
};

// Polls until the cluster is settled or the bound passes (redis-cli --cluster rebalance
// right after add-node stops halfway with CLUSTERDOWN: this waits instead). Nodes in
// `leaving` (ids: remove-node's) may be down, and views may disagree about them alone.
settled_cluster wait_settled(const cluster_target& target, std::chrono::milliseconds bound,
                             const std::vector<std::string>& leaving = {});

// Why a settled cluster should not be written to (empty: go ahead).
std::string refusal(const check_report& report);

}  // namespace warden::cli
