// Events: what happened to a cluster, as values (issue 19). The core derives them from two
// consecutive polls and from what warden did (topology_diff.hpp, warden_events.hpp); the
// daemon numbers them, keeps the last N for GET /events, logs and counts them, and hands
// them to the notification sinks. Contract: README "Events", DESIGN.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/result.hpp"

namespace warden {

enum class event_type {
    failover,         // slots changed hands from a master to its replica (details.kind)
    node_failing,     // the cluster flags a node fail / fail? (by most views)
    node_recovered,   // a node it flagged is no longer flagged
    node_added,       // a node id no view listed at the last poll
    node_removed,     // a node id the last poll listed and no view lists now
    slots_moved,      // slots changed owner other than by failover, per source and target
    finding_raised,   // a finding appeared (or changed severity)
    finding_cleared,  // a finding is gone
    action,           // warden's own heal action ended (details.outcome)
    leadership,       // this instance gained or lost a cluster's lease
    maintenance,      // a maintenance marker was set or ended
};
const char* to_string(event_type type);
std::optional<event_type> event_type_named(std::string_view name);
const std::vector<event_type>& all_event_types();

enum class event_severity { info = 0, warning = 1, critical = 2 };
const char* to_string(event_severity level);
std::optional<event_severity> event_severity_named(std::string_view name);

struct event {
    std::uint64_t id = 0;  // assigned by the daemon's journal, increasing per process
    double time = 0;       // unix seconds (the caller's clock)
    std::string cluster;
    event_type type = event_type::finding_raised;
    event_severity level = event_severity::info;
    std::vector<std::string> nodes;  // node ids (address when warden knows no id)
    std::string message;             // one line for people
    nlohmann::json details = nlohmann::json::object();
    friend bool operator==(const event&, const event&) = default;
};

// An event of `type` for `cluster` at `now` (Unix seconds): nodes, message and details are
// the caller's to fill; the journal numbers it.
event make_event(const std::string& cluster, event_type type, event_severity level, double now);

// {"id","time" (ISO 8601 UTC with milliseconds),"cluster","type","severity","nodes",
//  "message","details"}
nlohmann::json event_json(const event& item);
// {"events":[...]}, in the given order.
std::string events_document(const std::vector<event>& items);
// One log line: "cluster=C event=T id=N severity=S nodes=a,b: message".
std::string event_log_line(const event& item);

// The query string of GET /events ("since=12", "", "since=12&x=y"): the id after which to
// list, 0 for all. A since that is not a whole non-negative number is a usage error.
result<std::uint64_t> events_since(std::string_view query);

}  // namespace warden
