// What the nodes' TLS certificates say: when they expire, and who signed them. Warden reads
// each certificate in its own handshake, so a node whose certificate already failed
// verification still shows it.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "controller/core/health/checks.hpp"
#include "controller/core/health/finding_codes.hpp"
#include "controller/core/utc_time.hpp"

namespace warden::detail {
namespace {

constexpr long long seconds_per_day = 86400;

std::string expiry_text(const cluster_node& node, long long now) {
    const auto not_after = node.certificate->not_after;
    auto when = utc_text(static_cast<double>(not_after));
    if (not_after <= now) {
        return fmt::format("{} expired {} ({:.1f} days ago)", node.address, when,
                           static_cast<double>(now - not_after) / seconds_per_day);
    }
    return fmt::format("{} expires {} (in {:.1f} days)", node.address, when,
                       static_cast<double>(not_after - now) / seconds_per_day);
}

void report_expiring(severity level, const std::vector<const cluster_node*>& nodes, long long now,
                     findings& out) {
    if (nodes.empty()) return;
    std::vector<std::string> ids;
    std::vector<std::string> details;
    for (const auto* node : nodes) {
        ids.push_back(node_key(*node));
        details.push_back(expiry_text(*node, now));
    }
    std::sort(ids.begin(), ids.end());
    out.push_back(
        {finding_code::tls_certificate_expiring, level, ids,
         fmt::format("TLS certificate of {} node(s): {}; a node whose certificate expires is "
                     "refused by every verifying client and by its peers on the cluster bus",
                     nodes.size(), fmt::join(details, "; ")),
         "issue each node a new certificate and key, then on every node: CONFIG SET "
         "tls-cert-file <cert> tls-key-file <key> (Redis loads them at once; tls-ca-cert-file "
         "too if the CA changed); CONFIG REWRITE"});
}

void check_expiry(const topology& cluster, const health_policy& policy, findings& out) {
    const long long now = policy.now_unix_seconds;
    std::vector<const cluster_node*> critical;
    std::vector<const cluster_node*> warning;
    for (const auto& node : cluster.nodes) {
        if (!node.certificate) continue;
        const long long left = node.certificate->not_after - now;
        if (left < policy.certificate_critical_days * seconds_per_day) {
            critical.push_back(&node);
        } else if (left < policy.certificate_warning_days * seconds_per_day) {
            warning.push_back(&node);
        }
    }
    report_expiring(severity::critical, critical, now, out);
    report_expiring(severity::warning, warning, now, out);
}

void check_issuers(const topology& cluster, findings& out) {
    std::map<std::string, std::vector<std::string>> by_issuer;  // issuer -> addresses
    std::set<std::string> ids;
    for (const auto& node : cluster.nodes) {
        if (!node.certificate) continue;
        by_issuer[node.certificate->issuer].push_back(node.address);
        ids.insert(node_key(node));
    }
    if (by_issuer.size() < 2) return;
    std::vector<std::string> groups;
    for (const auto& [issuer, addresses] : by_issuer) {
        groups.push_back(fmt::format("'{}' signed {}", issuer, fmt::join(addresses, ", ")));
    }
    out.push_back(
        {finding_code::tls_ca_inconsistent,
         severity::warning,
         {ids.begin(), ids.end()},
         fmt::format("the nodes present certificates from {} different CAs: {}; a node "
                     "verifies its peers with its tls-ca-cert-file, so replication and the "
                     "cluster bus fail wherever a node does not trust another's CA",
                     by_issuer.size(), fmt::join(groups, "; ")),
         "sign every node's certificate with one CA (or give every node a tls-ca-cert-file "
         "bundle with all of them), then CONFIG SET tls-cert-file/tls-key-file on the odd ones"});
}

}  // namespace

void check_certificates(const topology& cluster, const health_policy& policy, findings& out) {
    if (policy.now_unix_seconds > 0) check_expiry(cluster, policy, out);
    check_issuers(cluster, out);
}

}  // namespace warden::detail
