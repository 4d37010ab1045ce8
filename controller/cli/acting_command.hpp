// What the commands that change a cluster (heal, rebalance, import; next failover, restart,
// add-node, remove-node) share between parsing their flags and doing the work: --dry-run /
// --yes, the usage checks every one of them makes, asking before acting, the timeout floor
// for acting connections, and a progress line while the work runs on its own thread.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "controller/cli/cluster_targets.hpp"

namespace warden::cli {

struct acting_options : target_options {
    bool dry_run = false;
    bool yes = false;

    // --dry-run and --yes, with the command's own wording.
    void add_acting_flags(CLI::App& command, const std::string& dry_run_help,
                          const std::string& yes_help);
    // The usage error, if any: not exactly one of --seed/--config, or --dry-run with --yes.
    result<void> check_usage() const;
};

enum class confirmation { go, declined, refused };

// --yes: go. Otherwise "<question> [y/N] " on a terminal ("y", "Y", "yes": go); with stdin
// not a terminal nobody can answer: refused.
confirmation confirm(bool yes, const std::string& question);

// The exit for a confirmation that is not `go`, in the commands' one wording: refused ->
// usage ("not <doing> without --yes (stdin is not a terminal)[; hint]"), declined ->
// "nothing done" and failure.
int not_confirmed(std::string_view command, confirmation answer, const std::string& doing,
                  const std::string& hint = "");

// Acting connections wait for slow commands (SETSLOT broadcasts, RESTORE of big keys):
// never less than 5 s, whatever --timeout the probes use.
std::chrono::milliseconds acting_timeout(std::chrono::milliseconds probe_timeout);

// Runs `work` on its own thread; meanwhile calls `report(seconds, false)` every `tick` (the
// report decides whether to print), then `report(seconds, true)` once it is done.
// Returns the seconds the work took.
double run_with_progress(const std::function<void()>& work, std::chrono::milliseconds tick,
                         const std::function<void(double seconds, bool final)>& report);

}  // namespace warden::cli
