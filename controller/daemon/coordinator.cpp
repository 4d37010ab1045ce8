#include "controller/daemon/coordinator.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace warden::daemon {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr auto record_retention = std::chrono::hours(24 * 7);

bool coordinated(const config::coordination_settings& settings) {
    return settings.backend == "etcd";
}

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Leases are granted in whole seconds: round the configured TTL up, never down.
std::chrono::seconds lease_ttl(std::chrono::milliseconds ttl) {
    return std::chrono::seconds((ttl.count() + 999) / 1000);
}

}  // namespace

coordinator::coordinator(config::coordination_settings settings, std::string identity)
    : settings_(std::move(settings)),
      identity_(std::move(identity)),
      // Each call must end well within a keep-alive period, and SIGTERM within a second.
      request_timeout_(std::clamp<std::chrono::milliseconds>(settings_.ttl / 4, 250ms, 1000ms)),
      session_(std::make_shared<etcd_session>(settings_)),
      round_interval_(std::min<std::chrono::milliseconds>(settings_.ttl / 3, 1000ms)) {}

coordinator::~coordinator() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

etcd_client coordinator::make_client(std::chrono::milliseconds timeout) const {
    return etcd_client(session_, timeout);
}

void coordinator::set_clusters(const std::vector<std::string>& clusters,
                               std::chrono::milliseconds shortest_poll_interval) {
    std::lock_guard lock(mutex_);
    // Half a poll interval: etcd revokes an expired lease up to 500 ms late (its lessor checks
    // twice a second), so a round per poll interval would miss "ttl + poll_interval".
    round_interval_ =
        std::min({settings_.ttl / 3, std::chrono::milliseconds(1000),
                  std::max(shortest_poll_interval / 2, std::chrono::milliseconds(100))});
    std::map<std::string, cluster_entry> next;
    for (const auto& name : clusters) {
        auto found = clusters_.find(name);
        next[name] = found != clusters_.end() ? found->second : cluster_entry{};
    }
    clusters_ = std::move(next);
    wake_.notify_all();
}

void coordinator::start() {
    if (!coordinated(settings_) || thread_.joinable()) return;
    std::string endpoints;
    for (const auto& url : settings_.endpoints) endpoints += (endpoints.empty() ? "" : ",") + url;
    spdlog::info("coordination: etcd at {} as {}, lease ttl {} s, prefix {}", endpoints, identity_,
                 lease_ttl(settings_.ttl).count(), settings_.prefix);
    thread_ = std::thread([this] { run(); });
}

void coordinator::release(std::chrono::milliseconds budget) {
    auto deadline = clock::now() + budget;
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (!thread_.joinable()) return;  // never started: no lease to revoke
    // A call stuck on etcd: the lease will simply expire.
    if (!finished_.wait_until(deadline)) return;
    thread_.join();
    std::int64_t lease = 0;
    {
        std::lock_guard lock(mutex_);
        lease = lease_.id;
        lease_ = {};
        for (auto& [name, entry] : clusters_) entry.state.leader = false;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (lease == 0 || left < 50ms) return;
    auto client = make_client(left);
    auto revoked = client.post(revoke_call(lease));
    if (revoked && parse_done(*revoked)) spdlog::info("coordination: lease revoked");
}

leadership_status coordinator::status(const std::string& cluster) const {
    leadership_status status;
    status.identity = identity_;
    if (!coordinated(settings_)) return status;
    std::lock_guard lock(mutex_);
    status.coordinated = true;
    status.available = available_;
    status.problem = problem_;
    auto found = clusters_.find(cluster);
    if (found == clusters_.end()) {
        status.may_act = false;
        return status;
    }
    status.may_act = found->second.state.leader;
    status.holder = found->second.state.holder;
    status.last_action = found->second.last_action;
    status.maintenance = found->second.maintenance;
    return status;
}

void coordinator::run() {
    probes::mark_on_exit finished_on_exit(finished_);
    auto client = make_client(request_timeout_);
    std::unique_lock lock(mutex_);
    while (!stop_) {
        lock.unlock();
        round(client);
        lock.lock();
        wake_.wait_for(lock, round_interval_, [this] { return stop_; });
    }
}

// One round: keep (or get) the lease, then campaign for every cluster. Any failure makes
// etcd "unavailable" for this round; leadership already ended where it could not be proven.
void coordinator::round(etcd_client& client) {
    if (!keep_lease(client)) return;
    std::vector<std::string> names;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, entry] : clusters_) names.push_back(name);
    }
    for (const auto& name : names) campaign(client, name);
}

bool coordinator::keep_lease(etcd_client& client) {
    std::int64_t lease = 0;
    {
        std::lock_guard lock(mutex_);
        if (lease_.id != 0 && clock::now() < next_keepalive_) return true;
        lease = lease_.id;
    }
    auto sent = clock::now();
    if (lease != 0) {
        auto reply = client.post(keepalive_call(lease));
        auto ttl = reply ? parse_keepalive(*reply) : result<std::int64_t>(reply.failure());
        if (!ttl) {
            drop_leadership();  // cannot prove the lease any more
            set_available(false, "keep-alive failed: " + ttl.failure().message);
            return false;
        }
        if (*ttl > 0) {
            std::lock_guard lock(mutex_);
            lease_.valid_until = sent + std::chrono::seconds(*ttl);
            next_keepalive_ = sent + settings_.ttl / 3;
            return true;
        }
        spdlog::warn(
            "coordination: lease {:x} expired (frozen, or etcd unreachable past the ttl); "
            "taking a new one",
            static_cast<std::uint64_t>(lease));
        drop_leadership();
    }
    auto reply = client.post(grant_call(lease_ttl(settings_.ttl)));
    auto grant = reply ? parse_grant(*reply) : result<lease_grant>(reply.failure());
    if (!grant) {
        set_available(false, "lease grant failed: " + grant.failure().message);
        return false;
    }
    std::lock_guard lock(mutex_);
    lease_ = {grant->id, sent + std::chrono::seconds(grant->ttl_seconds)};
    next_keepalive_ = sent + settings_.ttl / 3;
    return true;
}

void coordinator::campaign(etcd_client& client, const std::string& cluster) {
    std::int64_t lease = 0;
    {
        std::lock_guard lock(mutex_);
        lease = lease_.id;
    }
    auto reply =
        client.post(campaign_call(leader_key(settings_.prefix, cluster), identity_, lease));
    auto outcome = reply ? parse_campaign(*reply) : result<campaign_reply>(reply.failure());
    if (!outcome) {
        {
            std::lock_guard lock(mutex_);
            auto found = clusters_.find(cluster);
            if (found != clusters_.end()) found->second.state.leader = false;
        }
        set_available(
            false, fmt::format("campaign for {} failed: {}", cluster, outcome.failure().message));
        return;
    }
    set_available(true, "");
    auto next = after_campaign(*outcome, identity_, lease);
    std::optional<std::string> change;
    {
        std::lock_guard lock(mutex_);
        auto found = clusters_.find(cluster);
        if (found == clusters_.end()) return;  // removed by a reload meanwhile
        change = describe_change(found->second.state, next);
        found->second.state = next;
    }
    read_maintenance(client, cluster);
    if (!change) return;
    spdlog::info("cluster={} coordination: {}", cluster, *change);
    if (next.leader) read_last_action(client, cluster);
}

// The cluster's maintenance key, read every round by leader and followers alike: every
// instance exports redis_warden_maintenance, and the leader skips its actions (the fence
// also requires the key absent, so a marker set between two rounds still stops them).
void coordinator::read_maintenance(etcd_client& client, const std::string& cluster) {
    auto reply = client.post(get_call(maintenance_key(settings_.prefix, cluster)));
    auto found = reply ? parse_range(*reply) : result<std::vector<etcd_key_value>>(reply.failure());
    if (!found) return;  // keep what we knew: the next round tries again
    std::optional<maintenance_marker> marker;
    if (!found->empty()) {
        auto parsed = parse_marker(found->front().value);
        if (parsed) {
            marker = std::move(*parsed);
        } else {
            // Unreadable, yet present: the fence refuses anyway, so say maintenance, for as
            // long as the key lives (until 0: bound to its lease).
            marker = maintenance_marker{"unknown", parsed.failure().message, "", 0, 0};
        }
    }
    std::lock_guard lock(mutex_);
    auto entry = clusters_.find(cluster);
    if (entry != clusters_.end()) entry->second.maintenance = std::move(marker);
}

// A new leader looks at what was last recorded: an action its predecessor started and
// never finished is worth a warning (the executor re-reads the cluster before acting).
void coordinator::read_last_action(etcd_client& client, const std::string& cluster) {
    auto reply = client.post(last_key_call(actions_prefix(settings_.prefix, cluster)));
    auto found = reply ? parse_range(*reply) : result<std::vector<etcd_key_value>>(reply.failure());
    if (!found || found->empty()) return;
    auto record = parse_record(found->front().value);
    if (!record) return;
    if (record->outcome == "started" && record->who != identity_) {
        spdlog::warn(
            "cluster={} coordination: the previous leader recorded no outcome for its "
            "last action, it may have died while acting: {}",
            cluster, describe_record(*record));
    } else {
        spdlog::info("cluster={} coordination: last recorded action: {}", cluster,
                     describe_record(*record));
    }
    std::lock_guard lock(mutex_);
    auto entry = clusters_.find(cluster);
    if (entry != clusters_.end()) entry->second.last_action = std::move(*record);
}

void coordinator::set_available(bool available, const std::string& problem) {
    std::lock_guard lock(mutex_);
    if (available == available_) {
        if (!available) problem_ = problem;
        return;
    }
    available_ = available;
    problem_ = problem;
    // Logged once per change, not per round.
    if (available) {
        spdlog::info("coordination: etcd reachable again; campaigning");
    } else {
        spdlog::warn("coordination: etcd unavailable ({}): observing and exporting, not acting",
                     problem);
    }
}

void coordinator::drop_leadership() {
    std::lock_guard lock(mutex_);
    for (auto& [name, entry] : clusters_) {
        if (entry.state.leader) {
            spdlog::warn("cluster={} coordination: lost leadership: the lease cannot be proven",
                         name);
        }
        entry.state.leader = false;
    }
}

result<action_ticket> coordinator::fence(const std::string& cluster, action_record what,
                                         const std::string& reuse) {
    what.who = identity_;
    if (!coordinated(settings_)) return action_ticket{{}, std::move(what)};
    cluster_lease_state state;
    lease_proof lease;
    {
        std::lock_guard lock(mutex_);
        auto found = clusters_.find(cluster);
        if (found != clusters_.end()) state = found->second.state;
        lease = lease_;
    }
    // The command must reach Redis while the lease certainly lives: keep a third of the TTL.
    auto margin = settings_.ttl / 3;
    if (auto refusal = local_fence_refusal(state, lease, clock::now(), margin)) {
        return error{*refusal};
    }
    auto key =
        reuse.empty() ? action_key(settings_.prefix, cluster, unix_ms_now(), lease.id) : reuse;
    auto client = make_client(request_timeout_);
    auto reply = client.post(fence_call(leader_key(settings_.prefix, cluster), identity_,
                                        state.create_revision, key, record_json(what),
                                        maintenance_key(settings_.prefix, cluster)));
    auto fenced = reply ? parse_fence(*reply) : result<fence_reply>(reply.failure());
    if (!fenced) return error{"cannot prove the lease: " + fenced.failure().message};
    if (auto refusal = fence_refusal(*fenced, identity_, state.create_revision)) {
        // A maintenance marker stops the action, not the leadership.
        if (!fenced->maintenance) {
            std::lock_guard lock(mutex_);
            auto found = clusters_.find(cluster);
            if (found != clusters_.end()) found->second.state.leader = false;
        }
        return error{*refusal};
    }
    if (auto late = local_fence_refusal(state, lease, clock::now(), margin)) {
        return error{"the fence took too long: " + *late};
    }
    return action_ticket{key, std::move(what)};
}

void coordinator::record_outcome(const std::string& cluster, action_ticket ticket) {
    if (ticket.key.empty()) return;
    auto cutoff_ms =
        unix_ms_now() -
        std::chrono::duration_cast<std::chrono::milliseconds>(record_retention).count();
    auto client = make_client(request_timeout_);
    auto reply = client.post(record_call(ticket.key, record_json(ticket.record),
                                         actions_prefix(settings_.prefix, cluster),
                                         action_key(settings_.prefix, cluster, cutoff_ms, 0)));
    auto done = reply ? parse_done(*reply) : result<bool>(reply.failure());
    if (!done) {
        spdlog::warn("cluster={} coordination: could not record the outcome under {}: {}", cluster,
                     ticket.key, done.failure().message);
    }
    std::lock_guard lock(mutex_);
    auto found = clusters_.find(cluster);
    if (found != clusters_.end()) found->second.last_action = std::move(ticket.record);
}

}  // namespace warden::daemon
