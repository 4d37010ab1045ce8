// A cluster of the config file as the probes and the analysis take it: one translation,
// shared by the CLI's --config and the daemon, so both read a config the same way.
#pragma once

#include "config/settings.hpp"
#include "controller/core/report/report.hpp"
#include "probes/poll.hpp"

namespace warden::executor {

probes::poll_request poll_request_of(const config::cluster_settings& cluster);
analysis_policy analysis_policy_of(const config::cluster_settings& cluster);

}  // namespace warden::executor
