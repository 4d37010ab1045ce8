#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "controller/executor/shell_command.hpp"

using namespace warden;
using namespace std::chrono_literals;

TEST_CASE("a program gets its arguments as they are, and the environment added") {
    auto out = std::string("/tmp/warden-test-run-program-") + std::to_string(::getpid());
    auto ran = executor::run_program(
        {"/bin/sh", "-c", "printf '%s|%s|%s' \"$1\" \"$2\" \"$HOOK_VALUE\" > " + out, "sh",
         "failover", "main two words; $(not run)"},
        {{"HOOK_VALUE", "{\"id\":1}"}}, 5s);
    REQUIRE(ran);
    CHECK(ran->exit_code == 0);
    CHECK_FALSE(ran->timed_out);
    std::ifstream file(out);
    std::stringstream text;
    text << file.rdbuf();
    CHECK(text.str() == "failover|main two words; $(not run)|{\"id\":1}");
    std::remove(out.c_str());
}

TEST_CASE("a program's exit status comes back; one that cannot start is an error") {
    CHECK(executor::run_program({"/bin/sh", "-c", "exit 2"}, {}, 5s)->exit_code == 2);
    auto missing = executor::run_program({"/nonexistent/hook"}, {}, 5s);
    if (missing) {
        CHECK(missing->exit_code == 127);  // posix_spawn may report it from the child
    } else {
        CHECK(missing.failure().message.find("/nonexistent/hook") != std::string::npos);
    }
}

TEST_CASE("a program past its bound is killed, with what it started, and says so") {
    auto started = std::chrono::steady_clock::now();
    auto ran = executor::run_program({"/bin/sh", "-c", "sleep 30; exit 0"}, {}, 200ms);
    REQUIRE(ran);
    CHECK(ran->timed_out);
    CHECK(ran->exit_code != 0);
    CHECK(std::chrono::steady_clock::now() - started < 6s);
}

TEST_CASE("a stop request kills a running program at once") {
    std::stop_source stopping;
    std::jthread stopper([&] {
        std::this_thread::sleep_for(200ms);
        stopping.request_stop();
    });
    auto started = std::chrono::steady_clock::now();
    auto ran = executor::run_program({"/bin/sleep", "30"}, {}, 60s, stopping.get_token());
    REQUIRE(ran);
    CHECK(ran->stopped);
    CHECK_FALSE(ran->timed_out);
    CHECK(std::chrono::steady_clock::now() - started < 3s);
}
