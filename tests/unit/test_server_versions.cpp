// The core against every recorded reply of nine real server versions (Redis 3.2.13 to 7.4.1,
// Valkey 8.0.1), each a 3-master x 1-replica cluster on 127.0.0.1:24000-24005, with and
// without a password (tests/fixtures/redis-versions/README.md). Each check loops over every
// version, case and node, and CAPTUREs the recording so a failure names it.
#include <doctest/doctest.h>

#include <algorithm>
#include <bitset>
#include <filesystem>
#include <map>
#include <set>

#include "controller/core/audit/audit.hpp"
#include "controller/core/audit/sha256.hpp"
#include "controller/core/compat/server_version.hpp"
#include "controller/core/import/import_rules.hpp"
#include "controller/core/parse/cluster_nodes.hpp"
#include "controller/core/parse/info_fields.hpp"
#include "controller/core/report/report.hpp"
#include "fixtures.hpp"
#include "recorded_replies.hpp"

using namespace warden;
using testing::recorded_node;
using testing::resp_value;

namespace {

const std::string recorded_password = "capture-Pa55";  // README: the password/ case's

// What is known about each recorded server, independently of the code under test.
struct expected_server {
    server_flavour flavour = server_flavour::redis;
    std::string product_version;
    int major = 0;  // the Redis version it implements (Valkey: its redis_version)
    int minor = 0;
    int patch = 0;
    bool bus_port = true;  // CLUSTER NODES prints ip:port@cport (4.0+)
    command_rights_method rights = command_rights_method::renamed_commands;
};

const std::map<std::string, expected_server>& expected_servers() {
    using method = command_rights_method;
    static const std::map<std::string, expected_server> servers = {
        {"redis-3.2.13",
         {server_flavour::redis, "3.2.13", 3, 2, 13, false, method::renamed_commands}},
        {"redis-4.0.14",
         {server_flavour::redis, "4.0.14", 4, 0, 14, true, method::renamed_commands}},
        {"redis-5.0.14",
         {server_flavour::redis, "5.0.14", 5, 0, 14, true, method::renamed_commands}},
        {"redis-6.0.20", {server_flavour::redis, "6.0.20", 6, 0, 20, true, method::acl_rules}},
        {"redis-6.2.16", {server_flavour::redis, "6.2.16", 6, 2, 16, true, method::acl_rules}},
        {"redis-7.0.15", {server_flavour::redis, "7.0.15", 7, 0, 15, true, method::acl_dryrun}},
        {"redis-7.2.6", {server_flavour::redis, "7.2.6", 7, 2, 6, true, method::acl_dryrun}},
        {"redis-7.4.1", {server_flavour::redis, "7.4.1", 7, 4, 1, true, method::acl_dryrun}},
        {"valkey-8.0.1", {server_flavour::valkey, "8.0.1", 7, 2, 4, true, method::acl_dryrun}},
    };
    return servers;
}

// Each recording is read once for the whole run (108 files).
const std::vector<recorded_node>& recording(const std::string& server,
                                            const std::string& scenario) {
    static std::map<std::string, std::vector<recorded_node>> loaded;
    auto key = server + "/" + scenario;
    auto found = loaded.find(key);
    if (found == loaded.end()) {
        found = loaded.emplace(key, testing::load_recorded_cluster(server, scenario)).first;
    }
    return found->second;
}

// Calls check(server, scenario, nodes) for every recorded cluster.
template <typename Check>
void for_each_cluster(Check check) {
    for (const auto& server : testing::recorded_servers()) {
        for (const auto& scenario : testing::recorded_cases()) {
            CAPTURE(server);
            CAPTURE(scenario);
            check(server, scenario, recording(server, scenario));
        }
    }
}

bool is_moved(const resp_value& reply) {
    return reply.is_error() && reply.text.starts_with("MOVED ");
}

int slots_in(const std::vector<slot_range>& ranges) {
    int total = 0;
    for (const auto& range : ranges) total += range.last - range.first + 1;
    return total;
}

std::vector<std::string> lines_of(const resp_value& reply) {
    std::vector<std::string> lines;
    for (const auto& element : reply.elements) lines.push_back(element.text);
    return lines;
}

void check_line(const node_line& line, const expected_server& expected) {
    CAPTURE(line.id);
    CHECK(line.address.host == "127.0.0.1");
    CHECK(line.address.bus_port.has_value() == expected.bus_port);
    if (expected.bus_port) CHECK(line.address.bus_port == line.address.port + 10000);
    CHECK_FALSE(line.address.hostname.has_value());  // none was announced
    CHECK(line.address.unknown_fields.empty());
    CHECK(line.flags.unknown.empty());  // every flag a real server printed is known
    CHECK(line.flags.master != line.flags.replica);
    CHECK_FALSE(line.flags.pfail);
    CHECK_FALSE(line.flags.fail);
    CHECK(line.link_connected);
    CHECK(line.open_slots.empty());
}

void check_view(const cluster_view& view, const recorded_node& node,
                const expected_server& expected) {
    CHECK(view.nodes.size() == 6);
    CHECK(std::count_if(view.nodes.begin(), view.nodes.end(),
                        [](const node_line& line) { return line.flags.myself; }) == 1);
    const auto* myself = view.myself();
    REQUIRE(myself != nullptr);
    CHECK(myself->address.port == node.port);
    CHECK(myself->flags.master == node.master);
    std::set<std::string> masters;
    std::bitset<slot_count> served;
    int slots = 0;
    for (const auto& line : view.nodes) {
        check_line(line, expected);
        if (!line.flags.master) continue;
        masters.insert(line.id);
        CHECK(!line.slots.empty());
        slots += slots_in(line.slots);
        for (const auto& range : line.slots) {
            for (int slot = range.first; slot <= range.last; ++slot) served.set(slot);
        }
    }
    CHECK(masters.size() == 3);
    CHECK(slots == slot_count);  // ... and with no slot served twice:
    CHECK(served.all());
    std::set<std::string> served_masters;
    for (const auto& line : view.nodes) {
        if (!line.flags.replica) continue;
        REQUIRE(line.master_id.has_value());
        CHECK(masters.count(*line.master_id) == 1);
        served_masters.insert(*line.master_id);
    }
    CHECK(served_masters == masters);  // three replicas, one per master
}

}  // namespace

TEST_CASE("every recorded server folder is one these tests know and loop over") {
    std::set<std::string> on_disk;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(WARDEN_FIXTURES) + "/redis-versions")) {
        if (entry.is_directory()) on_disk.insert(entry.path().filename().string());
    }
    std::set<std::string> looped(testing::recorded_servers().begin(),
                                 testing::recorded_servers().end());
    std::set<std::string> expected;
    for (const auto& [server, facts] : expected_servers()) expected.insert(server);
    CHECK(on_disk == looped);
    CHECK(looped == expected);
    for_each_cluster([](const std::string&, const std::string&, const auto& nodes) {
        CHECK(nodes.size() == 6);
        CHECK(std::count_if(nodes.begin(), nodes.end(),
                            [](const recorded_node& node) { return node.master; }) == 3);
    });
}

TEST_CASE("every node's CLUSTER NODES reply of every version parses: 3 masters, 3 replicas") {
    for_each_cluster([](const std::string& server, const std::string&, const auto& nodes) {
        const auto& expected = expected_servers().at(server);
        for (const auto& node : nodes) {
            CAPTURE(node.file);
            auto view = parse_cluster_nodes(node.text({"CLUSTER", "NODES"}));
            if (!view) {
                FAIL_CHECK(view.failure().message);
                continue;
            }
            check_view(*view, node, expected);
        }
    });
}

TEST_CASE("the six recorded views of every version analyse as one healthy 3x1 cluster") {
    for_each_cluster([](const std::string& server, const std::string& scenario, const auto& nodes) {
        auto observed = testing::snapshot_of(nodes, server + "/" + scenario);
        for (const auto& probe : observed.nodes) {
            CAPTURE(probe.address);
            auto info = parse_info_fields(probe.cluster_info);
            CHECK(find_field(info, "cluster_state") == "ok");
            CHECK(find_field(info, "cluster_slots_ok") == "16384");
            CHECK(find_field(info, "cluster_known_nodes") == "6");
        }
        auto report = analyze(observed, {});
        const auto& merged = report.cluster_topology;
        CHECK(merged.views == 6);
        CHECK(merged.nodes.size() == 6);
        CHECK(merged.unknown_flags.empty());
        CHECK(merged.unknown_address_fields.empty());
        for (const auto& item : merged.disagreements) FAIL_CHECK(item.detail);
        for (const auto& node : merged.nodes) {
            CAPTURE(node.address);
            CHECK(node.observed);
            if (node.role == node_role::master) {
                CHECK(node.replica_ids.size() == 1);
                CHECK((node.slot_total == 5461 || node.slot_total == 5462));
            } else {
                CHECK(node.role == node_role::replica);
                CHECK(node.master_link_up == true);  // from its own INFO replication
            }
        }
        CHECK(report.health.quorum == quorum_state{3, 3, 2, 1});
        // All six ran on one host, so the only findings are that host as a single failure
        // domain: a warning, nothing critical (and no finding about versions or formats).
        std::multiset<std::string> codes;
        for (const auto& item : report.health.findings) codes.insert(item.code);
        std::multiset<std::string> one_host{"quorum_domain_risk", "replica_same_host",
                                            "replica_same_host", "replica_same_host"};
        CHECK(codes == one_host);
        CHECK(report.health.status == severity::warning);
    });
}

TEST_CASE("views differing only on a replica's config epoch do not disagree") {
    // Redis 4.0.14 open/: replica 127.0.0.1:24003 is epoch 4 in five views, 3 in its master's.
    // A replica publishes its master's epoch and peers only ever raise what they hold, so this
    // lasts until a failover; only masters' epochs decide who owns slots.
    auto observed = testing::snapshot_of(recording("redis-4.0.14", "open"), "redis-4.0.14/open");
    auto merged = build_topology(observed, {});
    CHECK(merged.disagreements.empty());
}

TEST_CASE("INFO server of every node gives its version, and capabilities match the replies") {
    for_each_cluster([](const std::string& server, const std::string&, const auto& nodes) {
        const auto& expected = expected_servers().at(server);
        int migrate_evidence = 0;
        for (const auto& node : nodes) {
            CAPTURE(node.file);
            auto version = server_version_of(node.text({"INFO", "server"}));
            REQUIRE(version.has_value());
            CHECK(version->flavour == expected.flavour);
            CHECK(version->product_version == expected.product_version);
            CHECK(version->major == expected.major);
            CHECK(version->minor == expected.minor);
            CHECK(version->patch == expected.patch);
            auto can = capabilities_of(*version);
            CHECK(can.acl == !node.reply({"ACL", "WHOAMI"}).is_error());
            CHECK(can.hello == !node.reply({"HELLO", "2"}).is_error());
            CHECK(can.cluster_shards == !node.reply({"CLUSTER", "SHARDS"}).is_error());
            for (const auto* dryrun : node.all({"ACL", "DRYRUN"})) {
                CAPTURE(describe(dryrun->reply));
                CHECK(can.acl_dryrun == !dryrun->reply.is_error());
            }
            // MIGRATE <host> <port> "" 0 <timeout> [AUTH pw | AUTH2 user pw] KEYS k: only the
            // node serving k's slot answers; the others say MOVED, which shows nothing.
            for (const auto* migrate : node.all({"MIGRATE"})) {
                const auto& reply = migrate->reply;
                if (is_moved(reply)) continue;
                ++migrate_evidence;
                CAPTURE(describe(reply));
                bool syntax_error = reply.is_error() && reply.text == "ERR syntax error";
                const auto& option = migrate->command.at(6);
                if (option == "AUTH") CHECK(can.migrate_auth == !syntax_error);
                if (option == "AUTH2") CHECK(can.migrate_auth2 == !syntax_error);
                if (option == "KEYS") CHECK(can.migrate_keys == !syntax_error);
                CHECK((syntax_error ||
                       (reply.type == resp_value::kind::simple && reply.text == "NOKEY")));
            }
            if (!node.master) continue;
            auto dumps = node.all({"DUMP"});
            CHECK(dumps.size() == 5);  // string, hash, list, set, sorted set
            for (const auto* dump : dumps) {
                CAPTURE(dump->command.at(1));
                REQUIRE(dump->reply.type == resp_value::kind::bulk);
                CHECK(dump_rdb_version(dump->reply.text) == can.newest_rdb_version);
            }
        }
        CHECK(migrate_evidence == 3);  // one node owns the key: plain, AUTH and AUTH2
    });
}

TEST_CASE("Valkey is told apart from the Redis version it reports for compatibility") {
    const auto& node = recording("valkey-8.0.1", "open").front();
    auto version = server_version_of(node.text({"INFO", "server"}));
    REQUIRE(version.has_value());
    CHECK(version->describe() == "Valkey 8.0.1");
    CHECK(version->at_least(7, 2, 4));
    CHECK_FALSE(version->at_least(8));  // capabilities follow the Redis it implements
    auto redis =
        server_version_of(recording("redis-3.2.13", "open").front().text({"INFO", "server"}));
    REQUIRE(redis.has_value());
    CHECK(redis->describe() == "Redis 3.2.13");
}

TEST_CASE("command rights are read by ACL DRYRUN on 7.x, ACL rules on 6.x, renames before") {
    for_each_cluster([](const std::string& server, const std::string&, const auto& nodes) {
        const auto& expected = expected_servers().at(server);
        for (const auto& node : nodes) {
            CAPTURE(node.file);
            auto version = server_version_of(node.text({"INFO", "server"}));
            CHECK(command_rights_method_for(version, true) == expected.rights);
            CHECK(command_rights_method_for(version, false) == expected.rights);
            // INFO denied: only whether ACL WHOAMI answered is known.
            bool answered = !node.reply({"ACL", "WHOAMI"}).is_error();
            CHECK(command_rights_method_for(std::nullopt, answered) ==
                  (answered ? command_rights_method::acl_dryrun
                            : command_rights_method::renamed_commands));
        }
    });
}

TEST_CASE("the recorded ACL LIST of 6.x and later gives a default user allowed everything") {
    for_each_cluster([](const std::string& server, const std::string& scenario, const auto& nodes) {
        if (expected_servers().at(server).major < 6) return;
        for (const auto& node : nodes) {
            CAPTURE(node.file);
            const auto& list = node.reply({"ACL", "LIST"});
            REQUIRE(list.type == resp_value::kind::array);
            auto users = parse_acl_list(lines_of(list));
            REQUIRE(users.size() == 1);
            const auto& user = users.front();
            CHECK(user.name == "default");
            CHECK(user.enabled);
            if (scenario == "password") {
                CHECK_FALSE(user.nopass);
                CHECK(user.password_hashes ==
                      std::vector<std::string>{sha256_hex(recorded_password)});
            } else {
                CHECK(user.nopass);
            }
            auto rights = rights_from_acl_rules(user);
            for (const char* command : {"CONFIG", "FLUSHALL", "DEBUG", "KEYS"}) {
                CAPTURE(command);
                CHECK(rights[command]);
            }
            // Where the server can say itself (7.0+), the rules agree with its ACL DRYRUN.
            const auto& dryrun = node.reply({"ACL", "DRYRUN", "default", "FLUSHALL"});
            if (!dryrun.is_error()) CHECK(rights["FLUSHALL"] == (dryrun.text == "OK"));
        }
    });
}

TEST_CASE("every version refuses a wrong password and commands before AUTH with an error") {
    for_each_cluster([](const std::string&, const std::string& scenario, const auto& nodes) {
        for (const auto& node : nodes) {
            CAPTURE(node.file);
            if (scenario == "open") {
                CHECK(node.all({"AUTH"}).empty());
                CHECK(node.reply({"PING"}) == resp_value{resp_value::kind::simple, "PONG", 0, {}});
                continue;
            }
            // The wording differs (ERR invalid password, WRONGPASS ...): only the error counts.
            CHECK(node.exchanges.at(0).command == std::vector<std::string>{"PING"});
            CHECK(node.exchanges.at(0).reply.is_error());
            CHECK(node.exchanges.at(1).command == std::vector<std::string>{"CLUSTER", "NODES"});
            CHECK(node.exchanges.at(1).reply.is_error());
            CHECK(node.reply({"AUTH", "wrong-password"}).is_error());
            CHECK(node.reply({"AUTH", "nosuchuser", "wrong-password"}).is_error());
            CHECK(node.reply({"AUTH", recorded_password}) ==
                  resp_value{resp_value::kind::simple, "OK", 0, {}});
        }
    });
}

TEST_CASE("a newer server's flags in real views are carried once into the topology and ignored") {
    auto observed = testing::snapshot_of(recording("redis-7.4.1", "open"), "redis-7.4.1/open");
    auto plain = analyze(observed, {});
    testing::edit_views(observed, "master - ", "master,x-newer - ");
    testing::edit_views(observed, "slave ", "slave,a-newer,x-newer ");
    auto edited = analyze(observed, {});
    CHECK(edited.cluster_topology.unknown_flags == std::vector<std::string>{"a-newer", "x-newer"});
    CHECK(edited.health == plain.health);
    for (const auto& node : edited.cluster_topology.nodes) {
        CAPTURE(node.address);
        CHECK(std::count(node.flags.begin(), node.flags.end(), "x-newer") == 1);
    }
}

TEST_CASE("the RESP decoder reads every RESP2 type and refuses malformed bytes") {
    using kind = resp_value::kind;
    auto decoded = testing::decode_resp("*5\r\n+OK\r\n-ERR no\r\n:-7\r\n$4\r\na\r\nb\r\n$-1\r\n");
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->elements.size() == 5);
    CHECK(decoded->elements[0] == resp_value{kind::simple, "OK", 0, {}});
    CHECK(decoded->elements[1].is_error());
    CHECK(decoded->elements[2].number == -7);
    CHECK(decoded->elements[3].text == "a\r\nb");  // bulk strings are binary safe
    CHECK(decoded->elements[4].type == kind::nil);
    CHECK(testing::decode_resp("*-1\r\n")->type == kind::nil_array);
    for (std::string_view bad : {"", "+OK", "+OK\r\nextra", ":x\r\n", "$5\r\nabc\r\n", "$-2\r\n",
                                 "*3\r\n:1\r\n", "*99999999\r\n", "?\r\n"}) {
        CAPTURE(bad);
        CHECK_FALSE(testing::decode_resp(bad).has_value());
    }
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "*1\r\n";
    CHECK_FALSE(testing::decode_resp(deep + ":1\r\n").has_value());  // bounded nesting
}
