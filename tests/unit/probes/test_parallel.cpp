#include "probes/parallel.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace warden::probes {
namespace {

// Counts bodies in flight and remembers the most seen at once. A body can wait (bounded)
// until `wanted` run together, so the test proves real parallelism without sleeping.
class concurrency_meter {
  public:
    explicit concurrency_meter(int wanted) : wanted_(wanted) {}

    void enter() {
        std::unique_lock lock(mutex_);
        ++current_;
        if (current_ > most_) most_ = current_;
        if (most_ >= wanted_) woken_.notify_all();
        woken_.wait_for(lock, std::chrono::seconds(5), [&] { return most_ >= wanted_; });
    }
    void leave() {
        std::lock_guard lock(mutex_);
        --current_;
    }
    int most() const {
        std::lock_guard lock(mutex_);
        return most_;
    }

  private:
    int wanted_;
    mutable std::mutex mutex_;
    std::condition_variable woken_;
    int current_ = 0;
    int most_ = 0;
};

std::vector<int> hits_of(std::vector<std::atomic<int>>& hits) {
    std::vector<int> plain;
    for (auto& hit : hits) plain.push_back(hit.load());
    return plain;
}

}  // namespace

TEST_SUITE("parallel") {
    TEST_CASE("every index runs exactly once and its result is visible after return") {
        std::vector<std::atomic<int>> hits(1000);
        std::vector<std::size_t> written(1000, 0);
        parallel_for(hits.size(), 4, [&](std::size_t i) {
            ++hits[i];
            written[i] = i + 1;  // plain writes: the join publishes them
        });
        CHECK(hits_of(hits) == std::vector<int>(1000, 1));
        for (std::size_t i = 0; i < written.size(); ++i) REQUIRE(written[i] == i + 1);
    }

    TEST_CASE("no more bodies run at once than there are workers, and that many do") {
        concurrency_meter meter(3);
        parallel_for(12, 3, [&](std::size_t) {
            meter.enter();
            meter.leave();
        });
        CHECK(meter.most() == 3);
    }

    TEST_CASE("zero items run no body") {
        std::atomic<int> calls{0};
        parallel_for(0, 4, [&](std::size_t) { ++calls; });
        CHECK(calls == 0);
    }

    TEST_CASE("more workers than items start no more threads than items") {
        concurrency_meter meter(3);
        std::vector<std::atomic<int>> hits(3);
        std::mutex mutex;
        std::set<std::thread::id> threads;
        parallel_for(hits.size(), 16, [&](std::size_t i) {
            meter.enter();
            {
                std::lock_guard lock(mutex);
                threads.insert(std::this_thread::get_id());
            }
            ++hits[i];
            meter.leave();
        });
        CHECK(hits_of(hits) == std::vector<int>(3, 1));
        CHECK(meter.most() == 3);
        CHECK(threads.size() == 3);
    }

    TEST_CASE("one worker (or zero, which counts as one) runs every item on the calling thread") {
        for (std::size_t workers : {0, 1}) {
            CAPTURE(workers);
            std::vector<std::size_t> order;
            std::set<std::thread::id> threads;
            parallel_for(5, workers, [&](std::size_t i) {
                order.push_back(i);
                threads.insert(std::this_thread::get_id());
            });
            CHECK(order == std::vector<std::size_t>{0, 1, 2, 3, 4});
            CHECK(threads == std::set<std::thread::id>{std::this_thread::get_id()});
        }
    }

    TEST_CASE("stop is asked before each item and no item starts once it says yes") {
        SUBCASE("one worker stops right after the item that asked for it") {
            std::atomic<bool> stop{false};
            std::vector<std::size_t> ran;
            parallel_for(
                100, 1, [&] { return stop.load(); },
                [&](std::size_t i) {
                    ran.push_back(i);
                    if (i == 5) stop = true;
                });
            CHECK(ran == std::vector<std::size_t>{0, 1, 2, 3, 4, 5});
        }
        SUBCASE("several workers finish at most the items already past the question") {
            std::atomic<bool> stop{false};
            std::atomic<int> ran{0};
            parallel_for(
                1000, 4, [&] { return stop.load(); },
                [&](std::size_t) {
                    ++ran;
                    stop = true;
                });
            CHECK(ran >= 1);
            CHECK(ran <= 4);
        }
        SUBCASE("a stop already true runs nothing") {
            std::atomic<int> ran{0};
            parallel_for(
                10, 2, [] { return true; }, [&](std::size_t) { ++ran; });
            CHECK(ran == 0);
        }
    }

    TEST_CASE("each worker has its own state, made, used and destroyed on its own thread") {
        struct record {
            std::thread::id made_on, destroyed_on;
            std::vector<std::size_t> items;
        };
        static std::mutex mutex;
        static std::vector<record> destroyed;  // filled by the states' destructors
        struct worker_state {
            record mine{std::this_thread::get_id(), {}, {}};
            worker_state() = default;
            worker_state(const worker_state&) = delete;
            worker_state& operator=(const worker_state&) = delete;
            ~worker_state() {
                mine.destroyed_on = std::this_thread::get_id();
                std::lock_guard lock(mutex);
                destroyed.push_back(std::move(mine));
            }
        };
        destroyed.clear();
        concurrency_meter meter(2);  // both workers take an item before either goes on
        std::atomic<bool> used_elsewhere{false};
        parallel_for_with_state<worker_state>(
            40, 2, stop_predicate{}, [&](worker_state& state, std::size_t i) {
                if (state.mine.made_on != std::this_thread::get_id()) used_elsewhere = true;
                if (state.mine.items.empty()) {
                    meter.enter();
                    meter.leave();
                }
                state.mine.items.push_back(i);
            });
        CHECK_FALSE(used_elsewhere);
        REQUIRE(destroyed.size() == 2);  // one per worker, both gone before the return
        std::vector<int> hits(40, 0);
        for (const auto& state : destroyed) {
            CHECK(state.made_on == state.destroyed_on);
            for (auto i : state.items) ++hits[i];
        }
        CHECK(destroyed[0].made_on != destroyed[1].made_on);
        CHECK(hits == std::vector<int>(40, 1));
    }
}

}  // namespace warden::probes
