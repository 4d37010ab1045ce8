#include <doctest/doctest.h>

#include "controller/core/events/warden_events.hpp"

using namespace warden;
using namespace std::chrono_literals;

TEST_CASE("a finding that appears and clears becomes finding_raised then finding_cleared") {
    active_findings active;
    finding orphan{"orphaned_master", severity::critical, {"m1"}, "no replica", ""};
    auto raised = finding_events("main", track_findings(active, {orphan}, wall_time{}), 5);
    REQUIRE(raised.size() == 1);
    CHECK(raised[0].type == event_type::finding_raised);
    CHECK(raised[0].level == event_severity::critical);
    CHECK(raised[0].nodes == std::vector<std::string>{"m1"});
    CHECK(raised[0].details["code"] == "orphaned_master");
    CHECK(raised[0].time == 5);
    auto cleared = finding_events("main", track_findings(active, {}, wall_time{} + 30s), 35);
    REQUIRE(cleared.size() == 1);
    CHECK(cleared[0].type == event_type::finding_cleared);
    CHECK(cleared[0].level == event_severity::info);
    CHECK(cleared[0].details["lasted_seconds"] == 30.0);
}

TEST_CASE("a heal action's outcome is an action event naming both nodes") {
    heal_action action;
    action.kind = heal_action_kind::replicate;
    action.node_id = "r1";
    action.node_address = "10.0.0.2:6379";
    action.master_id = "m1";
    action.master_address = "10.0.0.1:6379";
    auto done = action_event("main", action, "success", "link up", 1);
    CHECK(done.type == event_type::action);
    CHECK(done.level == event_severity::info);
    CHECK(done.nodes == std::vector<std::string>{"r1", "m1"});
    CHECK(done.details["outcome"] == "success");
    CHECK(done.details["action"] == "replicate");
    CHECK(action_event("main", action, "failed", "", 1).level == event_severity::warning);
}

TEST_CASE("leadership and maintenance changes say which way they went") {
    CHECK(leadership_event("main", true, "", 0).details["state"] == "gained");
    auto lost = leadership_event("main", false, "host-b:1@x", 0);
    CHECK(lost.details["state"] == "lost");
    CHECK(lost.level == event_severity::warning);
    CHECK(maintenance_event("main", true, "restart by ops", 0).details["state"] == "on");
    CHECK(maintenance_event("main", false, "restart by ops", 0).type == event_type::maintenance);
}
