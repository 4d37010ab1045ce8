// Settings: the validated form of the YAML config (DESIGN.md "Config"). Loading is a
// process edge; everything after it gets plain values. Durations are milliseconds.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/core/events/notify_policy.hpp"
#include "controller/core/events/webhook_payload.hpp"
#include "controller/core/result.hpp"
#include "controller/core/tls.hpp"
#include "controller/core/topology/failure_domain.hpp"

namespace warden::config {

using milliseconds = std::chrono::milliseconds;

enum class heal_mode { observe, heal };

// Where warden keeps what must survive its restart (the fast-sync ledger): $STATE_DIRECTORY
// (systemd's StateDirectory=) when set, else /var/lib/redis-warden.
std::string default_state_dir();

struct heal_settings {
    heal_mode mode = heal_mode::observe;
    int min_replicas_per_master = 1;
    milliseconds grace{2000};
    int max_actions_per_minute = 2;
    std::vector<std::string> spares;
    bool takeover = false;
    std::optional<milliseconds> takeover_after;  // default: 3 x cluster-node-timeout
    // Extensions: also act on replicas_below_target / replica_same_host when spare capacity
    // exists (orphans are always covered); how long a moved replica has to show link up.
    bool fix_placement = true;
    milliseconds verify_timeout{30000};
    // Lower repl-diskless-sync-delay to 0 on the master a replica is moved under, for the
    // move (controller/core/planner/fast_sync.hpp).
    bool fast_sync = true;
    std::string state_dir = default_state_dir();  // the top-level state_dir, copied here
};

struct auth_settings {
    std::optional<std::string> username;
    std::optional<std::string> password_file;
    std::optional<std::string> password;  // read from password_file; a secret, never printed
};

struct cluster_settings {
    std::string name;
    std::vector<std::string> seeds;
    auth_settings auth;
    // Present: every connection to the cluster's nodes is TLS (DESIGN.md "TLS").
    std::optional<tls_settings> tls;
    int certificate_warning_days = 30;  // tls.expiry_warning_days
    int certificate_critical_days = 7;  // tls.expiry_critical_days
    milliseconds poll_interval{1000};
    milliseconds timeout{500};
    milliseconds security_interval{60000};
    failure_domain_policy failure_domains;
    heal_settings heal;
};

struct coordination_settings {
    std::string backend = "none";  // none | etcd
    std::vector<std::string> endpoints;
    std::string prefix = "/redis-warden/";
    milliseconds ttl{10000};
    // TLS to https:// etcd endpoints: the server's certificate is checked against ca_file (or
    // the system's CAs) and the endpoint's host name; cert_file + key_file when etcd asks
    // for a client certificate (--client-cert-auth). Paths, checked readable at load.
    tls_settings tls;
    auth_settings auth;  // etcd user (username + password_file) when etcd has auth enabled
    // Passwords are compared by hash, never as text.
    friend bool operator==(const coordination_settings& a, const coordination_settings& b);
};

struct log_settings {
    std::string level = "info";
    std::string format = "text";  // text | json
};

// The daemon's event journal (GET /events): how many recent events it keeps in memory.
struct events_settings {
    int keep = 1000;
    friend bool operator==(const events_settings&, const events_settings&) = default;
};

enum class sink_kind { exec, webhook, alertmanager };

// One entry of `notify:` (issue 19): an exec hook, called as Sentinel calls its
// notification-script, a webhook, or Alertmanager's API (active findings as alerts). Each sink gets
// the events its filter takes.
struct notify_sink_settings {
    sink_kind kind = sink_kind::exec;
    std::string name;     // the sink label of notifications_total; default "<kind>-<index>"
    std::string program;  // exec: an executable file's path
    std::string url;      // webhook: http(s)://HOST:PORT/PATH; alertmanager: its base URL
    webhook_format format = webhook_format::warden;
    // webhook: `headers:` as written, then `header_files:` (values read from files at load:
    // secrets, never logged).
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<tls_settings> tls;      // webhook over https: the profile (default: system CAs)
    event_filter filter;                  // `events:` and `min_severity:`
    milliseconds timeout{60000};          // exec: killed after this; webhook default 10s
    milliseconds retry_interval{30000};   // after exit 1 / a kill / no answer / 5xx: 10 tries
    milliseconds resend_interval{60000};  // alertmanager: active findings sent again
    friend bool operator==(const notify_sink_settings&, const notify_sink_settings&) = default;
};

struct settings {
    std::string listen = "127.0.0.1:9736";
    std::string state_dir = default_state_dir();
    log_settings log;
    events_settings events;
    std::vector<notify_sink_settings> notify;
    std::vector<cluster_settings> clusters;
    coordination_settings coordination;
};

// Reads a secret file: first line, without the newline. Replaceable in tests.
using secret_reader = std::function<result<std::string>(const std::string& path)>;
result<std::string> read_secret_file(const std::string& path);

// Errors read "FILE:LINE:COL: key 'clusters[0].timeout': ..." (1-based line and column).
result<settings> parse_settings(const std::string& yaml_text, const std::string& source_name,
                                const secret_reader& read_secret = read_secret_file);
result<settings> load_settings(const std::string& path);

// "500ms", "2s", "1.5s", "1m", "1h" -> milliseconds.
result<milliseconds> parse_duration(std::string_view text);

}  // namespace warden::config
