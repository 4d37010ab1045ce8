#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "config/settings.hpp"
#include "config/summary.hpp"

using namespace warden;
using namespace warden::config;

namespace {

result<std::string> no_secrets(const std::string& path) {
    return error{"unexpected password file '" + path + "'"};
}

result<std::string> any_secret(const std::string&) {
    return std::string("s3cret");
}

std::string text_of(const std::string& relative) {
    std::ifstream file(std::string(WARDEN_SOURCE_DIR) + "/" + relative);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("the package's default config watches 127.0.0.1:6379 in observe mode") {
    auto parsed = parse_settings(text_of("deploy/config.default.yaml"), "config.yaml", no_secrets);
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.failure().message));
    REQUIRE(parsed->clusters.size() == 1);
    CHECK(parsed->clusters[0].seeds == std::vector<std::string>{"127.0.0.1:6379"});
    CHECK(parsed->clusters[0].heal.mode == heal_mode::observe);
    CHECK(parsed->coordination.backend == "none");
    CHECK(summary_line(*parsed) ==
          "1 cluster (local: observe), coordination none, listen 127.0.0.1:9736");
}

TEST_CASE("the summary names every cluster with its heal mode, the coordination and listen") {
    auto parsed = parse_settings(
        "listen: 127.0.0.1:9121\n"
        "clusters:\n"
        "  - {name: sso, seeds: [10.0.0.1:6379], heal: {mode: heal}}\n"
        "  - {name: sessions, seeds: [10.0.0.2:6379]}\n"
        "coordination: {backend: etcd, endpoints: [http://127.0.0.1:2379]}\n",
        "warden.yaml", any_secret);
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.failure().message));
    CHECK(summary_line(*parsed) ==
          "2 clusters (sso: heal, sessions: observe), coordination etcd, listen 127.0.0.1:9121");
}
