#include "controller/core/utc_time.hpp"

#include <fmt/format.h>

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

std::string utc_text_ms(double unix_seconds) {
    auto millis = static_cast<long long>(std::floor(unix_seconds * 1000.0));
    auto whole = static_cast<std::time_t>(millis >= 0 ? millis / 1000 : (millis - 999) / 1000);
    auto fraction = millis - static_cast<long long>(whole) * 1000;
    std::tm parts{};
    gmtime_r(&whole, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    return fmt::format("{}.{:03}Z", text, fraction);
}

}  // namespace warden
