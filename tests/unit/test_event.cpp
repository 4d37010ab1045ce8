#include <doctest/doctest.h>

#include "controller/core/events/event.hpp"
#include "controller/core/utc_time.hpp"

using namespace warden;

TEST_CASE("an event's time reads as ISO 8601 UTC with milliseconds") {
    CHECK(utc_text_ms(1796283662.1234) == "2026-12-03T07:41:02.123Z");
    CHECK(utc_text_ms(0) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("an event renders with every field of the /events contract") {
    event item;
    item.id = 42;
    item.time = 1796283662.5;
    item.cluster = "main";
    item.type = event_type::failover;
    item.level = event_severity::critical;
    item.nodes = {"a", "b"};
    item.message = "failover";
    item.details = {{"kind", "automatic"}};
    auto json = event_json(item);
    CHECK(json["id"] == 42);
    CHECK(json["time"] == "2026-12-03T07:41:02.500Z");
    CHECK(json["type"] == "failover");
    CHECK(json["severity"] == "critical");
    CHECK(json["nodes"] == nlohmann::json::array({"a", "b"}));
    CHECK(json["details"]["kind"] == "automatic");
    auto document = nlohmann::json::parse(events_document({item, item}));
    CHECK(document["events"].size() == 2);
    CHECK(event_log_line(item) ==
          "cluster=main event=failover id=42 severity=critical nodes=a,b: failover");
}

TEST_CASE("every event type and severity name reads back as itself") {
    for (auto type : all_event_types()) CHECK(event_type_named(to_string(type)) == type);
    CHECK(all_event_types().size() == 11);
    CHECK(event_severity_named("warning") == event_severity::warning);
    CHECK_FALSE(event_type_named("switch-master"));
    CHECK_FALSE(event_severity_named("ok"));
}

TEST_CASE("since in the query of GET /events is a whole number, 0 when absent") {
    CHECK(*events_since("") == 0);
    CHECK(*events_since("since=17") == 17);
    CHECK(*events_since("x=1&since=3") == 3);
    for (const char* bad : {"since=", "since=-1", "since=abc", "since=1.5", "since"}) {
        auto parsed = events_since(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.failure().kind == error_kind::usage);
    }
}
