#include <doctest/doctest.h>

#include <optional>
#include <random>
#include <string>

#include "controller/core/parse/digits.hpp"

using warden::read_digits;

namespace {

// What read_digits must agree with: one byte at a time.
std::optional<std::int64_t> slow_digits(std::string_view text, std::size_t& at) {
    std::size_t begin = at;
    std::int64_t value = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        if (at - begin == 18) return std::nullopt;
        value = value * 10 + (text[at] - '0');
        ++at;
    }
    if (at == begin) return std::nullopt;
    return value;
}

}  // namespace

TEST_CASE("read_digits reads a pong time and stops at the space after it") {
    std::string line = "1700000000123 1700000000456 7 connected";
    std::size_t at = 0;
    CHECK(read_digits(line, at) == 1700000000123);
    CHECK(at == 13);
    ++at;
    CHECK(read_digits(line, at) == 1700000000456);
    CHECK(line[at] == ' ');
}

TEST_CASE("read_digits takes numbers at the very end of the text, shorter than a word") {
    std::string text = "x 0";
    std::size_t at = 2;
    CHECK(read_digits(text, at) == 0);
    CHECK(at == 3);
}

TEST_CASE("read_digits refuses no digit, a sign, and more than 18 digits") {
    for (std::string text :
         {"", " 12", "-5", "abc", "1234567890123456789", "12345678901234567890 "}) {
        CAPTURE(text);
        std::size_t at = 0;
        CHECK_FALSE(read_digits(text, at).has_value());
    }
    std::string eighteen = "999999999999999999 ";
    std::size_t at = 0;
    CHECK(read_digits(eighteen, at) == 999999999999999999);
}

TEST_CASE("read_digits agrees with a byte-at-a-time reader on random text") {
    std::mt19937 random(42);
    const std::string alphabet = "0123456789 :/@\xfa\xff\x2f\x3a";
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        auto size = random() % 40;
        for (std::size_t i = 0; i < size; ++i) {
            // Mostly digits, so that long runs are common.
            text += random() % 4 != 0 ? static_cast<char>('0' + random() % 10)
                                      : alphabet[random() % alphabet.size()];
        }
        std::size_t start = size == 0 ? 0 : random() % size;
        std::size_t fast_at = start;
        std::size_t slow_at = start;
        auto fast = read_digits(text, fast_at);
        auto slow = slow_digits(text, slow_at);
        CAPTURE(text);
        CAPTURE(start);
        REQUIRE(fast == slow);
        if (slow) REQUIRE(fast_at == slow_at);
    }
}
