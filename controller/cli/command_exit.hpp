// What the acting commands (heal, rebalance, import) share at their edge: exit codes
// (DESIGN.md: 0 success, 1 failure, 2 usage), the one-line error format, and Ctrl-C/SIGTERM
// turned into a flag the work checks between steps.
#pragma once

#include <string>
#include <string_view>

namespace warden::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// Prints "redis-warden COMMAND: MESSAGE" on stderr and returns `code`.
int fail(std::string_view command, int code, const std::string& message);

// From now on SIGINT (and SIGTERM when asked) set the flag instead of killing the process.
void catch_interruptions(bool also_sigterm);
bool interruption_requested();

}  // namespace warden::cli
