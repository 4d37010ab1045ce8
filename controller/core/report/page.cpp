#include "controller/core/report/page.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "controller/core/audit/sha256.hpp"
#include "controller/core/coordination/base64.hpp"
#include "controller/core/health/findings.hpp"
#include "controller/core/report/page_assets.hpp"
#include "controller/core/report/page_detail.hpp"

namespace warden {
namespace {

using nlohmann::json;

// The page refreshes twice per poll interval, so it shows a poll at most half an interval
// after the daemon finished it; never more often than four times a second.
constexpr double fastest_refresh_ms = 250;
constexpr double refresh_without_clusters_ms = 1000;

int refresh_ms(const json& status) {
    double shortest = 0;
    for (const auto& cluster : page::array_at(status, "clusters")) {
        double interval = page::number_at(cluster, "poll_interval_seconds") * 1000;
        if (interval > 0 && (shortest == 0 || interval < shortest)) shortest = interval;
    }
    if (shortest == 0) return static_cast<int>(refresh_without_clusters_ms);
    return static_cast<int>(std::max(shortest / 2, fastest_refresh_ms));
}

// The worst status of all clusters, for the title: a tab in the background says it.
std::string page_title(const json& status) {
    auto worst = severity::ok;
    for (const auto& cluster : page::array_at(status, "clusters")) {
        worst = std::max(worst, page::severity_of(page::text_at(cluster, "status")));
    }
    return fmt::format("{} · redis-warden", severity_word(worst));
}

// 'sha256-<base64 of the digest>' as CSP names an inline element's exact text.
std::string csp_hash(std::string_view text) {
    return fmt::format("'sha256-{}'", base64_encode(sha256_digest(text)));
}

constexpr std::string_view events_section =
    "<section id=\"events\" class=\"events\" aria-live=\"polite\">\n"
    "<h2>Latest events</h2>\n"
    "<p id=\"events-note\" class=\"note\">Events and heal actions are read from "
    "<a href=\"/events\">/events</a> while JavaScript runs.</p>\n"
    "<ol id=\"event-list\" class=\"event-list\"></ol>\n"
    "</section>\n";

constexpr std::string_view footer =
    "<footer>Read-only. The same data: <a href=\"/status\">/status</a> · "
    "<a href=\"/metrics\">/metrics</a> · <a href=\"/healthz\">/healthz</a></footer>\n";

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string render_page_clusters(const json& status) {
    std::string out =
        fmt::format("<main id=\"clusters\" data-refresh-ms=\"{}\" data-title=\"{}\">\n",
                    refresh_ms(status), html_escape(page_title(status)));
    const auto& clusters = page::array_at(status, "clusters");
    if (clusters.empty()) out += "<p class=\"note\">No clusters are configured.</p>\n";
    for (const auto& cluster : clusters) out += page::render_cluster(cluster);
    return out + "</main>\n";
}

std::string render_page(const json& status) {
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<link rel=\"icon\" href=\"data:,\">\n";
    out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
                       html_escape(page_title(status)), page_assets::style);
    out += fmt::format(
        "<header class=\"top\"><h1>redis-warden</h1> <span class=\"version\">{}</span> "
        "<span id=\"updated\" class=\"updated\" role=\"status\">The last poll as the daemon "
        "rendered it; reload for newer data (live updates need JavaScript).</span></header>\n",
        page::escaped(status, "version"));
    out += render_page_clusters(status);
    out += events_section;
    out += footer;
    out += fmt::format("<script>{}</script>\n</body>\n</html>\n", page_assets::script);
    return out;
}

std::string page_security_policy() {
    return fmt::format(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        csp_hash(page_assets::script), csp_hash(page_assets::style));
}

namespace page {

std::string text_at(const json& object, const char* key) {
    if (!object.is_object()) return {};
    auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

bool bool_at(const json& object, const char* key, bool fallback) {
    if (!object.is_object()) return fallback;
    auto found = object.find(key);
    return found != object.end() && found->is_boolean() ? found->get<bool>() : fallback;
}

double number_at(const json& object, const char* key, double fallback) {
    if (!object.is_object()) return fallback;
    auto found = object.find(key);
    return found != object.end() && found->is_number() ? found->get<double>() : fallback;
}

const json& array_at(const json& object, const char* key) {
    static const json empty = json::array();
    if (!object.is_object()) return empty;
    auto found = object.find(key);
    return found != object.end() && found->is_array() ? *found : empty;
}

const json& object_at(const json& object, const char* key) {
    static const json empty = json::object();
    if (!object.is_object()) return empty;
    auto found = object.find(key);
    return found != object.end() && found->is_object() ? *found : empty;
}

std::string escaped(const json& object, const char* key) {
    return html_escape(text_at(object, key));
}

severity severity_of(std::string_view status) {
    for (auto level : {severity::ok, severity::warning, severity::critical}) {
        if (status == to_string(level)) return level;
    }
    return severity::unknown;
}

std::string status_badge(std::string_view status) {
    auto level = severity_of(status);
    static constexpr const char* shapes[] = {"✓", "!", "✕", "?"};
    return fmt::format(
        "<span class=\"badge st-{}\"><span class=\"shape\" aria-hidden=\"true\">{}</span> "
        "{}</span>",
        to_string(level), shapes[static_cast<int>(level)], severity_word(level));
}

}  // namespace page
}  // namespace warden
