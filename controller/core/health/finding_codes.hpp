// Every finding code warden raises, in one table that the checks, the audit, the planner,
// the reports and the daemon all read. Codes are a public contract (DESIGN.md "Findings"):
// alert rules, dashboards and users match them, so they are added, never renamed.
// tests/unit/test_finding_codes.cpp holds this table against DESIGN.md, the README, the
// alert rules and the sources; test_raised_codes.cpp against what the recorded fixtures raise.
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>

#include "controller/core/health/findings.hpp"

namespace warden {

// The one spelling of each code, for every place that raises or matches one. Character
// arrays rather than string_view so that they initialise finding::code (a std::string)
// implicitly and compare with it directly.
namespace finding_code {
// health: check
inline constexpr char node_unreachable[] = "node_unreachable";
inline constexpr char node_failing[] = "node_failing";
inline constexpr char orphaned_master[] = "orphaned_master";
inline constexpr char replica_link_down[] = "replica_link_down";
inline constexpr char replicas_below_target[] = "replicas_below_target";
inline constexpr char replica_same_host[] = "replica_same_host";
inline constexpr char quorum_at_risk[] = "quorum_at_risk";
inline constexpr char quorum_lost[] = "quorum_lost";
inline constexpr char quorum_domain_risk[] = "quorum_domain_risk";
inline constexpr char slots_uncovered[] = "slots_uncovered";
inline constexpr char slots_open[] = "slots_open";
inline constexpr char views_disagree[] = "views_disagree";
inline constexpr char tls_certificate_expiring[] = "tls_certificate_expiring";
inline constexpr char tls_ca_inconsistent[] = "tls_ca_inconsistent";
// security and configuration: audit
inline constexpr char protected_mode_blocks_clients[] = "protected_mode_blocks_clients";
inline constexpr char auth_disabled[] = "auth_disabled";
inline constexpr char masterauth_mismatch[] = "masterauth_mismatch";
inline constexpr char auth_inconsistent[] = "auth_inconsistent";
inline constexpr char dangerous_commands_exposed[] = "dangerous_commands_exposed";
inline constexpr char config_inconsistent[] = "config_inconsistent";
inline constexpr char memory_near_limit[] = "memory_near_limit";
inline constexpr char audit_incomplete[] = "audit_incomplete";
inline constexpr char plaintext_port_open[] = "plaintext_port_open";
inline constexpr char tls_bus_plaintext[] = "tls_bus_plaintext";
inline constexpr char tls_replication_plaintext[] = "tls_replication_plaintext";
inline constexpr char tls_client_auth_off[] = "tls_client_auth_off";
inline constexpr char tls_legacy_protocols[] = "tls_legacy_protocols";
// daemon
inline constexpr char coordination_unavailable[] = "coordination_unavailable";
}  // namespace finding_code

// The severities a code may be raised with, one bit per severity.
class severity_set {
  public:
    constexpr severity_set(std::initializer_list<severity> levels) {
        for (auto level : levels) bits_ |= bit(level);
    }
    constexpr bool contains(severity level) const { return (bits_ & bit(level)) != 0; }
    constexpr bool empty() const { return bits_ == 0; }

  private:
    static constexpr unsigned bit(severity level) { return 1U << static_cast<unsigned>(level); }
    unsigned bits_ = 0;
};

struct finding_code_info {
    std::string_view code;
    severity_set severities;
    std::string_view summary;  // one line: what the code means (DESIGN.md's "meaning")
};

// The whole table, in a fixed order (DESIGN.md's, extensions last).
std::span<const finding_code_info> finding_codes();

// Null when `code` is not one warden raises.
const finding_code_info* find_finding_code(std::string_view code);

// Whether a finding carries a code of the table with a severity that code allows: the
// analysis asserts it, the tests check it over every recorded fixture.
bool is_known_finding(const finding& item);

}  // namespace warden
