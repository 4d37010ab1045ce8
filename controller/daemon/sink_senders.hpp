// How each kind of sink delivers one event, once (sink_queue.hpp retries):
// exec: PROGRAM <event-type> <description> with WARDEN_EVENT, no shell
//   (executor::run_program; killed at `timeout` and at a stop);
// webhook: POST of webhook_body(event, format) to the URL, with the configured headers,
//   over TLS for https:// through the one TLS layer (probes/tls.hpp).
#pragma once

#include "config/settings.hpp"
#include "controller/daemon/sink_queue.hpp"

namespace warden::daemon {

// A webhook's TLS profile is built here, once; when it cannot be (an unreadable CA file),
// every delivery fails with that reason.
sink_sender make_sender(const config::notify_sink_settings& settings);

}  // namespace warden::daemon
