#include "controller/daemon/page_route.hpp"

#include "controller/core/report/page.hpp"

namespace warden::daemon {

http_response page_response(const nlohmann::json& status, const std::string& target) {
    auto query = target.find('?');
    bool part = query != std::string::npos && target.substr(query + 1) == "part=clusters";
    http_response answer{200, "text/html; charset=utf-8",
                         part ? render_page_clusters(status) : render_page(status)};
    // Always the poll of this moment; a policy that lets the page run nothing but itself.
    answer.headers = {{"Cache-Control", "no-store"},
                      {"Content-Security-Policy", page_security_policy()},
                      {"Referrer-Policy", "no-referrer"}};
    return answer;
}

}  // namespace warden::daemon
