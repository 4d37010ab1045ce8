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

// Flags and address fields end up in logs and JSON: printable ASCII only, no spaces.
bool is_printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < '\x7f'; });
}

// Aux fields Redis 7.2+ and Valkey 8 write after the hostname (nodes.conf; a client's CLUSTER
// NODES does not show them yet, but saved files for --from-file may).
bool is_known_address_field(std::string_view key) {
    return key == "shard-id" || key == "nodename" || key == "tcp-port" || key == "tls-port";
}

// What follows "ip:port@cport,": the hostname (possibly empty) unless it is already
// key=value, then key=value fields. A field this code does not know is kept, not refused.
std::optional<error> parse_address_extras(std::string_view text, std::string_view extras,
                                          node_address& address) {
    auto fields = split(extras, ',');
    for (std::size_t i = 0; i < fields.size(); ++i) {
        auto field = fields[i];
        if (!is_printable(field)) return error{fmt::format("bad field in address '{}'", text)};
        auto equals = field.find('=');
        if (i == 0 && equals == std::string_view::npos) {
            if (!field.empty()) address.hostname = std::string(field);
        } else if (!field.empty() && !is_known_address_field(field.substr(0, equals))) {
            address.unknown_fields.emplace_back(field);
        }
    }
    return std::nullopt;
}

// "ip:port@cport[,hostname][,key=value...]"; 3.2 prints just "ip:port".
result<node_address> parse_address(std::string_view text) {
    node_address address;
    std::string_view endpoint = text;
    if (auto comma = text.find(','); comma != std::string_view::npos) {
        endpoint = text.substr(0, comma);
        if (auto failure = parse_address_extras(text, text.substr(comma + 1), address)) {
            return *failure;
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

// The flags Redis 3.2 to 7.4 and Valkey 8 print (cluster.c, redisNodeFlagsTable), in the
// order they print them; "noflags" stands for none.
struct known_flag {
    std::string_view name;
    bool node_flags::*member;
};
constexpr known_flag known_flags[] = {
    {"myself", &node_flags::myself}, {"master", &node_flags::master},
    {"slave", &node_flags::replica}, {"fail?", &node_flags::pfail},
    {"fail", &node_flags::fail},     {"handshake", &node_flags::handshake},
    {"noaddr", &node_flags::noaddr}, {"nofailover", &node_flags::nofailover},
};

// A flag this code does not know is a newer server's: kept as printed, so the line still
// parses. Only an empty or unprintable name makes the field unreadable. `printed` (when
// given) receives every name as printed, in order.
result<node_flags> parse_flags(std::string_view text, std::vector<std::string>* printed = nullptr) {
    node_flags flags;
    bool readable = for_each_piece(text, ',', [&](std::string_view name) {
        auto known = std::find_if(std::begin(known_flags), std::end(known_flags),
                                  [name](const known_flag& flag) { return flag.name == name; });
        if (known != std::end(known_flags)) {
            flags.*(known->member) = true;
        } else if (name.empty() || !is_printable(name)) {
            return false;
        } else if (name != "noflags") {
            flags.unknown.emplace_back(name);
        }
        if (printed != nullptr) printed->emplace_back(name);
        return true;
    });
    if (!readable) return error{fmt::format("bad flags '{}'", text)};
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
    for (const auto& known : known_flags) {
        if (flags.*(known.member)) names.emplace_back(known.name);
    }
    names.insert(names.end(), flags.unknown.begin(), flags.unknown.end());
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
        listed.push_back({std::move(address->host), address->port, std::move(*flags)});
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
    auto flags = parse_flags(fields[field_flags], &node.flag_names);
    if (!flags) return flags.failure();
    node.flags = std::move(*flags);
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
