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
    std::vector<std::string_view> pieces;
    for (auto piece : split(text, ' ')) {
        if (!piece.empty()) pieces.push_back(piece);
    }
    return pieces;
}

}  // namespace warden
