// Which addresses a poll round probes: the seeds, then every node any view names.
// Pure bookkeeping (no sockets) so the fan-out shell only performs what this decides.
// Addresses are deduplicated by their canonical form (format_address: "host:port",
// "[v6]:port"); a seed given as a hostname keeps the dialed name.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/parse/endpoint.hpp"
#include "controller/core/parse/string_index.hpp"
#include "controller/core/snapshot.hpp"

namespace warden::probes {

struct probe_target {
    std::string address;  // canonical, as reported in the snapshot
    warden::endpoint endpoint;
};

class discovery {
  public:
    explicit discovery(bool follow_views) : follow_views_(follow_views) {}

    // Targets for the seeds; a seed that does not parse becomes a finished probe in `rejected`.
    std::vector<probe_target> claim_seeds(const std::vector<std::string>& seeds,
                                          std::vector<node_probe>& rejected);

    // Targets named by one node's CLUSTER NODES reply and not yet claimed. Skips lines
    // without a usable address (empty host, port 0, noaddr, handshake). The "myself" line is
    // the replying node, perhaps dialed under another name: it is claimed, not probed again.
    std::vector<probe_target> on_cluster_nodes(std::string_view cluster_nodes_text);
    // The same for some lines of a view, in no particular place in it.
    std::vector<probe_target> on_lines(const std::vector<std::string>& lines);

  private:
    bool claim(const std::string& address) { return claimed_.insert(address).second; }
    static constexpr std::size_t no_line_index = static_cast<std::size_t>(-1);
    std::vector<probe_target> on_line(std::string_view line, std::size_t index);
    bool seen_at_line(std::string_view line, std::size_t index) const;

    bool follow_views_;
    std::set<std::string> claimed_;
    // The address and flags fields of every line already looked at: whether a line names
    // someone new depends on nothing else, and at 1,000 nodes every reply repeats the
    // others' 1,000 lines.
    string_index seen_;
    // The key last seen at line i: seen_'s number for it, and where in its line it started.
    struct line_key {
        std::int32_t key = -1;
        std::size_t at = 0;
    };
    std::vector<line_key> keys_by_line_;
};

// Canonical form of a parsed address; IP literals are normalised ("::0001" -> "::1").
std::string canonical_address(const warden::endpoint& endpoint);

}  // namespace warden::probes
