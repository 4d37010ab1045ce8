#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "controller/core/report/report.hpp"
#include "fixtures.hpp"

using namespace warden;

namespace {
check_report orphaned_report() {
    auto observed = testing::load_scenario("redis-7.0/replica-killed");
    observed.cluster_name = "sso-tokens";
    testing::make_unreachable(observed, "127.0.0.2:21104", "connection refused");
    return analyze(observed, {});
}
}  // namespace

TEST_CASE("the JSON report carries every contract field") {
    auto document = nlohmann::json::parse(render_json(orphaned_report()));
    CHECK(document["cluster"] == "sso-tokens");
    CHECK(document["status"] == "critical");
    CHECK(document["quorum"] ==
          nlohmann::json{
              {"voting_masters", 3}, {"healthy_voting_masters", 3}, {"needed", 2}, {"margin", 1}});
    REQUIRE(document["nodes"].size() == 6);
    for (const auto& node : document["nodes"]) {
        for (const char* key : {"id", "address", "role", "master_id", "slots", "flags", "reachable",
                                "failure_domain"}) {
            CHECK_MESSAGE(node.contains(key), key);
        }
    }
    const auto& first = document["nodes"][0];
    CHECK(first["address"] == "127.0.0.1:21100");
    CHECK(first["role"] == "master");
    CHECK(first["master_id"].is_null());
    CHECK(first["slots"] == 5461);
    CHECK(first["reachable"] == true);
    bool orphan = false;
    for (const auto& item : document["findings"]) {
        CHECK(item.contains("message"));
        if (item["code"] == "orphaned_master") {
            orphan = true;
            CHECK(item["severity"] == "critical");
            CHECK(item["nodes"] == nlohmann::json{"ffb800d246d1ff0fc64b4b8fd6bf525cda112f05"});
        }
    }
    CHECK(orphan);
}

TEST_CASE("the nagios line has a status, a summary and performance data") {
    auto line = render_nagios(orphaned_report());
    CHECK(
        line.rfind("REDIS CLUSTER CRITICAL - 1 orphaned_master, 1 node_failing, 1 node_unreachable",
                   0) == 0);
    CHECK(line.find(" | nodes=6 unreachable_nodes=1 voting_masters=3 healthy_voting_masters=3 "
                    "quorum_margin=1 orphaned_masters=1") != std::string::npos);
}

TEST_CASE("the text report groups replicas under masters and lists findings") {
    auto text = render_text(orphaned_report());
    CHECK(text.rfind("cluster sso-tokens: CRITICAL\n", 0) == 0);
    CHECK(text.find("127.0.0.1:21100        ffb800d2 master  slots 5461 (0-5460)") !=
          std::string::npos);
    CHECK(text.find("  -> 127.0.0.2:21104") != std::string::npos);
    CHECK(text.find("UNREACHABLE: connection refused") != std::string::npos);
    CHECK(text.find("CRITICAL orphaned_master: master 127.0.0.1:21100") != std::string::npos);
}

TEST_CASE("the JSON report carries each replica's lag behind its master, and the open slots") {
    auto observed = testing::load_scenario("redis-7.0/slot-migrating");
    auto& replica_info = testing::probe_at(observed, "127.0.0.2:21104").info;
    replica_info.replace(replica_info.find("slave_repl_offset:42"), 20, "slave_repl_offset:4");
    auto document = nlohmann::json::parse(render_json(analyze(observed, {})));
    for (const auto& node : document["nodes"]) {
        for (const char* key : {"replication_offset", "replication_lag_bytes", "link_down_seconds"})
            CHECK_MESSAGE(node.contains(key), key);
        if (node["address"] == "127.0.0.2:21104") {
            CHECK(node["replication_offset"] == 4);
            CHECK(node["replication_lag_bytes"] == 38);  // its master is at 42
        } else if (node["role"] == "master") {
            CHECK(node["replication_lag_bytes"].is_null());
        }
    }
    CHECK(document["open_slots"] == nlohmann::json::parse(R"([
              {"slot":0,"node":"55e113a81426835151c60b3183f83e5456115181","state":"importing",
               "peer":"ffb800d246d1ff0fc64b4b8fd6bf525cda112f05"},
              {"slot":0,"node":"ffb800d246d1ff0fc64b4b8fd6bf525cda112f05","state":"migrating",
               "peer":"55e113a81426835151c60b3183f83e5456115181"}])"));
}
