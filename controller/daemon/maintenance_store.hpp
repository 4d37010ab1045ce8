// Where maintenance markers live and how they are set, read, held and cleared
// (controller/core/coordination/maintenance.hpp says what they are): with
// coordination.backend etcd, the key <prefix><cluster>/maintenance on a lease; otherwise a
// file in state_dir. Used by `redis-warden maintenance`, by the planned operations that
// hold a marker while they run, and by the daemon, which reads it every poll.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "config/settings.hpp"
#include "controller/core/coordination/maintenance.hpp"
#include "controller/core/result.hpp"
#include "controller/daemon/etcd_client.hpp"

namespace warden::daemon {

struct maintenance_place {
    std::string cluster;
    std::string state_dir;                              // backend none: the file's folder
    std::optional<config::coordination_settings> etcd;  // backend etcd
    std::string describe() const;                       // "etcd key ..." or "file ..."
};

maintenance_place maintenance_place_of(const config::settings& settings,
                                       const std::string& cluster);

// The marker there is now, if any and not expired (an operation's file marker whose
// process is gone on this host is stale too).
result<std::optional<maintenance_marker>> read_maintenance(const maintenance_place& place);
// The daemon's read of a file marker each poll (backend none): none on any problem, which
// is logged by the caller through `problem`.
std::optional<maintenance_marker> read_maintenance_file(const std::string& state_dir,
                                                        const std::string& cluster,
                                                        std::string* problem = nullptr);

// `maintenance on`: a manual window until marker.until (etcd: a lease of that TTL).
// Refused while another operation holds the cluster.
result<void> set_maintenance(const maintenance_place& place, const maintenance_marker& marker);
// `maintenance off`: removes any marker (a running operation then stops at its next step).
// True when there was one.
result<bool> clear_maintenance(const maintenance_place& place);

// An operation's marker for as long as the object lives: refreshed on its own thread
// (file: `until` pushed forward every 15 s, 60 s ahead; etcd: the lease kept alive), and
// removed by the destructor; a manual window it ran inside is put back if not yet over.
// A kill -9 leaves a marker that expires within 60 s (file) or the lease's TTL (etcd).
class maintenance_hold {
  public:
    static result<std::unique_ptr<maintenance_hold>> take(const maintenance_place& place,
                                                          const std::string& operation,
                                                          const std::string& reason);
    ~maintenance_hold();
    maintenance_hold(const maintenance_hold&) = delete;
    maintenance_hold& operator=(const maintenance_hold&) = delete;

    // Why the marker is no longer held (etcd unreachable past the TTL, `maintenance off`),
    // if it is not: the operation stops before its next step.
    std::optional<std::string> lost() const;
    // lost(), after looking now (file: read back and pushed forward; etcd: a keep-alive)
    // rather than at the next 15 s refresh, so a `maintenance off` stops the operation at
    // its next step. Looks at most once a second: cheap enough to ask per slot moved.
    std::optional<std::string> verify();
    const maintenance_marker& marker() const { return marker_; }

  private:
    maintenance_hold(maintenance_place place, maintenance_marker marker,
                     std::optional<maintenance_marker> window);
    void refresh_loop();
    bool refresh();
    void release();

    maintenance_place place_;
    maintenance_marker marker_;
    std::optional<maintenance_marker> window_;  // the manual window it replaced
    std::int64_t lease_ = 0;                    // etcd only
    // etcd only: the connection take() opened, kept for refresh() (under refreshing_) and
    // release(), so a verify() per slot moved does not cost a connection each.
    std::optional<etcd_client> client_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::optional<std::string> lost_;
    std::chrono::steady_clock::time_point last_verified_{};
    std::mutex refreshing_;  // one refresh() at a time: the thread's or verify()'s
    std::thread refresher_;
};

}  // namespace warden::daemon
