// The one way the I/O shell fans work out over threads (the security poll, the executor's
// slot moves and key routing). Why one toolkit: a single dialect to read and review, a bound
// on threads (never more than `workers`, never more than there are items), and every thread
// joined before the call returns, so a body may capture the caller's locals by reference and
// the caller reads the results without further synchronisation.
//
// Items are handed out by one shared atomic counter in increasing index order: a worker takes
// the next item as soon as it is done with its last, so a slow item (a node timing out) holds
// up no other. The calling thread works as one of the workers (a single worker starts no
// thread at all). A body must not throw: as in any std::thread, an escaping exception ends
// the process; report failures through what the body writes.
//
// The pure core (controller/core) gets no threads: this lives in probes/, the I/O shell.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

namespace warden::probes {

// Asked before each item is started; true stops handing out items (items already running
// finish). An empty predicate never stops. A std::stop_token fits as
// [&token] { return token.stop_requested(); }.
using stop_predicate = std::function<bool()>;

namespace detail {

// Runs worker() on `threads` threads, the caller's among them, all joined before return.
template <class Worker>
void run_workers(std::size_t threads, Worker& worker) {
    if (threads == 0) return;
    std::vector<std::jthread> others;
    others.reserve(threads - 1);
    for (std::size_t t = 1; t < threads; ++t) others.emplace_back([&worker] { worker(); });
    worker();
}  // `others` joins here

struct no_state {};

}  // namespace detail

// body(state, i) for every i in [0, count), each at most once (exactly once unless stopped),
// on at most `workers` threads (0 counts as 1). Each worker default-constructs its own State
// on its own thread before its first item and destroys it there when it runs out of items:
// per-worker resources (say, connections kept from one item to the next) are never shared
// and are released as soon as their worker is done.
template <class State, class Body>
void parallel_for_with_state(std::size_t count, std::size_t workers, const stop_predicate& stop,
                             Body&& body) {
    std::atomic<std::size_t> next{0};
    auto worker = [&]() noexcept {
        State state{};
        // relaxed: the counter only hands out distinct indices; joining orders the results.
        for (auto i = next.fetch_add(1, std::memory_order_relaxed); i < count;
             i = next.fetch_add(1, std::memory_order_relaxed)) {
            if (stop && stop()) return;
            body(state, i);
        }
    };
    detail::run_workers(std::min(std::max<std::size_t>(workers, 1), count), worker);
}

// body(i) for every i in [0, count), each at most once, on at most `workers` threads;
// stop() is asked before each item.
template <class Body>
void parallel_for(std::size_t count, std::size_t workers, const stop_predicate& stop, Body&& body) {
    parallel_for_with_state<detail::no_state>(
        count, workers, stop, [&body](detail::no_state&, std::size_t i) { body(i); });
}

// body(i) for every i in [0, count), each exactly once, on at most `workers` threads.
template <class Body>
void parallel_for(std::size_t count, std::size_t workers, Body&& body) {
    parallel_for(count, workers, stop_predicate{}, std::forward<Body>(body));
}

}  // namespace warden::probes
