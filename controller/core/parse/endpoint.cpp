#include "controller/core/parse/endpoint.hpp"

#include <fmt/format.h>

#include "controller/core/parse/text_fields.hpp"

namespace warden {
namespace {

error invalid(std::string_view text, std::string_view why) {
    return error{fmt::format("invalid address '{}': {}", text, why)};
}

bool has_space(std::string_view text) {
    return text.find_first_of(" \t\r\n") != std::string_view::npos;
}

result<endpoint> make(std::string_view text, std::string_view host, std::string_view port) {
    if (host.empty()) return invalid(text, "empty host");
    if (port.empty()) return invalid(text, "missing port");
    auto number = parse_integer<int>(port);
    if (!number) return invalid(text, fmt::format("port '{}' is not a number", port));
    if (*number < 1 || *number > 65535) {
        return invalid(text, fmt::format("port {} is outside 1-65535", *number));
    }
    return endpoint{std::string(host), static_cast<std::uint16_t>(*number)};
}

// "[v6]:port"
result<endpoint> parse_bracketed(std::string_view text) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return invalid(text, "missing ']'");
    auto rest = text.substr(close + 1);
    if (rest.empty()) return invalid(text, "missing port");
    if (rest.front() != ':') return invalid(text, "expected ':' after ']'");
    return make(text, text.substr(1, close - 1), rest.substr(1));
}

}  // namespace

result<endpoint> parse_endpoint(std::string_view text) {
    if (text.empty()) return invalid(text, "empty");
    if (has_space(text)) return invalid(text, "contains whitespace");
    if (text.front() == '[') return parse_bracketed(text);
    // The last ':' separates the port, also for bare IPv6 ("::1:7000" -> "::1", 7000).
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid(text, "missing port");
    return make(text, text.substr(0, colon), text.substr(colon + 1));
}

result<http_url> parse_http_url(std::string_view url) {
    constexpr std::string_view http = "http://";
    constexpr std::string_view https = "https://";
    http_url parsed;
    parsed.tls = url.starts_with(https);
    if (!parsed.tls && !url.starts_with(http)) {
        return error{fmt::format("'{}': expected http://HOST:PORT[/PATH] or https://...", url)};
    }
    auto rest = url.substr(parsed.tls ? https.size() : http.size());
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) parsed.path = std::string(rest.substr(slash));
    if (authority.find('@') != std::string_view::npos) {
        return error{fmt::format("'{}': credentials do not go in the URL", url)};
    }
    auto where = parse_endpoint(authority);
    if (!where) return error{fmt::format("'{}': {}", url, where.failure().message)};
    parsed.where = *where;
    return parsed;
}

}  // namespace warden
