#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>

#include "controller/core/topology/topology.hpp"
#include "fixtures.hpp"

using namespace warden;

namespace {
const std::string master_21100 = "ffb800d246d1ff0fc64b4b8fd6bf525cda112f05";
const std::string master_21101 = "55e113a81426835151c60b3183f83e5456115181";
const std::string replica_21104 = "bd2d1f889b39b1bc4a59e569e15921daa52cd33c";

topology merge(const snapshot& observed) {
    return build_topology(observed, {});
}
}  // namespace

TEST_CASE("six agreeing real views merge into three masters with one replica each") {
    auto cluster = merge(testing::load_scenario("redis-7.0/healthy-3x1-three-hosts"));
    CHECK(cluster.views == 6);
    CHECK(cluster.nodes.size() == 6);
    CHECK(cluster.disagreements.empty());
    int masters = 0;
    for (const auto& node : cluster.nodes) {
        CHECK(node.observed);
        if (node.role != node_role::master) continue;
        ++masters;
        CHECK(node.replica_ids.size() == 1);
    }
    CHECK(masters == 3);
    const auto* master = cluster.find(master_21100);
    REQUIRE(master != nullptr);
    CHECK(master->slot_total == 5461);
    CHECK(master->failure_domain == "127.0.0.1");
    CHECK(master->replica_ids == std::vector<std::string>{replica_21104});
    for (int slot = 0; slot < slot_count; ++slot) REQUIRE(cluster.slot_owner[slot] >= 0);
}

TEST_CASE("merging is deterministic whatever order the probes arrive in") {
    auto observed = testing::load_scenario("redis-7.0/master-killed-after-failover");
    auto reversed = observed;
    std::reverse(reversed.nodes.begin(), reversed.nodes.end());
    CHECK(merge(observed) == merge(reversed));
}

TEST_CASE("agreeing views from every node fold to one topology in any order") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    auto fold = [](const std::vector<node_probe>& probes) {
        topology_merger merger({}, false);
        for (const auto& probe : probes) CHECK(merger.add(probe));
        CHECK_FALSE(merger.order_matters());
        return std::move(merger).finish();
    };
    auto reversed = observed.nodes;
    std::reverse(reversed.begin(), reversed.end());
    CHECK(fold(reversed) == merge(observed));
}

TEST_CASE("the fold order is said to matter when a node or a view does not agree") {
    auto order_matters = [](const snapshot& observed) {
        topology_merger merger({}, false);
        for (const auto& probe : observed.nodes) (void)merger.add(probe);
        return merger.order_matters();
    };
    auto healthy = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    CHECK_FALSE(order_matters(healthy));
    CHECK(order_matters(testing::load_scenario("redis-7.0/master-killed-after-failover")));
    auto unreachable = healthy;
    testing::probe_at(unreachable, "127.0.0.3:21105").reachable = false;
    CHECK(order_matters(unreachable));
    auto lacking = healthy;
    auto& probe = testing::probe_at(lacking, "127.0.0.1:21100");
    auto at = probe.cluster_nodes.find(replica_21104);
    probe.cluster_nodes.erase(at, probe.cluster_nodes.find('\n', at) + 1 - at);
    CHECK(order_matters(lacking));
    auto dialed_twice = healthy;
    dialed_twice.nodes.push_back(dialed_twice.nodes.front());
    dialed_twice.nodes.back().address = "localhost:21100";
    CHECK(order_matters(dialed_twice));
}

TEST_CASE("a replica read from its own INFO reports its link status") {
    auto cluster = merge(testing::load_scenario("redis-7.0/replica-masterauth-wrong"));
    const auto* replica = cluster.find(replica_21104);
    REQUIRE(replica != nullptr);
    CHECK(replica->master_link_up == false);
}

TEST_CASE("an unreachable probe attaches to the node the views name at its address") {
    auto observed = testing::load_scenario("redis-7.0/replica-killed");
    testing::make_unreachable(observed, "127.0.0.2:21104", "connection refused");
    auto cluster = merge(observed);
    const auto* replica = cluster.find(replica_21104);
    REQUIRE(replica != nullptr);
    CHECK_FALSE(replica->observed);
    CHECK(replica->probed);
    CHECK(replica->probe_error == "connection refused");
    CHECK(replica->views_fail == 5);
    CHECK(cluster.nodes.size() == 6);
}

TEST_CASE("a dead seed no view knows becomes an id-less node") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    testing::make_unreachable(observed, "127.0.0.9:1", "connection refused");
    auto cluster = merge(observed);
    CHECK(cluster.nodes.size() == 7);
    CHECK(cluster.nodes.back().id.empty());
    CHECK(cluster.nodes.back().address == "127.0.0.9:1");
}

TEST_CASE("an open slot is reported with the node holding it open") {
    auto cluster = merge(testing::load_scenario("redis-7.0/slot-migrating"));
    REQUIRE(cluster.open_slots.size() == 2);
    CHECK(cluster.open_slots[0].slot == 0);
    CHECK(cluster.open_slots[0].node_id == master_21101);
    CHECK(cluster.open_slots[0].state.direction == open_slot_direction::importing);
    CHECK(cluster.open_slots[1].node_id == master_21100);
}

TEST_CASE("views that name different slot owners disagree") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    auto& probe = testing::probe_at(observed, "127.0.0.3:21105");
    auto at = probe.cluster_nodes.find(" 0-5460");
    REQUIRE(at != std::string::npos);
    probe.cluster_nodes.replace(at, 7, " 1-5460");  // this view leaves slot 0 unassigned
    auto cluster = merge(observed);
    REQUIRE(cluster.disagreements.size() == 1);
    CHECK(cluster.disagreements[0].kind == disagreement_kind::slot_owner);
    CHECK(cluster.disagreements[0].detail ==
          "1 slots (0) have different owners in different views");
}

TEST_CASE("a node some views lack is a membership disagreement") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    auto& probe = testing::probe_at(observed, "127.0.0.1:21100");
    auto at = probe.cluster_nodes.find(replica_21104);
    probe.cluster_nodes.erase(at, probe.cluster_nodes.find('\n', at) + 1 - at);
    auto cluster = merge(observed);
    REQUIRE_FALSE(cluster.disagreements.empty());
    CHECK(cluster.disagreements[0].kind == disagreement_kind::membership);
    CHECK(cluster.disagreements[0].node_ids == std::vector<std::string>{replica_21104});
}

TEST_CASE("an unparsable view is recorded, not silently dropped") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    testing::probe_at(observed, "127.0.0.1:21100").cluster_nodes = "garbage\n";
    auto cluster = merge(observed);
    CHECK(cluster.views == 5);
    bool found = false;
    for (const auto& item : cluster.disagreements) {
        if (item.kind == disagreement_kind::unparsable_view) {
            found = true;
            CHECK(
                item.detail ==
                "127.0.0.1:21100 reply: CLUSTER NODES line 1: expected at least 8 fields, found 1");
        }
    }
    CHECK(found);
}

// The merger parses a line in full only when its bytes, but for ping-sent and pong-recv,
// differ from the line an earlier view printed for that node. These change one line of the
// last view folded (views fold in address order), whose other lines all repeat.
namespace {
const std::string master_21102 = "e9e1e695c08c8223bd13a3f546a8cbbca9e2fd70";
const std::string line_21102_head =
    "e9e1e695c08c8223bd13a3f546a8cbbca9e2fd70 127.0.0.3:21102@31102 master - ";

void edit_last_view_line_21102(snapshot& observed, std::string_view from, std::string_view to) {
    auto& text = testing::probe_at(observed, "127.0.0.3:21105").cluster_nodes;
    auto line = text.find(line_21102_head);
    REQUIRE(line != std::string::npos);
    auto at = text.find(from, line);
    REQUIRE(at < text.find('\n', line));
    text.replace(at, from.size(), to);
}

// The healthy scenario with its last view's line for 21102 edited, merged: a line the cache
// must not serve, in a view that then counts for nothing. Returns the disagreement naming it.
disagreement unparsable_after_edit(std::string_view from, std::string_view to) {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    edit_last_view_line_21102(observed, from, to);
    auto cluster = merge(observed);
    CHECK(cluster.views == 5);
    REQUIRE_FALSE(cluster.disagreements.empty());
    CHECK(cluster.disagreements.back().kind == disagreement_kind::unparsable_view);
    return cluster.disagreements.back();
}
}  // namespace

TEST_CASE("a line that differs from the earlier views' only in its flags is read afresh") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    edit_last_view_line_21102(observed, " master - ", " master,fail? - ");
    auto cluster = merge(observed);
    const auto* node = cluster.find(master_21102);
    REQUIRE(node != nullptr);
    CHECK(node->views_pfail == 1);
    CHECK(std::find(node->flags.begin(), node->flags.end(), "fail?") != node->flags.end());
}

TEST_CASE("every view's pong counts, also on lines that otherwise repeat") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    auto before = merge(observed).find(master_21102)->last_pong_ms;
    edit_last_view_line_21102(observed, " 0 17955", " 0 27955");
    auto after = merge(observed).find(master_21102)->last_pong_ms;
    CHECK(after > before);
    CHECK(after / 1'000'000'000'000 == 2);
}

TEST_CASE("a repeated line with a malformed ping-sent makes its view unparsable") {
    auto refused = unparsable_after_edit(" master - 0 ", " master - x ");
    CHECK(refused.detail.find("bad ping-sent 'x'") != std::string::npos);
}

TEST_CASE("a repeated line with more after it on the same line is read afresh") {
    unparsable_after_edit(" connected", " connected x");
}

TEST_CASE("a repeated line whose pong-recv has 19 digits is read afresh, and refused") {
    auto refused = unparsable_after_edit(" 0 17955", " 0 9999999999999999999");
    CHECK(refused.detail.find("bad pong-recv") != std::string::npos);
}

TEST_CASE("the lines no earlier view printed are handed back, for discovery to read") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    edit_last_view_line_21102(observed, " master - ", " master,fail? - ");
    auto& last = testing::probe_at(observed, "127.0.0.3:21105");
    std::swap(last, observed.nodes.back());  // the edited view is added last
    topology_merger merger({}, false);
    std::vector<std::string> unfamiliar;
    for (std::size_t i = 0; i < observed.nodes.size(); ++i) {
        CAPTURE(i);
        REQUIRE(merger.add(observed.nodes[i], &unfamiliar));
        auto has = [&unfamiliar](std::string_view text) {
            return std::any_of(unfamiliar.begin(), unfamiliar.end(), [text](const auto& line) {
                return line.find(text) != std::string::npos;
            });
        };
        if (i == 0) {
            CHECK(unfamiliar.size() == 6);  // every line is new
            continue;
        }
        CHECK(has("myself"));  // a view's own line is flagged only there
        // The second view also prints the first view's node without myself, a first; the
        // last view the edited line.
        bool two = i == 1 || i + 1 == observed.nodes.size();
        CHECK(unfamiliar.size() == (two ? 2u : 1u));
        if (i + 1 == observed.nodes.size()) CHECK(has("master,fail?"));
    }
    node_probe unusable;
    unusable.address = "127.0.0.9:1";
    unusable.reachable = true;
    unusable.cluster_nodes = "garbage\nmore garbage\n";
    CHECK_FALSE(merger.add(unusable, &unfamiliar));
    CHECK(unfamiliar == std::vector<std::string>{"garbage", "more garbage", ""});
    node_probe unreached;
    unreached.address = "127.0.0.9:2";
    CHECK(merger.add(unreached, &unfamiliar));
    CHECK(unfamiliar.empty());
}

TEST_CASE("views that list their nodes in different orders merge as views in one order") {
    // The merge tries the node the previous view had at the same line first: a view in
    // another order must fall back on the id, line by line.
    auto observed = testing::load_scenario("redis-7.0/master-killed-after-failover");
    auto shuffled = observed;
    for (std::size_t i = 0; i < shuffled.nodes.size(); i += 2) {
        auto& text = shuffled.nodes[i].cluster_nodes;
        std::vector<std::string> lines;
        for (std::size_t at = 0; at < text.size();) {
            auto end = std::min(text.find('\n', at), text.size());
            lines.push_back(text.substr(at, end - at));
            at = end + 1;
        }
        std::rotate(lines.begin(), lines.begin() + 1 + static_cast<long>(i / 2) % 3, lines.end());
        text.clear();
        for (const auto& line : lines) text += line + "\n";
    }
    REQUIRE(shuffled.nodes.front().cluster_nodes != observed.nodes.front().cluster_nodes);
    CHECK(merge(shuffled) == merge(observed));
}

TEST_CASE("a line is never taken for the node the previous view had at that line") {
    // Three slotless masters whose lines differ only in id, address and pong: every view
    // lists them in another order, so the node each line is tried against first is wrong.
    auto line = [](char id, int port, bool myself, int pong) {
        return fmt::format("{} 127.0.0.1:{}@1{} {}master - 0 {} 0 connected\n", std::string(40, id),
                           port, port, myself ? "myself," : "", pong);
    };
    const std::string ids = "abc";
    snapshot observed;
    for (int view = 0; view < 3; ++view) {
        node_probe probe;
        probe.address = fmt::format("127.0.0.1:{}", 7000 + view);
        probe.reachable = true;
        for (int i = 0; i < 3; ++i) {
            int node = (view + i) % 3;
            probe.cluster_nodes += line(ids[node], 7000 + node, node == view, 1000 * (node + 1));
        }
        observed.nodes.push_back(probe);
    }
    auto cluster = merge(observed);
    REQUIRE(cluster.nodes.size() == 3);
    for (int node = 0; node < 3; ++node) {
        const auto* found = cluster.find(std::string(40, ids[node]));
        REQUIRE(found != nullptr);
        CHECK(found->last_pong_ms == 1000 * (node + 1));
    }
}

TEST_CASE("views folded one at a time, each text dropped once added, merge as a snapshot does") {
    auto observed = testing::load_scenario("redis-7.0/master-killed-after-failover");
    topology_merger merger({}, false);
    for (auto probe : observed.nodes) {
        CHECK(merger.add(probe));
        probe.cluster_nodes.assign(probe.cluster_nodes.size(), 'x');  // gone
    }
    CHECK(std::move(merger).finish() == merge(observed));
}

TEST_CASE("adding an unusable view says why, and the merge records it") {
    topology_merger merger({}, false);
    node_probe probe;
    probe.address = "127.0.0.1:7000";
    probe.reachable = true;
    probe.cluster_nodes = "garbage\n";
    auto added = merger.add(probe);
    REQUIRE_FALSE(added);
    CHECK(added.failure().message == "CLUSTER NODES line 1: expected at least 8 fields, found 1");
    auto cluster = std::move(merger).finish();
    REQUIRE(cluster.disagreements.size() == 1);
    CHECK(cluster.disagreements[0].kind == disagreement_kind::unparsable_view);
}

TEST_CASE("a master's own INFO gives the offset its replicas' lag is measured against") {
    auto observed = testing::load_scenario("redis-7.0/healthy-3x1-three-hosts");
    auto& replica_info = testing::probe_at(observed, "127.0.0.2:21104").info;
    replica_info.replace(replica_info.find("slave_repl_offset:14"), 20, "slave_repl_offset:4");
    auto cluster = merge(observed);
    const auto* master = cluster.find(master_21100);
    const auto* replica = cluster.find(replica_21104);
    REQUIRE(master != nullptr);
    REQUIRE(replica != nullptr);
    CHECK(master->replication_offset == 14);  // master_repl_offset
    CHECK(replica->replication_offset == 4);  // slave_repl_offset, not its own master_repl_offset
    CHECK_FALSE(master->master_link_up.has_value());
}
