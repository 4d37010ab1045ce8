#include "controller/daemon/daemon.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <thread>

#include "config/settings.hpp"
#include "controller/daemon/cluster_monitor.hpp"
#include "controller/daemon/coordinator.hpp"
#include "controller/daemon/event_journal.hpp"
#include "controller/daemon/http_server.hpp"
#include "controller/daemon/page_route.hpp"
#include "controller/daemon/notifier.hpp"
#include "controller/daemon/status_board.hpp"
#include "controller/daemon/systemd_notify.hpp"
#include "controller/executor/configured_cluster.hpp"
#include "probes/completion.hpp"

namespace warden::daemon {
namespace {

using namespace std::chrono_literals;

// %* in the JSON pattern: the message as the inside of a JSON string.
class json_escaped_message : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& message, const std::tm&,
                spdlog::memory_buf_t& out) override {
        for (char c : std::string_view(message.payload.data(), message.payload.size())) {
            if (c == '"' || c == '\\') {
                out.push_back('\\');
                out.push_back(c);
            } else if (static_cast<unsigned char>(c) < 0x20) {
                fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<int>(c));
            } else {
                out.push_back(c);
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<json_escaped_message>();
    }
};

void configure_logging(const config::log_settings& log) {
    auto logger = spdlog::stderr_logger_mt("warden");
    if (log.format == "json") {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<json_escaped_message>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})");
        logger->set_formatter(std::move(formatter));
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
    }
    logger->set_level(spdlog::level::from_str(log.level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

http_response route(const status_board& board, const event_journal& journal,
                    const std::string& target) {
    auto query_at = target.find('?');
    auto path = target.substr(0, query_at);
    auto now = std::chrono::system_clock::now();
    if (path == "/metrics") {
        return {200, "text/plain; version=0.0.4; charset=utf-8", board.metrics_text()};
    }
    if (path == "/status") return {200, "application/json", board.status_json(now) + "\n"};
    if (path == "/") return page_response(board.status_document(now), target);
    if (path == "/healthz") {
        auto verdict = board.health(now);
        return {verdict.fresh ? 200 : 503, "text/plain; charset=utf-8",
                (verdict.fresh ? "ok\n" : "stale\n") + verdict.detail};
    }
    if (path == "/events") {
        auto query = query_at == std::string::npos ? std::string() : target.substr(query_at + 1);
        auto answer = answer_events(journal, query);
        return {answer.status,
                answer.status == 200 ? "application/json" : "text/plain; charset=utf-8",
                answer.body};
    }
    return {404, "text/plain; charset=utf-8",
            "not found: try /metrics, /status, /healthz, /events\n"};
}

// "host-a:4242@10.0.0.7:9736": what an operator sees as the lease holder (hostname and
// pid of the process, and where its /status answers).
std::string instance_identity(const std::string& listen_address) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
    return fmt::format("{}:{}@{}", host, getpid(), listen_address);
}

// Only an instance that would act campaigns for a cluster's lease: one in observe mode
// holding it would leave the cluster with no actor at all.
bool campaigns(const config::cluster_settings& cluster) {
    return cluster.heal.mode == config::heal_mode::heal;
}

// Everything one loaded config runs: the board's cluster list and one monitor per cluster.
// Thread safe: a reload swaps the set on its own thread while the watchdog tick reads it.
class monitor_set {
  public:
    // `requests`: one per cluster, in order (executor::poll_requests_of).
    void start(const config::settings& settings, std::vector<probes::poll_request> requests,
               status_board& board, coordinator& coordination, event_journal& journal) {
        std::lock_guard lock(mutex_);
        if (closed_) return;  // shutting down: a reload that finishes now starts nothing
        std::vector<std::pair<std::string, std::chrono::milliseconds>> names;
        std::vector<std::string> cluster_names;
        auto shortest_poll = std::chrono::milliseconds::max();
        for (const auto& cluster : settings.clusters) {
            names.emplace_back(cluster.name, cluster.poll_interval);
            if (campaigns(cluster)) cluster_names.push_back(cluster.name);
            shortest_poll = std::min(shortest_poll, cluster.poll_interval);
        }
        board.set_clusters(names);
        journal.set_keep(static_cast<std::size_t>(settings.events.keep));
        coordination.set_clusters(cluster_names, shortest_poll);
        coordination.start();
        for (std::size_t i = 0; i < settings.clusters.size(); ++i) {
            monitors_.push_back(std::make_unique<cluster_monitor>(
                settings.clusters[i], std::move(requests.at(i)), board, coordination, journal));
            monitors_.back()->start();
        }
    }
    // Hands the running monitors over (stop requested) and leaves the set empty.
    std::vector<std::unique_ptr<cluster_monitor>> take() {
        std::lock_guard lock(mutex_);
        for (auto& monitor : monitors_) monitor->request_stop();
        return std::exchange(monitors_, {});
    }
    // Stops every monitor and refuses any later start().
    void close() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        for (auto& monitor : monitors_) monitor->request_stop();
    }
    bool wait_finished(std::chrono::steady_clock::time_point deadline) const {
        std::lock_guard lock(mutex_);
        for (const auto& monitor : monitors_) {
            if (!monitor->wait_finished(deadline)) return false;
        }
        return true;
    }
    bool all_alive() const {
        std::lock_guard lock(mutex_);
        auto now = std::chrono::steady_clock::now();
        for (const auto& monitor : monitors_) {
            if (now - monitor->heartbeat() > monitor->liveness_budget()) return false;
        }
        return true;
    }
    void clear() { take(); }  // joins

  private:
    mutable std::mutex mutex_;
    bool closed_ = false;
    std::vector<std::unique_ptr<cluster_monitor>> monitors_;
};

class daemon_process {
  public:
    daemon_process(run_options options, config::settings settings,
                   std::vector<probes::poll_request> requests)
        : options_(std::move(options)),
          settings_(std::move(settings)),
          requests_(std::move(requests)),
          board_(options_.version),
          journal_(board_, static_cast<std::size_t>(settings_.events.keep)),
          notifier_(board_),
          server_(io_,
                  [this](const std::string& target) { return route(board_, journal_, target); }),
          signals_(io_, SIGTERM, SIGINT, SIGHUP),
          ticker_(io_) {}

    int run() {
        auto listen = options_.listen.value_or(settings_.listen);
        if (auto bound = server_.listen(listen); !bound) {
            spdlog::critical("{}", bound.failure().message);
            return 1;
        }
        spdlog::info("redis-warden {} listening on http://{} for {} cluster(s)", options_.version,
                     server_.bound_address(), settings_.clusters.size());
        identity_ = instance_identity(server_.bound_address());
        coordinator_ = std::make_unique<coordinator>(settings_.coordination, identity_);
        journal_.set_listener([this](const event& item) { notifier_.submit(item); });
        configure_notifier();
        monitors_.start(settings_, std::move(requests_), board_, *coordinator_, journal_);
        wait_signal();
        tick();
        io_.run();
        return 0;
    }

  private:
    void wait_signal() {
        signals_.async_wait([this](boost::system::error_code ec, int signal_number) {
            if (ec) return;
            if (signal_number == SIGHUP) {
                start_reload();
                return wait_signal();
            }
            stop(signal_number);
        });
    }

    // A reload stops the old monitors (an action in flight ends its current step first) and
    // starts new ones: that can take seconds, so it runs on its own thread and /metrics,
    // /status and the watchdog tick keep being served meanwhile. A SIGHUP during a reload
    // reloads once more after it.
    void start_reload() {
        if (reload_done_ && !reload_done_->done()) {
            reload_again_ = true;
            return;
        }
        reload_again_ = false;
        if (reloader_.joinable()) reloader_.join();  // the last reload's thread, at its end
        reload_done_ = std::make_shared<probes::completion>();
        reloader_ = std::jthread([this, done = reload_done_] {
            probes::mark_on_exit finished(*done);
            bool reloaded = reload();
            boost::asio::post(io_, [this, reloaded] {
                if (reloaded) sd_notify_ready_again_ = true;
                // Never after a stop: stop() ends the loop, so this handler does not run.
                if (reload_again_) start_reload();
            });
        });
    }

    // On the reload thread. True when the new config runs.
    bool reload() {
        notify_reloading();
        auto loaded = executor::load_config(options_.config_file);
        if (!loaded) {
            spdlog::error("reload: keeping the running config: {}", loaded.failure().message);
            notify_status(board_.summary_line());
            return false;
        }
        if (!options_.listen && loaded->settings.listen != settings_.listen) {
            spdlog::warn("reload: listen changed to {}; that takes a restart, still on {}",
                         loaded->settings.listen, server_.bound_address());
        }
        monitors_.take();  // joins the old monitors here, off the HTTP thread
        if (loaded->settings.coordination != settings_.coordination) {
            spdlog::info("reload: coordination changed; releasing the lease and starting over");
            coordinator_->release(1000ms);
            coordinator_ = std::make_unique<coordinator>(loaded->settings.coordination, identity_);
        }
        settings_ = std::move(loaded->settings);
        configure_notifier();
        monitors_.start(settings_, std::move(loaded->requests), board_, *coordinator_, journal_);
        spdlog::info("reload: now watching {} cluster(s)", settings_.clusters.size());
        return true;
    }

    // The sinks of the config; with coordination, a cluster's leader notifies for it (a
    // cluster no instance campaigns for, in observe mode, is notified by each instance).
    // Called with no monitor running or before they start, so coordinator_ is not swapped
    // under a caller.
    void configure_notifier() {
        std::set<std::string> campaigned;
        for (const auto& cluster : settings_.clusters) {
            if (campaigns(cluster)) campaigned.insert(cluster.name);
        }
        notifier_.configure(settings_.notify, [this, campaigned](const std::string& cluster) {
            auto lead = coordinator_->status(cluster);
            return !lead.coordinated || lead.may_act || !campaigned.contains(cluster);
        });
    }

    void stop(int signal_number) {
        spdlog::info("signal {}: stopping", signal_number);
        notify_stopping();
        monitors_.close();  // polls in flight are cancelled; an action ends its current step
        // Never hold exit for more than about a second (the unit's stop timeout is 5 s).
        auto deadline = std::chrono::steady_clock::now() + 700ms;
        bool reload_over = !reload_done_ || reload_done_->wait_until(deadline);
        bool sinks_over = notifier_.stop(deadline);
        if (reload_over && sinks_over && monitors_.wait_finished(deadline)) {
            monitors_.clear();
            // Hand the lease over now rather than after its TTL, within what is left of 1 s.
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline + 250ms - std::chrono::steady_clock::now());
            coordinator_->release(std::max<std::chrono::milliseconds>(left, 100ms));
            if (coordinator_->idle()) {
                spdlog::default_logger()->flush();
                io_.stop();
                return;
            }
        }
        exit_with_work_in_flight(reload_over);
    }

    // A heal step, a reload or an etcd call is still running on another thread and uses what
    // destroying this object would free: leave without running destructors. The process
    // edge is the one place allowed to do this; what was cut short is said first.
    [[noreturn]] void exit_with_work_in_flight(bool reload_over) {
        spdlog::warn(
            "exiting with work in flight ({}): an action cut short is re-planned by "
            "the next instance from what the cluster shows",
            !reload_over ? "a reload" : "a heal action, an audit, an etcd call or a notification");
        spdlog::default_logger()->flush();
        std::_Exit(0);
    }

    // Every 250 ms: READY once every cluster has completed a poll, STATUS on change, and the
    // watchdog (at a third of WATCHDOG_USEC) only while every poll loop is alive. sd_notify
    // blocks when the manager stops reading, so nothing here is sent more than needed.
    void tick() {
        if ((!ready_ || sd_notify_ready_again_) && board_.all_polled_once()) {
            ready_ = true;
            sd_notify_ready_again_ = false;
            notify_ready(board_.summary_line());
        }
        auto summary = board_.summary_line();
        if (ready_ && summary != last_status_) notify_status(summary);
        last_status_ = summary;
        auto now = std::chrono::steady_clock::now();
        if (watchdog_ && now >= next_watchdog_ && monitors_.all_alive()) {
            notify_watchdog();
            next_watchdog_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       *watchdog_ / 3);
        }
        ticker_.expires_after(250ms);
        ticker_.async_wait([this](boost::system::error_code ec) {
            if (!ec) tick();
        });
    }

    run_options options_;
    config::settings settings_;
    std::vector<probes::poll_request> requests_;  // the first config's, until it starts
    boost::asio::io_context io_;
    status_board board_;
    event_journal journal_;
    notifier notifier_;  // after the journal, whose listener it is; before the monitors
    http_server server_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer ticker_;
    std::string identity_;
    std::unique_ptr<coordinator> coordinator_;  // outlives the monitors, which use it
    monitor_set monitors_;
    // Touched on the io thread only (the reload thread posts back to it).
    std::shared_ptr<probes::completion> reload_done_;
    bool reload_again_ = false;
    bool ready_ = false;
    bool sd_notify_ready_again_ = false;
    std::optional<std::chrono::microseconds> watchdog_ = watchdog_interval();
    std::chrono::steady_clock::time_point next_watchdog_{};
    std::string last_status_;
    std::jthread reloader_;  // declared last: joined before what a reload uses is destroyed
};

}  // namespace

int run_daemon(const run_options& options) {
    // The same loader as the reload and `config check` (executor/configured_cluster.hpp).
    auto loaded = executor::load_config(options.config_file);
    if (!loaded) {
        std::fprintf(stderr, "redis-warden run: %s\n", loaded.failure().message.c_str());
        return 1;
    }
    configure_logging(loaded->settings.log);
    daemon_process process(options, std::move(loaded->settings), std::move(loaded->requests));
    return process.run();
}

}  // namespace warden::daemon
