#include <doctest/doctest.h>

#include "controller/core/parse/info_fields.hpp"
#include "fixtures.hpp"

using namespace warden;

TEST_CASE("INFO replication of a real replica gives its link status") {
    auto fields = parse_info_fields(
        testing::read_fixture("redis-7.0/replica-masterauth-wrong/127.0.0.2-21104.info"));
    CHECK(find_field(fields, "role") == "slave");
    CHECK(find_field(fields, "master_link_status") == "down");
}

TEST_CASE("headers, blank lines and lines without a colon are ignored") {
    auto fields = parse_info_fields("# Server\r\nredis_version:7.0.15\r\n\r\nnonsense\r\n:x\r\n");
    CHECK(fields.size() == 1);
    CHECK(find_field(fields, "redis_version") == "7.0.15");
    CHECK_FALSE(find_field(fields, "nonsense").has_value());
}
