// A cluster of the config file as the probes and the analysis take it: one translation,
// shared by the CLI's --config and the daemon, so both read a config the same way.
#pragma once

#include "config/settings.hpp"
#include "controller/core/report/report.hpp"
#include "probes/poll.hpp"

#include <string>
#include <vector>

namespace warden::executor {

// The cluster's poll request with its TLS profile built (the files are read now; the
// error names the setting and the file that failed).
result<probes::poll_request> poll_request_of(const config::cluster_settings& cluster);
// Every cluster's, in the config's order; the first that fails is the error.
result<std::vector<probes::poll_request>> poll_requests_of(const config::settings& settings);
analysis_policy analysis_policy_of(const config::cluster_settings& cluster);

// A config file as `run` takes it, at start and on SIGHUP, and as `config check` judges it:
// the settings (every key and file checked: "FILE:LINE:COL: key '...': ...") and every
// cluster's poll request with its TLS profile built ("FILE: cluster 'x' tls: ..."). Reads
// files only; connects to nothing.
struct loaded_config {
    config::settings settings;
    std::vector<probes::poll_request> requests;  // one per cluster, in the config's order
};
result<loaded_config> load_config(const std::string& path);

}  // namespace warden::executor
