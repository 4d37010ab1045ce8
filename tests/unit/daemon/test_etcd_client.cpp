// The etcd client against a real etcd (Debian's etcd-server, one member on loopback, started
// and killed here by pid): its kept connection across calls, across an etcd restart, and a
// frozen etcd (SIGSTOP) bounding a call by the timeout. Skipped where etcd is not installed.
#include <doctest/doctest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "controller/daemon/etcd_client.hpp"
#include "controller/daemon/http_post.hpp"

extern char** environ;

using namespace warden;
using namespace warden::daemon;
using namespace std::chrono_literals;

namespace {

std::string etcd_binary() {
    const char* configured = std::getenv("ETCD_SERVER");
    return configured ? configured : "/usr/bin/etcd";
}

bool port_free(std::uint16_t port) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io);
    boost::system::error_code ec;
    probe.open(boost::asio::ip::tcp::v4(), ec);
    if (!ec) probe.bind({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    return !ec;
}

// Two free loopback ports in a row, where test_coordination.py takes etcd's: below the
// harness' Redis ports and outside the ephemeral range, so no client connection takes one
// between etcd's restarts.
std::uint16_t free_port_pair() {
    std::mt19937 pick(std::random_device{}());
    std::uniform_int_distribution<int> ports(11000, 11997);
    for (int attempt = 0; attempt < 50; ++attempt) {
        auto port = static_cast<std::uint16_t>(ports(pick));
        if (port_free(port) && port_free(port + 1)) return port;
    }
    FAIL("no two free ports for etcd");
    return 0;
}

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

class etcd_process {
  public:
    etcd_process() : client_port_(free_port_pair()), peer_port_(client_port_ + 1) {
        char pattern[] = "/tmp/warden-etcd-XXXXXX";
        dir_ = mkdtemp(pattern);
        start();
    }
    ~etcd_process() {
        kill();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(client_port_); }

    void start() {
        auto client = endpoint();
        auto peer = "http://127.0.0.1:" + std::to_string(peer_port_);
        std::vector<std::string> args{etcd_binary(),
                                      "--name",
                                      "warden-test",
                                      "--data-dir",
                                      dir_ + "/data",
                                      "--listen-client-urls",
                                      client,
                                      "--advertise-client-urls",
                                      client,
                                      "--listen-peer-urls",
                                      peer,
                                      "--initial-advertise-peer-urls",
                                      peer,
                                      "--initial-cluster",
                                      "warden-test=" + peer,
                                      "--initial-cluster-state",
                                      "new"};
        std::vector<char*> argv;
        for (auto& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        auto log = dir_ + "/etcd.log";
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE(spawned == 0);
        wait_answering();
    }

    // SIGSTOP, then waits until every thread of etcd has stopped (a signal is delivered
    // asynchronously: a thread running on the other core may still answer for a moment).
    void freeze() {
        ::kill(pid_, SIGSTOP);
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!all_threads_stopped() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(10ms);
        }
        REQUIRE(all_threads_stopped());
    }
    void thaw() { ::kill(pid_, SIGCONT); }

    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGCONT);
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

  private:
    bool all_threads_stopped() const {
        auto tasks = "/proc/" + std::to_string(pid_) + "/task";
        for (const auto& task : std::filesystem::directory_iterator(tasks)) {
            std::ifstream stat(task.path() / "stat");
            std::string line;
            std::getline(stat, line);
            auto state = line.rfind(')');  // "pid (comm) S ...": the state follows the name
            if (state == std::string::npos || line.compare(state, 3, ") T") != 0) return false;
        }
        return true;
    }

    void wait_answering() {
        http_post_target status{"127.0.0.1", client_port_, false, "/v3/maintenance/status", "etcd"};
        http_post_request call;
        call.body = "{}";
        auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            auto reply = http_post(status, call, nullptr, 500ms);
            if (reply && reply->status == 200) return;
            std::this_thread::sleep_for(100ms);
        }
        std::ifstream log(dir_ + "/etcd.log");
        std::string text((std::istreambuf_iterator<char>(log)), {});
        FAIL("etcd did not answer on " << endpoint() << " within 30 s; its log:\n"
                                       << text.substr(text.size() > 3000 ? text.size() - 3000 : 0));
    }

    std::uint16_t client_port_;
    std::uint16_t peer_port_;
    std::string dir_;
    pid_t pid_ = -1;
};

std::shared_ptr<etcd_session> session_for(const etcd_process& etcd) {
    config::coordination_settings settings;
    settings.backend = "etcd";
    settings.endpoints = {etcd.endpoint()};
    return std::make_shared<etcd_session>(settings);
}

bool etcd_installed() {
    if (std::filesystem::exists(etcd_binary())) return true;
    MESSAGE("skipped: no etcd at " << etcd_binary());
    return false;
}

}  // namespace

TEST_SUITE("etcd") {
    TEST_CASE("many calls to a real etcd share one connection") {
        if (!etcd_installed()) return;
        etcd_process etcd;
        etcd_client client(session_for(etcd), 1000ms);
        for (int call = 0; call < 50; ++call) {
            auto put = client.post(put_call("/warden-test/key", std::to_string(call), 0));
            REQUIRE(put.has_value());
            CHECK(put->status == 200);
            REQUIRE(client.post(get_call("/warden-test/key")).has_value());
        }
        CHECK(client.connections_made() == 1);
    }

    TEST_CASE("after an etcd restart the next call works, on a fresh connection") {
        if (!etcd_installed()) return;
        etcd_process etcd;
        etcd_client client(session_for(etcd), 1000ms);
        REQUIRE(client.post(put_call("/warden-test/key", "before", 0)).has_value());
        etcd.kill();
        etcd.start();
        auto reply = client.post(get_call("/warden-test/key"));
        REQUIRE(reply.has_value());
        CHECK(reply->status == 200);
        CHECK(client.connections_made() == 2);
    }

    TEST_CASE("a frozen etcd bounds a call by the timeout, kept connection or fresh") {
        if (!etcd_installed()) return;
        etcd_process etcd;
        etcd_client kept(session_for(etcd), 300ms);
        REQUIRE(kept.post(get_call("/warden-test/key")).has_value());
        etcd.freeze();
        for (auto* client : {&kept, static_cast<etcd_client*>(nullptr)}) {
            etcd_client fresh(session_for(etcd), 300ms);
            auto& caller = client ? *client : fresh;
            auto start = std::chrono::steady_clock::now();
            auto reply = caller.post(get_call("/warden-test/key"));
            auto took = since(start);
            REQUIRE_FALSE(reply.has_value());
            CHECK(reply.failure().message.find("timed out after 300 ms") != std::string::npos);
            CHECK(took >= 290ms);
            CHECK(took < 600ms);
        }
        etcd.thaw();
        REQUIRE(kept.post(get_call("/warden-test/key")).has_value());
        CHECK(kept.connections_made() == 2);
    }
}
