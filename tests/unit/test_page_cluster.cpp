#include <doctest/doctest.h>

#include "controller/core/report/page.hpp"
#include "page_status.hpp"

using namespace warden;

TEST_CASE("a cluster's section opens with its status, quorum margin and the poll's age") {
    auto page = render_page_clusters(
        testing::status_of_scenario("redis-7.0/replica-killed", "127.0.0.2:21104"));
    CHECK(page.find("<section class=\"cluster st-critical\" data-cluster=\"sso-tokens\" "
                    "data-status=\"critical\">") != std::string::npos);
    CHECK(page.find("✕</span> CRITICAL</span> <span class=\"name\">sso-tokens</span>") !=
          std::string::npos);
    CHECK(page.find("quorum margin <b>1</b> (3 of 3 voting masters healthy, 2 needed)") !=
          std::string::npos);
    CHECK(page.find("6 nodes, <b>1 unreachable</b>") != std::string::npos);
    CHECK(page.find("last poll 0.4 s ago (<time>2026-12-03T07:41:01Z</time>)") !=
          std::string::npos);
}

TEST_CASE("a poll older than three intervals is called stale") {
    auto status = testing::status_of_scenario("redis-7.0/healthy-3x1-three-hosts");
    status["clusters"][0]["poll_age_seconds"] = 3.5;
    CHECK(render_page_clusters(status).find("<b>STALE:</b> last poll 3.5 s ago") !=
          std::string::npos);
}

TEST_CASE("a cluster not polled yet shows its name and says no poll completed") {
    auto status = testing::status_document(
        {{"cluster", "sessions"}, {"status", "unknown"}, {"poll_age_seconds", nullptr}});
    auto page = render_page_clusters(status);
    CHECK(page.find("? UNKNOWN") == std::string::npos);  // the shape is its own element
    CHECK(page.find("UNKNOWN</span> <span class=\"name\">sessions</span>") != std::string::npos);
    CHECK(page.find("no completed poll yet") != std::string::npos);
}

TEST_CASE("maintenance shows as a notice naming the operation, its holder and why") {
    auto status = testing::status_of_scenario("redis-7.0/healthy-3x1-three-hosts");
    CHECK(render_page_clusters(status).find("MAINTENANCE") == std::string::npos);
    status["clusters"][0]["maintenance"] = {{"operation", "restart"},
                                            {"reason", "kernel <update>"},
                                            {"holder", "root@db1 pid 42"},
                                            {"since", 1796283000.0},
                                            {"until", 1796290200.0}};
    auto page = render_page_clusters(status);
    CHECK(page.find("<p class=\"maintenance\" role=\"note\">") != std::string::npos);
    CHECK(page.find("<b>MAINTENANCE</b>: restart by root@db1 pid 42: kernel &lt;update&gt;, "
                    "until 2026-12-03T09:30:00Z. Warden does not heal this cluster") !=
          std::string::npos);
}

TEST_CASE("findings list severity, code, message and remediation, the most severe first") {
    auto status = testing::status_of_scenario("redis-7.0/replica-killed", "127.0.0.2:21104");
    status["clusters"][0]["audit"] = nlohmann::json::parse(R"({"findings": [
        {"code": "auth_disabled", "severity": "critical", "nodes": [],
         "message": "nodes answer without credentials", "remediation": "set requirepass"}]})");
    auto page = render_page_clusters(status);
    CHECK(page.find("<h3>Findings <span class=\"count\">(4)</span></h3>") != std::string::npos);
    auto orphan = page.find("<li class=\"finding sev-critical\" data-code=\"orphaned_master\">");
    auto audit = page.find("data-code=\"auth_disabled\"");
    auto warning = page.find("<li class=\"finding sev-warning\"");
    REQUIRE(orphan != std::string::npos);
    REQUIRE(audit != std::string::npos);
    CHECK(orphan < warning);
    CHECK(audit < warning);
    CHECK(page.find("<code>orphaned_master</code> master 127.0.0.1:21100") != std::string::npos);
    CHECK(
        page.find("(security audit)</span><div class=\"fix\"><b>Fix:</b> set requirepass</div>") !=
        std::string::npos);
}

TEST_CASE("heal shows what is planned, what cannot be healed and the last action") {
    auto status = testing::status_of_scenario("redis-7.0/healthy-3x1-three-hosts");
    CHECK(render_page_clusters(status).find("<p class=\"none\">Nothing planned.</p>") !=
          std::string::npos);
    auto& cluster = status["clusters"][0];
    cluster["heal"] = {{"planned", {"replicate 127.0.0.3:21105 -> 127.0.0.1:21100"}},
                       {"unmet", {"127.0.0.2:21101 (replica): no spare replica"}}};
    cluster["coordination"]["last_action"] = {
        {"who", "db1:1@127.0.0.1:9736"},
        {"action", "replicate"},
        {"node", "127.0.0.3:21105"},
        {"master", "127.0.0.1:21100"},
        {"what", "replicate 127.0.0.3:21105 -> 127.0.0.1:21100"},
        {"started", 1796283600.0},
        {"outcome", "success"},
        {"detail", ""},
        {"finished", 1796283601.0}};
    auto page = render_page_clusters(status);
    CHECK(page.find("<li><b>planned:</b> replicate 127.0.0.3:21105 -&gt; 127.0.0.1:21100</li>") !=
          std::string::npos);
    CHECK(page.find("<b>cannot heal:</b> 127.0.0.2:21101 (replica): no spare replica") !=
          std::string::npos);
    CHECK(page.find("<li><b>last action:</b> 2026-12-03T07:40:00Z") != std::string::npos);
}
