// Small total helpers for the line-oriented text Redis replies with.
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "controller/core/parse/digits.hpp"

namespace warden {

// Splits on every separator; keeps empty pieces (so "a,,b" has three).
std::vector<std::string_view> split(std::string_view text, char separator);

// Calls visit(piece) for every piece split() would return, in order, without allocating;
// stops early (and returns false) when visit returns false.
template <typename Visit>
bool for_each_piece(std::string_view text, char separator, Visit visit) {
    std::size_t start = 0;
    while (true) {
        auto end = text.find(separator, start);
        if (end == std::string_view::npos) return visit(text.substr(start));
        if (!visit(text.substr(start, end - start))) return false;
        start = end + 1;
    }
}

// Splits on runs of spaces; no empty pieces.
std::vector<std::string_view> split_spaces(std::string_view text);

// The whole text must be a decimal integer of type T (optional leading '-').
// Plain digits (every number Redis prints in CLUSTER NODES) go through read_digits:
// from_chars checks each digit for overflow, which made it the top symbol of a daemon
// reading 1,000 views of 1,000 lines a second. Anything else goes to from_chars.
template <typename T>
std::optional<T> parse_integer(std::string_view text) {
    std::size_t read = 0;
    if (auto plain = read_digits(text, read);
        plain && read == text.size() &&
        static_cast<std::uint64_t>(*plain) <=
            static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        return static_cast<T>(*plain);
    }
    T value{};
    auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || status != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace warden
