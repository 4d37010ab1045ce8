#include <doctest/doctest.h>

#include "controller/core/health/transitions.hpp"

using namespace warden;
using namespace std::chrono_literals;

namespace {
finding orphan(const char* id, severity level = severity::critical) {
    return {"orphaned_master", level, {id}, "master without replica"};
}
}  // namespace

TEST_CASE("a finding is logged when it appears and when it clears, with its duration") {
    active_findings active;
    wall_time start{};
    auto first = track_findings(active, {orphan("a")}, start);
    REQUIRE(first.size() == 1);
    CHECK(first[0].what == finding_event::kind::appeared);
    CHECK(track_findings(active, {orphan("a")}, start + 1s).empty());
    auto cleared = track_findings(active, {}, start + 90s);
    REQUIRE(cleared.size() == 1);
    CHECK(cleared[0].what == finding_event::kind::cleared);
    CHECK(cleared[0].lasted == 90s);
    CHECK(active.empty());
}

TEST_CASE("the same code on other nodes is a separate finding; a new severity is reported") {
    active_findings active;
    track_findings(active, {orphan("a")}, {});
    auto events = track_findings(active, {orphan("a", severity::warning), orphan("b")}, {});
    REQUIRE(events.size() == 2);
    CHECK(events[0].what == finding_event::kind::changed_severity);
    CHECK(events[1].what == finding_event::kind::appeared);
    CHECK(events[1].subject.nodes == std::vector<std::string>{"b"});
}
