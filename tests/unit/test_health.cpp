#include <doctest/doctest.h>

#include <algorithm>

#include "controller/core/health/findings.hpp"
#include "fixtures.hpp"

using namespace warden;

namespace {
const std::string master_21100 = "ffb800d246d1ff0fc64b4b8fd6bf525cda112f05";
const std::string master_21101 = "55e113a81426835151c60b3183f83e5456115181";
const std::string master_21102 = "e9e1e695c08c8223bd13a3f546a8cbbca9e2fd70";
const std::string node_21103 = "e6cc5ad99e8982f1432c08d2f60a791b6ca84d1f";
const std::string replica_21104 = "bd2d1f889b39b1bc4a59e569e15921daa52cd33c";

assessment check(const snapshot& observed, const topology_policy& layout = {},
                 const health_policy& policy = {}) {
    return assess(build_topology(observed, layout), policy);
}

std::vector<finding> with_code(const assessment& result, const std::string& code) {
    std::vector<finding> found;
    std::copy_if(result.findings.begin(), result.findings.end(), std::back_inserter(found),
                 [&code](const finding& f) { return f.code == code; });
    return found;
}

bool has(const assessment& result, const std::string& code) {
    return !with_code(result, code).empty();
}

snapshot healthy() {
    return testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
}

topology_policy one_zone() {
    topology_policy layout;
    layout.domains.zones.push_back({*parse_cidr("127.0.0.0/8"), "rack-1"});
    return layout;
}
}  // namespace

TEST_CASE("a healthy 3x1 cluster over three hosts has no findings and quorum margin 1") {
    auto result = check(healthy());
    CHECK(result.findings.empty());
    CHECK(result.status == severity::ok);
    CHECK(result.quorum == quorum_state{3, 3, 2, 1});
}

TEST_CASE("a killed replica leaves its master orphaned, and the replica unreachable and failing") {
    auto observed = testing::load_scenario("redis-7.0/replica-killed");
    testing::make_unreachable(observed, "127.0.0.2:21104", "connection refused");
    auto result = check(observed);
    CHECK(result.status == severity::critical);
    auto orphans = with_code(result, "orphaned_master");
    REQUIRE(orphans.size() == 1);
    CHECK(orphans[0].nodes == std::vector<std::string>{master_21100});
    CHECK(orphans[0].message.find("master 127.0.0.1:21100 serves 5461 slots with no healthy "
                                  "replica (replicas: 127.0.0.2:21104 unreachable)") == 0);
    auto unreachable = with_code(result, "node_unreachable");
    REQUIRE(unreachable.size() == 1);
    CHECK(unreachable[0].level == severity::warning);  // a replica: nothing stops serving
    CHECK(unreachable[0].message.find("connection refused") != std::string::npos);
    CHECK(has(result, "node_failing"));
    CHECK(result.quorum.margin == 1);
}

TEST_CASE("a master killed but not yet detected is a critical unreachable voter, not an orphan") {
    auto observed = testing::load_scenario("redis-7.0/master-killed-undetected");
    testing::make_unreachable(observed, "127.0.0.3:21102", "connection refused");
    auto result = check(observed);
    auto unreachable = with_code(result, "node_unreachable");
    REQUIRE(unreachable.size() == 1);
    CHECK(unreachable[0].level == severity::critical);
    // Its replica's link is down because the master is dead: it is the failover candidate.
    CHECK_FALSE(has(result, "orphaned_master"));
    CHECK_FALSE(has(result, "replica_link_down"));
    CHECK(has(result, "quorum_at_risk"));
    CHECK(result.quorum == quorum_state{3, 2, 2, 0});
}

TEST_CASE("after a failover the promoted replica is reported as an orphaned master") {
    auto observed = testing::load_scenario("redis-7.0/master-killed-after-failover");
    testing::make_unreachable(observed, "127.0.0.3:21102", "connection refused");
    auto result = check(observed);
    auto orphans = with_code(result, "orphaned_master");
    REQUIRE(orphans.size() == 1);
    CHECK(orphans[0].nodes == std::vector<std::string>{node_21103});
    CHECK(result.quorum == quorum_state{3, 3, 2, 1});
    CHECK_FALSE(has(result, "quorum_at_risk"));
    auto unreachable = with_code(result, "node_unreachable");
    REQUIRE(unreachable.size() == 1);
    CHECK(unreachable[0].level == severity::warning);  // it no longer serves slots
}

TEST_CASE("a replica whose link is down under a live master is reported and does not protect it") {
    auto result = check(testing::load_scenario("redis-7.0/replica-masterauth-wrong"));
    auto links = with_code(result, "replica_link_down");
    REQUIRE(links.size() == 1);
    CHECK(links[0].nodes == std::vector<std::string>{replica_21104, master_21100});
    auto orphans = with_code(result, "orphaned_master");
    REQUIRE(orphans.size() == 1);
    CHECK(orphans[0].nodes == std::vector<std::string>{master_21100});
    CHECK_FALSE(has(check(healthy()), "replica_link_down"));
}

TEST_CASE("replicas below target fire only when the policy asks for more than one") {
    health_policy two;
    two.min_replicas_per_master = 2;
    auto result = check(healthy(), {}, two);
    CHECK(with_code(result, "replicas_below_target").size() == 3);
    CHECK(result.status == severity::warning);
    CHECK_FALSE(has(check(healthy()), "replicas_below_target"));
}

TEST_CASE("replicas in their master's failure domain are reported; spread replicas are not") {
    auto result = check(healthy(), one_zone());
    CHECK(with_code(result, "replica_same_host").size() == 3);
    CHECK_FALSE(has(check(healthy()), "replica_same_host"));
}

TEST_CASE("three masters in one failure domain put quorum at domain risk") {
    auto result = check(healthy(), one_zone());
    auto risks = with_code(result, "quorum_domain_risk");
    REQUIRE(risks.size() == 1);
    CHECK(risks[0].message.find("failure domain rack-1 holds 3 of 3") == 0);
    CHECK_FALSE(has(check(healthy()), "quorum_domain_risk"));
}

TEST_CASE("two of three masters down loses quorum") {
    auto observed = testing::load_scenario("redis-7.0/master-killed-undetected");
    testing::make_unreachable(observed, "127.0.0.3:21102", "connection refused");
    testing::make_unreachable(observed, "127.0.0.2:21101", "timed out after 500 ms");
    auto result = check(observed);
    CHECK(has(result, "quorum_lost"));
    CHECK_FALSE(has(result, "quorum_at_risk"));
    CHECK(result.quorum == quorum_state{3, 1, 2, -1});
    CHECK_FALSE(has(check(healthy()), "quorum_lost"));
    CHECK_FALSE(has(check(healthy()), "quorum_at_risk"));
}

TEST_CASE("slots no master owns are uncovered") {
    auto observed = healthy();
    testing::edit_views(observed, " 0-5460", " 100-5460");
    auto result = check(observed);
    auto uncovered = with_code(result, "slots_uncovered");
    REQUIRE(uncovered.size() == 1);
    CHECK(uncovered[0].message.find("100 slots (0-99) have no owner") == 0);
    CHECK_FALSE(has(result, "views_disagree"));
    CHECK_FALSE(has(check(healthy()), "slots_uncovered"));
}

TEST_CASE("slots of a master the cluster marks fail are uncovered") {
    auto observed = healthy();
    // Every other view flags 21100 fail while it still owns its slots.
    testing::edit_views(observed, "127.0.0.1:21100@31100 master",
                        "127.0.0.1:21100@31100 master,fail");
    testing::make_unreachable(observed, "127.0.0.1:21100", "connection refused");
    auto result = check(observed);
    CHECK(has(result, "slots_uncovered"));
    CHECK(has(result, "node_failing"));
}

TEST_CASE("a migrating slot is open; a settled one is not") {
    auto result = check(testing::load_scenario("redis-7.0/slot-migrating"));
    auto open = with_code(result, "slots_open");
    REQUIRE(open.size() == 1);
    CHECK(open[0].nodes == std::vector<std::string>{master_21101, master_21100});
    CHECK(open[0].message.find("1 slots (0) are stuck") == 0);
    CHECK_FALSE(has(check(healthy()), "slots_open"));
}

TEST_CASE("a slot claimed by two masters in their own views is a critical disagreement") {
    auto observed = healthy();
    auto& probe = testing::probe_at(observed, "127.0.0.2:21101");
    auto at = probe.cluster_nodes.find("myself,master - 0 ");
    auto line_end = probe.cluster_nodes.find('\n', at);
    probe.cluster_nodes.insert(line_end, " 0-10");
    auto result = check(observed);
    auto disagree = with_code(result, "views_disagree");
    REQUIRE(disagree.size() == 1);
    CHECK(disagree[0].level == severity::critical);
    CHECK(disagree[0].message.find("11 slots (0-10) are claimed by two masters") !=
          std::string::npos);
    CHECK_FALSE(has(check(healthy()), "views_disagree"));
}

TEST_CASE("a node listed by only some views is a warning disagreement") {
    auto observed = healthy();
    auto& probe = testing::probe_at(observed, "127.0.0.1:21100");
    auto at = probe.cluster_nodes.find(replica_21104);
    probe.cluster_nodes.erase(at, probe.cluster_nodes.find('\n', at) + 1 - at);
    auto disagree = with_code(check(observed), "views_disagree");
    REQUIRE(disagree.size() == 1);
    CHECK(disagree[0].level == severity::warning);
}

TEST_CASE("one lone fail? suspicion is reported but does not count the node down") {
    auto observed = healthy();
    auto& probe = testing::probe_at(observed, "127.0.0.1:21103");
    auto at = probe.cluster_nodes.find("127.0.0.2:21101@31101 master");
    probe.cluster_nodes.replace(at, 28, "127.0.0.2:21101@31101 master,fail?");
    auto result = check(observed);
    auto failing = with_code(result, "node_failing");
    REQUIRE(failing.size() == 1);
    CHECK(failing[0].level == severity::warning);
    CHECK(result.quorum.margin == 1);
    CHECK_FALSE(has(check(healthy()), "node_failing"));
    CHECK_FALSE(has(check(healthy()), "node_unreachable"));
}

TEST_CASE("nothing observed is unknown, not ok") {
    snapshot observed;
    testing::make_unreachable(observed, "127.0.0.1:1", "connection refused");
    auto result = check(observed);
    CHECK(result.status == severity::unknown);
}

TEST_CASE("saved views offline: no node is unreachable, failing flags still count") {
    auto observed = testing::load_scenario("redis-7.0/replica-killed");
    observed.offline = true;
    for (auto& probe : observed.nodes) probe.info.clear();
    auto result = check(observed);
    CHECK_FALSE(has(result, "node_unreachable"));
    auto orphans = with_code(result, "orphaned_master");
    REQUIRE(orphans.size() == 1);
    CHECK(orphans[0].nodes == std::vector<std::string>{master_21100});
    auto healthy_offline = healthy();
    healthy_offline.offline = true;
    CHECK(check(healthy_offline).findings.empty());
}

namespace {
constexpr long long day = 86400;
constexpr long long judged_at = 1'800'000'000;

snapshot with_certificates(const std::vector<long long>& days_left,
                           const std::vector<std::string>& issuers = {}) {
    auto observed = healthy();
    for (std::size_t i = 0; i < observed.nodes.size(); ++i) {
        auto left = i < days_left.size() ? days_left[i] : 365;
        auto issuer = i < issuers.size() ? issuers[i] : std::string("CN=ca");
        observed.nodes[i].certificate = tls_certificate{judged_at + left * day, "CN=node", issuer};
    }
    return observed;
}

health_policy at_poll_time() {
    health_policy policy;
    policy.now_unix_seconds = judged_at;
    return policy;
}
}  // namespace

TEST_CASE("certificates: under 30 days a warning, under 7 or expired critical, per node") {
    auto observed = with_certificates({5, 20, -1, 29, 30});
    auto result = check(observed, {}, at_poll_time());
    auto expiring = with_code(result, "tls_certificate_expiring");
    REQUIRE(expiring.size() == 2);
    CHECK(expiring[0].level == severity::critical);
    CHECK(expiring[0].nodes.size() == 2);  // 5 days left, and expired a day ago
    CHECK(expiring[0].message.find("expired") != std::string::npos);
    CHECK(expiring[0].message.find("(in 5.0 days)") != std::string::npos);
    CHECK(expiring[1].level == severity::warning);
    CHECK(expiring[1].nodes.size() == 2);  // 20 and 29 days; 30 is not "under 30"
    CHECK_FALSE(expiring[1].remediation.empty());
    CHECK(result.status == severity::critical);
}

TEST_CASE("certificates: thresholds are the policy's; no clock means no judgement") {
    auto observed = with_certificates({5});
    auto policy = at_poll_time();
    policy.certificate_critical_days = 3;
    policy.certificate_warning_days = 10;
    auto relaxed = with_code(check(observed, {}, policy), "tls_certificate_expiring");
    REQUIRE(relaxed.size() == 1);
    CHECK(relaxed[0].level == severity::warning);
    CHECK_FALSE(has(check(observed), "tls_certificate_expiring"));
    CHECK(check(with_certificates({})).findings.empty());
}

TEST_CASE("certificates from two issuers are tls_ca_inconsistent; one issuer is fine") {
    auto mixed =
        check(with_certificates({}, {"CN=ca-a", "CN=ca-b", "CN=ca-a"}), {}, at_poll_time());
    auto inconsistent = with_code(mixed, "tls_ca_inconsistent");
    REQUIRE(inconsistent.size() == 1);
    CHECK(inconsistent[0].level == severity::warning);
    CHECK(inconsistent[0].nodes.size() == healthy().nodes.size());
    CHECK(inconsistent[0].message.find("'CN=ca-b' signed 127.0.0.") != std::string::npos);
    CHECK_FALSE(has(check(with_certificates({}), {}, at_poll_time()), "tls_ca_inconsistent"));
}
