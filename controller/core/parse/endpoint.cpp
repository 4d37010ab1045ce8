#include "controller/core/parse/endpoint.hpp"

#include <fmt/format.h>

#include "controller/core/parse/text_fields.hpp"

namespace warden {

result<endpoint> parse_endpoint(std::string_view text) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return error{fmt::format("'{}' is not HOST:PORT", text)};
    }
    auto port = parse_integer<int>(text.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535) {
        return error{fmt::format("'{}' has a bad port (1-65535)", text)};
    }
    auto host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') {
            return error{fmt::format("'{}' has an unclosed '[' around the IPv6 address", text)};
        }
        host = host.substr(1, host.size() - 2);
    }
    if (host.find_first_of(" \t/") != std::string_view::npos) {
        return error{fmt::format("'{}' is not HOST:PORT", text)};
    }
    return endpoint{std::string(host), *port};
}

}  // namespace warden
