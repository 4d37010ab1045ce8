#include "controller/core/events/warden_events.hpp"

#include <fmt/format.h>

namespace warden {
namespace {

event_severity event_level(severity level) {
    switch (level) {
        case severity::critical:
        case severity::unknown:
            return event_severity::critical;
        case severity::warning:
            return event_severity::warning;
        case severity::ok:
            break;
    }
    return event_severity::info;
}

}  // namespace

std::vector<event> finding_events(const std::string& cluster,
                                  const std::vector<finding_event>& changes, double now) {
    std::vector<event> out;
    for (const auto& change : changes) {
        const auto& subject = change.subject;
        bool cleared = change.what == finding_event::kind::cleared;
        auto item =
            make_event(cluster, cleared ? event_type::finding_cleared : event_type::finding_raised,
                       cleared ? event_severity::info : event_level(subject.level), now);
        item.nodes = subject.nodes;
        item.details = {{"code", subject.code}, {"finding_severity", to_string(subject.level)}};
        if (cleared) {
            auto seconds = static_cast<double>(change.lasted.count()) / 1000.0;
            item.message = fmt::format("{} cleared after {:.1f} s: {}", subject.code, seconds,
                                       subject.message);
            item.details["lasted_seconds"] = seconds;
        } else {
            bool changed = change.what == finding_event::kind::changed_severity;
            item.message = fmt::format("{} {}: {}", subject.code,
                                       changed ? "changed severity" : "raised", subject.message);
            item.details["changed_severity"] = changed;
        }
        out.push_back(std::move(item));
    }
    return out;
}

event action_event(const std::string& cluster, const heal_action& action,
                   const std::string& outcome, const std::string& detail, double now) {
    auto item =
        make_event(cluster, event_type::action,
                   outcome == "success" ? event_severity::info : event_severity::warning, now);
    for (const auto& id : {action.node_id, action.master_id}) {
        if (!id.empty()) item.nodes.push_back(id);
    }
    item.message = fmt::format("{} {} -> {}: {}{}", to_string(action.kind), action.node_address,
                               action.master_address, outcome,
                               detail.empty() ? "" : fmt::format(" ({})", detail));
    item.details = {{"action", to_string(action.kind)},
                    {"outcome", outcome},
                    {"node", {{"id", action.node_id}, {"address", action.node_address}}},
                    {"master", {{"id", action.master_id}, {"address", action.master_address}}},
                    {"goal", to_string(action.goal)},
                    {"detail", detail}};
    return item;
}

event leadership_event(const std::string& cluster, bool gained, const std::string& holder,
                       double now) {
    auto item = make_event(cluster, event_type::leadership,
                           gained ? event_severity::info : event_severity::warning, now);
    item.message = gained ? std::string("this instance now holds the cluster's lease and acts")
                          : fmt::format("this instance lost the cluster's lease (leader: {})",
                                        holder.empty() ? "none now" : holder);
    item.details = {{"state", gained ? "gained" : "lost"}, {"holder", holder}};
    return item;
}

event maintenance_event(const std::string& cluster, bool on, const std::string& description,
                        double now) {
    auto item = make_event(cluster, event_type::maintenance, event_severity::info, now);
    item.message = on ? fmt::format("maintenance on: {}", description)
                      : fmt::format("maintenance over (was: {})", description);
    item.details = {{"state", on ? "on" : "off"}, {"marker", description}};
    return item;
}

}  // namespace warden
