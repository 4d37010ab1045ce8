#include "controller/cli/cluster_targets.hpp"

#include <fmt/format.h>

#include "controller/executor/configured_cluster.hpp"

namespace warden::cli {
namespace {

result<std::vector<cluster_target>> targets_from_flags(const target_options& options) {
    auto policy = policy_from_flags(options);
    if (!policy) return policy.failure();
    auto auth = load_credentials(options.connection);
    if (!auth) return auth.failure();
    cluster_target target;
    target.name = options.cluster_name.empty() && !options.connection.seeds.empty()
                      ? options.connection.seeds.front()
                      : options.cluster_name;
    target.request.cluster_name = target.name;
    target.request.seeds = options.connection.seeds;
    target.request.auth = std::move(*auth);
    target.request.timeout = std::chrono::milliseconds(options.connection.timeout_ms);
    target.policy = std::move(*policy);
    target.heal.min_replicas_per_master = options.min_replicas;
    return std::vector<cluster_target>{std::move(target)};
}

result<std::vector<cluster_target>> targets_from_config(const target_options& options) {
    if (options.connection.tls.any_given()) {
        return error{"with --config, TLS comes from each cluster's tls: section, not from flags",
                     error_kind::usage};
    }
    auto loaded = config::load_settings(*options.config_file);
    if (!loaded) return loaded.failure();
    std::vector<cluster_target> targets;
    for (const auto& cluster : loaded->clusters) {
        if (!options.cluster_name.empty() && cluster.name != options.cluster_name) continue;
        cluster_target target;
        target.name = cluster.name;
        auto request = executor::poll_request_of(cluster);
        if (!request) return prefixed(*options.config_file, request.failure());
        target.request = std::move(*request);
        target.policy = executor::analysis_policy_of(cluster);
        target.heal = cluster.heal;
        target.maintenance = daemon::maintenance_place_of(*loaded, cluster.name);
        target.poll_interval = cluster.poll_interval;
        targets.push_back(std::move(target));
    }
    if (targets.empty()) {
        return error{
            fmt::format("no cluster named '{}' in {}", options.cluster_name, *options.config_file)};
    }
    return targets;
}

}  // namespace

void target_options::add_to(CLI::App& command, const std::string& cluster_name_help) {
    command.add_option("--config", config_file,
                       "the clusters of this config file (all, or --cluster-name)");
    command.add_option("--cluster-name", cluster_name, cluster_name_help);
    command.add_option("--zone", zones,
                       "map addresses to a failure domain, CIDR=ZONE (repeatable)");
    command.add_option("--min-replicas", min_replicas, "healthy replicas each master should have")
        ->check(CLI::Range(1, 100));
    command
        .add_option("--cert-warning-days", certificate_warning_days,
                    "TLS: warn when a node's certificate expires within this many days")
        ->check(CLI::Range(1, 3650));
    command
        .add_option("--cert-critical-days", certificate_critical_days,
                    "TLS: critical when a node's certificate expires within this many days")
        ->check(CLI::Range(0, 3650));
}

result<analysis_policy> policy_from_flags(const target_options& options) {
    analysis_policy policy;
    policy.health.min_replicas_per_master = options.min_replicas;
    policy.health.certificate_warning_days = options.certificate_warning_days;
    policy.health.certificate_critical_days = options.certificate_critical_days;
    if (options.certificate_critical_days > options.certificate_warning_days) {
        return error{"--cert-critical-days is more than --cert-warning-days", error_kind::usage};
    }
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

result<std::vector<cluster_target>> resolve_targets(const target_options& options) {
    return options.config_file ? targets_from_config(options) : targets_from_flags(options);
}

result<void> target_options::check_source(bool other_given, const std::string& other) const {
    int sources =
        (connection.seeds.empty() ? 0 : 1) + (config_file ? 1 : 0) + (other_given ? 1 : 0);
    if (sources == 1) return {};
    return error{
        "give one of --seed HOST:PORT, --config FILE" + (other.empty() ? "" : ", " + other),
        error_kind::usage};
}

}  // namespace warden::cli
