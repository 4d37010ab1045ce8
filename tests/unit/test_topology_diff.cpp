#include <doctest/doctest.h>

#include "controller/core/events/topology_diff.hpp"
#include "fixtures.hpp"

using namespace warden;

namespace {

const std::string old_master = "e9e1e695c08c8223bd13a3f546a8cbbca9e2fd70";  // 127.0.0.3:21102
const std::string promoted = "e6cc5ad99e8982f1432c08d2f60a791b6ca84d1f";    // 127.0.0.1:21103

topology scenario(const std::string& name) {
    return build_topology(testing::load_scenario("redis-7.0/" + name), {});
}

std::vector<event> of_type(const topology_diff& diff, event_type type) {
    std::vector<event> found;
    for (const auto& item : diff.events) {
        if (item.type == type) found.push_back(item);
    }
    return found;
}

// The node forgotten by every view (CLUSTER FORGET everywhere): its lines go.
void drop_lines_naming(std::string& text, const std::string& id) {
    std::string kept;
    for (std::size_t at = 0; at < text.size();) {
        auto end = text.find('\n', at);
        end = end == std::string::npos ? text.size() : end + 1;
        if (text.compare(at, id.size(), id) != 0) kept += text.substr(at, end - at);
        at = end;
    }
    text = kept;
}

}  // namespace

TEST_CASE("a master killed and replaced by its replica is one automatic failover event") {
    auto diff = diff_topologies("main", scenario("master-killed-undetected"),
                                scenario("master-killed-after-failover"), {}, 0, 1000.5);
    auto failovers = of_type(diff, event_type::failover);
    REQUIRE(failovers.size() == 1);
    const auto& failover = failovers[0];
    CHECK(failover.cluster == "main");
    CHECK(failover.level == event_severity::critical);
    CHECK(failover.time == 1000.5);
    CHECK(failover.nodes == std::vector<std::string>{old_master, promoted});
    CHECK(failover.details["kind"] == "automatic");
    CHECK(failover.details["old_master"]["address"] == "127.0.0.3:21102");
    CHECK(failover.details["new_master"]["address"] == "127.0.0.1:21103");
    CHECK(failover.details["slots"] == "10923-16383");
    CHECK(failover.details["slot_count"] == 5461);
    CHECK(failover.details["config_epoch"] == 7);
    CHECK(failover.message.find("127.0.0.3:21102") != std::string::npos);
    CHECK(diff.failover_epoch == 7);
    CHECK(of_type(diff, event_type::slots_moved).empty());
}

TEST_CASE("the dead master flagged fail by the cluster is a node_failing event") {
    auto diff = diff_topologies("main", scenario("master-killed-undetected"),
                                scenario("master-killed-after-failover"), {}, 0, 0);
    auto failing = of_type(diff, event_type::node_failing);
    REQUIRE(failing.size() == 1);
    CHECK(failing[0].nodes == std::vector<std::string>{old_master});
}

TEST_CASE("a failover at or below the epoch already announced is not announced again") {
    auto before = scenario("master-killed-undetected");
    auto after = scenario("master-killed-after-failover");
    auto diff = diff_topologies("main", before, after, {}, 7, 0);
    CHECK(of_type(diff, event_type::failover).empty());
    CHECK(diff.failover_epoch == 7);
    CHECK(of_type(diff, event_type::slots_moved).empty());  // still known as a failover
    CHECK(of_type(diff_topologies("main", before, after, {}, 6, 0), event_type::failover).size() ==
          1);
}

TEST_CASE("warden's own takeover of the promoted replica makes the failover a takeover") {
    poll_actions acted;
    acted.takeover_node_ids = {promoted};
    auto diff = diff_topologies("main", scenario("master-killed-undetected"),
                                scenario("master-killed-after-failover"), acted, 0, 0);
    auto failovers = of_type(diff, event_type::failover);
    REQUIRE(failovers.size() == 1);
    CHECK(failovers[0].details["kind"] == "takeover");
}

TEST_CASE("an old master up and replicating the new one is a manual failover") {
    auto diff = diff_topologies("main", scenario("healthy-3x1-three-hosts"),
                                scenario("slot-migrating"), {}, 0, 0);
    auto failovers = of_type(diff, event_type::failover);
    REQUIRE(failovers.size() == 1);
    CHECK(failovers[0].details["kind"] == "manual");
    CHECK(failovers[0].level == event_severity::warning);
}

TEST_CASE("a node no longer flagged failing is a node_recovered event") {
    auto diff = diff_topologies("main", scenario("master-killed-after-failover"),
                                scenario("slot-migrating"), {}, 7, 0);
    auto recovered = of_type(diff, event_type::node_recovered);
    REQUIRE(recovered.size() == 1);
    CHECK(recovered[0].nodes == std::vector<std::string>{old_master});
    CHECK(of_type(diff, event_type::failover).empty());
}

TEST_CASE("two identical polls yield no events") {
    auto healthy = scenario("healthy-3x1-three-hosts");
    CHECK(diff_topologies("main", healthy, healthy, {}, 0, 0).events.empty());
}

TEST_CASE("slots given to another master are one slots_moved event per source and target") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    testing::edit_views(observed, "connected 0-5460", "connected 0-5449");
    testing::edit_views(observed, "connected 5461-10922", "connected 5450-10922");
    auto diff = diff_topologies("main", scenario("healthy-3x1-three-hosts"),
                                build_topology(observed, {}), {}, 0, 0);
    auto moved = of_type(diff, event_type::slots_moved);
    REQUIRE(moved.size() == 1);
    CHECK(moved[0].details["from"]["address"] == "127.0.0.1:21100");
    CHECK(moved[0].details["to"]["address"] == "127.0.0.2:21101");
    CHECK(moved[0].details["slots"] == "5450-5460");
    CHECK(moved[0].details["slot_count"] == 11);
    CHECK(of_type(diff, event_type::failover).empty());
}

TEST_CASE("a node no view lists any more is removed; one that appears is added") {
    auto full = scenario("healthy-3x1-three-hosts");
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    observed.nodes.erase(observed.nodes.begin() + 1);  // 127.0.0.1:21103's own view
    for (auto& probe : observed.nodes) drop_lines_naming(probe.cluster_nodes, promoted);
    auto smaller = build_topology(observed, {});
    REQUIRE(smaller.find(promoted) == nullptr);
    auto removed =
        of_type(diff_topologies("main", full, smaller, {}, 0, 0), event_type::node_removed);
    REQUIRE(removed.size() == 1);
    CHECK(removed[0].nodes == std::vector<std::string>{promoted});
    auto added = of_type(diff_topologies("main", smaller, full, {}, 0, 0), event_type::node_added);
    REQUIRE(added.size() == 1);
    CHECK(added[0].details["node"]["address"] == "127.0.0.1:21103");
}

TEST_CASE("a poll in which nothing answered yields no events") {
    topology nothing;
    auto healthy = scenario("healthy-3x1-three-hosts");
    CHECK(diff_topologies("main", healthy, nothing, {}, 0, 0).events.empty());
    CHECK(diff_topologies("main", nothing, healthy, {}, 0, 0).events.empty());
}
