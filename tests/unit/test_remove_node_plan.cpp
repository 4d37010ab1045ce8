#include <doctest/doctest.h>

#include "controller/core/planner/node_change_plan.hpp"
#include "controller/core/report/report.hpp"
#include "sketch.hpp"

using namespace warden;
using testing::sketch_id;
using testing::sketch_node;

namespace {

// Masters a (.1), b (.2), c (.3); d (.2) replicates a, e (.3) replicates b; c has none.
std::vector<sketch_node> layout() {
    return {{'a', "127.0.0.1:7000", 0, "0-5460"},
            {'b', "127.0.0.2:7001", 0, "5461-10922"},
            {'c', "127.0.0.3:7002", 0, "10923-16383"},
            {'d', "127.0.0.2:7003", 'a'},
            {'e', "127.0.0.3:7004", 'b'}};
}

topology cluster_of(const std::vector<sketch_node>& nodes) {
    return analyze(testing::sketch_cluster(nodes), {}).cluster_topology;
}

remove_node_plan removing(const std::vector<sketch_node>& nodes, std::vector<char> names,
                          leave_options options = {}) {
    std::vector<std::string> ids;
    for (char name : names) ids.push_back(sketch_id(name));
    return plan_remove_nodes(cluster_of(nodes), ids, options, {});
}

}  // namespace

TEST_SUITE("remove-node plan") {
    TEST_CASE("a master serving slots leaves only with --drain, which names the flag") {
        auto plan = removing(layout(), {'a'});
        REQUIRE(plan.refusals.size() == 1);
        CHECK(plan.refusals[0].reason == node_refusal_reason::serves_slots);
        CHECK(plan.refusals[0].override_flag == "--drain");
        CHECK(describe_refusal(plan.refusals[0]) ==
              "127.0.0.1:7000: serves 5461 slot(s) (give --drain to move them to the other "
              "masters first)");
        CHECK_FALSE(plan.drain);
    }

    TEST_CASE(
        "a drained master's slots go to the other masters and its replica to the "
        "master that needs one most") {
        leave_options drain;
        drain.drain = true;
        auto plan = removing(layout(), {'a'}, drain);
        CHECK(plan.refusals.empty());
        REQUIRE(plan.drain);
        CHECK(plan.drain->slots_moved == 5461);
        CHECK(plan.drain->targets.at(sketch_id('a')) == 0);
        for (const auto& move : plan.drain->moves) CHECK(move.source_id == sketch_id('a'));
        REQUIRE(plan.repoints.size() == 1);
        CHECK(plan.repoints[0].node_id == sketch_id('d'));
        CHECK(plan.repoints[0].master_id == sketch_id('c'));  // c is orphaned
        REQUIRE(plan.nodes.size() == 1);
        CHECK_FALSE(plan.nodes[0].down);
        CHECK(describe_remove_plan(plan, cluster_of(layout())).find("re-point 127.0.0.2:7003") !=
              std::string::npos);
    }

    TEST_CASE("the last master cannot be drained: its slots have nowhere to go") {
        std::vector<sketch_node> single{{'a', "127.0.0.1:7000", 0, "0-16383"},
                                        {'d', "127.0.0.2:7003", 'a'}};
        leave_options drain;
        drain.drain = true;
        auto plan = removing(single, {'a'}, drain);
        REQUIRE_FALSE(plan.refusals.empty());
        CHECK(plan.refusals[0].reason == node_refusal_reason::no_master_left);
    }

    TEST_CASE("a master's last healthy replica leaves only with --force") {
        auto plan = removing(layout(), {'d'});
        REQUIRE(plan.refusals.size() == 1);
        CHECK(plan.refusals[0].reason == node_refusal_reason::last_healthy_replica);
        CHECK(plan.refusals[0].override_flag == "--force");
        CHECK(plan.refusals[0].detail.find("is the last healthy replica of 127.0.0.1:7000") == 0);
        leave_options force;
        force.force = true;
        CHECK(removing(layout(), {'d'}, force).refusals.empty());

        auto two = layout();
        two.push_back({'g', "127.0.0.3:7006", 'a'});
        CHECK(removing(two, {'d'}).refusals.empty());           // g stays
        CHECK(removing(two, {'d', 'g'}).refusals.size() == 2);  // none would
    }

    TEST_CASE("a dead replica is only forgotten and needs no --force") {
        auto nodes = layout();
        nodes[3].dead = true;
        auto plan = removing(nodes, {'d'});
        CHECK(plan.refusals.empty());
        REQUIRE(plan.nodes.size() == 1);
        CHECK(plan.nodes[0].down);
        CHECK(describe_remove_plan(plan, cluster_of(nodes)).find("down: only forgotten") !=
              std::string::npos);
    }

    TEST_CASE("a dead master that still serves slots is refused whatever the flags") {
        auto nodes = layout();
        nodes[2].dead = true;
        leave_options all;
        all.drain = all.force = true;
        auto plan = removing(nodes, {'c'}, all);
        REQUIRE(plan.refusals.size() == 1);
        CHECK(plan.refusals[0].reason == node_refusal_reason::down_with_slots);
        CHECK(plan.refusals[0].override_flag.empty());
    }

    TEST_CASE(
        "--failed names every node flagged fail, and an empty master's replica is "
        "re-pointed") {
        auto nodes = layout();
        nodes[3].dead = true;                      // d
        nodes.push_back({'g', "127.0.0.1:7006"});  // an empty master, dead
        nodes.back().dead = true;
        nodes.push_back({'h', "127.0.0.2:7007", 'g'});  // its live replica
        auto cluster = cluster_of(nodes);
        auto failed = failed_node_ids(cluster);
        REQUIRE(failed.size() == 2);
        CHECK(failed[0] == sketch_id('g'));  // by address: 127.0.0.1:7006 first
        CHECK(failed[1] == sketch_id('d'));
        auto plan = plan_remove_nodes(cluster, failed, {}, {});
        CHECK(plan.refusals.empty());
        REQUIRE(plan.repoints.size() == 1);
        CHECK(plan.repoints[0].node_id == sketch_id('h'));
        CHECK(plan.repoints[0].master_id == sketch_id('a'));  // lost d: orphaned now
    }

    TEST_CASE("--failed also names a :0@0 ghost that some views keep") {
        auto observed = testing::sketch_cluster(layout());
        auto ghost = std::string(39, '0') + "9";
        observed.nodes[0].cluster_nodes +=
            ghost + " :0@0 master,fail?,noaddr - 1000 0 0 disconnected\n";
        auto cluster = analyze(observed, {}).cluster_topology;
        auto failed = failed_node_ids(cluster);
        REQUIRE(failed.size() == 1);
        CHECK(failed[0] == ghost);
        auto plan = plan_remove_nodes(cluster, failed, {}, {});
        CHECK(plan.refusals.empty());
        REQUIRE(plan.nodes.size() == 1);
        CHECK(plan.nodes[0].ghost);
        CHECK(describe_remove_plan(plan, cluster).find("a ghost entry: only forgotten") !=
              std::string::npos);
    }
}
