// Loads recorded Redis replies from tests/fixtures into the core's input types.
#pragma once

#include <string>
#include <string_view>

#include "controller/core/snapshot.hpp"

namespace warden::testing {

std::string read_fixture(const std::string& relative_path);

// A scenario directory of "<host>-<port>.nodes" (+ ".info") files -> a live-looking
// snapshot in which every recorded node was reachable.
snapshot load_scenario(const std::string& relative_dir);

// Marks (or adds) the node at `address` as unreachable with `why`.
void make_unreachable(snapshot& observed, const std::string& address, const std::string& why);

node_probe& probe_at(snapshot& observed, const std::string& address);

// Replaces every occurrence of `from` by `to` in every node's CLUSTER NODES text.
void edit_views(snapshot& observed, std::string_view from, std::string_view to);

}  // namespace warden::testing
