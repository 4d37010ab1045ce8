#include "controller/core/planner/move_method.hpp"

#include <fmt/format.h>

namespace warden {
namespace {

// Why MIGRATE cannot move keys from this source, or "" when it can.
std::string migrate_limit(const server_version& source, const move_credentials& credentials) {
    auto can = capabilities_of(source);
    if (!can.migrate_keys) {
        return fmt::format("{} has no MIGRATE ... KEYS (3.0.6+)", source.describe());
    }
    if (credentials.username && !can.migrate_auth2) {
        return fmt::format(
            "MIGRATE on {} cannot authenticate as an ACL user to the target "
            "(MIGRATE AUTH2 needs Redis 6.0+)",
            source.describe());
    }
    if (credentials.password && !can.migrate_auth) {
        return fmt::format(
            "MIGRATE on {} cannot authenticate to the target (MIGRATE AUTH needs Redis 4.0.7+)",
            source.describe());
    }
    return "";
}

}  // namespace

result<move_method_request> parse_move_method(std::string_view text) {
    if (text == "auto") return move_method_request::automatic;
    if (text == "migrate") return move_method_request::migrate;
    if (text == "client") return move_method_request::client;
    return error{fmt::format("--move-method '{}': expected auto, migrate or client", text)};
}

std::string_view move_method_name(move_method method) {
    return method == move_method::migrate ? "MIGRATE" : "client-side";
}

result<move_method_choice> choose_move_method(move_method_request request,
                                              const std::optional<server_version>& source,
                                              const move_credentials& credentials) {
    if (request == move_method_request::client) {
        return move_method_choice{move_method::client, "forced by --move-method client"};
    }
    auto limit = source ? migrate_limit(*source, credentials) : std::string();
    if (request == move_method_request::migrate) {
        if (!limit.empty()) {
            return error{limit +
                         "; use --move-method client (or auto) to move keys from the "
                         "client side"};
        }
        return move_method_choice{move_method::migrate, "forced by --move-method migrate"};
    }
    if (!limit.empty()) return move_method_choice{move_method::client, limit};
    if (!source) {
        return move_method_choice{move_method::migrate,
                                  "source version unknown (INFO server denied): assuming MIGRATE "
                                  "can authenticate"};
    }
    return move_method_choice{move_method::migrate, ""};
}

std::optional<std::string> payload_refusal(const std::optional<server_version>& source,
                                           const std::optional<server_version>& target) {
    if (!source || !target) return std::nullopt;
    int written = capabilities_of(*source).newest_rdb_version;
    int readable = capabilities_of(*target).newest_rdb_version;
    if (written <= readable) return std::nullopt;
    return fmt::format(
        "{} cannot read the DUMP payloads of {} (RDB format {}, read by Redis {}+): upgrade the "
        "target first, or move slots the other way",
        target->describe(), source->describe(), written, oldest_redis_reading(written));
}

}  // namespace warden
