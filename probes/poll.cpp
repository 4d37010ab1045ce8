#include "probes/poll.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "probes/discovery.hpp"
#include "probes/node_session.hpp"
#include "probes/resolve.hpp"

namespace warden::probes {
namespace {

// Every node's connection by address; a poll adds what it probes.
using link_table = std::map<std::string, std::unique_ptr<node_link>>;

// One poll: every session shares the caller's io_context, so all nodes run in parallel
// and a node found in any view starts at once, costing at most one timeout more.
class poll_round {
  public:
    poll_round(boost::asio::io_context& io, const poll_request& request, link_table& links,
               const probe_sink& sink, bool keep_links)
        : io_(io),
          request_(request),
          links_(links),
          sink_(sink),
          keep_links_(keep_links),
          lifeline_(std::make_shared<resolver_lifeline>(io)),
          discovery_(request.discover) {}

    poll_round(const poll_round&) = delete;
    poll_round& operator=(const poll_round&) = delete;

    // Sessions die with the round, before the io_context; late lookups must not reach it.
    ~poll_round() { lifeline_->cut(); }

    void start() { launch(discovery_.claim_seeds(request_.seeds, probes_)); }

    snapshot take_snapshot() {
        std::sort(probes_.begin(), probes_.end(),
                  [](const node_probe& a, const node_probe& b) { return a.address < b.address; });
        return snapshot{request_.cluster_name, std::move(probes_)};
    }

  private:
    // Starts one session per turn of the event loop, not all at once: between two starts
    // the loop sends the request of every node already connected, so the first nodes work
    // on their replies while warden is still connecting to the others (connecting to 89
    // nodes in one go delayed every request by all 89 connects).
    void launch(std::vector<probe_target> targets) {
        const bool idle = waiting_.empty();
        for (auto& target : targets) waiting_.push_back(std::move(target));
        if (idle && !waiting_.empty()) boost::asio::post(io_, [this] { start_next(); });
    }

    void start_next() {
        auto target = std::move(waiting_.front());
        waiting_.pop_front();
        if (!waiting_.empty()) boost::asio::post(io_, [this] { start_next(); });
        const std::string address = target.address;
        session_hooks hooks{
            [this](std::string_view text) { launch(discovery_.on_cluster_nodes(text)); },
            [this, address](node_probe probe) {
                // A one-shot poll closes each link at once, while other nodes still answer,
                // rather than all of them after the last reply.
                if (!keep_links_) {
                    auto& link = *links_[address];
                    link.open = false;
                    link.stream.close();
                }
                if (sink_) sink_(probe);
                probes_.push_back(std::move(probe));
            },
        };
        auto& link = links_[address];
        if (!link) link = std::make_unique<node_link>(io_);
        sessions_.push_back(std::make_unique<node_session>(io_, lifeline_, std::move(target),
                                                           request_, *link, hooks));
        sessions_.back()->start();
    }

    boost::asio::io_context& io_;
    const poll_request& request_;
    link_table& links_;
    const probe_sink& sink_;
    bool keep_links_;
    std::shared_ptr<resolver_lifeline> lifeline_;
    discovery discovery_;
    std::deque<probe_target> waiting_;  // discovered, not started yet
    std::vector<node_probe> probes_;
    std::deque<std::unique_ptr<node_session>> sessions_;
};

}  // namespace

snapshot poll_cluster(const poll_request& request, std::stop_token stop) {
    cluster_poller once(false);
    return once.poll(request, std::move(stop));
}

struct cluster_poller::state {
    // Declared first, destroyed last: the links' sockets belong to it.
    std::unique_ptr<boost::asio::io_context> io = std::make_unique<boost::asio::io_context>();
    link_table links;

    // Drops every link and the loop with whatever a cancelled poll left queued in it
    // (handlers of sessions already destroyed are destroyed, never run).
    void start_over() {
        links.clear();
        io = std::make_unique<boost::asio::io_context>();
    }
};

cluster_poller::cluster_poller(bool keep_links)
    : state_(std::make_unique<state>()), keep_links_(keep_links) {}
cluster_poller::~cluster_poller() = default;  // state: links (sockets) before their io

std::size_t cluster_poller::open_links() const {
    std::size_t open = 0;
    for (const auto& [address, link] : state_->links) open += link->open ? 1 : 0;
    return open;
}

snapshot cluster_poller::poll(const poll_request& request, std::stop_token stop,
                              const probe_sink& sink) {
    auto& io = *state_->io;
    io.restart();
    snapshot result;
    {
        poll_round round(io, request, state_->links, sink, keep_links_);
        // io_context::stop() is thread safe; what it leaves queued is dropped by start_over.
        std::stop_callback cancel(stop, [&io] { io.stop(); });
        round.start();
        io.run();
        result = round.take_snapshot();
    }
    result.observed_at = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    if (stop.stop_requested()) {
        state_->start_over();
        return result;
    }
    // A node no longer probed (left the cluster, or not discovered this time): close it.
    std::set<std::string> probed;
    for (const auto& probe : result.nodes) probed.insert(probe.address);
    for (auto it = state_->links.begin(); it != state_->links.end();) {
        connections_made_ += std::exchange(it->second->connects, 0);
        handshakes_made_ += std::exchange(it->second->handshakes, 0);
        if (!probed.contains(it->first) || !it->second->open) {
            it = state_->links.erase(it);
        } else {
            ++it;
        }
    }
    return result;
}

}  // namespace warden::probes
