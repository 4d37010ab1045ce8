#include "controller/core/parse/cluster_nodes.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>

#include "controller/core/parse/text_fields.hpp"

namespace warden {
namespace {

// Field positions in a CLUSTER NODES line.
enum field : std::size_t {
    field_id = 0,
    field_address = 1,
    field_flags = 2,
    field_master = 3,
    field_ping_sent = 4,
    field_pong_received = 5,
    field_config_epoch = 6,
    field_link_state = 7,
    field_first_slot = 8,
};

bool is_node_id(std::string_view text) {
    if (text.size() != 40) return false;
    for (char c : text) {
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex) return false;
    }
    return true;
}

std::optional<int> parse_slot_number(std::string_view text) {
    auto value = parse_integer<int>(text);
    if (!value || *value < 0 || *value >= slot_count) return std::nullopt;
    return value;
}

// "ip:port@cport[,hostname][,key=value...]"; 3.2 prints just "ip:port".
result<node_address> parse_address(std::string_view text) {
    node_address address;
    std::string_view endpoint = text;
    if (auto comma = text.find(','); comma != std::string_view::npos) {
        endpoint = text.substr(0, comma);
        auto extras = split(text.substr(comma + 1), ',');
        // The first extra is the hostname (possibly empty) unless it is already key=value.
        if (!extras.empty() && extras.front().find('=') == std::string_view::npos) {
            if (!extras.front().empty()) address.hostname = std::string(extras.front());
        }
    }
    if (auto at = endpoint.find('@'); at != std::string_view::npos) {
        auto bus = parse_integer<int>(endpoint.substr(at + 1));
        if (!bus || *bus < 0 || *bus > 65535) {
            return error{fmt::format("bad cluster bus port in address '{}'", text)};
        }
        address.bus_port = *bus;
        endpoint = endpoint.substr(0, at);
    }
    auto colon = endpoint.rfind(':');
    if (colon == std::string_view::npos) {
        return error{fmt::format("address '{}' has no ':port'", text)};
    }
    auto port = parse_integer<int>(endpoint.substr(colon + 1));
    if (!port || *port < 0 || *port > 65535) {
        return error{fmt::format("bad port in address '{}'", text)};
    }
    address.host = std::string(endpoint.substr(0, colon));
    address.port = *port;
    return address;
}

result<node_flags> parse_flags(std::string_view text) {
    node_flags flags;
    for (auto name : split(text, ',')) {
        if (name == "myself")
            flags.myself = true;
        else if (name == "master")
            flags.master = true;
        else if (name == "slave")
            flags.replica = true;
        else if (name == "fail?")
            flags.pfail = true;
        else if (name == "fail")
            flags.fail = true;
        else if (name == "handshake")
            flags.handshake = true;
        else if (name == "noaddr")
            flags.noaddr = true;
        else if (name == "nofailover")
            flags.nofailover = true;
        else if (name == "noflags")
            continue;
        else
            return error{fmt::format("unknown flag '{}'", name)};
    }
    return flags;
}

// "[5461->-<id>]" (migrating to id) or "[5461-<-<id>]" (importing from id).
result<open_slot> parse_open_slot(std::string_view text) {
    if (text.size() < 3 || text.back() != ']') {
        return error{fmt::format("bad open-slot entry '{}'", text)};
    }
    auto inner = text.substr(1, text.size() - 2);
    auto migrating = inner.find("->-");
    auto importing = inner.find("-<-");
    auto marker = migrating != std::string_view::npos ? migrating : importing;
    if (marker == std::string_view::npos) {
        return error{fmt::format("bad open-slot entry '{}'", text)};
    }
    auto slot = parse_slot_number(inner.substr(0, marker));
    auto peer = inner.substr(marker + 3);
    if (!slot || !is_node_id(peer)) return error{fmt::format("bad open-slot entry '{}'", text)};
    return open_slot{*slot,
                     migrating != std::string_view::npos ? open_slot_direction::migrating
                                                         : open_slot_direction::importing,
                     std::string(peer)};
}

result<slot_range> parse_slot_range(std::string_view text) {
    auto dash = text.find('-');
    auto first = parse_slot_number(text.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parse_slot_number(text.substr(dash + 1));
    if (!first || !last || *last < *first) {
        return error{fmt::format("bad slot range '{}'", text)};
    }
    return slot_range{*first, *last};
}

std::optional<error> parse_slots(const std::vector<std::string_view>& fields, node_line& node) {
    for (std::size_t i = field_first_slot; i < fields.size(); ++i) {
        auto entry = fields[i];
        if (entry.front() == '[') {
            auto open = parse_open_slot(entry);
            if (!open) return open.failure();
            node.open_slots.push_back(*open);
        } else {
            auto range = parse_slot_range(entry);
            if (!range) return range.failure();
            node.slots.push_back(*range);
        }
    }
    return std::nullopt;
}

std::optional<error> parse_numbers(const std::vector<std::string_view>& fields, node_line& node) {
    auto ping = parse_integer<std::int64_t>(fields[field_ping_sent]);
    auto pong = parse_integer<std::int64_t>(fields[field_pong_received]);
    auto epoch = parse_integer<std::uint64_t>(fields[field_config_epoch]);
    if (!ping) return error{fmt::format("bad ping-sent '{}'", fields[field_ping_sent])};
    if (!pong) return error{fmt::format("bad pong-recv '{}'", fields[field_pong_received])};
    if (!epoch) return error{fmt::format("bad config-epoch '{}'", fields[field_config_epoch])};
    node.ping_sent = *ping;
    node.pong_received = *pong;
    node.config_epoch = *epoch;
    return std::nullopt;
}

}  // namespace

std::string format_address(std::string_view host, int port) {
    if (host.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

std::vector<std::string> flag_names(const node_flags& flags) {
    std::vector<std::string> names;
    auto add = [&names](bool set, const char* name) {
        if (set) names.emplace_back(name);
    };
    add(flags.myself, "myself");
    add(flags.master, "master");
    add(flags.replica, "slave");
    add(flags.pfail, "fail?");
    add(flags.fail, "fail");
    add(flags.handshake, "handshake");
    add(flags.noaddr, "noaddr");
    add(flags.nofailover, "nofailover");
    return names;
}

std::vector<listed_node> list_cluster_nodes(std::string_view text) {
    std::vector<listed_node> listed;
    for (auto line : split(text, '\n')) {
        auto fields = split_spaces(line);
        if (fields.size() < field_first_slot) continue;
        auto address = parse_address(fields[field_address]);
        auto flags = parse_flags(fields[field_flags]);
        if (!address || !flags) continue;
        listed.push_back({std::move(address->host), address->port, *flags});
    }
    return listed;
}

const node_line* cluster_view::myself() const {
    for (const auto& node : nodes) {
        if (node.flags.myself) return &node;
    }
    return nullptr;
}

result<node_line> parse_cluster_nodes_line(std::string_view line) {
    auto fields = split_spaces(line);
    if (fields.size() < field_first_slot) {
        return error{fmt::format("expected at least 8 fields, found {}", fields.size())};
    }
    node_line node;
    if (!is_node_id(fields[field_id])) {
        return error{fmt::format("bad node id '{}' (want 40 hex characters)", fields[field_id])};
    }
    node.id = std::string(fields[field_id]);
    auto address = parse_address(fields[field_address]);
    if (!address) return address.failure();
    node.address = std::move(*address);
    auto flags = parse_flags(fields[field_flags]);
    if (!flags) return flags.failure();
    node.flags = *flags;
    auto master = fields[field_master];
    if (master != "-") {
        if (!is_node_id(master)) return error{fmt::format("bad master id '{}'", master)};
        node.master_id = std::string(master);
    }
    if (auto failure = parse_numbers(fields, node)) return *failure;
    auto link = fields[field_link_state];
    if (link != "connected" && link != "disconnected") {
        return error{fmt::format("bad link state '{}'", link)};
    }
    node.link_connected = link == "connected";
    if (auto failure = parse_slots(fields, node)) return *failure;
    return node;
}

result<cluster_view> parse_cluster_nodes(std::string_view text) {
    cluster_view view;
    view.nodes.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    int line_number = 0;
    for (auto line : split(text, '\n')) {
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(' ') == std::string_view::npos) continue;
        auto node = parse_cluster_nodes_line(line);
        if (!node) {
            return error{
                fmt::format("CLUSTER NODES line {}: {}", line_number, node.failure().message)};
        }
        view.nodes.push_back(std::move(*node));
    }
    if (view.nodes.empty()) return error{"CLUSTER NODES reply has no node lines"};
    return view;
}

}  // namespace warden
