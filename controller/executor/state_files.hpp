// What warden keeps in state_dir (the fast-sync ledger, maintenance markers): files
// replaced atomically, and the "host:pid" owner each record names so a dead owner's
// record can be told from a live one's.
#pragma once

#include <optional>
#include <string>

#include "controller/core/result.hpp"

namespace warden::executor {

// Writes `text` to a temporary file next to `path`, fsyncs it and renames it over `path`:
// a reader sees the old content or the new, never half of it.
result<void> write_replacing(const std::string& path, const std::string& text);
// The whole file; none when it does not exist; an error naming the path otherwise.
result<std::optional<std::string>> read_if_exists(const std::string& path);
// "cannot <what> <path>: <strerror(errno)>".
error file_error(const std::string& what, const std::string& path);

std::string host_name();
double unix_seconds_now();

// "host:pid" of this process, as records name their owner.
std::string this_process_owner();
// Whether the process a record names still runs (on this host; another host's record is
// taken as alive: its own warden restores it).
bool owner_alive(const std::string& owner);

}  // namespace warden::executor
