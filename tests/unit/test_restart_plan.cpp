#include <doctest/doctest.h>

#include "controller/core/planner/restart_plan.hpp"
#include "controller/core/report/report.hpp"
#include "sketch.hpp"

using namespace warden;
using testing::sketch_id;
using testing::sketch_node;

namespace {

// Masters a (.1), b (.2), c (.3); replicas d of a (.2), e of b (.3), f of c (.1).
std::vector<sketch_node> layout() {
    return {{'a', "127.0.0.1:7000", 0, "0-5460"},
            {'b', "127.0.0.2:7001", 0, "5461-10922"},
            {'c', "127.0.0.3:7002", 0, "10923-16383"},
            {'d', "127.0.0.2:7003", 'a'},
            {'e', "127.0.0.3:7004", 'b'},
            {'f', "127.0.0.1:7005", 'c'}};
}

check_report report_of(const std::vector<sketch_node>& nodes) {
    return analyze(testing::sketch_cluster(nodes), {});
}

std::vector<std::string> order_of(const restart_plan& plan) {
    std::vector<std::string> out;
    for (const auto& step : plan.steps) out.push_back(step.address);
    return out;
}

}  // namespace

TEST_SUITE("restart plan") {
    TEST_CASE("replicas first by domain, then masters; --node, --host and --state narrow it") {
        auto cluster = report_of(layout()).cluster_topology;
        auto plan = plan_rolling_restart(cluster, {}, {});
        REQUIRE(plan);
        CHECK(order_of(*plan) == std::vector<std::string>{"127.0.0.1:7005", "127.0.0.2:7003",
                                                          "127.0.0.3:7004", "127.0.0.1:7000",
                                                          "127.0.0.2:7001", "127.0.0.3:7002"});
        CHECK_FALSE(plan->steps[0].master);
        CHECK(plan->steps[3].master);
        CHECK(plan->steps[3].port == 7000);
        CHECK(describe_restart_plan(*plan).find("4. master 127.0.0.1:7000") != std::string::npos);

        auto host = plan_rolling_restart(cluster, {}, {"127.0.0.2"});
        REQUIRE(host);
        CHECK(order_of(*host) == std::vector<std::string>{"127.0.0.2:7003", "127.0.0.2:7001"});
        auto one = plan_rolling_restart(cluster, {"127.0.0.3:7002"}, {});
        REQUIRE(one);
        CHECK(order_of(*one) == std::vector<std::string>{"127.0.0.3:7002"});
        auto rest = plan_rolling_restart(cluster, {}, {}, {sketch_id('f'), sketch_id('d')});
        REQUIRE(rest);
        CHECK(rest->steps.size() == 4);
        CHECK(rest->steps[0].address == "127.0.0.3:7004");
        auto unknown = plan_rolling_restart(cluster, {}, {"10.9.9.9"});
        REQUIRE_FALSE(unknown);
        CHECK(unknown.failure().kind == error_kind::usage);
    }

    TEST_CASE("refused: a master without a healthy replica, open slots; fine when healthy") {
        CHECK(restart_refusal(report_of(layout()).cluster_topology, report_of(layout()).health)
                  .empty());
        auto broken = layout();
        broken[4].link_down = true;  // b's only replica
        auto report = report_of(broken);
        auto why = restart_refusal(report.cluster_topology, report.health);
        INFO(why);
        CHECK(why.find("master 127.0.0.2:7001 serves 5462 slot(s) and has no healthy replica") !=
              std::string::npos);
        auto open = layout();
        open[0].slots = "0-5460 [5460->-" + sketch_id('b') + "]";
        auto opened = report_of(open);
        CHECK(restart_refusal(opened.cluster_topology, opened.health).find("open") !=
              std::string::npos);
    }

    TEST_CASE("a restarted replica is back only when it answers, is synced and caught up") {
        auto report = report_of(layout());
        const auto& cluster = report.cluster_topology;
        auto baseline = finding_keys(report.health);
        restarted_node_reading reading{true, "", false, false, 100, 100};
        CHECK(restart_pending(cluster, report.health, sketch_id('d'), reading, "", baseline) == "");
        auto down = reading;
        down.answered = false;
        down.error = "connection refused";
        CHECK(restart_pending(cluster, report.health, sketch_id('d'), down, "", baseline) ==
              "it does not answer: connection refused");
        auto loading = reading;
        loading.loading = true;
        CHECK(restart_pending(cluster, report.health, sketch_id('d'), loading, "", baseline) ==
              "it is loading its data set");
        auto behind = reading;
        behind.master_offset_before = 150;
        CHECK(restart_pending(cluster, report.health, sketch_id('d'), behind, "", baseline)
                  .find("behind its master's 150") != std::string::npos);
        CHECK(restart_pending(cluster, report.health, sketch_id('d'), reading,
                              "127.0.0.1:7000 reports cluster_state:fail",
                              baseline) == "127.0.0.1:7000 reports cluster_state:fail");
        CHECK(restart_pending(cluster, report.health, sketch_id('a'), reading, "", baseline) ==
              "it is not a replica");
        auto linkless = layout();
        linkless[3].link_down = true;
        auto unlinked = report_of(linkless);
        CHECK(restart_pending(unlinked.cluster_topology, unlinked.health, sketch_id('d'), reading,
                              "", baseline) == "its link to its master is not up");
        CHECK(restart_pending(unlinked.cluster_topology, unlinked.health, sketch_id('d'), reading,
                              "", {}) != "");  // a finding the run did not start with
    }

    TEST_CASE("the --state file round-trips; versions are reported before -> after") {
        restart_progress progress{"sso",
                                  "systemctl restart redis@{port}",
                                  {"a", "b"},
                                  {"a"},
                                  {{"a", "6.2.14"}, {"b", "6.2.14"}}};
        auto parsed = parse_progress(progress_json(progress));
        REQUIRE(parsed);
        CHECK(*parsed == progress);
        CHECK_FALSE(parse_progress("{\"cluster\":\"x\"}"));
        CHECK_FALSE(parse_progress("nonsense"));
        CHECK(describe_versions(2, progress.versions_before, {{"a", "7.0.15"}, {"b", "7.0.15"}}) ==
              "2 node(s) restarted, 6.2.14 -> 7.0.15");
        CHECK(describe_versions(1, {{"a", ""}}, {{"a", "7.0.15"}}) ==
              "1 node(s) restarted, ? -> 7.0.15");
    }
}
