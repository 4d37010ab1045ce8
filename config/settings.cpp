#include "config/settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <sys/stat.h>

#include "config/notify_settings.hpp"
#include "config/yaml_walk.hpp"
#include "controller/core/audit/sha256.hpp"
#include "controller/core/coordination/etcd_protocol.hpp"
#include "controller/core/parse/endpoint.hpp"

namespace warden::config {

namespace detail {

milliseconds duration_at(const yaml_cursor& at) {
    auto parsed = parse_duration(at.scalar());
    if (!parsed) throw at.fail(parsed.failure().message);
    return *parsed;
}

std::string choice_at(const yaml_cursor& at, const std::set<std::string>& allowed) {
    auto text = at.scalar();
    if (allowed.count(text) == 0) {
        std::string options;
        for (const auto& name : allowed) options += (options.empty() ? "" : ", ") + name;
        throw at.fail(fmt::format("'{}' is not one of: {}", text, options));
    }
    return text;
}

std::string readable_file_at(const yaml_cursor& at) {
    auto path = at.scalar();
    std::ifstream file(path);
    if (!file) throw at.fail(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    return path;
}

std::string readable_directory_at(const yaml_cursor& at) {
    auto path = at.scalar();
    struct stat found {};
    if (::stat(path.c_str(), &found) != 0) {
        throw at.fail(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    }
    if (!S_ISDIR(found.st_mode)) throw at.fail(fmt::format("'{}' is not a directory", path));
    return path;
}

// `insecure` is never implied: only `insecure: true` written here turns verification off.
tls_settings read_tls(const yaml_cursor& at, const std::set<std::string>& also_allowed) {
    std::set<std::string> allowed{"ca_file",  "ca_dir",      "cert_file",
                                  "key_file", "server_name", "insecure"};
    allowed.insert(also_allowed.begin(), also_allowed.end());
    at.expect_map(allowed);
    tls_settings tls;
    if (at.has("ca_file")) tls.ca_file = readable_file_at(at.child("ca_file"));
    if (at.has("ca_dir")) tls.ca_dir = readable_directory_at(at.child("ca_dir"));
    if (at.has("cert_file")) tls.cert_file = readable_file_at(at.child("cert_file"));
    if (at.has("key_file")) tls.key_file = readable_file_at(at.child("key_file"));
    if (at.has("server_name")) {
        tls.server_name = at.child("server_name").scalar();
        if (tls.server_name->empty()) throw at.child("server_name").fail("empty server name");
    }
    if (at.has("insecure")) tls.insecure = at.child("insecure").boolean();
    if (tls.cert_file.has_value() != tls.key_file.has_value()) {
        throw at.fail("cert_file and key_file go together (a client certificate and its key)");
    }
    return tls;
}

}  // namespace detail

namespace {

using detail::choice_at;
using detail::config_error;
using detail::duration_at;
using detail::read_tls;
using detail::yaml_cursor;

std::string endpoint_at(const yaml_cursor& at) {
    auto text = at.scalar();
    auto parsed = parse_endpoint(text);
    if (!parsed) throw at.fail(parsed.failure().message);
    return text;
}

std::vector<std::string> endpoints_at(const yaml_cursor& at) {
    std::vector<std::string> values;
    for (const auto& item : at.items()) values.push_back(endpoint_at(item));
    return values;
}

heal_settings read_heal(const yaml_cursor& at) {
    at.expect_map({"mode", "min_replicas_per_master", "grace", "max_actions_per_minute", "spares",
                   "takeover", "takeover_after", "fix_placement", "verify_timeout", "fast_sync"});
    heal_settings heal;
    if (at.has("mode")) {
        heal.mode = choice_at(at.child("mode"), {"observe", "heal"}) == "heal" ? heal_mode::heal
                                                                               : heal_mode::observe;
    }
    if (at.has("min_replicas_per_master")) {
        heal.min_replicas_per_master = at.child("min_replicas_per_master").integer(1, 100);
    }
    if (at.has("grace")) heal.grace = duration_at(at.child("grace"));
    if (at.has("max_actions_per_minute")) {
        heal.max_actions_per_minute = at.child("max_actions_per_minute").integer(0, 1000);
    }
    if (at.has("spares")) heal.spares = endpoints_at(at.child("spares"));
    if (at.has("takeover")) heal.takeover = at.child("takeover").boolean();
    if (at.has("takeover_after")) heal.takeover_after = duration_at(at.child("takeover_after"));
    if (at.has("fix_placement")) heal.fix_placement = at.child("fix_placement").boolean();
    if (at.has("verify_timeout")) heal.verify_timeout = duration_at(at.child("verify_timeout"));
    if (at.has("fast_sync")) heal.fast_sync = at.child("fast_sync").boolean();
    return heal;
}

failure_domain_policy read_domains(const yaml_cursor& at) {
    if (!at.node().IsMap()) throw at.fail("expected a mapping of CIDR: zone");
    failure_domain_policy policy;
    for (const auto& entry : at.node()) {
        auto cidr_text = entry.first.as<std::string>();
        auto block = parse_cidr(cidr_text);
        if (!block) throw at.child(cidr_text).fail(block.failure().message);
        policy.zones.push_back({*block, entry.second.as<std::string>()});
    }
    return policy;
}

auth_settings read_auth(const yaml_cursor& at, const secret_reader& read_secret) {
    at.expect_map({"username", "password_file"});
    auth_settings auth;
    if (at.has("username")) auth.username = at.child("username").scalar();
    if (at.has("password_file")) {
        auto file = at.child("password_file");
        auth.password_file = file.scalar();
        auto secret = read_secret(*auth.password_file);
        if (!secret) throw file.fail(secret.failure().message);
        auth.password = std::move(*secret);
    }
    if (auth.username && !auth.password) throw at.fail("username needs a password_file");
    return auth;
}

cluster_settings read_cluster(const yaml_cursor& at, const secret_reader& read_secret) {
    at.expect_map({"name", "seeds", "auth", "tls", "poll_interval", "timeout", "security_interval",
                   "failure_domains", "heal"});
    cluster_settings cluster;
    if (!at.has("name")) throw at.fail("missing 'name'");
    cluster.name = at.child("name").scalar();
    if (cluster.name.empty()) throw at.child("name").fail("empty cluster name");
    if (!at.has("seeds")) throw at.fail("missing 'seeds'");
    cluster.seeds = endpoints_at(at.child("seeds"));
    if (cluster.seeds.empty()) throw at.child("seeds").fail("needs at least one HOST:PORT");
    if (at.has("auth")) cluster.auth = read_auth(at.child("auth"), read_secret);
    if (at.has("tls")) {
        auto section = at.child("tls");
        cluster.tls = read_tls(section, {"expiry_warning_days", "expiry_critical_days"});
        if (section.has("expiry_warning_days")) {
            cluster.certificate_warning_days =
                section.child("expiry_warning_days").integer(1, 3650);
        }
        if (section.has("expiry_critical_days")) {
            cluster.certificate_critical_days =
                section.child("expiry_critical_days").integer(0, 3650);
        }
        if (cluster.certificate_critical_days > cluster.certificate_warning_days) {
            throw section.fail("expiry_critical_days is more than expiry_warning_days");
        }
    }
    if (at.has("poll_interval")) cluster.poll_interval = duration_at(at.child("poll_interval"));
    if (at.has("timeout")) cluster.timeout = duration_at(at.child("timeout"));
    if (at.has("security_interval")) {
        cluster.security_interval = duration_at(at.child("security_interval"));
    }
    if (at.has("failure_domains"))
        cluster.failure_domains = read_domains(at.child("failure_domains"));
    if (at.has("heal")) cluster.heal = read_heal(at.child("heal"));
    return cluster;
}

std::vector<std::string> etcd_endpoints_at(const yaml_cursor& at) {
    std::vector<std::string> values;
    for (const auto& item : at.items()) {
        auto text = item.scalar();
        if (auto parsed = parse_etcd_endpoint(text); !parsed)
            throw item.fail(parsed.failure().message);
        values.push_back(text);
    }
    return values;
}

// What counts as TLS is parse_etcd_endpoint's to say (the endpoints are validated already).
bool any_https(const std::vector<std::string>& endpoints) {
    return std::any_of(endpoints.begin(), endpoints.end(), [](const std::string& url) {
        auto parsed = parse_etcd_endpoint(url);
        return parsed && parsed->tls;
    });
}

std::optional<std::string> password_hash(const auth_settings& auth) {
    if (!auth.password) return std::nullopt;
    return sha256_hex(*auth.password);
}

coordination_settings read_coordination(const yaml_cursor& at, const secret_reader& read_secret) {
    at.expect_map({"backend", "endpoints", "prefix", "ttl", "tls", "auth"});
    coordination_settings coordination;
    if (at.has("backend")) coordination.backend = choice_at(at.child("backend"), {"none", "etcd"});
    if (at.has("endpoints")) coordination.endpoints = etcd_endpoints_at(at.child("endpoints"));
    if (at.has("prefix")) {
        coordination.prefix = at.child("prefix").scalar();
        if (coordination.prefix.empty()) throw at.child("prefix").fail("empty prefix");
    }
    if (at.has("ttl")) {
        coordination.ttl = duration_at(at.child("ttl"));
        // etcd raises shorter leases to its minimum (1.5 s, rounded up, with the default
        // election timeout); a TTL warden cannot count on would make its fence lie.
        if (coordination.ttl < milliseconds(2000))
            throw at.child("ttl").fail("ttl must be at least 2s");
    }
    if (coordination.backend == "etcd" && coordination.endpoints.empty()) {
        throw at.fail("backend etcd needs endpoints");
    }
    if (at.has("tls")) {
        coordination.tls = read_tls(at.child("tls"));
        if (!any_https(coordination.endpoints)) {
            throw at.child("tls").fail("tls applies to https:// endpoints and none is configured");
        }
    }
    if (at.has("auth")) {
        coordination.auth = read_auth(at.child("auth"), read_secret);
        if (coordination.auth.password && !coordination.auth.username) {
            throw at.child("auth").fail("etcd auth needs a username with the password_file");
        }
    }
    return coordination;
}

settings read_settings(const yaml_cursor& root, const secret_reader& read_secret) {
    root.expect_map({"listen", "state_dir", "log", "events", "notify", "clusters", "coordination"});
    settings result;
    if (root.has("listen")) result.listen = endpoint_at(root.child("listen"));
    if (root.has("state_dir")) {
        result.state_dir = root.child("state_dir").scalar();
        if (result.state_dir.empty()) throw root.child("state_dir").fail("must not be empty");
    }
    if (root.has("log")) {
        auto log = root.child("log");
        log.expect_map({"level", "format"});
        if (log.has("level")) {
            result.log.level = choice_at(
                log.child("level"), {"trace", "debug", "info", "warn", "error", "critical", "off"});
        }
        if (log.has("format")) result.log.format = choice_at(log.child("format"), {"text", "json"});
    }
    if (root.has("events")) {
        auto events = root.child("events");
        events.expect_map({"keep"});
        if (events.has("keep")) result.events.keep = events.child("keep").integer(1, 1000000);
    }
    if (root.has("notify")) result.notify = detail::read_notify(root.child("notify"), read_secret);
    if (!root.has("clusters")) throw root.fail("missing 'clusters'");
    std::set<std::string> names;
    for (const auto& item : root.child("clusters").items()) {
        auto cluster = read_cluster(item, read_secret);
        if (!names.insert(cluster.name).second) {
            throw item.child("name").fail(fmt::format("duplicate cluster name '{}'", cluster.name));
        }
        result.clusters.push_back(std::move(cluster));
    }
    if (result.clusters.empty()) throw root.child("clusters").fail("needs at least one cluster");
    for (auto& cluster : result.clusters) cluster.heal.state_dir = result.state_dir;
    if (root.has("coordination"))
        result.coordination = read_coordination(root.child("coordination"), read_secret);
    return result;
}

}  // namespace

std::string default_state_dir() {
    // systemd passes StateDirectory= as $STATE_DIRECTORY (several paths are ':'-separated).
    const char* from_systemd = std::getenv("STATE_DIRECTORY");
    if (from_systemd != nullptr && *from_systemd != '\0') {
        std::string_view paths(from_systemd);
        return std::string(paths.substr(0, paths.find(':')));
    }
    return "/var/lib/redis-warden";
}

result<milliseconds> parse_duration(std::string_view text) {
    auto unit_at = text.find_first_not_of("0123456789.");
    auto number = text.substr(0, unit_at);
    auto unit = unit_at == std::string_view::npos ? std::string_view{} : text.substr(unit_at);
    double value = 0;
    auto [end, status] = std::from_chars(number.data(), number.data() + number.size(), value);
    double scale = unit == "ms"  ? 1
                   : unit == "s" ? 1e3
                   : unit == "m" ? 60e3
                   : unit == "h" ? 3600e3
                                 : 0;
    if (number.empty() || status != std::errc{} || end != number.data() + number.size() ||
        scale == 0) {
        return error{fmt::format("'{}' is not a duration (e.g. 500ms, 2s, 1m, 1h)", text)};
    }
    if (value * scale < 1 || value * scale > 7 * 24 * 3600e3) {
        return error{fmt::format("duration '{}' is out of range (1ms..7d)", text)};
    }
    return milliseconds(static_cast<long long>(value * scale));
}

bool operator==(const coordination_settings& a, const coordination_settings& b) {
    return a.backend == b.backend && a.endpoints == b.endpoints && a.prefix == b.prefix &&
           a.ttl == b.ttl && a.tls == b.tls && a.auth.username == b.auth.username &&
           a.auth.password_file == b.auth.password_file &&
           password_hash(a.auth) == password_hash(b.auth);
}

result<std::string> read_secret_file(const std::string& path) {
    std::ifstream file(path);
    if (!file)
        return error{fmt::format("cannot read password file '{}': {}", path, std::strerror(errno))};
    std::string line;
    std::getline(file, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return error{fmt::format("password file '{}' is empty", path)};
    return line;
}

result<settings> parse_settings(const std::string& yaml_text, const std::string& source_name,
                                const secret_reader& read_secret) {
    try {
        auto root = YAML::Load(yaml_text);
        return read_settings(yaml_cursor(root, source_name, ""), read_secret);
    } catch (const config_error& failure) {
        return error{failure.message};
    } catch (const YAML::Exception& failure) {
        return error{fmt::format("{}:{}:{}: {}", source_name, failure.mark.line + 1,
                                 failure.mark.column + 1, failure.msg)};
    }
}

result<settings> load_settings(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return error{fmt::format("cannot read config '{}': {}", path, std::strerror(errno))};
    std::ostringstream text;
    text << file.rdbuf();
    return parse_settings(text.str(), path);
}

}  // namespace warden::config
