#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "controller/core/parse/info_fields.hpp"
#include "controller/core/parse/text_fields.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {
namespace {

// What all views together say about one node id.
struct node_evidence {
    node_line line;  // its own "myself" line when warden has it, else the highest-epoch line
    bool own_line = false;
    int views_listing = 0;
    int views_pfail = 0;
    int views_fail = 0;
    std::int64_t last_pong_ms = 0;  // latest pong any other view received from it
    int master_votes = 0;
    int replica_votes = 0;
    std::uint64_t min_epoch = UINT64_MAX;
    std::uint64_t max_epoch = 0;
    const node_probe* probe = nullptr;
};

// Who the views say serves one slot.
struct slot_evidence {
    std::int32_t owner = -1;  // interned id of the highest-epoch claim
    std::uint64_t owner_epoch = 0;
    std::int32_t self_claim = -1;  // interned id of a node claiming it in its own line
    int views_assigning = 0;
    int last_view = -1;  // the view that last counted in views_assigning (once per view)
    bool owners_differ = false;
    bool claimed_twice = false;
};

class topology_builder {
  public:
    explicit topology_builder(const topology_policy& policy) : policy_(policy) {
        slots_.resize(slot_count);
    }

    void add_probe(const node_probe& probe, bool offline);
    topology finish(bool offline);

  private:
    std::int32_t intern(const std::string& id);
    void fold_view(const cluster_view& view, const node_probe& probe);
    void note_unknown(const node_line& line);
    void fold_line(const node_line& line, const node_probe& probe);
    void fold_slots(const node_line& line, std::int32_t owner, bool own_line);
    void add_disagreements(topology& merged) const;
    cluster_node make_node(const node_evidence& evidence) const;
    void attach_probes(topology& merged, bool offline) const;

    const topology_policy& policy_;
    std::unordered_map<std::string, std::int32_t> ids_;
    std::vector<std::string> id_names_;
    std::vector<node_evidence> evidence_;
    std::vector<slot_evidence> slots_;
    std::set<std::string> merged_views_;  // myself ids already folded (a node dialed twice)
    std::vector<std::pair<std::string, std::string>> unobserved_;  // address, why
    std::vector<disagreement> unparsable_;
    std::vector<open_slot_state> open_slots_;
    std::set<std::string> unknown_flags_;
    std::set<std::string> unknown_fields_;
    int views_ = 0;
};

std::int32_t topology_builder::intern(const std::string& id) {
    auto [found, inserted] = ids_.try_emplace(id, static_cast<std::int32_t>(id_names_.size()));
    if (inserted) {
        id_names_.push_back(id);
        evidence_.emplace_back();
    }
    return found->second;
}

void topology_builder::add_probe(const node_probe& probe, bool offline) {
    if (!probe.reachable) {
        unobserved_.emplace_back(probe.address,
                                 probe.error.empty() ? "no CLUSTER NODES reply" : probe.error);
        return;
    }
    auto view = parse_cluster_nodes(probe.cluster_nodes);
    if (view && view->myself() == nullptr) view = error{"CLUSTER NODES reply has no myself line"};
    if (!view) {
        unparsable_.push_back({disagreement_kind::unparsable_view,
                               {},
                               fmt::format("{} {}: {}", probe.address, offline ? "file" : "reply",
                                           view.failure().message)});
        unobserved_.emplace_back(probe.address,
                                 "unusable CLUSTER NODES reply: " + view.failure().message);
        return;
    }
    if (!merged_views_.insert(view->myself()->id).second) return;
    fold_view(*view, probe);
}

void topology_builder::fold_view(const cluster_view& view, const node_probe& probe) {
    ++views_;
    const node_line& myself = *view.myself();
    for (const auto& line : view.nodes) {
        note_unknown(line);
        if (line.flags.handshake) continue;  // temporary ids of nodes still being met
        fold_line(line, probe);
    }
    for (const auto& open : myself.open_slots) {
        open_slots_.push_back({open.slot, myself.id, open});
    }
}

void topology_builder::note_unknown(const node_line& line) {
    unknown_flags_.insert(line.flags.unknown.begin(), line.flags.unknown.end());
    for (const auto& field : line.address.unknown_fields) {
        unknown_fields_.insert(field.substr(0, field.find('=')));  // the key: values vary
    }
}

void topology_builder::fold_line(const node_line& line, const node_probe& probe) {
    auto owner = intern(line.id);
    auto& evidence = evidence_[owner];
    bool own_line = line.flags.myself;
    ++evidence.views_listing;
    if (!own_line && line.flags.pfail) ++evidence.views_pfail;
    if (!own_line && line.flags.fail) ++evidence.views_fail;
    if (!own_line) evidence.last_pong_ms = std::max(evidence.last_pong_ms, line.pong_received);
    if (line.flags.master) ++evidence.master_votes;
    if (line.flags.replica) ++evidence.replica_votes;
    evidence.min_epoch = std::min(evidence.min_epoch, line.config_epoch);
    evidence.max_epoch = std::max(evidence.max_epoch, line.config_epoch);
    if (own_line) {
        evidence.line = line;
        evidence.own_line = true;
        evidence.probe = &probe;
    } else if (!evidence.own_line &&
               (evidence.views_listing == 1 || line.config_epoch > evidence.line.config_epoch)) {
        evidence.line = line;
    }
    fold_slots(line, owner, own_line);
}

void topology_builder::fold_slots(const node_line& line, std::int32_t owner, bool own_line) {
    for (const auto& range : line.slots) {
        for (int slot = range.first; slot <= range.last; ++slot) {
            auto& claim = slots_[slot];
            // One pass per slot of a view does all its accounting: 16,384 slots per view
            // add up at 1,000 views.
            if (claim.last_view != views_) {
                claim.last_view = views_;
                ++claim.views_assigning;
            }
            if (claim.owner >= 0 && claim.owner != owner) claim.owners_differ = true;
            if (claim.owner < 0 || line.config_epoch > claim.owner_epoch) {
                claim.owner = owner;
                claim.owner_epoch = line.config_epoch;
            }
            if (own_line) {
                if (claim.self_claim >= 0 && claim.self_claim != owner) claim.claimed_twice = true;
                claim.self_claim = owner;
            }
        }
    }
}

void topology_builder::add_disagreements(topology& merged) const {
    std::vector<int> differ;
    std::vector<int> twice;
    std::set<std::string> differ_nodes;
    std::set<std::string> twice_nodes;
    for (int slot = 0; slot < slot_count; ++slot) {
        const auto& claim = slots_[slot];
        bool partial = claim.views_assigning > 0 && claim.views_assigning < views_;
        if (claim.owners_differ || partial) {
            differ.push_back(slot);
            if (claim.owner >= 0) differ_nodes.insert(id_names_[claim.owner]);
        }
        if (claim.claimed_twice) {
            twice.push_back(slot);
            twice_nodes.insert(id_names_[claim.owner]);
            twice_nodes.insert(id_names_[claim.self_claim]);
        }
    }
    if (!twice.empty()) {
        merged.disagreements.push_back(
            {disagreement_kind::slot_claimed_twice,
             {twice_nodes.begin(), twice_nodes.end()},
             fmt::format("{} slots ({}) are claimed by two masters at once", twice.size(),
                         describe_slots(twice))});
    }
    if (!differ.empty()) {
        merged.disagreements.push_back(
            {disagreement_kind::slot_owner,
             {differ_nodes.begin(), differ_nodes.end()},
             fmt::format("{} slots ({}) have different owners in different views", differ.size(),
                         describe_slots(differ))});
    }
    for (std::size_t i = 0; i < evidence_.size(); ++i) {
        const auto& evidence = evidence_[i];
        const auto& id = id_names_[i];
        if (evidence.views_listing < views_) {
            merged.disagreements.push_back(
                {disagreement_kind::membership,
                 {id},
                 fmt::format("node {} is known to {} of {} views", id.substr(0, 8),
                             evidence.views_listing, views_)});
        }
        // Replicas are left out: a replica publishes its master's epoch and peers only ever
        // raise what they hold, so views of a healthy cluster can differ on it for good
        // (recorded on Redis 4.0.14). Only masters' epochs decide who owns slots.
        if (evidence.min_epoch != evidence.max_epoch && evidence.replica_votes == 0) {
            merged.disagreements.push_back(
                {disagreement_kind::config_epoch,
                 {id},
                 fmt::format("views hold config epochs {}..{} for node {}", evidence.min_epoch,
                             evidence.max_epoch, id.substr(0, 8))});
        }
        if (evidence.master_votes > 0 && evidence.replica_votes > 0) {
            merged.disagreements.push_back(
                {disagreement_kind::role,
                 {id},
                 fmt::format("{} views call node {} a master, {} a replica", evidence.master_votes,
                             id.substr(0, 8), evidence.replica_votes)});
        }
    }
    merged.disagreements.insert(merged.disagreements.end(), unparsable_.begin(), unparsable_.end());
}

cluster_node topology_builder::make_node(const node_evidence& evidence) const {
    const auto& line = evidence.line;
    cluster_node node;
    node.id = line.id;
    node.host = line.address.host;
    node.address = format_address(line.address.host, line.address.port);
    node.hostname = line.address.hostname;
    node.role = line.flags.master    ? node_role::master
                : line.flags.replica ? node_role::replica
                                     : node_role::unknown;
    node.master_id = node.role == node_role::replica ? line.master_id : std::nullopt;
    node.config_epoch = line.config_epoch;
    for (const auto& name : flag_names(line.flags)) {
        if (name != "myself" && name != "noflags") node.flags.push_back(name);
    }
    auto add_flag = [&node](const char* name) {
        if (std::find(node.flags.begin(), node.flags.end(), name) == node.flags.end()) {
            node.flags.emplace_back(name);
        }
    };
    if (evidence.views_pfail > 0) add_flag("fail?");
    if (evidence.views_fail > 0) add_flag("fail");
    node.nofailover = line.flags.nofailover;
    node.views_listing = evidence.views_listing;
    node.views_pfail = evidence.views_pfail;
    node.views_fail = evidence.views_fail;
    node.last_pong_ms = evidence.last_pong_ms;
    node.observed = evidence.own_line;
    if (evidence.probe != nullptr && node.role == node_role::replica) {
        auto info = parse_info_fields(evidence.probe->info);
        if (auto link = find_field(info, "master_link_status")) node.master_link_up = *link == "up";
        if (auto offset = find_field(info, "slave_repl_offset")) {
            node.replication_offset = parse_integer<std::int64_t>(*offset);
        }
        if (auto down = find_field(info, "master_link_down_since_seconds")) {
            node.link_down_seconds = parse_integer<std::int64_t>(*down);
        }
    }
    if (node.host.empty() && evidence.probe != nullptr && !evidence.probe->address.empty()) {
        // A node that has not learned its own IP yet prints ":port"; use what warden dialed.
        node.address = evidence.probe->address;
        node.host = node.address.substr(0, node.address.rfind(':'));
    }
    node.failure_domain = failure_domain_of(node.host, policy_.domains);
    return node;
}

// Links probes warden could not read to the nodes the views name at that address.
void topology_builder::attach_probes(topology& merged, bool offline) const {
    for (auto& node : merged.nodes) node.probed = node.observed && !offline;
    for (const auto& unobserved : unobserved_) {
        const std::string& address = unobserved.first;
        const std::string& why = unobserved.second;
        auto same_address = [&address](const cluster_node& node) {
            return node.address == address;
        };
        auto found = std::find_if(merged.nodes.begin(), merged.nodes.end(), same_address);
        if (found == merged.nodes.end()) {
            cluster_node unknown;
            unknown.address = address;
            unknown.host = address.substr(0, address.rfind(':'));
            if (unknown.host.size() > 2 && unknown.host.front() == '[') {
                unknown.host = unknown.host.substr(1, unknown.host.size() - 2);
            }
            unknown.failure_domain = failure_domain_of(unknown.host, policy_.domains);
            found = merged.nodes.insert(merged.nodes.end(), std::move(unknown));
        }
        if (found->observed) continue;
        found->probed = !offline;
        found->probe_error = why;
    }
}

topology topology_builder::finish(bool offline) {
    topology merged;
    merged.views = views_;
    merged.offline = offline;
    for (const auto& evidence : evidence_) merged.nodes.push_back(make_node(evidence));
    attach_probes(merged, offline);
    std::sort(merged.nodes.begin(), merged.nodes.end(),
              [](const cluster_node& a, const cluster_node& b) {
                  return std::tie(a.address, a.id) < std::tie(b.address, b.id);
              });
    std::unordered_map<std::string, std::int32_t> index;
    for (std::size_t i = 0; i < merged.nodes.size(); ++i) {
        if (!merged.nodes[i].id.empty()) index[merged.nodes[i].id] = static_cast<std::int32_t>(i);
    }
    for (int slot = 0; slot < slot_count; ++slot) {
        auto owner = slots_[slot].owner;
        merged.slot_owner[slot] = owner < 0 ? -1 : index.at(id_names_[owner]);
        if (owner < 0) continue;
        auto& node = merged.nodes[merged.slot_owner[slot]];
        ++node.slot_total;
        if (!node.slots.empty() && node.slots.back().last == slot - 1) {
            node.slots.back().last = slot;
        } else {
            node.slots.push_back({slot, slot});
        }
    }
    for (auto& node : merged.nodes) {
        if (node.role != node_role::replica || !node.master_id) continue;
        if (auto found = index.find(*node.master_id); found != index.end()) {
            merged.nodes[found->second].replica_ids.push_back(node.id);
        }
    }
    for (auto& node : merged.nodes) std::sort(node.replica_ids.begin(), node.replica_ids.end());
    std::sort(open_slots_.begin(), open_slots_.end(), [](const auto& a, const auto& b) {
        return std::tie(a.slot, a.node_id) < std::tie(b.slot, b.node_id);
    });
    merged.open_slots = open_slots_;
    merged.unknown_flags.assign(unknown_flags_.begin(), unknown_flags_.end());
    merged.unknown_address_fields.assign(unknown_fields_.begin(), unknown_fields_.end());
    add_disagreements(merged);
    return merged;
}

}  // namespace

// "0-5460,5462" style summary of sorted slots, at most five ranges.
std::string describe_slots(const std::vector<int>& slots, std::size_t limit) {
    std::string text;
    std::size_t ranges = 0;
    for (std::size_t i = 0; i < slots.size(); ++ranges) {
        std::size_t j = i;
        while (j + 1 < slots.size() && slots[j + 1] == slots[j] + 1) ++j;
        if (ranges == limit) return text + ",...";
        if (!text.empty()) text += ",";
        text += i == j ? fmt::format("{}", slots[i]) : fmt::format("{}-{}", slots[i], slots[j]);
        i = j + 1;
    }
    return text;
}

const char* to_string(node_role role) {
    switch (role) {
        case node_role::master:
            return "master";
        case node_role::replica:
            return "replica";
        case node_role::unknown:
            break;
    }
    return "unknown";
}

const cluster_node* topology::find(std::string_view id) const {
    for (const auto& node : nodes) {
        if (node.id == id) return &node;
    }
    return nullptr;
}

topology build_topology(const snapshot& observed, const topology_policy& policy) {
    topology_builder builder(policy);
    for (const auto& probe : observed.nodes) builder.add_probe(probe, observed.offline);
    return builder.finish(observed.offline);
}

}  // namespace warden
