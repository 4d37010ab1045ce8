#include "controller/cli/connection_options.hpp"

#include "config/settings.hpp"
#include "probes/tls.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace warden::cli {

void connection_options::add_to(CLI::App& command, bool with_timeout) {
    command.add_option("--seed", seeds, "HOST:PORT of any cluster node (repeatable)")
        ->type_name("HOST:PORT");
    command.add_option("--user", username, "ACL user name for AUTH");
    command.add_option("--password-file", password_file,
                       "file whose first line is the password (else env REDISCLI_AUTH)");
    if (with_timeout) {
        command.add_option("--timeout", timeout_ms, "per-node timeout in milliseconds")
            ->check(CLI::Range(1, 600000))
            ->default_val(1000);
    }
    tls.add_to(command);
}

void tls_options::add_to(CLI::App& command, const std::string& prefix) {
    auto flag = [&prefix](const char* name) { return prefix + name; };
    command.add_flag(flag("tls"), enabled, "connect with TLS (the certificate is verified)");
    command.add_option(flag("cacert"), settings.ca_file, "CA bundle that verifies the servers")
        ->type_name("FILE");
    command.add_option(flag("cacertdir"), settings.ca_dir, "directory of trusted CA certificates")
        ->type_name("DIR");
    command.add_option(flag("cert"), settings.cert_file, "client certificate (with --key)")
        ->type_name("FILE");
    command.add_option(flag("key"), settings.key_file, "private key of the client certificate")
        ->type_name("FILE");
    command
        .add_option(flag("sni"), settings.server_name,
                    "server name to send and to verify instead of the host dialed")
        ->type_name("NAME");
    command.add_flag(flag("insecure"), settings.insecure,
                     "do not verify the servers' certificates (never the default)");
}

bool tls_options::any_given() const {
    return enabled || settings != tls_settings{};
}

result<std::shared_ptr<probes::tls_client>> tls_options::load(const std::string& prefix) const {
    if (!enabled) {
        if (any_given()) {
            return error{fmt::format("TLS options need {}tls", prefix), error_kind::usage};
        }
        return std::shared_ptr<probes::tls_client>();
    }
    return probes::tls_client::make(settings, probes::tls_flag_names(prefix));
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
    auto tls = options.tls.load();
    if (!tls) return tls.failure();
    auth.tls = std::move(*tls);
    return auth;
}

}  // namespace warden::cli
