#include "controller/core/import/import_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace warden {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

}  // namespace

std::optional<redirect> parse_redirect(std::string_view error_text) {
    redirect parsed;
    if (starts_with(error_text, "MOVED ")) {
        error_text.remove_prefix(6);
    } else if (starts_with(error_text, "ASK ")) {
        parsed.ask = true;
        error_text.remove_prefix(4);
    } else {
        return std::nullopt;
    }
    auto space = error_text.find(' ');
    if (space == std::string_view::npos || space == 0) return std::nullopt;
    auto slot_text = error_text.substr(0, space);
    auto [end, failure] =
        std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), parsed.slot);
    if (failure != std::errc{} || end != slot_text.data() + slot_text.size() || parsed.slot < 0 ||
        parsed.slot > 16383) {
        return std::nullopt;
    }
    parsed.address = std::string(error_text.substr(space + 1));
    if (parsed.address.empty() || parsed.address.find(':') == std::string::npos) {
        return std::nullopt;
    }
    return parsed;
}

restore_outcome classify_restore_reply(bool is_error, std::string_view text) {
    if (!is_error) return restore_outcome::written;
    if (starts_with(text, "BUSYKEY")) return restore_outcome::already_there;
    if (parse_redirect(text)) return restore_outcome::redirected;
    if (contains(text, "payload version") || contains(text, "Bad data format")) {
        return restore_outcome::payload_format;
    }
    if (starts_with(text, "TRYAGAIN") || starts_with(text, "LOADING") ||
        starts_with(text, "CLUSTERDOWN")) {
        return restore_outcome::retry_later;
    }
    return restore_outcome::failed;
}

std::optional<std::int64_t> restore_ttl(std::int64_t pttl, std::int64_t read_ms,
                                        std::int64_t now_ms) {
    if (pttl == -1) return 0;  // no TTL: RESTORE ... 0
    if (pttl < 0) return std::nullopt;
    auto left = read_ms + pttl - now_ms;
    if (left <= 0) return std::nullopt;
    return left;
}

std::optional<int> dump_rdb_version(std::string_view payload) {
    if (payload.size() < 10) return std::nullopt;
    auto low = static_cast<unsigned char>(payload[payload.size() - 10]);
    auto high = static_cast<unsigned char>(payload[payload.size() - 9]);
    return static_cast<int>(low | (high << 8));
}

namespace {

// One bracket expression at pattern[0] == '['; advances `pattern` past it.
bool match_class(std::string_view& pattern, char letter) {
    pattern.remove_prefix(1);
    bool negate = !pattern.empty() && pattern.front() == '^';
    if (negate) pattern.remove_prefix(1);
    bool matched = false;
    while (!pattern.empty() && pattern.front() != ']') {
        if (pattern.front() == '\\' && pattern.size() >= 2) {
            pattern.remove_prefix(1);
            matched |= pattern.front() == letter;
            pattern.remove_prefix(1);
        } else if (pattern.size() >= 3 && pattern[1] == '-' && pattern[2] != ']') {
            auto low = std::min(pattern[0], pattern[2]);
            auto high = std::max(pattern[0], pattern[2]);
            matched |= letter >= low && letter <= high;
            pattern.remove_prefix(3);
        } else {
            matched |= pattern.front() == letter;
            pattern.remove_prefix(1);
        }
    }
    if (!pattern.empty()) pattern.remove_prefix(1);  // ']'
    return matched != negate;
}

}  // namespace

bool matches_pattern(std::string_view pattern, std::string_view text) {
    while (!pattern.empty()) {
        switch (pattern.front()) {
            case '*': {
                while (!pattern.empty() && pattern.front() == '*') pattern.remove_prefix(1);
                if (pattern.empty()) return true;
                for (std::size_t skip = 0; skip <= text.size(); ++skip) {
                    if (matches_pattern(pattern, text.substr(skip))) return true;
                }
                return false;
            }
            case '?':
                if (text.empty()) return false;
                pattern.remove_prefix(1);
                text.remove_prefix(1);
                break;
            case '[':
                if (text.empty() || !match_class(pattern, text.front())) return false;
                text.remove_prefix(1);
                break;
            case '\\':
                if (pattern.size() >= 2) pattern.remove_prefix(1);
                [[fallthrough]];
            default:
                if (text.empty() || pattern.front() != text.front()) return false;
                pattern.remove_prefix(1);
                text.remove_prefix(1);
        }
    }
    return text.empty();
}

std::string serialize_checkpoint(const import_checkpoint& checkpoint) {
    nlohmann::json out = {
        {"source", checkpoint.source},
        {"db", checkpoint.db},
        {"match", checkpoint.match},
        {"cursor", checkpoint.cursor},
        {"complete", checkpoint.complete},
        {"scanned", checkpoint.counts.scanned},
        {"copied", checkpoint.counts.copied},
        {"existing", checkpoint.counts.existing},
        {"expired", checkpoint.counts.expired},
    };
    return out.dump(2) + "\n";
}

result<import_checkpoint> parse_checkpoint(std::string_view text) {
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        return error{"not a checkpoint: not a JSON object"};
    }
    import_checkpoint checkpoint;
    auto take = [&](const char* name, auto& into, auto is_type) -> std::string {
        auto found = parsed.find(name);
        if (found == parsed.end()) return fmt::format("field '{}' is missing", name);
        if (!is_type(*found)) return fmt::format("field '{}' has the wrong type", name);
        found->get_to(into);
        return "";
    };
    auto is_string = [](const nlohmann::json& value) { return value.is_string(); };
    auto is_integer = [](const nlohmann::json& value) { return value.is_number_integer(); };
    auto is_bool = [](const nlohmann::json& value) { return value.is_boolean(); };
    for (const auto& problem : {
             take("source", checkpoint.source, is_string),
             take("db", checkpoint.db, is_integer),
             take("match", checkpoint.match, is_string),
             take("cursor", checkpoint.cursor, is_string),
             take("complete", checkpoint.complete, is_bool),
             take("scanned", checkpoint.counts.scanned, is_integer),
             take("copied", checkpoint.counts.copied, is_integer),
             take("existing", checkpoint.counts.existing, is_integer),
             take("expired", checkpoint.counts.expired, is_integer),
         }) {
        if (!problem.empty()) return error{"not a checkpoint: " + problem};
    }
    if (checkpoint.cursor.empty() ||
        checkpoint.cursor.find_first_not_of("0123456789") != std::string::npos) {
        return error{"not a checkpoint: the cursor is not a number"};
    }
    return checkpoint;
}

std::string checkpoint_mismatch(const import_checkpoint& saved, const std::string& source, int db,
                                const std::string& match) {
    if (saved.source != source) {
        return fmt::format("it belongs to source {}, not {}", saved.source, source);
    }
    if (saved.db != db) return fmt::format("it was made for --db {}, not {}", saved.db, db);
    if (saved.match != match) {
        return fmt::format("it was made for --match '{}', not '{}'", saved.match, match);
    }
    return "";
}

}  // namespace warden
