// One line that says what a validated config watches, for `config check` (and anyone who
// wants to log it): "2 clusters (sso-tokens: heal, sessions: observe), coordination none,
// listen 127.0.0.1:9736". Free and total: no files, no clock.
#pragma once

#include <string>

#include "config/settings.hpp"

namespace warden::config {

std::string summary_line(const settings& loaded);

}  // namespace warden::config
