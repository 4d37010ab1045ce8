#include "controller/daemon/sink_senders.hpp"

#include <fmt/format.h>

#include <memory>

#include "controller/core/events/webhook_payload.hpp"
#include "controller/core/parse/endpoint.hpp"
#include "controller/daemon/http_post.hpp"
#include "controller/executor/shell_command.hpp"
#include "probes/idle_pool.hpp"
#include "probes/tls.hpp"

namespace warden::daemon {
namespace {

sink_sender exec_sender(const config::notify_sink_settings& settings) {
    return [settings](const event& item, int attempt, std::stop_token stop) -> delivery_attempt {
        auto arguments = exec_arguments(item);
        auto json = event_json(item).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        auto ran = executor::run_program({settings.program, arguments[0], arguments[1]},
                                         {{"WARDEN_EVENT", json}}, settings.timeout, stop);
        if (!ran) return {delivery_verdict::failed, ran.failure().message};
        if (ran->stopped) return {delivery_verdict::failed, "stopped", true};
        return {judge_exec(ran->exit_code, ran->timed_out, attempt, sink_queue::max_attempts),
                ran->timed_out ? fmt::format("killed after {} ms", settings.timeout.count())
                               : fmt::format("exit {}", ran->exit_code)};
    };
}

sink_sender webhook_sender(const config::notify_sink_settings& settings) {
    auto url = parse_http_url(settings.url);  // validated at load
    if (!url) {
        return [why = url.failure().message](const event&, int, std::stop_token) {
            return delivery_attempt{delivery_verdict::failed, why};
        };
    }
    std::shared_ptr<probes::tls_client> tls;
    std::string problem;
    if (url->tls) {
        auto profile = probes::tls_client::make(
            settings.tls.value_or(tls_settings{}),
            probes::tls_config_names(fmt::format("notify '{}' tls", settings.name)));
        if (profile) {
            tls = std::move(*profile);
        } else {
            problem = profile.failure().message;
        }
    }
    // The label names the sink, never the URL: a query string may carry a token.
    http_post_target target{url->where.host, url->where.port, url->tls, url->path,
                            fmt::format("webhook '{}'", settings.name)};
    // Kept connections to the receiver, one per delivery running at once: a delivery takes
    // an idle client, or a new one, and gives it back.
    auto clients = std::make_shared<probes::idle_pool<http_client>>(sink_queue::max_running);
    return [settings, target, tls, problem, clients](const event& item, int attempt,
                                                     std::stop_token stop) -> delivery_attempt {
        if (!problem.empty()) return {delivery_verdict::failed, problem};
        http_post_request request;
        request.headers = settings.headers;
        request.body = webhook_body(item, settings.format);
        auto idle = clients->take();
        http_client client = idle ? std::move(*idle) : http_client{};
        auto reply = client.post(target, request, tls.get(), settings.timeout);
        clients->give_back(std::move(client));
        if (stop.stop_requested()) return {delivery_verdict::failed, "stopped", true};
        if (!reply) {
            return {judge_http(std::nullopt, attempt, sink_queue::max_attempts),
                    reply.failure().message};
        }
        return {judge_http(reply->status, attempt, sink_queue::max_attempts),
                fmt::format("HTTP {}", reply->status)};
    };
}

}  // namespace

sink_sender make_sender(const config::notify_sink_settings& settings) {
    return settings.kind == config::sink_kind::webhook ? webhook_sender(settings)
                                                       : exec_sender(settings);
}

}  // namespace warden::daemon
