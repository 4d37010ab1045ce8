#include <doctest/doctest.h>

#include "controller/core/parse/cluster_nodes.hpp"
#include "fixtures.hpp"

using namespace warden;

namespace {
const std::string master_a = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";
const std::string master_b = "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1";

std::string parse_error(std::string_view text) {
    auto parsed = parse_cluster_nodes(text);
    REQUIRE_FALSE(parsed.has_value());
    return parsed.failure().message;
}
}  // namespace

TEST_CASE("a real 7.0 view parses into six nodes with ranges, roles and one myself") {
    auto view = parse_cluster_nodes(
        testing::read_fixture("redis-7.0/healthy-3x1-three-hosts/127.0.0.1-21100.nodes"));
    REQUIRE(view.has_value());
    CHECK(view->nodes.size() == 6);
    const auto* myself = view->myself();
    REQUIRE(myself != nullptr);
    CHECK(myself->address.host == "127.0.0.1");
    CHECK(myself->address.port == 21100);
    CHECK(myself->address.bus_port == 31100);
    CHECK(myself->flags.master);
    CHECK(myself->slots == std::vector<slot_range>{{0, 5460}});
    int replicas = 0;
    for (const auto& node : view->nodes) replicas += node.flags.replica ? 1 : 0;
    CHECK(replicas == 3);
}

TEST_CASE("the 3.2 format without a bus port parses") {
    auto view = parse_cluster_nodes(testing::read_fixture("formats/redis-3.2.nodes"));
    REQUIRE(view.has_value());
    CHECK(view->nodes.size() == 6);
    CHECK_FALSE(view->nodes[0].address.bus_port.has_value());
    CHECK(view->nodes[0].master_id == master_a);
    CHECK(view->myself()->id == master_a);
}

TEST_CASE("the 4-6 format with a bus port parses") {
    auto view = parse_cluster_nodes(testing::read_fixture("formats/redis-5.0.nodes"));
    REQUIRE(view.has_value());
    CHECK(view->nodes[1].address.bus_port == 40002);
    CHECK(view->nodes[1].slots == std::vector<slot_range>{{5461, 10922}});
}

TEST_CASE("7.x hostnames, aux fields, IPv6, noaddr, handshake and nofailover are understood") {
    auto view = parse_cluster_nodes(testing::read_fixture("formats/redis-7.2-aux-ipv6.nodes"));
    REQUIRE(view.has_value());
    const auto& a = view->nodes[0];
    CHECK(a.address.host == "2001:db8::1");
    CHECK(a.address.port == 6379);
    CHECK(a.address.hostname == "redis-a.example");
    CHECK(a.slots == std::vector<slot_range>{{0, 5460}, {5462, 5462}});
    REQUIRE(a.open_slots.size() == 1);
    CHECK(a.open_slots[0].slot == 5461);
    CHECK(a.open_slots[0].direction == open_slot_direction::importing);
    CHECK(a.open_slots[0].peer_id == master_b);
    CHECK_FALSE(view->nodes[1].address.hostname.has_value());  // empty hostname, then aux
    CHECK(view->nodes[2].address.host == "::1");
    CHECK(view->nodes[2].flags.nofailover);
    CHECK(view->nodes[3].flags.noaddr);
    CHECK(view->nodes[3].address.host.empty());
    CHECK_FALSE(view->nodes[3].link_connected);
    CHECK(view->nodes[4].flags.handshake);
    CHECK(view->nodes[5].flags.pfail);
    CHECK(format_address("2001:db8::1", 6379) == "[2001:db8::1]:6379");
    CHECK(format_address("10.0.0.1", 6379) == "10.0.0.1:6379");
}

TEST_CASE("a migrating slot names its target") {
    auto line = parse_cluster_nodes_line(
        master_a + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [0->-" + master_b +
        "]");
    REQUIRE(line.has_value());
    REQUIRE(line->open_slots.size() == 1);
    CHECK(line->open_slots[0].direction == open_slot_direction::migrating);
    CHECK(line->open_slots[0].peer_id == master_b);
}

TEST_CASE("a malformed line is an error naming the line number and the field") {
    auto good = master_a + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n";
    CHECK(parse_error(good + "zzz 127.0.0.1:7001 master - 0 0 1 connected\n") ==
          "CLUSTER NODES line 2: bad node id 'zzz' (want 40 hex characters)");
    CHECK(parse_error(good + master_b + " 127.0.0.1:7001 master -\n") ==
          "CLUSTER NODES line 2: expected at least 8 fields, found 4");
    CHECK(parse_error(master_b + " 127.0.0.1:7001 master - 0 0 1 connected 16384\n") ==
          "CLUSTER NODES line 1: bad slot range '16384'");
    CHECK(parse_error(master_b + " 127.0.0.1:7001 master - 0 0 1 connected 9-3\n") ==
          "CLUSTER NODES line 1: bad slot range '9-3'");
    CHECK(parse_error(master_b + " 127.0.0.1:7001 master,wat - 0 0 1 connected\n") ==
          "CLUSTER NODES line 1: unknown flag 'wat'");
    CHECK(parse_error(master_b + " 127.0.0.1:7001 master - 0 0 1 sleepy\n") ==
          "CLUSTER NODES line 1: bad link state 'sleepy'");
    CHECK(parse_error(master_b + " 127.0.0.1 master - 0 0 1 connected\n") ==
          "CLUSTER NODES line 1: address '127.0.0.1' has no ':port'");
    CHECK(parse_error(master_b + " 127.0.0.1:99999 master - 0 0 1 connected\n") ==
          "CLUSTER NODES line 1: bad port in address '127.0.0.1:99999'");
    CHECK(parse_error(master_b + " 127.0.0.1:1 master nope 0 0 1 connected\n") ==
          "CLUSTER NODES line 1: bad master id 'nope'");
    CHECK(parse_error(master_b + " 127.0.0.1:1 master - x 0 1 connected\n") ==
          "CLUSTER NODES line 1: bad ping-sent 'x'");
    CHECK(parse_error(master_b + " 127.0.0.1:1 master - 0 0 1 connected [5->-abc]\n") ==
          "CLUSTER NODES line 1: bad open-slot entry '[5->-abc]'");
    CHECK(parse_error(master_b + " 127.0.0.1:1 master - 0 0 1 connected [\n") ==
          "CLUSTER NODES line 1: bad open-slot entry '['");
    CHECK(parse_error("\n\n") == "CLUSTER NODES reply has no node lines");
}

TEST_CASE("CRLF line ends and trailing spaces are tolerated") {
    auto text = master_a + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383 \r\n";
    auto view = parse_cluster_nodes(text);
    REQUIRE(view.has_value());
    CHECK(view->nodes[0].slots == std::vector<slot_range>{{0, 16383}});
}

TEST_CASE("flag names are printed as CLUSTER NODES prints them") {
    node_flags flags;
    flags.myself = flags.replica = flags.pfail = true;
    CHECK(flag_names(flags) == std::vector<std::string>{"myself", "slave", "fail?"});
}

TEST_CASE("the discovery listing gives every readable line's address and skips bad lines") {
    auto listed = list_cluster_nodes(testing::read_fixture("formats/redis-7.2-aux-ipv6.nodes") +
                                     "garbage line\n");
    REQUIRE(listed.size() == 6);
    CHECK(listed[0].host == "2001:db8::1");
    CHECK(listed[0].port == 6379);
    CHECK(listed[0].flags.myself);
    CHECK(listed[3].flags.noaddr);
    CHECK(listed[4].flags.handshake);
}
