#include <doctest/doctest.h>

#include "controller/core/parse/endpoint.hpp"

using namespace warden;

TEST_CASE("endpoints parse IPv4, names, bracketed and bare IPv6") {
    CHECK(*parse_endpoint("10.0.0.1:6379") == endpoint{"10.0.0.1", 6379});
    CHECK(*parse_endpoint("redis-a:7000") == endpoint{"redis-a", 7000});
    CHECK(*parse_endpoint("[::1]:7000") == endpoint{"::1", 7000});
    CHECK(*parse_endpoint("::1:7000") == endpoint{"::1", 7000});
}

TEST_CASE("bad endpoints are errors naming the input") {
    CHECK(parse_endpoint("10.0.0.1").failure().message == "'10.0.0.1' is not HOST:PORT");
    CHECK(parse_endpoint("10.0.0.1:0").failure().message ==
          "'10.0.0.1:0' has a bad port (1-65535)");
    CHECK(parse_endpoint("[::1:7000").failure().message ==
          "'[::1:7000' has an unclosed '[' around the IPv6 address");
    CHECK_FALSE(parse_endpoint(":7000").has_value());
}
