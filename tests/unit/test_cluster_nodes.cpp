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
    CHECK(parse_error(master_b + " 127.0.0.1:7001 master,,slave - 0 0 1 connected\n") ==
          "CLUSTER NODES line 1: bad flags 'master,,slave'");
    CHECK(parse_error(master_b + " 127.0.0.1:7001 master,\x01 - 0 0 1 connected\n") ==
          "CLUSTER NODES line 1: bad flags 'master,\x01'");
    CHECK(parse_error(master_b + " 127.0.0.1:7001@17001,host,\x7f=1 master - 0 0 1 connected\n") ==
          "CLUSTER NODES line 1: bad field in address '127.0.0.1:7001@17001,host,\x7f=1'");
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

TEST_CASE("a flag this version does not know is kept as printed and the line still parses") {
    // A newer server may add flags (as 7.0 added none and 4.0 added nofailover): warden keeps
    // reading the cluster rather than refusing the whole reply.
    auto text = master_a + " 127.0.0.1:7000@17000 myself,master,shiny - 0 0 1 connected 0-5460\n" +
                master_b + " 127.0.0.1:7001@17001 slave,fail?,x-later " + master_a +
                " 0 1426238317239 1 connected\n";
    auto view = parse_cluster_nodes(text);
    REQUIRE(view.has_value());
    const auto& master = view->nodes[0];
    CHECK(master.flags.myself);
    CHECK(master.flags.master);
    CHECK(master.flags.unknown == std::vector<std::string>{"shiny"});
    CHECK(master.flag_names == std::vector<std::string>{"myself", "master", "shiny"});
    CHECK(master.slots == std::vector<slot_range>{{0, 5460}});
    const auto& replica = view->nodes[1];
    CHECK(replica.flags.replica);
    CHECK(replica.flags.pfail);
    CHECK(replica.master_id == master_a);
    CHECK(flag_names(replica.flags) == std::vector<std::string>{"slave", "fail?", "x-later"});
}

TEST_CASE("an unknown flag alone still gives a readable line with no role") {
    auto line =
        parse_cluster_nodes_line(master_b + " 127.0.0.1:7001@17001 arbiter - 0 0 3 connected");
    REQUIRE(line.has_value());
    CHECK_FALSE(line->flags.master);
    CHECK_FALSE(line->flags.replica);
    CHECK(line->flags.unknown == std::vector<std::string>{"arbiter"});
    CHECK(line->link_connected);
}

TEST_CASE("noflags is known and lists nothing") {
    auto line = parse_cluster_nodes_line(master_b + " 127.0.0.1:7001 noflags - 0 0 0 connected");
    REQUIRE(line.has_value());
    CHECK(line->flags == node_flags{});
    CHECK(flag_names(line->flags).empty());
    CHECK(line->flag_names == std::vector<std::string>{"noflags"});
}

TEST_CASE("an address field this version does not know is kept; known aux fields are read past") {
    auto line = parse_cluster_nodes_line(
        master_a +
        " 10.0.0.1:6379@16379,redis-a,shard-id=3f21b6eb,nodename=a,tcp-port=6379,tls-port=0,"
        "zone=eu-1,flagless master - 0 0 1 connected 0-16383");
    REQUIRE(line.has_value());
    CHECK(line->address.host == "10.0.0.1");
    CHECK(line->address.port == 6379);
    CHECK(line->address.bus_port == 16379);
    CHECK(line->address.hostname == "redis-a");
    CHECK(line->address.unknown_fields == std::vector<std::string>{"zone=eu-1", "flagless"});
    auto known_only =
        parse_cluster_nodes(testing::read_fixture("formats/redis-7.2-aux-ipv6.nodes"));
    REQUIRE(known_only.has_value());
    for (const auto& node : known_only->nodes) {
        CAPTURE(node.id);
        CHECK(node.address.unknown_fields.empty());
        CHECK(node.flags.unknown.empty());
    }
}

TEST_CASE("an unknown flag does not hide a malformed field elsewhere on its line") {
    CHECK(parse_error(master_a + " 127.0.0.1:7000 myself,master,shiny - 0 0 1 connected\n" +
                      "0123 127.0.0.1:7001 master,shiny - 0 0 2 connected\n") ==
          "CLUSTER NODES line 2: bad node id '0123' (want 40 hex characters)");
    CHECK(parse_error(master_a + " 127.0.0.1:7000 myself,master,shiny - 0 0 1 connected\n" +
                      master_b + " 127.0.0.1:7001 master,shiny - 0 0 2 connected 5-x\n") ==
          "CLUSTER NODES line 2: bad slot range '5-x'");
    CHECK(parse_error(master_b + " 127.0.0.1:7001 shiny - 0 0 2 connected 16384\n") ==
          "CLUSTER NODES line 1: bad slot range '16384'");
    CHECK(parse_error(master_b + " 127.0.0.1:7001,zone=eu-1 shiny - 0 0 2 linked\n") ==
          "CLUSTER NODES line 1: bad link state 'linked'");
}

TEST_CASE("the discovery listing keeps lines with unknown flags") {
    auto listed = list_cluster_nodes(master_a +
                                     " 127.0.0.1:7000 myself,master,shiny - 0 0 1 "
                                     "connected 0-16383\n");
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].flags.master);
    CHECK(listed[0].flags.unknown == std::vector<std::string>{"shiny"});
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
    flags.unknown = {"shiny"};
    CHECK(flag_names(flags) == std::vector<std::string>{"myself", "slave", "fail?", "shiny"});
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
