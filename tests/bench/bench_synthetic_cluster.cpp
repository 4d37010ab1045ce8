// Benchmark (not a test): a synthetic 1,000-node cluster (500 masters x 1 replica), 1,000
// views of 1,000 lines each, through parse + merge + health on one thread, each view folded
// as it is made and then dropped. Prints the time spent analysing and peak RSS.
//
//   bench_synthetic_cluster [--masters N] [--write DIR]
//
// --write DIR also saves each view as DIR/view-<i>.txt, for timing
// `redis-warden check --from-file DIR/view-*.txt` on the same input.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/report/report.hpp"

namespace {

std::string node_id(int index) {
    return fmt::format("{:040x}", index + 1);
}

// Every line of the cluster once, and where each line's flags and pong-recv start: each
// node's view is this text with its own line flagged myself and this view's pong times.
struct view_template {
    std::string text;
    std::vector<std::size_t> flags_at;
    std::vector<std::size_t> pong_at;  // 13 digits each
};

view_template make_template(int masters) {
    view_template made;
    int per_master = warden::slot_count / masters;
    for (int i = 0; i < 2 * masters; ++i) {
        bool master = i < masters;
        auto host = fmt::format("10.{}.{}.{}", i % 3, (i / 250) % 250, i % 250 + 1);
        auto head = fmt::format("{} {}:6379@16379 ", node_id(i), host);
        made.flags_at.push_back(made.text.size() + head.size());
        auto before_pong = fmt::format("{}{} {} 0 ", head, master ? "master" : "slave",
                                       master ? "-" : node_id(i - masters));
        made.pong_at.push_back(made.text.size() + before_pong.size());
        made.text += fmt::format("{}1700000000000 {} connected", before_pong, master ? i + 1 : 0);
        if (master) {
            int first = i * per_master;
            int last = i == masters - 1 ? warden::slot_count - 1 : first + per_master - 1;
            made.text += fmt::format(" {}-{}", first, last);
        }
        made.text += "\n";
    }
    return made;
}

// The view of node `self`: as a real one, it differs from the others' in its myself flag and
// in every pong-recv time.
std::string make_view(const view_template& cluster, int self) {
    constexpr std::string_view myself = "myself,";
    std::string text;
    text.reserve(cluster.text.size() + myself.size());
    text.append(cluster.text, 0, cluster.flags_at[self]);
    text.append(myself);
    text.append(cluster.text, cluster.flags_at[self]);
    for (std::size_t i = 0; i < cluster.pong_at.size(); ++i) {
        auto at = cluster.pong_at[i] + (i >= static_cast<std::size_t>(self) ? myself.size() : 0);
        auto pong = fmt::format(
            "{}", 1700000000000LL + (self * 31 + static_cast<long long>(i) * 17) % 100000);
        text.replace(at, pong.size(), pong);
    }
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    int masters = 500;
    std::string write_dir;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--masters") masters = std::max(1, std::atoi(argv[i + 1]));
        if (flag == "--write") write_dir = argv[i + 1];
    }
    // As the daemon and check --from-file do: each view is folded as it arrives and its text
    // dropped; only the time spent in the analysis is counted, not making the views.
    warden::analysis_policy policy;
    warden::topology_merger merger(policy.topology, false);
    std::chrono::steady_clock::duration analysing{};
    std::size_t text_bytes = 0;
    auto cluster = make_template(masters);
    for (int i = 0; i < 2 * masters; ++i) {
        warden::node_probe probe;
        probe.address = fmt::format("10.{}.{}.{}:6379", i % 3, (i / 250) % 250, i % 250 + 1);
        probe.reachable = true;
        probe.cluster_nodes = make_view(cluster, i);
        probe.info = i < masters ? "role:master\r\n" : "role:slave\r\nmaster_link_status:up\r\n";
        text_bytes += probe.cluster_nodes.size();
        if (!write_dir.empty()) {
            std::ofstream(fmt::format("{}/view-{}.txt", write_dir, i)) << probe.cluster_nodes;
        }
        auto start = std::chrono::steady_clock::now();
        merger.add(probe);
        analysing += std::chrono::steady_clock::now() - start;
    }
    auto start = std::chrono::steady_clock::now();
    auto report = warden::analyze("synthetic", std::move(merger), policy);
    analysing += std::chrono::steady_clock::now() - start;
    auto seconds = std::chrono::duration<double>(analysing).count();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    fmt::print("synthetic cluster: {} nodes, {} views of {} lines, {:.1f} MB of text\n",
               report.cluster_topology.nodes.size(), 2 * masters, 2 * masters,
               static_cast<double>(text_bytes) / 1e6);
    fmt::print("status {} with {} findings, quorum margin {}\n",
               warden::to_string(report.health.status), report.health.findings.size(),
               report.health.quorum.margin);
    fmt::print("parse + merge + health: {:.3f} s (issue 15 target at 1,000 nodes: <= 0.1 s)\n",
               seconds);
    fmt::print("peak RSS, views folded as made: {:.1f} MB (target <= 64 MB)\n",
               static_cast<double>(usage.ru_maxrss) / 1024.0);
    return report.health.status == warden::severity::ok ? 0 : 1;
}
