#include "controller/executor/configured_cluster.hpp"

#include <fmt/format.h>

#include "probes/tls.hpp"

namespace warden::executor {

result<probes::poll_request> poll_request_of(const config::cluster_settings& cluster) {
    probes::poll_request request;
    request.cluster_name = cluster.name;
    request.seeds = cluster.seeds;
    request.auth = {cluster.auth.username, cluster.auth.password, nullptr};
    request.timeout = cluster.timeout;
    if (cluster.tls) {
        auto profile = probes::tls_client::make(
            *cluster.tls, probes::tls_config_names(fmt::format("cluster '{}' tls", cluster.name)));
        if (!profile) return profile.failure();
        request.auth.tls = std::move(*profile);
    }
    return request;
}

result<std::vector<probes::poll_request>> poll_requests_of(const config::settings& settings) {
    std::vector<probes::poll_request> requests;
    for (const auto& cluster : settings.clusters) {
        auto request = poll_request_of(cluster);
        if (!request) return request.failure();
        requests.push_back(std::move(*request));
    }
    return requests;
}

result<loaded_config> load_config(const std::string& path) {
    auto settings = config::load_settings(path);
    if (!settings) return settings.failure();
    auto requests = poll_requests_of(*settings);
    if (!requests) return prefixed(path, requests.failure());
    return loaded_config{std::move(*settings), std::move(*requests)};
}

analysis_policy analysis_policy_of(const config::cluster_settings& cluster) {
    analysis_policy policy;
    policy.topology.domains = cluster.failure_domains;
    policy.health.min_replicas_per_master = cluster.heal.min_replicas_per_master;
    policy.health.certificate_warning_days = cluster.certificate_warning_days;
    policy.health.certificate_critical_days = cluster.certificate_critical_days;
    return policy;
}

}  // namespace warden::executor
