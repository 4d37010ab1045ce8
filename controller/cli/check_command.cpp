#include "controller/cli/check_command.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "controller/cli/saved_views.hpp"
#include "controller/core/report/report.hpp"

namespace warden::cli {
namespace {

constexpr int exit_unknown = 3;

result<analysis_policy> make_policy(const check_options& options) {
    analysis_policy policy;
    policy.health.min_replicas_per_master = options.min_replicas;
    for (const auto& mapping : options.zones) {
        auto equals = mapping.find('=');
        if (equals == std::string::npos || equals + 1 == mapping.size()) {
            return error{fmt::format("--zone '{}': expected CIDR=ZONE", mapping)};
        }
        auto block = parse_cidr(mapping.substr(0, equals));
        if (!block) return error{fmt::format("--zone '{}': {}", mapping, block.failure().message)};
        policy.topology.domains.zones.push_back({*block, mapping.substr(equals + 1)});
    }
    return policy;
}

result<snapshot> observe(const check_options& options) {
    if (!options.from_files.empty()) return load_saved_views(options.from_files);
    auto auth = load_credentials(options.connection);
    if (!auth) return auth.failure();
    probes::poll_request request;
    request.cluster_name = options.cluster_name;
    request.seeds = options.connection.seeds;
    request.auth = std::move(*auth);
    request.timeout = std::chrono::milliseconds(options.connection.timeout_ms);
    return probes::poll_cluster(request);
}

// One line naming why nothing answered, e.g. "127.0.0.1:7000: connection refused".
std::string nothing_reachable(const snapshot& observed) {
    std::string reasons;
    std::size_t shown = 0;
    for (const auto& probe : observed.nodes) {
        if (probe.reachable) continue;  // answered, but with a view warden cannot use
        if (shown++ == 3) {
            reasons += "; ...";
            break;
        }
        reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", probe.address, probe.error);
    }
    return reasons.empty() ? "no usable CLUSTER NODES reply" : reasons;
}

std::string render(const check_report& report, const std::string& format) {
    if (format == "json") return render_json(report) + "\n";
    if (format == "nagios") return render_nagios(report) + "\n";
    return render_text(report);
}

}  // namespace

void add_check_command(CLI::App& app, check_options& options) {
    auto* command = app.add_subcommand("check",
                                       "report whether the cluster survives its next "
                                       "failure (exit 0 ok, 1 warning, 2 critical, "
                                       "3 unknown)");
    options.connection.add_to(*command);
    command->add_option("--from-file", options.from_files,
                        "analyse saved CLUSTER NODES outputs, one file per node's view");
    command->add_flag("--json", options.json, "print the JSON report (same as --format json)");
    command->add_option("--format", options.format, "text, json or nagios")
        ->check(CLI::IsMember({"text", "json", "nagios"}));
    command->add_option("--cluster-name", options.cluster_name, "name shown in reports");
    command->add_option("--zone", options.zones,
                        "map addresses to a failure domain, CIDR=ZONE (repeatable)");
    command
        ->add_option("--min-replicas", options.min_replicas,
                     "healthy replicas each master should have")
        ->check(CLI::Range(1, 100));
}

int run_check(const check_options& options) {
    if (options.connection.seeds.empty() == options.from_files.empty()) {
        std::fprintf(stderr, "redis-warden check: give --seed HOST:PORT or --from-file FILE\n");
        return exit_unknown;
    }
    auto policy = make_policy(options);
    if (!policy) {
        std::fprintf(stderr, "redis-warden check: %s\n", policy.failure().message.c_str());
        return exit_unknown;
    }
    auto observed = observe(options);
    if (!observed) {
        std::fprintf(stderr, "redis-warden check: %s\n", observed.failure().message.c_str());
        return exit_unknown;
    }
    if (observed->cluster_name.empty()) {
        observed->cluster_name = options.cluster_name.empty() && !options.connection.seeds.empty()
                                     ? options.connection.seeds.front()
                                     : options.cluster_name;
    }
    auto report = analyze(*observed, *policy);
    auto format = options.json ? std::string("json") : options.format;
    if (report.health.status == severity::unknown) {
        auto reason = nothing_reachable(*observed);
        std::fprintf(stderr, "redis-warden check: no node reachable: %s\n", reason.c_str());
        if (format == "json") std::fputs(render(report, format).c_str(), stdout);
        if (format == "nagios") std::printf("REDIS CLUSTER UNKNOWN - %s\n", reason.c_str());
        return exit_unknown;
    }
    std::fputs(render(report, format).c_str(), stdout);
    return static_cast<int>(report.health.status);
}

}  // namespace warden::cli
