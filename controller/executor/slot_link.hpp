// The pieces every way of moving a slot shares: the source/target connection pair, the
// CLUSTER SETSLOT commands, and turning a pipeline's error replies into one diagnostic.
#pragma once

#include <string>
#include <vector>

#include "controller/core/parse/endpoint.hpp"
#include "controller/executor/slot_mover.hpp"
#include "probes/connection.hpp"

namespace warden::executor {

struct pair_link {
    probes::redis_connection source;
    probes::redis_connection target;
    endpoint target_endpoint;
};

// The source's connection waits for MIGRATE, which may take ten times its own timeout.
result<pair_link> connect_pair(const std::string& source, const std::string& target,
                               const mover_settings& settings);

// The first transport failure (its kind kept) or error reply, named ("<address>: <what>
// refused: <reply>", kind reply).
result<void> expect_ok(const result<std::vector<probes::resp_value>>& replies,
                       const std::string& what, const std::string& address);

probes::command setslot(int slot, const char* state, const std::string& id);
std::vector<probes::command> setslots(const std::vector<int>& slots, const char* state,
                                      const std::string& id);

// A reply that says the key is not on this node (any more): -ASK / -TRYAGAIN / -MOVED
// redirects of a slot being migrated, where the source no longer has the key.
bool is_redirect(const probes::resp_value& reply);

}  // namespace warden::executor
