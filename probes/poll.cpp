#include "probes/poll.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <memory>

#include "probes/discovery.hpp"
#include "probes/node_session.hpp"
#include "probes/resolve.hpp"

namespace warden::probes {
namespace {

// One poll: every session shares the caller's io_context, so all nodes run in parallel
// and a node found in any view starts at once, costing at most one timeout more.
class poll_round {
  public:
    poll_round(boost::asio::io_context& io, const poll_request& request)
        : io_(io),
          request_(request),
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
    void launch(std::vector<probe_target> targets) {
        for (auto& target : targets) {
            session_hooks hooks{
                [this](std::string_view text) { launch(discovery_.on_cluster_nodes(text)); },
                [this](node_probe probe) { probes_.push_back(std::move(probe)); },
            };
            sessions_.push_back(
                std::make_unique<node_session>(io_, lifeline_, std::move(target), request_, hooks));
            sessions_.back()->start();
        }
    }

    boost::asio::io_context& io_;
    const poll_request& request_;
    std::shared_ptr<resolver_lifeline> lifeline_;
    discovery discovery_;
    std::vector<node_probe> probes_;
    std::deque<std::unique_ptr<node_session>> sessions_;
};

}  // namespace

snapshot poll_cluster(const poll_request& request, std::stop_token stop) {
    boost::asio::io_context io;
    poll_round round(io, request);
    // io_context::stop() is thread safe; handlers not yet run are destroyed with `io`,
    // after the round's sessions (declared later, destroyed first).
    std::stop_callback cancel(stop, [&io] { io.stop(); });
    round.start();
    io.run();
    return round.take_snapshot();
}

}  // namespace warden::probes
