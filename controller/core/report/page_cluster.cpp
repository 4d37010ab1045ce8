// One cluster's section of the on-call page: its status and quorum, the poll's age, a
// maintenance window, the map, the slots, the findings and what heal plans or did.
#include <fmt/format.h>

#include <algorithm>

#include "controller/core/coordination/leadership.hpp"
#include "controller/core/coordination/maintenance.hpp"
#include "controller/core/report/page.hpp"
#include "controller/core/report/page_detail.hpp"
#include "controller/core/utc_time.hpp"

namespace warden::page {
namespace {

using nlohmann::json;

// A poll older than this many intervals is stale (the daemon's /healthz uses the same 3).
constexpr double stale_after_intervals = 3;

std::string format_age(double seconds) {
    if (seconds < 10) return fmt::format("{:.1f} s", seconds);
    if (seconds < 120) return fmt::format("{:.0f} s", seconds);
    if (seconds < 7200) return fmt::format("{:.0f} min", seconds / 60);
    return fmt::format("{:.1f} h", seconds / 3600);
}

std::string render_quorum(const json& cluster) {
    const auto& quorum = object_at(cluster, "quorum");
    auto margin = number_at(quorum, "margin");
    auto level = margin < 0 ? "critical" : margin == 0 ? "warning" : "ok";
    auto words = margin < 0 ? " QUORUM LOST" : margin == 0 ? " AT RISK" : "";
    return fmt::format(
        "<span class=\"quorum q-{}\">quorum margin <b>{:.0f}</b>{} ({:.0f} of {:.0f} voting "
        "masters healthy, {:.0f} needed)</span>",
        level, margin, words, number_at(quorum, "healthy_voting_masters"),
        number_at(quorum, "voting_masters"), number_at(quorum, "needed"));
}

std::string render_poll_age(const json& cluster) {
    if (number_at(cluster, "poll_age_seconds", -1) < 0) {
        return "<span class=\"age stale\">no completed poll yet</span>";
    }
    double age = number_at(cluster, "poll_age_seconds");
    double interval = number_at(cluster, "poll_interval_seconds");
    bool stale = interval > 0 && age > stale_after_intervals * interval;
    return fmt::format("<span class=\"age{}\">{}last poll {} ago (<time>{}</time>)</span>",
                       stale ? " stale" : "", stale ? "<b>STALE:</b> " : "", format_age(age),
                       html_escape(utc_text(number_at(cluster, "last_poll_timestamp"))));
}

std::string render_summary(const json& cluster) {
    const auto& nodes = array_at(cluster, "nodes");
    auto unreachable = std::count_if(nodes.begin(), nodes.end(), [](const json& node) {
        return !bool_at(node, "reachable", true);
    });
    auto count = unreachable > 0
                     ? fmt::format("{} nodes, <b>{} unreachable</b>", nodes.size(), unreachable)
                     : fmt::format("{} nodes", nodes.size());
    return fmt::format("<p class=\"summary\">{} · <span>{}</span> · {}</p>\n",
                       render_quorum(cluster), count, render_poll_age(cluster));
}

std::string render_maintenance(const json& cluster) {
    const auto& found = object_at(cluster, "maintenance");
    if (found.empty()) return {};
    auto marker = parse_marker(found.dump());
    auto described = marker ? describe_marker(*marker) : std::string("a marker warden cannot read");
    return fmt::format(
        "<p class=\"maintenance\" role=\"note\"><span class=\"shape\" aria-hidden=\"true\">⚒"
        "</span> <b>MAINTENANCE</b>: {}. Warden does not heal this cluster meanwhile and its "
        "alerts stay quiet.</p>\n",
        html_escape(described));
}

struct listed_finding {
    const json* item;
    const char* source;  // "" for the health check's own findings
};

std::vector<listed_finding> all_findings(const json& cluster) {
    std::vector<listed_finding> out;
    for (const auto& item : array_at(cluster, "findings")) out.push_back({&item, ""});
    for (const auto& item : array_at(object_at(cluster, "audit"), "findings"))
        out.push_back({&item, "security audit"});
    for (const auto& item : array_at(object_at(cluster, "coordination"), "findings"))
        out.push_back({&item, "coordination"});
    std::stable_sort(out.begin(), out.end(), [](const listed_finding& a, const listed_finding& b) {
        return severity_of(text_at(*a.item, "severity")) >
               severity_of(text_at(*b.item, "severity"));
    });
    return out;
}

std::string render_findings(const json& cluster) {
    auto listed = all_findings(cluster);
    std::string out =
        fmt::format("<h3>Findings <span class=\"count\">({})</span></h3>\n", listed.size());
    if (listed.empty()) return out + "<p class=\"none\">No active findings.</p>\n";
    out += "<ul class=\"findings\">\n";
    for (const auto& [item, source] : listed) {
        auto level = to_string(severity_of(text_at(*item, "severity")));
        out += fmt::format("<li class=\"finding sev-{}\" data-code=\"{}\">{} <code>{}</code> {}",
                           level, escaped(*item, "code"), status_badge(level),
                           escaped(*item, "code"), escaped(*item, "message"));
        if (*source) out += fmt::format(" <span class=\"source\">({})</span>", source);
        auto remediation = text_at(*item, "remediation");
        if (!remediation.empty()) {
            out += fmt::format("<div class=\"fix\"><b>Fix:</b> {}</div>", html_escape(remediation));
        }
        out += "</li>\n";
    }
    return out + "</ul>\n";
}

std::string render_heal(const json& cluster) {
    std::string items;
    const auto& heal = object_at(cluster, "heal");
    for (const auto& planned : array_at(heal, "planned")) {
        if (planned.is_string()) {
            items += fmt::format("<li><b>planned:</b> {}</li>\n",
                                 html_escape(planned.get<std::string>()));
        }
    }
    for (const auto& unmet : array_at(heal, "unmet")) {
        if (unmet.is_string()) {
            items += fmt::format("<li class=\"unmet\"><b>cannot heal:</b> {}</li>\n",
                                 html_escape(unmet.get<std::string>()));
        }
    }
    const auto& coordination = object_at(cluster, "coordination");
    if (const auto& last = object_at(coordination, "last_action"); !last.empty()) {
        if (auto record = parse_record(last.dump())) {
            items += fmt::format("<li><b>last action:</b> {}</li>\n",
                                 html_escape(describe_record(*record)));
        }
    }
    std::string out = "<h3>Heal</h3>\n";
    if (items.empty()) return out + "<p class=\"none\">Nothing planned.</p>\n";
    return out + "<ul class=\"heal\">\n" + items + "</ul>\n";
}

}  // namespace

std::string render_cluster(const json& cluster) {
    auto level = to_string(severity_of(text_at(cluster, "status")));
    std::string out = fmt::format(
        "<section class=\"cluster st-{}\" data-cluster=\"{}\" data-status=\"{}\">\n"
        "<h2>{} <span class=\"name\">{}</span></h2>\n",
        level, escaped(cluster, "cluster"), level, status_badge(level),
        escaped(cluster, "cluster"));
    out += render_maintenance(cluster);
    if (!cluster.is_object() || !cluster.contains("nodes")) {
        return out +
               fmt::format("<p class=\"summary\">{}</p>\n</section>\n", render_poll_age(cluster));
    }
    out += render_summary(cluster);
    out += render_domain_map(cluster);
    out += render_slot_bar(cluster);
    out += render_findings(cluster);
    out += render_heal(cluster);
    return out + "</section>\n";
}

}  // namespace warden::page
