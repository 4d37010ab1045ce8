#include "controller/cli/audit_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "controller/cli/command_exit.hpp"
#include "controller/core/audit/audit.hpp"
#include "probes/security_poll.hpp"

namespace warden::cli {
namespace {

// Every address the views name, plus seeds nobody lists (so a dead seed is reported too).
std::vector<std::string> addresses_to_audit(const topology& cluster) {
    std::vector<std::string> addresses;
    for (const auto& node : cluster.nodes) {
        if (!node.address.empty() && node.address.front() != ':') {
            addresses.push_back(node.address);
        }
    }
    return addresses;
}

int audit_cluster(const cluster_target& target, const audit_options& options) {
    auto observed = probes::poll_cluster(target.request);
    observed.cluster_name = target.name;
    auto report = analyze(observed, target.policy);
    probes::security_request request;
    request.auth = target.request.auth;
    request.timeout = target.request.timeout;
    request.policy.client_users = options.client_users;
    auto addresses = addresses_to_audit(report.cluster_topology);
    auto security = probes::probe_security(addresses, request);
    if (report.cluster_topology.views == 0) {
        // Nothing gave a view; a seed refusing warden with -DENIED is still worth reporting.
        bool denied = std::any_of(security.begin(), security.end(), [](const auto& probe) {
            return probe.anonymous_reply.starts_with("DENIED");
        });
        for (const auto& probe : observed.nodes) {
            std::fprintf(stderr, "redis-warden audit: %s: %s: %s\n", target.name.c_str(),
                         probe.address.c_str(), probe.error.c_str());
        }
        if (!denied) return exit_check_unknown;
    }
    auto audited = run_audit(target.name, report.cluster_topology, security, request.policy);
    auto rendered = options.json ? render_audit_json(audited) + "\n" : render_audit_text(audited);
    std::fputs(rendered.c_str(), stdout);
    return static_cast<int>(audited.status);
}

}  // namespace

void add_audit_command(CLI::App& app, audit_options& options) {
    auto* command = app.add_subcommand(
        "audit",
        "protected mode, auth, masterauth, dangerous commands, config drift, memory "
        "(exit 0 ok, 1 warning, 2 critical, 3 unknown)");
    options.connection.add_to(*command);
    options.add_to(*command, "name shown in reports; with --config, the cluster to audit");
    command->add_option("--client-user", options.client_users,
                        "ACL user clients connect as, checked for dangerous commands "
                        "(repeatable; default: every enabled user but warden's own admin)");
    command->add_flag("--json", options.json, "print one JSON object per cluster");
}

int run_audit_command(const audit_options& options) {
    if (auto sourced = options.check_source(); !sourced) {
        return fail("audit", exit_check_unknown, sourced.failure().message);
    }
    auto targets = resolve_targets(options);
    if (!targets) return fail("audit", exit_check_unknown, targets.failure().message);
    int worst = 0;
    for (const auto& target : *targets) worst = std::max(worst, audit_cluster(target, options));
    return worst;
}

}  // namespace warden::cli
