#include <doctest/doctest.h>
#include <fmt/format.h>

#include "controller/core/health/findings.hpp"
#include "controller/core/planner/heal_checks.hpp"
#include "controller/core/planner/heal_plan.hpp"
#include "controller/core/planner/rate_limit.hpp"
#include "fixtures.hpp"
#include "sketch.hpp"

using namespace warden;
using testing::sketch_cluster;
using testing::sketch_id;
using testing::sketch_node;

namespace {

topology shape(const std::vector<sketch_node>& nodes) {
    return build_topology(sketch_cluster(nodes), {});
}

heal_plan plan(const std::vector<sketch_node>& nodes, heal_policy policy = {},
               const std::vector<spare_node>& spares = {}) {
    return plan_heal(shape(nodes), policy, spares);
}

// Three masters on three hosts, each with one replica on another host.
std::vector<sketch_node> three_by_one() {
    return {
        {'a', "127.0.0.1:7000", 0, "0-5460"},
        {'b', "127.0.0.2:7001", 0, "5461-10922"},
        {'c', "127.0.0.3:7002", 0, "10923-16383"},
        {'d', "127.0.0.2:7003", 'a'},
        {'e', "127.0.0.3:7004", 'b'},
        {'f', "127.0.0.1:7005", 'c'},
    };
}

sketch_node& node(std::vector<sketch_node>& nodes, char name) {
    for (auto& each : nodes) {
        if (each.name == name) return each;
    }
    FAIL("no such node");
    return nodes.front();
}

}  // namespace

TEST_SUITE("heal plan") {
    TEST_CASE("a healthy cluster needs nothing") {
        auto result = plan(three_by_one());
        CHECK(result.actions.empty());
        CHECK(result.unmet.empty());
        CHECK(describe_plan(result, "x") == "heal plan for cluster x: nothing to do\n");
    }

    TEST_CASE("an orphan takes a spare replica from a master with two, from another host") {
        auto nodes = three_by_one();
        nodes.push_back({'g', "127.0.0.2:7006", 'a'});  // a's second replica, on b's host
        nodes.push_back({'h', "127.0.0.3:7007", 'a'});  // a's third, on c's host
        node(nodes, 'e').dead = true;                   // b's only replica
        heal_policy policy;
        auto result = plan(nodes, policy);
        REQUIRE(result.actions.size() == 1);
        const auto& action = result.actions[0];
        CHECK(action.kind == heal_action_kind::replicate);
        CHECK(action.goal == heal_goal::cover_orphan);
        CHECK(action.source == candidate_class::spare_replica);
        CHECK(action.master_id == sketch_id('b'));
        CHECK(action.donor_master_id == sketch_id('a'));
        // d and g share b's host 127.0.0.2; h is on 127.0.0.3.
        CHECK(action.node_id == sketch_id('h'));
        CHECK(describe_action(action) ==
              "replicate 127.0.0.3:7007 -> replica of 127.0.0.2:7001 (orphaned_master): replica "
              "of 127.0.0.1:7000, which keeps 2 healthy replica(s); failure domain 127.0.0.3, "
              "apart from the master's 127.0.0.2");
        CHECK(result.unmet.empty());
    }

    TEST_CASE("a master's last healthy replica is never taken") {
        auto nodes = three_by_one();
        node(nodes, 'e').dead = true;
        auto result = plan(nodes);
        CHECK(result.actions.empty());
        REQUIRE(result.unmet.size() == 1);
        CHECK(result.unmet[0].master_id == sketch_id('b'));
        CHECK(describe_plan(result, "x")
                  .find("unmet: master 127.0.0.2:7001 (orphaned_master): "
                        "no candidate") != std::string::npos);
    }

    TEST_CASE("a donor never drops its master below the policy minimum") {
        auto nodes = three_by_one();
        nodes.push_back({'g', "127.0.0.3:7006", 'a'});  // a has 2 replicas
        node(nodes, 'e').dead = true;
        heal_policy wants_two;
        wants_two.min_replicas_per_master = 2;
        wants_two.fix_placement = false;
        auto result = plan(nodes, wants_two);
        CHECK(result.actions.empty());
        CHECK(result.unmet.size() == 1);
        CHECK(plan(nodes).actions.size() == 1);  // with a minimum of 1 it may donate
    }

    TEST_CASE("an empty master becomes the replica when no replica can be spared") {
        auto nodes = three_by_one();
        nodes.push_back({'m', "127.0.0.1:7006"});  // a master without slots or replicas
        node(nodes, 'e').dead = true;
        auto result = plan(nodes);
        REQUIRE(result.actions.size() == 1);
        CHECK(result.actions[0].node_id == sketch_id('m'));
        CHECK(result.actions[0].source == candidate_class::empty_master);
        CHECK(result.actions[0].reason.starts_with("empty master (no slots, no replicas)"));
    }

    TEST_CASE("a spare replica is preferred to an empty master") {
        auto nodes = three_by_one();
        nodes.push_back({'m', "127.0.0.1:7006"});
        nodes.push_back({'g', "127.0.0.1:7007", 'a'});
        node(nodes, 'e').dead = true;
        auto result = plan(nodes);
        REQUIRE(result.actions.size() == 1);
        CHECK(result.actions[0].node_id == sketch_id('g'));
    }

    TEST_CASE("a spare node is met and used only when eligible and not yet a member") {
        auto nodes = three_by_one();
        node(nodes, 'e').dead = true;
        std::vector<spare_node> spares{
            {"127.0.0.3:7010", sketch_id('s'), "127.0.0.3", false, "holds 3 keys"},
            {"127.0.0.1:7011", sketch_id('t'), "127.0.0.1", true, ""},
        };
        auto result = plan(nodes, {}, spares);
        REQUIRE(result.actions.size() == 1);
        CHECK(result.actions[0].kind == heal_action_kind::meet_spare);
        CHECK(result.actions[0].source == candidate_class::spare_node);
        CHECK(result.actions[0].node_address == "127.0.0.1:7011");
        spares[1].id = sketch_id('d');  // already in the cluster: it is a member, not a spare
        CHECK(plan(nodes, {}, spares).actions.empty());
    }

    TEST_CASE("a dead master is left to failover, and its replicas are not donors") {
        auto nodes = three_by_one();
        nodes.push_back({'g', "127.0.0.3:7006", 'a'});
        node(nodes, 'a').dead = true;
        node(nodes, 'e').dead = true;
        auto result = plan(nodes);
        CHECK(result.actions.empty());  // b is orphaned, but a's replicas await a's failover
        REQUIRE(result.unmet.size() == 1);
        CHECK(result.unmet[0].master_id == sketch_id('b'));
    }

    TEST_CASE("a replica whose link is down is not a donor") {
        auto nodes = three_by_one();
        nodes.push_back({'g', "127.0.0.3:7006", 'a'});
        node(nodes, 'g').link_down = true;
        node(nodes, 'e').dead = true;
        CHECK(plan(nodes).actions.empty());
    }

    TEST_CASE("two orphans share out the spare capacity, each candidate used once") {
        auto nodes = three_by_one();
        nodes.push_back({'g', "127.0.0.3:7006", 'a'});
        nodes.push_back({'m', "127.0.0.2:7007"});
        node(nodes, 'e').dead = true;
        node(nodes, 'f').dead = true;
        auto result = plan(nodes);
        REQUIRE(result.actions.size() == 2);
        CHECK(result.actions[0].master_id == sketch_id('b'));
        CHECK(result.actions[0].node_id == sketch_id('g'));
        CHECK(result.actions[1].master_id == sketch_id('c'));
        CHECK(result.actions[1].node_id == sketch_id('m'));
        CHECK(plan(nodes) == result);  // deterministic
    }

    TEST_CASE(
        "with spare capacity, masters below target and replicas on the master's host get one") {
        auto nodes = three_by_one();
        node(nodes, 'd').address = "127.0.0.1:7003";  // a's only replica on a's host
        nodes.push_back({'m', "127.0.0.2:7006"});
        auto result = plan(nodes);
        REQUIRE(result.actions.size() == 1);
        CHECK(result.actions[0].goal == heal_goal::spread_failure_domain);
        CHECK(result.actions[0].master_id == sketch_id('a'));
        CHECK(result.actions[0].node_id == sketch_id('m'));
        heal_policy orphans_only;
        orphans_only.fix_placement = false;
        CHECK(plan(nodes, orphans_only).actions.empty());
        node(nodes, 'm').address = "127.0.0.1:7006";  // a candidate on the same host does not help
        CHECK(plan(nodes).actions.empty());

        auto below = three_by_one();
        below.push_back({'m', "127.0.0.2:7006"});
        heal_policy wants_two;
        wants_two.min_replicas_per_master = 2;
        auto filled = plan(below, wants_two);
        REQUIRE(filled.actions.size() == 1);
        CHECK(filled.actions[0].goal == heal_goal::reach_target);
        CHECK(filled.unmet.size() == 2);  // the other two masters stay below target
    }

    TEST_CASE("acting is blocked while a master serving slots is down or quorum is lost") {
        auto nodes = three_by_one();
        auto healthy = shape(nodes);
        CHECK(acting_blocker(healthy, assess(healthy, {})) == "");
        node(nodes, 'c').dead = true;
        auto one_down = shape(nodes);
        CHECK(acting_blocker(one_down, assess(one_down, {})) ==
              "master 127.0.0.3:7002 serving slots is unreachable");
    }

    TEST_CASE("an action is still planned only when a fresh plan makes the same move") {
        auto nodes = three_by_one();
        nodes.push_back({'g', "127.0.0.3:7006", 'a'});
        node(nodes, 'e').dead = true;
        auto first = plan(nodes);
        REQUIRE(first.actions.size() == 1);
        CHECK(still_planned(first.actions[0], plan(nodes)));
        node(nodes, 'e').dead = false;  // b's replica came back
        CHECK_FALSE(still_planned(first.actions[0], plan(nodes)));
    }

    TEST_CASE("a saved offline view is never acted on") {
        auto observed = testing::load_scenario("redis-7.0/replica-killed");
        observed.offline = true;
        auto cluster = build_topology(observed, {});
        CHECK(plan_heal(cluster, {}, {}).actions.empty());
        CHECK(acting_blocker(cluster, assess(cluster, {})) ==
              "offline snapshot: nothing to act on");
    }
}

TEST_SUITE("heal checks") {
    const std::string fresh_view =
        "5e1f0000000000000000000000000000000000aa 127.0.0.3:7010@17010 myself,master - 0 0 0 "
        "connected\n";

    TEST_CASE("an empty, lonely, cluster-enabled master is an eligible spare") {
        auto spare = assess_spare("127.0.0.3:7010", fresh_view, 0, {});
        CHECK(spare.eligible);
        CHECK(spare.id == "5e1f0000000000000000000000000000000000aa");
        CHECK(spare.failure_domain == "127.0.0.3");
    }

    TEST_CASE("a spare with keys, slots, peers or garbage is refused with the reason") {
        CHECK(assess_spare("127.0.0.3:7010", fresh_view, 3, {}).problem == "holds 3 key(s)");
        auto with_slots = fresh_view;
        with_slots.insert(with_slots.size() - 1, " 0-10");
        CHECK(assess_spare("127.0.0.3:7010", with_slots, 0, {}).problem == "serves slots");
        auto known =
            fresh_view +
            testing::sketch_cluster({{'a', "127.0.0.1:7000", 0, "0-1"}}).nodes[0].cluster_nodes;
        known.replace(known.find("myself,"), 7, "");
        CHECK(assess_spare("127.0.0.3:7010", known, 0, {}).problem ==
              "already knows 1 other node(s): not a spare");
        auto garbage = assess_spare("127.0.0.3:7010", "HTTP/1.1 400\r\n", 0, {});
        CHECK_FALSE(garbage.eligible);
        CHECK(garbage.problem.starts_with("unreadable CLUSTER NODES"));
    }

    TEST_CASE("a moved replica is verified by its own view and its link status") {
        auto observed =
            sketch_cluster({{'a', "127.0.0.1:7000", 0, "0-16383"}, {'d', "127.0.0.2:7003", 'a'}});
        const auto& replica = observed.nodes[1];
        CHECK(replication_pending(replica.cluster_nodes, replica.info, sketch_id('a')) == "");
        CHECK(replication_pending(replica.cluster_nodes, "master_link_status:down\r\n",
                                  sketch_id('a')) == "master_link_status:down");
        CHECK(replication_pending(replica.cluster_nodes, replica.info, sketch_id('b')) ==
              "its own view does not yet show it a replica of " + sketch_id('b'));
        CHECK(view_lists(replica.cluster_nodes, sketch_id('a')));
        CHECK_FALSE(view_lists(replica.cluster_nodes, sketch_id('b')));
    }
}

TEST_CASE("the rate limit allows max_actions_per_minute attempts in any minute") {
    using namespace std::chrono_literals;
    action_rate_limit limit(2);
    auto start = action_rate_limit::time_point{} + 1h;
    CHECK(limit.allows(start));
    limit.record(start);
    limit.record(start + 10s);
    CHECK_FALSE(limit.allows(start + 30s));
    CHECK_FALSE(limit.allows(start + 59s));
    CHECK(limit.allows(start + 60s));  // the first attempt left the window
    CHECK(limit.recent() == 1);
    action_rate_limit never(0);
    CHECK_FALSE(never.allows(start));
}

TEST_SUITE("takeover plan") {
    using namespace std::chrono_literals;
    constexpr std::int64_t died_at = 1'000'000;

    // Five masters on five hosts, each with one replica on the next host.
    std::vector<sketch_node> five_by_one() {
        std::vector<sketch_node> nodes;
        const char* slots[] = {"0-3276", "3277-6553", "6554-9829", "9830-13106", "13107-16383"};
        for (int i = 0; i < 5; ++i) {
            nodes.emplace_back(static_cast<char>('a' + i),
                               fmt::format("127.0.0.{}:700{}", i + 1, i), 0, slots[i]);
        }
        for (int i = 0; i < 5; ++i) {
            nodes.emplace_back(static_cast<char>('f' + i),
                               fmt::format("127.0.0.{}:701{}", (i + 1) % 5 + 1, i),
                               static_cast<char>('a' + i));
        }
        for (auto& each : nodes) each.pong_ms = died_at;
        return nodes;
    }

    struct judged {
        topology cluster;
        assessment health;
    };
    judged judge(const std::vector<sketch_node>& nodes) {
        auto cluster = shape(nodes);
        auto health = assess(cluster, {});
        return {std::move(cluster), std::move(health)};
    }

    TEST_CASE("with quorum intact there is nothing to take over") {
        auto nodes = five_by_one();
        nodes[0].dead = true;
        auto [cluster, health] = judge(nodes);
        CHECK(plan_takeover(cluster, health, died_at + 60'000, 6s).actions.empty());
    }

    TEST_CASE("three of five masters dead: one takeover restores the majority, after the delay") {
        auto nodes = five_by_one();
        for (int i : {0, 1, 2}) nodes[i].dead = true;
        nodes[5].offset = 90;  // a's replica f lags; it is still a's only replica
        auto [cluster, health] = judge(nodes);
        REQUIRE(health.quorum.margin == -1);
        auto early = plan_takeover(cluster, health, died_at + 3'000, 6s);
        CHECK(early.actions.empty());
        REQUIRE_FALSE(early.unmet.empty());
        CHECK(early.unmet[0].reason == "dead for 3.0 s; takeover after 6.0 s");

        auto due = plan_takeover(cluster, health, died_at + 7'000, 6s);
        REQUIRE(due.actions.size() == 1);  // margin -1: one more healthy master suffices
        const auto& action = due.actions[0];
        CHECK(action.kind == heal_action_kind::takeover);
        CHECK(action.master_id == sketch_id('a'));  // ties on slots: the first by address
        CHECK(action.node_id == sketch_id('f'));
        CHECK(describe_action(action).starts_with(
            "takeover 127.0.0.2:7010 -> master in place of dead 127.0.0.1:7000 (quorum_lost)"));
        CHECK(takeover_blocker(cluster) == "");
    }

    TEST_CASE("the replica with the highest offset is promoted; down or nofailover ones never") {
        auto nodes = five_by_one();
        for (int i : {0, 1, 2}) nodes[i].dead = true;
        nodes.emplace_back('k', "127.0.0.4:7020", 'a');
        nodes.back().offset = 150;
        nodes.back().pong_ms = died_at;
        auto [cluster, health] = judge(nodes);
        auto due = plan_takeover(cluster, health, died_at + 7'000, 6s);
        REQUIRE(due.actions.size() == 1);
        CHECK(due.actions[0].node_id == sketch_id('k'));
        nodes.back().dead = true;
        nodes[5].dead = true;  // a has no live replica now: b is next
        auto [cluster2, health2] = judge(nodes);
        auto next = plan_takeover(cluster2, health2, died_at + 7'000, 6s);
        REQUIRE(next.actions.size() == 1);
        CHECK(next.actions[0].master_id == sketch_id('b'));
        CHECK(next.unmet[0].reason.starts_with("no replica to promote"));
    }

    TEST_CASE("a master only some views flag is not dead, and blocks a takeover") {
        auto nodes = five_by_one();
        for (int i : {0, 1, 2}) nodes[i].dead = true;
        auto observed = sketch_cluster(nodes);
        // One live view has not flagged c (127.0.0.3:7002) yet.
        auto& view = testing::probe_at(observed, "127.0.0.4:7003").cluster_nodes;
        auto at = view.find(sketch_id('c'));
        auto flags = view.find("slave,fail", at) < view.find('\n', at)
                         ? std::string::npos
                         : view.find("master,fail", at);
        REQUIRE(flags != std::string::npos);
        view.replace(flags, 11, "master");
        auto cluster = build_topology(observed, {});
        auto health = assess(cluster, {});
        auto due = plan_takeover(cluster, health, died_at + 7'000, 6s);
        REQUIRE(due.actions.size() == 1);
        CHECK(due.actions[0].master_id == sketch_id('a'));
        CHECK(takeover_blocker(cluster) ==
              "master 127.0.0.3:7002 serving slots is unreachable but not agreed dead");
    }
}
