#include "controller/core/compat/server_version.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <tuple>

#include "controller/core/parse/info_fields.hpp"

namespace warden {
namespace {

// Reads leading digits; nullopt when there are none.
std::optional<int> leading_number(std::string_view& text) {
    int value = 0;
    auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (status != std::errc{} || value < 0) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return value;
}

// Oldest Redis that reads each DUMP payload (RDB) format: rdb.h's RDB_VERSION per release.
struct rdb_format {
    int rdb_version;
    int major;
    int minor;
};
constexpr std::array rdb_formats{
    rdb_format{6, 2, 6},  rdb_format{7, 3, 2},  rdb_format{8, 4, 0},  rdb_format{9, 5, 0},
    rdb_format{10, 7, 0}, rdb_format{11, 7, 2}, rdb_format{12, 7, 4},
};

int newest_rdb_read_by(const server_version& version) {
    int newest = 0;
    for (const auto& format : rdb_formats) {
        if (version.at_least(format.major, format.minor)) newest = format.rdb_version;
    }
    return newest;
}

}  // namespace

bool server_version::at_least(int wanted_major, int wanted_minor, int wanted_patch) const {
    return std::tie(major, minor, patch) >= std::tie(wanted_major, wanted_minor, wanted_patch);
}

std::string server_version::describe() const {
    return fmt::format("{} {}", flavour == server_flavour::valkey ? "Valkey" : "Redis",
                       product_version);
}

std::optional<server_version> parse_version_number(std::string_view text) {
    auto rest = text;
    auto major = leading_number(rest);
    if (!major || !rest.starts_with('.')) return std::nullopt;
    rest.remove_prefix(1);
    auto minor = leading_number(rest);
    if (!minor) return std::nullopt;
    int patch = 0;
    if (rest.starts_with('.')) {
        rest.remove_prefix(1);
        patch = leading_number(rest).value_or(0);
    }
    server_version version;
    version.major = *major;
    version.minor = *minor;
    version.patch = patch;
    version.product_version = std::string(text);
    return version;
}

std::optional<server_version> server_version_of(std::string_view info_text) {
    auto fields = parse_info_fields(info_text);
    auto redis = find_field(fields, "redis_version");
    if (!redis) return std::nullopt;
    auto version = parse_version_number(*redis);
    if (!version) return std::nullopt;
    if (auto valkey = find_field(fields, "valkey_version")) {
        version->flavour = server_flavour::valkey;
        version->product_version = std::string(*valkey);
    }
    return version;
}

server_capabilities capabilities_of(const server_version& version) {
    server_capabilities can;
    can.acl = version.at_least(6);
    can.acl_dryrun = version.at_least(7);
    can.hello = version.at_least(6);
    can.migrate_keys = version.at_least(3, 0, 6);
    can.migrate_auth = version.at_least(4, 0, 7);
    can.migrate_auth2 = version.at_least(6);
    can.cluster_shards = version.at_least(7);
    can.restore_absttl = version.at_least(5);
    can.newest_rdb_version = newest_rdb_read_by(version);
    return can;
}

std::string oldest_redis_reading(int rdb_version) {
    for (const auto& format : rdb_formats) {
        if (format.rdb_version == rdb_version)
            return fmt::format("{}.{}", format.major, format.minor);
    }
    return "";
}

}  // namespace warden
