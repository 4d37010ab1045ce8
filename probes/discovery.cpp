#include "probes/discovery.hpp"

#include <boost/asio/ip/address.hpp>

#include "controller/core/parse/cluster_nodes.hpp"

namespace warden::probes {
namespace {

bool worth_probing(const listed_node& line) {
    return !line.host.empty() && line.port > 0 && line.port <= 65535 && !line.flags.noaddr &&
           !line.flags.handshake;
}

}  // namespace

std::string canonical_address(const warden::endpoint& endpoint) {
    boost::system::error_code ec;
    auto ip = boost::asio::ip::make_address(endpoint.host, ec);
    // A hostname stays as dialed: the user chose it and it is what they will look for.
    const std::string host = ec ? endpoint.host : ip.to_string();
    return format_address(host, endpoint.port);
}

std::vector<probe_target> discovery::claim_seeds(const std::vector<std::string>& seeds,
                                                 std::vector<node_probe>& rejected) {
    std::vector<probe_target> targets;
    for (const auto& seed : seeds) {
        auto endpoint = parse_endpoint(seed);
        if (!endpoint) {
            if (!claim(seed)) continue;
            node_probe probe;
            probe.address = seed;
            probe.error = endpoint.failure().message;
            rejected.push_back(std::move(probe));
            continue;
        }
        auto address = canonical_address(*endpoint);
        if (claim(address)) targets.push_back({address, std::move(*endpoint)});
    }
    return targets;
}

std::vector<probe_target> discovery::on_cluster_nodes(std::string_view cluster_nodes_text) {
    std::vector<probe_target> targets;
    std::size_t start = 0;
    std::size_t index = 0;
    while (start < cluster_nodes_text.size()) {
        auto end = std::min(cluster_nodes_text.find('\n', start), cluster_nodes_text.size());
        auto line = cluster_nodes_text.substr(start, end - start);
        if (!seen_at_line(line, index)) {
            auto found = on_line(line, index);
            targets.insert(targets.end(), found.begin(), found.end());
        }
        ++index;
        start = end + 1;
    }
    return targets;
}

std::vector<probe_target> discovery::on_lines(const std::vector<std::string>& lines) {
    std::vector<probe_target> targets;
    for (const auto& line : lines) {
        auto found = on_line(line, no_line_index);
        targets.insert(targets.end(), found.begin(), found.end());
    }
    return targets;
}

// Views list their nodes in the same order: whether this line has the key the last view had
// at the same line, looked for where that one was, without splitting the line into fields
// (at 1,000 nodes every poll reads a million lines, all of them already seen).
bool discovery::seen_at_line(std::string_view line, std::size_t index) const {
    if (index >= keys_by_line_.size()) return false;
    const auto& last = keys_by_line_[index];
    auto key = seen_.name(last.key);
    return line.size() > last.at + key.size() && line.compare(last.at, key.size(), key) == 0 &&
           line.substr(0, last.at).find(' ') == std::string_view::npos;  // the key is first
}

std::vector<probe_target> discovery::on_line(std::string_view line, std::size_t index) {
    // "<id> <address> <flags> ...": the key is " <address> <flags> ", spaces included.
    auto address_at = line.find(' ');
    auto flags_end = address_at == std::string_view::npos
                         ? std::string_view::npos
                         : line.find(' ', line.find(' ', address_at + 1) + 1);
    if (flags_end == std::string_view::npos) return {};  // the core's full parse reports it
    auto key = line.substr(address_at, flags_end + 1 - address_at);
    auto [number, unseen] = seen_.intern(key);
    if (index != no_line_index) {
        if (index >= keys_by_line_.size()) keys_by_line_.resize(index + 1);
        keys_by_line_[index] = {number, address_at};
    }
    if (!unseen) return {};
    std::vector<probe_target> targets;
    // Lines that do not parse name no one here; the core's full parse reports them.
    for (const auto& listed : list_cluster_nodes(line)) {
        if (!worth_probing(listed)) continue;
        warden::endpoint endpoint{listed.host, static_cast<std::uint16_t>(listed.port)};
        auto address = canonical_address(endpoint);
        bool fresh = claim(address);
        if (fresh && follow_views_ && !listed.flags.myself) {
            targets.push_back({address, std::move(endpoint)});
        }
    }
    return targets;
}

}  // namespace warden::probes
