#include <doctest/doctest.h>

#include "controller/core/coordination/leadership.hpp"
#include "fixtures.hpp"

using namespace warden;
using namespace std::chrono_literals;

namespace {

const std::string me = "warden-a:4242@127.0.0.1:9736";
const std::string other = "warden-b:777@127.0.0.1:9737";
constexpr std::int64_t my_lease = 4510814701935967775;

campaign_reply recorded_campaign(const std::string& name) {
    auto parsed = parse_campaign({200, testing::read_fixture("etcd-3.4/" + name)});
    REQUIRE(parsed);
    return *parsed;
}

fence_reply recorded_fence(const std::string& name) {
    auto parsed = parse_fence({200, testing::read_fixture("etcd-3.4/" + name)});
    REQUIRE(parsed);
    return *parsed;
}

}  // namespace

TEST_CASE("keys live under the prefix, per cluster; a missing trailing slash is added") {
    CHECK(leader_key("/redis-warden/", "sso") == "/redis-warden/sso/leader");
    CHECK(leader_key("/redis-warden", "sso") == "/redis-warden/sso/leader");
    CHECK(actions_prefix("/w/", "sso") == "/w/sso/actions/");
    CHECK(action_key("/w/", "sso", 1795000000123, 255) == "/w/sso/actions/00000001795000000123-ff");
    CHECK(action_key("/w/", "sso", 99, 1) < action_key("/w/", "sso", 100, 1));
}

TEST_CASE("winning a campaign makes this instance leader at the put's revision") {
    auto state = after_campaign(recorded_campaign("campaign-won.json"), me, my_lease);
    CHECK(state == cluster_lease_state{true, 11, me});
}

TEST_CASE("a key held with our identity and our lease is still ours in a later round") {
    auto state = after_campaign(recorded_campaign("campaign-lost.json"), me, my_lease);
    CHECK(state == cluster_lease_state{true, 11, me});
}

TEST_CASE("a key held by another instance, or by our identity under an old lease, is not ours") {
    auto reply = recorded_campaign("campaign-lost.json");
    CHECK(after_campaign(reply, other, 42) == cluster_lease_state{false, 0, me});
    // Restarted with the same identity (hostname:pid reused) but a new lease: not ours.
    CHECK_FALSE(after_campaign(reply, me, my_lease + 1).leader);
    CHECK(after_campaign(campaign_reply{}, me, my_lease) == cluster_lease_state{});
}

TEST_CASE("leadership changes are described once; an unchanged state says nothing") {
    cluster_lease_state follower{false, 0, other};
    cluster_lease_state leader{true, 11, me};
    CHECK(describe_change(follower, follower) == std::nullopt);
    CHECK(*describe_change(follower, leader) == "became leader (key created at revision 11)");
    CHECK(*describe_change(leader, follower) == "lost leadership to " + other);
    CHECK(*describe_change({}, follower) == "leader is " + other);
    CHECK(*describe_change(follower, {}) == "no leader at the moment");
}

TEST_CASE("the local fence refuses a follower, a lost lease, and a lease too close to expiry") {
    steady_time now{};
    cluster_lease_state leader{true, 11, me};
    lease_proof fresh{my_lease, now + 8s};
    CHECK(local_fence_refusal(leader, fresh, now, 3s) == std::nullopt);
    auto follower = local_fence_refusal({false, 0, other}, fresh, now, 3s);
    REQUIRE(follower);
    CHECK(follower->find("held by " + other) != std::string::npos);
    CHECK(local_fence_refusal(leader, lease_proof{}, now, 3s)->find("lease lost") == 0);
    // Frozen (SIGSTOP) past the TTL: the monotonic clock moved on, the proof did not.
    auto stale = local_fence_refusal(leader, fresh, now + 12s, 3s);
    REQUIRE(stale);
    CHECK(stale->find("lease not proven: -4000 ms left") == 0);
}

TEST_CASE("the etcd fence refuses when the key is gone, re-created, or held by another") {
    CHECK(fence_refusal(recorded_fence("fence-held.json"), me, 11) == std::nullopt);
    CHECK(*fence_refusal(recorded_fence("fence-key-gone.json"), me, 11) ==
          "lease gone: the leader key no longer exists");
    CHECK(*fence_refusal(recorded_fence("fence-held-by-other.json"), me, 11) ==
          "lease gone: the leader key is now held by " + other);
    CHECK(*fence_refusal(recorded_fence("fence-revision-changed.json"), me, 10) ==
          "lease revision changed: leader key created at revision 11, ours was 10");
}

TEST_CASE("action records round-trip through JSON and read as one log line") {
    action_record record;
    record.who = me;
    record.action = "replicate";
    record.node = "127.0.0.1:7005";
    record.master = "127.0.0.2:7001";
    record.what = "127.0.0.1:7005 replicates 127.0.0.2:7001";
    record.started = 1795000000.25;
    auto parsed = parse_record(record_json(record));
    REQUIRE(parsed);
    CHECK(*parsed == record);
    CHECK(describe_record(record) ==
          "2026-11-18T11:06:40Z " + me +
              " replicate node=127.0.0.1:7005 master=127.0.0.2:7001: started");
    record.outcome = "success";
    record.detail = "verified after 1.2 s";
    record.finished = 1795000001.5;
    CHECK(*parse_record(record_json(record)) == record);
    CHECK_FALSE(parse_record("[]"));
    CHECK_FALSE(parse_record(R"({"who":"x"})"));
}
