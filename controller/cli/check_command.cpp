#include "controller/cli/check_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "controller/cli/command_exit.hpp"
#include "controller/cli/saved_views.hpp"
#include "controller/core/report/report.hpp"
#include "probes/poll.hpp"

namespace warden::cli {
namespace {

// One line naming why nothing answered, e.g. "127.0.0.1:7000: connection refused".
std::string nothing_reachable(const snapshot& observed) {
    std::string reasons;
    std::size_t shown = 0;
    for (const auto& probe : observed.nodes) {
        if (probe.reachable) continue;  // answered, but with a view warden cannot use
        if (shown++ == 3) {
            reasons += "; ...";
            break;
        }
        reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", probe.address, probe.error);
    }
    return reasons.empty() ? "no usable CLUSTER NODES reply" : reasons;
}

std::string render(const check_report& report, const std::string& format) {
    if (format == "json") return render_json(report) + "\n";
    if (format == "nagios") return render_nagios(report) + "\n";
    return render_text(report);
}

// What a newer server printed that this build does not know is kept and ignored: say so on
// stderr, once per name, so stdout (JSON, nagios) stays the contract.
void note_unknown(const topology& cluster) {
    for (const auto& flag : cluster.unknown_flags) {
        std::fprintf(stderr,
                     "note: CLUSTER NODES flag '%s' is not known to this redis-warden (a newer "
                     "server?); kept and ignored\n",
                     flag.c_str());
    }
    for (const auto& field : cluster.unknown_address_fields) {
        std::fprintf(stderr,
                     "note: CLUSTER NODES address field '%s' is not known to this redis-warden "
                     "(a newer server?); kept and ignored\n",
                     field.c_str());
    }
}

// `why_unknown` says why nothing answered, when nothing did.
int report_on(const check_report& report, const std::string& format,
              const std::string& why_unknown) {
    note_unknown(report.cluster_topology);
    if (report.health.status != severity::unknown) {
        std::fputs(render(report, format).c_str(), stdout);
        return static_cast<int>(report.health.status);
    }
    std::fprintf(stderr, "redis-warden check: %s: no node reachable: %s\n", report.cluster.c_str(),
                 why_unknown.c_str());
    if (format == "json") std::fputs(render(report, format).c_str(), stdout);
    if (format == "nagios") std::printf("REDIS CLUSTER UNKNOWN - %s\n", why_unknown.c_str());
    return exit_check_unknown;
}

struct polled_cluster {
    snapshot observed;
    check_report report;
};

// Folds each view as it arrives, while other nodes are still answering, rather than all of
// them after the last reply. When the fold order could have mattered (a node not reached,
// views that disagree), the snapshot is analysed again in its own order: the report is the
// same whatever order the replies came in.
polled_cluster poll_and_fold(const cluster_target& target) {
    auto request = target.request;
    request.read_cluster_info = false;  // check reads none of it: one command less per node
    topology_merger merger(target.policy.topology, false);
    probes::cluster_poller once(false);
    auto observed = once.poll(request, {}, [&merger](node_probe& probe) {
        (void)merger.add(probe);  // an unusable view is recorded by the merge
    });
    observed.cluster_name = target.name;
    auto report = merger.order_matters() ? analyze(observed, target.policy)
                                         : analyze(target.name, std::move(merger),
                                                   as_of_poll(target.policy, observed.observed_at));
    return {std::move(observed), std::move(report)};
}

}  // namespace

void add_check_command(CLI::App& app, check_options& options) {
    auto* command = app.add_subcommand("check",
                                       "report whether the cluster survives its next "
                                       "failure (exit 0 ok, 1 warning, 2 critical, "
                                       "3 unknown)");
    options.connection.add_to(*command);
    options.add_to(*command, "name shown in reports; with --config, the cluster to check");
    command->add_option("--from-file", options.from_files,
                        "analyse saved CLUSTER NODES outputs, one file per node's view");
    command->add_flag("--json", options.json, "print the JSON report (same as --format json)");
    command->add_option("--format", options.format, "text, json or nagios")
        ->check(CLI::IsMember({"text", "json", "nagios"}));
}

int run_check(const check_options& options) {
    if (auto sourced = options.check_source(!options.from_files.empty(), "--from-file FILE");
        !sourced) {
        return fail("check", exit_check_unknown, sourced.failure().message);
    }
    auto format = options.json ? std::string("json") : options.format;
    if (!options.from_files.empty()) {
        auto policy = policy_from_flags(options);
        if (!policy) return fail("check", exit_check_unknown, policy.failure().message);
        topology_merger merger(policy->topology, true);
        if (auto folded = fold_saved_views(options.from_files, merger); !folded) {
            return fail("check", exit_check_unknown, folded.failure().message);
        }
        auto name = options.cluster_name.empty() ? std::string("offline") : options.cluster_name;
        return report_on(analyze(name, std::move(merger), *policy), format,
                         "no usable CLUSTER NODES file");
    }
    auto targets = resolve_targets(options);
    if (!targets) return fail("check", exit_check_unknown, targets.failure().message);
    int worst = 0;
    for (const auto& target : *targets) {
        auto polled = poll_and_fold(target);
        worst =
            std::max(worst, report_on(polled.report, format, nothing_reachable(polled.observed)));
    }
    return worst;
}

}  // namespace warden::cli
