#include <doctest/doctest.h>

#include "controller/core/events/notify_policy.hpp"

using namespace warden;

namespace {
event failover_event() {
    event item;
    item.cluster = "main";
    item.type = event_type::failover;
    item.level = event_severity::critical;
    item.message = "failover (automatic): b replaced master a";
    return item;
}
}  // namespace

TEST_CASE("a sink takes the event types it names at or above its minimum severity") {
    auto item = failover_event();
    CHECK(event_filter{}.accepts(item));
    CHECK(event_filter{{event_type::failover}, event_severity::critical}.accepts(item));
    CHECK_FALSE(event_filter{{event_type::node_failing}, event_severity::info}.accepts(item));
    item.level = event_severity::warning;
    CHECK_FALSE(event_filter{{}, event_severity::critical}.accepts(item));
}

TEST_CASE("an exec hook is called with the event type and a description, as Sentinel does") {
    CHECK(exec_arguments(failover_event()) ==
          std::vector<std::string>{"failover", "main failover (automatic): b replaced master a"});
}

TEST_CASE("exit 1, a signal or the time limit retry up to the limit; exit 2 or more drops") {
    CHECK(judge_exec(0, false, 1, 10) == delivery_verdict::sent);
    CHECK(judge_exec(1, false, 1, 10) == delivery_verdict::retry);
    CHECK(judge_exec(1, false, 10, 10) == delivery_verdict::failed);
    CHECK(judge_exec(137, true, 3, 10) == delivery_verdict::retry);
    CHECK(judge_exec(143, false, 3, 10) == delivery_verdict::retry);
    CHECK(judge_exec(2, false, 1, 10) == delivery_verdict::failed);
    CHECK(judge_exec(127, false, 1, 10) == delivery_verdict::failed);  // not found by the shell
}

TEST_CASE("a webhook's 2xx is sent; no answer, 5xx, 408 and 429 retry; other statuses fail") {
    CHECK(judge_http(204, 1, 10) == delivery_verdict::sent);
    CHECK(judge_http(std::nullopt, 1, 10) == delivery_verdict::retry);
    CHECK(judge_http(503, 1, 10) == delivery_verdict::retry);
    CHECK(judge_http(429, 1, 10) == delivery_verdict::retry);
    CHECK(judge_http(503, 10, 10) == delivery_verdict::failed);
    CHECK(judge_http(404, 1, 10) == delivery_verdict::failed);
    CHECK(judge_http(401, 1, 10) == delivery_verdict::failed);
}
