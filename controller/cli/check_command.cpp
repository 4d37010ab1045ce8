#include "controller/cli/check_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "config/settings.hpp"
#include "controller/cli/saved_views.hpp"
#include "controller/core/report/report.hpp"

namespace warden::cli {
namespace {

constexpr int exit_unknown = 3;

// One cluster to check: where to look and how to judge it.
struct check_target {
    std::string name;
    probes::poll_request request;
    analysis_policy policy;
};

result<analysis_policy> policy_from_flags(const check_options& options) {
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

result<std::vector<check_target>> targets_from_flags(const check_options& options) {
    auto policy = policy_from_flags(options);
    if (!policy) return policy.failure();
    auto auth = load_credentials(options.connection);
    if (!auth) return auth.failure();
    check_target target;
    target.name = options.cluster_name.empty() && !options.connection.seeds.empty()
                      ? options.connection.seeds.front()
                      : options.cluster_name;
    target.request.cluster_name = target.name;
    target.request.seeds = options.connection.seeds;
    target.request.auth = std::move(*auth);
    target.request.timeout = std::chrono::milliseconds(options.connection.timeout_ms);
    target.policy = std::move(*policy);
    return std::vector<check_target>{std::move(target)};
}

result<std::vector<check_target>> targets_from_config(const check_options& options) {
    auto loaded = config::load_settings(*options.config_file);
    if (!loaded) return loaded.failure();
    std::vector<check_target> targets;
    for (const auto& cluster : loaded->clusters) {
        if (!options.cluster_name.empty() && cluster.name != options.cluster_name) continue;
        check_target target;
        target.name = cluster.name;
        target.request.cluster_name = cluster.name;
        target.request.seeds = cluster.seeds;
        target.request.auth = {cluster.auth.username, cluster.auth.password};
        target.request.timeout = cluster.timeout;
        target.policy.topology.domains = cluster.failure_domains;
        target.policy.health.min_replicas_per_master = cluster.heal.min_replicas_per_master;
        targets.push_back(std::move(target));
    }
    if (targets.empty()) {
        return error{
            fmt::format("no cluster named '{}' in {}", options.cluster_name, *options.config_file)};
    }
    return targets;
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

int report_on(const snapshot& observed, const analysis_policy& policy, const std::string& format) {
    auto report = analyze(observed, policy);
    if (report.health.status != severity::unknown) {
        std::fputs(render(report, format).c_str(), stdout);
        return static_cast<int>(report.health.status);
    }
    auto reason = nothing_reachable(observed);
    std::fprintf(stderr, "redis-warden check: %s: no node reachable: %s\n",
                 observed.cluster_name.c_str(), reason.c_str());
    if (format == "json") std::fputs(render(report, format).c_str(), stdout);
    if (format == "nagios") std::printf("REDIS CLUSTER UNKNOWN - %s\n", reason.c_str());
    return exit_unknown;
}

int fail_usage(const std::string& message) {
    std::fprintf(stderr, "redis-warden check: %s\n", message.c_str());
    return exit_unknown;
}

}  // namespace

void add_check_command(CLI::App& app, check_options& options) {
    auto* command = app.add_subcommand("check",
                                       "report whether the cluster survives its next "
                                       "failure (exit 0 ok, 1 warning, 2 critical, "
                                       "3 unknown)");
    options.connection.add_to(*command);
    command->add_option("--config", options.config_file,
                        "check the clusters of this config file (all, or --cluster-name)");
    command->add_option("--from-file", options.from_files,
                        "analyse saved CLUSTER NODES outputs, one file per node's view");
    command->add_flag("--json", options.json, "print the JSON report (same as --format json)");
    command->add_option("--format", options.format, "text, json or nagios")
        ->check(CLI::IsMember({"text", "json", "nagios"}));
    command->add_option("--cluster-name", options.cluster_name,
                        "name shown in reports; with --config, the cluster to check");
    command->add_option("--zone", options.zones,
                        "map addresses to a failure domain, CIDR=ZONE (repeatable)");
    command
        ->add_option("--min-replicas", options.min_replicas,
                     "healthy replicas each master should have")
        ->check(CLI::Range(1, 100));
}

int run_check(const check_options& options) {
    int sources = (options.connection.seeds.empty() ? 0 : 1) +
                  (options.from_files.empty() ? 0 : 1) + (options.config_file ? 1 : 0);
    if (sources != 1)
        return fail_usage("give one of --seed HOST:PORT, --config FILE, --from-file FILE");
    auto format = options.json ? std::string("json") : options.format;
    if (!options.from_files.empty()) {
        auto policy = policy_from_flags(options);
        if (!policy) return fail_usage(policy.failure().message);
        auto saved = load_saved_views(options.from_files);
        if (!saved) return fail_usage(saved.failure().message);
        saved->cluster_name = options.cluster_name.empty() ? "offline" : options.cluster_name;
        return report_on(*saved, *policy, format);
    }
    auto targets = options.config_file ? targets_from_config(options) : targets_from_flags(options);
    if (!targets) return fail_usage(targets.failure().message);
    int worst = 0;
    for (const auto& target : *targets) {
        auto observed = probes::poll_cluster(target.request);
        observed.cluster_name = target.name;
        worst = std::max(worst, report_on(observed, target.policy, format));
    }
    return worst;
}

}  // namespace warden::cli
