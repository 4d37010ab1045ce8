#include "probes/resolve.hpp"

#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <system_error>
#include <thread>

namespace warden::probes {
namespace {

using boost::asio::ip::tcp;

std::vector<tcp::endpoint> lookup(const std::string& host, std::uint16_t port,
                                  boost::system::error_code& ec) {
    // A synchronous resolve calls getaddrinfo on this thread; the local io_context is
    // only there because Asio's resolver needs one. No AI_ADDRCONFIG: it hides "localhost"
    // on hosts whose only interface is loopback.
    boost::asio::io_context local;
    tcp::resolver resolver(local);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
    std::vector<tcp::endpoint> endpoints;
    if (!ec) {
        for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }
    return endpoints;
}

}  // namespace

void resolver_lifeline::cut() {
    std::lock_guard lock(mutex_);
    io_ = nullptr;
}

void resolver_lifeline::deliver(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    if (io_ != nullptr) boost::asio::post(*io_, std::move(work));
}

namespace {

// The lookups' threads: long-lived workers take lookups from a queue, so a poll of a
// cluster named by hostnames does not start a thread per node. A worker stuck in
// getaddrinfo (a DNS server that never answers) holds only itself: while lookups wait and
// no worker is idle another is started, up to max_workers; past that they queue, and the
// polls' deadlines abandon them as before. A worker idle for a while ends.
class resolver_workers {
  public:
    static constexpr int max_workers = 8;
    static constexpr std::chrono::seconds idle_life{30};

    // Runs `task` on a worker. False when no worker exists and none could be started.
    static bool submit(std::function<void()> task) {
        // Shared with every worker, so it outlives static destruction at exit while a
        // worker is still blocked in a lookup.
        static const auto shared = std::make_shared<state>();
        std::unique_lock lock(shared->mutex);
        shared->queue.push_back(std::move(task));
        if (static_cast<int>(shared->queue.size()) > shared->idle &&
            shared->workers < max_workers) {
            try {
                std::thread([shared_state = shared] { work(*shared_state); }).detach();
                ++shared->workers;
            } catch (const std::system_error&) {
                if (shared->workers == 0) {
                    shared->queue.pop_back();
                    return false;
                }
            }
        }
        lock.unlock();
        shared->wake.notify_one();
        return true;
    }

  private:
    struct state {
        std::mutex mutex;
        std::condition_variable wake;
        std::deque<std::function<void()>> queue;
        int idle = 0;     // workers waiting for a lookup
        int workers = 0;  // workers alive
    };

    static void work(state& shared) {
        std::unique_lock lock(shared.mutex);
        while (true) {
            ++shared.idle;
            bool woken =
                shared.wake.wait_for(lock, idle_life, [&] { return !shared.queue.empty(); });
            --shared.idle;
            if (!woken) {
                --shared.workers;
                return;
            }
            auto task = std::move(shared.queue.front());
            shared.queue.pop_front();
            lock.unlock();
            task();
            lock.lock();
        }
    }
};

}  // namespace

void resolve_detached(const std::shared_ptr<resolver_lifeline>& lifeline, std::string host,
                      std::uint16_t port, resolve_handler handler) {
    auto task = [lifeline, host = std::move(host), port, handler]() {
        boost::system::error_code ec;
        auto endpoints = lookup(host, port, ec);
        lifeline->deliver([handler, ec, endpoints = std::move(endpoints)]() mutable {
            handler(ec, std::move(endpoints));
        });
    };
    if (!resolver_workers::submit(std::move(task))) {
        // No thread to spare: report it like any resolution failure, asynchronously.
        auto ec = boost::system::errc::make_error_code(
            boost::system::errc::resource_unavailable_try_again);
        lifeline->deliver([handler, ec]() { handler(ec, {}); });
    }
}

}  // namespace warden::probes
