// The `notify:` list of the config (issue 19), read by settings.cpp's loader; shared
// helpers of the loader that its parts use.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "config/yaml_walk.hpp"

namespace warden::config::detail {

milliseconds duration_at(const yaml_cursor& at);
std::string choice_at(const yaml_cursor& at, const std::set<std::string>& allowed);
// A TLS client profile: the same keys for a cluster, etcd and a webhook.
tls_settings read_tls(const yaml_cursor& at, const std::set<std::string>& also_allowed = {});

// Throws config_error naming the file, line and key.
std::vector<notify_sink_settings> read_notify(const yaml_cursor& at,
                                              const secret_reader& read_secret);

}  // namespace warden::config::detail
