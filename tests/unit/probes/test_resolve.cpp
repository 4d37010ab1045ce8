#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

#include "probes/resolve.hpp"

using namespace warden::probes;
using namespace std::chrono_literals;

namespace {

std::size_t threads_of_this_process() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/task")) {
        ++count;
    }
    return count;
}

}  // namespace

TEST_SUITE("resolve") {
    TEST_CASE("many lookups share a few worker threads and every answer arrives") {
        boost::asio::io_context io;
        auto lifeline = std::make_shared<resolver_lifeline>(io);
        auto before = threads_of_this_process();
        constexpr int lookups = 40;
        int answered = 0;
        int loopback = 0;
        auto pending = boost::asio::make_work_guard(io);
        std::size_t most_threads = before;
        for (int i = 0; i < lookups; ++i) {
            resolve_detached(lifeline, "localhost", 6379,
                             [&](const boost::system::error_code& ec,
                                 std::vector<boost::asio::ip::tcp::endpoint> endpoints) {
                                 ++answered;
                                 for (const auto& endpoint : endpoints) {
                                     if (!ec && endpoint.address().is_loopback()) {
                                         ++loopback;
                                         break;
                                     }
                                 }
                                 most_threads = std::max(most_threads, threads_of_this_process());
                                 if (answered == lookups) pending.reset();
                             });
        }
        most_threads = std::max(most_threads, threads_of_this_process());
        io.run_for(20s);
        lifeline->cut();
        CHECK(answered == lookups);
        CHECK(loopback == lookups);
        // A thread per lookup would be 40 more; the workers are at most 8.
        CHECK(most_threads <= before + 8);
    }
}
