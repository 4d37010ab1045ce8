// The on-call page's slot bar: the 16,384 slots left to right, one colour per owner, the
// uncovered ones hatched, open ones marked above the bar; below it the same in words (owner,
// count, ranges), so nothing rests on colour alone. SVG attributes rather than inline style:
// the page's security policy allows no style attribute.
#include <fmt/format.h>

#include <array>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "controller/core/parse/cluster_nodes.hpp"
#include "controller/core/report/page.hpp"
#include "controller/core/report/page_detail.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden::page {
namespace {

using nlohmann::json;

constexpr int palette_size = 10;  // o0..o9 in page.css
// An open slot is one 16,384th of the bar; its marker is drawn this many slots wide.
constexpr int open_marker_width = 96;

// [first, last] of a node's slot_ranges entry, inside 0..16383.
std::optional<std::pair<int, int>> range_of(const json& range) {
    if (!range.is_array() || range.size() != 2 || !range[0].is_number_integer() ||
        !range[1].is_number_integer()) {
        return std::nullopt;
    }
    return std::pair{std::max(0, range[0].get<int>()),
                     std::min(slot_count - 1, range[1].get<int>())};
}

struct slot_owners {
    std::vector<const json*> owners;              // nodes serving slots, in order of first slot
    std::array<std::int32_t, slot_count> slot{};  // index into owners, -1 when uncovered
};

slot_owners owners_of(const json& cluster) {
    slot_owners out;
    out.slot.fill(-1);
    std::map<int, const json*> by_first_slot;
    for (const auto& node : array_at(cluster, "nodes")) {
        const auto& ranges = array_at(node, "slot_ranges");
        if (auto first = ranges.empty() ? std::nullopt : range_of(ranges[0])) {
            by_first_slot.emplace(first->first, &node);
        }
    }
    for (const auto& [first, node] : by_first_slot) {
        auto owner = static_cast<std::int32_t>(out.owners.size());
        out.owners.push_back(node);
        for (const auto& entry : array_at(*node, "slot_ranges")) {
            if (auto range = range_of(entry)) {
                for (int at = range->first; at <= range->second; ++at) out.slot[at] = owner;
            }
        }
    }
    return out;
}

std::string ranges_text(const json& node) {
    std::vector<int> slots;
    for (const auto& entry : array_at(node, "slot_ranges")) {
        if (auto range = range_of(entry)) {
            for (int at = range->first; at <= range->second; ++at) slots.push_back(at);
        }
    }
    return describe_slots(slots);
}

std::string render_bar(const slot_owners& owners, const json& open_slots) {
    std::string out =
        "<svg class=\"slotbar\" viewBox=\"0 0 16384 34\" preserveAspectRatio=\"none\" "
        "role=\"img\" aria-label=\"slots by owner, described below\">\n";
    for (int start = 0; start < slot_count;) {
        int end = start;
        while (end + 1 < slot_count && owners.slot[end + 1] == owners.slot[start]) ++end;
        auto owner = owners.slot[start];
        auto name =
            owner < 0 ? std::string("uncovered") : escaped(*owners.owners[owner], "address");
        out += fmt::format(
            "<rect x=\"{}\" y=\"10\" width=\"{}\" height=\"24\" class=\"{}\"><title>{}: {}-{}"
            "</title></rect>\n",
            start, end - start + 1,
            owner < 0 ? std::string("uncovered") : fmt::format("o{}", owner % palette_size), name,
            start, end);
        start = end + 1;
    }
    for (const auto& open : open_slots) {
        int slot = static_cast<int>(number_at(open, "slot"));
        out += fmt::format(
            "<rect x=\"{}\" y=\"0\" width=\"{}\" height=\"9\" class=\"open\"><title>slot {} {}"
            "</title></rect>\n",
            std::max(0, slot - open_marker_width / 2), open_marker_width, slot,
            escaped(open, "state"));
    }
    return out + "</svg>\n";
}

// The colour of a bar's class, beside the words that name it.
std::string swatch(const std::string& css_class) {
    return fmt::format(
        "<svg class=\"swatch\" viewBox=\"0 0 1 1\" aria-hidden=\"true\"><rect width=\"1\" "
        "height=\"1\" class=\"{}\"/></svg>",
        css_class);
}

std::string render_legend(const slot_owners& owners) {
    std::string out = "<ul class=\"legend\">\n";
    for (std::size_t at = 0; at < owners.owners.size(); ++at) {
        const auto& node = *owners.owners[at];
        out += fmt::format("<li>{} {} <span class=\"count\">{:.0f} slots ({})</span></li>\n",
                           swatch(fmt::format("o{}", at % palette_size)), escaped(node, "address"),
                           number_at(node, "slots"), html_escape(ranges_text(node)));
    }
    return out + "</ul>\n";
}

std::string address_of(const std::map<std::string, std::string>& addresses, const std::string& id) {
    auto found = addresses.find(id);
    return found != addresses.end() ? found->second : id.substr(0, 8);
}

std::string render_notes(const slot_owners& owners, const json& cluster) {
    std::vector<int> uncovered;
    for (int at = 0; at < slot_count; ++at) {
        if (owners.slot[at] < 0) uncovered.push_back(at);
    }
    std::string out =
        uncovered.empty()
            ? fmt::format("<p class=\"slot-note\">All {} slots covered.</p>\n", slot_count)
            : fmt::format(
                  "<p class=\"slot-note uncovered-note\"><span class=\"shape\" "
                  "aria-hidden=\"true\">✕</span> {} <b>{} slots uncovered</b>: {}</p>\n",
                  swatch("uncovered"), uncovered.size(), html_escape(describe_slots(uncovered)));
    std::map<std::string, std::string> addresses;
    for (const auto& node : array_at(cluster, "nodes"))
        addresses[text_at(node, "id")] = text_at(node, "address");
    for (const auto& open : array_at(cluster, "open_slots")) {
        bool migrating = text_at(open, "state") == "migrating";
        auto node = address_of(addresses, text_at(open, "node"));
        auto peer = address_of(addresses, text_at(open, "peer"));
        out += fmt::format(
            "<p class=\"slot-note open-note\"><span class=\"shape\" aria-hidden=\"true\">▲</span> "
            "<b>slot {:.0f} open</b>: {} on {} ({} {})</p>\n",
            number_at(open, "slot"), escaped(open, "state"), html_escape(node),
            migrating ? "to" : "from", html_escape(peer));
    }
    return out;
}

}  // namespace

std::string render_slot_bar(const json& cluster) {
    auto owners = owners_of(cluster);
    return "<h3>Slots</h3>\n<div class=\"slots\">\n" +
           render_bar(owners, array_at(cluster, "open_slots")) + render_legend(owners) +
           render_notes(owners, cluster) + "</div>\n";
}

}  // namespace warden::page
