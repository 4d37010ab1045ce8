// Several warden instances, one actor per cluster (DESIGN.md "Acting safely"): the
// instance whose etcd lease backs the key <prefix><cluster>/leader acts on that cluster.
//
// One thread per daemon: it holds one lease (granted with coordination.ttl, kept alive
// every ttl/3) and campaigns for every cluster about once a second, so a dead leader's
// clusters are taken within ttl + about a second. A keep-alive that fails, or that finds
// the lease gone, ends leadership at once: warden never acts on a lease it cannot prove.
// Actions are fenced from the action's own thread: a txn that writes the action record
// only while the leader key still has our create revision and identity.
//
// With coordination.backend none there is no thread and no etcd: every cluster may act
// and the fence always passes (today's single-instance behaviour).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.hpp"
#include "controller/core/coordination/leadership.hpp"
#include "controller/core/coordination/maintenance.hpp"
#include "controller/core/result.hpp"
#include "controller/daemon/etcd_client.hpp"
#include "controller/daemon/leadership_status.hpp"
#include "probes/completion.hpp"

namespace warden::daemon {

// Proof that the fence passed: where the action is recorded, to add its outcome later.
struct action_ticket {
    std::string key;  // empty with backend none: nothing is recorded
    action_record record;
};

class coordinator {
  public:
    coordinator(config::coordination_settings settings, std::string identity);
    ~coordinator();  // stops the thread; the lease is revoked only by release()
    coordinator(const coordinator&) = delete;
    coordinator& operator=(const coordinator&) = delete;

    const config::coordination_settings& settings() const { return settings_; }
    // Campaign rounds run every min(ttl/3, 1 s, half the shortest poll interval): a follower
    // takes a dead leader's clusters within ttl + one poll interval.
    void set_clusters(const std::vector<std::string>& clusters,
                      std::chrono::milliseconds shortest_poll_interval);
    void start();
    // Stops campaigning and revokes the lease, so another instance takes over at once
    // instead of after the TTL; bounded by `budget` (a stuck etcd call just lets it expire).
    void release(std::chrono::milliseconds budget);
    // False while the thread is stuck in an etcd call after release(): destroying the
    // coordinator then would wait for that call.
    bool idle() const { return !thread_.joinable() || finished_.done(); }

    leadership_status status(const std::string& cluster) const;
    // Local proof, then the fence txn that records `what` as started. `reuse` repeats an
    // earlier fence of the same action (a later step of it) under the same record key.
    result<action_ticket> fence(const std::string& cluster, action_record what,
                                const std::string& reuse = {});
    // Rewrites the record with its outcome (and prunes records older than a week).
    void record_outcome(const std::string& cluster, action_ticket ticket);

  private:
    struct cluster_entry {
        cluster_lease_state state;
        std::optional<action_record> last_action;
        std::optional<maintenance_marker> maintenance;  // as the last round read it
    };

    void run();
    void round(etcd_client& client);
    bool keep_lease(etcd_client& client);
    void campaign(etcd_client& client, const std::string& cluster);
    void read_last_action(etcd_client& client, const std::string& cluster);
    void read_maintenance(etcd_client& client, const std::string& cluster);
    void set_available(bool available, const std::string& problem);
    void drop_leadership();
    etcd_client make_client(std::chrono::milliseconds timeout) const;

    config::coordination_settings settings_;
    std::string identity_;
    std::chrono::milliseconds request_timeout_;
    std::shared_ptr<etcd_session> session_;  // endpoints, TLS context, auth token

    mutable std::mutex mutex_;  // guards the fields below
    std::chrono::milliseconds round_interval_;
    std::map<std::string, cluster_entry> clusters_;
    lease_proof lease_;
    steady_time next_keepalive_{};
    bool available_ = true;
    std::string problem_;
    bool stop_ = false;
    std::condition_variable wake_;

    probes::completion finished_;
    std::thread thread_;
};

}  // namespace warden::daemon
