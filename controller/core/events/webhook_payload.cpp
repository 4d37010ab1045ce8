#include "controller/core/events/webhook_payload.hpp"

#include <fmt/format.h>

#include "controller/core/audit/sha256.hpp"
#include "controller/core/utc_time.hpp"

namespace warden {
namespace {

// Alertmanager's "no end yet" (Go's zero time.Time).
constexpr const char* open_end = "0001-01-01T00:00:00Z";

bool resolves(const event& item) {
    return item.type == event_type::finding_cleared || item.type == event_type::node_recovered;
}

nlohmann::json alert_labels(const event& item) {
    nlohmann::json labels = {{"alertname", fmt::format("RedisWarden_{}", to_string(item.type))},
                             {"cluster", item.cluster},
                             {"severity", to_string(item.level)},
                             {"event_type", to_string(item.type)}};
    if (item.details.contains("code")) labels["code"] = item.details["code"];
    return labels;
}

nlohmann::json alertmanager_payload(const event& item) {
    auto labels = alert_labels(item);
    auto status = resolves(item) ? "resolved" : "firing";
    auto time = utc_text_ms(item.time);
    nlohmann::json alert = {
        {"status", status},
        {"labels", labels},
        {"annotations",
         {{"summary", item.message},
          {"description",
           item.details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}}},
        {"startsAt", time},
        {"endsAt", resolves(item) ? time : std::string(open_end)},
        {"generatorURL", ""},
        {"fingerprint", sha256_hex(labels.dump()).substr(0, 16)}};
    nlohmann::json group = {{"cluster", item.cluster}};
    return {{"version", "4"},
            {"groupKey", fmt::format("{{}}:{{cluster=\"{}\"}}", item.cluster)},
            {"truncatedAlerts", 0},
            {"status", status},
            {"receiver", "redis-warden"},
            {"groupLabels", group},
            {"commonLabels", labels},
            {"commonAnnotations", alert["annotations"]},
            {"externalURL", ""},
            {"alerts", nlohmann::json::array({alert})}};
}

}  // namespace

const char* to_string(webhook_format format) {
    return format == webhook_format::alertmanager ? "alertmanager" : "warden";
}

std::string webhook_body(const event& item, webhook_format format) {
    auto document =
        format == webhook_format::alertmanager ? alertmanager_payload(item) : event_json(item);
    return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace warden
