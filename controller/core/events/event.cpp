#include "controller/core/events/event.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <utility>

#include "controller/core/utc_time.hpp"

namespace warden {
namespace {

// One table for names both ways: config filters (notify[].events) and JSON use the same.
constexpr std::array<std::pair<event_type, const char*>, 11> type_names = {{
    {event_type::failover, "failover"},
    {event_type::node_failing, "node_failing"},
    {event_type::node_recovered, "node_recovered"},
    {event_type::node_added, "node_added"},
    {event_type::node_removed, "node_removed"},
    {event_type::slots_moved, "slots_moved"},
    {event_type::finding_raised, "finding_raised"},
    {event_type::finding_cleared, "finding_cleared"},
    {event_type::action, "action"},
    {event_type::leadership, "leadership"},
    {event_type::maintenance, "maintenance"},
}};

constexpr std::array<std::pair<event_severity, const char*>, 3> severity_names = {{
    {event_severity::info, "info"},
    {event_severity::warning, "warning"},
    {event_severity::critical, "critical"},
}};

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
    return text;
}

}  // namespace

event make_event(const std::string& cluster, event_type type, event_severity level, double now) {
    event item;
    item.cluster = cluster;
    item.type = type;
    item.level = level;
    item.time = now;
    return item;
}

const char* to_string(event_type type) {
    for (const auto& [value, name] : type_names) {
        if (value == type) return name;
    }
    return "unknown";
}

std::optional<event_type> event_type_named(std::string_view name) {
    for (const auto& [value, known] : type_names) {
        if (name == known) return value;
    }
    return std::nullopt;
}

const std::vector<event_type>& all_event_types() {
    static const std::vector<event_type> types = [] {
        std::vector<event_type> out;
        for (const auto& entry : type_names) out.push_back(entry.first);
        return out;
    }();
    return types;
}

const char* to_string(event_severity level) {
    for (const auto& [value, name] : severity_names) {
        if (value == level) return name;
    }
    return "info";
}

std::optional<event_severity> event_severity_named(std::string_view name) {
    for (const auto& [value, known] : severity_names) {
        if (name == known) return value;
    }
    return std::nullopt;
}

nlohmann::json event_json(const event& item) {
    return {{"id", item.id},
            {"time", utc_text_ms(item.time)},
            {"cluster", item.cluster},
            {"type", to_string(item.type)},
            {"severity", to_string(item.level)},
            {"nodes", item.nodes},
            {"message", item.message},
            {"details", item.details}};
}

std::string events_document(const std::vector<event>& items) {
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& item : items) listed.push_back(event_json(item));
    nlohmann::json document = {{"events", std::move(listed)}};
    return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string event_log_line(const event& item) {
    return fmt::format("cluster={} event={} id={} severity={} nodes={}: {}", item.cluster,
                       to_string(item.type), item.id, to_string(item.level), joined(item.nodes),
                       item.message);
}

result<std::uint64_t> events_since(std::string_view query) {
    std::uint64_t since = 0;
    while (!query.empty()) {
        auto end = query.find('&');
        auto pair = query.substr(0, end);
        query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
        if (pair.substr(0, pair.find('=')) != "since") continue;
        auto value = pair.find('=') == std::string_view::npos ? std::string_view{}
                                                              : pair.substr(pair.find('=') + 1);
        auto [stop, status] = std::from_chars(value.data(), value.data() + value.size(), since);
        if (value.empty() || status != std::errc{} || stop != value.data() + value.size()) {
            return error{fmt::format("since='{}' is not an event id (a whole number >= 0)", value),
                         error_kind::usage};
        }
    }
    return since;
}

}  // namespace warden
