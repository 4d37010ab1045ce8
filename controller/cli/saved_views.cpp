#include "controller/cli/saved_views.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "controller/core/parse/cluster_nodes.hpp"

namespace warden::cli {
namespace {

constexpr std::size_t max_file_bytes = 64 << 20;

result<std::string> read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return error{fmt::format("cannot read '{}': {}", path, std::strerror(errno))};
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad()) return error{fmt::format("cannot read '{}': {}", path, std::strerror(errno))};
    auto text = content.str();
    if (text.size() > max_file_bytes) return error{fmt::format("'{}' is larger than 64 MiB", path)};
    return text;
}

}  // namespace

result<snapshot> load_saved_views(const std::vector<std::string>& files) {
    snapshot saved;
    saved.offline = true;
    for (const auto& path : files) {
        auto text = read_file(path);
        if (!text) return text.failure();
        auto view = parse_cluster_nodes(*text);
        if (!view) return error{fmt::format("'{}': {}", path, view.failure().message)};
        const auto* myself = view->myself();
        if (myself == nullptr) {
            return error{
                fmt::format("'{}': no 'myself' line, so whose view it is is unknown "
                            "(save the output of CLUSTER NODES unedited)",
                            path)};
        }
        node_probe probe;
        probe.address = myself->address.host.empty()
                            ? path
                            : format_address(myself->address.host, myself->address.port);
        probe.reachable = true;
        probe.cluster_nodes = std::move(*text);
        saved.nodes.push_back(std::move(probe));
    }
    std::sort(saved.nodes.begin(), saved.nodes.end(),
              [](const node_probe& a, const node_probe& b) { return a.address < b.address; });
    return saved;
}

}  // namespace warden::cli
