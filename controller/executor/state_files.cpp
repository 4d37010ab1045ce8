#include "controller/executor/state_files.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace warden::executor {

error file_error(const std::string& what, const std::string& path) {
    return {fmt::format("cannot {} {}: {}", what, path, std::strerror(errno)),
            error_kind::unspecified};
}

result<void> write_replacing(const std::string& path, const std::string& text) {
    auto temporary = fmt::format("{}.tmp.{}", path, getpid());
    std::FILE* file = std::fopen(temporary.c_str(), "w");
    if (file == nullptr) return file_error("write", temporary);
    bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    written = std::fflush(file) == 0 && written;
    written = ::fsync(fileno(file)) == 0 && written;
    written = std::fclose(file) == 0 && written;
    if (!written || std::rename(temporary.c_str(), path.c_str()) != 0) {
        auto failure = file_error("write", path);
        std::remove(temporary.c_str());
        return failure;
    }
    return {};
}

result<std::optional<std::string>> read_if_exists(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        if (errno == ENOENT) return std::optional<std::string>{};
        return file_error("read", path);
    }
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad()) return file_error("read", path);
    return std::optional<std::string>{content.str()};
}

std::string host_name() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) return "unknown";
    return host;
}

double unix_seconds_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string this_process_owner() {
    return fmt::format("{}:{}", host_name(), getpid());
}

bool owner_alive(const std::string& owner) {
    auto colon = owner.rfind(':');
    if (colon == std::string::npos || owner.substr(0, colon) != host_name()) return true;
    long pid = 0;
    try {
        pid = std::stol(owner.substr(colon + 1));
    } catch (const std::exception&) {
        return false;  // unreadable: nobody can still need it
    }
    if (pid <= 0) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace warden::executor
