// The on-call page's style and script, as built into the binary: CMake generates their
// definitions from report/page_assets/page.css and page.js (report/page_assets/embed.cmake),
// so the files stay editable as CSS and JavaScript and nothing is read at run time.
#pragma once

#include <string_view>

namespace warden::page_assets {

extern const std::string_view style;   // page.css
extern const std::string_view script;  // page.js

}  // namespace warden::page_assets
