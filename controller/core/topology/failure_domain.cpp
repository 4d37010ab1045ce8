#include "controller/core/topology/failure_domain.hpp"

#include <fmt/format.h>

#include <optional>

#include "controller/core/parse/text_fields.hpp"

namespace warden {
namespace {

using address_bytes = std::array<std::uint8_t, 16>;

std::optional<address_bytes> parse_ipv4(std::string_view text) {
    auto parts = split(text, '.');
    if (parts.size() != 4) return std::nullopt;
    address_bytes bytes{};
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    for (std::size_t i = 0; i < 4; ++i) {
        auto octet = parse_integer<int>(parts[i]);
        if (!octet || *octet < 0 || *octet > 255) return std::nullopt;
        bytes[12 + i] = static_cast<std::uint8_t>(*octet);
    }
    return bytes;
}

std::optional<int> parse_hex_group(std::string_view text) {
    if (text.empty() || text.size() > 4) return std::nullopt;
    int value = 0;
    for (char c : text) {
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0) return std::nullopt;
        value = value * 16 + digit;
    }
    return value;
}

// Fills 16-bit groups from text like "fd00:1:2"; false on a bad group.
bool parse_groups(std::string_view text, std::vector<int>& groups) {
    if (text.empty()) return true;
    for (auto piece : split(text, ':')) {
        auto group = parse_hex_group(piece);
        if (!group) return false;
        groups.push_back(*group);
    }
    return true;
}

std::optional<address_bytes> parse_ipv6(std::string_view text) {
    std::vector<int> head;
    std::vector<int> tail;
    auto gap = text.find("::");
    bool ok = gap == std::string_view::npos ? parse_groups(text, head)
                                            : parse_groups(text.substr(0, gap), head) &&
                                                  parse_groups(text.substr(gap + 2), tail);
    auto total = head.size() + tail.size();
    if (!ok || total > 8 || (gap == std::string_view::npos && total != 8)) return std::nullopt;
    address_bytes bytes{};
    auto put = [&bytes](std::size_t index, int group) {
        bytes[index * 2] = static_cast<std::uint8_t>(group >> 8);
        bytes[index * 2 + 1] = static_cast<std::uint8_t>(group & 0xff);
    };
    for (std::size_t i = 0; i < head.size(); ++i) put(i, head[i]);
    for (std::size_t i = 0; i < tail.size(); ++i) put(8 - tail.size() + i, tail[i]);
    return bytes;
}

std::optional<address_bytes> parse_ip(std::string_view text) {
    if (text.find(':') != std::string_view::npos) return parse_ipv6(text);
    return parse_ipv4(text);
}

bool contains(const cidr_block& block, const address_bytes& address) {
    for (int bit = 0; bit < block.prefix_bits; ++bit) {
        auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
        auto index = static_cast<std::size_t>(bit / 8);
        if ((block.network[index] & mask) != (address[index] & mask)) return false;
    }
    return true;
}

}  // namespace

result<cidr_block> parse_cidr(std::string_view text) {
    auto slash = text.find('/');
    auto address = parse_ip(text.substr(0, slash));
    if (!address) return error{fmt::format("'{}' is not an IP address or CIDR block", text)};
    bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    int max_bits = v4 ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string_view::npos) {
        auto parsed = parse_integer<int>(text.substr(slash + 1));
        if (!parsed || *parsed < 0 || *parsed > max_bits) {
            return error{fmt::format("bad prefix length in '{}' (0-{})", text, max_bits)};
        }
        bits = *parsed;
    }
    return cidr_block{*address, v4 ? bits + 96 : bits};
}

std::string failure_domain_of(std::string_view host, const failure_domain_policy& policy) {
    auto address = parse_ip(host);
    if (address) {
        for (const auto& rule : policy.zones) {
            if (contains(rule.block, *address)) return rule.zone;
        }
    }
    return std::string(host);
}

}  // namespace warden
