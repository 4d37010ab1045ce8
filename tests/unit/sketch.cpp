#include "sketch.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace warden::testing {
namespace {

std::string view_line(const sketch_node& node, bool is_self) {
    std::string flags = is_self ? "myself," : "";
    flags += node.master != 0 ? "slave" : "master";
    if (node.dead && !is_self) flags += ",fail";
    std::string master = node.master != 0 ? sketch_id(node.master) : "-";
    auto port = node.address.substr(node.address.rfind(':') + 1);
    std::string line =
        fmt::format("{} {}@1{} {} {} 0 {} 1 {}", sketch_id(node.name), node.address, port, flags,
                    master, is_self ? 0 : node.pong_ms, node.dead ? "disconnected" : "connected");
    if (!node.slots.empty()) line += " " + node.slots;
    return line + "\n";
}

std::string info_of(const sketch_node& node, const std::vector<sketch_node>& nodes) {
    if (node.master == 0) return "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n";
    auto master = std::find_if(nodes.begin(), nodes.end(),
                               [&](const sketch_node& each) { return each.name == node.master; });
    auto split = master->address.rfind(':');
    return fmt::format(
        "# Replication\r\nrole:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\n"
        "master_link_status:{}\r\nslave_repl_offset:{}\r\n",
        master->address.substr(0, split), master->address.substr(split + 1),
        node.link_down || master->dead ? "down" : "up", node.offset);
}

}  // namespace

std::string sketch_id(char name) {
    return fmt::format("{:0>38}{:02x}", "", static_cast<unsigned char>(name));
}

snapshot sketch_cluster(const std::vector<sketch_node>& nodes) {
    snapshot observed;
    observed.cluster_name = "sketch";
    for (const auto& node : nodes) {
        node_probe probe;
        probe.address = node.address;
        if (node.dead) {
            probe.error = "connection refused";
        } else {
            probe.reachable = true;
            for (const auto& other : nodes)
                probe.cluster_nodes += view_line(other, &other == &node);
            probe.cluster_info = "cluster_state:ok\r\n";
            probe.info = info_of(node, nodes);
        }
        observed.nodes.push_back(std::move(probe));
    }
    std::sort(observed.nodes.begin(), observed.nodes.end(),
              [](const node_probe& a, const node_probe& b) { return a.address < b.address; });
    return observed;
}

}  // namespace warden::testing
