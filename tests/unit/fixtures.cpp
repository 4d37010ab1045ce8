#include "fixtures.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace warden::testing {

std::string read_fixture(const std::string& relative_path) {
    std::ifstream file(std::string(WARDEN_FIXTURES) + "/" + relative_path, std::ios::binary);
    if (!file) throw std::runtime_error("missing fixture " + relative_path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

snapshot load_scenario(const std::string& relative_dir) {
    snapshot observed;
    observed.cluster_name = relative_dir;
    auto dir = std::filesystem::path(WARDEN_FIXTURES) / relative_dir;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".nodes") continue;
        auto stem = entry.path().stem().string();  // "127.0.0.1-21100"
        node_probe probe;
        probe.address = stem.substr(0, stem.rfind('-')) + ":" + stem.substr(stem.rfind('-') + 1);
        probe.reachable = true;
        probe.cluster_nodes = read_fixture(relative_dir + "/" + stem + ".nodes");
        auto info = dir / (stem + ".info");
        if (std::filesystem::exists(info))
            probe.info = read_fixture(relative_dir + "/" + stem + ".info");
        observed.nodes.push_back(std::move(probe));
    }
    std::sort(observed.nodes.begin(), observed.nodes.end(),
              [](const node_probe& a, const node_probe& b) { return a.address < b.address; });
    if (observed.nodes.empty()) throw std::runtime_error("empty scenario " + relative_dir);
    return observed;
}

node_probe& probe_at(snapshot& observed, const std::string& address) {
    for (auto& probe : observed.nodes) {
        if (probe.address == address) return probe;
    }
    observed.nodes.push_back({});
    observed.nodes.back().address = address;
    return observed.nodes.back();
}

void make_unreachable(snapshot& observed, const std::string& address, const std::string& why) {
    auto& probe = probe_at(observed, address);
    probe = node_probe{};
    probe.address = address;
    probe.error = why;
}

void edit_views(snapshot& observed, std::string_view from, std::string_view to) {
    for (auto& probe : observed.nodes) {
        auto& text = probe.cluster_nodes;
        for (auto at = text.find(from); at != std::string::npos;
             at = text.find(from, at + to.size())) {
            text.replace(at, from.size(), to);
        }
    }
}

}  // namespace warden::testing
