#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "controller/daemon/sink_senders.hpp"
#include "fake_http.hpp"

using namespace warden;
using namespace warden::daemon;
using namespace warden::daemon::testing;
using namespace std::chrono_literals;

TEST_SUITE("sink_senders") {
    TEST_CASE("a webhook sink delivers one event after another on one kept connection") {
        fake_http receiver([](int, int) { return http_answer::reply; });
        config::notify_sink_settings settings;
        settings.kind = config::sink_kind::webhook;
        settings.name = "hook";
        settings.url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/events";
        settings.timeout = 1000ms;
        auto send = make_sender(settings);
        for (int n = 0; n < 5; ++n) {
            auto item = make_event("main", event_type::finding_raised, event_severity::warning, n);
            auto attempt = send(item, 1, {});
            CHECK(attempt.verdict == delivery_verdict::sent);
            CHECK(attempt.what == "HTTP 200");
        }
        CHECK(receiver.requests() == 5);
        CHECK(receiver.connections() == 1);
    }
}
