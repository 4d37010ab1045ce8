// Process edge: parse the command line, run one command, map everything to an exit code.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string_view>

#include "controller/cli/audit_command.hpp"
#include "controller/cli/check_command.hpp"
#include "controller/cli/heal_command.hpp"
#include "controller/cli/import_command.hpp"
#include "controller/cli/rebalance_command.hpp"
#include "controller/daemon/daemon.hpp"

#ifndef WARDEN_VERSION
#define WARDEN_VERSION "0.0.0"
#endif

namespace {

constexpr int exit_usage = 2;
constexpr int exit_check_unknown = 3;

// check/audit follow the monitoring-plugin convention: bad arguments are UNKNOWN (3).
int usage_exit_code(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "check" || arg == "audit") return exit_check_unknown;
    }
    return exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
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
    warden::daemon::run_options run;
    run.version = WARDEN_VERSION;
    auto* run_command = app.add_subcommand("run", "run the daemon (systemd Type=notify)");
    run_command->add_option("--config", run.config_file, "config file")->required();
    run_command->add_option("--listen", run.listen, "ADDR:PORT for HTTP, overrides the config");
    app.add_subcommand("version", "print the version");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& failure) {
        app.exit(failure);
        return usage_exit_code(argc, argv);
    }
    try {
        if (app.got_subcommand("version")) {
            std::printf("redis-warden %s\n", WARDEN_VERSION);
            return 0;
        }
        if (app.got_subcommand("run")) return warden::daemon::run_daemon(run);
        if (app.got_subcommand("heal")) return warden::cli::run_heal(heal);
        if (app.got_subcommand("rebalance")) return warden::cli::run_rebalance(rebalance);
        if (app.got_subcommand("import")) return warden::cli::run_import_command(import);
        if (app.got_subcommand("audit")) return warden::cli::run_audit_command(audit);
        return warden::cli::run_check(check);
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "redis-warden: internal error: %s\n", failure.what());
        return usage_exit_code(argc, argv) == exit_check_unknown ? exit_check_unknown : 1;
    }
}
