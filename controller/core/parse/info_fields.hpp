// Parser for INFO and CLUSTER INFO replies: "# Section" headers and "key:value" lines.
// https://redis.io/commands/info/
//   # Replication
//   role:slave
//   master_link_status:up
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace warden {

using info_fields = std::map<std::string, std::string, std::less<>>;

// Total: lines that are not "key:value" (headers, blanks) are ignored, because INFO's
// sections vary by version and module; consumers look up the keys they need.
info_fields parse_info_fields(std::string_view text);

std::optional<std::string_view> find_field(const info_fields& fields, std::string_view key);
// The view points into `fields`: a temporary map would leave it dangling.
std::optional<std::string_view> find_field(info_fields&& fields, std::string_view key) = delete;

}  // namespace warden
