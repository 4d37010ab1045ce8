#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "config/settings.hpp"

using namespace warden;
using namespace warden::config;

namespace {

result<std::string> fake_secret(const std::string& path) {
    if (path == "/missing")
        return error{"cannot read password file '/missing': No such file or directory"};
    return std::string("s3cret");
}

result<settings> parse(const std::string& text) {
    return parse_settings(text, "warden.yaml", fake_secret);
}

std::string failure_of(const std::string& text) {
    auto parsed = parse(text);
    REQUIRE_FALSE(parsed.has_value());
    return parsed.failure().message;
}

const std::string minimal = "clusters:\n  - name: a\n    seeds: [127.0.0.1:7000]\n";

}  // namespace

TEST_CASE("the example config documents every key and loads") {
    std::ifstream file(std::string(WARDEN_SOURCE_DIR) + "/deploy/redis-warden.example.yaml");
    std::stringstream text;
    text << file.rdbuf();
    auto parsed = parse(text.str());
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.failure().message));
    const auto& cluster = parsed->clusters.at(0);
    CHECK(cluster.name == "sso-tokens");
    CHECK(cluster.seeds.size() == 2);
    CHECK(cluster.auth.username == "warden");
    CHECK(cluster.auth.password == "s3cret");
    CHECK(cluster.timeout == milliseconds(500));
    CHECK(cluster.failure_domains.zones.size() == 2);
    CHECK(cluster.heal.takeover_after == milliseconds(6000));
    CHECK(cluster.heal.fast_sync);
    CHECK(parsed->state_dir == "/var/lib/redis-warden");
    CHECK(cluster.heal.state_dir == parsed->state_dir);
    CHECK(parsed->coordination.ttl == milliseconds(10000));
}

TEST_CASE("a minimal config gets the documented defaults") {
    auto parsed = parse(minimal);
    REQUIRE(parsed.has_value());
    CHECK(parsed->listen == "127.0.0.1:9736");
    CHECK(parsed->clusters[0].poll_interval == milliseconds(1000));
    CHECK(parsed->clusters[0].heal.mode == heal_mode::observe);
    CHECK(parsed->coordination.backend == "none");
    CHECK(parsed->clusters[0].heal.fast_sync);
    CHECK(parsed->clusters[0].heal.state_dir == default_state_dir());
}

TEST_CASE("state_dir reaches every cluster and heal.fast_sync can be turned off") {
    auto parsed = parse("state_dir: /tmp/w\n" + minimal + "    heal:\n      fast_sync: false\n");
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.failure().message));
    CHECK(parsed->clusters[0].heal.state_dir == "/tmp/w");
    CHECK_FALSE(parsed->clusters[0].heal.fast_sync);
    CHECK(failure_of("state_dir: ''\n" + minimal).find("state_dir") != std::string::npos);
}

TEST_CASE("events.keep bounds the daemon's event journal, 1000 by default") {
    CHECK(parse(minimal)->events.keep == 1000);
    CHECK(parse("events: {keep: 20}\n" + minimal)->events.keep == 20);
    CHECK(failure_of("events: {keep: 0}\n" + minimal) ==
          "warden.yaml:1:16: key 'events.keep': '0' is not an integer in 1..1000000");
    CHECK(failure_of("events: {kept: 5}\n" + minimal).find("key 'events.kept': unknown key") !=
          std::string::npos);
}

TEST_CASE("notify: exec sinks with their filter, names and bounds") {
    auto parsed = parse(
        "notify:\n  - exec: /bin/true\n    events: [failover, node_failing]\n"
        "    min_severity: warning\n  - {exec: /bin/true, name: pager, timeout: 5s, "
        "retry_interval: 1s}\n" +
        minimal);
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.failure().message));
    REQUIRE(parsed->notify.size() == 2);
    const auto& first = parsed->notify[0];
    CHECK(first.name == "exec-0");
    CHECK(first.program == "/bin/true");
    CHECK(first.filter.types ==
          std::vector<event_type>{event_type::failover, event_type::node_failing});
    CHECK(first.filter.min_severity == event_severity::warning);
    CHECK(first.timeout == milliseconds(60000));
    CHECK(first.retry_interval == milliseconds(30000));
    CHECK(parsed->notify[1].name == "pager");
    CHECK(parsed->notify[1].timeout == milliseconds(5000));
    CHECK(parse(minimal)->notify.empty());
}

TEST_CASE("notify: a sink's program must be executable and its filter must name known things") {
    auto readme = std::string(WARDEN_SOURCE_DIR) + "/README.md";  // a file, not a program
    CHECK(failure_of("notify:\n  - exec: " + readme + "\n" + minimal) ==
          "warden.yaml:2:11: key 'notify[0].exec': '" + readme + "' is not an executable file");
    CHECK(failure_of("notify:\n  - exec: true\n" + minimal) ==
          "warden.yaml:2:11: key 'notify[0].exec': needs an absolute path");
    CHECK(failure_of("notify:\n  - exec: /missing/hook\n" + minimal)
              .find("cannot read '/missing/hook': No such file or directory") != std::string::npos);
    CHECK(failure_of("notify:\n  - {exec: /bin/true, events: [switch-master]}\n" + minimal)
              .find("key 'notify[0].events[0]': 'switch-master' is not an event type (known: "
                    "failover,") != std::string::npos);
    CHECK(failure_of("notify:\n  - {exec: /bin/true, min_severity: ok}\n" + minimal)
              .find("'ok' is not one of: critical, info, warning") != std::string::npos);
    CHECK(failure_of("notify:\n  - {webhook: http://x/}\n" + minimal)
              .find("key 'notify[0].webhook': 'http://x/': invalid address 'x': missing port") !=
          std::string::npos);
    CHECK(failure_of("notify:\n  - {name: a}\n" + minimal)
              .find("needs one of 'exec: PROGRAM', 'webhook: URL' or 'alertmanager: URL'") !=
          std::string::npos);
    CHECK(failure_of("notify:\n  - {exec: /bin/true, format: warden}\n" + minimal)
              .find("key 'notify[0].format': does not apply to an exec sink") != std::string::npos);
    CHECK(failure_of("notify:\n  - {webhook: 'http://x:80/', tls: {insecure: true}}\n" + minimal)
              .find("tls applies to an https:// webhook") != std::string::npos);
    CHECK(failure_of("notify:\n  - {exec: /bin/true, name: a}\n  - {exec: /bin/true, name: "
                     "a}\n" +
                     minimal)
              .find("duplicate sink name 'a'") != std::string::npos);
}

TEST_CASE("notify: a webhook with its format, headers (secret ones from files) and TLS") {
    auto parsed = parse(
        "notify:\n  - webhook: https://hooks.example:8443/redis?x=1\n    format: alertmanager\n"
        "    headers: {X-Team: redis}\n    header_files: {Authorization: /etc/hook.token}\n"
        "    tls: {insecure: true}\n" +
        minimal);
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.failure().message));
    const auto& hook = parsed->notify.at(0);
    CHECK(hook.kind == sink_kind::webhook);
    CHECK(hook.name == "webhook-0");
    CHECK(hook.url == "https://hooks.example:8443/redis?x=1");
    CHECK(hook.format == webhook_format::alertmanager);
    CHECK(hook.headers == std::vector<std::pair<std::string, std::string>>{
                              {"X-Team", "redis"}, {"Authorization", "s3cret"}});
    REQUIRE(hook.tls);
    CHECK(hook.tls->insecure);
    CHECK(hook.timeout == milliseconds(10000));
    CHECK(failure_of("notify:\n  - webhook: http://h:80/\n    header_files: {X-Token: /missing}\n" +
                     minimal)
              .find("key 'notify[0].header_files.X-Token': cannot read password file "
                    "'/missing'") != std::string::npos);
}

TEST_CASE("notify: an alertmanager sink takes its URL and resend_interval, no filter") {
    auto parsed = parse(
        "notify:\n  - {alertmanager: 'http://127.0.0.1:9093', resend_interval: 20s}\n" + minimal);
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.failure().message));
    const auto& push = parsed->notify.at(0);
    CHECK(push.kind == sink_kind::alertmanager);
    CHECK(push.name == "alertmanager-0");
    CHECK(push.resend_interval == milliseconds(20000));
    CHECK(parse("notify:\n  - {alertmanager: 'http://a:9093'}\n" + minimal)
              ->notify.at(0)
              .resend_interval == milliseconds(60000));
    CHECK(failure_of("notify:\n  - {alertmanager: 'http://a:9093', min_severity: warning}\n" +
                     minimal)
              .find("key 'notify[0].min_severity': does not apply to an alertmanager sink") !=
          std::string::npos);
}

TEST_CASE("errors name the file, line, column and key") {
    CHECK(failure_of(minimal + "    timeuot: 1s\n") ==
          "warden.yaml:4:5: key 'clusters[0].timeuot': unknown key (known here: auth, "
          "failure_domains, heal, name, poll_interval, security_interval, seeds, timeout, tls)");
    CHECK(failure_of(minimal + "    timeout: soon\n") ==
          "warden.yaml:4:14: key 'clusters[0].timeout': 'soon' is not a duration (e.g. 500ms, "
          "2s, 1m, 1h)");
    CHECK(
        failure_of("clusters:\n  - name: a\n    seeds: [127.0.0.1]\n") ==
        "warden.yaml:3:13: key 'clusters[0].seeds[0]': invalid address '127.0.0.1': missing port");
    CHECK(failure_of(minimal + "    failure_domains: {10.0.0.0/33: z}\n")
              .find("key 'clusters[0].failure_domains.10.0.0.0/33': bad prefix length") !=
          std::string::npos);
    CHECK(failure_of(minimal + "    auth: {password_file: /missing}\n") ==
          "warden.yaml:4:27: key 'clusters[0].auth.password_file': cannot read password file "
          "'/missing': No such file or directory");
    CHECK(failure_of(minimal + minimal.substr(10)) ==
          "warden.yaml:4:11: key 'clusters[1].name': duplicate cluster name 'a'");
    CHECK(failure_of("clusters: [").find("warden.yaml:1:") == 0);
    CHECK(failure_of("listen: 1.2.3.4:9736\n") == "warden.yaml:1:1: key '': missing 'clusters'");
    CHECK(failure_of(minimal + "coordination: {backend: zookeeper}\n")
              .find("'zookeeper' is not one of: etcd, none") != std::string::npos);
}

TEST_CASE("coordination: etcd endpoints are http:// URLs, the ttl is at least 2 s") {
    auto parsed = parse(minimal +
                        "coordination: {backend: etcd, endpoints: [http://10.0.0.5:2379, "
                        "'http://[::1]:2379'], prefix: /w/, ttl: 3s}\n");
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.failure().message));
    CHECK(parsed->coordination.backend == "etcd");
    CHECK(parsed->coordination.endpoints.size() == 2);
    CHECK(parsed->coordination.prefix == "/w/");
    CHECK(parsed->coordination.ttl == milliseconds(3000));
    CHECK(failure_of(minimal + "coordination: {backend: etcd, endpoints: [e:2379]}\n")
              .find("key 'coordination.endpoints[0]': etcd endpoint 'e:2379': expected "
                    "http://HOST:PORT") != std::string::npos);
    CHECK(failure_of(minimal + "coordination: {backend: etcd, endpoints: [http://e:2379], "
                               "ttl: 1s}\n")
              .find("ttl must be at least 2s") != std::string::npos);
    CHECK(failure_of(minimal + "coordination: {backend: etcd}\n")
              .find("backend etcd needs endpoints") != std::string::npos);
}

TEST_CASE("coordination: tls files must be readable and go with https, auth needs a user") {
    auto secrets = [](const std::string& path) -> result<std::string> {
        if (path == "/etc/warden/etcd.pw") return std::string("s3cret");
        return error{"cannot read password file '" + path + "'"};
    };
    const std::string https = minimal +
                              "coordination:\n  backend: etcd\n"
                              "  endpoints: [https://etcd1:2379]\n";
    auto parsed =
        parse_settings(https +
                           "  tls: {ca_file: /dev/null, cert_file: /dev/null, "
                           "key_file: /dev/null}\n"
                           "  auth: {username: warden, password_file: /etc/warden/etcd.pw}\n",
                       "warden.yaml", secrets);
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.failure().message));
    CHECK(parsed->coordination.tls.ca_file == "/dev/null");
    CHECK(parsed->coordination.auth.username == "warden");
    CHECK(parsed->coordination.auth.password == "s3cret");

    CHECK(failure_of(https + "  tls: {ca_file: /missing/ca.pem}\n") ==
          "warden.yaml:7:18: key 'coordination.tls.ca_file': cannot read '/missing/ca.pem': "
          "No such file or directory");
    CHECK(failure_of(https + "  tls: {cert_file: /dev/null}\n")
              .find("cert_file and key_file go together") != std::string::npos);
    CHECK(failure_of(minimal + "coordination: {backend: etcd, endpoints: [http://e:2379], "
                               "tls: {ca_file: /dev/null}}\n")
              .find("tls applies to https:// endpoints and none is configured") !=
          std::string::npos);
    auto no_user = parse_settings(https + "  auth: {password_file: /etc/warden/etcd.pw}\n",
                                  "warden.yaml", secrets);
    REQUIRE_FALSE(no_user);
    CHECK(no_user.failure().message.find("etcd auth needs a username") != std::string::npos);
    CHECK(no_user.failure().message.find("s3cret") == std::string::npos);
}

TEST_CASE("coordination settings compare passwords (by hash) so a changed secret reloads") {
    auto with = [](std::string password) {
        config::coordination_settings settings;
        settings.auth.username = "warden";
        settings.auth.password = std::move(password);
        return settings;
    };
    CHECK(with("a") == with("a"));
    CHECK_FALSE(with("a") == with("b"));
}

TEST_CASE("durations accept ms, s, m, h and decimals") {
    CHECK(*parse_duration("500ms") == milliseconds(500));
    CHECK(*parse_duration("1.5s") == milliseconds(1500));
    CHECK(*parse_duration("2m") == milliseconds(120000));
    CHECK(*parse_duration("1h") == milliseconds(3600000));
    CHECK_FALSE(parse_duration("5").has_value());
    CHECK_FALSE(parse_duration("0s").has_value());
    CHECK_FALSE(parse_duration("-1s").has_value());
}

TEST_CASE("a cluster's tls section turns TLS on; insecure only when written out") {
    CHECK_FALSE(parse(minimal)->clusters[0].tls);
    // /etc/hostname stands in for a readable certificate file; / for a CA directory.
    auto parsed = parse(minimal +
                        "    tls: {ca_file: /etc/hostname, ca_dir: /, cert_file: /etc/hostname,\n"
                        "          key_file: /etc/hostname, server_name: redis.internal,\n"
                        "          expiry_warning_days: 20, expiry_critical_days: 2}\n");
    REQUIRE(parsed);
    const auto& cluster = parsed->clusters[0];
    REQUIRE(cluster.tls);
    CHECK(cluster.tls->ca_dir == "/");
    CHECK(cluster.tls->server_name == "redis.internal");
    CHECK_FALSE(cluster.tls->insecure);
    CHECK(cluster.certificate_warning_days == 20);
    CHECK(cluster.certificate_critical_days == 2);
    CHECK(parse(minimal + "    tls: {insecure: true}\n")->clusters[0].tls->insecure);
    CHECK(parse(minimal + "    tls: {}\n")->clusters[0].tls == tls_settings{});

    CHECK(failure_of(minimal + "    tls: {cert_file: /etc/hostname}\n").find("go together") !=
          std::string::npos);
    CHECK(failure_of(minimal + "    tls: {ca_file: /missing.pem}\n").find("cannot read") !=
          std::string::npos);
    CHECK(failure_of(minimal + "    tls: {ca_dir: /etc/hostname}\n").find("not a directory") !=
          std::string::npos);
    CHECK(failure_of(minimal + "    tls: {expiry_warning_days: 5, expiry_critical_days: 9}\n")
              .find("more than expiry_warning_days") != std::string::npos);
    CHECK(failure_of("coordination:\n  tls: {expiry_warning_days: 5}\n" + minimal)
              .find("unknown key") != std::string::npos);
}
