#include "controller/core/parse/info_fields.hpp"

#include "controller/core/parse/text_fields.hpp"

namespace warden {

info_fields parse_info_fields(std::string_view text) {
    info_fields fields;
    for (auto line : split(text, '\n')) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) continue;
        fields.insert_or_assign(std::string(line.substr(0, colon)),
                                std::string(line.substr(colon + 1)));
    }
    return fields;
}

std::optional<std::string_view> find_field(const info_fields& fields, std::string_view key) {
    auto found = fields.find(key);
    if (found == fields.end()) return std::nullopt;
    return std::string_view(found->second);
}

}  // namespace warden
