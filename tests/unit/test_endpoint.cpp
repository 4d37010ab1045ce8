#include <doctest/doctest.h>

#include "controller/core/parse/endpoint.hpp"

using namespace warden;

TEST_CASE("host:port, [v6]:port and bare IPv6 with the port last all parse") {
    CHECK(parse_endpoint("redis-1:6379").value() == endpoint{"redis-1", 6379});
    CHECK(parse_endpoint("[::1]:7000").value() == endpoint{"::1", 7000});
    CHECK(parse_endpoint("::1:7000").value() == endpoint{"::1", 7000});
    CHECK(parse_endpoint("10.0.0.1:1").value() == endpoint{"10.0.0.1", 1});
}

TEST_CASE("bad addresses are rejected with the input and the reason") {
    CHECK(parse_endpoint("redis-1").failure().message == "invalid address 'redis-1': missing port");
    CHECK(parse_endpoint("redis-1:").failure().message ==
          "invalid address 'redis-1:': missing port");
    CHECK(parse_endpoint(":6379").failure().message == "invalid address ':6379': empty host");
    CHECK(parse_endpoint("h:http").failure().message ==
          "invalid address 'h:http': port 'http' is not a number");
    CHECK(parse_endpoint("h:70000").failure().message ==
          "invalid address 'h:70000': port 70000 is outside 1-65535");
    CHECK(parse_endpoint("[::1:7000").failure().message ==
          "invalid address '[::1:7000': missing ']'");
    CHECK(parse_endpoint("[::1]7000").failure().message ==
          "invalid address '[::1]7000': expected ':' after ']'");
    CHECK(parse_endpoint("a b:1").failure().message ==
          "invalid address 'a b:1': contains whitespace");
}
