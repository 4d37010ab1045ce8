// How a slot's keys travel from source to target master. MIGRATE (the source connects to the
// target itself, atomic per batch) is the default; it cannot authenticate before Redis 4.0.7
// (no AUTH option; AUTH2 for ACL users since 6.0), so on a password-protected 3.2-4.0.6
// cluster keys are moved from the client side instead (executor/client_key_copy.cpp):
//   source: WATCH k..; DUMP k; PTTL k     target: ASKING; restore unless a client wrote k there
//   source: MULTI; DEL k..; EXEC          (aborted: a key changed -> copy it again)
// Pure: decided from the source's version (INFO server) and the credentials in use.
#pragma once

#include <optional>
#include <string>

#include "controller/core/compat/server_version.hpp"
#include "controller/core/result.hpp"

namespace warden {

enum class move_method { migrate, client };
enum class move_method_request { automatic, migrate, client };  // --move-method auto|migrate|client

// "auto" | "migrate" | "client"; errors name the bad value.
result<move_method_request> parse_move_method(std::string_view text);
std::string_view move_method_name(move_method method);  // "MIGRATE" | "client-side"

struct move_method_choice {
    move_method method = move_method::migrate;
    std::string reason;  // why, for the plan ("" when MIGRATE is simply the default)
    friend bool operator==(const move_method_choice&, const move_method_choice&) = default;
};

struct move_credentials {
    bool password = false;  // warden (and so MIGRATE) authenticates with a password
    bool username = false;  // ... as an ACL user (AUTH2)
};

// `source` is nullopt when its INFO server could not be read: MIGRATE is assumed to work
// (said in the reason), and a forced --move-method wins. A forced `migrate` the source
// cannot do is an error naming the version and the alternative.
result<move_method_choice> choose_move_method(move_method_request request,
                                              const std::optional<server_version>& source,
                                              const move_credentials& credentials);

// Keys cannot move to a master older than the source's DUMP format (MIGRATE and RESTORE both
// fail on the first key): why not, naming both versions, or nullopt when the target reads
// them or a version is unknown.
std::optional<std::string> payload_refusal(const std::optional<server_version>& source,
                                           const std::optional<server_version>& target);

}  // namespace warden
