// Active findings pushed as alerts to Alertmanager's API v2 (POST /api/v2/alerts), for sites
// that page from Alertmanager without warden's Prometheus rules (issue 19). Pure: the sink
// (controller/daemon) feeds it the finding events and asks for the body to send.
//
// Each active finding is one alert: labels alertname ("RedisWarden_<code>"), cluster,
// severity, code, nodes; annotation summary (the message); startsAt when it was raised;
// endsAt now + 4 x resend_interval, so Alertmanager resolves it by itself if warden stops
// sending (as Prometheus does). A cleared finding is sent once more with endsAt now.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controller/core/events/event.hpp"

namespace warden {

class alert_push_state {
  public:
    // finding_raised / finding_cleared of one cluster; other events change nothing.
    // True when what Alertmanager should know changed (push now rather than at the resend).
    bool apply(const event& item);
    // The JSON array for POST /api/v2/alerts (empty array when nothing is active or ending);
    // the cleared ones leave the state once included.
    std::string take_body(double now, double resend_seconds);
    bool empty() const { return firing_.empty() && ending_.empty(); }

  private:
    struct alert {
        nlohmann::json labels;
        std::string summary;
        double starts_at = 0;
        double ends_at = 0;  // for ending_: when it cleared
    };
    std::map<std::string, alert> firing_;  // by code + nodes
    std::vector<alert> ending_;
};

}  // namespace warden
