#include <doctest/doctest.h>

#include "controller/core/planner/failover_plan.hpp"
#include "controller/core/report/report.hpp"
#include "sketch.hpp"

using namespace warden;
using testing::sketch_id;
using testing::sketch_node;

namespace {

// Masters a (.1), b (.2), c (.3); a has replicas d (.2) and e (.1, a's own host), b has f
// (.3), c has g (.1).
std::vector<sketch_node> layout() {
    return {{'a', "127.0.0.1:7000", 0, "0-5460"},
            {'b', "127.0.0.2:7001", 0, "5461-10922"},
            {'c', "127.0.0.3:7002", 0, "10923-16383"},
            {'d', "127.0.0.2:7003", 'a'},
            {'e', "127.0.0.1:7004", 'a'},
            {'f', "127.0.0.3:7005", 'b'},
            {'g', "127.0.0.1:7006", 'c'}};
}

check_report report_of(const std::vector<sketch_node>& nodes) {
    return analyze(testing::sketch_cluster(nodes), {});
}

}  // namespace

TEST_SUITE("failover plan") {
    TEST_CASE("the best replica is in another failure domain, then the most caught up") {
        auto nodes = layout();
        nodes[4].offset = 500;  // e is further ahead, but shares a's host
        auto plan = plan_master_failover(report_of(nodes).cluster_topology, "127.0.0.1:7000");
        REQUIRE(plan);
        REQUIRE(plan->steps.size() == 1);
        CHECK(plan->steps[0].replica_id == sketch_id('d'));
        CHECK(plan->steps[0].slots == 5461);
        CHECK_FALSE(plan->steps[0].same_domain);

        nodes[3].link_down = true;  // d cannot take over: only e is left
        auto fallback = plan_master_failover(report_of(nodes).cluster_topology, sketch_id('a'));
        REQUIRE(fallback);
        CHECK(fallback->steps[0].replica_id == sketch_id('e'));
        CHECK(fallback->steps[0].same_domain);
        CHECK(describe_failover_plan(*fallback).find("[same failure domain") != std::string::npos);
    }

    TEST_CASE("--to must be a healthy replica of the master; a replica is not a master") {
        auto cluster = report_of(layout()).cluster_topology;
        auto chosen = plan_master_failover(cluster, "127.0.0.1:7000", "127.0.0.1:7004");
        REQUIRE(chosen);
        CHECK(chosen->steps[0].replica_id == sketch_id('e'));
        auto wrong = plan_master_failover(cluster, "127.0.0.1:7000", "127.0.0.3:7005");
        REQUIRE_FALSE(wrong);
        CHECK(wrong.failure().message.find("is not a healthy replica of 127.0.0.1:7000") !=
              std::string::npos);
        auto replica = plan_master_failover(cluster, "127.0.0.3:7005");
        REQUIRE_FALSE(replica);
        CHECK(replica.failure().kind == error_kind::usage);
    }

    TEST_CASE("draining a host hands every master on it to a replica on another host") {
        auto cluster = report_of(layout()).cluster_topology;
        auto drain = plan_host_drain(cluster, "127.0.0.1");
        REQUIRE(drain);
        REQUIRE(drain->steps.size() == 1);
        CHECK(drain->steps[0].master_id == sketch_id('a'));
        CHECK(drain->steps[0].replica_id == sketch_id('d'));  // never e, on the same host
        auto nothing = plan_host_drain(cluster, "127.0.0.4");
        REQUIRE_FALSE(nothing);
        CHECK(nothing.failure().kind == error_kind::usage);

        auto nodes = layout();
        nodes[3].link_down = true;  // a's only replica elsewhere is unhealthy
        auto refused = plan_host_drain(report_of(nodes).cluster_topology, "127.0.0.1");
        REQUIRE_FALSE(refused);
        CHECK(refused.failure().message.find("master 127.0.0.1:7000 has no healthy replica on "
                                             "another host") == 0);
    }

    TEST_CASE("an unfit cluster is refused: a dead master, then quorum, then open slots") {
        auto healthy = report_of(layout());
        CHECK(failover_refusal(healthy.cluster_topology, healthy.health).empty());
        auto nodes = layout();
        nodes[2].dead = true;
        auto dead = report_of(nodes);
        CHECK(failover_refusal(dead.cluster_topology, dead.health).find("quorum margin is 0") == 0);
    }

    TEST_CASE("a step is done only when the views agree and the old master's link is up") {
        auto nodes = layout();
        failover_step step{sketch_id('a'), "127.0.0.1:7000", sketch_id('d'), "127.0.0.2:7003", 5461,
                           false};
        CHECK(failover_pending(report_of(nodes).cluster_topology, step, 5461) ==
              "127.0.0.2:7003 is not yet master of the 5461 slot(s)");
        // After the switch: d serves the slots, a replicates d.
        nodes[0] = {'a', "127.0.0.1:7000", 'd'};
        nodes[3] = {'d', "127.0.0.2:7003", 0, "0-5460"};
        nodes[4] = {'e', "127.0.0.1:7004", 'd'};
        CHECK(failover_pending(report_of(nodes).cluster_topology, step, 5461).empty());
        nodes[0].link_down = true;
        CHECK(failover_pending(report_of(nodes).cluster_topology, step, 5461) ==
              "127.0.0.1:7000's link to 127.0.0.2:7003 is not up yet");
    }
}
