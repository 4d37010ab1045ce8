// Reading a plain decimal number in place, for the per-line hot path of the merge: at 1,000
// nodes a daemon reads two numbers (ping-sent, pong-recv) on each of a million lines a
// second. Small enough to be inlined: a byte loop the compiler inlines beat an eight-bytes-
// at-a-time (SWAR) version that it did not, on tests/bench/bench_synthetic_cluster.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

namespace warden {

// Reads the digits of `text` from `at` on (at least one, at most 18, so no overflow), moves
// `at` past them and returns their value; nullopt when there is no digit there or more than
// 18. Whatever follows the digits is the caller's to check.
inline std::optional<std::int64_t> read_digits(std::string_view text, std::size_t& at) {
    constexpr std::size_t max_digits = 18;
    const std::size_t begin = at;
    // One more than allowed, so that a 19th digit is seen; the text's end bounds it too.
    const std::size_t stop = std::min(text.size(), begin + max_digits + 1);
    std::uint64_t value = 0;  // 19 digits fit unsigned; only 18 are taken
    for (; at < stop; ++at) {
        auto digit = static_cast<unsigned char>(text[at] - '0');
        if (digit > 9) break;
        value = value * 10 + digit;
    }
    if (at == begin || at - begin > max_digits) return std::nullopt;
    return static_cast<std::int64_t>(value);
}

}  // namespace warden
