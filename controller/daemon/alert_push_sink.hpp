// `notify: - alertmanager: URL`: active findings pushed to Alertmanager's API v2
// (POST <URL>/api/v2/alerts), one POST per cluster when its findings change and every
// `resend_interval` (default 1m) while any is active; a cleared finding is sent once with
// endsAt. What to send is the core's (controller/core/events/alert_push.hpp); this thread
// only keeps the state per cluster and POSTs. Counted in notifications_total like any sink.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "controller/core/events/alert_push.hpp"
#include "controller/daemon/http_post.hpp"
#include "controller/daemon/notify_sink.hpp"
#include "controller/daemon/status_board.hpp"
#include "probes/completion.hpp"

namespace warden::daemon {

class alert_push_sink final : public notify_sink {
  public:
    alert_push_sink(config::notify_sink_settings settings, status_board& board);
    ~alert_push_sink() override;
    alert_push_sink(const alert_push_sink&) = delete;
    alert_push_sink& operator=(const alert_push_sink&) = delete;

    const config::notify_sink_settings& settings() const override { return settings_; }
    void submit(const event& item) override;
    void request_stop() override;
    bool wait_stopped(std::chrono::steady_clock::time_point deadline) const override;

  private:
    void run(std::stop_token stop);
    void push(const std::string& cluster, const std::string& body);

    config::notify_sink_settings settings_;
    status_board& board_;
    std::shared_ptr<probes::tls_client> tls_;
    std::string tls_problem_;
    http_client http_;  // the thread's connection to Alertmanager, kept between pushes
    std::mutex mutex_;
    std::condition_variable_any changed_;
    std::map<std::string, alert_push_state> clusters_;
    bool dirty_ = false;
    probes::completion finished_;
    std::jthread thread_;  // declared last: stopped and joined first
};

}  // namespace warden::daemon
