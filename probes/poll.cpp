#include "probes/poll.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
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

// One poll: every session shares the caller's io_context, so nodes run in parallel (up to
// max_in_flight at once) and a node found in any view starts as soon as the window has room,
// costing at most one timeout more.
class poll_round {
  public:
    poll_round(boost::asio::io_context& io, const poll_request& request, link_table& links,
               const probe_sink& sink, const folding_sink& folding, bool keep_links)
        : io_(io),
          request_(request),
          links_(links),
          sink_(sink),
          folding_(folding),
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
    // A started session, and whether it still counts against max_in_flight.
    struct running {
        explicit running(boost::asio::io_context& io) : stall(io) {}
        std::unique_ptr<node_session> session;
        boost::asio::steady_timer stall;
        bool holds_place = true;
    };

    void launch(std::vector<probe_target> targets) {
        for (auto& target : targets) waiting_.push_back(std::move(target));
        schedule_start();
    }

    bool may_start() const {
        const auto window = request_.max_in_flight;
        return !waiting_.empty() && (window == 0 || in_flight_ < window);
    }

    // Starts one session per turn of the event loop, not all at once: between two starts
    // the loop sends the request of every node already connected, so the first nodes work
    // on their replies while warden is still connecting to the others (connecting to 89
    // nodes in one go delayed every request by all 89 connects).
    void schedule_start() {
        if (start_posted_ || !may_start()) return;
        start_posted_ = true;
        boost::asio::post(io_, [this] {
            start_posted_ = false;
            if (!may_start()) return;
            auto target = std::move(waiting_.front());
            waiting_.pop_front();
            start(std::move(target));
            schedule_start();
        });
    }

    void start(probe_target target) {
        // A deque keeps every element where it is: the hooks below hold on to this one.
        auto& started = running_.emplace_back(io_);
        ++in_flight_;
        auto& link = links_[target.address];
        if (!link) link = std::make_unique<node_link>(io_);
        session_hooks hooks{
            [this](std::string_view text) {
                if (!folding_) launch(discovery_.on_cluster_nodes(text));
            },
            [this, &started, &link = *link](node_probe probe) {
                // A one-shot poll closes each link at once, while other nodes still answer,
                // rather than all of them after the last reply.
                if (!keep_links_) {
                    link.open = false;
                    link.stream.close();
                }
                if (sink_) sink_(probe);
                if (folding_) launch(discovery_.on_lines(folding_(probe)));
                probes_.push_back(std::move(probe));
                give_place_back(started);
            },
        };
        started.session = std::make_unique<node_session>(io_, lifeline_, std::move(target),
                                                         request_, *link, hooks);
        if (request_.max_in_flight != 0) {
            started.stall.expires_after(request_.window_stall);
            started.stall.async_wait([this, &started](const boost::system::error_code& ec) {
                if (!ec) give_place_back(started);
            });
        }
        started.session->start();
    }

    void give_place_back(running& session) {
        if (!std::exchange(session.holds_place, false)) return;
        session.stall.cancel();
        --in_flight_;
        schedule_start();
    }

    boost::asio::io_context& io_;
    const poll_request& request_;
    link_table& links_;
    const probe_sink& sink_;
    const folding_sink& folding_;
    bool keep_links_;
    std::shared_ptr<resolver_lifeline> lifeline_;
    discovery discovery_;
    std::vector<node_probe> probes_;
    std::deque<probe_target> waiting_;  // found, not started: the window is full or not yet
    std::deque<running> running_;
    std::size_t in_flight_ = 0;
    bool start_posted_ = false;  // a start is queued on the loop
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
    return run_poll(request, std::move(stop), sink, {});
}

snapshot cluster_poller::poll_folding(const poll_request& request, std::stop_token stop,
                                      const folding_sink& sink) {
    return run_poll(request, std::move(stop), {}, sink);
}

snapshot cluster_poller::run_poll(const poll_request& request, std::stop_token stop,
                                  const probe_sink& sink, const folding_sink& folding) {
    auto& io = *state_->io;
    io.restart();
    snapshot result;
    {
        poll_round round(io, request, state_->links, sink, folding, keep_links_);
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
