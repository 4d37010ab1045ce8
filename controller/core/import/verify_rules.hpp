// `import --verify`: is a key in the cluster the same as in the source? Pure: the executor
// reads both sides (DUMP + PTTL, and the value by type when the payloads differ, since the
// same value can be encoded differently) and these functions judge.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace warden {

struct key_state {
    bool present = false;
    std::int64_t pttl = -2;  // as PTTL: -1 no TTL, -2 missing
    std::string payload;     // DUMP
    std::string type;        // TYPE, read only when payloads differ
    std::string value;       // canonical value (canonical_value), idem
};

enum class key_verdict {
    same,
    gone_from_source,
    missing,
    type_differs,
    value_differs,
    ttl_differs
};

std::string to_string(key_verdict verdict);

// `values_compared`: type and value were read on both sides (payloads differed).
key_verdict compare_key(const key_state& source, const key_state& cluster,
                        std::int64_t ttl_tolerance_ms, bool values_compared);

// One text per value, independent of encoding and member order: sets and hashes sorted,
// lists and sorted sets in their own order. `elements` is what the read command returned
// (GET: one element; LRANGE/SMEMBERS/HGETALL/ZRANGE WITHSCORES: all elements).
std::string canonical_value(const std::string& type, std::vector<std::string> elements);

struct verify_summary {
    std::int64_t checked = 0;
    std::map<key_verdict, std::int64_t> verdicts;
    std::vector<std::pair<std::string, key_verdict>> examples;  // first mismatches
    bool ok() const;
    void add(const std::string& key, key_verdict verdict, std::size_t example_limit = 10);
};

std::string describe_verify(const verify_summary& summary);

}  // namespace warden
