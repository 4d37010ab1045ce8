// heal.fast_sync's decisions: on the recorded CONFIG GET replies of every server version,
// and the ledger that lets a restarted warden put a lowered delay back.
#include <doctest/doctest.h>

#include "controller/core/planner/fast_sync.hpp"
#include "recorded_replies.hpp"

using namespace warden;

namespace {

// CONFIG GET name -> its value, as the recorded master answered.
std::optional<std::string> config_value(const testing::recorded_node& node,
                                        const std::string& name) {
    const auto& reply = node.reply({"CONFIG", "GET", name});
    if (reply.type != testing::resp_value::kind::array || reply.elements.size() != 2) {
        return std::nullopt;
    }
    return reply.elements[1].text;
}

pending_restore sample_record() {
    pending_restore record;
    record.cluster = "main";
    record.node_id = "4ba4ba3fdc3dace0150e48f8152fa0fb559afee4";
    record.address = "127.0.0.1:24000";
    record.parameter = std::string(sync_delay_parameter);
    record.value = "5";
    record.lowered_to = "0";
    record.owner = "host-a:4242";
    record.since = 1764640000.5;
    return record;
}

}  // namespace

TEST_CASE("fast sync lowers the delay exactly where the recorded server defaults to diskless") {
    for (const auto& server : testing::recorded_servers()) {
        for (const auto& node : testing::load_recorded_cluster(server, "open")) {
            if (!node.master) continue;
            CAPTURE(node.file);
            master_sync_settings settings{config_value(node, "repl-diskless-sync"),
                                          config_value(node, "repl-diskless-sync-delay")};
            auto decision = decide_fast_sync(true, settings);
            // Diskless replication became the default in 7.0 (Valkey 8 implements 7.2).
            bool diskless_default =
                server.rfind("redis-7", 0) == 0 || server.rfind("valkey", 0) == 0;
            CHECK(decision.lower == diskless_default);
            if (diskless_default) {
                CHECK(decision.restore_to == "5");
                CHECK(decision.reason.find("5 -> 0") != std::string::npos);
            } else {
                CHECK(decision.reason.find("repl-diskless-sync is no") != std::string::npos);
            }
            CHECK_FALSE(decide_fast_sync(false, settings).lower);
        }
    }
}

TEST_CASE("fast sync leaves a master alone when it cannot tell or nothing is to gain") {
    CHECK_FALSE(decide_fast_sync(true, {std::nullopt, "5"}).lower);
    CHECK_FALSE(decide_fast_sync(true, {"yes", std::nullopt}).lower);
    CHECK_FALSE(decide_fast_sync(true, {"yes", "0"}).lower);
    auto odd = decide_fast_sync(true, {"yes", "5s"});
    CHECK_FALSE(odd.lower);
    CHECK(odd.reason.find("'5s'") != std::string::npos);
    CHECK_FALSE(decide_fast_sync(true, {"yes", "-1"}).lower);
    auto lowered = decide_fast_sync(true, {"yes", "17"});
    CHECK(lowered.lower);
    CHECK(lowered.restore_to == "17");
}

TEST_CASE("the ledger round-trips and rejects what it cannot trust") {
    std::vector<pending_restore> records{sample_record(), sample_record()};
    records[1].cluster = "other";
    auto parsed = parse_ledger(ledger_text(records));
    REQUIRE(parsed);
    CHECK(*parsed == records);
    auto empty = parse_ledger(ledger_text({}));
    REQUIRE(empty);
    CHECK(empty->empty());
    CHECK_FALSE(parse_ledger("{"));
    CHECK_FALSE(parse_ledger("{\"cluster\": \"main\"}"));
    auto missing = parse_ledger(R"([{"cluster": "main", "node_id": "x"}])");
    REQUIRE_FALSE(missing);
    CHECK(missing.failure().message.find("record 1") != std::string::npos);
}

TEST_CASE("a record is restored when no live action needs it") {
    auto record = sample_record();
    // Another cluster's record is that cluster's monitor's business.
    CHECK_FALSE(restore_due(record, "other", "host-a:1", false, false));
    // Left by a process that is gone (warden restarted): restore.
    CHECK(restore_due(record, "main", "host-a:1", false, false));
    // Its owner still runs (the CLI's heal, say, mid-move): not ours to undo.
    CHECK_FALSE(restore_due(record, "main", "host-a:1", false, true));
    // Our own: only when none of our actions on the cluster is in flight.
    CHECK_FALSE(restore_due(record, "main", "host-a:4242", true, true));
    CHECK(restore_due(record, "main", "host-a:4242", false, true));
}

TEST_CASE("a restore goes to the same node and never overrides a later change") {
    auto record = sample_record();
    CHECK(judge_restore(record, record.node_id, "0") == restore_verdict::set);
    CHECK(judge_restore(record, "e9ff42c01c3f0661872407056f80b380dabefd93", "0") ==
          restore_verdict::drop_moved);
    CHECK(judge_restore(record, record.node_id, "3") == restore_verdict::drop_changed);
}
