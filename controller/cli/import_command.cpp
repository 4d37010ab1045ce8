#include "controller/cli/import_command.hpp"
#include "controller/cli/command_exit.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "config/settings.hpp"
#include "controller/cli/cluster_readiness.hpp"
#include "controller/executor/importer.hpp"

namespace warden::cli {
namespace {

int fail(int code, const std::string& message) {
    return cli::fail("import", code, message);
}

result<executor::import_settings> settings_of(const import_options& options,
                                              const cluster_target& target) {
    executor::import_settings settings;
    settings.source = options.from;
    settings.source_auth.username = options.from_user;
    if (options.from_password_file) {
        auto password = config::read_secret_file(*options.from_password_file);
        if (!password) return error{"--from-password-file: " + password.failure().message};
        settings.source_auth.password = std::move(*password);
    }
    if (options.from_user && !settings.source_auth.password) {
        return error{"--from-user needs --from-password-file"};
    }
    auto source_tls = options.from_tls.load("--from-");
    if (!source_tls) return source_tls.failure();
    settings.source_auth.tls = std::move(*source_tls);
    settings.db = options.db;
    settings.match = options.match;
    settings.replace = options.mode == "replace";
    settings.batch = options.pipeline;
    settings.timeout = acting_timeout(target.request.timeout);
    settings.cluster_auth = target.request.auth;
    settings.checkpoint_path = options.checkpoint;
    return settings;
}

std::string masters_line(const topology& cluster) {
    std::vector<std::string> masters;
    for (const auto& node : cluster.nodes) {
        if (node.serves_slots()) masters.push_back(node.address);
    }
    return fmt::format("{} master(s): {}", masters.size(), fmt::join(masters, ", "));
}

void report_progress(const executor::import_progress& progress, std::int64_t start_scanned,
                     std::int64_t total, bool eta_known, double seconds, bool tty, bool final) {
    auto counts = progress.snapshot();
    auto this_run = counts.scanned - start_scanned;
    double rate = seconds > 0 ? static_cast<double>(this_run) / seconds : 0;
    std::string eta;
    if (eta_known && rate > 0 && total > counts.scanned) {
        eta = fmt::format("  ETA {:.0f} s", static_cast<double>(total - counts.scanned) / rate);
    }
    auto line = fmt::format(
        "scanned {}{}  copied {}  skipped {} (already there {}, expired {})  {:.0f} keys/s{}",
        counts.scanned, eta_known ? fmt::format("/{}", total) : "", counts.copied,
        counts.existing + counts.expired, counts.existing, counts.expired, rate, eta);
    if (tty) {
        std::fprintf(stderr, "\r%s   %s", line.c_str(), final ? "\n" : "");
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
}

int copy(probes::redis_connection& source, const topology& cluster,
         const executor::import_settings& settings, const import_checkpoint& start,
         std::int64_t total, bool eta_known) {
    executor::import_progress progress;
    progress.start_from(start.counts);
    catch_interruptions(true);
    bool tty = isatty(STDERR_FILENO) != 0;
    result<void> imported;
    auto last_line = std::chrono::steady_clock::now();
    auto seconds = run_with_progress(
        [&] {
            imported = executor::run_import(source, cluster, settings, start, progress,
                                            [] { return interruption_requested(); });
        },
        std::chrono::milliseconds(100),
        [&](double elapsed, bool final) {
            // A terminal gets a live line; logs get one line every 5 s.
            auto now = std::chrono::steady_clock::now();
            if (!final && !tty && now - last_line < std::chrono::seconds(5)) return;
            report_progress(progress, start.counts.scanned, total, eta_known, elapsed, tty, final);
            last_line = now;
        });
    auto counts = progress.snapshot();
    auto this_run = counts.scanned - start.counts.scanned;
    std::printf(
        "scanned %lld key(s): copied %lld, already in the cluster %lld, expired %lld "
        "(this run: %lld key(s) in %.2f s, %.0f keys/s)\n",
        static_cast<long long>(counts.scanned), static_cast<long long>(counts.copied),
        static_cast<long long>(counts.existing), static_cast<long long>(counts.expired),
        static_cast<long long>(this_run), seconds,
        seconds > 0 ? static_cast<double>(this_run) / seconds : 0.0);
    if (progress.redirects > 0) {
        std::printf("followed %lld MOVED/ASK redirect(s): slots moved while importing\n",
                    static_cast<long long>(progress.redirects.load()));
    }
    if (!imported) {
        return fail(exit_code_for(imported.failure(), command_family::acting),
                    imported.failure().message);
    }
    if (interruption_requested()) {
        return fail(exit_failure, settings.checkpoint_path
                                      ? "interrupted: rerun with the same --checkpoint to continue"
                                      : "interrupted (no --checkpoint: a rerun starts over)");
    }
    return exit_ok;
}

int verify(probes::redis_connection& source, const topology& cluster,
           const executor::import_settings& settings, const import_options& options) {
    auto summary = executor::verify_import(source, cluster, settings, options.sample,
                                           options.ttl_tolerance_ms);
    if (!summary) return fail(exit_failure, "verify: " + summary.failure().message);
    std::fputs(describe_verify(*summary).c_str(), stdout);
    return summary->ok() ? exit_ok : exit_failure;
}

result<import_checkpoint> starting_point(const import_options& options) {
    import_checkpoint start;
    start.source = options.from;
    start.db = options.db;
    start.match = options.match;
    if (!options.checkpoint) return start;
    auto saved = executor::load_checkpoint(*options.checkpoint);
    if (!saved) return saved.failure();
    if (!*saved) return start;
    auto mismatch = checkpoint_mismatch(**saved, options.from, options.db, options.match);
    if (!mismatch.empty()) {
        return error{
            fmt::format("checkpoint '{}' cannot be resumed: {}", *options.checkpoint, mismatch)};
    }
    return std::move(**saved);
}

int import_into(const cluster_target& target, const import_options& options) {
    auto settings = settings_of(options, target);
    if (!settings) return fail(exit_usage, settings.failure().message);
    auto start = starting_point(options);
    if (!start) return fail(exit_failure, start.failure().message);
    executor::source_facts facts;
    auto source = executor::open_source(*settings, facts);
    if (!source) return fail(exit_failure, source.failure().message);
    settings->source_version = facts.redis_version;
    auto settled = wait_settled(target, std::chrono::milliseconds(options.settle_timeout_ms));
    if (!settled.problem.empty()) {
        return fail(exit_failure,
                    fmt::format("{}: cluster not settled: {}", target.name, settled.problem));
    }
    if (auto why = refusal(settled.report); !why.empty()) {
        return fail(exit_failure,
                    fmt::format("{}: not healthy enough to import into: {}", target.name, why));
    }
    const auto& cluster = settled.report.cluster_topology;
    int masters = 0;
    for (const auto& node : cluster.nodes) masters += node.serves_slots() ? 1 : 0;
    settings->parallel = options.parallel > 0 ? options.parallel : std::min(masters, 8);
    std::printf("source %s: Redis %s, %lld key(s) in db %d\n", options.from.c_str(),
                facts.redis_version.c_str(), static_cast<long long>(facts.keys_in_db), options.db);
    std::printf("target %s: %s\n", target.name.c_str(), masters_line(cluster).c_str());
    std::printf("copy keys matching '%s', mode %s (%s)\n", options.match.c_str(),
                options.mode.c_str(),
                settings->replace ? "the source's copy overwrites keys already in the cluster"
                                  : "keys already in the cluster are kept");
    if (start->complete) {
        std::printf(
            "checkpoint '%s' says the copy is complete (%lld copied); delete it to copy "
            "again\n",
            options.checkpoint->c_str(), static_cast<long long>(start->counts.copied));
    } else if (start->cursor != "0") {
        std::printf("resuming at SCAN cursor %s (%lld key(s) scanned before)\n",
                    start->cursor.c_str(), static_cast<long long>(start->counts.scanned));
    }
    int outcome = exit_ok;
    if (!options.dry_run && !start->complete) {
        auto answer = confirm(options.yes, "Import?");
        if (answer != confirmation::go) return not_confirmed("import", answer, "importing");
        outcome = copy(*source, cluster, *settings, *start, facts.keys_in_db, options.match == "*");
    }
    if (outcome == exit_ok && options.verify)
        outcome = verify(*source, cluster, *settings, options);
    return outcome;
}

}  // namespace

void add_import_command(CLI::App& app, import_options& options) {
    auto* command = app.add_subcommand(
        "import",
        "copy a standalone Redis into the cluster (SCAN + DUMP/RESTORE, TTLs kept); resumable");
    command->add_option("--from", options.from, "HOST:PORT of the source Redis")->required();
    command->add_option("--from-user", options.from_user, "ACL user on the source");
    command->add_option("--from-password-file", options.from_password_file,
                        "file whose first line is the source's password");
    options.from_tls.add_to(*command, "--from-");
    options.connection.add_to(*command);
    options.add_to(*command, "with --config, the cluster to import into");
    command->add_option("--match", options.match, "only keys matching this SCAN pattern");
    command->add_option("--db", options.db, "source database number")->check(CLI::Range(0, 100000));
    command->add_option("--mode", options.mode, "skip-existing (default) or replace")
        ->check(CLI::IsMember({"skip-existing", "replace"}));
    command->add_option("--pipeline", options.pipeline, "keys per SCAN and per pipelined batch")
        ->check(CLI::Range(1, 100000));
    command
        ->add_option("--parallel", options.parallel,
                     "masters written at once (default: all, at most 8)")
        ->check(CLI::Range(1, 64));
    command->add_option("--checkpoint", options.checkpoint,
                        "file recording progress; a rerun with it continues where it stopped");
    command->add_flag("--verify", options.verify,
                      "compare source keys with the cluster afterwards (exit 1 on a mismatch)");
    command
        ->add_option("--sample", options.sample,
                     "with --verify: random keys to compare (default all)")
        ->check(CLI::Range(1LL, 100000000LL));
    command
        ->add_option("--ttl-tolerance", options.ttl_tolerance_ms,
                     "with --verify: milliseconds two TTLs may differ")
        ->check(CLI::Range(0, 86400000));
    command
        ->add_option("--settle-timeout", options.settle_timeout_ms,
                     "milliseconds to wait for the cluster to report cluster_state:ok")
        ->check(CLI::Range(0, 600000));
    options.add_acting_flags(*command,
                             "show what would be copied, write nothing (with --verify: only "
                             "verify)",
                             "import without asking");
}

int run_import_command(const import_options& options) {
    if (auto usable = options.check_usage(); !usable) {
        return fail(exit_usage, usable.failure().message);
    }
    if (options.sample > 0 && !options.verify) return fail(exit_usage, "--sample needs --verify");
    auto targets = resolve_targets(options);
    if (!targets) return fail(exit_usage, targets.failure().message);
    if (targets->size() != 1) {
        return fail(exit_usage,
                    "the config names several clusters: choose one with --cluster-name");
    }
    return import_into(targets->front(), options);
}

}  // namespace warden::cli
