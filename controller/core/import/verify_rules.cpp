#include "controller/core/import/verify_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace warden {

std::string to_string(key_verdict verdict) {
    switch (verdict) {
        case key_verdict::same:
            return "same";
        case key_verdict::gone_from_source:
            return "gone from the source meanwhile";
        case key_verdict::missing:
            return "missing from the cluster";
        case key_verdict::type_differs:
            return "type differs";
        case key_verdict::value_differs:
            return "value differs";
        case key_verdict::ttl_differs:
            return "TTL differs";
    }
    return "unknown";
}

key_verdict compare_key(const key_state& source, const key_state& cluster,
                        std::int64_t ttl_tolerance_ms, bool values_compared) {
    if (!source.present) return key_verdict::gone_from_source;
    if (!cluster.present) return key_verdict::missing;
    if (values_compared) {
        if (source.type != cluster.type) return key_verdict::type_differs;
        if (source.value != cluster.value) return key_verdict::value_differs;
    } else if (source.payload != cluster.payload) {
        return key_verdict::value_differs;
    }
    bool source_expires = source.pttl >= 0;
    bool cluster_expires = cluster.pttl >= 0;
    if (source_expires != cluster_expires) return key_verdict::ttl_differs;
    if (source_expires && std::llabs(source.pttl - cluster.pttl) > ttl_tolerance_ms) {
        return key_verdict::ttl_differs;
    }
    return key_verdict::same;
}

std::string canonical_value(const std::string& type, std::vector<std::string> elements) {
    if (type == "set") {
        std::sort(elements.begin(), elements.end());
    } else if (type == "hash") {
        std::vector<std::pair<std::string, std::string>> pairs;
        for (std::size_t i = 0; i + 1 < elements.size(); i += 2) {
            pairs.emplace_back(std::move(elements[i]), std::move(elements[i + 1]));
        }
        std::sort(pairs.begin(), pairs.end());
        elements.clear();
        for (auto& [field, value] : pairs) {
            elements.push_back(std::move(field));
            elements.push_back(std::move(value));
        }
    }
    // Length-prefixed, so ["a b"] and ["a", "b"] never look alike.
    std::string canonical = type;
    for (const auto& element : elements) {
        canonical += fmt::format("|{}:{}", element.size(), element);
    }
    return canonical;
}

bool verify_summary::ok() const {
    return std::all_of(verdicts.begin(), verdicts.end(), [](const auto& entry) {
        return entry.first == key_verdict::same || entry.first == key_verdict::gone_from_source ||
               entry.second == 0;
    });
}

void verify_summary::add(const std::string& key, key_verdict verdict, std::size_t example_limit) {
    ++checked;
    ++verdicts[verdict];
    bool mismatch = verdict != key_verdict::same && verdict != key_verdict::gone_from_source;
    if (mismatch && examples.size() < example_limit) examples.emplace_back(key, verdict);
}

std::string describe_verify(const verify_summary& summary) {
    auto count = [&](key_verdict verdict) {
        auto found = summary.verdicts.find(verdict);
        return found == summary.verdicts.end() ? std::int64_t{0} : found->second;
    };
    std::string text = fmt::format(
        "verify: {} key(s) checked: {} same, {} missing, {} value differs, {} type differs, "
        "{} TTL differs, {} gone from the source meanwhile\n",
        summary.checked, count(key_verdict::same), count(key_verdict::missing),
        count(key_verdict::value_differs), count(key_verdict::type_differs),
        count(key_verdict::ttl_differs), count(key_verdict::gone_from_source));
    for (const auto& [key, verdict] : summary.examples) {
        text += fmt::format("  mismatch: '{}': {}\n", key, to_string(verdict));
    }
    text += summary.ok() ? "verify: OK\n" : "verify: MISMATCH\n";
    return text;
}

}  // namespace warden
