// Failure domain of a node: the host it runs on, unless the operator maps address ranges
// (CIDR) to zones. Replicas and voting masters should be spread across domains.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/core/result.hpp"

namespace warden {

struct cidr_block {
    std::array<std::uint8_t, 16> network{};  // IPv4 stored as IPv4-mapped IPv6
    int prefix_bits = 0;                     // over the 128-bit form
    friend bool operator==(const cidr_block&, const cidr_block&) = default;
};

struct zone_rule {
    cidr_block block;
    std::string zone;
    friend bool operator==(const zone_rule&, const zone_rule&) = default;
};

struct failure_domain_policy {
    std::vector<zone_rule> zones;  // first match wins; unmatched hosts are their own domain
    friend bool operator==(const failure_domain_policy&, const failure_domain_policy&) = default;
};

// "10.0.1.0/24", "fd00::/8"; a bare address means a single host.
result<cidr_block> parse_cidr(std::string_view text);

// The domain of a host as printed by CLUSTER NODES (an IP; a hostname is its own domain).
std::string failure_domain_of(std::string_view host, const failure_domain_policy& policy);

}  // namespace warden
