// What the notifier holds for each `notify:` entry: a sink that takes events without
// blocking and can be stopped (sink_queue: exec and webhook; alert_push_sink: alertmanager).
#pragma once

#include <chrono>

#include "config/settings.hpp"
#include "controller/core/events/event.hpp"

namespace warden::daemon {

class notify_sink {
  public:
    virtual ~notify_sink() = default;
    virtual const config::notify_sink_settings& settings() const = 0;
    virtual void submit(const event& item) = 0;  // never blocks on a delivery
    virtual void request_stop() = 0;
    virtual bool wait_stopped(std::chrono::steady_clock::time_point deadline) const = 0;
};

}  // namespace warden::daemon
