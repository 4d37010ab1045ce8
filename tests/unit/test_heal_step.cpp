#include <doctest/doctest.h>

#include "controller/core/planner/heal_step.hpp"

using namespace warden;
using namespace std::chrono_literals;

namespace {

const wall_time epoch{};

heal_plan cover(const std::string& master_id, heal_action_kind kind = heal_action_kind::replicate) {
    heal_action action;
    action.kind = kind;
    action.goal =
        kind == heal_action_kind::takeover ? heal_goal::restore_quorum : heal_goal::cover_orphan;
    action.master_id = master_id;
    return heal_plan{{action}, {}};
}

// The orphan finding for `master_id`, active since `since`.
active_findings orphaned(const std::string& master_id, wall_time since) {
    finding found;
    found.code = "orphaned_master";
    found.nodes = {master_id};
    return {{finding_key{"orphaned_master", {master_id}}, active_finding{found, since}}};
}

heal_step_inputs acting_leader() {
    heal_step_inputs inputs;
    inputs.heal_mode = true;
    inputs.may_act = true;
    inputs.grace = 2000ms;
    inputs.max_actions_per_minute = 2;
    return inputs;
}

}  // namespace

TEST_SUITE("heal step") {
    TEST_CASE("an orphan older than the grace is acted on by the leader in heal mode") {
        auto step =
            decide_heal_step(cover("m1"), orphaned("m1", epoch), acting_leader(), epoch + 2s);
        CHECK(step == heal_step{heal_step_kind::act, ""});
    }

    TEST_CASE("an orphan younger than the grace waits") {
        auto step =
            decide_heal_step(cover("m1"), orphaned("m1", epoch), acting_leader(), epoch + 1999ms);
        CHECK(step.kind == heal_step_kind::wait);
        CHECK(step.reason.find("2000 ms") != std::string::npos);
    }

    TEST_CASE("a finding about another master does not start the grace of this one") {
        auto step =
            decide_heal_step(cover("m1"), orphaned("m2", epoch), acting_leader(), epoch + 1h);
        CHECK(step.kind == heal_step_kind::wait);
    }

    TEST_CASE("observe mode, an action in flight, or another leader: nothing happens") {
        auto inputs = acting_leader();
        inputs.heal_mode = false;
        CHECK(decide_heal_step(cover("m1"), orphaned("m1", epoch), inputs, epoch + 1h).kind ==
              heal_step_kind::idle);
        inputs = acting_leader();
        inputs.acting = true;
        CHECK(decide_heal_step(cover("m1"), orphaned("m1", epoch), inputs, epoch + 1h).kind ==
              heal_step_kind::idle);
        inputs = acting_leader();
        inputs.may_act = false;
        CHECK(decide_heal_step(cover("m1"), orphaned("m1", epoch), inputs, epoch + 1h).kind ==
              heal_step_kind::idle);
    }

    TEST_CASE("an empty plan is idle") {
        CHECK(decide_heal_step({}, orphaned("m1", epoch), acting_leader(), epoch + 1h).kind ==
              heal_step_kind::idle);
    }

    TEST_CASE("the rate limit skips with the numbers in the reason") {
        auto inputs = acting_leader();
        inputs.rate_limited = true;
        inputs.recent_actions = 2;
        auto step = decide_heal_step(cover("m1"), orphaned("m1", epoch), inputs, epoch + 1h);
        CHECK(step.kind == heal_step_kind::skip);
        CHECK(step.reason ==
              "rate limit: 2 action(s) in the last minute (heal.max_actions_per_minute 2)");
    }

    TEST_CASE("maintenance skips before anything else is considered") {
        auto inputs = acting_leader();
        inputs.in_maintenance = true;
        inputs.rate_limited = true;
        auto step = decide_heal_step(cover("m1"), orphaned("m1", epoch), inputs, epoch);
        CHECK(step.kind == heal_step_kind::skip);
        CHECK(step.reason.find("maintenance") != std::string::npos);
    }

    TEST_CASE("a takeover has no grace: takeover_after already gated it") {
        auto step =
            decide_heal_step(cover("m1", heal_action_kind::takeover), {}, acting_leader(), epoch);
        CHECK(step.kind == heal_step_kind::act);
    }

    TEST_CASE("a takeover plan is judged by the takeover blocker, others by the acting one") {
        CHECK(is_takeover_plan(cover("m1", heal_action_kind::takeover)));
        CHECK_FALSE(is_takeover_plan(cover("m1")));
        CHECK_FALSE(is_takeover_plan({}));
    }

    TEST_CASE("takeover planning only when allowed and quorum is lost") {
        assessment lost;
        lost.quorum.margin = -1;
        assessment kept;
        kept.quorum.margin = 0;
        CHECK(plans_takeover(true, lost));
        CHECK_FALSE(plans_takeover(false, lost));
        CHECK_FALSE(plans_takeover(true, kept));
    }
}
