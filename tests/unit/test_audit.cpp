#include <doctest/doctest.h>

#include <algorithm>

#include "controller/core/audit/audit.hpp"
#include "controller/core/audit/sha256.hpp"
#include "sketch.hpp"

using namespace warden;
using testing::sketch_cluster;
using testing::sketch_id;

namespace {

// A master (a, 127.0.0.1) and its replica (d, 127.0.0.2), as the regular poll saw them.
topology pair(bool replica_link_down = false) {
    std::vector<testing::sketch_node> nodes{{'a', "127.0.0.1:7000", 0, "0-16383"},
                                            {'d', "127.0.0.2:7001", 'a'}};
    nodes[1].link_down = replica_link_down;
    return build_topology(sketch_cluster(nodes), {});
}

std::string hashed(const std::string& secret) {
    return "sha256:" + sha256_hex(secret);
}

// What the security poll reads from a locked-down Redis 7.0 node with password `secret`.
security_probe locked(const std::string& address, const std::string& secret) {
    security_probe probe;
    probe.address = address;
    probe.reachable = true;
    probe.anonymous_reply = "NOAUTH";
    probe.config = {{"protected-mode", "yes"},
                    {"bind", "* -::*"},
                    {"requirepass", hashed(secret)},
                    {"masterauth", hashed(secret)},
                    {"masteruser", ""},
                    {"cluster-node-timeout", "2000"},
                    {"maxmemory", "0"},
                    {"maxmemory-policy", "noeviction"}};
    probe.info = "# Server\r\nredis_version:7.0.15\r\n# Memory\r\nused_memory:1000000\r\n";
    probe.acl_whoami = "default";
    probe.acl_list = {"user default on #" + sha256_hex(secret) + " ~* &* +@all"};
    return probe;
}

std::vector<std::string> codes(const audit_report& report) {
    std::vector<std::string> found;
    for (const auto& item : report.findings) found.push_back(item.code);
    return found;
}

bool has(const audit_report& report, const std::string& code) {
    auto found = codes(report);
    return std::find(found.begin(), found.end(), code) != found.end();
}

const finding& only(const audit_report& report, const std::string& code) {
    auto found = std::find_if(report.findings.begin(), report.findings.end(),
                              [&](const finding& item) { return item.code == code; });
    REQUIRE(found != report.findings.end());
    return *found;
}

audit_report audit(const std::vector<security_probe>& probes, bool link_down = false) {
    return run_audit("c", pair(link_down), probes, {});
}

}  // namespace

TEST_SUITE("audit") {
    TEST_CASE("sha256 matches the FIPS 180-4 test vectors") {
        CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK(sha256_hex("abc") ==
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }

    TEST_CASE("ACL LIST lines give users, passwords and rules") {
        auto users = parse_acl_list({"user default on nopass ~* &* +@all",
                                     "user app off #abc #def ~app:* -@dangerous +@read"});
        REQUIRE(users.size() == 2);
        CHECK(users[0].enabled);
        CHECK(users[0].nopass);
        CHECK_FALSE(users[1].enabled);
        CHECK(users[1].password_hashes == std::vector<std::string>{"abc", "def"});
        CHECK(users[1].rules == std::vector<std::string>{"~app:*", "-@dangerous", "+@read"});
    }

    TEST_CASE("a locked-down pair with no dangerous rights is ok") {
        auto report =
            audit({locked("127.0.0.1:7000", "s3cret"), locked("127.0.0.2:7001", "s3cret")});
        CHECK(report.findings.empty());
        CHECK(report.status == severity::ok);
    }

    TEST_CASE("a node answering PING without credentials is auth_disabled") {
        auto open = locked("127.0.0.1:7000", "s3cret");
        open.anonymous_reply = "PONG";
        auto report = audit({open, locked("127.0.0.2:7001", "s3cret")});
        CHECK(codes(report) == std::vector<std::string>{"auth_disabled"});
        CHECK(only(report, "auth_disabled").nodes == std::vector<std::string>{sketch_id('a')});
        CHECK(report.status == severity::critical);
    }

    TEST_CASE("protected mode without a password is predicted per version and observed") {
        auto open7 = locked("127.0.0.1:7000", "");
        open7.config["requirepass"] = "";
        open7.acl_list = {"user default on nopass ~* &* +@all"};
        open7.config["bind"] = "10.250.8.1 127.0.0.1";  // Redis 7 denies whatever bind says
        auto report = audit({open7, locked("127.0.0.2:7001", "s3cret")});
        REQUIRE(has(report, "protected_mode_blocks_clients"));
        const auto& found = only(report, "protected_mode_blocks_clients");
        CHECK(found.message.find("whatever bind says") != std::string::npos);
        CHECK(found.message.find("replicas syncing from another host are refused") !=
              std::string::npos);
        CHECK(found.remediation.find("CONFIG SET requirepass") != std::string::npos);

        auto open6 = open7;
        open6.info = "redis_version:6.2.14\r\n";
        CHECK_FALSE(has(audit({open6}), "protected_mode_blocks_clients"));  // bind set
        open6.config["bind"] = "";
        CHECK(has(audit({open6}), "protected_mode_blocks_clients"));

        auto denied = locked("127.0.0.2:7001", "s3cret");
        denied.anonymous_reply = "DENIED Redis is running in protected mode";
        auto seen = audit({locked("127.0.0.1:7000", "s3cret"), denied});
        CHECK(only(seen, "protected_mode_blocks_clients").message.find("got -DENIED") !=
              std::string::npos);
        open7.config["protected-mode"] = "no";
        CHECK_FALSE(has(audit({open7}), "protected_mode_blocks_clients"));
    }

    TEST_CASE("a replica whose masterauth would not authenticate is masterauth_mismatch") {
        auto replica = locked("127.0.0.2:7001", "s3cret");
        replica.config["masterauth"] = hashed("wrong");
        auto report = audit({locked("127.0.0.1:7000", "s3cret"), replica}, true);
        const auto& found = only(report, "masterauth_mismatch");
        CHECK(found.level == severity::critical);
        CHECK(found.nodes == std::vector<std::string>{sketch_id('d'), sketch_id('a')});
        CHECK(found.message.find("confirmed: master_link_status:down") != std::string::npos);
        CHECK(found.message.find("s3cret") == std::string::npos);
        replica.config["masterauth"] = "";
        CHECK(only(audit({locked("127.0.0.1:7000", "s3cret"), replica}), "masterauth_mismatch")
                  .message.find("no masterauth") != std::string::npos);
        // The master needs no password: nothing to authenticate.
        auto open_master = locked("127.0.0.1:7000", "");
        open_master.acl_list = {"user default on nopass ~* &* +@all"};
        CHECK_FALSE(has(audit({open_master, replica}), "masterauth_mismatch"));
        // masteruser names an ACL user: its password is what counts.
        auto acl_master = locked("127.0.0.1:7000", "s3cret");
        acl_master.acl_list.push_back("user repl on #" + sha256_hex("r3pl") + " +psync +replconf");
        auto acl_replica = locked("127.0.0.2:7001", "s3cret");
        acl_replica.config["masteruser"] = "repl";
        acl_replica.config["masterauth"] = hashed("r3pl");
        CHECK_FALSE(has(audit({acl_master, acl_replica}), "masterauth_mismatch"));
    }

    TEST_CASE("nodes with different passwords are auth_inconsistent, digests never shown") {
        auto report = audit({locked("127.0.0.1:7000", "one"), locked("127.0.0.2:7001", "two")});
        const auto& found = only(report, "auth_inconsistent");
        INFO(found.message);
        CHECK(found.level == severity::warning);
        CHECK(found.message.find("user 'default': one password on 127.0.0.1:7000; one password "
                                 "on 127.0.0.2:7001") != std::string::npos);
        CHECK(found.message.find(sha256_hex("one")) == std::string::npos);
    }

    TEST_CASE("a client user allowed dangerous commands is named with them") {
        auto node = locked("127.0.0.1:7000", "s3cret");
        node.command_rights["app"] = {{"FLUSHALL", true}, {"KEYS", true}, {"CONFIG", false}};
        node.command_rights["reader"] = {{"FLUSHALL", false}};
        auto report = audit({node});
        const auto& found = only(report, "dangerous_commands_exposed");
        CHECK(found.message.starts_with("user 'app' can run FLUSHALL, KEYS on 1 node(s)"));
        CHECK(found.remediation.find("ACL SETUSER app -@dangerous") != std::string::npos);
        auto found_codes = codes(report);
        CHECK(std::count(found_codes.begin(), found_codes.end(), "dangerous_commands_exposed") ==
              1);
    }

    TEST_CASE("Redis 6 rights come from the ACL rules in order, last match winning") {
        auto users = parse_acl_list({"user app on #x ~* &* +@all -@dangerous +keys",
                                     "user admin on #y ~* allcommands",
                                     "user reader on #z ~* -@all +@read +cluster|reset"});
        auto app = rights_from_acl_rules(users[0]);
        CHECK(app.at("KEYS"));
        CHECK_FALSE(app.at("FLUSHALL"));
        CHECK_FALSE(app.at("CONFIG"));
        auto admin = rights_from_acl_rules(users[1]);
        CHECK(
            std::all_of(admin.begin(), admin.end(), [](const auto& each) { return each.second; }));
        auto reader = rights_from_acl_rules(users[2]);
        CHECK(reader.at("KEYS"));  // @read holds KEYS
        CHECK(reader.at("CLUSTER RESET"));
        CHECK_FALSE(reader.at("SHUTDOWN"));
    }

    TEST_CASE("users to check: every enabled user but warden's own admin") {
        auto node = locked("127.0.0.1:7000", "s3cret");
        node.acl_whoami = "warden";
        node.acl_list = {"user default on #x +@all", "user warden on #y +@all",
                         "user old off #z +@all", "user app on #w +@all"};
        CHECK(users_to_check(node, {}) == std::vector<std::string>{"default", "app"});
        node.acl_whoami = "default";
        CHECK(users_to_check(node, {}).front() == "default");
        audit_policy named;
        named.client_users = {"web"};
        CHECK(users_to_check(node, named) == std::vector<std::string>{"web"});
    }

    TEST_CASE("a cluster setting that differs on one node names it and the common value") {
        auto odd = locked("127.0.0.2:7001", "s3cret");
        odd.config["cluster-node-timeout"] = "5000";
        auto report = audit({locked("127.0.0.1:7000", "s3cret"), odd});
        const auto& found = only(report, "config_inconsistent");
        CHECK(found.message ==
              "cluster-node-timeout differs across the cluster: 2000 on 127.0.0.1:7000; 5000 on "
              "127.0.0.2:7001");
        CHECK(found.remediation.starts_with("on "));
    }

    TEST_CASE("TLS settings: each weakness of a node that serves TLS has its own finding") {
        auto tls_only = [](const std::string& address) {
            auto probe = locked(address, "s3cret");
            probe.config["port"] = "0";
            probe.config["tls-port"] = address.substr(address.rfind(':') + 1);
            probe.config["tls-cluster"] = "yes";
            probe.config["tls-replication"] = "yes";
            probe.config["tls-auth-clients"] = "yes";
            probe.config["tls-protocols"] = "";
            return probe;
        };
        auto tls_codes = [](const audit_report& report) {
            std::vector<std::string> found;
            for (const auto& code : codes(report)) {
                if (code.starts_with("tls_") || code == "plaintext_port_open")
                    found.push_back(code);
            }
            return found;
        };
        CHECK(tls_codes(audit({tls_only("127.0.0.1:7000"), tls_only("127.0.0.2:7001")})).empty());

        auto weak = tls_only("127.0.0.2:7001");
        weak.config["port"] = "6379";
        weak.config["tls-cluster"] = "no";
        weak.config["tls-replication"] = "no";
        weak.config["tls-auth-clients"] = "optional";
        weak.config["tls-protocols"] = "TLSv1.1 TLSv1.2";
        auto report = audit({tls_only("127.0.0.1:7000"), weak});
        CHECK(tls_codes(report) ==
              std::vector<std::string>{"plaintext_port_open", "tls_bus_plaintext",
                                       "tls_client_auth_off", "tls_legacy_protocols",
                                       "tls_replication_plaintext"});
        for (const auto& item : report.findings) {
            if (item.code == "config_inconsistent") continue;
            CAPTURE(item.code);
            CHECK(item.level == severity::warning);
            CHECK(item.message.find("127.0.0.2:7001") != std::string::npos);
            CHECK(item.message.find("127.0.0.1:7000") == std::string::npos);
            CHECK(item.remediation.find("CONFIG SET") != std::string::npos);
        }
        CHECK(only(report, "tls_legacy_protocols").remediation ==
              "on each node: CONFIG SET tls-protocols \"TLSv1.2 TLSv1.3\"; CONFIG REWRITE");

        // A node without TLS (tls-port 0, or a server that has no such parameter) is not
        // judged on TLS: that is a plaintext cluster, not a weak TLS one.
        auto plain = locked("127.0.0.1:7000", "s3cret");
        plain.config["tls-port"] = "0";
        plain.config["tls-cluster"] = "no";
        CHECK(tls_codes(audit({plain, locked("127.0.0.2:7001", "s3cret")})).empty());
    }

    TEST_CASE("memory above 90% of maxmemory, or no maxmemory on a cache, is memory_near_limit") {
        auto full = locked("127.0.0.1:7000", "s3cret");
        full.config["maxmemory"] = "1050000";
        auto report = audit({full});
        CHECK(only(report, "memory_near_limit").message.starts_with("127.0.0.1:7000 uses 95%"));
        full.config["maxmemory"] = "2000000";
        CHECK_FALSE(has(audit({full}), "memory_near_limit"));
        auto cache = locked("127.0.0.1:7000", "s3cret");
        cache.config["maxmemory-policy"] = "allkeys-lru";
        CHECK(only(audit({cache}), "memory_near_limit").message.find("never evicts") !=
              std::string::npos);
    }

    TEST_CASE("what could not be read is unknown, never ok, and never hides a real problem") {
        auto renamed = locked("127.0.0.2:7001", "s3cret");
        renamed.config.clear();
        renamed.unreadable = {"CONFIG GET: ERR unknown command 'CONFIG'"};
        auto report = audit({locked("127.0.0.1:7000", "s3cret"), renamed});
        CHECK(codes(report) == std::vector<std::string>{"audit_incomplete"});
        CHECK(report.status == severity::unknown);
        REQUIRE(report.nodes.size() == 2);
        CHECK(report.nodes[1].unknown.front().starts_with("CONFIG GET"));
        auto open = locked("127.0.0.1:7000", "s3cret");
        open.anonymous_reply = "PONG";
        CHECK(audit({open, renamed}).status == severity::critical);
        security_probe dead;
        dead.address = "127.0.0.2:7001";
        dead.error = "connection refused";
        CHECK(audit({dead}).status == severity::unknown);
    }
}
