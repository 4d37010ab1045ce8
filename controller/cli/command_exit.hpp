// What the acting commands (heal, rebalance, import) share at their edge: exit codes
// (DESIGN.md: 0 success, 1 failure, 2 usage), the one-line error format, and Ctrl-C/SIGTERM
// turned into a flag the work checks between steps.
#pragma once

#include <string>
#include <string_view>

#include "controller/core/result.hpp"

namespace warden::cli {

// Every exit code the binary returns, in one place.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;
// check and audit follow the monitoring-plugin convention (Nagios/Icinga): the worst
// finding's severity, and UNKNOWN for anything that kept the check from judging.
inline constexpr int exit_check_ok = 0;
inline constexpr int exit_check_warning = 1;
inline constexpr int exit_check_critical = 2;
inline constexpr int exit_check_unknown = 3;

enum class command_family {
    acting,      // heal, rebalance, import, run: 0 success, 1 failure, 2 usage
    monitoring,  // check, audit: every error is UNKNOWN (3)
};
// The exit code for a command that stops on `failure`.
int exit_code_for(const error& failure, command_family family);

// Prints "redis-warden COMMAND: MESSAGE" on stderr and returns `code`.
int fail(std::string_view command, int code, const std::string& message);

// From now on SIGINT (and SIGTERM when asked) set the flag instead of killing the process.
void catch_interruptions(bool also_sigterm);
bool interruption_requested();

}  // namespace warden::cli
