#include "controller/cli/connection_options.hpp"

#include "config/settings.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace warden::cli {

void connection_options::add_to(CLI::App& command) {
    command.add_option("--seed", seeds, "HOST:PORT of any cluster node (repeatable)")
        ->type_name("HOST:PORT");
    command.add_option("--user", username, "ACL user name for AUTH");
    command.add_option("--password-file", password_file,
                       "file whose first line is the password (else env REDISCLI_AUTH)");
    command.add_option("--timeout", timeout_ms, "per-node timeout in milliseconds")
        ->check(CLI::Range(1, 600000))
        ->default_val(1000);
}

result<probes::credentials> load_credentials(const connection_options& options) {
    probes::credentials auth;
    auth.username = options.username;
    if (options.password_file) {
        auto password = config::read_secret_file(*options.password_file);
        if (!password) return password.failure();
        auth.password = std::move(*password);
    } else if (const char* from_env = std::getenv("REDISCLI_AUTH"); from_env && *from_env) {
        auth.password = std::string(from_env);
    }
    if (auth.username && !auth.password) {
        return error{"--user needs a password: give --password-file or set REDISCLI_AUTH"};
    }
    return auth;
}

}  // namespace warden::cli
