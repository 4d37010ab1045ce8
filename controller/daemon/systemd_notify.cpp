#include "controller/daemon/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

namespace warden::daemon {
namespace {
void send(const std::string& state) {
    sd_notify(0, state.c_str());
}
}  // namespace

void notify_ready(const std::string& status) {
    send("READY=1\nSTATUS=" + status);
}
void notify_status(const std::string& status) {
    send("STATUS=" + status);
}
void notify_watchdog() {
    send("WATCHDOG=1");
}
void notify_stopping() {
    send("STOPPING=1");
}
void notify_reloading() {
    send("RELOADING=1");
}

std::optional<std::chrono::microseconds> watchdog_interval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(usec);
}

}  // namespace warden::daemon
