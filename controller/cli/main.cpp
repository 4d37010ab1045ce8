// Process edge: parse the command line, run one command, map everything to an exit code.
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "controller/cli/add_node_command.hpp"
#include "controller/cli/audit_command.hpp"
#include "controller/cli/check_command.hpp"
#include "controller/cli/command_exit.hpp"
#include "controller/cli/config_command.hpp"
#include "controller/cli/failover_command.hpp"
#include "controller/cli/heal_command.hpp"
#include "controller/cli/import_command.hpp"
#include "controller/cli/maintenance_command.hpp"
#include "controller/cli/rebalance_command.hpp"
#include "controller/cli/remove_node_command.hpp"
#include "controller/cli/restart_command.hpp"
#include "controller/cli/version_command.hpp"
#include "controller/daemon/daemon.hpp"

namespace {

using warden::cli::command_family;

// check and audit are monitoring plugins: bad arguments are UNKNOWN there, usage elsewhere.
// CLI11 marks a subcommand parsed as soon as it is named, even when its options then fail.
command_family family_of(const CLI::App& app) {
    for (const char* name : {"check", "audit"}) {
        if (app.get_subcommand(name)->parsed()) return command_family::monitoring;
    }
    return command_family::acting;
}

// One socket per node, kept open across polls: a 1,000-node cluster needs more descriptors
// than the soft limit of 1,024 that systemd (and most shells) give. The soft limit exists
// for programs that use select(); warden does not (Asio uses epoll), so it raises its soft
// limit to the hard one, as systemd.exec(5) advises such programs to do, rather than fail
// with "Too many open files" and call healthy nodes unreachable.
void raise_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);  // still the old limit if refused: nothing lost
}

}  // namespace

int main(int argc, char** argv) {
    raise_descriptor_limit();
    CLI::App app{"redis-warden: Redis Cluster health checks and operations"};
    app.require_subcommand(1);
    warden::cli::check_options check;
    warden::cli::add_check_command(app, check);
    warden::cli::audit_options audit;
    warden::cli::add_audit_command(app, audit);
    warden::cli::rebalance_options rebalance;
    warden::cli::add_rebalance_command(app, rebalance);
    warden::cli::heal_options heal;
    warden::cli::add_heal_command(app, heal);
    warden::cli::import_options import;
    warden::cli::add_import_command(app, import);
    warden::cli::failover_options failover;
    warden::cli::add_failover_command(app, failover);
    warden::cli::restart_options restart;
    warden::cli::add_restart_command(app, restart);
    warden::cli::add_node_options add_node;
    warden::cli::add_add_node_command(app, add_node);
    warden::cli::remove_node_options remove_node;
    warden::cli::add_remove_node_command(app, remove_node);
    warden::cli::maintenance_options maintenance;
    warden::cli::add_maintenance_command(app, maintenance);
    warden::daemon::run_options run;
    run.version = warden::cli::this_build().version;
    auto* run_command = app.add_subcommand("run", "run the daemon (systemd Type=notify)");
    run_command->add_option("--config", run.config_file, "config file")->required();
    run_command->add_option("--listen", run.listen, "ADDR:PORT for HTTP, overrides the config");
    warden::cli::config_options config;
    warden::cli::add_config_command(app, config);
    app.add_subcommand("version", "print the version, commit, build type and library versions");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& failure) {
        app.exit(failure);
        return warden::cli::exit_code_for({failure.what(), warden::error_kind::usage},
                                          family_of(app));
    }
    try {
        if (app.got_subcommand("version")) return warden::cli::run_version();
        if (app.got_subcommand("config")) return warden::cli::run_config_check(config);
        if (app.got_subcommand("run")) return warden::daemon::run_daemon(run);
        if (app.got_subcommand("heal")) return warden::cli::run_heal(heal);
        if (app.got_subcommand("rebalance")) return warden::cli::run_rebalance(rebalance);
        if (app.got_subcommand("import")) return warden::cli::run_import_command(import);
        if (app.got_subcommand("failover")) return warden::cli::run_failover(failover);
        if (app.got_subcommand("restart")) return warden::cli::run_restart(restart);
        if (app.got_subcommand("add-node")) return warden::cli::run_add_node(add_node);
        if (app.got_subcommand("remove-node")) return warden::cli::run_remove_node(remove_node);
        if (app.got_subcommand("maintenance")) return warden::cli::run_maintenance(maintenance);
        if (app.got_subcommand("audit")) return warden::cli::run_audit_command(audit);
        return warden::cli::run_check(check);
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "redis-warden: internal error: %s\n", failure.what());
        return warden::cli::exit_code_for({failure.what(), warden::error_kind::unspecified},
                                          family_of(app));
    }
}
