#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <set>
#include <tuple>
#include <unordered_set>

#include "controller/core/parse/digits.hpp"
#include "controller/core/parse/info_fields.hpp"
#include "controller/core/parse/string_index.hpp"
#include "controller/core/parse/text_fields.hpp"
#include "controller/core/topology/topology.hpp"

namespace warden {
namespace {

// What folding a line needs of it, packed (see node_evidence).
struct line_gist {
    std::uint64_t config_epoch = 0;
    bool myself = false;
    bool pfail = false;
    bool fail = false;
    bool master = false;
    bool replica = false;
    bool handshake = false;
    bool claims_slots = false;
};

line_gist gist_of(const node_line& line) {
    line_gist gist;
    gist.config_epoch = line.config_epoch;
    gist.myself = line.flags.myself;
    gist.pfail = line.flags.pfail;
    gist.fail = line.flags.fail;
    gist.master = line.flags.master;
    gist.replica = line.flags.replica;
    gist.handshake = line.flags.handshake;
    gist.claims_slots = !line.slots.empty();
    return gist;
}

// What all views together say about one node id. The members every line of every view
// touches come first, within one cache line: at 1,000 nodes a view's lines visit 1,000 of
// these, and reaching into the parsed lines further on cost a cache miss or two per line.
struct alignas(64) node_evidence {
    int views_listing = 0;
    int views_pfail = 0;
    int views_fail = 0;
    int master_votes = 0;
    int replica_votes = 0;
    bool own_line = false;
    std::int64_t last_pong_ms = 0;  // latest pong any other view received from it
    std::uint64_t min_epoch = UINT64_MAX;
    std::uint64_t max_epoch = 0;
    line_gist cached_gist;  // of cached_line
    // Touched once per view at most.
    node_line line;  // its own "myself" line when warden has it, else the highest-epoch line
    std::string probe_address;  // what warden dialed for its own view, if it has one
    std::string probe_info;     // that probe's INFO replication
    std::optional<tls_certificate> certificate;  // that probe's TLS peer certificate
    // The last line another view printed for this node, parsed (its bytes are in the
    // builder's line_cache).
    node_line cached_line;
};

// Where the bytes of a node's cached line around ping-sent/pong-recv are: on a healthy
// cluster only those two numbers change from view to view, so a line whose other bytes match
// needs no parse beyond them. All nodes' bytes share one buffer, appended in the order the
// lines were first read, so that reading a view walks through it from front to back (1,000
// separate strings cost a cache miss or two per line).
struct cached_bytes {
    std::uint32_t head_at = 0;
    std::uint32_t head_size = 0;  // 0: nothing cached for the node
    std::uint32_t tail_at = 0;
    std::uint32_t tail_size = 0;
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

// A CLUSTER NODES line cut around ping-sent and pong-recv. `head` runs from the start of the
// line to ping-sent, `tail` from the end of pong-recv to the end of the line.
struct line_cut {
    std::string_view id;
    std::string_view head;
    std::string_view ping;
    std::string_view pong;
    std::string_view tail;
};

// nullopt when the line has fewer than six fields (the full parse names what is wrong).
std::optional<line_cut> cut_line(std::string_view line) {
    std::size_t at = 0;
    auto next_field = [&line, &at]() {
        while (at < line.size() && line[at] == ' ') ++at;
        auto start = at;
        at = std::min(line.find(' ', at), line.size());
        return line.substr(start, at - start);
    };
    line_cut cut;
    cut.id = next_field();
    next_field();  // address
    next_field();  // flags
    next_field();  // master
    cut.ping = next_field();
    cut.pong = next_field();
    if (cut.pong.empty()) return std::nullopt;
    cut.head = line.substr(0, static_cast<std::size_t>(cut.ping.data() - line.data()));
    cut.tail = line.substr(at);
    return cut;
}

// One line of the view being added: parsed in full (a new or changed line), or the node's
// cached line with a fresh pong.
struct staged_line {
    std::int32_t node = -1;    // interned id; -1 for an id no folded view listed yet
    std::int32_t parsed = -1;  // index into the view's parsed lines; -1 when the cache served
    std::int64_t pong = 0;
};

// The slots one line claims in one view.
struct view_claim {
    std::int32_t owner = -1;
    const node_line* line = nullptr;
};

// A distinct set of slot claims several views share (all of them, on a healthy cluster):
// folded slot by slot once, then counted.
struct claim_set {
    struct claim {
        std::uint64_t epoch = 0;
        std::vector<slot_range> slots;
    };
    std::vector<claim> claims;
    std::vector<std::int32_t> position;  // owner -> index into claims, -1 when it claims none
    int views = 0;
};

constexpr std::size_t max_claim_sets = 8;

// A node's own INFO replication: a replica's link and offset, a master's offset (what its
// replicas catch up to; their lag on the page and in /status).
void read_replication(std::string_view probe_info, cluster_node& node) {
    if (node.role == node_role::unknown) return;
    auto info = parse_info_fields(probe_info);
    bool master = node.role == node_role::master;
    if (auto offset = find_field(info, master ? "master_repl_offset" : "slave_repl_offset")) {
        node.replication_offset = parse_integer<std::int64_t>(*offset);
    }
    if (master) return;
    if (auto link = find_field(info, "master_link_status")) node.master_link_up = *link == "up";
    if (auto down = find_field(info, "master_link_down_since_seconds")) {
        node.link_down_seconds = parse_integer<std::int64_t>(*down);
    }
}

}  // namespace

class topology_merger::builder {
  public:
    builder(const topology_policy& policy, bool offline) : policy_(policy), offline_(offline) {
        slots_.resize(slot_count);
    }

    result<void> add_probe(const node_probe& probe, std::vector<std::string>* unfamiliar);
    bool order_matters() const;
    topology finish();

  private:
    result<void> stage_view(std::string_view text);
    result<void> stage_parsed_line(std::string_view line);
    std::size_t stage_from_cache(std::string_view rest, std::int32_t predicted);
    void note_unfamiliar(std::string_view text, bool staged,
                         std::vector<std::string>& unfamiliar) const;
    void fold_view(const node_probe& probe);
    void cache_bytes(std::int32_t node, std::string_view line);

    void note_unknown(const node_line& line);
    void fold_line(const node_line& line, std::int64_t pong, std::int32_t owner,
                   const node_probe& probe);
    static void tally_line(const line_gist& line, std::int64_t pong, node_evidence& evidence);
    void fold_claims();
    void fold_claims_slot_by_slot();
    bool counted_in_claim_set();
    void fold_self_claims(const node_line& line, std::int32_t owner);
    void count_shared_claims();
    void add_disagreements(topology& merged) const;
    cluster_node make_node(const node_evidence& evidence) const;
    void attach_probes(topology& merged) const;

    topology_policy policy_;  // a copy: a merger may outlive the policy it was made with
    bool offline_ = false;
    string_index ids_;  // node ids
    std::vector<node_evidence> evidence_;
    std::vector<cached_bytes> cached_bytes_;  // by interned id
    std::string line_cache_;                  // what cached_bytes_ point into
    std::vector<slot_evidence> slots_;
    std::unordered_set<std::string> merged_views_;  // myself ids already folded
    struct unobserved_probe {
        std::string address;
        std::string why;
        std::optional<tls_certificate> certificate;  // a failed TLS handshake still shows it
    };
    std::vector<unobserved_probe> unobserved_;
    std::vector<disagreement> unparsable_;
    std::vector<open_slot_state> open_slots_;
    std::set<std::string> unknown_flags_;
    std::set<std::string> unknown_fields_;
    int views_ = 0;
    bool order_matters_ = false;  // a fold so far whose outcome depended on what came first
    // The view being added, reused from view to view.
    static constexpr std::size_t not_cached = static_cast<std::size_t>(-1);
    std::vector<staged_line> staged_;
    std::vector<std::string_view> parsed_lines_;  // the text of each of parsed_
    std::vector<std::int32_t> previous_order_;    // the last folded view's nodes, line by line
    std::vector<node_line> parsed_;
    std::int32_t myself_ = -1;  // index into parsed_
    std::vector<view_claim> view_claims_;
    std::vector<int> claim_stamp_;  // owner -> the last view it claimed slots in
    std::vector<claim_set> claim_sets_;
};

result<void> topology_merger::builder::add_probe(const node_probe& probe,
                                                 std::vector<std::string>* unfamiliar) {
    if (unfamiliar) unfamiliar->clear();
    // Unobserved probes attach to whichever node the merge finds first at their address.
    order_matters_ = order_matters_ || !probe.reachable;
    if (!probe.reachable) {
        unobserved_.push_back({probe.address,
                               probe.error.empty() ? "no CLUSTER NODES reply" : probe.error,
                               probe.certificate});
        return {};
    }
    auto staged = stage_view(probe.cluster_nodes);
    if (unfamiliar) note_unfamiliar(probe.cluster_nodes, staged.has_value(), *unfamiliar);
    if (staged && myself_ < 0) staged = error{"CLUSTER NODES reply has no myself line"};
    if (!staged) {
        order_matters_ = true;
        const auto& message = staged.failure().message;
        unparsable_.push_back(
            {disagreement_kind::unparsable_view,
             {},
             fmt::format("{} {}: {}", probe.address, offline_ ? "file" : "reply", message)});
        unobserved_.push_back(
            {probe.address, "unusable CLUSTER NODES reply: " + message, probe.certificate});
        return error{message, error_kind::protocol};
    }
    if (!merged_views_.insert(parsed_[myself_].id).second) {  // a node dialed twice
        order_matters_ = true;                                // the first of its views counted
        return {};
    }
    fold_view(probe);
    return {};
}

// Reads every line of the view before anything is folded: a view with one bad line is
// unparsable as a whole, and counts for nothing.
result<void> topology_merger::builder::stage_view(std::string_view text) {
    staged_.clear();
    parsed_.clear();
    parsed_lines_.clear();
    myself_ = -1;
    int line_number = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        ++line_number;
        const auto index = staged_.size();
        const std::int32_t predicted = index < previous_order_.size() ? previous_order_[index] : -1;
        const std::string_view rest(text.data() + start, text.size() - start);
        if (auto line_end = stage_from_cache(rest, predicted); line_end != not_cached) {
            start += line_end + 1;
            continue;
        }
        auto end = std::min(text.find('\n', start), text.size());
        auto line = text.substr(start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(' ') == std::string_view::npos) continue;
        if (auto staged = stage_parsed_line(line); !staged) {
            return error{
                fmt::format("CLUSTER NODES line {}: {}", line_number, staged.failure().message)};
        }
    }
    if (staged_.empty()) return error{"CLUSTER NODES reply has no node lines"};
    return {};
}

result<void> topology_merger::builder::stage_parsed_line(std::string_view line) {
    staged_line staged;
    if (auto cut = cut_line(line)) staged.node = ids_.find(cut->id);
    auto parsed = parse_cluster_nodes_line(line);
    if (!parsed) return parsed.failure();
    if (parsed->flags.myself && myself_ < 0) myself_ = static_cast<std::int32_t>(parsed_.size());
    staged.parsed = static_cast<std::int32_t>(parsed_.size());
    staged.pong = parsed->pong_received;
    parsed_.push_back(std::move(*parsed));
    parsed_lines_.push_back(line);
    staged_.push_back(staged);
    return {};
}

// The line at the start of `rest` is the node's cached line but for its ping-sent and
// pong-recv, when its bytes before ping-sent and after pong-recv are the cached ones exactly
// (any other difference, extra spaces included, makes it a line to parse in full) and both
// are plain numbers. Read in one pass, without first looking for the line's end: at 1,000
// nodes this runs for a million lines a second.
// `predicted`: the node the previous view listed at this line (views of one cluster list
// their nodes in the same order): its head, which starts with its id, is compared first,
// and the id is looked up only when that fails. Stages the line and returns the offset of its
// end ('\n', or the text's end) when the cache serves it, not_cached otherwise.
std::size_t topology_merger::builder::stage_from_cache(std::string_view rest,
                                                       std::int32_t predicted) {
    // Raw memcmp on offsets: string_view's substr and compare, not inlined here, were a tenth
    // of the time.
    const char* cache = line_cache_.data();
    auto head_matches = [this, rest, cache](std::int32_t candidate) {
        if (candidate < 0 || static_cast<std::size_t>(candidate) >= cached_bytes_.size()) {
            return false;
        }
        const auto& bytes = cached_bytes_[candidate];
        return bytes.head_size > 0 && rest.size() > bytes.head_size &&
               std::memcmp(rest.data(), cache + bytes.head_at, bytes.head_size) == 0;
    };
    auto node = predicted;
    if (!head_matches(node)) {
        node = ids_.find(rest.substr(0, rest.find_first_of(" \n")));
        if (!head_matches(node)) return not_cached;
    }
    std::size_t at = cached_bytes_[node].head_size;
    auto ping = read_digits(rest, at);
    if (!ping || at >= rest.size() || rest[at] != ' ') return not_cached;
    ++at;
    auto pong = read_digits(rest, at);
    if (!pong) return not_cached;
    const auto& bytes = cached_bytes_[node];
    if (rest.size() - at < bytes.tail_size ||
        std::memcmp(rest.data() + at, cache + bytes.tail_at, bytes.tail_size) != 0) {
        return not_cached;
    }
    at += bytes.tail_size;
    if (at < rest.size() && rest[at] == '\r') ++at;
    if (at < rest.size() && rest[at] != '\n') return not_cached;  // more follows on the line
    staged_.push_back({node, -1, *pong});
    return at;
}

void topology_merger::builder::fold_view(const node_probe& probe) {
    ++views_;
    view_claims_.clear();
    // view_claims_ points into evidence_ (cached lines): no reallocation while it is in use.
    evidence_.reserve(evidence_.size() + staged_.size());
    for (auto& staged : staged_) {
        if (staged.parsed < 0) {
            auto& evidence = evidence_[staged.node];
            if (evidence.cached_gist.handshake) continue;
            tally_line(evidence.cached_gist, staged.pong, evidence);
            if (evidence.cached_gist.claims_slots) {
                view_claims_.push_back({staged.node, &evidence.cached_line});
            }
            continue;
        }
        const node_line& line = parsed_[staged.parsed];
        note_unknown(line);
        if (line.flags.handshake) continue;  // temporary ids of nodes still being met
        if (staged.node < 0) {
            auto [index, added] = ids_.intern(line.id);
            if (added) evidence_.emplace_back();
            staged.node = index;
        }
        fold_line(line, staged.pong, staged.node, probe);
        if (!line.slots.empty()) view_claims_.push_back({staged.node, &line});
    }
    fold_claims();
    previous_order_.clear();
    for (const auto& staged : staged_) previous_order_.push_back(staged.node);
    // The cache changes only after the view is folded: the lines above point into it.
    for (const auto& staged : staged_) {
        if (staged.parsed < 0 || staged.node < 0 || parsed_[staged.parsed].flags.myself) continue;
        auto& evidence = evidence_[staged.node];
        evidence.cached_line = std::move(parsed_[staged.parsed]);
        evidence.cached_gist = gist_of(evidence.cached_line);
        cache_bytes(staged.node, parsed_lines_[staged.parsed]);
    }
    const node_line& myself = parsed_[myself_];
    for (const auto& open : myself.open_slots) {
        open_slots_.push_back({open.slot, myself.id, open});
    }
}

// The lines the cache did not serve were parsed in full: those, or all of a view that could
// not be read (whatever of it parses may still name someone).
void topology_merger::builder::note_unfamiliar(std::string_view text, bool staged,
                                               std::vector<std::string>& unfamiliar) const {
    if (staged) {
        unfamiliar.assign(parsed_lines_.begin(), parsed_lines_.end());
        return;
    }
    for_each_piece(text, '\n', [&unfamiliar](std::string_view line) {
        unfamiliar.emplace_back(line);
        return true;
    });
}

// A line that changed appends its bytes again: the buffer grows only by lines parsed in
// full, a few per view at most once the first view of a poll is read.
void topology_merger::builder::cache_bytes(std::int32_t node, std::string_view line) {
    if (cached_bytes_.size() <= static_cast<std::size_t>(node)) cached_bytes_.resize(node + 1);
    auto& at = cached_bytes_[node];
    auto cut = cut_line(line);
    if (!cut) {  // a line that parsed has its six fields; should that change, serve nothing
        at = {};
        return;
    }
    auto head = cut->head;
    auto tail = cut->tail;
    at.head_at = static_cast<std::uint32_t>(line_cache_.size());
    at.head_size = static_cast<std::uint32_t>(head.size());
    line_cache_.append(head);
    at.tail_at = static_cast<std::uint32_t>(line_cache_.size());
    at.tail_size = static_cast<std::uint32_t>(tail.size());
    line_cache_.append(tail);
}

void topology_merger::builder::note_unknown(const node_line& line) {
    unknown_flags_.insert(line.flags.unknown.begin(), line.flags.unknown.end());
    for (const auto& field : line.address.unknown_fields) {
        unknown_fields_.insert(field.substr(0, field.find('=')));  // the key: values vary
    }
}

void topology_merger::builder::fold_line(const node_line& line, std::int64_t pong,
                                         std::int32_t owner, const node_probe& probe) {
    auto& evidence = evidence_[owner];
    bool own_line = line.flags.myself;
    tally_line(gist_of(line), pong, evidence);
    if (own_line) {
        evidence.line = line;
        evidence.own_line = true;
        evidence.probe_address = probe.address;
        evidence.probe_info = probe.info;
        evidence.certificate = probe.certificate;
        fold_self_claims(line, owner);
    } else if (!evidence.own_line &&
               (evidence.views_listing == 1 || line.config_epoch > evidence.line.config_epoch)) {
        // A line the cache served never lands here: it was this same line when first folded,
        // and the condition only grows stricter.
        evidence.line = line;
    }
}

void topology_merger::builder::tally_line(const line_gist& line, std::int64_t pong,
                                          node_evidence& evidence) {
    bool own_line = line.myself;
    ++evidence.views_listing;
    if (!own_line && line.pfail) ++evidence.views_pfail;
    if (!own_line && line.fail) ++evidence.views_fail;
    if (!own_line) evidence.last_pong_ms = std::max(evidence.last_pong_ms, pong);
    if (line.master) ++evidence.master_votes;
    if (line.replica) ++evidence.replica_votes;
    evidence.min_epoch = std::min(evidence.min_epoch, line.config_epoch);
    evidence.max_epoch = std::max(evidence.max_epoch, line.config_epoch);
}

void topology_merger::builder::fold_self_claims(const node_line& line, std::int32_t owner) {
    for (const auto& range : line.slots) {
        for (int slot = range.first; slot <= range.last; ++slot) {
            auto& claim = slots_[slot];
            if (claim.self_claim >= 0 && claim.self_claim != owner) {
                claim.claimed_twice = true;
                order_matters_ = true;  // the last claimant is the one kept
            }
            claim.self_claim = owner;
        }
    }
}

// A view whose claims equal an earlier view's changes no owner; it only counts as one more
// view assigning those slots (count_shared_claims adds it up at the end). 16,384 slots per
// view would otherwise add up at 1,000 views.
void topology_merger::builder::fold_claims() {
    if (counted_in_claim_set()) return;
    fold_claims_slot_by_slot();
}

bool topology_merger::builder::counted_in_claim_set() {
    claim_stamp_.resize(ids_.size(), -1);
    for (const auto& claim : view_claims_) {
        if (claim_stamp_[claim.owner] == views_) return false;  // one id listed twice
        claim_stamp_[claim.owner] = views_;
    }
    auto same = [this](const claim_set& set) {
        if (set.claims.size() != view_claims_.size()) return false;
        return std::all_of(view_claims_.begin(), view_claims_.end(), [&set](const auto& claim) {
            if (static_cast<std::size_t>(claim.owner) >= set.position.size()) return false;
            auto at = set.position[claim.owner];
            return at >= 0 && set.claims[at].epoch == claim.line->config_epoch &&
                   set.claims[at].slots == claim.line->slots;
        });
    };
    auto found = std::find_if(claim_sets_.begin(), claim_sets_.end(), same);
    if (found != claim_sets_.end()) {
        ++found->views;
        return true;
    }
    if (claim_sets_.size() < max_claim_sets) {
        auto& set = claim_sets_.emplace_back();
        set.views = 1;
        set.position.assign(ids_.size(), -1);
        for (const auto& claim : view_claims_) {
            set.position[claim.owner] = static_cast<std::int32_t>(set.claims.size());
            set.claims.push_back({claim.line->config_epoch, claim.line->slots});
        }
    }
    return false;  // folded slot by slot this once
}

void topology_merger::builder::fold_claims_slot_by_slot() {
    for (const auto& [owner, line] : view_claims_) {
        for (const auto& range : line->slots) {
            for (int slot = range.first; slot <= range.last; ++slot) {
                auto& claim = slots_[slot];
                if (claim.last_view != views_) {
                    claim.last_view = views_;
                    ++claim.views_assigning;
                }
                if (claim.owner >= 0 && claim.owner != owner) {
                    claim.owners_differ = true;
                    order_matters_ = true;  // an equal epoch keeps the first owner
                }
                if (claim.owner < 0 || line->config_epoch > claim.owner_epoch) {
                    claim.owner = owner;
                    claim.owner_epoch = line->config_epoch;
                }
            }
        }
    }
}

// Besides the folds flagged as they happened: a node without its own view keeps the first
// of its equal-epoch lines, and add_disagreements lists per-node disagreements in the order
// the views first named the nodes.
bool topology_merger::builder::order_matters() const {
    if (order_matters_) return true;
    return std::any_of(evidence_.begin(), evidence_.end(), [this](const node_evidence& node) {
        return !node.own_line || node.views_listing < views_ ||
               (node.min_epoch != node.max_epoch && node.replica_votes == 0) ||
               (node.master_votes > 0 && node.replica_votes > 0);
    });
}

void topology_merger::builder::count_shared_claims() {
    std::vector<bool> covered(slot_count);
    for (const auto& set : claim_sets_) {
        if (set.views < 2) continue;
        covered.assign(slot_count, false);
        for (const auto& claim : set.claims) {
            for (const auto& range : claim.slots) {
                for (int slot = range.first; slot <= range.last; ++slot) covered[slot] = true;
            }
        }
        for (int slot = 0; slot < slot_count; ++slot) {
            if (covered[slot]) slots_[slot].views_assigning += set.views - 1;
        }
    }
}

void topology_merger::builder::add_disagreements(topology& merged) const {
    std::vector<int> differ;
    std::vector<int> twice;
    std::set<std::string> differ_nodes;
    std::set<std::string> twice_nodes;
    for (int slot = 0; slot < slot_count; ++slot) {
        const auto& claim = slots_[slot];
        bool partial = claim.views_assigning > 0 && claim.views_assigning < views_;
        if (claim.owners_differ || partial) {
            differ.push_back(slot);
            if (claim.owner >= 0) differ_nodes.emplace(ids_.name(claim.owner));
        }
        if (claim.claimed_twice) {
            twice.push_back(slot);
            twice_nodes.emplace(ids_.name(claim.owner));
            twice_nodes.emplace(ids_.name(claim.self_claim));
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
        std::string id(ids_.name(static_cast<std::int32_t>(i)));
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

cluster_node topology_merger::builder::make_node(const node_evidence& evidence) const {
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
    node.certificate = evidence.certificate;
    if (evidence.own_line) read_replication(evidence.probe_info, node);
    if (node.host.empty() && !evidence.probe_address.empty()) {
        // A node that has not learned its own IP yet prints ":port"; use what warden dialed.
        node.address = evidence.probe_address;
        node.host = node.address.substr(0, node.address.rfind(':'));
    }
    node.failure_domain = failure_domain_of(node.host, policy_.domains);
    return node;
}

// Links probes warden could not read to the nodes the views name at that address.
void topology_merger::builder::attach_probes(topology& merged) const {
    for (auto& node : merged.nodes) node.probed = node.observed && !offline_;
    for (const auto& unobserved : unobserved_) {
        const std::string& address = unobserved.address;
        const std::string& why = unobserved.why;
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
        found->probed = !offline_;
        found->probe_error = why;
        if (unobserved.certificate) found->certificate = unobserved.certificate;
    }
}

topology topology_merger::builder::finish() {
    count_shared_claims();
    topology merged;
    merged.views = views_;
    merged.offline = offline_;
    for (const auto& evidence : evidence_) merged.nodes.push_back(make_node(evidence));
    attach_probes(merged);
    std::sort(merged.nodes.begin(), merged.nodes.end(),
              [](const cluster_node& a, const cluster_node& b) {
                  return std::tie(a.address, a.id) < std::tie(b.address, b.id);
              });
    // Interned id -> index into merged.nodes (every interned id made one node).
    std::vector<std::int32_t> node_of(ids_.size(), -1);
    for (std::size_t i = 0; i < merged.nodes.size(); ++i) {
        if (auto id = ids_.find(merged.nodes[i].id); id >= 0) {
            node_of[id] = static_cast<std::int32_t>(i);
        }
    }
    for (int slot = 0; slot < slot_count; ++slot) {
        auto owner = slots_[slot].owner;
        merged.slot_owner[slot] = owner < 0 ? -1 : node_of[owner];
        if (merged.slot_owner[slot] < 0) continue;
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
        if (auto master = ids_.find(*node.master_id); master >= 0 && node_of[master] >= 0) {
            merged.nodes[node_of[master]].replica_ids.push_back(node.id);
        }
    }
    for (auto& node : merged.nodes) std::sort(node.replica_ids.begin(), node.replica_ids.end());
    merged.by_id.resize(merged.nodes.size());
    std::iota(merged.by_id.begin(), merged.by_id.end(), 0);
    std::sort(merged.by_id.begin(), merged.by_id.end(),
              [&merged](auto a, auto b) { return merged.nodes[a].id < merged.nodes[b].id; });
    std::sort(open_slots_.begin(), open_slots_.end(), [](const auto& a, const auto& b) {
        return std::tie(a.slot, a.node_id) < std::tie(b.slot, b.node_id);
    });
    merged.open_slots = open_slots_;
    merged.unknown_flags.assign(unknown_flags_.begin(), unknown_flags_.end());
    merged.unknown_address_fields.assign(unknown_fields_.begin(), unknown_fields_.end());
    add_disagreements(merged);
    return merged;
}

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
    auto below = [this](std::int32_t index, std::string_view wanted) {
        return static_cast<std::size_t>(index) < nodes.size() && nodes[index].id < wanted;
    };
    auto at = std::lower_bound(by_id.begin(), by_id.end(), id, below);
    if (at != by_id.end() && static_cast<std::size_t>(*at) < nodes.size() && nodes[*at].id == id) {
        return &nodes[*at];
    }
    for (const auto& node : nodes) {
        if (node.id == id) return &node;
    }
    return nullptr;
}

topology_merger::topology_merger(const topology_policy& policy, bool offline)
    : builder_(std::make_unique<builder>(policy, offline)) {}
topology_merger::~topology_merger() = default;
topology_merger::topology_merger(topology_merger&&) noexcept = default;
topology_merger& topology_merger::operator=(topology_merger&&) noexcept = default;

result<void> topology_merger::add(const node_probe& probe, std::vector<std::string>* unfamiliar) {
    return builder_->add_probe(probe, unfamiliar);
}

bool topology_merger::order_matters() const {
    return builder_->order_matters();
}

topology topology_merger::finish() && {
    return builder_->finish();
}

topology build_topology(const snapshot& observed, const topology_policy& policy) {
    topology_merger merger(policy, observed.offline);
    for (const auto& probe : observed.nodes) (void)merger.add(probe);  // unusable: recorded
    return std::move(merger).finish();
}

}  // namespace warden
