#include "controller/core/events/alert_push.hpp"

#include <fmt/format.h>

#include "controller/core/utc_time.hpp"

namespace warden {
namespace {

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
    return text;
}

}  // namespace

bool alert_push_state::apply(const event& item) {
    bool raised = item.type == event_type::finding_raised;
    if (!raised && item.type != event_type::finding_cleared) return false;
    auto code = item.details.value("code", std::string());
    auto key = code + " " + joined(item.nodes);
    auto found = firing_.find(key);
    if (found != firing_.end()) {
        // Cleared, or raised again with another severity: the old label set ends now.
        auto ended = found->second;
        ended.ends_at = item.time;
        ending_.push_back(std::move(ended));
        firing_.erase(found);
    }
    if (!raised) return true;
    alert current;
    current.labels = {{"alertname", fmt::format("RedisWarden_{}", code)},
                      {"cluster", item.cluster},
                      {"severity", item.details.value("finding_severity", "warning")},
                      {"code", code},
                      {"nodes", joined(item.nodes)}};
    current.summary = item.message;
    current.starts_at = item.time;
    firing_[key] = std::move(current);
    return true;
}

std::string alert_push_state::take_body(double now, double resend_seconds) {
    nlohmann::json alerts = nlohmann::json::array();
    auto add = [&](const alert& item, double ends_at) {
        alerts.push_back({{"labels", item.labels},
                          {"annotations", {{"summary", item.summary}}},
                          {"startsAt", utc_text_ms(item.starts_at)},
                          {"endsAt", utc_text_ms(ends_at)}});
    };
    for (const auto& [key, item] : firing_) add(item, now + 4 * resend_seconds);
    for (const auto& item : ending_) add(item, item.ends_at);
    ending_.clear();
    return alerts.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace warden
