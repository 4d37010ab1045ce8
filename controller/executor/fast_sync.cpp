#include "controller/executor/fast_sync.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controller/executor/state_files.hpp"
#include "probes/connection.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

using probes::resp_type;
using probes::resp_value;

std::optional<std::string> text_of(const resp_value& reply) {
    if (reply.type != resp_type::string) return std::nullopt;
    return reply.text;
}

// Closes a file descriptor on every way out.
class file_lock {
  public:
    explicit file_lock(int fd) : fd_(fd) {}
    ~file_lock() {
        if (fd_ >= 0) ::close(fd_);  // also releases the flock
    }
    file_lock(const file_lock&) = delete;
    file_lock& operator=(const file_lock&) = delete;

  private:
    int fd_;
};

// What a master answers about the delay warden may have set, and who it is.
struct master_answer {
    std::optional<std::string> node_id;
    master_sync_settings settings;
};

result<master_answer> ask_master(probes::redis_connection& connection) {
    auto replies = connection.pipeline({{"CLUSTER", "MYID"},
                                        {"CONFIG", "GET", "repl-diskless-sync"},
                                        {"CONFIG", "GET", std::string(sync_delay_parameter)}});
    if (!replies) return replies.failure();
    master_answer answer;
    answer.node_id = text_of((*replies)[0]);
    answer.settings.diskless_sync = probes::config_get_value((*replies)[1]);
    answer.settings.delay_seconds = probes::config_get_value((*replies)[2]);
    return answer;
}

result<void> set_delay(probes::redis_connection& connection, const std::string& value) {
    auto reply = connection.call({"CONFIG", "SET", std::string(sync_delay_parameter), value});
    if (!reply) return reply.failure();
    if (reply->type == resp_type::error) {
        return error{"CONFIG SET refused: " + probes::one_line(reply->text), error_kind::reply};
    }
    return {};
}

// Puts one record's value back (judge_restore decides), dropping the record when done.
restore_note put_back(const pending_restore& record, const probes::credentials& auth,
                      std::chrono::milliseconds timeout, sync_ledger& ledger) {
    auto kept = [&](const error& failure) {
        return restore_note{
            true, fmt::format("fast sync: could not put {} {} back on {} ({}); kept in {} and "
                              "retried next poll",
                              record.parameter, record.value, record.address, failure.message,
                              ledger.path())};
    };
    auto connection = probes::redis_connection::open(record.address, auth, timeout);
    if (!connection) return kept(connection.failure());
    auto answer = ask_master(*connection);
    if (!answer) return kept(answer.failure());
    auto verdict = judge_restore(record, answer->node_id.value_or(""),
                                 answer->settings.delay_seconds.value_or(""));
    std::string line;
    switch (verdict) {
        case restore_verdict::drop_moved:
            line = fmt::format(
                "fast sync: {} is no longer node {}: {} not put back there; record dropped",
                record.address, record.node_id, record.parameter);
            break;
        case restore_verdict::drop_changed:
            line = fmt::format(
                "fast sync: {} on {} is now {} (not the {} warden set): left as is; record "
                "dropped",
                record.parameter, record.address, answer->settings.delay_seconds.value_or("?"),
                record.lowered_to);
            break;
        case restore_verdict::set:
            if (auto done = set_delay(*connection, record.value); !done)
                return kept(done.failure());
            line = fmt::format("fast sync: {} {} put back on {}", record.parameter, record.value,
                               record.address);
            break;
    }
    if (auto removed = ledger.remove(record); !removed) {
        line +=
            fmt::format(" (but the ledger could not be updated: {})", removed.failure().message);
    }
    return {false, line};
}

}  // namespace

sync_ledger::sync_ledger(std::string state_dir)
    : dir_(std::move(state_dir)), path_(dir_ + "/fast-sync-ledger.json") {}

result<std::vector<pending_restore>> sync_ledger::read() const {
    std::ifstream file(path_);
    if (!file) {
        if (errno == ENOENT) return std::vector<pending_restore>{};
        return file_error("read", path_);
    }
    std::stringstream text;
    text << file.rdbuf();
    auto records = parse_ledger(text.str());
    if (!records) return prefixed(path_, records.failure());
    return records;
}

result<void> sync_ledger::update(const std::function<void(std::vector<pending_restore>&)>& change) {
    std::error_code ignored;
    std::filesystem::create_directories(dir_, ignored);
    auto lock_path = path_ + ".lock";
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return file_error("open", lock_path);
    file_lock held(fd);
    if (::flock(fd, LOCK_EX) != 0) return file_error("lock", lock_path);
    auto records = read();
    if (!records) return records.failure();
    change(*records);
    return write_replacing(path_, ledger_text(*records));
}

result<void> sync_ledger::add(const pending_restore& record) {
    return update([&record](std::vector<pending_restore>& records) { records.push_back(record); });
}

result<void> sync_ledger::remove(const pending_restore& record) {
    return update(
        [&record](std::vector<pending_restore>& records) { std::erase(records, record); });
}

sync_delay_override::sync_delay_override(sync_target target, std::optional<pending_restore> record)
    : target_(std::move(target)), record_(std::move(record)) {}

sync_delay_override::sync_delay_override(sync_delay_override&& other) noexcept
    : target_(std::move(other.target_)), record_(std::exchange(other.record_, std::nullopt)) {}

sync_delay_override::~sync_delay_override() {
    if (record_) restore();
}

sync_delay_override sync_delay_override::lower(
    const sync_target& target, const std::function<void(const std::string&)>& note) {
    auto untouched = [&](const std::string& why) {
        note(fmt::format("fast sync: not used on {}: {}", target.master_address, why));
        return sync_delay_override(target, std::nullopt);
    };
    if (!target.enabled) return untouched("heal.fast_sync is off");
    auto connection =
        probes::redis_connection::open(target.master_address, target.auth, target.timeout);
    if (!connection) return untouched(connection.failure().message);
    auto answer = ask_master(*connection);
    if (!answer) return untouched(answer.failure().message);
    if (answer->node_id != target.master_id) {
        return untouched(fmt::format("it answers as node {}, not {}",
                                     answer->node_id.value_or("(no CLUSTER MYID)"),
                                     target.master_id));
    }
    auto decision = decide_fast_sync(true, answer->settings);
    if (!decision.lower) return untouched(decision.reason);
    pending_restore record{target.cluster,        target.master_id,
                           target.master_address, std::string(sync_delay_parameter),
                           decision.restore_to,   "0",
                           this_process_owner(),  unix_seconds_now()};
    sync_ledger ledger(target.state_dir);
    if (auto recorded = ledger.add(record); !recorded) {
        return untouched("cannot record the value to put back (" + recorded.failure().message +
                         "); set state_dir to a writable directory");
    }
    if (auto set = set_delay(*connection, "0"); !set) {
        (void)ledger.remove(record);
        return untouched(set.failure().message);
    }
    note(fmt::format("fast sync: {} on {}", decision.reason, target.master_address));
    return sync_delay_override(target, std::move(record));
}

restore_note sync_delay_override::restore() {
    if (!record_) return {};
    sync_ledger ledger(target_.state_dir);
    auto line = put_back(*record_, target_.auth, target_.timeout, ledger);
    record_.reset();
    return line;
}

std::vector<restore_note> restore_pending(const std::string& state_dir, const std::string& cluster,
                                          const probes::credentials& auth,
                                          std::chrono::milliseconds timeout) {
    sync_ledger ledger(state_dir);
    auto records = ledger.read();
    if (!records) return {{true, fmt::format("fast sync: {}", records.failure().message)}};
    std::vector<restore_note> lines;
    auto owner = this_process_owner();
    for (const auto& record : *records) {
        bool acting = false;  // the caller's promise: none of our actions is in flight
        if (!restore_due(record, cluster, owner, acting, owner_alive(record.owner))) continue;
        lines.push_back(put_back(record, auth, timeout, ledger));
    }
    return lines;
}

}  // namespace warden::executor
