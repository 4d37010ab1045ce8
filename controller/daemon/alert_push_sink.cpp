#include "controller/daemon/alert_push_sink.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "controller/core/parse/endpoint.hpp"
#include "controller/daemon/http_post.hpp"
#include "controller/executor/state_files.hpp"
#include "probes/tls.hpp"

namespace warden::daemon {

alert_push_sink::alert_push_sink(config::notify_sink_settings settings, status_board& board)
    : settings_(std::move(settings)), board_(board) {
    auto url = parse_http_url(settings_.url);  // validated at load
    if (url && url->tls) {
        auto profile = probes::tls_client::make(
            settings_.tls.value_or(tls_settings{}),
            probes::tls_config_names(fmt::format("notify '{}' tls", settings_.name)));
        if (profile) {
            tls_ = std::move(*profile);
        } else {
            tls_problem_ = profile.failure().message;
        }
    }
    thread_ = std::jthread([this](std::stop_token stop) {
        probes::mark_on_exit finished(finished_);
        run(stop);
    });
}

alert_push_sink::~alert_push_sink() {
    request_stop();
}

void alert_push_sink::request_stop() {
    thread_.request_stop();
}

bool alert_push_sink::wait_stopped(std::chrono::steady_clock::time_point deadline) const {
    return finished_.wait_until(deadline);
}

void alert_push_sink::submit(const event& item) {
    {
        std::lock_guard lock(mutex_);
        if (!clusters_[item.cluster].apply(item)) return;
        dirty_ = true;
    }
    changed_.notify_one();
}

void alert_push_sink::run(std::stop_token stop) {
    auto next_resend = std::chrono::steady_clock::now() + settings_.resend_interval;
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        changed_.wait_until(lock, stop, next_resend, [this] { return dirty_; });
        if (stop.stop_requested()) return;
        dirty_ = false;
        next_resend = std::chrono::steady_clock::now() + settings_.resend_interval;
        auto now = executor::unix_seconds_now();
        auto resend = std::chrono::duration<double>(settings_.resend_interval).count();
        std::vector<std::pair<std::string, std::string>> bodies;
        for (auto& [cluster, state] : clusters_) {
            if (!state.empty()) bodies.emplace_back(cluster, state.take_body(now, resend));
        }
        lock.unlock();
        for (const auto& [cluster, body] : bodies) push(cluster, body);
        lock.lock();
    }
}

void alert_push_sink::push(const std::string& cluster, const std::string& body) {
    auto url = parse_http_url(settings_.url);
    std::string problem = tls_problem_;
    if (!url) problem = url.failure().message;
    if (problem.empty()) {
        auto base = url->path == "/" ? std::string() : url->path;
        if (!base.empty() && base.back() == '/') base.pop_back();
        http_post_request request;
        request.body = body;
        auto reply =
            http_.post({url->where.host, url->where.port, url->tls, base + "/api/v2/alerts",
                        fmt::format("alertmanager '{}'", settings_.name)},
                       request, tls_.get(), settings_.timeout);
        if (reply && reply->status >= 200 && reply->status < 300) {
            board_.count_notification(cluster, settings_.name, "sent");
            return;
        }
        problem = reply ? fmt::format("HTTP {}: {}", reply->status, reply->body.substr(0, 200))
                        : reply.failure().message;
    }
    board_.count_notification(cluster, settings_.name, "failed");
    spdlog::warn(
        "cluster={} notify={} push of active findings failed (sent again within {} ms): "
        "{}",
        cluster, settings_.name, settings_.resend_interval.count(), problem);
}

}  // namespace warden::daemon
