#include "config/notify_settings.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "controller/core/parse/endpoint.hpp"

namespace warden::config::detail {
namespace {

// An executable regular file, named by its absolute path: the daemon runs it without a
// shell and without $PATH, and says now rather than at the first failover that it cannot.
std::string program_at(const yaml_cursor& at) {
    auto path = at.scalar();
    if (path.empty() || path.front() != '/') throw at.fail("needs an absolute path");
    struct stat found {};
    if (::stat(path.c_str(), &found) != 0) {
        throw at.fail(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    }
    if (!S_ISREG(found.st_mode) || ::access(path.c_str(), X_OK) != 0) {
        throw at.fail(fmt::format("'{}' is not an executable file", path));
    }
    return path;
}

event_filter filter_at(const yaml_cursor& at) {
    event_filter filter;
    if (at.has("events")) {
        for (const auto& item : at.child("events").items()) {
            auto type = event_type_named(item.scalar());
            if (!type) {
                std::string known;
                for (auto each : all_event_types())
                    known += (known.empty() ? "" : ", ") + std::string(to_string(each));
                throw item.fail(
                    fmt::format("'{}' is not an event type (known: {})", item.scalar(), known));
            }
            filter.types.push_back(*type);
        }
    }
    if (at.has("min_severity")) {
        auto name = choice_at(at.child("min_severity"), {"info", "warning", "critical"});
        filter.min_severity = *event_severity_named(name);
    }
    return filter;
}

// `headers:` as written, then `header_files:` whose values are secrets read from files.
std::vector<std::pair<std::string, std::string>> headers_at(const yaml_cursor& at,
                                                            const secret_reader& read_secret) {
    std::vector<std::pair<std::string, std::string>> headers;
    for (const char* key : {"headers", "header_files"}) {
        if (!at.has(key)) continue;
        auto section = at.child(key);
        if (!section.node().IsMap()) throw section.fail("expected a mapping of Header-Name: value");
        for (const auto& entry : section.node()) {
            auto name = entry.first.as<std::string>();
            auto value = section.child(name).scalar();
            if (std::string_view(key) == "header_files") {
                auto secret = read_secret(value);
                if (!secret) throw section.child(name).fail(secret.failure().message);
                value = std::move(*secret);
            }
            headers.emplace_back(std::move(name), std::move(value));
        }
    }
    return headers;
}

void read_webhook(const yaml_cursor& at, const secret_reader& read_secret,
                  notify_sink_settings& sink) {
    sink.kind = sink_kind::webhook;
    sink.url = at.child("webhook").scalar();
    auto url = parse_http_url(sink.url);
    if (!url) throw at.child("webhook").fail(url.failure().message);
    if (at.has("format")) {
        sink.format = choice_at(at.child("format"), {"warden", "alertmanager"}) == "alertmanager"
                          ? webhook_format::alertmanager
                          : webhook_format::warden;
    }
    sink.headers = headers_at(at, read_secret);
    if (at.has("tls")) {
        if (!url->tls) throw at.child("tls").fail("tls applies to an https:// webhook");
        sink.tls = read_tls(at.child("tls"));
    }
    sink.timeout = std::chrono::seconds(10);
}

// Alertmanager gets findings (raised and cleared) whatever their severity: a filter would
// leave alerts it could never resolve.
void read_alertmanager(const yaml_cursor& at, notify_sink_settings& sink) {
    sink.kind = sink_kind::alertmanager;
    sink.url = at.child("alertmanager").scalar();
    auto url = parse_http_url(sink.url);
    if (!url) throw at.child("alertmanager").fail(url.failure().message);
    for (const char* key :
         {"format", "headers", "header_files", "events", "min_severity", "retry_interval"}) {
        if (at.has(key)) throw at.child(key).fail("does not apply to an alertmanager sink");
    }
    if (at.has("tls")) {
        if (!url->tls) throw at.child("tls").fail("tls applies to an https:// URL");
        sink.tls = read_tls(at.child("tls"));
    }
    if (at.has("resend_interval")) sink.resend_interval = duration_at(at.child("resend_interval"));
    sink.timeout = std::chrono::seconds(10);
}

const char* kind_name(sink_kind kind) {
    switch (kind) {
        case sink_kind::webhook:
            return "webhook";
        case sink_kind::alertmanager:
            return "alertmanager";
        case sink_kind::exec:
            break;
    }
    return "exec";
}

notify_sink_settings read_sink(const yaml_cursor& at, std::size_t index,
                               const secret_reader& read_secret) {
    at.expect_map({"exec", "webhook", "alertmanager", "format", "headers", "header_files", "tls",
                   "name", "events", "min_severity", "timeout", "retry_interval",
                   "resend_interval"});
    int kinds = int(at.has("exec")) + int(at.has("webhook")) + int(at.has("alertmanager"));
    if (kinds != 1) {
        throw at.fail("needs one of 'exec: PROGRAM', 'webhook: URL' or 'alertmanager: URL'");
    }
    notify_sink_settings sink;
    if (at.has("exec")) {
        for (const char* key : {"format", "headers", "header_files", "tls", "resend_interval"}) {
            if (at.has(key)) throw at.child(key).fail("does not apply to an exec sink");
        }
        sink.program = program_at(at.child("exec"));
    } else if (at.has("webhook")) {
        if (at.has("resend_interval")) {
            throw at.child("resend_interval").fail("does not apply to a webhook sink");
        }
        read_webhook(at, read_secret, sink);
    } else {
        read_alertmanager(at, sink);
    }
    sink.name = fmt::format("{}-{}", kind_name(sink.kind), index);
    if (at.has("name")) {
        sink.name = at.child("name").scalar();
        if (sink.name.empty()) throw at.child("name").fail("empty sink name");
    }
    sink.filter = filter_at(at);
    if (at.has("timeout")) sink.timeout = duration_at(at.child("timeout"));
    if (at.has("retry_interval")) sink.retry_interval = duration_at(at.child("retry_interval"));
    return sink;
}

}  // namespace

std::vector<notify_sink_settings> read_notify(const yaml_cursor& at,
                                              const secret_reader& read_secret) {
    std::vector<notify_sink_settings> sinks;
    std::set<std::string> names;
    auto items = at.items();
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto sink = read_sink(items[i], i, read_secret);
        if (!names.insert(sink.name).second) {
            throw items[i].fail(fmt::format("duplicate sink name '{}'", sink.name));
        }
        sinks.push_back(std::move(sink));
    }
    return sinks;
}

}  // namespace warden::config::detail
