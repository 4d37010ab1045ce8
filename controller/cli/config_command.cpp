#include "controller/cli/config_command.hpp"

#include <cstdio>

#include "config/summary.hpp"
#include "controller/cli/command_exit.hpp"
#include "controller/executor/configured_cluster.hpp"

namespace warden::cli {

void add_config_command(CLI::App& app, config_options& options) {
    auto* config = app.add_subcommand("config", "work with config files (see: config check)");
    config->require_subcommand(1);
    auto* check = config->add_subcommand(
        "check",
        "validate a config file as `run` loads it, connecting to nothing (exit 0 valid, 1 not)");
    check->add_option("FILE", options.file, "config file")->required();
}

int run_config_check(const config_options& options) {
    auto loaded = executor::load_config(options.file);
    if (!loaded) return fail("config check", exit_failure, loaded.failure().message);
    std::printf("config OK: %s: %s\n", options.file.c_str(),
                config::summary_line(loaded->settings).c_str());
    return exit_ok;
}

}  // namespace warden::cli
