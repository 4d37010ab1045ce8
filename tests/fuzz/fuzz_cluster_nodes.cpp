// libFuzzer target: any bytes as CLUSTER NODES text must give a view or an error value,
// never a crash; and whatever parses must survive merge, health and every renderer.
// Input: one or more views separated by a line "=====".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "controller/core/parse/cluster_nodes.hpp"
#include "controller/core/report/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    warden::snapshot observed;
    std::size_t start = 0;
    int index = 0;
    while (start <= input.size()) {
        auto end = input.find("\n=====\n", start);
        auto piece = input.substr(start, end == std::string_view::npos ? end : end - start);
        (void)warden::parse_cluster_nodes(piece);
        warden::node_probe probe;
        probe.address = "127.0.0.1:" + std::to_string(7000 + index++);
        probe.reachable = true;
        probe.cluster_nodes = std::string(piece);
        probe.info = "master_link_status:down\r\n";
        observed.nodes.push_back(std::move(probe));
        if (end == std::string_view::npos) break;
        start = end + 7;
    }
    auto report = warden::analyze(observed, {});
    (void)warden::render_json(report);
    (void)warden::render_text(report);
    (void)warden::render_nagios(report);
    return 0;
}
