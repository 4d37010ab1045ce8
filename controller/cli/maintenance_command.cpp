#include "controller/cli/maintenance_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "controller/cli/command_exit.hpp"
#include "controller/core/utc_time.hpp"
#include "controller/executor/state_files.hpp"

namespace warden::cli {
namespace {

// A window longer than a week is more likely a typo than a plan, and a forgotten one would
// keep warden from healing for that long.
constexpr auto longest_window = std::chrono::hours(24 * 7);

int fail(int code, const std::string& message) {
    return cli::fail("maintenance", code, message);
}

std::string operator_name() {
    for (const char* variable : {"SUDO_USER", "USER", "LOGNAME"}) {
        const char* value = std::getenv(variable);
        if (value != nullptr && *value != '\0') {
            return fmt::format("{}@{}", value, executor::host_name());
        }
    }
    return executor::this_process_owner();
}

int set_window(const daemon::maintenance_place& place, std::chrono::milliseconds length,
               const std::string& reason) {
    auto now = executor::unix_seconds_now();
    maintenance_marker marker{"manual", reason, operator_name(), now,
                              now + std::chrono::duration<double>(length).count()};
    if (auto set = daemon::set_maintenance(place, marker); !set) {
        return fail(exit_failure, fmt::format("{}: {}", place.cluster, set.failure().message));
    }
    std::printf(
        "%s: maintenance on until %s (%s): a daemon polls and exports but does not act; "
        "`redis-warden maintenance off` ends it\n",
        place.cluster.c_str(), utc_text(marker.until).c_str(), place.describe().c_str());
    return exit_ok;
}

int end_window(const daemon::maintenance_place& place) {
    auto cleared = daemon::clear_maintenance(place);
    if (!cleared) {
        return fail(exit_failure, fmt::format("{}: {}", place.cluster, cleared.failure().message));
    }
    std::printf("%s: %s\n", place.cluster.c_str(),
                *cleared ? "maintenance off" : "no maintenance marker was set");
    return exit_ok;
}

int show(const daemon::maintenance_place& place) {
    auto found = daemon::read_maintenance(place);
    if (!found) {
        return fail(exit_failure, fmt::format("{}: {}", place.cluster, found.failure().message));
    }
    if (*found) {
        std::printf("%s: maintenance: %s\n", place.cluster.c_str(),
                    describe_marker(**found).c_str());
    } else {
        std::printf("%s: no maintenance\n", place.cluster.c_str());
    }
    return exit_ok;
}

}  // namespace

void add_maintenance_command(CLI::App& app, maintenance_options& options) {
    auto* command = app.add_subcommand(
        "maintenance",
        "set (on), end (off) or show (status) a maintenance window: the daemon does not act");
    command->add_option("action", options.action, "on | off | status")
        ->required()
        ->check(CLI::IsMember({"on", "off", "status"}));
    command->add_option("--config", options.config_file, "the daemon's config file")->required();
    command->add_option("--cluster-name", options.cluster_name,
                        "only this cluster (default: every cluster of the config)");
    command->add_option("--for", options.duration,
                        "with on: how long the window lasts (default 1h; at most 7 days)");
    command->add_option("--reason", options.reason, "with on: why, for the logs and /status");
}

int run_maintenance(const maintenance_options& options) {
    bool setting = options.action == "on";
    if (!setting && (options.duration || options.reason)) {
        return fail(exit_usage, "--for and --reason go with `maintenance on`");
    }
    auto text = options.duration.value_or("1h");
    auto length = config::parse_duration(text);
    if (!length || *length <= std::chrono::milliseconds(0) || *length > longest_window) {
        return fail(exit_usage, fmt::format("--for '{}': expected a duration such as 30m or 2h, "
                                            "at most 7 days",
                                            text));
    }
    auto loaded = config::load_settings(options.config_file);
    if (!loaded) return fail(exit_usage, loaded.failure().message);
    int worst = exit_ok;
    bool found = false;
    for (const auto& cluster : loaded->clusters) {
        if (!options.cluster_name.empty() && cluster.name != options.cluster_name) continue;
        found = true;
        auto place = daemon::maintenance_place_of(*loaded, cluster.name);
        int code = options.action == "on" ? set_window(place, *length, options.reason.value_or(""))
                   : options.action == "off" ? end_window(place)
                                             : show(place);
        worst = std::max(worst, code);
    }
    if (!found) {
        return fail(exit_usage, fmt::format("no cluster named '{}' in {}", options.cluster_name,
                                            options.config_file));
    }
    return worst;
}

result<std::unique_ptr<daemon::maintenance_hold>> hold_maintenance(const cluster_target& target,
                                                                   const std::string& what,
                                                                   const std::string& reason) {
    if (!target.maintenance) return std::unique_ptr<daemon::maintenance_hold>{};
    auto hold = daemon::maintenance_hold::take(*target.maintenance, what, reason);
    if (!hold) {
        return error{fmt::format("cannot take the maintenance marker ({}): {}",
                                 target.maintenance->describe(), hold.failure().message)};
    }
    // A daemon reads the marker once per poll: give it two polls (at most 5 s) to see it
    // before the operation's first step, so it neither starts an action meanwhile nor
    // reports the first restarted node without the marker.
    std::this_thread::sleep_for(
        std::min(2 * target.poll_interval, std::chrono::milliseconds(5000)));
    return hold;
}

std::optional<std::string> hold_lost(daemon::maintenance_hold* hold) {
    if (hold == nullptr) return std::nullopt;
    return hold->verify();
}

result<void> still_held(daemon::maintenance_hold* hold, const std::string& step,
                        const std::string& left) {
    if (auto lost = hold_lost(hold))
        return error{fmt::format("stopped before {} ({}): {}", step, left, *lost)};
    return {};
}

}  // namespace warden::cli
