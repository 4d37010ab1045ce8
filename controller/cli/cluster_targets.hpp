// Which clusters a command works on, and how to judge them: from --config (every cluster,
// or --cluster-name) or from --seed plus flags. Shared by check and heal so both read the
// same options the same way.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "controller/cli/connection_options.hpp"
#include "controller/core/report/report.hpp"
#include "controller/daemon/maintenance_store.hpp"
#include "probes/poll.hpp"

namespace warden::cli {

struct target_options {
    connection_options connection;
    std::optional<std::string> config_file;
    std::vector<std::string> zones;  // CIDR=ZONE failure-domain mappings
    std::string cluster_name;
    int min_replicas = 1;
    int certificate_warning_days = 30;
    int certificate_critical_days = 7;

    // --config, --cluster-name, --zone, --min-replicas (connection options separately).
    void add_to(CLI::App& command, const std::string& cluster_name_help);
    // A usage error "give one of --seed HOST:PORT, --config FILE[, <other>]" unless exactly
    // one source was given; `other` names a command's own third source (check's --from-file).
    result<void> check_source(bool other_given = false, const std::string& other = "") const;
};

struct cluster_target {
    std::string name;
    probes::poll_request request;
    analysis_policy policy;
    config::heal_settings heal;  // from the config; defaults with --seed
    // From the config: where its maintenance marker lives (the planned operations hold one).
    std::optional<daemon::maintenance_place> maintenance;
    std::chrono::milliseconds poll_interval{1000};  // the daemon's, from the config
};

result<analysis_policy> policy_from_flags(const target_options& options);
// From --config or --seed, whichever was given.
result<std::vector<cluster_target>> resolve_targets(const target_options& options);

}  // namespace warden::cli
