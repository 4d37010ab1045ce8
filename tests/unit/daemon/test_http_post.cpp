#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>

#include "controller/daemon/http_post.hpp"
#include "fake_http.hpp"

using namespace warden;
using namespace warden::daemon;
using namespace warden::daemon::testing;
using namespace std::chrono_literals;

namespace {

http_post_target target_of(std::uint16_t port) {
    return {"127.0.0.1", port, false, "/v3/kv/range", "etcd 127.0.0.1:" + std::to_string(port)};
}

http_post_request request() {
    http_post_request call;
    call.body = R"({"key":"Zm9v"})";
    return call;
}

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

http_script always(http_answer answer) {
    return [answer](int, int) { return answer; };
}

}  // namespace

TEST_SUITE("http_client") {
    TEST_CASE("a client posting again and again to one server connects once") {
        fake_http server(always(http_answer::reply));
        http_client client;
        for (int call = 0; call < 20; ++call) {
            auto reply = client.post(target_of(server.port()), request(), nullptr, 1000ms);
            REQUIRE(reply.has_value());
            CHECK(reply->status == 200);
            CHECK(reply->body == R"({"connection":1})");
        }
        CHECK(server.connections() == 1);
        CHECK(server.requests() == 20);
        CHECK(client.connections_made() == 1);
    }

    TEST_CASE("a one-off http_post connects for itself and still gets its reply") {
        fake_http server(always(http_answer::reply));
        for (int call = 0; call < 3; ++call) {
            auto reply = http_post(target_of(server.port()), request(), nullptr, 1000ms);
            REQUIRE(reply.has_value());
            CHECK(reply->status == 200);
        }
        CHECK(server.connections() == 3);
    }

    TEST_CASE("a connection the server closed after its reply is replaced without an error") {
        fake_http server(always(http_answer::reply_and_close));
        http_client client;
        for (int call = 1; call <= 3; ++call) {
            auto reply = client.post(target_of(server.port()), request(), nullptr, 1000ms);
            REQUIRE(reply.has_value());
            CHECK(reply->body == R"({"connection":)" + std::to_string(call) + "}");
        }
        CHECK(client.connections_made() == 3);
        CHECK(server.requests() == 3);
    }

    TEST_CASE("a kept connection dropped at the next request is retried once, on a fresh one") {
        // The server answers the first request, then hangs up on the second without a word:
        // what a peer that closed an idle connection as the request went out looks like.
        fake_http server([](int connection, int request) {
            return connection == 1 && request == 2 ? http_answer::hang_up : http_answer::reply;
        });
        http_client client;
        REQUIRE(client.post(target_of(server.port()), request(), nullptr, 1000ms).has_value());
        auto reply = client.post(target_of(server.port()), request(), nullptr, 1000ms);
        REQUIRE(reply.has_value());
        CHECK(reply->body == R"({"connection":2})");
        CHECK(server.connections() == 2);
        CHECK(server.requests() == 3);
    }

    TEST_CASE("a fresh connection that hangs up without a reply is an error, sent once") {
        fake_http server(always(http_answer::hang_up));
        http_client client;
        auto reply = client.post(target_of(server.port()), request(), nullptr, 1000ms);
        REQUIRE_FALSE(reply.has_value());
        CHECK(reply.failure().message.starts_with(target_of(server.port()).label + ": "));
        CHECK(reply.failure().message.ends_with("(reading the reply)"));
        CHECK(server.requests() == 1);
        CHECK(server.connections() == 1);
    }

    TEST_CASE("a silent server costs one timeout, and the next call connects afresh") {
        fake_http server([](int connection, int) {
            return connection == 1 ? http_answer::silent : http_answer::reply;
        });
        http_client client;
        auto start = std::chrono::steady_clock::now();
        auto reply = client.post(target_of(server.port()), request(), nullptr, 200ms);
        REQUIRE_FALSE(reply.has_value());
        CHECK(since(start) >= 190ms);
        CHECK(since(start) < 400ms);
        CHECK(reply.failure().message ==
              target_of(server.port()).label + ": timed out after 200 ms (reading the reply)");
        auto next = client.post(target_of(server.port()), request(), nullptr, 1000ms);
        REQUIRE(next.has_value());
        CHECK(next->body == R"({"connection":2})");
        CHECK(client.connections_made() == 2);
    }

    TEST_CASE("a kept connection to a server gone silent costs one timeout, not a retry") {
        fake_http server([](int, int request) {
            return request == 1 ? http_answer::reply : http_answer::silent;
        });
        http_client client;
        REQUIRE(client.post(target_of(server.port()), request(), nullptr, 1000ms).has_value());
        auto start = std::chrono::steady_clock::now();
        auto reply = client.post(target_of(server.port()), request(), nullptr, 200ms);
        REQUIRE_FALSE(reply.has_value());
        CHECK(since(start) < 400ms);
        CHECK(reply.failure().message.find("timed out after 200 ms") != std::string::npos);
        CHECK(server.connections() == 1);
    }

    TEST_CASE("another target drops the kept connection for one to the new target") {
        fake_http first(always(http_answer::reply));
        fake_http second(always(http_answer::reply));
        http_client client;
        REQUIRE(client.post(target_of(first.port()), request(), nullptr, 1000ms).has_value());
        REQUIRE(client.post(target_of(second.port()), request(), nullptr, 1000ms).has_value());
        REQUIRE(client.post(target_of(first.port()), request(), nullptr, 1000ms).has_value());
        CHECK(first.connections() == 2);
        CHECK(second.connections() == 1);
        CHECK(client.connections_made() == 3);
    }

    TEST_CASE("a port nobody listens on is named, at the connecting stage") {
        std::uint16_t port = 0;
        {
            boost::asio::io_context io;
            boost::asio::ip::tcp::acceptor bound(io,
                                                 {boost::asio::ip::make_address("127.0.0.1"), 0});
            port = bound.local_endpoint().port();
        }
        http_client client;
        auto reply = client.post(target_of(port), request(), nullptr, 1000ms);
        REQUIRE_FALSE(reply.has_value());
        CHECK(reply.failure().message.starts_with(target_of(port).label + ": "));
        CHECK(reply.failure().message.ends_with("(connecting)"));
        CHECK(client.connections_made() == 0);
    }
}
