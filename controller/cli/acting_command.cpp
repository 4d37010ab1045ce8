#include "controller/cli/acting_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "controller/cli/command_exit.hpp"

namespace warden::cli {

void acting_options::add_acting_flags(CLI::App& command, const std::string& dry_run_help,
                                      const std::string& yes_help) {
    command.add_flag("--dry-run", dry_run, dry_run_help);
    command.add_flag("--yes", yes, yes_help);
}

result<void> acting_options::check_usage() const {
    if (auto sourced = check_source(); !sourced) return sourced;
    if (dry_run && yes) return error{"--dry-run and --yes conflict", error_kind::usage};
    return {};
}

confirmation confirm(bool yes, const std::string& question) {
    if (yes) return confirmation::go;
    if (isatty(STDIN_FILENO) == 0) return confirmation::refused;
    std::printf("%s [y/N] ", question.c_str());
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer)) return confirmation::declined;
    return answer == "y" || answer == "Y" || answer == "yes" ? confirmation::go
                                                             : confirmation::declined;
}

int not_confirmed(std::string_view command, confirmation answer, const std::string& doing,
                  const std::string& hint) {
    if (answer == confirmation::refused) {
        return fail(command, exit_usage,
                    fmt::format("not {} without --yes (stdin is not a terminal){}{}", doing,
                                hint.empty() ? "" : "; ", hint));
    }
    std::printf("nothing done\n");
    return exit_failure;
}

std::chrono::milliseconds acting_timeout(std::chrono::milliseconds probe_timeout) {
    return std::max(probe_timeout, std::chrono::milliseconds(5000));
}

double run_with_progress(const std::function<void()>& work, std::chrono::milliseconds tick,
                         const std::function<void(double seconds, bool final)>& report) {
    auto started = std::chrono::steady_clock::now();
    auto seconds = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    std::atomic<bool> finished{false};
    {
        std::jthread worker([&] {
            work();
            finished = true;
        });
        while (!finished) {
            std::this_thread::sleep_for(tick);
            report(seconds(), false);
        }
    }
    auto took = seconds();
    report(took, true);
    return took;
}

}  // namespace warden::cli
