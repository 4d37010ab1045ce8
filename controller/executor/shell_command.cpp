#include "controller/executor/shell_command.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

extern char** environ;

namespace warden::executor {
namespace {

// waitpid without blocking; the exit code once it ended.
std::optional<int> reaped(pid_t child) {
    int status = 0;
    pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done != child) return std::nullopt;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

std::optional<int> wait_for(pid_t child, std::chrono::steady_clock::time_point deadline,
                            const std::stop_token& stop = {}) {
    while (true) {
        if (auto code = reaped(child)) return code;
        if (std::chrono::steady_clock::now() >= deadline || stop.stop_requested()) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// Warden's environment with `environment` added (its values win).
std::vector<std::string> environment_with(const std::map<std::string, std::string>& environment) {
    std::vector<std::string> entries;
    for (char** item = environ; *item != nullptr; ++item) {
        std::string_view entry(*item);
        auto name = entry.substr(0, entry.find('='));
        if (!environment.contains(std::string(name))) entries.emplace_back(entry);
    }
    for (const auto& [name, value] : environment) entries.push_back(name + "=" + value);
    return entries;
}

// SIGTERM to the group, SIGKILL 5 s later (at once when stopping); the exit code.
int end_group(pid_t child, bool hurry) {
    ::kill(-child, hurry ? SIGKILL : SIGTERM);
    auto code = wait_for(child, std::chrono::steady_clock::now() + std::chrono::seconds(5));
    if (!code) {
        ::kill(-child, SIGKILL);
        code = wait_for(child, std::chrono::steady_clock::now() + std::chrono::seconds(5));
    }
    return code.value_or(128 + SIGKILL);
}

}  // namespace

std::string substitute_placeholders(std::string command,
                                    const std::map<std::string, std::string>& values) {
    for (const auto& [name, value] : values) {
        auto token = "{" + name + "}";
        for (auto at = command.find(token); at != std::string::npos;
             at = command.find(token, at + value.size())) {
            command.replace(at, token.size(), value);
        }
    }
    return command;
}

result<shell_outcome> run_program(const std::vector<std::string>& argv,
                                  const std::map<std::string, std::string>& environment,
                                  std::chrono::milliseconds bound, std::stop_token stop) {
    if (argv.empty()) return error{"no program to run", error_kind::usage};
    auto entries = environment_with(environment);
    std::vector<char*> envp;
    for (auto& entry : entries) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<std::string> words = argv;
    std::vector<char*> args;
    for (auto& word : words) args.push_back(word.data());
    args.push_back(nullptr);

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // Its own process group: a timeout kills whatever it started too (ssh, systemctl).
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    pid_t child = 0;
    int failed =
        posix_spawn(&child, words[0].c_str(), nullptr, &attributes, args.data(), envp.data());
    posix_spawnattr_destroy(&attributes);
    if (failed != 0) {
        return error{fmt::format("cannot start {}: {}", words[0], std::strerror(failed))};
    }
    auto deadline = std::chrono::steady_clock::now() + bound;
    if (auto code = wait_for(child, deadline, stop)) return shell_outcome{*code, false, false};
    bool stopping = stop.stop_requested();
    return shell_outcome{end_group(child, stopping), !stopping, stopping};
}

result<shell_outcome> run_shell(const std::string& command,
                                const std::map<std::string, std::string>& environment,
                                std::chrono::milliseconds bound) {
    return run_program({"/bin/sh", "-c", command}, environment, bound);
}

}  // namespace warden::executor
