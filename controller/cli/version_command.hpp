// `redis-warden version`: what this binary is and what it was built from, one "key: value"
// line each after the first (a contract: DESIGN.md "Command line"):
//   redis-warden 0.1.0
//   commit: 0123456789ab          (git, at configure time; "unknown" outside a checkout)
//   build type: RelWithDebInfo
//   hiredis: 0.14.1
//   Boost: 1.74.0
//   OpenSSL: 3.0.17 (running 3.0.17)
//   spdlog: 1.10.0
//   fmt: 9.1.0
// Library versions are the headers' it was compiled against; OpenSSL also says the
// library it runs with, which security updates change without a rebuild.
#pragma once

#include <string>
#include <string_view>

namespace warden::cli {

struct build_info {
    std::string_view version;
    std::string_view commit;
    std::string_view build_type;
};
const build_info& this_build();  // build_info.cpp, written by CMake at configure time

std::string version_text();
int run_version();

}  // namespace warden::cli
