#include "controller/executor/configured_cluster.hpp"

namespace warden::executor {

probes::poll_request poll_request_of(const config::cluster_settings& cluster) {
    probes::poll_request request;
    request.cluster_name = cluster.name;
    request.seeds = cluster.seeds;
    request.auth = {cluster.auth.username, cluster.auth.password};
    request.timeout = cluster.timeout;
    return request;
}

analysis_policy analysis_policy_of(const config::cluster_settings& cluster) {
    analysis_policy policy;
    policy.topology.domains = cluster.failure_domains;
    policy.health.min_replicas_per_master = cluster.heal.min_replicas_per_master;
    return policy;
}

}  // namespace warden::executor
