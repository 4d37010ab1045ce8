#include <doctest/doctest.h>

#include "controller/core/planner/node_change_plan.hpp"
#include "controller/core/report/report.hpp"
#include "sketch.hpp"

using namespace warden;
using testing::sketch_id;
using testing::sketch_node;

namespace {

// Masters a (.1), b (.2), c (.3); d (.2) replicates a, f (.1) replicates c; b is orphaned.
std::vector<sketch_node> orphaned_b() {
    return {{'a', "127.0.0.1:7000", 0, "0-5460"},
            {'b', "127.0.0.2:7001", 0, "5461-10922"},
            {'c', "127.0.0.3:7002", 0, "10923-16383"},
            {'d', "127.0.0.2:7003", 'a'},
            {'f', "127.0.0.1:7005", 'c'}};
}

topology cluster_of(const std::vector<sketch_node>& nodes) {
    return analyze(testing::sketch_cluster(nodes), {}).cluster_topology;
}

// What a fresh redis-server with cluster-enabled yes says about itself.
newcomer_reading fresh(char name, const std::string& address) {
    newcomer_reading reading;
    reading.address = address;
    auto port = address.substr(address.rfind(':') + 1);
    reading.cluster_nodes =
        sketch_id(name) + " " + address + "@1" + port + " myself,master - 0 0 0 connected\n";
    reading.info_server = "# Server\r\nredis_version:7.0.15\r\n";
    return reading;
}

newcomer accepted(const newcomer_reading& reading, const topology& cluster) {
    auto judged = judge_newcomer(reading, cluster, {});
    REQUIRE(std::holds_alternative<newcomer>(judged));
    return std::get<newcomer>(judged);
}

node_refusal refused(const newcomer_reading& reading, const topology& cluster) {
    auto judged = judge_newcomer(reading, cluster, {});
    REQUIRE(std::holds_alternative<node_refusal>(judged));
    return std::get<node_refusal>(judged);
}

}  // namespace

TEST_SUITE("add-node plan") {
    TEST_CASE("an empty cluster-enabled node that knows only itself may join") {
        auto cluster = cluster_of(orphaned_b());
        auto joining = accepted(fresh('n', "127.0.0.4:7010"), cluster);
        CHECK(joining.node.id == sketch_id('n'));
        CHECK(joining.node.failure_domain == "127.0.0.4");
        REQUIRE(joining.version);
        CHECK(joining.version->major == 7);
    }

    TEST_CASE(
        "a new node is refused, naming why: credentials, cluster support, keys, "
        "another cluster, already a member") {
        auto cluster = cluster_of(orphaned_b());
        auto wrong_password = fresh('n', "127.0.0.4:7010");
        wrong_password.connect_error =
            error{"WRONGPASS invalid username-password pair", error_kind::auth};
        CHECK(refused(wrong_password, cluster).reason == node_refusal_reason::credentials_rejected);
        auto wants_password = fresh('n', "127.0.0.4:7010");
        wants_password.cluster_nodes_error = "NOAUTH Authentication required.";
        CHECK(refused(wants_password, cluster).reason == node_refusal_reason::credentials_rejected);
        auto silent = fresh('n', "127.0.0.4:7010");
        silent.connect_error = error{"connection refused", error_kind::refused};
        CHECK(refused(silent, cluster).reason == node_refusal_reason::unreachable);

        auto standalone = fresh('n', "127.0.0.4:7010");
        standalone.cluster_nodes_error = "ERR This instance has cluster support disabled";
        auto disabled = refused(standalone, cluster);
        CHECK(disabled.reason == node_refusal_reason::cluster_disabled);
        CHECK(describe_refusal(disabled).find("is not cluster-enabled") != std::string::npos);

        auto full = fresh('n', "127.0.0.4:7010");
        full.keys = 12;
        auto keys = refused(full, cluster);
        CHECK(keys.reason == node_refusal_reason::holds_keys);
        CHECK(keys.detail.find("holds 12 key(s)") == 0);

        auto foreign = fresh('n', "127.0.0.4:7010");
        foreign.cluster_nodes +=
            sketch_id('z') + " 127.0.0.9:7000@17000 master - 0 0 1 connected 0-16383\n";
        auto other = refused(foreign, cluster);
        CHECK(other.reason == node_refusal_reason::other_cluster);
        CHECK(other.detail.find("belongs to another cluster") != std::string::npos);

        auto member = fresh('b', "127.0.0.2:7001");
        CHECK(refused(member, cluster).reason == node_refusal_reason::already_member);
    }

    TEST_CASE(
        "a new node whose DBSIZE cannot be read is refused, naming why, and no flag "
        "overrides it") {
        auto cluster = cluster_of(orphaned_b());
        auto forbidden = fresh('n', "127.0.0.4:7010");
        forbidden.keys_error =
            "DBSIZE: NOPERM this user has no permissions to run the 'dbsize' command";
        auto refusal = refused(forbidden, cluster);
        CHECK(refusal.reason == node_refusal_reason::keys_unknown);
        CHECK(refusal.override_flag.empty());
        CHECK(describe_refusal(refusal) ==
              "127.0.0.4:7010: cannot tell whether it holds keys: DBSIZE: NOPERM this user has "
              "no permissions to run the 'dbsize' command");
    }

    TEST_CASE("a new replica covers the orphaned master, from another host when one can") {
        auto cluster = cluster_of(orphaned_b());
        // Alone, the node on b's own host still covers b: an orphan comes first.
        auto same_host = accepted(fresh('n', "127.0.0.2:7010"), cluster);
        auto alone = plan_add_nodes(cluster, {same_host}, {}, {}, std::nullopt);
        REQUIRE(alone.steps.size() == 1);
        CHECK(alone.steps[0].master_id == sketch_id('b'));
        CHECK(alone.steps[0].reason.find("the master has no healthy replica") == 0);
        CHECK(alone.refusals.empty());

        // With a node on .3 as well: that one covers b, and the .2 node goes to the master
        // with the fewest replicas whose failure domains it does not share (c: .3, replica .1).
        auto elsewhere = accepted(fresh('m', "127.0.0.3:7011"), cluster);
        auto both = plan_add_nodes(cluster, {same_host, elsewhere}, {}, {}, std::nullopt);
        REQUIRE(both.steps.size() == 2);
        CHECK(both.steps[0].id == sketch_id('m'));
        CHECK(both.steps[0].master_id == sketch_id('b'));
        CHECK(both.steps[1].id == sketch_id('n'));
        CHECK(both.steps[1].master_id == sketch_id('c'));
        CHECK(describe_add_plan(both).find("joins as a replica of 127.0.0.2:7001") !=
              std::string::npos);
    }

    TEST_CASE("--master names the master; --role master adds masters with a version warning") {
        auto cluster = cluster_of(orphaned_b());
        auto joining = accepted(fresh('n', "127.0.0.4:7010"), cluster);
        join_options named;
        named.master_id = sketch_id('a');
        auto to_a = plan_add_nodes(cluster, {joining}, named, {}, std::nullopt);
        REQUIRE(to_a.steps.size() == 1);
        CHECK(to_a.steps[0].master_address == "127.0.0.1:7000");

        auto older = fresh('o', "127.0.0.4:7011");
        older.info_server = "# Server\r\nredis_version:6.2.14\r\n";
        join_options masters;
        masters.as_master = true;
        masters.rebalance = true;
        auto plan = plan_add_nodes(cluster, {joining, accepted(older, cluster)}, masters, {},
                                   parse_version_number("7.0.15"));
        REQUIRE(plan.steps.size() == 2);
        CHECK(plan.steps[0].as_master);
        CHECK(plan.rebalance);
        REQUIRE(plan.warnings.size() == 1);
        CHECK(plan.warnings[0].find("127.0.0.4:7011 runs Redis 6.2.14, the cluster Redis 7.0.15") ==
              0);
        CHECK(plan.refusals.empty());
    }

    TEST_CASE("a new master's share is an even part of the slots, taken from every master") {
        auto nodes = orphaned_b();
        nodes.push_back({'n', "127.0.0.4:7010"});  // joined, empty
        auto share = plan_newcomer_share(cluster_of(nodes), {sketch_id('n')});
        REQUIRE(share);
        CHECK(share->targets.at(sketch_id('n')) == 4096);
        CHECK(share->slots_moved == 4096);
        CHECK(share->moves.size() == 3);
    }

    TEST_CASE("a dry run plans the new masters' share as if they had joined, empty") {
        auto nodes = orphaned_b();
        auto cluster = cluster_of(nodes);
        join_options masters;
        masters.as_master = true;
        masters.rebalance = true;
        auto plan = plan_add_nodes(cluster,
                                   {accepted(fresh('n', "127.0.0.4:7010"), cluster),
                                    accepted(fresh('o', "127.0.0.5:7011"), cluster)},
                                   masters, {}, std::nullopt);
        REQUIRE(new_master_ids(plan) == std::vector{sketch_id('n'), sketch_id('o')});
        auto future = with_new_masters(cluster, plan);
        REQUIRE(future.find(sketch_id('o')) != nullptr);
        CHECK(future.find(sketch_id('o'))->host == "127.0.0.5");
        auto before = plan_newcomer_share(future, new_master_ids(plan));
        REQUIRE(before);
        CHECK(before->targets.at(sketch_id('n')) + before->targets.at(sketch_id('o')) == 6553);
        CHECK(before->slots_moved == 6553);

        // The same share as planned once they joined.
        nodes.push_back({'n', "127.0.0.4:7010"});
        nodes.push_back({'o', "127.0.0.5:7011"});
        auto after = plan_newcomer_share(cluster_of(nodes), new_master_ids(plan));
        REQUIRE(after);
        CHECK(before->targets == after->targets);
        CHECK(before->slots_moved == after->slots_moved);
        // Before the plan names them, the new masters are unknown to the planner.
        CHECK_FALSE(plan_newcomer_share(cluster, new_master_ids(plan)));
    }

    TEST_CASE("NEW=master joins first; the replicas are placed again once it serves its share") {
        auto cluster = cluster_of(orphaned_b());
        join_options mixed;  // --role replica --rebalance, 127.0.0.4:7010=master
        mixed.roles["127.0.0.4:7010"] = true;
        mixed.rebalance = true;
        auto plan = plan_add_nodes(cluster,
                                   {accepted(fresh('o', "127.0.0.5:7011"), cluster),
                                    accepted(fresh('n', "127.0.0.4:7010"), cluster)},
                                   mixed, {}, std::nullopt);
        REQUIRE(plan.steps.size() == 2);
        CHECK(plan.steps[0].id == sketch_id('n'));
        CHECK(plan.steps[0].as_master);
        CHECK_FALSE(plan.steps[1].as_master);
        CHECK(plan.steps[1].master_address == "127.0.0.2:7001");  // for now: b is orphaned
        CHECK(plan.rebalance);
        CHECK(plan.replicas_after_share);
        CHECK(describe_add_plan(plan).find("planned again once the new masters") !=
              std::string::npos);

        // After the share: b is covered meanwhile, n serves slots without a replica.
        auto after = cluster_of({{'a', "127.0.0.1:7000", 0, "0-4095"},
                                 {'b', "127.0.0.2:7001", 0, "4096-8191"},
                                 {'c', "127.0.0.3:7002", 0, "8192-12287"},
                                 {'n', "127.0.0.4:7010", 0, "12288-16383"},
                                 {'d', "127.0.0.2:7003", 'a'},
                                 {'e', "127.0.0.3:7004", 'b'},
                                 {'f', "127.0.0.1:7005", 'c'},
                                 {'o', "127.0.0.5:7011"}});
        auto again = replan_replicas(after, plan, {});
        REQUIRE(again.size() == 1);
        CHECK(again[0].id == sketch_id('o'));
        CHECK(again[0].master_id == sketch_id('n'));

        // Without --rebalance the new master serves nothing: the replicas stay as planned.
        mixed.rebalance = false;
        CHECK_FALSE(plan_add_nodes(cluster, {accepted(fresh('n', "127.0.0.4:7010"), cluster)},
                                   mixed, {}, std::nullopt)
                        .replicas_after_share);
    }

    TEST_CASE("joining is done when every view lists the new node and none is in handshake") {
        add_node_step step{sketch_id('n'), "127.0.0.4:7010", "127.0.0.4", true, "", "", ""};
        std::string without =
            sketch_id('a') + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383\n";
        std::string with =
            without + sketch_id('n') + " 127.0.0.4:7010@17010 master - 0 0 0 connected\n";
        std::string shaking = with + "aaaa" + sketch_id('x').substr(4) +
                              " 127.0.0.4:7010@17010 handshake - 0 0 0 connected\n";
        CHECK(joined_pending({with, without}, {step}) == "not every node knows 127.0.0.4:7010 yet");
        CHECK(joined_pending({shaking}, {step}).find("handshake") != std::string::npos);
        CHECK(joined_pending({with, with}, {step}).empty());
    }
}
