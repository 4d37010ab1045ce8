// Synthetic clusters in Redis 7.0's own reply formats, for planner tests that need shapes
// the recorded fixtures lack (masters with two replicas, empty masters, many hosts).
// Every node's view is the same CLUSTER NODES text with its own line marked "myself".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controller/core/snapshot.hpp"

namespace warden::testing {

struct sketch_node {
    sketch_node(char node_name, std::string node_address, char master_name = 0,
                std::string served_slots = {})
        : name(node_name),
          address(std::move(node_address)),
          master(master_name),
          slots(std::move(served_slots)) {}

    char name;                         // gives the node id: sketch_id(name)
    std::string address;               // "127.0.0.1:7000"
    char master = 0;                   // replicas: the master's name
    std::string slots;                 // masters: "0-5460" (empty: no slots)
    bool dead = false;                 // unreachable and flagged "fail" by every other view
    bool link_down = false;            // replicas: INFO says master_link_status:down
    std::int64_t pong_ms = 1'000'000;  // pong_recv the other views print for it
    std::int64_t offset = 100;         // replicas: slave_repl_offset
};

std::string sketch_id(char name);  // 40 hex digits ending in the name's code
snapshot sketch_cluster(const std::vector<sketch_node>& nodes);

}  // namespace warden::testing
