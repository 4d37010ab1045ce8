#include <doctest/doctest.h>

#include "controller/core/events/webhook_payload.hpp"

using namespace warden;

namespace {
event sample(event_type type, event_severity level) {
    event item;
    item.id = 7;
    item.time = 1796283662.25;
    item.cluster = "main";
    item.type = type;
    item.level = level;
    item.nodes = {"a"};
    item.message = "something happened";
    item.details = {{"code", "orphaned_master"}};
    return item;
}
}  // namespace

TEST_CASE("format warden posts the event as GET /events lists it") {
    auto item = sample(event_type::failover, event_severity::critical);
    CHECK(nlohmann::json::parse(webhook_body(item, webhook_format::warden)) == event_json(item));
}

TEST_CASE("format alertmanager posts a version 4 webhook payload with one firing alert") {
    auto body = nlohmann::json::parse(
        webhook_body(sample(event_type::finding_raised, event_severity::critical),
                     webhook_format::alertmanager));
    CHECK(body["version"] == "4");
    CHECK(body["status"] == "firing");
    CHECK(body["receiver"] == "redis-warden");
    CHECK(body["groupKey"] == "{}:{cluster=\"main\"}");
    REQUIRE(body["alerts"].size() == 1);
    const auto& alert = body["alerts"][0];
    CHECK(alert["labels"]["alertname"] == "RedisWarden_finding_raised");
    CHECK(alert["labels"]["cluster"] == "main");
    CHECK(alert["labels"]["severity"] == "critical");
    CHECK(alert["labels"]["code"] == "orphaned_master");
    CHECK(alert["annotations"]["summary"] == "something happened");
    CHECK(alert["startsAt"] == "2026-12-03T07:41:02.250Z");
    CHECK(alert["endsAt"] == "0001-01-01T00:00:00Z");
    CHECK(alert["fingerprint"].get<std::string>().size() == 16);
    CHECK(body["commonLabels"] == alert["labels"]);
}

TEST_CASE("a cleared finding is a resolved alert that ends at the event's time") {
    auto body = nlohmann::json::parse(webhook_body(
        sample(event_type::finding_cleared, event_severity::info), webhook_format::alertmanager));
    CHECK(body["status"] == "resolved");
    CHECK(body["alerts"][0]["endsAt"] == "2026-12-03T07:41:02.250Z");
}
