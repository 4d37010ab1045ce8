#include <doctest/doctest.h>

#include "controller/core/report/metrics.hpp"
#include "fixtures.hpp"

using namespace warden;

namespace {
cluster_metrics orphaned_cluster() {
    auto observed = testing::load_scenario("redis-7.0/replica-killed");
    testing::make_unreachable(observed, "127.0.0.2:21104", "connection refused");
    cluster_metrics metrics;
    metrics.cluster = "sso-tokens";
    metrics.last_report = analyze(observed, {});
    metrics.poll_duration = histogram_state::with_bounds({0.01, 0.1, 1});
    metrics.poll_duration.observe(0.05);
    metrics.poll_duration.observe(2);
    metrics.last_poll_timestamp = 1764000000.5;
    metrics.actions[{"replica_move", "skipped"}] = 2;
    return metrics;
}
}  // namespace

TEST_CASE("the contract metrics appear with cluster labels and the values of the last report") {
    auto text = render_metrics({orphaned_cluster()}, "0.1.0");
    CHECK(text.find("redis_warden_build_info{version=\"0.1.0\"} 1\n") != std::string::npos);
    CHECK(text.find("redis_warden_cluster_ok{cluster=\"sso-tokens\"} 0\n") != std::string::npos);
    CHECK(text.find("redis_warden_orphaned_masters{cluster=\"sso-tokens\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("redis_warden_voting_masters{cluster=\"sso-tokens\"} 3\n") !=
          std::string::npos);
    CHECK(text.find("redis_warden_quorum_margin{cluster=\"sso-tokens\"} 1\n") != std::string::npos);
    CHECK(text.find("redis_warden_node_up{cluster=\"sso-tokens\",node_id="
                    "\"bd2d1f889b39b1bc4a59e569e15921daa52cd33c\",address=\"127.0.0.2:21104\",role="
                    "\"replica\"} 0\n") != std::string::npos);
    CHECK(text.find(
              "redis_warden_node_replicas{cluster=\"sso-tokens\",node_id="
              "\"ffb800d246d1ff0fc64b4b8fd6bf525cda112f05\",address=\"127.0.0.1:21100\"} 0\n") !=
          std::string::npos);
    CHECK(text.find("redis_warden_findings{cluster=\"sso-tokens\",code=\"orphaned_master\","
                    "severity=\"critical\"} 1\n") != std::string::npos);
    CHECK(text.find("redis_warden_findings{cluster=\"sso-tokens\",code=\"quorum_lost\",severity="
                    "\"critical\"} 0\n") != std::string::npos);
    CHECK(text.find(
              "redis_warden_poll_duration_seconds_bucket{cluster=\"sso-tokens\",le=\"0.1\"} 1\n") !=
          std::string::npos);
    CHECK(
        text.find(
            "redis_warden_poll_duration_seconds_bucket{cluster=\"sso-tokens\",le=\"+Inf\"} 2\n") !=
        std::string::npos);
    CHECK(text.find("redis_warden_poll_duration_seconds_count{cluster=\"sso-tokens\"} 2\n") !=
          std::string::npos);
    CHECK(text.find(
              "redis_warden_last_poll_timestamp_seconds{cluster=\"sso-tokens\"} 1764000000.5\n") !=
          std::string::npos);
    CHECK(text.find("redis_warden_actions_total{cluster=\"sso-tokens\",action=\"replica_move\","
                    "outcome=\"skipped\"} 2\n") != std::string::npos);
    CHECK(text.find("# TYPE redis_warden_poll_duration_seconds histogram\n") != std::string::npos);
}

TEST_CASE("a cluster without a completed poll exports no stale gauges") {
    cluster_metrics pending;
    pending.cluster = "new";
    auto text = render_metrics({pending}, "0.1.0");
    CHECK(text.find("redis_warden_cluster_ok{cluster=\"new\"}") == std::string::npos);
    CHECK(text.find("redis_warden_leader{cluster=\"new\"} 0\n") != std::string::npos);
}

TEST_CASE("coordination_unavailable counts in findings and the leader gauge follows the lease") {
    auto metrics = orphaned_cluster();
    auto text = render_metrics({metrics}, "0.1.0");
    CHECK(
        text.find("redis_warden_findings{cluster=\"sso-tokens\",code=\"coordination_unavailable\","
                  "severity=\"warning\"} 0\n") != std::string::npos);
    metrics.coordination_findings.push_back(
        {"coordination_unavailable", severity::warning, {}, "etcd unreachable"});
    metrics.leader = true;
    text = render_metrics({metrics}, "0.1.0");
    CHECK(
        text.find("redis_warden_findings{cluster=\"sso-tokens\",code=\"coordination_unavailable\","
                  "severity=\"warning\"} 1\n") != std::string::npos);
    CHECK(text.find("redis_warden_leader{cluster=\"sso-tokens\"} 1\n") != std::string::npos);
}

TEST_CASE("label values are escaped") {
    CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("events, failovers and notifications are exported per cluster") {
    cluster_metrics metrics;
    metrics.cluster = "main";
    auto quiet = render_metrics({metrics}, "0.1.0");
    CHECK(quiet.find("redis_warden_failovers_total{cluster=\"main\"} 0\n") != std::string::npos);
    CHECK(quiet.find("redis_warden_last_failover_timestamp_seconds{") == std::string::npos);
    metrics.events["failover"] = 2;
    metrics.failovers = 2;
    metrics.last_failover_timestamp = 1764000000.5;
    metrics.notifications[{"exec", "dropped"}] = 4;
    auto text = render_metrics({metrics}, "0.1.0");
    CHECK(text.find("# TYPE redis_warden_events_total counter\n") != std::string::npos);
    CHECK(text.find("redis_warden_events_total{cluster=\"main\",type=\"failover\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("redis_warden_failovers_total{cluster=\"main\"} 2\n") != std::string::npos);
    CHECK(text.find("redis_warden_last_failover_timestamp_seconds{cluster=\"main\"} "
                    "1764000000.5\n") != std::string::npos);
    CHECK(text.find("redis_warden_notifications_total{cluster=\"main\",sink=\"exec\",outcome="
                    "\"dropped\"} 4\n") != std::string::npos);
}
