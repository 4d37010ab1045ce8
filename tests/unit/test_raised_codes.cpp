// What the analysis and the audit really raise on every recorded fixture, held against the
// finding code table: a code raised without an entry there, or at a severity the entry does
// not allow, fails here (and asserts in a debug build's assess() and run_audit()).
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "controller/core/audit/audit.hpp"
#include "controller/core/audit/sha256.hpp"
#include "controller/core/health/finding_codes.hpp"
#include "controller/core/parse/cluster_nodes.hpp"
#include "controller/core/report/report.hpp"
#include "fixtures.hpp"
#include "recorded_replies.hpp"

using namespace warden;
using testing::recorded_node;
using testing::resp_value;

namespace {

struct raised_finding {
    std::string source;  // fixture and variation, for the failure message
    finding item;
};
using raised_findings = std::vector<raised_finding>;

void collect(const std::string& source, const std::vector<finding>& found, raised_findings& out) {
    for (const auto& item : found) out.push_back({source, item});
}

// A scenario as recorded, offline, under a stricter policy, with each node in turn
// unreachable, and with its nodes going down one after another: most checks get to speak.
void analyse_variations(const snapshot& observed, raised_findings& out) {
    const auto& name = observed.cluster_name;
    collect(name, analyze(observed, {}).health.findings, out);
    analysis_policy strict;
    strict.topology.domains.zones.push_back({*parse_cidr("127.0.0.0/8"), "rack-1"});
    strict.health.min_replicas_per_master = 2;
    collect(name + " in one zone", analyze(observed, strict).health.findings, out);
    auto offline = observed;
    offline.offline = true;
    collect(name + " offline", analyze(offline, {}).health.findings, out);
    auto going_down = observed;
    for (const auto& probe : observed.nodes) {
        auto one_down = observed;
        testing::make_unreachable(one_down, probe.address, "connection refused");
        collect(name + " without " + probe.address, analyze(one_down, {}).health.findings, out);
        testing::make_unreachable(going_down, probe.address, "timed out");
        collect(name + " down to " + probe.address, analyze(going_down, {}).health.findings, out);
    }
}

bool was_recorded(const recorded_node& node, const std::vector<std::string>& command) {
    auto sent = node.all(command);
    return std::any_of(sent.begin(), sent.end(),
                       [&](const auto* exchange) { return exchange->command == command; });
}

void read_config(const recorded_node& node, security_probe& probe) {
    for (const auto& name : audited_config()) {
        std::vector<std::string> command{"CONFIG", "GET", name};
        if (!was_recorded(node, command)) continue;
        const auto& reply = node.reply(command);
        if (reply.is_error()) {
            probe.unreadable.push_back("CONFIG GET: " + reply.text);
        } else if (reply.elements.size() >= 2) {  // else: not a parameter of this version
            auto value = reply.elements[1].text;
            bool secret = name == "requirepass" || name == "masterauth";
            probe.config[name] = secret && !value.empty() ? "sha256:" + sha256_hex(value) : value;
        }
    }
}

// Before ACLs only renaming protects: a command COMMAND INFO still finds is usable.
void read_renamed_commands(const recorded_node& node, security_probe& probe) {
    for (const auto& dangerous : dangerous_commands()) {
        const auto& reply = node.reply({"COMMAND", "INFO", dangerous[0]});
        bool present = !reply.elements.empty() && reply.elements[0].type != resp_value::kind::nil;
        auto shown = dangerous[0] == "CLUSTER" ? dangerous[0] + " " + dangerous[1] : dangerous[0];
        probe.command_rights["default"][shown] = present;
    }
}

// What the security poll (probes/security_poll.cpp) reads, from a node's recorded replies.
// Rights come from the ACL rules on 6.0+ too: the recording holds ACL DRYRUN for two
// commands only, and the rules agree with it (test_server_versions.cpp).
security_probe security_probe_of(const recorded_node& node) {
    security_probe probe;
    probe.address = node.address();
    probe.reachable = true;
    const auto& ping = node.all({"PING"}).front()->reply;  // the first, sent before any AUTH
    probe.anonymous_reply = ping.text.starts_with("NOAUTH") ? "NOAUTH" : ping.text;
    read_config(node, probe);
    for (const char* section : {"server", "memory", "replication"}) {
        if (was_recorded(node, {"INFO", section})) probe.info += node.text({"INFO", section});
    }
    const auto& whoami = node.reply({"ACL", "WHOAMI"});
    if (!whoami.is_error()) probe.acl_whoami = whoami.text;
    for (const auto& line : node.reply({"ACL", "LIST"}).elements)
        probe.acl_list.push_back(line.text);
    if (!probe.acl_whoami) {
        read_renamed_commands(node, probe);
        return probe;
    }
    auto users = users_to_check(probe, {});
    for (const auto& user : parse_acl_list(probe.acl_list)) {
        if (std::count(users.begin(), users.end(), user.name) != 0)
            probe.command_rights[user.name] = rights_from_acl_rules(user);
    }
    return probe;
}

// The audit of a recorded cluster as read, and with its first node unreadable.
void audit_variations(const std::vector<recorded_node>& nodes, const snapshot& observed,
                      raised_findings& out) {
    std::vector<security_probe> probes;
    for (const auto& node : nodes) probes.push_back(security_probe_of(node));
    auto cluster = build_topology(observed, {});
    const auto& name = observed.cluster_name;
    collect(name + " audit", run_audit(name, cluster, probes, {}).findings, out);
    probes.front() = security_probe{};
    probes.front().address = nodes.front().address();
    probes.front().error = "connection refused";
    collect(name + " audit, first node unreadable", run_audit(name, cluster, probes, {}).findings,
            out);
}

// One saved CLUSTER NODES view, as `check --from-file` reads it.
snapshot saved_view(const std::string& relative_path) {
    snapshot saved;
    saved.cluster_name = relative_path;
    saved.offline = true;
    node_probe probe;
    probe.cluster_nodes = testing::read_fixture(relative_path);
    auto view = parse_cluster_nodes(probe.cluster_nodes);
    REQUIRE(view);
    REQUIRE(view->myself() != nullptr);
    probe.address = format_address(view->myself()->address.host, view->myself()->address.port);
    probe.reachable = true;
    saved.nodes.push_back(std::move(probe));
    return saved;
}

// Every fixture folder is found by listing, so a new recording is checked without an edit.
raised_findings raised_on_fixtures() {
    raised_findings out;
    namespace fs = std::filesystem;
    for (const auto& entry : fs::directory_iterator(fs::path(WARDEN_FIXTURES) / "redis-7.0")) {
        analyse_variations(testing::load_scenario("redis-7.0/" + entry.path().filename().string()),
                           out);
    }
    for (const auto& entry : fs::directory_iterator(fs::path(WARDEN_FIXTURES) / "formats")) {
        if (entry.path().extension() != ".nodes") continue;
        analyse_variations(saved_view("formats/" + entry.path().filename().string()), out);
    }
    for (const auto& server : testing::recorded_servers()) {
        for (const auto& scenario : testing::recorded_cases()) {
            auto nodes = testing::load_recorded_cluster(server, scenario);
            auto observed = testing::snapshot_of(nodes, server + "/" + scenario);
            analyse_variations(observed, out);
            audit_variations(nodes, observed, out);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("a finding is known only with a code of the table and a severity that code allows") {
    CHECK(is_known_finding({finding_code::orphaned_master, severity::critical, {}, "", ""}));
    CHECK_FALSE(is_known_finding({finding_code::orphaned_master, severity::warning, {}, "", ""}));
    CHECK_FALSE(is_known_finding({"orphaned_masters", severity::critical, {}, "", ""}));
}

TEST_CASE("every finding raised on the recorded fixtures has a table code and allowed severity") {
    std::set<std::string> codes;
    for (const auto& raised : raised_on_fixtures()) {
        // Named, not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
        const auto& source = raised.source;
        const auto& item = raised.item;
        CAPTURE(source);
        CAPTURE(item.code);
        CAPTURE(to_string(item.level));
        CHECK(is_known_finding(item));
        codes.insert(item.code);
    }
    // Not vacuous: the recordings reach the node, replica, quorum and slot checks and the audit.
    for (const char* code :
         {finding_code::node_unreachable, finding_code::orphaned_master, finding_code::quorum_lost,
          finding_code::slots_open, finding_code::auth_disabled, finding_code::audit_incomplete}) {
        CAPTURE(code);
        CHECK(codes.count(code) == 1);
    }
}
