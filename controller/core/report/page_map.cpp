// The on-call page's map: one column per failure domain (host or zone), each master there
// with its slot count and its replicas (wherever they live: link state and lag), then the
// replicas that live in the column. Every trouble is a shape and a word, not only a colour.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "controller/core/health/finding_codes.hpp"
#include "controller/core/report/page.hpp"
#include "controller/core/report/page_detail.hpp"

namespace warden::page {
namespace {

using nlohmann::json;

struct node_index {
    std::map<std::string, const json*> by_id;
    std::set<std::string> orphaned;  // masters an orphaned_master finding names
};

node_index index_nodes(const json& cluster) {
    node_index index;
    for (const auto& node : array_at(cluster, "nodes")) {
        auto id = text_at(node, "id");
        if (!id.empty()) index.by_id.emplace(id, &node);
    }
    for (const auto& item : array_at(cluster, "findings")) {
        if (text_at(item, "code") != finding_code::orphaned_master) continue;
        for (const auto& id : array_at(item, "nodes")) {
            if (id.is_string()) index.orphaned.insert(id.get<std::string>());
        }
    }
    return index;
}

struct node_mark {
    const char* state;  // data-state word and CSS class
    const char* shape;
    std::string words;  // escaped
};

bool has_flag(const json& node, std::string_view flag) {
    const auto& flags = array_at(node, "flags");
    return std::any_of(flags.begin(), flags.end(),
                       [flag](const json& item) { return item.is_string() && item == flag; });
}

std::vector<node_mark> marks_of(const json& node, const node_index& index) {
    std::vector<node_mark> marks;
    if (!bool_at(node, "reachable", true)) {
        auto why = text_at(node, "error");
        marks.push_back(
            {"unreachable", "✕", "UNREACHABLE" + (why.empty() ? "" : ": " + html_escape(why))});
    }
    if (has_flag(node, "fail") || has_flag(node, "fail?")) {
        marks.push_back({"failing", "◆",
                         has_flag(node, "fail") ? "FAILED (flagged fail by the cluster)"
                                                : "FAILING (flagged fail? by some nodes)"});
    }
    if (index.orphaned.count(text_at(node, "id")) > 0) {
        marks.push_back({"orphaned", "▲", "ORPHANED: no healthy replica"});
    }
    if (text_at(node, "master_link_status") == "down") {
        auto down = number_at(node, "link_down_seconds", -1);
        marks.push_back({"link-down", "▼",
                         down >= 0 ? fmt::format("LINK DOWN for {:.0f} s", down) : "LINK DOWN"});
    }
    return marks;
}

const char* first_state(const std::vector<node_mark>& marks) {
    return marks.empty() ? "ok" : marks.front().state;
}

// data-node-id, data-address and data-state: what a test or a user script reads.
std::string node_attributes(const json& node, const std::vector<node_mark>& marks,
                            std::string_view kind) {
    std::string states;
    for (const auto& mark : marks) states += (states.empty() ? "" : " ") + std::string(mark.state);
    return fmt::format(
        "class=\"{} state-{}\" data-node-id=\"{}\" data-address=\"{}\" data-state=\"{}\"", kind,
        first_state(marks), escaped(node, "id"), escaped(node, "address"),
        states.empty() ? "ok" : states);
}

std::string shape_of(const std::vector<node_mark>& marks) {
    return fmt::format("<span class=\"shape\" aria-hidden=\"true\">{}</span>",
                       marks.empty() ? "●" : marks.front().shape);
}

std::string mark_words(const std::vector<node_mark>& marks) {
    std::string out;
    for (const auto& mark : marks) {
        out += fmt::format(" <span class=\"mark m-{}\">{}</span>", mark.state, mark.words);
    }
    return out;
}

std::string format_bytes(double bytes) {
    if (bytes < 1024) return fmt::format("{:.0f} B", bytes);
    if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024);
    return fmt::format("{:.1f} MiB", bytes / (1024 * 1024));
}

std::string link_words(const json& replica) {
    if (!bool_at(replica, "reachable", true)) return "";  // its mark says why
    auto link = text_at(replica, "master_link_status");
    if (link.empty()) return "link not read";
    auto lag = number_at(replica, "replication_lag_bytes", -1);
    if (link != "up" || lag < 0) return "link " + html_escape(link);
    return fmt::format("link up · lag {}", format_bytes(lag));
}

std::string render_replica(const json& replica, const node_index& index) {
    auto marks = marks_of(replica, index);
    return fmt::format(
        "<li {}>{} <span class=\"addr\">{}</span> <span class=\"dom\">on {}</span> "
        "<span class=\"link\">{}</span>{}</li>\n",
        node_attributes(replica, marks, "replica"), shape_of(marks), escaped(replica, "address"),
        escaped(replica, "failure_domain"), link_words(replica), mark_words(marks));
}

// A card's opening: its head (shape, address, `extra`) and the words of its marks.
std::string card_head(const json& node, const std::vector<node_mark>& marks, const char* kind,
                      const std::string& extra) {
    std::string out = fmt::format(
        "<article {}>\n<div class=\"node-head\">{} <span class=\"addr\">{}</span> {}</div>\n",
        node_attributes(node, marks, kind), shape_of(marks), escaped(node, "address"), extra);
    if (!marks.empty()) out += fmt::format("<div class=\"marks\">{}</div>\n", mark_words(marks));
    return out;
}

std::string render_master(const json& master, const node_index& index) {
    auto out = card_head(master, marks_of(master, index), "node master",
                         fmt::format("<span class=\"role\">master</span> <span "
                                     "class=\"slots\">{:.0f} slots</span>",
                                     number_at(master, "slots")));
    std::string replicas;
    for (const auto& id : array_at(master, "replicas")) {
        if (!id.is_string()) continue;
        auto found = index.by_id.find(id.get<std::string>());
        if (found != index.by_id.end()) replicas += render_replica(*found->second, index);
    }
    out += replicas.empty() ? "<p class=\"none\">no replicas</p>\n"
                            : "<ul class=\"replicas\">\n" + replicas + "</ul>\n";
    return out + "</article>\n";
}

// A node the map cannot place under a master: unknown role (an unreachable seed no view
// names), or a replica of a master no view lists.
std::string render_other(const json& node, const node_index& index) {
    return card_head(node, marks_of(node, index), "node other",
                     fmt::format("<span class=\"role\">{}</span>", escaped(node, "role"))) +
           "</article>\n";
}

bool placed_under_master(const json& node, const node_index& index) {
    if (text_at(node, "role") != "replica") return false;
    auto master = index.by_id.find(text_at(node, "master_id"));
    return master != index.by_id.end() && text_at(*master->second, "role") == "master";
}

std::string render_domain(const std::string& domain, const json& cluster, const node_index& index) {
    std::string masters, lives_here, others;
    int master_count = 0;
    double slots = 0;
    for (const auto& node : array_at(cluster, "nodes")) {
        if (text_at(node, "failure_domain") != domain) continue;
        if (text_at(node, "role") == "master") {
            masters += render_master(node, index);
            ++master_count;
            slots += number_at(node, "slots");
        } else if (placed_under_master(node, index)) {
            auto marks = marks_of(node, index);
            const auto& master = *index.by_id.at(text_at(node, "master_id"));
            lives_here += fmt::format("<li class=\"state-{}\">{} {} of {}{}</li>\n",
                                      first_state(marks), shape_of(marks), escaped(node, "address"),
                                      escaped(master, "address"), mark_words(marks));
        } else {
            others += render_other(node, index);
        }
    }
    std::string out = fmt::format(
        "<div class=\"domain\">\n<h4>{} <span class=\"count\">{} master{}, {:.0f} slots</span>"
        "</h4>\n",
        html_escape(domain.empty() ? "(no domain)" : domain), master_count,
        master_count == 1 ? "" : "s", slots);
    out += masters + others;
    if (!lives_here.empty()) {
        out += "<p class=\"here-title\">Replicas here:</p>\n<ul class=\"here\">\n" + lives_here +
               "</ul>\n";
    }
    return out + "</div>\n";
}

}  // namespace

std::string render_domain_map(const json& cluster) {
    auto index = index_nodes(cluster);
    std::set<std::string> domains;
    for (const auto& node : array_at(cluster, "nodes"))
        domains.insert(text_at(node, "failure_domain"));
    std::string out = "<h3>Nodes by failure domain</h3>\n<div class=\"domains\">\n";
    for (const auto& domain : domains) out += render_domain(domain, cluster, index);
    return out + "</div>\n";
}

}  // namespace warden::page
