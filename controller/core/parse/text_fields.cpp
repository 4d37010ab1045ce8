#include "controller/core/parse/text_fields.hpp"

namespace warden {

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> pieces;
    std::size_t start = 0;
    while (true) {
        auto end = text.find(separator, start);
        if (end == std::string_view::npos) {
            pieces.push_back(text.substr(start));
            return pieces;
        }
        pieces.push_back(text.substr(start, end - start));
        start = end + 1;
    }
}

std::vector<std::string_view> split_spaces(std::string_view text) {
    // One pass, one allocation for a CLUSTER NODES line (9 fields and a slot range or two):
    // this runs once per line of every view, a million times a poll at 1,000 nodes.
    std::vector<std::string_view> pieces;
    pieces.reserve(12);
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find(' ', start);
        if (end == std::string_view::npos) end = text.size();
        if (end > start) pieces.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return pieces;
}

}  // namespace warden
