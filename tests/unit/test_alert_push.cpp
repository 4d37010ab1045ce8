#include <doctest/doctest.h>

#include "controller/core/events/alert_push.hpp"
#include "controller/core/events/warden_events.hpp"

using namespace warden;
using namespace std::chrono_literals;

namespace {
finding orphan(severity level = severity::critical) {
    return {"orphaned_master", level, {"m1"}, "master without replica", ""};
}
}  // namespace

TEST_CASE("an active finding is a firing alert that ends by itself after 4 resend intervals") {
    active_findings active;
    alert_push_state state;
    for (const auto& item : finding_events("main", track_findings(active, {orphan()}, {}), 100)) {
        CHECK(state.apply(item));
    }
    auto alerts = nlohmann::json::parse(state.take_body(130, 60));
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0]["labels"]["alertname"] == "RedisWarden_orphaned_master");
    CHECK(alerts[0]["labels"]["cluster"] == "main");
    CHECK(alerts[0]["labels"]["severity"] == "critical");
    CHECK(alerts[0]["labels"]["code"] == "orphaned_master");
    CHECK(alerts[0]["labels"]["nodes"] == "m1");
    CHECK(alerts[0]["annotations"]["summary"] == "orphaned_master raised: master without replica");
    CHECK(alerts[0]["startsAt"] == "1970-01-01T00:01:40.000Z");
    CHECK(alerts[0]["endsAt"] == "1970-01-01T00:06:10.000Z");            // 130 + 240
    CHECK(nlohmann::json::parse(state.take_body(190, 60)).size() == 1);  // re-sent
}

TEST_CASE("a cleared finding is sent once with endsAt, then forgotten") {
    active_findings active;
    alert_push_state state;
    for (const auto& item : finding_events("main", track_findings(active, {orphan()}, {}), 100)) {
        state.apply(item);
    }
    for (const auto& item : finding_events("main", track_findings(active, {}, {}), 200)) {
        CHECK(state.apply(item));
    }
    auto alerts = nlohmann::json::parse(state.take_body(201, 60));
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0]["endsAt"] == "1970-01-01T00:03:20.000Z");
    CHECK(state.empty());
    CHECK(nlohmann::json::parse(state.take_body(260, 60)).empty());
}

TEST_CASE("a new severity ends the old alert and starts one with the new label") {
    active_findings active;
    alert_push_state state;
    auto apply = [&](const std::vector<finding>& now, double at) {
        for (const auto& item : finding_events("main", track_findings(active, now, {}), at)) {
            state.apply(item);
        }
    };
    apply({orphan(severity::warning)}, 100);
    apply({orphan(severity::critical)}, 150);
    auto alerts = nlohmann::json::parse(state.take_body(150, 60));
    REQUIRE(alerts.size() == 2);
    CHECK(alerts[0]["labels"]["severity"] == "critical");
    CHECK(alerts[1]["labels"]["severity"] == "warning");
    CHECK(alerts[1]["endsAt"] == "1970-01-01T00:02:30.000Z");
}

TEST_CASE("events other than findings change nothing") {
    alert_push_state state;
    event failover;
    failover.type = event_type::failover;
    CHECK_FALSE(state.apply(failover));
    CHECK(state.empty());
}
