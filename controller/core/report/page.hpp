// The on-call page (GET / on the daemon's listener): every cluster's last poll at a glance,
// for a person at 3 a.m. A pure function of the /status document, so the page, the part of
// it that refreshes and /status never disagree. Every value taken from the document is
// HTML-escaped; the page's own style and script are constants built into the binary
// (report/page_assets/, embedded by CMake) and allowed by hash in its security policy.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace warden {

// Text as HTML character data or a quoted attribute value: & < > " ' escaped.
std::string html_escape(std::string_view text);

// The whole document: head, one section per cluster, the events section, the script.
std::string render_page(const nlohmann::json& status);
// The element the page's script fetches again (GET /?part=clusters) and swaps in: <main
// id="clusters"> with one <section> per cluster; it carries the refresh period and title.
std::string render_page_clusters(const nlohmann::json& status);
// The Content-Security-Policy to serve the page with: only its own inline style and script
// (by SHA-256), fetches to its own origin, nothing framed, posted or loaded from elsewhere.
std::string page_security_policy();

}  // namespace warden
