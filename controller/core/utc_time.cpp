#include "controller/core/utc_time.hpp"

#include <cmath>
#include <ctime>

namespace warden {

std::string utc_text(double unix_seconds) {
    auto whole = static_cast<std::time_t>(std::floor(unix_seconds));
    std::tm parts{};
    gmtime_r(&whole, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

}  // namespace warden
