#include <doctest/doctest.h>

#include "controller/core/topology/failure_domain.hpp"

using namespace warden;

TEST_CASE("without zones a node's failure domain is its host") {
    CHECK(failure_domain_of("10.0.1.5", {}) == "10.0.1.5");
}

TEST_CASE("CIDR zones map IPv4 and IPv6 hosts; the first match wins") {
    failure_domain_policy policy;
    policy.zones.push_back({*parse_cidr("10.0.1.0/24"), "zone-a"});
    policy.zones.push_back({*parse_cidr("10.0.0.0/8"), "zone-wide"});
    policy.zones.push_back({*parse_cidr("fd00::/8"), "zone-v6"});
    CHECK(failure_domain_of("10.0.1.5", policy) == "zone-a");
    CHECK(failure_domain_of("10.0.2.5", policy) == "zone-wide");
    CHECK(failure_domain_of("fd12::1", policy) == "zone-v6");
    CHECK(failure_domain_of("192.168.0.1", policy) == "192.168.0.1");
    CHECK(failure_domain_of("redis-a.example", policy) == "redis-a.example");
}

TEST_CASE("bad CIDR blocks are errors that name the input") {
    CHECK(parse_cidr("10.0.0.0/33").failure().message ==
          "bad prefix length in '10.0.0.0/33' (0-32)");
    CHECK(parse_cidr("10.0.0/8").failure().message ==
          "'10.0.0/8' is not an IP address or CIDR block");
    CHECK_FALSE(parse_cidr("fd00:::1/8").has_value());
    CHECK(parse_cidr("10.1.2.3").has_value());
}
