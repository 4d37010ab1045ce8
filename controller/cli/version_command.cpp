#include "controller/cli/version_command.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <spdlog/version.h>

#include <boost/version.hpp>
#include <cstdio>

namespace warden::cli {

std::string version_text() {
    const auto& build = this_build();
    std::string_view running = OpenSSL_version(OPENSSL_VERSION_STRING);
    return fmt::format(
        "redis-warden {}\n"
        "commit: {}\n"
        "build type: {}\n"
        "hiredis: {}.{}.{}\n"
        "Boost: {}.{}.{}\n"
        "OpenSSL: {} (running {})\n"
        "spdlog: {}.{}.{}\n"
        "fmt: {}.{}.{}\n",
        build.version, build.commit, build.build_type.empty() ? "none" : build.build_type,
        HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH, BOOST_VERSION / 100000,
        BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100, OPENSSL_VERSION_STR, running,
        SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH, FMT_VERSION / 10000,
        FMT_VERSION / 100 % 100, FMT_VERSION % 100);
}

int run_version() {
    std::fputs(version_text().c_str(), stdout);
    return 0;
}

}  // namespace warden::cli
