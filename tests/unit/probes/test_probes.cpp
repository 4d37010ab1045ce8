#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "controller/core/parse/endpoint.hpp"
#include "fake_redis.hpp"
#include "probes/discovery.hpp"
#include "probes/poll.hpp"
#include "probes/probe_exchange.hpp"
#include "probes/resp.hpp"

using namespace warden;
using namespace warden::probes;
using namespace warden::probes::testing;
using namespace std::chrono_literals;
using namespace std::string_view_literals;

namespace {

resp_value only_reply(std::string_view bytes) {
    resp_reader reader;
    reader.feed(bytes);
    auto next = reader.next();
    REQUIRE(next.has_value());
    REQUIRE(next->has_value());
    return **next;
}

struct timed_poll {
    snapshot result;
    std::chrono::milliseconds elapsed;
};

poll_request request_for(std::vector<std::string> seeds, std::chrono::milliseconds timeout = 300ms,
                         credentials auth = {}) {
    return poll_request{"test", std::move(seeds), std::move(auth), timeout};
}

timed_poll run(const poll_request& request) {
    auto start = std::chrono::steady_clock::now();
    auto result = poll_cluster(request);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return {std::move(result), elapsed};
}

timed_poll poll(std::vector<std::string> seeds, std::chrono::milliseconds timeout = 300ms,
                credentials auth = {}) {
    return run(request_for(std::move(seeds), timeout, std::move(auth)));
}

// Polls `seeds` (a frozen node first, then a live one) one at a time: when the live one's
// probe completed, and what the frozen one reported.
struct window_outcome {
    std::int64_t live_ms = -1;
    std::string frozen_error;
};

window_outcome live_answer_time(std::vector<std::string> seeds,
                                std::chrono::milliseconds window_stall) {
    auto request = request_for(std::move(seeds));
    request.discover = false;
    request.max_in_flight = 1;
    request.window_stall = window_stall;
    window_outcome outcome;
    auto start = std::chrono::steady_clock::now();
    cluster_poller poller;
    auto result = poller.poll(request, {}, [&](node_probe& probe) {
        if (!probe.reachable) {
            outcome.frozen_error = probe.error;
            return;
        }
        outcome.live_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
    });
    REQUIRE(result.nodes.size() == 2);
    return outcome;
}

const node_probe& only_node(const snapshot& result) {
    REQUIRE(result.nodes.size() == 1);
    return result.nodes.front();
}

std::string id(char digit) {
    return std::string(40, digit);
}

std::string view_line(char digit, const std::string& address, const std::string& flags) {
    return id(digit) + " " + address + "@1 " + flags + " - 0 0 1 connected\n";
}

}  // namespace

TEST_SUITE("resp") {
    TEST_CASE("each RESP2 type decodes to its owned value") {
        CHECK(only_reply("+OK\r\n") == resp_value{resp_type::status, "OK", 0, {}});
        CHECK(only_reply("-ERR no\r\n") == resp_value{resp_type::error, "ERR no", 0, {}});
        CHECK(only_reply(":-42\r\n") == resp_value{resp_type::integer, "", -42, {}});
        CHECK(only_reply("$5\r\nhe\0lo\r\n"sv).text == std::string("he\0lo", 5));
        CHECK(only_reply("$-1\r\n").type == resp_type::nil);
        auto array = only_reply("*2\r\n:1\r\n*1\r\n$1\r\nx\r\n");
        REQUIRE(array.type == resp_type::array);
        CHECK(array.elements[0].integer == 1);
        CHECK(array.elements[1].elements[0].text == "x");
    }

    TEST_CASE("a reply split over several feeds is returned once complete") {
        resp_reader reader;
        for (std::string_view piece : {"$1", "1\r\nhello ", "world\r"}) {
            REQUIRE(reader.feed(piece));
            auto next = reader.next();
            REQUIRE(next.has_value());
            CHECK_FALSE(next->has_value());
        }
        reader.feed("\n+O");
        CHECK(reader.next().value()->text == "hello world");
        CHECK_FALSE(reader.next().value().has_value());
        reader.feed("K\r\n");
        CHECK(reader.next().value()->text == "OK");
        CHECK_FALSE(reader.next().value().has_value());
    }

    TEST_CASE("bytes that are not RESP give a protocol error naming the problem") {
        resp_reader reader;
        reader.feed("HTTP/1.1 400 Bad Request\r\n");
        auto next = reader.next();
        REQUIRE_FALSE(next.has_value());
        CHECK(next.failure().message ==
              "not a Redis reply (protocol error: got \"H\" as reply type byte)");
    }

    TEST_CASE("an encoded command decodes back to its arguments") {
        std::vector<std::string_view> arguments{"AUTH", "us er", std::string_view("p\r\n", 3)};
        auto encoded = encode_command(arguments);
        CHECK(encoded == "*3\r\n$4\r\nAUTH\r\n$5\r\nus er\r\n$3\r\np\r\n\r\n");
        CHECK(only_reply(encoded).elements.size() == 3);
    }
}

namespace {

// Writes `bytes` the way a session reads: into read_buffer(), as much as it offers each time.
void arrive(scalar_reply_reader& reader, std::string_view bytes) {
    while (!bytes.empty()) {
        auto into = reader.read_buffer();
        REQUIRE_FALSE(into.empty());
        auto size = std::min(into.size(), bytes.size());
        std::copy_n(bytes.data(), size, into.data());
        reader.commit(size);
        bytes.remove_prefix(size);
    }
}

std::vector<resp_value> scalar_replies(std::string_view bytes) {
    scalar_reply_reader reader(1024);
    arrive(reader, bytes);
    std::vector<resp_value> out;
    while (true) {
        auto next = reader.next();
        REQUIRE(next.has_value());
        if (!next->has_value()) return out;
        out.push_back(std::move(**next));
    }
}

std::string scalar_failure(std::string_view bytes, std::size_t cap = 1024) {
    scalar_reply_reader reader(cap);
    arrive(reader, bytes);
    auto next = reader.next();
    REQUIRE_FALSE(next.has_value());
    return next.failure().message;
}

}  // namespace

TEST_SUITE("scalar replies") {
    TEST_CASE("status, error, integer, bulk string and nil decode as resp_reader decodes them") {
        auto stream = "+OK\r\n-ERR no\r\n:-42\r\n$5\r\nhe\0lo\r\n$-1\r\n$0\r\n\r\n"sv;
        auto replies = scalar_replies(stream);
        REQUIRE(replies.size() == 6);
        resp_reader hiredis;
        hiredis.feed(stream);
        for (const auto& reply : replies) CHECK(reply == hiredis.next().value().value());
    }

    TEST_CASE("replies split at every byte come out whole and in order") {
        const std::string stream = "+OK\r\n$11\r\nhello world\r\n:7\r\n";
        for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
            INFO("cut at ", cut);
            scalar_reply_reader reader(1024);
            std::vector<resp_value> got;
            for (auto piece :
                 {std::string_view(stream).substr(0, cut), std::string_view(stream).substr(cut)}) {
                arrive(reader, piece);
                while (auto next = reader.next().value()) got.push_back(std::move(*next));
            }
            REQUIRE(got.size() == 3);
            CHECK(got[1].text == "hello world");
            CHECK(got[2].integer == 7);
        }
    }

    TEST_CASE("once its header is decoded, the rest of a bulk string is read into it directly") {
        scalar_reply_reader reader(1024 * 1024);
        const std::string payload(100 * 1024, 'v');
        arrive(reader, "$" + std::to_string(payload.size()) + "\r\n" + payload.substr(0, 10));
        CHECK_FALSE(reader.next().value().has_value());
        // Exactly what the payload still lacks: the read lands in the string, not a buffer.
        CHECK(reader.read_buffer().size() == payload.size() - 10);
        arrive(reader, std::string_view(payload).substr(10));
        CHECK_FALSE(reader.next().value().has_value());  // the CRLF is still to come
        arrive(reader, "\r\n");
        CHECK(reader.next().value().value().text == payload);
    }

    TEST_CASE("arrays, other type bytes and bad lengths are refused, and stay refused") {
        CHECK(scalar_failure("*2147483647\r\n") ==
              "not a Redis reply (array where a bulk string was expected)");
        CHECK(scalar_failure("HTTP/1.1 400 Bad Request\r\n") ==
              "not a Redis reply (protocol error: got \"H\" as reply type byte)");
        CHECK(scalar_failure("\x16\x03") ==
              "not a Redis reply (protocol error: got \"\\x16\" as reply type byte)");
        CHECK(scalar_failure("$-2\r\n") ==
              "not a Redis reply (protocol error: bad bulk string length)");
        CHECK(scalar_failure(":4x\r\n") == "not a Redis reply (protocol error: bad integer value)");
        scalar_reply_reader reader(1024);
        arrive(reader, "*1\r\n");
        CHECK_FALSE(reader.next().has_value());
        arrive(reader, "+OK\r\n");
        CHECK_FALSE(reader.next().has_value());
    }

    TEST_CASE("a bulk string announced over the cap is refused before it is allocated") {
        CHECK(scalar_failure("$999999999\r\n", 1024 * 1024) == "replies too large (over 1 MiB)");
        CHECK(scalar_replies("$1024\r\n" + std::string(1024, 'x') + "\r\n").size() == 1);
    }

    TEST_CASE("a status line longer than the staging buffer still decodes") {
        std::string line(40 * 1024, 's');
        auto replies = scalar_replies("+" + line + "\r\n");
        REQUIRE(replies.size() == 1);
        CHECK(replies[0].text == line);
    }
}

TEST_SUITE("discovery") {
    TEST_CASE("seeds are deduplicated by canonical address and bad seeds become errors") {
        discovery round(true);
        std::vector<node_probe> rejected;
        auto targets =
            round.claim_seeds({"127.0.0.1:7000", "::1:7000", "[::1]:7000", "nope"}, rejected);
        REQUIRE(targets.size() == 2);
        CHECK(targets[0].address == "127.0.0.1:7000");
        CHECK(targets[1].address == "[::1]:7000");
        REQUIRE(rejected.size() == 1);
        CHECK(rejected[0].error == "invalid address 'nope': missing port");
    }

    TEST_CASE("a view names new nodes but not itself, unaddressed or handshake nodes") {
        discovery round(true);
        std::vector<node_probe> rejected;
        round.claim_seeds({"localhost:7000"}, rejected);
        std::string view =
            view_line('a', "127.0.0.1:7000", "myself,master") +
            view_line('b', "127.0.0.1:7001", "master") + view_line('c', "::1:7002", "slave") +
            view_line('d', ":0", "master,noaddr") + view_line('e', "127.0.0.1:7003", "handshake");
        auto targets = round.on_cluster_nodes(view);
        REQUIRE(targets.size() == 2);
        CHECK(targets[0].address == "127.0.0.1:7001");
        CHECK(targets[1].address == "[::1]:7002");
        CHECK(round.on_cluster_nodes(view).empty());
    }

    TEST_CASE("lines on their own name new nodes as a view's lines do") {
        discovery round(true);
        std::vector<node_probe> rejected;
        round.claim_seeds({"127.0.0.1:7000"}, rejected);
        std::vector<std::string> lines{"not a line", view_line('a', "127.0.0.1:7000", "master"),
                                       view_line('b', "127.0.0.1:7001", "slave")};
        auto targets = round.on_lines(lines);
        REQUIRE(targets.size() == 1);
        CHECK(targets[0].address == "127.0.0.1:7001");
        CHECK(round.on_lines(lines).empty());
    }

    TEST_CASE(
        "a view in another order, or naming someone new where the last had another, is read") {
        discovery round(true);
        auto first = view_line('a', "127.0.0.1:7000", "myself,master") +
                     view_line('b', "127.0.0.1:7001", "master");
        CHECK(round.on_cluster_nodes(first).size() == 1);
        auto reordered = view_line('b', "127.0.0.1:7001", "myself,master") +
                         view_line('a', "127.0.0.1:7000", "master");
        CHECK(round.on_cluster_nodes(reordered).empty());
        auto grown = view_line('c', "127.0.0.1:7002", "myself,master") +
                     view_line('d', "127.0.0.1:7003", "slave") +
                     view_line('a', "127.0.0.1:7000", "master");
        auto targets = round.on_cluster_nodes(grown);
        REQUIRE(targets.size() == 1);
        CHECK(targets[0].address == "127.0.0.1:7003");
    }
}

TEST_SUITE("probe_exchange") {
    TEST_CASE("AUTH goes first in the pipeline only when a password is configured") {
        CHECK(plan_probe({}).expected_replies == 3);
        auto plan = plan_probe({"warden", "pw"});
        CHECK(plan.expected_replies == 4);
        CHECK(plan.request.starts_with("*3\r\n$4\r\nAUTH\r\n$6\r\nwarden\r\n$2\r\npw\r\n"));
    }

    TEST_CASE("without CLUSTER INFO the INFO reply is read from the slot after the view") {
        auto plan = plan_probe({std::nullopt, "pw"}, false);
        CHECK(plan.expected_replies == 3);
        CHECK(plan.request.find("CLUSTER\r\n$4\r\nINFO") == std::string::npos);
        exchange_outcome outcome{{resp_value{resp_type::status, "OK", 0, {}},
                                  resp_value{resp_type::string, "view", 0, {}},
                                  resp_value{resp_type::string, "role:master\r\n", 0, {}}},
                                 std::nullopt,
                                 2.0};
        auto probe = interpret_exchange("h:1", plan, outcome);
        CHECK(probe.reachable);
        CHECK(probe.cluster_info.empty());
        CHECK(probe.info == "role:master\r\n");
        CHECK(probe.latency_ms == 2.0);
        CHECK(plan_probe({}).request.find("CLUSTER\r\n$4\r\nINFO") != std::string::npos);
    }

    TEST_CASE("a node whose view arrived stays reachable when a later reply is missing") {
        auto plan = plan_probe({});
        exchange_outcome outcome{{resp_value{resp_type::string, "view", 0, {}}},
                                 "timed out after 5 ms (waiting for reply)",
                                 3.0};
        auto probe = interpret_exchange("h:1", plan, outcome);
        CHECK(probe.reachable);
        CHECK(probe.cluster_nodes == "view");
        CHECK(probe.error == "timed out after 5 ms (waiting for reply)");
        CHECK_FALSE(probe.latency_ms.has_value());
    }

    TEST_CASE("the reply cap is worded in MiB when it is a whole number of them") {
        CHECK(too_large_message(64 * 1024 * 1024) == "replies too large (over 64 MiB)");
        CHECK(too_large_message(1000) == "replies too large (over 1000 bytes)");
    }

    TEST_CASE("protected mode refusing the connection is named as such") {
        exchange_outcome outcome{{resp_value{resp_type::error, "DENIED Redis is running", 0, {}}},
                                 "connection closed by peer",
                                 std::nullopt};
        auto probe = interpret_exchange("h:1", plan_probe({std::nullopt, "pw"}), outcome);
        CHECK_FALSE(probe.reachable);
        CHECK(probe.error == "protected mode refused the connection (DENIED Redis is running)");
    }
}

TEST_SUITE("poll") {
    TEST_CASE("a node that accepts but never answers times out within the deadline") {
        fake_redis frozen(silent());
        auto [result, elapsed] = poll({frozen.address()});
        const auto& node = only_node(result);
        CHECK_FALSE(node.reachable);
        CHECK(node.error == "timed out after 300 ms (waiting for reply)");
        CHECK(elapsed < 500ms);
    }

    TEST_CASE("an HTTP server on the port is reported as not Redis") {
        fake_redis http(garbage());
        auto result = poll({http.address()}).result;
        const auto& node = only_node(result);
        CHECK_FALSE(node.reachable);
        CHECK(node.error == "not a Redis reply (protocol error: got \"H\" as reply type byte)");
    }

    TEST_CASE("a closed port is reported as connection refused") {
        auto address = "127.0.0.1:" + std::to_string(closed_port());
        auto result = poll({address}).result;
        const auto& node = only_node(result);
        CHECK(node.address == address);
        CHECK(node.error == "connection refused");
    }

    TEST_CASE("an unknown host name is reported as unresolvable") {
        auto result = poll({"no-such-host.invalid:7000"}).result;
        const auto& node = only_node(result);
        CHECK(node.error == "cannot resolve host 'no-such-host.invalid'");
    }

    TEST_CASE("a node without cluster support says so") {
        fake_redis plain(always("-ERR This instance has cluster support disabled\r\n"));
        auto result = poll({plain.address()}).result;
        const auto& node = only_node(result);
        CHECK_FALSE(node.reachable);
        CHECK(node.error ==
              "cluster support disabled (ERR This instance has cluster support disabled)");
    }

    TEST_CASE("a node that wants a password and got none asks for one") {
        fake_redis locked(always("-NOAUTH Authentication required.\r\n"));
        auto result = poll({locked.address()}).result;
        const auto& node = only_node(result);
        CHECK(node.error ==
              "authentication required (NOAUTH): give --password-file or REDISCLI_AUTH");
    }

    TEST_CASE("a rejected password gives Redis' reason and never the password") {
        fake_redis locked([](const std::vector<std::string>& command) {
            if (command[0] == "AUTH") {
                return fake_reply{
                    "-WRONGPASS invalid username-password pair or user is disabled.\r\n"};
            }
            return fake_reply{"-NOAUTH Authentication required.\r\n"};
        });
        auto result = poll({locked.address()}, 300ms, {"warden", "s3cret-pa55"}).result;
        const auto& node = only_node(result);
        CHECK(node.error ==
              "authentication failed: WRONGPASS invalid username-password pair "
              "or user is disabled.");
        CHECK(node.error.find("s3cret") == std::string::npos);
        auto seen = locked.commands_seen();
        REQUIRE(seen.size() == 4);
        CHECK(seen[0] == std::vector<std::string>{"AUTH", "warden", "s3cret-pa55"});
        CHECK(seen[1] == std::vector<std::string>{"CLUSTER", "NODES"});
    }

    TEST_CASE("nodes named in a view are probed too, and a frozen one costs one timeout") {
        fake_redis frozen(silent());
        std::string view_b = view_line('b', "127.0.0.1:1", "myself,master");
        fake_redis second(cluster_node(view_b));
        std::string view_a = view_line('a', "127.0.0.1:2", "myself,master") +
                             view_line('b', second.address(), "master") +
                             view_line('c', frozen.address(), "slave");
        fake_redis seed(cluster_node(view_a));
        auto [result, elapsed] = poll({seed.address()});
        REQUIRE(result.nodes.size() == 3);
        CHECK(elapsed < 500ms);
        for (const auto& node : result.nodes) {
            INFO(node.address, " ", node.error);
            bool is_frozen = node.address == frozen.address();
            CHECK(node.reachable == !is_frozen);
            if (is_frozen) continue;
            CHECK(node.error.empty());
            CHECK(node.cluster_info == "cluster_state:ok\r\n");
            CHECK(node.info.starts_with("# Replication"));
            CHECK(node.latency_ms.has_value());
        }
        CHECK(std::is_sorted(result.nodes.begin(), result.nodes.end(),
                             [](auto& a, auto& b) { return a.address < b.address; }));
    }

    TEST_CASE("a folding poll discovers the nodes named by the lines its sink returns, only") {
        std::string view_b = view_line('b', "127.0.0.1:1", "myself,master");
        fake_redis second(cluster_node(view_b));
        fake_redis unnamed(cluster_node(view_line('c', "127.0.0.1:3", "myself,master")));
        std::string second_line = view_line('b', second.address(), "master");
        std::string view_a = view_line('a', "127.0.0.1:2", "myself,master") + second_line +
                             view_line('c', unnamed.address(), "slave");
        fake_redis seed(cluster_node(view_a));
        cluster_poller poller(false);
        std::vector<std::string> folded;
        auto result =
            poller.poll_folding(request_for({seed.address()}), {}, [&](node_probe& probe) {
                folded.push_back(probe.address);
                if (probe.address != seed.address()) {
                    return std::vector<std::string>{};
                }
                // As a merger that met the third line before.
                return std::vector<std::string>{second_line.substr(0, second_line.size() - 1)};
            });
        REQUIRE(result.nodes.size() == 2);
        CHECK(folded.size() == 2);
        for (const auto& node : result.nodes) CHECK(node.address != unnamed.address());
    }

    TEST_CASE("with a window of one, a frozen node holds its place until it times out") {
        fake_redis frozen(silent());
        fake_redis live(cluster_node(view_line('a', "127.0.0.1:1", "myself,master")));
        auto answered = live_answer_time({frozen.address(), live.address()}, 10s);
        CHECK(answered.live_ms >= 290);
        CHECK(answered.frozen_error == "timed out after 300 ms (waiting for reply)");
    }

    TEST_CASE("a frozen node gives its place in the window back after the stall time") {
        fake_redis frozen(silent());
        fake_redis live(cluster_node(view_line('a', "127.0.0.1:1", "myself,master")));
        auto answered = live_answer_time({frozen.address(), live.address()}, 50ms);
        // The live node started after 50 ms, not after the frozen one's 300 ms timeout; the
        // frozen one still timed out on its own deadline.
        CHECK(answered.live_ms >= 50);
        CHECK(answered.live_ms < 250);
        CHECK(answered.frozen_error == "timed out after 300 ms (waiting for reply)");
    }

    TEST_CASE("an array where a bulk string belongs is refused before it is allocated") {
        fake_redis hostile(always("*2147483647\r\n"));
        auto result = poll({hostile.address()}).result;
        const auto& node = only_node(result);
        CHECK(node.error == "not a Redis reply (array where a bulk string was expected)");
    }
}

TEST_CASE("a peer that sends more than the reply cap is cut off" * doctest::test_suite("poll")) {
    std::string flood = "$999999999\r\n" + std::string(2 * 1024 * 1024, 'x');
    bool sent = false;  // one flood is enough; the fake's thread is the only caller
    fake_redis hostile(
        [&](const auto&) { return std::exchange(sent, true) ? fake_reply{} : fake_reply{flood}; });
    auto request = request_for({hostile.address()}, 5s);
    request.max_reply_bytes = 1024 * 1024;
    auto result = run(request).result;
    const auto& node = only_node(result);
    CHECK_FALSE(node.reachable);
    CHECK(node.error == "replies too large (over 1 MiB)");
}

TEST_SUITE("kept connections") {
    // A node with a password: counts its AUTHs; can hang up after answering INFO.
    struct counting_node {
        std::atomic<int> auths{0};
        std::atomic<bool> hang_up_after_info{false};
        std::mutex view_mutex;  // the view names the server's port: set after it listens
        std::string view;
        fake_redis server;
        counting_node()
            : server([this](const std::vector<std::string>& command) {
                  if (!command.empty() && command[0] == "AUTH") {
                      ++auths;
                      return fake_reply{"+OK\r\n"};
                  }
                  std::string current;
                  {
                      std::lock_guard lock(view_mutex);
                      current = view;
                  }
                  auto reply = cluster_node(current)(command);
                  if (command.size() == 2 && command[0] == "INFO") {
                      reply.close_after = hang_up_after_info.load();
                  }
                  return reply;
              }) {}
        void set_view(std::string text) {
            std::lock_guard lock(view_mutex);
            view = std::move(text);
        }
    };

    TEST_CASE("a poller authenticates once and reuses the connection on the next polls") {
        counting_node node;
        node.set_view(view_line('a', node.server.address(), "myself,master"));
        cluster_poller poller;
        auto request = request_for({node.server.address()}, 1000ms, {std::nullopt, "pw"});
        for (int poll = 0; poll < 3; ++poll) {
            auto result = poller.poll(request);
            CHECK(only_node(result).reachable);
        }
        CHECK(node.auths == 1);
        CHECK(poller.connections_made() == 1);
        CHECK(poller.open_links() == 1);
    }

    TEST_CASE("a one-shot poller has closed a node's link by the time its probe is reported") {
        counting_node node;
        node.set_view(view_line('a', node.server.address(), "myself,master"));
        for (bool keep_links : {true, false}) {
            cluster_poller poller(keep_links);
            std::size_t open_when_reported = 99;
            auto result = poller.poll(request_for({node.server.address()}), {}, [&](node_probe&) {
                open_when_reported = poller.open_links();
            });
            CHECK(only_node(result).reachable);
            CHECK(open_when_reported == (keep_links ? 1U : 0U));
        }
    }

    TEST_CASE("a poll that does not read CLUSTER INFO does not send it") {
        fake_redis server(cluster_node(view_line('a', "127.0.0.1:1", "myself,master")));
        auto request = request_for({server.address()});
        request.read_cluster_info = false;
        auto result = run(request).result;
        CHECK(only_node(result).reachable);
        CHECK(only_node(result).cluster_info.empty());
        for (const auto& command : server.commands_seen()) {
            CHECK(command != std::vector<std::string>{"CLUSTER", "INFO"});
        }
        CHECK(server.commands_seen().size() == 2);  // CLUSTER NODES, INFO replication
    }

    TEST_CASE("a connection the server closed between polls is reopened in the same poll") {
        counting_node node;
        node.set_view(view_line('a', node.server.address(), "myself,master"));
        node.hang_up_after_info = true;  // every connection is closed after its first probe
        cluster_poller poller;
        auto request = request_for({node.server.address()}, 1000ms, {std::nullopt, "pw"});
        for (int poll = 0; poll < 3; ++poll) {
            auto result = poller.poll(request);
            const auto& probe = only_node(result);
            CHECK_MESSAGE(probe.reachable, probe.error);
        }
        CHECK(node.auths == 3);  // a fresh connection, with AUTH, each time
        CHECK(poller.connections_made() == 3);
    }

    TEST_CASE("a failed probe drops the link and a stopped poll starts over") {
        fake_redis locked(always("-NOAUTH Authentication required.\r\n"));
        cluster_poller poller;
        auto first = poller.poll(request_for({locked.address()}));
        CHECK_FALSE(only_node(first).reachable);
        CHECK(poller.open_links() == 0);
        fake_redis quiet(silent());
        std::stop_source stop;
        stop.request_stop();
        auto cancelled = poller.poll(request_for({quiet.address()}, 5000ms), stop.get_token());
        CHECK(cancelled.nodes.empty());  // cancelled before any answer: nothing to judge
        CHECK(poller.open_links() == 0);
        counting_node node;
        node.set_view(view_line('a', node.server.address(), "myself,master"));
        CHECK(only_node(poller.poll(request_for({node.server.address()}))).reachable);
    }
}
