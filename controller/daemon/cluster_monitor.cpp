#include "controller/daemon/cluster_monitor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <set>
#include <thread>
#include <utility>

#include "controller/core/events/warden_events.hpp"
#include "controller/core/health/finding_codes.hpp"
#include "controller/core/planner/heal_step.hpp"
#include "controller/daemon/announced_failovers.hpp"
#include "controller/daemon/maintenance_store.hpp"
#include "controller/executor/configured_cluster.hpp"
#include "controller/executor/fast_sync.hpp"
#include "controller/executor/state_files.hpp"
#include "probes/poll.hpp"
#include "probes/security_poll.hpp"

namespace warden::daemon {
namespace {

std::string nodes_list(const finding& item) {
    std::string text;
    for (const auto& node : item.nodes) text += (text.empty() ? "" : ",") + node;
    return text;
}

using executor::unix_seconds_now;

action_record record_of(const heal_action& action) {
    action_record record;
    record.action = to_string(action.kind);
    record.node = action.node_address;
    record.master = action.master_address;
    record.what = describe_action(action);
    record.started = unix_seconds_now();
    return record;
}

// A flag (or address field) a newer server prints is kept and ignored: say so once per name
// per monitor.
void log_unknown_once(const std::string& cluster, const topology& merged,
                      std::set<std::string>& logged) {
    auto log = [&](const char* what, const std::string& name) {
        if (!logged.insert(fmt::format("{} {}", what, name)).second) return;
        spdlog::warn(
            "cluster={} CLUSTER NODES {} '{}' is not known to this redis-warden (a newer "
            "server?); kept and ignored",
            cluster, what, name);
    };
    for (const auto& flag : merged.unknown_flags) log("flag", flag);
    for (const auto& field : merged.unknown_address_fields) log("address field", field);
}

// Exchanges in flight at once in the daemon's polls (probes/poll.hpp max_in_flight): 64
// replies of a 1,000-node cluster are ~9 MB in buffers instead of ~133 MB, and on loopback
// 64 at a time poll 1,000 nodes as fast as all at once.
constexpr std::size_t poll_window = 64;

probes::poll_request windowed(probes::poll_request request) {
    request.max_in_flight = poll_window;
    return request;
}

}  // namespace

cluster_monitor::cluster_monitor(config::cluster_settings settings, probes::poll_request request,
                                 status_board& board, coordinator& coordination,
                                 event_journal& journal)
    : settings_(std::move(settings)),
      board_(board),
      coordination_(coordination),
      journal_(journal),
      heal_target_(executor::heal_target_for(
          windowed(std::move(request)), executor::analysis_policy_of(settings_), settings_.heal)),
      rate_limit_(settings_.heal.max_actions_per_minute) {
    heartbeat_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
    auto announced = read_announced_epoch(settings_.heal.state_dir, settings_.name);
    if (announced) {
        announced_epoch_ = *announced;
    } else {
        spdlog::warn("cluster={} announced failovers unreadable, starting from none: {}",
                     settings_.name, announced.failure().message);
    }
}

cluster_monitor::~cluster_monitor() {
    request_stop();
    if (thread_.joinable()) thread_.join();
}

void cluster_monitor::start() {
    thread_ = std::thread([this] { run(); });
}

void cluster_monitor::request_stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    stopping_.request_stop();
    std::lock_guard lock(actor_mutex_);
    actor_.request_stop();
}

bool cluster_monitor::wait_finished(std::chrono::steady_clock::time_point deadline) const {
    if (!loop_finished_.wait_until(deadline)) return false;
    std::unique_lock lock(actor_mutex_);
    return actor_idle_.wait_until(lock, deadline, [this] { return !acting_.load(); });
}

std::chrono::steady_clock::time_point cluster_monitor::heartbeat() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(heartbeat_ns_.load()));
}

std::chrono::milliseconds cluster_monitor::liveness_budget() const {
    // A poll may take a discovery chain of timeouts; allow generously before declaring a hang.
    return settings_.poll_interval + 4 * settings_.timeout + std::chrono::seconds(5);
}

void cluster_monitor::run() {
    probes::mark_on_exit finished_on_exit(loop_finished_);
    // A follower looks at the coordinator every 100 ms between polls: when it wins the lease
    // it polls (and may act) at once instead of up to a poll interval later.
    auto slice = coordination_.settings().backend == "none" ? std::chrono::milliseconds(1000)
                                                            : std::chrono::milliseconds(100);
    while (true) {
        auto started = std::chrono::steady_clock::now();
        poll_once();
        std::unique_lock lock(mutex_);
        auto next = started + settings_.poll_interval;
        while (!stop_ && std::chrono::steady_clock::now() < next) {
            heartbeat_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
            wake_.wait_until(lock, std::min(next, std::chrono::steady_clock::now() + slice));
            lock.unlock();
            bool gained = leadership_gained();
            lock.lock();
            if (gained) break;
        }
        if (stop_) return;
    }
}

bool cluster_monitor::leadership_gained() const {
    return !led_at_last_poll_ && coordination_.status(settings_.name).may_act;
}

void cluster_monitor::poll_once() {
    auto started = std::chrono::steady_clock::now();
    int views = 0;
    auto merger = fold_poll(heal_target_.request, views);
    if (views == 0 && !stopping_.stop_requested()) {
        if (auto known = known_addresses(); !known.empty()) {
            if (!std::exchange(seeds_down_logged_, true)) {
                spdlog::warn(
                    "cluster={} no configured seed answered: polling the {} node(s) "
                    "the last poll knew",
                    settings_.name, known.size());
            }
            auto fallback = heal_target_.request;
            fallback.seeds = std::move(known);
            merger = fold_poll(fallback, views);
        }
    } else if (views > 0) {
        seeds_down_logged_ = false;
    }
    if (stopping_.stop_requested()) return;  // cancelled midway: nothing to judge or publish
    auto analysis = heal_target_.analysis;
    analysis.health.now_unix_seconds = static_cast<long long>(unix_seconds_now());
    auto reading =
        executor::plan_for(analyze(settings_.name, std::move(merger), analysis), heal_target_);
    log_unknown_once(settings_.name, reading.report.cluster_topology, unknown_logged_);
    auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto now = std::chrono::system_clock::now();
    log_events(track_findings(active_, reading.report.health.findings, now));
    record_topology_events(reading.report.cluster_topology);
    auto lead = follow_coordination();
    put_back_sync_delays();
    consider_healing(reading.plan, lead);
    std::optional<topology> known;  // copied only when the audit needs it
    if (audit_due()) known = reading.report.cluster_topology;
    board_.publish(settings_.name, std::move(reading.report), seconds, now,
                   std::move(reading.plan));
    heartbeat_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
    if (known && !stopping_.stop_requested()) audit(*known);
    board_.render_metrics_ahead();  // here, so that no scrape waits for the render
    // A poll of 1,000 nodes frees tens of MB of reply text; glibc keeps much of what a
    // thread's arena freed mapped. Measured on the fake 1,000-node cluster: RSS between polls
    // 39 MB with this, 43-46 MB without, no CPU difference within the noise.
    malloc_trim(0);
}

topology_merger cluster_monitor::fold_poll(const probes::poll_request& request, int& views) {
    // Each view is folded as it arrives and its text dropped: 1,000 nodes' views are about
    // 100 MB a poll, and the merged topology is all the daemon keeps.
    topology_merger merger(heal_target_.analysis.topology, false);
    views = 0;
    poller_.poll_folding(request, stopping_.get_token(), [&merger, &views](node_probe& probe) {
        bool answered = !probe.cluster_nodes.empty();
        std::vector<std::string> unfamiliar;  // what discovery reads of this view
        // An unusable view is recorded in the topology all the same.
        if (merger.add(probe, &unfamiliar) && answered) ++views;
        std::string().swap(probe.cluster_nodes);
        // A view folds in about 0.1 ms, a poll of 1,000 nodes is one ~0.1 s run of them: a
        // scrape arriving then waited for the scheduler to take a core from this thread or
        // the nodes. Offering the core between views lets it run at once (fake 1,000-node
        // cluster, five runs each: scrape p99 3.8-4.3 ms with this, 4.2-5.3 ms without; CPU
        // the same). Costs nothing when nothing else is waiting.
        std::this_thread::yield();
        return unfamiliar;
    });
    return merger;
}

std::vector<std::string> cluster_monitor::known_addresses() const {
    std::vector<std::string> out;
    if (!previous_) return out;
    const auto& seeds = heal_target_.request.seeds;
    for (const auto& node : previous_->nodes) {
        if (node.id.empty() || node.address.empty() || node.address.ends_with(":0")) continue;
        if (std::find(seeds.begin(), seeds.end(), node.address) != seeds.end()) continue;
        out.push_back(node.address);
    }
    return out;
}

void cluster_monitor::record_topology_events(const topology& current) {
    if (current.views == 0) return;  // nothing answered: compare the next answer with the last
    if (previous_) {
        auto diff = diff_topologies(settings_.name, *previous_, current, {takeovers()},
                                    announced_epoch_, unix_seconds_now());
        for (const auto& item : diff.events) {
            if (item.type == event_type::failover && item.details["kind"] == "takeover") {
                forget_takeover(item.nodes.back());
            }
        }
        if (diff.failover_epoch > announced_epoch_) remember_announced(diff.failover_epoch);
        journal_.record(std::move(diff.events));
    }
    previous_ = current;
}

void cluster_monitor::remember_announced(std::uint64_t epoch) {
    announced_epoch_ = epoch;
    if (auto saved = write_announced_epoch(settings_.heal.state_dir, settings_.name, epoch);
        !saved) {
        spdlog::warn("cluster={} failover epoch {} not saved (a restart may announce it again): {}",
                     settings_.name, epoch, saved.failure().message);
    }
}

std::vector<std::string> cluster_monitor::takeovers() {
    std::lock_guard lock(takeovers_mutex_);
    return takeovers_;
}

void cluster_monitor::forget_takeover(const std::string& node_id) {
    std::lock_guard lock(takeovers_mutex_);
    std::erase(takeovers_, node_id);
}

// What a move (or an earlier warden process) left lowered by heal.fast_sync goes back once
// no action of ours is in flight. Undoing warden's own change: in every mode, leader or not.
void cluster_monitor::put_back_sync_delays() {
    if (acting_) return;
    std::set<std::string> still_kept;
    for (const auto& note :
         executor::restore_pending(settings_.heal.state_dir, settings_.name,
                                   heal_target_.request.auth, settings_.timeout)) {
        if (!note.kept) {
            spdlog::info("cluster={} {}", settings_.name, note.text);
            continue;
        }
        // A master that stays unreachable is retried every poll, and said once.
        if (!sync_kept_logged_.contains(note.text)) {
            spdlog::warn("cluster={} {}", settings_.name, note.text);
        }
        still_kept.insert(note.text);
    }
    sync_kept_logged_ = std::move(still_kept);
}

bool cluster_monitor::audit_due() const {
    return !last_audit_ ||
           std::chrono::steady_clock::now() - *last_audit_ >= settings_.security_interval;
}

void cluster_monitor::audit(const topology& cluster) {
    if (cluster.views == 0) return;  // nothing answered: the poll's findings say why
    last_audit_ = std::chrono::steady_clock::now();
    probes::security_request request;
    request.auth = heal_target_.request.auth;
    request.timeout = settings_.timeout;
    std::vector<std::string> addresses;
    for (const auto& node : cluster.nodes) {
        if (!node.address.empty() && node.address.front() != ':') addresses.push_back(node.address);
    }
    auto audited =
        run_audit(settings_.name, cluster,
                  probes::probe_security(addresses, request, &security_links_), request.policy);
    auto now = std::chrono::system_clock::now();
    log_events(track_findings(audit_active_, audited.findings, now));
    board_.publish_audit(settings_.name, std::move(audited), now);
    heartbeat_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
}

leadership_status cluster_monitor::follow_coordination() {
    auto lead = coordination_.status(settings_.name);
    if (!lead.coordinated) {
        std::string problem;
        lead.maintenance =
            read_maintenance_file(settings_.heal.state_dir, settings_.name, &problem);
        if (problem != maintenance_problem_ && !problem.empty()) {
            spdlog::warn("cluster={} maintenance marker unreadable, ignored: {}", settings_.name,
                         problem);
        }
        maintenance_problem_ = problem;
    }
    if (!marker_active(lead.maintenance, unix_seconds_now())) lead.maintenance.reset();
    auto described = lead.maintenance ? describe_marker(*lead.maintenance) : std::string();
    if (described != maintenance_text_) {
        if (!described.empty()) {
            spdlog::info("cluster={} maintenance: {}: polling and exporting, not acting",
                         settings_.name, described);
        } else {
            spdlog::info("cluster={} maintenance over", settings_.name);
        }
        bool on = !described.empty();
        journal_.record({maintenance_event(settings_.name, on, on ? described : maintenance_text_,
                                           unix_seconds_now())},
                        false);
        maintenance_text_ = described;
    }
    if (lead.coordinated && lead.may_act != led_at_last_poll_) {
        journal_.record(
            {leadership_event(settings_.name, lead.may_act, lead.holder, unix_seconds_now())});
    }
    led_at_last_poll_ = lead.may_act;
    std::vector<finding> findings;
    if (lead.coordinated && !lead.available) {
        findings.push_back({finding_code::coordination_unavailable,
                            severity::warning,
                            {},
                            fmt::format("the etcd lease store cannot be reached ({}): this "
                                        "instance observes and exports but does not act; check "
                                        "coordination.endpoints and etcd's health",
                                        lead.problem)});
    }
    // Keyed by code alone: a changing problem text is the same finding, not a new one.
    std::vector<finding> tracked = findings;
    for (auto& item : tracked) item.message = "the etcd lease store cannot be reached";
    log_events(track_findings(coordination_active_, tracked, std::chrono::system_clock::now()));
    board_.publish_coordination(settings_.name, lead, std::move(findings));
    return lead;
}

void cluster_monitor::consider_healing(const heal_plan& plan, const leadership_status& lead) {
    report_plan_change(plan, lead);
    if (plan.actions.empty()) last_skip_.clear();  // the episode is over
    heal_step_inputs inputs;
    inputs.heal_mode = settings_.heal.mode == config::heal_mode::heal;
    inputs.acting = acting_;
    inputs.may_act = lead.may_act;
    inputs.in_maintenance = lead.maintenance.has_value();
    inputs.maintenance = maintenance_text_;
    inputs.grace = settings_.heal.grace;
    auto steady_now = std::chrono::steady_clock::now();
    inputs.rate_limited = !rate_limit_.allows(steady_now);
    inputs.recent_actions = rate_limit_.recent();
    inputs.max_actions_per_minute = rate_limit_.per_minute();
    auto step = decide_heal_step(plan, active_, inputs, std::chrono::system_clock::now());
    switch (step.kind) {
        case heal_step_kind::idle:
        case heal_step_kind::wait:
            return;
        case heal_step_kind::skip:
            skip(plan.actions.front(), step.reason);
            return;
        case heal_step_kind::act:
            rate_limit_.record(steady_now);
            act(plan.actions.front());
            return;
    }
}

void cluster_monitor::report_plan_change(const heal_plan& plan, const leadership_status& lead) {
    auto text = describe_plan(plan, settings_.name);
    if (text == last_plan_text_) return;
    last_plan_text_ = text;
    bool observing = settings_.heal.mode == config::heal_mode::observe;
    auto state = observing      ? std::string("would act (heal.mode observe)")
                 : lead.may_act ? std::string("planned")
                                : fmt::format("planned, for the leader to act ({})",
                                              lead.holder.empty() ? "none now" : lead.holder);
    for (const auto& action : plan.actions) {
        spdlog::info("cluster={} action={} node={} master={} {}: {}", settings_.name,
                     to_string(action.kind), action.node_address, action.master_address, state,
                     describe_action(action));
    }
    for (const auto& unmet : plan.unmet) {
        spdlog::warn("cluster={} master={} cannot be helped ({}): {}", settings_.name,
                     unmet.master_address, to_string(unmet.goal), unmet.reason);
    }
}

void cluster_monitor::skip(const heal_action& action, const std::string& reason) {
    auto key = action.node_id + action.master_id + reason;
    if (key == last_skip_) return;  // one line and one count per episode, not per poll
    last_skip_ = key;
    spdlog::warn("cluster={} action={} node={} master={} outcome=skipped: {}", settings_.name,
                 to_string(action.kind), action.node_address, action.master_address, reason);
    board_.count_action(settings_.name, to_string(action.kind), "skipped");
    journal_.record({action_event(settings_.name, action, "skipped", reason, unix_seconds_now())},
                    false);
}

void cluster_monitor::act(heal_action action) {
    std::lock_guard actor_lock(actor_mutex_);
    if (stopping_.stop_requested()) return;
    acting_ = true;
    if (action.kind == heal_action_kind::takeover) {
        // From the start: the cluster may show the failover before the action ends.
        std::lock_guard lock(takeovers_mutex_);
        takeovers_.push_back(action.node_id);
    }
    if (actor_.joinable()) actor_.join();  // the last action's thread, already at its end
    actor_ = std::jthread([this, action = std::move(action)](std::stop_token stop) {
        spdlog::info("cluster={} action={} node={} master={} acting: {}", settings_.name,
                     to_string(action.kind), action.node_address, action.master_address,
                     describe_action(action));
        // The fence runs right before each command that changes the cluster; the record it
        // writes gets the outcome afterwards.
        std::optional<action_ticket> ticket;
        auto record = record_of(action);
        auto fence = [&]() -> result<void> {
            auto passed =
                coordination_.fence(settings_.name, record, ticket ? ticket->key : std::string());
            if (!passed) return passed.failure();
            ticket = std::move(*passed);
            return {};
        };
        auto done = executor::execute_action(
            action, heal_target_, [&stop] { return stop.stop_requested(); },
            [this](const std::string& line) {
                spdlog::info("cluster={} {}", settings_.name, line);
            },
            fence);
        if (ticket) {
            ticket->record.outcome = to_string(done.outcome);
            ticket->record.detail = done.detail;
            ticket->record.finished = unix_seconds_now();
            coordination_.record_outcome(settings_.name, std::move(*ticket));
        }
        auto level = done.outcome == executor::action_outcome::success ? spdlog::level::info
                                                                       : spdlog::level::warn;
        spdlog::log(level, "cluster={} action={} node={} master={} outcome={}: {}", settings_.name,
                    to_string(action.kind), action.node_address, action.master_address,
                    to_string(done.outcome), done.detail);
        board_.count_action(settings_.name, to_string(action.kind), to_string(done.outcome));
        journal_.record({action_event(settings_.name, action, to_string(done.outcome), done.detail,
                                      unix_seconds_now())},
                        false);
        {
            std::lock_guard lock(actor_mutex_);
            acting_ = false;
        }
        actor_idle_.notify_all();
    });
}

void cluster_monitor::log_events(const std::vector<finding_event>& events) {
    // Logged below in the findings' own words; recorded as events for /events and the sinks.
    journal_.record(finding_events(settings_.name, events, unix_seconds_now()), false);
    for (const auto& event : events) {
        const auto& item = event.subject;
        switch (event.what) {
            case finding_event::kind::appeared:
                spdlog::log(
                    item.level == severity::critical ? spdlog::level::err : spdlog::level::warn,
                    "cluster={} finding={} severity={} nodes={} appeared: {}", settings_.name,
                    item.code, to_string(item.level), nodes_list(item), item.message);
                break;
            case finding_event::kind::changed_severity:
                spdlog::warn("cluster={} finding={} severity={} nodes={} changed severity: {}",
                             settings_.name, item.code, to_string(item.level), nodes_list(item),
                             item.message);
                break;
            case finding_event::kind::cleared:
                spdlog::info("cluster={} finding={} nodes={} cleared after {:.1f} s",
                             settings_.name, item.code, nodes_list(item),
                             static_cast<double>(event.lasted.count()) / 1000.0);
                break;
        }
    }
}

}  // namespace warden::daemon
