#include <doctest/doctest.h>

#include "controller/core/planner/rebalance_plan.hpp"
#include "sketch.hpp"

using namespace warden;
using testing::sketch_cluster;
using testing::sketch_id;

namespace {

topology three_and_empty() {
    return build_topology(sketch_cluster({{'a', "127.0.0.1:7000", 0, "0-5460"},
                                          {'b', "127.0.0.1:7001", 0, "5461-10922"},
                                          {'c', "127.0.0.1:7002", 0, "10923-16383"},
                                          {'e', "127.0.0.1:7003"}}),
                          {});
}

int moved_into(const rebalance_plan& plan, const std::string& id) {
    int total = 0;
    for (const auto& move : plan.moves) {
        if (move.target_id == id) total += move.slot_count;
    }
    return total;
}

}  // namespace

TEST_SUITE("rebalance plan") {
    TEST_CASE("an empty master gets a quarter of the slots with the fewest moves") {
        rebalance_policy policy;
        policy.use_empty_masters = true;
        auto plan = plan_rebalance(three_and_empty(), policy);
        REQUIRE(plan.has_value());
        CHECK(plan->targets.at(sketch_id('e')) == 4096);
        CHECK(plan->slots_moved == 4096);  // exactly what the new master lacks
        CHECK(moved_into(*plan, sketch_id('e')) == 4096);
        CHECK(plan->moves.size() == 3);
        for (const auto& move : plan->moves) CHECK(move.slots.size() == 1);  // contiguous
        CHECK(plan_rebalance(three_and_empty(), policy).value() == *plan);   // deterministic
        auto text = describe_rebalance(*plan, three_and_empty());
        CHECK(text.starts_with("rebalance plan: 4096 slot(s) in 3 move(s)\n"));
    }

    TEST_CASE("without --use-empty-masters a balanced cluster has nothing to move") {
        auto plan = plan_rebalance(three_and_empty(), {});
        REQUIRE(plan.has_value());
        CHECK(plan->moves.empty());
        CHECK(describe_rebalance(*plan, three_and_empty()) == "rebalance plan: nothing to move\n");
    }

    TEST_CASE("weights shape the targets; zero drains a master; the threshold keeps near ones") {
        rebalance_policy policy;
        policy.weights = {{sketch_id('a'), 2.0}, {sketch_id('c'), 0.0}};
        policy.threshold_percent = 0;
        auto plan = plan_rebalance(three_and_empty(), policy);
        REQUIRE(plan.has_value());
        CHECK(plan->targets.at(sketch_id('a')) == 10923);
        CHECK(plan->targets.at(sketch_id('b')) == 5461);
        CHECK(plan->targets.at(sketch_id('c')) == 0);
        policy.threshold_percent = 2;  // b (5462) is within 2% of 5461 and keeps its slots
        CHECK(plan_rebalance(three_and_empty(), policy)->targets.at(sketch_id('b')) == 5462);
        rebalance_policy loose;
        loose.weights = {{sketch_id('a'), 1.05}};
        loose.threshold_percent = 10;
        auto nothing = plan_rebalance(three_and_empty(), loose);
        REQUIRE(nothing.has_value());
        CHECK(nothing->moves.empty());
        loose.threshold_percent = 1;
        CHECK_FALSE(plan_rebalance(three_and_empty(), loose)->moves.empty());
    }

    TEST_CASE("bad weights are refused with the reason") {
        rebalance_policy policy;
        policy.weights = {{sketch_id('z'), 1.0}};
        CHECK(plan_rebalance(three_and_empty(), policy).failure().message ==
              "--weight names " + sketch_id('z') + ", which is not a master");
        policy.weights = {{sketch_id('a'), 0.0}, {sketch_id('b'), 0.0}, {sketch_id('c'), 0.0}};
        CHECK(plan_rebalance(three_and_empty(), policy)
                  .failure()
                  .message.starts_with("every weight is zero"));
    }

    TEST_CASE("a manual move takes given slots from their owners, checking --from") {
        auto cluster = three_and_empty();
        auto plan = plan_manual_move(cluster, "0-99,5461,16383", sketch_id('e'), "");
        REQUIRE(plan.has_value());
        CHECK(plan->slots_moved == 102);
        CHECK(plan->moves.size() == 3);
        auto wrong = plan_manual_move(cluster, "0-99,5461", sketch_id('e'), sketch_id('a'));
        REQUIRE_FALSE(wrong.has_value());
        CHECK(wrong.failure().message == "slot 5461 is served by 127.0.0.1:7001, not by --from");
    }

    TEST_CASE("slot lists and node names parse or say what is wrong") {
        auto ranges = parse_slot_list("5,0-3,4,10");
        REQUIRE(ranges.has_value());
        CHECK(*ranges == std::vector<slot_range>{{0, 5}, {10, 10}});
        CHECK(parse_slot_list("0-16384").failure().message ==
              "invalid slot range '0-16384' (slots are 0-16383)");
        CHECK_FALSE(parse_slot_list("x").has_value());
        auto cluster = three_and_empty();
        CHECK(resolve_node(cluster, "127.0.0.1:7001").value() == sketch_id('b'));
        CHECK(resolve_node(cluster, sketch_id('c').substr(0, 8)).has_value() ==
              false);  // ambiguous
        CHECK(resolve_node(cluster, sketch_id('c')).value() == sketch_id('c'));
        CHECK(resolve_node(cluster, "nope").failure().message == "no node 'nope' in the cluster");
    }
}
