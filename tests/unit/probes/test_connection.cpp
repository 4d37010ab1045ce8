#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "fake_redis.hpp"
#include "probes/connection.hpp"
#include "probes/parallel.hpp"

using namespace warden;
using namespace warden::probes;
using namespace warden::probes::testing;
using namespace std::chrono_literals;

namespace {

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

}  // namespace

TEST_SUITE("connection") {
    TEST_CASE("commands get their replies in order, error replies are values") {
        fake_redis node([](const std::vector<std::string>& command) {
            if (command[0] == "PING") return fake_reply{"+PONG\r\n"};
            if (command[0] == "DBSIZE") return fake_reply{":0\r\n"};
            return fake_reply{"-ERR unknown command\r\n"};
        });
        auto connection = redis_connection::open(node.address(), {}, 300ms);
        REQUIRE(connection.has_value());
        auto pong = connection->call({"PING"});
        REQUIRE(pong.has_value());
        CHECK(pong->text == "PONG");
        auto replies = connection->pipeline({{"DBSIZE"}, {"NOPE"}, {"PING"}});
        REQUIRE(replies.has_value());
        REQUIRE(replies->size() == 3);
        CHECK((*replies)[0].integer == 0);
        CHECK((*replies)[1].type == resp_type::error);
        CHECK((*replies)[2].text == "PONG");
    }

    TEST_CASE("a wrong password names the address and Redis' reason, never the password") {
        fake_redis locked(always("-WRONGPASS invalid username-password pair\r\n"));
        auto connection = redis_connection::open(locked.address(), {"warden", "s3cret"}, 300ms);
        REQUIRE_FALSE(connection.has_value());
        CHECK(connection.failure().message ==
              locked.address() +
                  ": authentication failed: WRONGPASS invalid username-password pair");
        CHECK(locked.commands_seen().front() ==
              std::vector<std::string>{"AUTH", "warden", "s3cret"});
    }

    TEST_CASE("a silent node costs one timeout, then every call fails at once") {
        fake_redis frozen(silent());
        auto connection = redis_connection::open(frozen.address(), {}, 200ms);
        REQUIRE(connection.has_value());
        auto start = std::chrono::steady_clock::now();
        auto reply = connection->call({"PING"});
        CHECK(since(start) < 450ms);
        REQUIRE_FALSE(reply.has_value());
        CHECK(reply.failure().message ==
              frozen.address() + ": timed out after 200 ms (waiting for reply)");
        start = std::chrono::steady_clock::now();
        CHECK_FALSE(connection->call({"PING"}).has_value());
        CHECK(since(start) < 50ms);
    }

    TEST_CASE("a closed port and an unknown host are named") {
        auto address = "127.0.0.1:" + std::to_string(closed_port());
        auto refused = redis_connection::open(address, {}, 300ms);
        REQUIRE_FALSE(refused.has_value());
        CHECK(refused.failure().message == address + ": connection refused");
        auto unknown = redis_connection::open("no-such-host.invalid:7000", {}, 3000ms);
        REQUIRE_FALSE(unknown.has_value());
        CHECK(unknown.failure().message ==
              "no-such-host.invalid:7000: cannot resolve host 'no-such-host.invalid'");
        CHECK_FALSE(redis_connection::open("nonsense", {}, 300ms).has_value());
    }

    TEST_CASE("garbage from a non-Redis service is a protocol error, not a crash") {
        fake_redis http(garbage());
        auto connection = redis_connection::open(http.address(), {}, 300ms);
        REQUIRE(connection.has_value());
        auto reply = connection->call({"PING"});
        REQUIRE_FALSE(reply.has_value());
        CHECK(reply.failure().message.find("not a Redis reply") != std::string::npos);
    }

    TEST_CASE("connections opened one after another reuse one io_context") {
        fake_redis node(always("+PONG\r\n"));
        auto before = connection_io_contexts_made();
        for (int round = 0; round < 20; ++round) {
            auto connection = redis_connection::open(node.address(), {}, 300ms);
            REQUIRE(connection.has_value());
            REQUIRE(connection->call({"PING"}).has_value());
        }
        CHECK(connection_io_contexts_made() - before <= 1);
    }

    TEST_CASE(
        "connections opened on some threads work on others, and their io_contexts are reused") {
        fake_redis node(always("+PONG\r\n"));
        constexpr std::size_t count = 8;
        auto before = connection_io_contexts_made();
        for (int round = 0; round < 3; ++round) {
            std::vector<std::optional<redis_connection>> connections(count);
            parallel_for(count, count, {}, [&](std::size_t i) {
                auto opened = redis_connection::open(node.address(), {}, 1000ms);
                if (opened) connections[i].emplace(std::move(*opened));
            });
            // Used in reverse order: most land on another thread than the one that opened them.
            std::vector<int> answered(count, 0);
            parallel_for(count, count, {}, [&](std::size_t i) {
                auto& connection = connections[count - 1 - i];
                if (connection && connection->call({"PING"})) answered[count - 1 - i] = 1;
            });
            CHECK(answered == std::vector<int>(count, 1));
        }
        CHECK(connection_io_contexts_made() - before <= count);
    }

    TEST_CASE("permission errors are recognised") {
        auto reply = [](resp_type type, std::string text) {
            resp_value value;
            value.type = type;
            value.text = std::move(text);
            return value;
        };
        CHECK(is_permission_error(reply(resp_type::error, "NOPERM this user has no permissions")));
        CHECK_FALSE(is_permission_error(reply(resp_type::error, "ERR Unknown node")));
        CHECK_FALSE(is_permission_error(reply(resp_type::status, "OK")));
    }
}
