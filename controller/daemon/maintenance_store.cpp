#include "controller/daemon/maintenance_store.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "controller/core/coordination/etcd_protocol.hpp"
#include "controller/daemon/etcd_client.hpp"
#include "controller/executor/state_files.hpp"

namespace warden::daemon {
namespace {

using executor::unix_seconds_now;

// A file marker is pushed this far ahead, this often: a dead CLI's marker lapses within
// the horizon, and a live one's never comes closer to lapsing than horizon - interval.
constexpr double file_horizon_seconds = 60;
constexpr auto file_refresh_interval = std::chrono::seconds(15);
constexpr auto verify_interval = std::chrono::seconds(1);
constexpr auto etcd_call_timeout = std::chrono::milliseconds(3000);

std::string file_of(const maintenance_place& place) {
    return place.state_dir + "/" + maintenance_file_name(place.cluster);
}

std::string key_of(const maintenance_place& place) {
    return maintenance_key(place.etcd->prefix, place.cluster);
}

std::int64_t ttl_seconds(double seconds) {
    return std::max<std::int64_t>(2, static_cast<std::int64_t>(std::ceil(seconds)));
}

// An operation's file marker whose process is gone (on this host) is stale at once.
bool stale(const maintenance_marker& marker) {
    return marker.operation != "manual" && !executor::owner_alive(marker.holder);
}

result<std::optional<maintenance_marker>> read_file_marker(const maintenance_place& place) {
    auto path = file_of(place);
    auto text = executor::read_if_exists(path);
    if (!text) return text.failure();
    if (!*text) return std::optional<maintenance_marker>{};
    auto marker = parse_marker(**text);
    if (!marker) return error{fmt::format("{}: {}", path, marker.failure().message)};
    if (!marker_active(*marker, unix_seconds_now()) || stale(*marker)) {
        return std::optional<maintenance_marker>{};
    }
    return std::optional<maintenance_marker>{std::move(*marker)};
}

struct etcd_marker {
    maintenance_marker marker;
    std::int64_t lease = 0;
};

result<std::optional<etcd_marker>> read_etcd_marker(etcd_client& client,
                                                    const maintenance_place& place) {
    auto reply = client.post(get_call(key_of(place)));
    auto found = reply ? parse_range(*reply) : result<std::vector<etcd_key_value>>(reply.failure());
    if (!found) return error{"etcd: " + found.failure().message};
    if (found->empty()) return std::optional<etcd_marker>{};
    auto marker = parse_marker(found->front().value);
    if (!marker) {
        return error{fmt::format("etcd key {}: {}", key_of(place), marker.failure().message)};
    }
    if (!marker_active(*marker, unix_seconds_now())) return std::optional<etcd_marker>{};
    return std::optional<etcd_marker>{etcd_marker{std::move(*marker), found->front().lease}};
}

result<std::int64_t> grant(etcd_client& client, std::int64_t seconds) {
    auto reply = client.post(grant_call(std::chrono::seconds(seconds)));
    auto granted = reply ? parse_grant(*reply) : result<lease_grant>(reply.failure());
    if (!granted) return error{"etcd lease grant: " + granted.failure().message};
    return granted->id;
}

result<void> done_or(const result<etcd_reply>& reply, const std::string& what) {
    auto done = reply ? parse_done(*reply) : result<bool>(reply.failure());
    if (!done) return error{fmt::format("etcd {}: {}", what, done.failure().message)};
    return {};
}

// The manual window `marker` on a lease that ends with it.
result<void> put_window(etcd_client& client, const maintenance_place& place,
                        const maintenance_marker& marker) {
    auto lease = grant(client, ttl_seconds(marker.until - unix_seconds_now()));
    if (!lease) return lease.failure();
    return done_or(client.post(put_call(key_of(place), marker_json(marker), *lease)), "put");
}

// Readable by everyone: the daemon runs as its own user and the operator's command may run
// under a umask of 077; a marker holds no secret.
result<void> write_marker_file(const std::string& path, const maintenance_marker& marker) {
    if (auto written = executor::write_replacing(path, marker_json(marker)); !written)
        return written;
    if (::chmod(path.c_str(), 0644) != 0) return executor::file_error("chmod", path);
    return {};
}

result<void> ensure_folder(const std::string& folder) {
    std::error_code failed;
    std::filesystem::create_directories(folder, failed);
    if (failed) {
        return error{fmt::format("cannot create state_dir {}: {}", folder, failed.message())};
    }
    return {};
}

// Writes `marker` as the cluster's file marker unless another operation holds the cluster;
// returns the (manual) marker it replaced, if any.
result<std::optional<maintenance_marker>> claim_file(const maintenance_place& place,
                                                     const maintenance_marker& marker) {
    auto present = read_file_marker(place);
    if (!present) return present.failure();
    if (auto conflict = maintenance_conflict(*present, unix_seconds_now()); !conflict.empty())
        return error{conflict};
    if (auto made = ensure_folder(place.state_dir); !made) return made.failure();
    if (auto written = write_marker_file(file_of(place), marker); !written)
        return written.failure();
    return present;
}

}  // namespace

std::string maintenance_place::describe() const {
    return etcd ? fmt::format("etcd key {}", maintenance_key(etcd->prefix, cluster))
                : fmt::format("file {}/{}", state_dir, maintenance_file_name(cluster));
}

maintenance_place maintenance_place_of(const config::settings& settings,
                                       const std::string& cluster) {
    maintenance_place place{cluster, settings.state_dir, std::nullopt};
    if (settings.coordination.backend == "etcd") place.etcd = settings.coordination;
    return place;
}

result<std::optional<maintenance_marker>> read_maintenance(const maintenance_place& place) {
    if (!place.etcd) return read_file_marker(place);
    etcd_client client(std::make_shared<etcd_session>(*place.etcd), etcd_call_timeout);
    auto found = read_etcd_marker(client, place);
    if (!found) return found.failure();
    if (!*found) return std::optional<maintenance_marker>{};
    return std::optional<maintenance_marker>{(*found)->marker};
}

std::optional<maintenance_marker> read_maintenance_file(const std::string& state_dir,
                                                        const std::string& cluster,
                                                        std::string* problem) {
    auto found = read_file_marker({cluster, state_dir, std::nullopt});
    if (!found) {
        if (problem != nullptr) *problem = found.failure().message;
        return std::nullopt;
    }
    return *found;
}

result<void> set_maintenance(const maintenance_place& place, const maintenance_marker& marker) {
    if (!place.etcd) {
        auto replaced = claim_file(place, marker);
        if (!replaced) return replaced.failure();
        return {};
    }
    etcd_client client(std::make_shared<etcd_session>(*place.etcd), etcd_call_timeout);
    auto present = read_etcd_marker(client, place);
    if (!present) return present.failure();
    std::optional<maintenance_marker> there;
    if (*present) there = (*present)->marker;
    if (auto conflict = maintenance_conflict(there, unix_seconds_now()); !conflict.empty())
        return error{conflict};
    if (auto put = put_window(client, place, marker); !put) return put.failure();
    // The window it replaces goes with its lease (the key now hangs on the new one).
    if (*present && (*present)->lease != 0) (void)client.post(revoke_call((*present)->lease));
    return {};
}

result<bool> clear_maintenance(const maintenance_place& place) {
    if (!place.etcd) {
        auto path = file_of(place);
        if (std::remove(path.c_str()) == 0) return true;
        if (errno == ENOENT) return false;
        return executor::file_error("remove", path);
    }
    etcd_client client(std::make_shared<etcd_session>(*place.etcd), etcd_call_timeout);
    auto reply = client.post(get_call(key_of(place)));
    auto found = reply ? parse_range(*reply) : result<std::vector<etcd_key_value>>(reply.failure());
    if (!found) return error{"etcd: " + found.failure().message};
    if (found->empty()) return false;
    // Revoking the lease ends the holder's keep-alive too: a running operation notices.
    if (found->front().lease != 0) (void)client.post(revoke_call(found->front().lease));
    if (auto deleted = done_or(client.post(delete_call(key_of(place))), "delete"); !deleted)
        return deleted.failure();
    return true;
}

result<std::unique_ptr<maintenance_hold>> maintenance_hold::take(const maintenance_place& place,
                                                                 const std::string& operation,
                                                                 const std::string& reason) {
    auto now = unix_seconds_now();
    maintenance_marker marker{operation, reason, executor::this_process_owner(), now,
                              place.etcd ? 0 : now + file_horizon_seconds};
    std::unique_ptr<maintenance_hold> hold;
    if (!place.etcd) {
        auto window = claim_file(place, marker);
        if (!window) return window.failure();
        hold.reset(new maintenance_hold(place, marker, *window));
    } else {
        etcd_client client(std::make_shared<etcd_session>(*place.etcd), etcd_call_timeout);
        auto present = read_etcd_marker(client, place);
        if (!present) return present.failure();
        std::optional<maintenance_marker> window;
        if (*present) window = (*present)->marker;
        if (auto conflict = maintenance_conflict(window, now); !conflict.empty())
            return error{conflict};
        auto ttl = ttl_seconds(std::chrono::duration<double>(place.etcd->ttl).count());
        auto lease = grant(client, ttl);
        if (!lease) return lease.failure();
        // Inside a manual window: take the key over; otherwise only if nobody has it (a
        // second operation starting at the same moment loses here).
        auto value = marker_json(marker);
        if (window) {
            if (auto put = done_or(client.post(put_call(key_of(place), value, *lease)), "put");
                !put)
                return put.failure();
        } else {
            auto reply = client.post(campaign_call(key_of(place), value, *lease));
            auto won = reply ? parse_campaign(*reply) : result<campaign_reply>(reply.failure());
            if (!won) return error{"etcd: " + won.failure().message};
            if (!won->won) {
                (void)client.post(revoke_call(*lease));
                return error{"another planned operation took the maintenance marker just now"};
            }
        }
        hold.reset(new maintenance_hold(place, marker, window));
        hold->lease_ = *lease;
        hold->client_.emplace(std::move(client));
    }
    hold->refresher_ = std::thread([raw = hold.get()] { raw->refresh_loop(); });
    return hold;
}

maintenance_hold::maintenance_hold(maintenance_place place, maintenance_marker marker,
                                   std::optional<maintenance_marker> window)
    : place_(std::move(place)), marker_(std::move(marker)), window_(std::move(window)) {}

maintenance_hold::~maintenance_hold() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (refresher_.joinable()) refresher_.join();
    release();
}

std::optional<std::string> maintenance_hold::lost() const {
    std::lock_guard lock(mutex_);
    return lost_;
}

std::optional<std::string> maintenance_hold::verify() {
    {
        std::lock_guard lock(mutex_);
        auto now = std::chrono::steady_clock::now();
        if (lost_ || now - last_verified_ < verify_interval) return lost_;
        last_verified_ = now;
    }
    std::lock_guard refreshing(refreshing_);
    (void)refresh();
    return lost();
}

void maintenance_hold::refresh_loop() {
    auto interval =
        place_.etcd ? std::chrono::duration_cast<std::chrono::milliseconds>(place_.etcd->ttl / 3)
                    : std::chrono::milliseconds(file_refresh_interval);
    std::unique_lock lock(mutex_);
    while (!stop_ && !lost_) {
        wake_.wait_for(lock, interval, [this] { return stop_; });
        if (stop_) break;
        lock.unlock();
        bool kept = false;
        {
            std::lock_guard refreshing(refreshing_);
            kept = refresh();
        }
        lock.lock();
        if (!kept) break;
    }
}

bool maintenance_hold::refresh() {
    std::optional<std::string> problem;
    if (place_.etcd) {
        auto reply = client_->post(keepalive_call(lease_));
        auto ttl = reply ? parse_keepalive(*reply) : result<std::int64_t>(reply.failure());
        if (ttl && *ttl == 0) {
            problem =
                "the maintenance marker's etcd lease ended (maintenance off, or etcd was "
                "unreachable past its TTL)";
        }
        // A failed keep-alive is tried again next round; the lease outlives a few of them.
    } else {
        auto path = file_of(place_);
        auto text = executor::read_if_exists(path);
        auto marker = text && *text ? parse_marker(**text) : result<maintenance_marker>(error{""});
        if (!marker || marker->holder != marker_.holder || marker->since != marker_.since) {
            problem = fmt::format(
                "the maintenance marker {} was removed or replaced "
                "(maintenance off?)",
                path);
        } else {
            auto renewed = marker_;
            renewed.until = unix_seconds_now() + file_horizon_seconds;
            if (auto written = write_marker_file(path, renewed); !written)
                problem = written.failure().message;
        }
    }
    if (!problem) return true;
    std::lock_guard lock(mutex_);
    lost_ = std::move(problem);
    return false;
}

void maintenance_hold::release() {
    bool window_left = window_ && window_->until > unix_seconds_now() + 1;
    if (place_.etcd) {
        // The refresher has ended: the client is this thread's now.
        if (window_left) (void)put_window(*client_, place_, *window_);
        // Deletes the key with the lease, unless the window now hangs on its own.
        (void)client_->post(revoke_call(lease_));
        return;
    }
    if (lost()) return;  // not ours any more: leave it to whoever took it
    if (window_left) {
        (void)write_marker_file(file_of(place_), *window_);
    } else {
        (void)std::remove(file_of(place_).c_str());
    }
}

}  // namespace warden::daemon
