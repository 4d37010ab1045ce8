// `import --verify`: reads sampled (or all) source keys and their cluster copies and judges
// them with the pure verify_rules. A mismatch is read a second time before it is reported,
// so a write landing between the two reads of a dual-writing application is not one.
#include <fmt/format.h>

#include <set>

#include "controller/executor/importer.hpp"
#include "controller/executor/key_router.hpp"
#include "probes/probe_exchange.hpp"

namespace warden::executor {
namespace {

using probes::command;
using probes::redis_connection;
using probes::resp_type;
using probes::resp_value;

// The command that reads a whole value of `type` (nullopt: compare payloads only).
std::optional<command> value_read(const std::string& type, const std::string& key) {
    if (type == "string") return command{"GET", key};
    if (type == "list") return command{"LRANGE", key, "0", "-1"};
    if (type == "set") return command{"SMEMBERS", key};
    if (type == "hash") return command{"HGETALL", key};
    if (type == "zset") return command{"ZRANGE", key, "0", "-1", "WITHSCORES"};
    if (type == "stream") return command{"XRANGE", key, "-", "+"};
    return std::nullopt;
}

void flatten(const resp_value& reply, std::vector<std::string>& into) {
    if (reply.type == resp_type::array) {
        for (const auto& element : reply.elements) flatten(element, into);
    } else if (reply.type == resp_type::integer) {
        into.push_back(std::to_string(reply.integer));
    } else {
        into.push_back(reply.text);
    }
}

void take_dump_and_ttl(const resp_value& dump, const resp_value& ttl, key_state& into) {
    into.present = dump.type == resp_type::string;
    into.payload = into.present ? dump.text : "";
    into.pttl = ttl.type == resp_type::integer ? ttl.integer : -2;
    if (into.pttl == -2) into.present = false;
}

// TYPE + value of each key on one side; `run` sends per-key commands and returns replies.
template <typename Run>
result<void> read_values(const std::vector<std::string>& keys, std::vector<key_state>& states,
                         Run run) {
    auto types = run([&](std::size_t i) { return std::vector<command>{{"TYPE", keys[i]}}; });
    if (!types) return types.failure();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto& reply = (*types)[i];
        states[i].type = reply.empty() ? "" : reply.front().text;
    }
    auto values = run([&](std::size_t i) {
        auto read = value_read(states[i].type, keys[i]);
        return read ? std::vector<command>{*read} : std::vector<command>{};
    });
    if (!values) return values.failure();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        std::vector<std::string> elements;
        for (const auto& reply : (*values)[i]) flatten(reply, elements);
        // Types without a reader (modules) fall back to the payload.
        states[i].value = (*values)[i].empty()
                              ? states[i].payload
                              : canonical_value(states[i].type, std::move(elements));
    }
    return {};
}

class import_checker {
  public:
    import_checker(redis_connection& source, const topology& cluster,
                   const import_settings& settings, std::int64_t tolerance)
        : source_(source),
          router_(cluster, settings.cluster_auth, settings.timeout, settings.parallel),
          tolerance_(tolerance) {}

    // Verdicts for `keys`; reads twice where the first read disagrees.
    result<std::vector<key_verdict>> judge(const std::vector<std::string>& keys) {
        auto first = read_and_compare(keys);
        if (!first) return first;
        std::vector<std::string> doubtful;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if ((*first)[i] != key_verdict::same && (*first)[i] != key_verdict::gone_from_source)
                doubtful.push_back(keys[i]);
        }
        if (doubtful.empty()) return first;
        auto second = read_and_compare(doubtful);
        if (!second) return second;
        for (std::size_t i = 0, d = 0; i < keys.size(); ++i) {
            if ((*first)[i] != key_verdict::same && (*first)[i] != key_verdict::gone_from_source)
                (*first)[i] = (*second)[d++];
        }
        return first;
    }

  private:
    using per_key = result<std::vector<std::vector<resp_value>>>;

    per_key run_on_source(const std::vector<std::string>& keys,
                          const std::function<std::vector<command>(std::size_t)>& commands) {
        std::vector<command> batch;
        std::vector<std::size_t> counts;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            auto mine = commands(i);
            counts.push_back(mine.size());
            for (auto& one : mine) batch.push_back(std::move(one));
        }
        auto replies = source_.pipeline(batch);
        if (!replies) return error{"source " + replies.failure().message};
        std::vector<std::vector<resp_value>> out(keys.size());
        std::size_t at = 0;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            for (std::size_t n = 0; n < counts[i]; ++n) out[i].push_back((*replies)[at++]);
        }
        return out;
    }

    per_key run_on_cluster(const std::vector<std::string>& keys,
                           const std::function<std::vector<command>(std::size_t)>& commands) {
        auto replies = router_.run(keys, commands);
        if (!replies) return error{replies.failure().message};
        std::vector<std::vector<resp_value>> out;
        for (auto& reply : *replies) out.push_back(std::move(reply.replies));
        return out;
    }

    result<std::vector<key_verdict>> read_and_compare(const std::vector<std::string>& keys) {
        std::vector<key_state> source(keys.size());
        std::vector<key_state> copy(keys.size());
        auto dump_and_ttl = [&](std::size_t i) {
            return std::vector<command>{{"DUMP", keys[i]}, {"PTTL", keys[i]}};
        };
        auto from_source = run_on_source(keys, dump_and_ttl);
        if (!from_source) return error{from_source.failure().message};
        auto from_cluster = run_on_cluster(keys, dump_and_ttl);
        if (!from_cluster) return error{from_cluster.failure().message};
        std::vector<std::string> differing;
        std::vector<std::size_t> where;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            take_dump_and_ttl((*from_source)[i][0], (*from_source)[i][1], source[i]);
            take_dump_and_ttl((*from_cluster)[i][0], (*from_cluster)[i][1], copy[i]);
            if (source[i].present && copy[i].present && source[i].payload != copy[i].payload) {
                differing.push_back(keys[i]);
                where.push_back(i);
            }
        }
        std::vector<key_state> source_values(differing.size());
        std::vector<key_state> copy_values(differing.size());
        if (!differing.empty()) {
            for (std::size_t d = 0; d < differing.size(); ++d) {
                source_values[d].payload = source[where[d]].payload;
                copy_values[d].payload = copy[where[d]].payload;
            }
            auto on_source = [&](const auto& commands) {
                return run_on_source(differing, commands);
            };
            auto on_cluster = [&](const auto& commands) {
                return run_on_cluster(differing, commands);
            };
            if (auto read = read_values(differing, source_values, on_source); !read) {
                return read.failure();
            }
            if (auto read = read_values(differing, copy_values, on_cluster); !read) {
                return read.failure();
            }
        }
        std::vector<key_verdict> verdicts;
        for (std::size_t i = 0, d = 0; i < keys.size(); ++i) {
            bool by_value = d < where.size() && where[d] == i;
            if (by_value) {
                source[i].type = source_values[d].type;
                source[i].value = source_values[d].value;
                copy[i].type = copy_values[d].type;
                copy[i].value = copy_values[d].value;
                ++d;
            }
            verdicts.push_back(compare_key(source[i], copy[i], tolerance_, by_value));
        }
        return verdicts;
    }

    redis_connection& source_;
    key_router router_;
    std::int64_t tolerance_;
};

// Up to `sample` distinct keys matching the pattern, drawn with RANDOMKEY.
result<std::vector<std::string>> draw_sample(redis_connection& source,
                                             const import_settings& settings, std::int64_t sample) {
    std::set<std::string> drawn;
    for (int round = 0; round < 10 && static_cast<std::int64_t>(drawn.size()) < sample; ++round) {
        auto wanted =
            std::min<std::int64_t>(sample - static_cast<std::int64_t>(drawn.size()), 1000);
        std::vector<command> draws(static_cast<std::size_t>(wanted), command{"RANDOMKEY"});
        auto replies = source.pipeline(draws);
        if (!replies) return error{"source " + replies.failure().message};
        for (const auto& reply : *replies) {
            if (reply.type == resp_type::error) {
                return error{fmt::format("source {}: RANDOMKEY refused: {}", source.address(),
                                         probes::one_line(reply.text))};
            }
            if (reply.type != resp_type::string) return std::vector<std::string>{};  // empty db
            if (matches_pattern(settings.match, reply.text)) drawn.insert(reply.text);
        }
    }
    return std::vector<std::string>(drawn.begin(), drawn.end());
}

result<void> judge_into(import_checker& checker, const std::vector<std::string>& keys,
                        verify_summary& summary) {
    auto verdicts = checker.judge(keys);
    if (!verdicts) return verdicts.failure();
    for (std::size_t i = 0; i < keys.size(); ++i) summary.add(keys[i], (*verdicts)[i]);
    return {};
}

}  // namespace

result<verify_summary> verify_import(redis_connection& source, const topology& cluster,
                                     const import_settings& settings, std::int64_t sample,
                                     std::int64_t ttl_tolerance_ms) {
    import_checker checker(source, cluster, settings, ttl_tolerance_ms);
    verify_summary summary;
    auto batch_size = static_cast<std::size_t>(std::max(settings.batch, 1));
    if (sample > 0) {
        auto keys = draw_sample(source, settings, sample);
        if (!keys) return error{keys.failure().message};
        for (std::size_t at = 0; at < keys->size(); at += batch_size) {
            std::vector<std::string> part(keys->begin() + static_cast<std::ptrdiff_t>(at),
                                          keys->begin() + static_cast<std::ptrdiff_t>(std::min(
                                                              at + batch_size, keys->size())));
            if (auto judged = judge_into(checker, part, summary); !judged) return judged.failure();
        }
        return summary;
    }
    std::string cursor = "0";
    do {
        command scan{"SCAN", cursor, "COUNT", std::to_string(settings.batch)};
        if (settings.match != "*") scan.insert(scan.end(), {"MATCH", settings.match});
        auto reply = source.call(scan);
        if (!reply) return error{"source " + reply.failure().message};
        if (reply->type != resp_type::array || reply->elements.size() != 2) {
            return error{fmt::format("source {}: SCAN gave an unexpected reply", source.address())};
        }
        cursor = reply->elements[0].text;
        std::vector<std::string> keys;
        for (auto& key : reply->elements[1].elements) keys.push_back(std::move(key.text));
        if (!keys.empty()) {
            if (auto judged = judge_into(checker, keys, summary); !judged) return judged.failure();
        }
    } while (cursor != "0");
    return summary;
}

}  // namespace warden::executor
