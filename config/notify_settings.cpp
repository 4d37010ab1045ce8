#include "config/notify_settings.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

notify_sink_settings read_sink(const yaml_cursor& at, std::size_t index) {
    at.expect_map({"exec", "name", "events", "min_severity", "timeout", "retry_interval"});
    if (!at.has("exec")) throw at.fail("needs 'exec: PROGRAM' (the one sink this build has)");
    notify_sink_settings sink;
    sink.program = program_at(at.child("exec"));
    sink.name = fmt::format("exec-{}", index);
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

std::vector<notify_sink_settings> read_notify(const yaml_cursor& at) {
    std::vector<notify_sink_settings> sinks;
    std::set<std::string> names;
    auto items = at.items();
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto sink = read_sink(items[i], i);
        if (!names.insert(sink.name).second) {
            throw items[i].fail(fmt::format("duplicate sink name '{}'", sink.name));
        }
        sinks.push_back(std::move(sink));
    }
    return sinks;
}

}  // namespace warden::config::detail
