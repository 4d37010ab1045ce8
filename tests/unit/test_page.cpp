#include <doctest/doctest.h>

#include <string>

#include "controller/core/audit/sha256.hpp"
#include "controller/core/coordination/base64.hpp"
#include "controller/core/report/page.hpp"
#include "page_status.hpp"

using namespace warden;

namespace {

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
    return count;
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
    auto start = text.find(open);
    REQUIRE(start != std::string::npos);
    start += open.size();
    auto end = text.find(close, start);
    REQUIRE(end != std::string::npos);
    return text.substr(start, end - start);
}

// The digest a browser computes over an inline element's text, as CSP spells it.
std::string csp_hash_of(const std::string& text) {
    return "'sha256-" + base64_encode(sha256_digest(text)) + "'";
}

}  // namespace

TEST_CASE("html_escape escapes the five characters HTML gives meaning to") {
    CHECK(html_escape(R"(<a href="x">'&'</a>)") ==
          "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    CHECK(html_escape("127.0.0.1:7000 zone-a") == "127.0.0.1:7000 zone-a");
}

TEST_CASE("a hostile value in the status document arrives as text, never as markup") {
    auto status = testing::status_of_scenario("redis-7.0/replica-killed", "127.0.0.2:21104");
    auto& cluster = status["clusters"][0];
    cluster["cluster"] = "<script>alert(1)</script>";
    for (auto& node : cluster["nodes"]) {
        if (node["address"] == "127.0.0.2:21104") node["error"] = "\"><img src=x onerror=alert(2)>";
    }
    cluster["findings"][0]["message"] = "</style><b onclick='x'>";
    cluster["findings"][0]["remediation"] = "<iframe>";
    auto page = render_page(status);
    CHECK(count_of(page, "<script>") == 1);  // the page's own
    CHECK(page.find("<img") == std::string::npos);
    CHECK(page.find("<b onclick") == std::string::npos);
    CHECK(page.find("<iframe>") == std::string::npos);
    CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(page.find("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;") != std::string::npos);
    CHECK(page.find("&lt;/style&gt;&lt;b onclick=&#39;x&#39;&gt;") != std::string::npos);
    CHECK(page.find("data-cluster=\"&lt;script&gt;") != std::string::npos);
}

TEST_CASE("a CSP hash is the base64 of the SHA-256 digest, as in the CSP specification") {
    CHECK(csp_hash_of("alert('Hello, world.');") ==
          "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='");
}

TEST_CASE("the security policy allows exactly the inline style and script the page carries") {
    auto page = render_page(testing::status_of_scenario("redis-7.0/healthy-3x1-three-hosts"));
    auto policy = page_security_policy();
    CHECK(policy.find("default-src 'none'") != std::string::npos);
    CHECK(policy.find("unsafe") == std::string::npos);
    CHECK(policy.find("script-src " + csp_hash_of(between(page, "<script>", "</script>"))) !=
          std::string::npos);
    CHECK(policy.find("style-src " + csp_hash_of(between(page, "<style>", "</style>"))) !=
          std::string::npos);
    CHECK(policy.find("connect-src 'self'") != std::string::npos);
    // Style attributes would need 'unsafe-inline': the page has none.
    CHECK(page.find(" style=") == std::string::npos);
}

TEST_CASE("the page of a recorded cluster is a whole document well under 100 KB") {
    auto page = render_page(testing::status_of_scenario("redis-7.0/healthy-3x1-three-hosts"));
    CHECK(page.rfind("<!DOCTYPE html>\n", 0) == 0);
    CHECK(page.find("</html>\n") == page.size() - 8);
    CHECK(page.find("<title>OK · redis-warden</title>") != std::string::npos);
    CHECK(page.find("id=\"events\"") != std::string::npos);
    CHECK(page.size() < 100 * 1024);
    MESSAGE("page size: " << page.size() << " bytes");
}

TEST_CASE("the refreshed part is the clusters element with its refresh period and title") {
    auto status = testing::status_of_scenario("redis-7.0/replica-killed", "127.0.0.2:21104");
    auto part = render_page_clusters(status);
    CHECK(part.rfind("<main id=\"clusters\" data-refresh-ms=\"500\" "
                     "data-title=\"CRITICAL · redis-warden\">\n",
                     0) == 0);
    CHECK(render_page(status).find(part) != std::string::npos);
    status["clusters"][0]["poll_interval_seconds"] = 0.1;
    CHECK(render_page_clusters(status).find("data-refresh-ms=\"250\"") != std::string::npos);
}

TEST_CASE("a daemon with no cluster configured renders a page that says so") {
    auto page = render_page({{"version", "0.1.0"}, {"clusters", nlohmann::json::array()}});
    CHECK(page.find("No clusters are configured.") != std::string::npos);
    CHECK(page.find("data-refresh-ms=\"1000\"") != std::string::npos);
}
