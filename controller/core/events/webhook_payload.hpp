// What a webhook sink POSTs for an event (issue 19). Pure.
//
// format warden: the event JSON as GET /events lists it.
// format alertmanager: Alertmanager's webhook payload, version "4"
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config), so receivers
// and bridges written for Alertmanager take warden's events as they are: one alert per
// event, labels alertname ("RedisWarden_<type>"), cluster, severity, event_type (and code for
// finding events), annotations summary (the message) and description (the details JSON).
// finding_cleared and node_recovered are "resolved" (endsAt is the event's time), the rest
// "firing" (endsAt the zero time Alertmanager sends for an open alert).
#pragma once

#include <string>

#include "controller/core/events/event.hpp"

namespace warden {

enum class webhook_format { warden, alertmanager };
const char* to_string(webhook_format format);

std::string webhook_body(const event& item, webhook_format format);

}  // namespace warden
