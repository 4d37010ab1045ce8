// The highest failover config epoch the daemon announced for a cluster, kept in
// <state_dir>/failovers-<cluster>.json ({"announced_epoch": N}) so a restarted daemon never
// announces that failover again, even when it restarts in the middle of one.
#pragma once

#include <cstdint>
#include <string>

#include "controller/core/result.hpp"

namespace warden::daemon {

// 0 when there is no file; an unreadable or malformed file is an error (the caller logs it
// and starts from 0: a failover announced twice beats one never announced).
result<std::uint64_t> read_announced_epoch(const std::string& state_dir,
                                           const std::string& cluster);
result<void> write_announced_epoch(const std::string& state_dir, const std::string& cluster,
                                   std::uint64_t epoch);

}  // namespace warden::daemon
