#include <doctest/doctest.h>

#include <string>

#include "controller/core/report/page.hpp"
#include "page_status.hpp"

using namespace warden;

namespace {

// The element that starts with the first tag carrying `attribute`, up to its closing `end`.
std::string element_with(const std::string& page, const std::string& attribute,
                         const std::string& end) {
    auto at = page.find(attribute);
    REQUIRE(at != std::string::npos);
    auto start = page.rfind('<', at);
    return page.substr(start, page.find(end, at) + end.size() - start);
}

}  // namespace

TEST_CASE("every node appears in the column of its failure domain, replicas under masters") {
    auto page =
        render_page_clusters(testing::status_of_scenario("redis-7.0/healthy-3x1-three-hosts"));
    for (const char* domain : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
        CHECK(page.find(std::string("<div class=\"domain\">\n<h4>") + domain +
                        " <span class=\"count\">1 master, ") != std::string::npos);
    }
    for (const char* address : {"127.0.0.1:21100", "127.0.0.2:21101", "127.0.0.3:21102",
                                "127.0.0.1:21103", "127.0.0.2:21104", "127.0.0.3:21105"}) {
        CHECK_MESSAGE(
            page.find(std::string("data-address=\"") + address + "\"") != std::string::npos,
            address);
    }
    auto master = element_with(page, "data-address=\"127.0.0.1:21100\"", "</article>");
    CHECK(master.find("class=\"node master state-ok\"") != std::string::npos);
    CHECK(master.find("<span class=\"slots\">5461 slots</span>") != std::string::npos);
    CHECK(master.find("data-address=\"127.0.0.2:21104\" data-state=\"ok\"") != std::string::npos);
    CHECK(
        master.find("<span class=\"dom\">on 127.0.0.2</span> <span class=\"link\">link up · lag 0 "
                    "B</span>") != std::string::npos);
    CHECK(page.find("127.0.0.2:21104 of 127.0.0.1:21100</li>") != std::string::npos);
}

TEST_CASE("a master whose replica is gone is marked orphaned by word, shape and class") {
    auto page = render_page_clusters(
        testing::status_of_scenario("redis-7.0/replica-killed", "127.0.0.2:21104"));
    auto master = element_with(page, "data-address=\"127.0.0.1:21100\"", "</article>");
    CHECK(master.find("class=\"node master state-orphaned\"") != std::string::npos);
    CHECK(master.find("data-state=\"orphaned\"") != std::string::npos);
    CHECK(master.find("<span class=\"shape\" aria-hidden=\"true\">▲</span>") != std::string::npos);
    CHECK(master.find("ORPHANED: no healthy replica") != std::string::npos);
    auto replica = element_with(master, "data-address=\"127.0.0.2:21104\"", "</li>");
    CHECK(replica.find("class=\"replica state-unreachable\"") != std::string::npos);
    CHECK(replica.find("data-state=\"unreachable failing\"") != std::string::npos);
    CHECK(replica.find("✕") != std::string::npos);
    CHECK(replica.find("UNREACHABLE: connection refused") != std::string::npos);
    // The other masters keep their healthy replicas.
    auto healthy = element_with(page, "data-address=\"127.0.0.2:21101\"", "</article>");
    CHECK(healthy.find("state-ok") != std::string::npos);
    CHECK(healthy.find("ORPHANED") == std::string::npos);
}

TEST_CASE("a replica whose link is down says so and for how long") {
    auto status = testing::status_of_scenario("redis-7.0/replica-masterauth-wrong");
    auto page = render_page_clusters(status);
    auto replica = element_with(page, "data-address=\"127.0.0.2:21104\"", "</li>");
    CHECK(replica.find("state-link-down") != std::string::npos);
    CHECK(replica.find("▼") != std::string::npos);
    CHECK(replica.find("LINK DOWN") != std::string::npos);
    CHECK(replica.find("link down") != std::string::npos);
}

TEST_CASE("a node no view places under a master gets a card of its own") {
    auto status = testing::status_of_scenario("redis-7.0/healthy-3x1-three-hosts");
    status["clusters"][0]["nodes"].push_back({{"id", nullptr},
                                              {"address", "127.0.0.9:21109"},
                                              {"role", "unknown"},
                                              {"reachable", false},
                                              {"failure_domain", "127.0.0.9"},
                                              {"error", "timed out"}});
    auto page = render_page_clusters(status);
    auto other = element_with(page, "data-address=\"127.0.0.9:21109\"", "</article>");
    CHECK(other.find("class=\"node other state-unreachable\"") != std::string::npos);
    CHECK(other.find("UNREACHABLE: timed out") != std::string::npos);
    CHECK(page.find("<h4>127.0.0.9 <span class=\"count\">0 masters, 0 slots</span>") !=
          std::string::npos);
}
