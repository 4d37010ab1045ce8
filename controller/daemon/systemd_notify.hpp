// The service manager notifications (sd_notify protocol): no-ops when not started by
// systemd (NOTIFY_SOCKET unset).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace warden::daemon {

void notify_ready(const std::string& status);
void notify_status(const std::string& status);
void notify_watchdog();
void notify_stopping();
void notify_reloading();
// WATCHDOG_USEC for this process, when the service manager set one.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace warden::daemon
