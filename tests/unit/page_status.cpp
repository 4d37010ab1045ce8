#include "page_status.hpp"

#include "fixtures.hpp"

namespace warden::testing {

nlohmann::json status_cluster(const check_report& report) {
    auto cluster = report_json(report);
    cluster["last_poll_timestamp"] = 1796283661.6;  // 2026-12-03T07:41:01Z
    cluster["poll_age_seconds"] = 0.4;
    cluster["poll_interval_seconds"] = 1.0;
    cluster["leader"] = false;
    cluster["maintenance"] = nullptr;
    cluster["heal"] = {{"planned", nlohmann::json::array()}, {"unmet", nlohmann::json::array()}};
    cluster["audit"] = nullptr;
    cluster["coordination"] = {{"backend", "none"}, {"identity", "db1:4242@127.0.0.1:9736"}};
    return cluster;
}

nlohmann::json status_document(nlohmann::json cluster) {
    return {{"version", "0.1.0"}, {"clusters", nlohmann::json::array({std::move(cluster)})}};
}

nlohmann::json status_of_scenario(const std::string& scenario, const std::string& unreachable) {
    auto observed = load_scenario(scenario);
    observed.cluster_name = "sso-tokens";
    if (!unreachable.empty()) make_unreachable(observed, unreachable, "connection refused");
    return status_document(status_cluster(analyze(observed, {})));
}

}  // namespace warden::testing
