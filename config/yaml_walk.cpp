#include "config/yaml_walk.hpp"

#include <fmt/format.h>

#include "controller/core/parse/text_fields.hpp"

namespace warden::config::detail {

config_error yaml_cursor::fail(const std::string& why) const {
    auto mark = node_.Mark();
    if (mark.is_null()) return {fmt::format("{}: key '{}': {}", source_, path_, why)};
    return {
        fmt::format("{}:{}:{}: key '{}': {}", source_, mark.line + 1, mark.column + 1, path_, why)};
}

void yaml_cursor::expect_map(const std::set<std::string>& allowed) const {
    if (!node_.IsMap()) throw fail("expected a mapping");
    for (const auto& entry : node_) {
        auto key = entry.first.as<std::string>();
        if (allowed.count(key) == 0) {
            yaml_cursor at(entry.first, source_, path_.empty() ? key : path_ + "." + key);
            std::string known;
            for (const auto& name : allowed) known += (known.empty() ? "" : ", ") + name;
            throw at.fail(fmt::format("unknown key (known here: {})", known));
        }
    }
}

yaml_cursor yaml_cursor::child(const std::string& key) const {
    return {node_[key], source_, path_.empty() ? key : path_ + "." + key};
}

std::vector<yaml_cursor> yaml_cursor::items() const {
    if (!node_.IsSequence()) throw fail("expected a list");
    std::vector<yaml_cursor> result;
    for (std::size_t i = 0; i < node_.size(); ++i) {
        result.emplace_back(node_[i], source_, fmt::format("{}[{}]", path_, i));
    }
    return result;
}

std::string yaml_cursor::scalar() const {
    if (!node_.IsScalar()) throw fail("expected a single value");
    return node_.Scalar();
}

std::vector<std::string> yaml_cursor::scalars() const {
    std::vector<std::string> values;
    for (const auto& item : items()) values.push_back(item.scalar());
    return values;
}

int yaml_cursor::integer(int min, int max) const {
    auto value = parse_integer<int>(scalar());
    if (!value || *value < min || *value > max) {
        throw fail(fmt::format("'{}' is not an integer in {}..{}", scalar(), min, max));
    }
    return *value;
}

bool yaml_cursor::boolean() const {
    auto text = scalar();
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
    throw fail(fmt::format("'{}' is not true or false", text));
}

}  // namespace warden::config::detail
