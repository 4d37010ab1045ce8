#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "controller/core/coordination/base64.hpp"
#include "controller/core/coordination/etcd_protocol.hpp"
#include "controller/core/coordination/leadership.hpp"
#include "controller/core/coordination/maintenance.hpp"
#include "fixtures.hpp"

using namespace warden;

namespace {

maintenance_marker restart_marker() {
    return {"restart", "rolling upgrade", "ops1:4711", 1764690000.5, 1764693600};
}

}  // namespace

TEST_CASE("a marker's key sits next to the leader key; its file name is safe for any name") {
    CHECK(maintenance_key("/redis-warden/", "sso") == "/redis-warden/sso/maintenance");
    CHECK(maintenance_file_name("sso-eu_1.a") == "maintenance-sso-eu_1.a.json");
    CHECK(maintenance_file_name("../etc/x y") == "maintenance-%2E.%2Fetc%2Fx%20y.json");
    CHECK(maintenance_file_name("").empty() == false);
}

TEST_CASE("markers round-trip through JSON; bad ones are refused with the reason") {
    auto marker = restart_marker();
    auto parsed = parse_marker(marker_json(marker));
    REQUIRE(parsed);
    CHECK(*parsed == marker);
    CHECK_FALSE(parse_marker("not json"));
    CHECK(parse_marker(R"({"operation":"manual"})").failure().message.find("expiry") !=
          std::string::npos);
    CHECK_FALSE(parse_marker(R"({"operation":3,"until":5})"));
    CHECK_FALSE(parse_marker(R"({"until":-1})"));
}

TEST_CASE("a marker counts until its expiry; a lease-bound one while it exists") {
    auto marker = restart_marker();
    CHECK(marker_active(marker, marker.until - 1));
    CHECK_FALSE(marker_active(marker, marker.until));
    CHECK_FALSE(marker_active(std::nullopt, 0));
    marker.until = 0;
    CHECK(marker_active(marker, 4e9));
    CHECK(describe_marker(marker) ==
          "restart by ops1:4711: rolling upgrade, while its command runs");
    marker.until = 1764693600;
    CHECK(describe_marker(marker) ==
          "restart by ops1:4711: rolling upgrade, until 2025-12-02T16:40:00Z");
}

TEST_CASE("an operation may start inside a manual window, never under another operation") {
    auto now = 1764690100.0;
    CHECK(maintenance_conflict(std::nullopt, now).empty());
    auto manual = restart_marker();
    manual.operation = "manual";
    CHECK(maintenance_conflict(manual, now).empty());
    auto other = restart_marker();
    auto conflict = maintenance_conflict(other, now);
    CHECK(conflict.find("another planned operation") != std::string::npos);
    CHECK(conflict.find("ops1:4711") != std::string::npos);
    CHECK(maintenance_conflict(other, other.until + 1).empty());  // expired: as good as none
}

TEST_CASE("the fence requires the maintenance key absent and reads it when refused") {
    auto call =
        fence_call("/k/main/leader", "me", 2, "/k/main/actions/1", "{}", "/k/main/maintenance");
    auto body = nlohmann::json::parse(call.body);
    REQUIRE(body["compare"].size() == 3);
    CHECK(body["compare"][2]["key"] == base64_encode("/k/main/maintenance"));
    CHECK(body["compare"][2]["target"] == "CREATE");
    CHECK(body["compare"][2]["create_revision"] == "0");
    REQUIRE(body["failure"].size() == 2);
    CHECK(body["failure"][1]["request_range"]["key"] == base64_encode("/k/main/maintenance"));

    // Recorded from etcd 3.4.23: the leader still holds the lease, a restart's marker is set.
    auto reply = parse_fence({200, testing::read_fixture("etcd-3.4/fence-in-maintenance.json")});
    REQUIRE(reply);
    CHECK_FALSE(reply->held);
    REQUIRE(reply->holder);
    CHECK(reply->holder->value == "warden-a:4242@127.0.0.1:9736");
    REQUIRE(reply->maintenance);
    auto refusal = fence_refusal(*reply, "warden-a:4242@127.0.0.1:9736", 2);
    REQUIRE(refusal);
    CHECK(*refusal ==
          "the cluster is in maintenance (restart by ops1:4711: rolling upgrade, while its "
          "command runs)");
}

TEST_CASE("the maintenance key read back, and the calls that set and clear it") {
    auto range = parse_range({200, testing::read_fixture("etcd-3.4/range-maintenance.json")});
    REQUIRE(range);
    REQUIRE(range->size() == 1);
    CHECK(range->front().lease == 2324035766398267145);
    auto marker = parse_marker(range->front().value);
    REQUIRE(marker);
    CHECK(marker->operation == "restart");
    auto put = nlohmann::json::parse(put_call("/k/m", "v", 7).body);
    CHECK(put["lease"] == "7");
    CHECK_FALSE(nlohmann::json::parse(put_call("/k/m", "v", 0).body).contains("lease"));
    CHECK(delete_call("/k/m").path == "/v3/kv/deleterange");
    CHECK(get_call("/k/m").path == "/v3/kv/range");
}
