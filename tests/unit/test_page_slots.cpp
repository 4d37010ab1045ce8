#include <doctest/doctest.h>

#include "controller/core/report/page.hpp"
#include "page_status.hpp"

using namespace warden;

TEST_CASE("the slot bar draws each owner's ranges and names them in a legend") {
    auto page =
        render_page_clusters(testing::status_of_scenario("redis-7.0/healthy-3x1-three-hosts"));
    CHECK(page.find("<rect x=\"0\" y=\"10\" width=\"5461\" height=\"24\" class=\"o0\"><title>"
                    "127.0.0.1:21100: 0-5460</title></rect>") != std::string::npos);
    CHECK(page.find("<rect x=\"10923\" y=\"10\" width=\"5461\" height=\"24\" class=\"o2\">") !=
          std::string::npos);
    CHECK(page.find("class=\"o1\"/></svg> 127.0.0.2:21101 <span class=\"count\">5462 slots "
                    "(5461-10922)</span>") != std::string::npos);
    CHECK(page.find("All 16384 slots covered.") != std::string::npos);
    CHECK(page.find("class=\"uncovered\"") == std::string::npos);
}

TEST_CASE("uncovered slots are drawn as such and counted in words") {
    auto status = testing::status_of_scenario("redis-7.0/healthy-3x1-three-hosts");
    for (auto& node : status["clusters"][0]["nodes"]) {
        if (node["address"] == "127.0.0.2:21101") node["slot_ranges"] = {{5461, 6000}};
    }
    auto page = render_page_clusters(status);
    CHECK(page.find("<rect x=\"6001\" y=\"10\" width=\"4922\" height=\"24\" class=\"uncovered\">"
                    "<title>uncovered: 6001-10922</title></rect>") != std::string::npos);
    CHECK(page.find("<b>4922 slots uncovered</b>: 6001-10922") != std::string::npos);
}

TEST_CASE("an open slot is marked above the bar and named with both ends") {
    auto page = render_page_clusters(testing::status_of_scenario("redis-7.0/slot-migrating"));
    CHECK(page.find("class=\"open\"><title>slot 0 migrating</title>") != std::string::npos);
    CHECK(page.find("<b>slot 0 open</b>: migrating on 127.0.0.1:21100 (to 127.0.0.2:21101)") !=
          std::string::npos);
    CHECK(page.find("<b>slot 0 open</b>: importing on 127.0.0.2:21101 (from 127.0.0.1:21100)") !=
          std::string::npos);
}
