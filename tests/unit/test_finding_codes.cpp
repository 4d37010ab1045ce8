// The finding code table against everything that depends on it: DESIGN.md's contract, the
// README, the alert rules, the metrics, the planner and the sources that raise codes. What
// the recorded fixtures really raise is test_raised_codes.cpp's.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "controller/core/health/finding_codes.hpp"
#include "controller/core/planner/heal_plan.hpp"
#include "controller/core/report/metrics.hpp"

using namespace warden;

namespace {

std::string read_source(const std::string& relative_path) {
    std::ifstream file(std::string(WARDEN_SOURCE_DIR) + "/" + relative_path, std::ios::binary);
    REQUIRE_MESSAGE(file, "missing " << relative_path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

std::string backticked(std::string_view code) {
    return "`" + std::string(code) + "`";
}

std::set<severity> allowed(const finding_code_info& entry) {
    std::set<severity> levels;
    for (auto level : {severity::ok, severity::warning, severity::critical, severity::unknown}) {
        if (entry.severities.contains(level)) levels.insert(level);
    }
    return levels;
}

// DESIGN.md's Findings table: "| `code` | warning/critical | meaning |" -> code -> severities.
std::map<std::string, std::set<std::string>> design_codes() {
    std::map<std::string, std::set<std::string>> codes;
    std::istringstream lines(read_source("DESIGN.md"));
    for (std::string line; std::getline(lines, line);) {
        static const std::regex row(R"(^\| `([a-z_]+)` \| ([a-z/]+) \|)");
        std::smatch match;
        if (!std::regex_search(line, match, row)) continue;
        std::istringstream levels(match[2].str());
        for (std::string level; std::getline(levels, level, '/');) codes[match[1]].insert(level);
    }
    return codes;
}

// The README's "Extensions made here" list, where codes DESIGN.md does not define live.
std::string readme_extensions() {
    auto readme = read_source("README.md");
    auto from = readme.find("Extensions made here");
    REQUIRE(from != std::string::npos);
    return readme.substr(from, readme.find("\n## ", from) - from);
}

// Every `expr:` of deploy/prometheus/alerts.yml (each fits on one line there).
std::vector<std::string> alert_expressions() {
    std::vector<std::string> exprs;
    std::istringstream lines(read_source("deploy/prometheus/alerts.yml"));
    for (std::string line; std::getline(lines, line);) {
        auto at = line.find("expr:");
        if (at != std::string::npos) exprs.push_back(line.substr(at + 5));
    }
    REQUIRE_FALSE(exprs.empty());
    return exprs;
}

// Whether some alert selects redis_warden_findings for `code`: by code="...", by a
// code=~"..." regex (Prometheus anchors it), or with no code matcher at all (generic).
bool findings_alert_selects(std::string_view code) {
    static const std::regex matcher(R"re(code(=~|=)"([^"]*)")re");
    const std::string selector = "redis_warden_findings{";
    for (const auto& expr : alert_expressions()) {
        for (auto at = expr.find(selector); at != std::string::npos;
             at = expr.find(selector, at + 1)) {
            auto begin = at + selector.size();
            auto labels = expr.substr(begin, expr.find('}', begin) - begin);
            std::smatch match;
            if (!std::regex_search(labels, match, matcher)) return true;
            const std::string wanted(code);
            if (match[1] == "=" ? match[2] == wanted
                                : std::regex_match(wanted, std::regex(match[2].str()))) {
                return true;
            }
        }
    }
    return false;
}

bool some_alert_mentions(std::string_view series) {
    auto exprs = alert_expressions();
    return std::any_of(exprs.begin(), exprs.end(), [series](const std::string& expr) {
        return expr.find(series) != std::string::npos;
    });
}

// Codes whose alert watches a gauge of their own rather than findings{code}.
const std::map<std::string, std::string>& paged_by_gauge() {
    static const std::map<std::string, std::string> gauges = {
        {finding_code::node_unreachable, "redis_warden_node_up"},
        {finding_code::node_failing, "redis_warden_node_up"},
        {finding_code::orphaned_master, "redis_warden_orphaned_masters"},
        {finding_code::quorum_at_risk, "redis_warden_quorum_margin"},
        {finding_code::quorum_lost, "redis_warden_quorum_margin"},
        {finding_code::slots_uncovered, "redis_warden_slots_uncovered"},
        {finding_code::slots_open, "redis_warden_slots_open"},
        {finding_code::tls_certificate_expiring,
         "redis_warden_tls_certificate_expiry_timestamp_seconds"},
    };
    return gauges;
}

// Warning or critical codes no alert pages for, and why. Each must really be unpaged, so
// adding its alert means removing it here.
const std::map<std::string, std::string>& not_paged() {
    static const std::map<std::string, std::string> codes = {
        {finding_code::replica_same_host,
         "a placement warning: the dashboard shows it and heal.fix_placement acts on it"},
    };
    return codes;
}

}  // namespace

TEST_CASE("every code appears once in the table, with a summary and real severities") {
    std::set<std::string_view> seen;
    for (const auto& entry : finding_codes()) {
        CAPTURE(entry.code);
        CHECK(seen.insert(entry.code).second);
        CHECK_FALSE(entry.summary.empty());
        CHECK_FALSE(entry.severities.empty());
        CHECK_FALSE(entry.severities.contains(severity::ok));  // ok is no finding
        CHECK(find_finding_code(entry.code) == &entry);
    }
    CHECK(find_finding_code("orphaned_masters") == nullptr);  // the gauge, not the code
    CHECK(find_finding_code("") == nullptr);
}

TEST_CASE("every code is in DESIGN.md's table with the same severities, or a README extension") {
    auto design = design_codes();
    auto extensions = readme_extensions();
    for (const auto& entry : finding_codes()) {
        CAPTURE(entry.code);
        auto row = design.find(std::string(entry.code));
        if (row == design.end()) {
            CHECK(extensions.find(backticked(entry.code)) != std::string::npos);
            continue;
        }
        std::set<std::string> levels;
        for (auto level : allowed(entry)) levels.insert(to_string(level));
        CHECK(row->second == levels);
    }
}

TEST_CASE("every code DESIGN.md defines is one this repository raises") {
    std::set<std::string> missing;
    for (const auto& [code, levels] : design_codes()) {
        if (find_finding_code(code) == nullptr) missing.insert(code);
    }
    CHECK(missing.empty());
}

TEST_CASE("every code is named in the README") {
    auto readme = read_source("README.md");
    for (const auto& entry : finding_codes()) {
        CAPTURE(entry.code);
        CHECK(readme.find(backticked(entry.code)) != std::string::npos);
    }
}

TEST_CASE("every warning or critical code pages through an alert rule, or says why not") {
    for (const auto& entry : finding_codes()) {
        CAPTURE(entry.code);
        if (!entry.severities.contains(severity::warning) &&
            !entry.severities.contains(severity::critical)) {
            continue;  // audit_incomplete: unknown is not a page (RedisWardenAuditStale is)
        }
        auto gauge = paged_by_gauge().find(std::string(entry.code));
        bool paged = findings_alert_selects(entry.code) ||
                     (gauge != paged_by_gauge().end() && some_alert_mentions(gauge->second));
        if (not_paged().count(std::string(entry.code)) != 0) {
            CHECK_FALSE(paged);  // the exception is stale: remove it from not_paged()
        } else {
            CHECK(paged);
        }
    }
    for (const auto& [code, why] : not_paged()) CHECK(find_finding_code(code) != nullptr);
    for (const auto& [code, gauge] : paged_by_gauge()) CHECK(find_finding_code(code) != nullptr);
}

TEST_CASE("findings{code,severity} has a zero series for exactly the table's pairs") {
    std::set<std::pair<std::string, std::string>> expected;
    for (const auto& entry : finding_codes()) {
        for (auto level : allowed(entry))
            expected.insert({std::string(entry.code), to_string(level)});
    }
    const auto& series = known_finding_series();
    CHECK(std::set(series.begin(), series.end()) == expected);
    CHECK(series.size() == expected.size());
}

TEST_CASE("every heal goal names the finding code it answers") {
    // The daemon's grace period finds the finding an action answers by this name.
    for (auto goal : {heal_goal::cover_orphan, heal_goal::reach_target,
                      heal_goal::spread_failure_domain, heal_goal::restore_quorum}) {
        CAPTURE(to_string(goal));
        CHECK(find_finding_code(to_string(goal)) != nullptr);
    }
}

namespace {

// The product's sources, for the checks the fixtures cannot reach (a code only a rare state
// raises): every file under controller/ and probes/.
std::vector<std::pair<std::string, std::string>> product_sources() {
    std::vector<std::pair<std::string, std::string>> files;
    namespace fs = std::filesystem;
    for (const char* top : {"controller", "probes"}) {
        for (const auto& entry :
             fs::recursive_directory_iterator(fs::path(WARDEN_SOURCE_DIR) / top)) {
            auto extension = entry.path().extension();
            if (extension != ".cpp" && extension != ".hpp") continue;
            auto relative = fs::relative(entry.path(), WARDEN_SOURCE_DIR).string();
            files.emplace_back(relative, read_source(relative));
        }
    }
    REQUIRE_FALSE(files.empty());
    return files;
}

}  // namespace

TEST_CASE("every finding_code constant is spelled as its name and has a table entry") {
    auto header = read_source("controller/core/health/finding_codes.hpp");
    static const std::regex constant(R"re(inline constexpr char (\w+)\[\] = "(\w+)";)re");
    int constants = 0;
    for (std::sregex_iterator it(header.begin(), header.end(), constant), end; it != end; ++it) {
        CAPTURE((*it)[1].str());
        CHECK((*it)[1] == (*it)[2]);
        CHECK(find_finding_code((*it)[2].str()) != nullptr);
        ++constants;
    }
    CHECK(constants == static_cast<int>(finding_codes().size()));
}

TEST_CASE("no source raises or matches a finding code by a string literal") {
    // {"code", severity::...} builds a finding; count_findings(x, "code") and .code == "code"
    // match one. Each must name a finding_code constant, so the table sees every code.
    static const std::regex literal(
        R"re(\{\s*"[a-z][a-z_]*",\s*severity::|count_findings\([^,()]+,\s*"|\.code\s*==\s*")re");
    for (const auto& source : product_sources()) {
        // Named copies, not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
        const std::string& path = source.first;
        const std::string& text = source.second;
        CAPTURE(path);
        std::smatch match;
        bool found = std::regex_search(text, match, literal);
        CAPTURE(found ? match.str() : std::string());
        CHECK_FALSE(found);
    }
}
