#include "controller/core/coordination/maintenance.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "controller/core/utc_time.hpp"

namespace warden {

std::string maintenance_key(std::string_view prefix, std::string_view cluster) {
    return fmt::format("{}{}/maintenance", prefix, cluster);
}

std::string cluster_file_name(std::string_view prefix, std::string_view cluster) {
    std::string out(prefix);
    for (char c : cluster) {
        auto byte = static_cast<unsigned char>(c);
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '.' || c == '_' || c == '-';
        // A leading dot would hide the file and ".." would not be a name: encode those too.
        if (plain && !(c == '.' && out.size() == prefix.size())) {
            out.push_back(c);
        } else {
            out += fmt::format("%{:02X}", byte);
        }
    }
    return out + ".json";
}

std::string maintenance_file_name(std::string_view cluster) {
    return cluster_file_name("maintenance-", cluster);
}

std::string marker_json(const maintenance_marker& marker) {
    nlohmann::json document = {{"operation", marker.operation},
                               {"reason", marker.reason},
                               {"holder", marker.holder},
                               {"since", marker.since},
                               {"until", marker.until}};
    return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

result<maintenance_marker> parse_marker(std::string_view text) {
    auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return error{"maintenance marker: not a JSON object"};
    }
    maintenance_marker marker;
    auto text_field = [&](const char* name, std::string& into) -> bool {
        auto found = document.find(name);
        if (found == document.end()) return true;
        if (!found->is_string()) return false;
        into = found->get<std::string>();
        return true;
    };
    auto number_field = [&](const char* name, double& into) -> bool {
        auto found = document.find(name);
        if (found == document.end() || !found->is_number()) return false;
        into = found->get<double>();
        return true;
    };
    if (!text_field("operation", marker.operation) || !text_field("reason", marker.reason) ||
        !text_field("holder", marker.holder)) {
        return error{"maintenance marker: operation, reason and holder must be strings"};
    }
    if (!number_field("until", marker.until) || marker.until < 0) {
        return error{"maintenance marker: no expiry ('until', unix seconds)"};
    }
    (void)number_field("since", marker.since);
    return marker;
}

bool marker_active(const std::optional<maintenance_marker>& marker, double now_unix) {
    return marker && (marker->until == 0 || marker->until > now_unix);
}

std::string describe_marker(const maintenance_marker& marker) {
    auto who = marker.holder.empty() ? std::string() : " by " + marker.holder;
    auto why = marker.reason.empty() ? std::string() : ": " + marker.reason;
    auto until = marker.until == 0 ? std::string("while its command runs")
                                   : "until " + utc_text(marker.until);
    return fmt::format("{}{}{}, {}", marker.operation, who, why, until);
}

std::string maintenance_conflict(const std::optional<maintenance_marker>& present,
                                 double now_unix) {
    if (!marker_active(present, now_unix) || present->operation == "manual") return {};
    return fmt::format(
        "another planned operation holds the cluster's maintenance marker ({}); wait for it "
        "to finish, or clear a stale one with `redis-warden maintenance off`",
        describe_marker(*present));
}

}  // namespace warden
