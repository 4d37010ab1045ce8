#include "controller/cli/command_exit.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>

namespace warden::cli {
namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_interruption(int) {
    interrupted = true;
}

}  // namespace

int fail(std::string_view command, int code, const std::string& message) {
    std::fprintf(stderr, "redis-warden %.*s: %s\n", static_cast<int>(command.size()),
                 command.data(), message.c_str());
    return code;
}

int exit_code_for(const error& failure, command_family family) {
    if (family == command_family::monitoring) return exit_check_unknown;
    return failure.kind == error_kind::usage ? exit_usage : exit_failure;
}

void catch_interruptions(bool also_sigterm) {
    std::signal(SIGINT, on_interruption);
    if (also_sigterm) std::signal(SIGTERM, on_interruption);
}

bool interruption_requested() {
    return interrupted.load();
}

}  // namespace warden::cli
