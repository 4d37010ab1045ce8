#include "controller/core/health/finding_codes.hpp"

#include <algorithm>
#include <array>

namespace warden {
namespace {

constexpr auto warning = severity::warning;
constexpr auto critical = severity::critical;

// Severities and meanings as DESIGN.md's "Findings (contract)" table states them; a code
// this repository added (README "Extensions made here") comes last.
constexpr std::array<finding_code_info, 28> table{{
    {finding_code::node_unreachable,
     {warning, critical},
     "could not connect, auth failed, or timed out"},
    {finding_code::node_failing,
     {warning, critical},
     "a node is flagged fail? or fail by the cluster"},
    {finding_code::orphaned_master, {critical}, "a master serving slots has no healthy replica"},
    {finding_code::replica_link_down,
     {critical},
     "a replica is up but not syncing (master_link_status:down): it cannot fail over"},
    {finding_code::replicas_below_target,
     {warning},
     "fewer healthy replicas than the policy's min_replicas_per_master"},
    {finding_code::replica_same_host,
     {warning},
     "every replica of a master is in the master's failure domain"},
    {finding_code::quorum_at_risk,
     {warning},
     "one more master failure leaves too few voting masters to fail over"},
    {finding_code::quorum_lost,
     {critical},
     "healthy voting masters are fewer than a majority: failover is impossible now"},
    {finding_code::quorum_domain_risk,
     {warning},
     "losing one failure domain (host or zone) would lose quorum"},
    {finding_code::slots_uncovered, {critical}, "slots with no serving master"},
    {finding_code::slots_open, {warning}, "slots stuck migrating or importing"},
    {finding_code::views_disagree,
     {warning, critical},
     "nodes disagree on slot owners or membership (critical: split brain)"},
    {finding_code::tls_certificate_expiring,
     {warning, critical},
     "a node's TLS certificate expires soon (critical: within days, or expired)"},
    {finding_code::tls_ca_inconsistent,
     {warning},
     "the nodes of one cluster present certificates signed by different CAs"},
    {finding_code::protected_mode_blocks_clients,
     {critical},
     "protected-mode on with no password: non-loopback clients get DENIED"},
    {finding_code::auth_disabled, {critical}, "a node answers commands without credentials"},
    {finding_code::masterauth_mismatch,
     {critical},
     "replicas cannot authenticate to their master, so sync and failover break"},
    {finding_code::auth_inconsistent,
     {warning},
     "nodes of one cluster require different credentials"},
    {finding_code::dangerous_commands_exposed,
     {warning},
     "CONFIG, FLUSHALL, DEBUG, KEYS and the like are usable by a client user"},
    {finding_code::config_inconsistent,
     {warning},
     "cluster settings (node-timeout, migration-barrier, full-coverage...) differ"},
    {finding_code::memory_near_limit,
     {warning},
     "used memory above a share of maxmemory, or an evicting cache with no maxmemory"},
    {finding_code::plaintext_port_open,
     {warning},
     "tls-port is set but the plaintext port is still open"},
    {finding_code::tls_bus_plaintext,
     {warning},
     "tls-port set, tls-cluster no: bus and MIGRATE traffic in clear"},
    {finding_code::tls_replication_plaintext, {warning}, "tls-port set, tls-replication no"},
    {finding_code::tls_client_auth_off, {warning}, "tls-auth-clients no (or optional)"},
    {finding_code::tls_legacy_protocols, {warning}, "tls-protocols allows TLSv1 or TLSv1.1"},
    {finding_code::coordination_unavailable,
     {warning},
     "the etcd lease store cannot be reached: observing, not acting"},
    {finding_code::audit_incomplete,
     {severity::unknown},
     "what a node's audit needed could not be read: its security is unknown, not ok"},
}};

// The table is a contract: a duplicate, a code no severity allows, or `ok` as a finding's
// severity is a mistake to catch at compile time, not in a dashboard.
constexpr bool well_formed() {
    for (std::size_t i = 0; i < table.size(); ++i) {
        const auto& entry = table[i];
        if (entry.code.empty() || entry.summary.empty() || entry.severities.empty()) return false;
        if (entry.severities.contains(severity::ok)) return false;
        for (std::size_t j = i + 1; j < table.size(); ++j) {
            if (table[j].code == entry.code) return false;
        }
    }
    return true;
}
static_assert(well_formed(), "finding code table: duplicate, empty or ok-severity entry");

}  // namespace

std::span<const finding_code_info> finding_codes() {
    return table;
}

const finding_code_info* find_finding_code(std::string_view code) {
    auto found = std::find_if(table.begin(), table.end(), [code](const finding_code_info& entry) {
        return entry.code == code;
    });
    return found == table.end() ? nullptr : &*found;
}

bool is_known_finding(const finding& item) {
    const auto* entry = find_finding_code(item.code);
    return entry != nullptr && entry->severities.contains(item.level);
}

}  // namespace warden
