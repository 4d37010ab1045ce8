#include <doctest/doctest.h>

#include "controller/core/planner/move_method.hpp"
#include "controller/core/planner/rebalance_plan.hpp"
#include "sketch.hpp"

using namespace warden;

namespace {

server_version redis(std::string_view text) {
    return parse_version_number(text).value();
}

move_method_choice choose(move_method_request request, std::optional<server_version> source,
                          move_credentials credentials) {
    auto choice = choose_move_method(request, source, credentials);
    REQUIRE(choice.has_value());
    return *choice;
}

constexpr move_credentials with_password{true, false};
constexpr move_credentials acl_user{true, true};
constexpr move_credentials no_password{false, false};

}  // namespace

TEST_SUITE("move method") {
    TEST_CASE("version numbers parse with or without a patch level or a suffix") {
        CHECK(redis("3.2.13").at_least(3, 2, 13));
        CHECK_FALSE(redis("3.2.13").at_least(3, 2, 14));
        CHECK(redis("7.0").patch == 0);
        CHECK(redis("7.4.1-rc1").patch == 1);
        CHECK_FALSE(parse_version_number("seven").has_value());
        CHECK_FALSE(parse_version_number("7").has_value());
        CHECK_FALSE(parse_version_number("").has_value());
    }

    TEST_CASE("MIGRATE AUTH arrives in 4.0.7, AUTH2 in 6.0, KEYS in 3.0.6") {
        CHECK_FALSE(capabilities_of(redis("4.0.6")).migrate_auth);
        CHECK(capabilities_of(redis("4.0.7")).migrate_auth);
        CHECK_FALSE(capabilities_of(redis("5.0.14")).migrate_auth2);
        CHECK(capabilities_of(redis("6.0.0")).migrate_auth2);
        CHECK_FALSE(capabilities_of(redis("3.0.5")).migrate_keys);
        CHECK(capabilities_of(redis("3.0.6")).migrate_keys);
    }

    TEST_CASE("a password-protected 3.2 source moves keys client-side, and the plan says why") {
        auto choice = choose(move_method_request::automatic, redis("3.2.13"), with_password);
        CHECK(choice.method == move_method::client);
        CHECK(choice.reason.find("Redis 3.2.13") != std::string::npos);
        CHECK(choice.reason.find("4.0.7") != std::string::npos);
    }

    TEST_CASE("without a password MIGRATE works on 3.2 and is the default") {
        auto choice = choose(move_method_request::automatic, redis("3.2.13"), no_password);
        CHECK(choice == move_method_choice{move_method::migrate, ""});
    }

    TEST_CASE("4.0.6 with a password is client-side, 4.0.7 is MIGRATE") {
        CHECK(choose(move_method_request::automatic, redis("4.0.6"), with_password).method ==
              move_method::client);
        CHECK(choose(move_method_request::automatic, redis("4.0.7"), with_password).method ==
              move_method::migrate);
    }

    TEST_CASE("an ACL user needs AUTH2: 5.0 would be client-side, 6.0 MIGRATE") {
        CHECK(choose(move_method_request::automatic, redis("5.0.14"), acl_user).method ==
              move_method::client);
        CHECK(choose(move_method_request::automatic, redis("6.0.20"), acl_user).method ==
              move_method::migrate);
    }

    TEST_CASE("Valkey is judged by the Redis version it implements") {
        auto valkey =
            server_version_of("# Server\r\nredis_version:7.2.4\r\nvalkey_version:8.0.1\r\n");
        REQUIRE(valkey.has_value());
        CHECK(valkey->describe() == "Valkey 8.0.1");
        CHECK(choose(move_method_request::automatic, valkey, acl_user).method ==
              move_method::migrate);
    }

    TEST_CASE("an unknown version assumes MIGRATE and says so") {
        auto choice = choose(move_method_request::automatic, std::nullopt, with_password);
        CHECK(choice.method == move_method::migrate);
        CHECK(choice.reason.find("unknown") != std::string::npos);
    }

    TEST_CASE("--move-method client is obeyed on any version") {
        CHECK(choose(move_method_request::client, redis("7.0.15"), with_password).method ==
              move_method::client);
    }

    TEST_CASE("--move-method migrate on a source that cannot authenticate is refused, named") {
        auto refused =
            choose_move_method(move_method_request::migrate, redis("3.2.13"), with_password);
        REQUIRE_FALSE(refused.has_value());
        CHECK(refused.failure().message.find("--move-method client") != std::string::npos);
    }

    TEST_CASE("keys never move to a master too old to read the source's DUMP payloads") {
        auto refusal = payload_refusal(redis("7.4.1"), redis("7.0.15"));
        REQUIRE(refusal.has_value());
        CHECK(refusal->find("Redis 7.0.15 cannot read the DUMP payloads of Redis 7.4.1") !=
              std::string::npos);
        CHECK(refusal->find("RDB format 12") != std::string::npos);
        CHECK_FALSE(payload_refusal(redis("3.2.13"), redis("7.0.15")).has_value());
        CHECK_FALSE(payload_refusal(redis("6.0.20"), redis("5.0.14")).has_value());  // both 9
        CHECK_FALSE(payload_refusal(std::nullopt, redis("3.2.13")).has_value());
    }

    TEST_CASE("move methods parse from their flag values only") {
        CHECK(parse_move_method("auto").value() == move_method_request::automatic);
        CHECK(parse_move_method("client").value() == move_method_request::client);
        CHECK_FALSE(parse_move_method("MIGRATE").has_value());
    }

    TEST_CASE("the plan names client-side moves and their reason; plain MIGRATE adds nothing") {
        auto cluster =
            build_topology(testing::sketch_cluster({{'a', "127.0.0.1:7000", 0, "0-8191"},
                                                    {'b', "127.0.0.1:7001", 0, "8192-16383"}}),
                           {});
        auto plan = plan_manual_move(cluster, "0-99", testing::sketch_id('b'), "");
        REQUIRE(plan.has_value());
        CHECK(describe_rebalance(*plan, cluster).find("move method") == std::string::npos);
        plan->moves[0].method =
            choose(move_method_request::automatic, redis("3.2.13"), with_password);
        auto text = describe_rebalance(*plan, cluster);
        CHECK(text.find("move method: client-side") != std::string::npos);
        CHECK(text.find("MIGRATE AUTH needs Redis 4.0.7+") != std::string::npos);
    }
}
