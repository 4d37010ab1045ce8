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
    // Lines that do not parse name no one here; the core's full parse reports them.
    for (const auto& line : list_cluster_nodes(cluster_nodes_text)) {
        if (!worth_probing(line)) continue;
        warden::endpoint endpoint{line.host, static_cast<std::uint16_t>(line.port)};
        auto address = canonical_address(endpoint);
        bool fresh = claim(address);
        if (fresh && follow_views_ && !line.flags.myself) {
            targets.push_back({address, std::move(endpoint)});
        }
    }
    return targets;
}

}  // namespace warden::probes
