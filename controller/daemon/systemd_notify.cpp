#include "controller/daemon/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace warden::daemon {
namespace {

// The service manager's notification protocol (sd_notify(3) documents it as stable for
// other implementations): one datagram of "KEY=value" lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET, a path or, with a leading '@', an abstract name. Written here rather than
// linked from libsystemd, whose dependencies (libgcrypt, liblzma, libzstd, liblz4, libcap)
// every command would otherwise load at start for three sendto calls in the daemon.
void send(const std::string& state) {
    const char* target = std::getenv("NOTIFY_SOCKET");
    if (target == nullptr) return;
    std::string_view name(target);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (name.size() < 2 || name.size() >= sizeof(address.sun_path) ||
        (name.front() != '/' && name.front() != '@')) {
        return;  // no socket systemd would pass: nothing to tell
    }
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name.front() == '@') address.sun_path[0] = '\0';
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() +
                                         (name.front() == '/' ? 1 : 0));
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    // Best effort, as sd_notify is: a service manager that is not listening changes nothing.
    (void)::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&address), length);
    ::close(fd);
}

std::optional<std::uint64_t> env_number(const char* name) {
    const char* text = std::getenv(name);
    if (text == nullptr) return std::nullopt;
    std::string_view digits(text);
    std::uint64_t value = 0;
    auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (status != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
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

// As sd_watchdog_enabled: WATCHDOG_USEC, for this process when WATCHDOG_PID names one.
std::optional<std::chrono::microseconds> watchdog_interval() {
    auto usec = env_number("WATCHDOG_USEC");
    if (!usec || *usec == 0) return std::nullopt;
    if (std::getenv("WATCHDOG_PID") != nullptr) {
        auto pid = env_number("WATCHDOG_PID");
        if (!pid || *pid != static_cast<std::uint64_t>(::getpid())) return std::nullopt;
    }
    return std::chrono::microseconds(*usec);
}

}  // namespace warden::daemon
