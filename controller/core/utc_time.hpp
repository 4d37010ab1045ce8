// Unix seconds as people read them in logs and reports: "2026-11-25T11:28:00Z" (UTC).
#pragma once

#include <string>

namespace warden {

std::string utc_text(double unix_seconds);  // whole seconds, rounded down
// "2026-12-03T07:41:02.123Z": milliseconds, rounded down (events' time).
std::string utc_text_ms(double unix_seconds);

}  // namespace warden
