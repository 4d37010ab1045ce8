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

TEST_CASE("an http(s) URL has a scheme, a host and port, and a path ('/' when none)") {
    auto hook = parse_http_url("https://hooks.example:8443/redis/events?token=x");
    REQUIRE(hook);
    CHECK(hook->tls);
    CHECK(hook->where == endpoint{"hooks.example", 8443});
    CHECK(hook->path == "/redis/events?token=x");
    auto plain = parse_http_url("http://[::1]:9093");
    REQUIRE(plain);
    CHECK_FALSE(plain->tls);
    CHECK(plain->where.host == "::1");
    CHECK(plain->path == "/");
    CHECK(parse_http_url("ftp://x:1/").failure().message.find("expected http://") !=
          std::string::npos);
    CHECK(parse_http_url("http://hooks.example/x").failure().message.find("missing port") !=
          std::string::npos);
    CHECK(parse_http_url("https://u:p@hooks.example:443/").failure().message.find("credentials") !=
          std::string::npos);
}
