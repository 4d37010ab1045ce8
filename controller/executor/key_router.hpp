// Sends per-key commands to the master that owns each key's slot, over one connection per
// master, in parallel across masters, and follows MOVED/ASK when the cluster changes under
// it. Shared by `import` (RESTORE) and its --verify (DUMP, PTTL, reads by type).
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controller/core/result.hpp"
#include "controller/core/topology/topology.hpp"
#include "probes/connection.hpp"
#include "probes/poll.hpp"

namespace warden::executor {

class key_router {
  public:
    key_router(const topology& cluster, probes::credentials auth, std::chrono::milliseconds timeout,
               int parallel);

    // The commands for one key; replies come back in the same order. Built again on every
    // attempt (a TTL shrinks while a key waits), so they come from a function.
    using key_commands = std::function<std::vector<probes::command>(std::size_t key_index)>;
    // Whether a key's replies are final: false when a reply was MOVED/ASK/TRYAGAIN.
    struct key_replies {
        std::vector<probes::resp_value> replies;
    };

    // Runs `commands(i)` for every key i on its slot's owner; per-key replies in order.
    // A key redirected by MOVED (owner updated for the slot) or ASK (ASKING first, once) is
    // retried; TRYAGAIN/CLUSTERDOWN are retried after a short pause. Transport failures
    // and keys still redirected after a few rounds are errors.
    result<std::vector<key_replies>> run(const std::vector<std::string>& keys,
                                         const key_commands& commands);

    // Address of a slot's master as currently known.
    const std::string& owner(int slot) const { return owner_[static_cast<std::size_t>(slot)]; }
    // MOVED/ASK replies followed so far (an operator sees the cluster changed underneath).
    long long redirects_followed() const { return redirects_; }
    // A connection to `address` (opened on first use): for INFO on a target that refused.
    result<probes::redis_connection*> connection(const std::string& address);

  private:
    struct routed {
        std::size_t key_index;
        std::string address;
        bool asking = false;
    };
    // One pipeline to `address` for `group`; a transport failure comes back with its kind.
    result<void> send_group(const std::string& address, std::vector<routed>& group,
                            const key_commands& commands, std::vector<key_replies>& out,
                            std::vector<routed>& again);

    std::array<std::string, slot_count> owner_;
    probes::credentials auth_;
    std::chrono::milliseconds timeout_;
    int parallel_;
    long long redirects_ = 0;
    std::map<std::string, probes::redis_connection> connections_;
};

}  // namespace warden::executor
