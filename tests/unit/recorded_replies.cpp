#include "recorded_replies.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "controller/core/coordination/base64.hpp"
#include "controller/core/parse/text_fields.hpp"
#include "fixtures.hpp"

namespace warden::testing {
namespace {

// Deep enough for any reply recorded (CLUSTER SHARDS nests 4), shallow enough that a hostile
// input cannot exhaust the stack.
constexpr int max_depth = 32;

class resp_reader {
  public:
    explicit resp_reader(std::string_view bytes) : bytes_(bytes) {}

    result<resp_value> value(int depth);
    bool at_end() const { return at_ == bytes_.size(); }
    error fail(std::string_view what) const {
        return error{fmt::format("RESP at byte {}: {}", at_, what)};
    }

  private:
    std::optional<std::string_view> line();  // the bytes up to the next CRLF, consumed
    result<resp_value> bulk(std::string_view header);
    result<resp_value> array(std::string_view header, int depth);

    std::string_view bytes_;
    std::size_t at_ = 0;
};

std::optional<std::string_view> resp_reader::line() {
    auto end = bytes_.find("\r\n", at_);
    if (end == std::string_view::npos) return std::nullopt;
    auto text = bytes_.substr(at_, end - at_);
    at_ = end + 2;
    return text;
}

result<resp_value> resp_reader::bulk(std::string_view header) {
    auto length = parse_integer<std::int64_t>(header);
    if (length == -1) return resp_value{resp_value::kind::nil, {}, 0, {}};
    // The payload is binary (DUMP): take exactly `length` bytes, then the CRLF.
    if (!length || *length < 0 || static_cast<std::uint64_t>(*length) + 2 > bytes_.size() - at_) {
        return fail(fmt::format("bad bulk length '{}'", header));
    }
    auto size = static_cast<std::size_t>(*length);
    if (bytes_.substr(at_ + size, 2) != "\r\n") return fail("bulk string without its CRLF");
    resp_value reply{resp_value::kind::bulk, std::string(bytes_.substr(at_, size)), 0, {}};
    at_ += size + 2;
    return reply;
}

result<resp_value> resp_reader::array(std::string_view header, int depth) {
    auto count = parse_integer<std::int64_t>(header);
    if (count == -1) return resp_value{resp_value::kind::nil_array, {}, 0, {}};
    // Every element takes at least three bytes (":0\r\n" is four): a larger count is a lie.
    if (!count || *count < 0 || static_cast<std::uint64_t>(*count) > (bytes_.size() - at_) / 3) {
        return fail(fmt::format("bad array length '{}'", header));
    }
    if (depth >= max_depth) return fail("arrays nested too deep");
    resp_value reply{resp_value::kind::array, {}, 0, {}};
    reply.elements.reserve(static_cast<std::size_t>(*count));
    for (std::int64_t i = 0; i < *count; ++i) {
        auto element = value(depth + 1);
        if (!element) return element.failure();
        reply.elements.push_back(std::move(*element));
    }
    return reply;
}

result<resp_value> resp_reader::value(int depth) {
    if (at_ >= bytes_.size()) return fail("reply ends early");
    char type = bytes_[at_++];
    auto header = line();
    if (!header) return fail("line without CRLF");
    switch (type) {
        case '+':
            return resp_value{resp_value::kind::simple, std::string(*header), 0, {}};
        case '-':
            return resp_value{resp_value::kind::error, std::string(*header), 0, {}};
        case ':': {
            auto number = parse_integer<std::int64_t>(*header);
            if (!number) return fail(fmt::format("bad integer '{}'", *header));
            return resp_value{resp_value::kind::integer, {}, *number, {}};
        }
        case '$':
            return bulk(*header);
        case '*':
            return array(*header, depth);
        default:
            return fail(
                fmt::format("unknown type byte 0x{:02x}", static_cast<unsigned char>(type)));
    }
}

std::pair<bool, int> role_and_port(const std::filesystem::path& file) {
    auto stem = file.stem().string();  // "master-24000"
    auto dash = stem.rfind('-');
    auto port =
        dash == std::string::npos ? std::nullopt : parse_integer<int>(stem.substr(dash + 1));
    if (!port) throw std::runtime_error("recording not named <role>-<port>.json: " + file.string());
    return {stem.starts_with("master-"), *port};
}

recorded_exchange exchange_of(const nlohmann::json& entry, const std::string& where) {
    if (!entry.is_object() || !entry.contains("command") || !entry["command"].is_array() ||
        !entry.contains("reply_b64") || !entry["reply_b64"].is_string()) {
        throw std::runtime_error(where + ": want {\"command\":[...],\"reply_b64\":\"...\"}");
    }
    recorded_exchange exchange;
    for (const auto& arg : entry["command"]) {
        if (!arg.is_string()) throw std::runtime_error(where + ": a command argument is not text");
        exchange.command.push_back(arg.get<std::string>());
    }
    auto bytes = base64_decode(entry["reply_b64"].get<std::string>());
    if (!bytes) throw std::runtime_error(where + ": " + bytes.failure().message);
    resp_reader reader(*bytes);
    auto reply = reader.value(0);
    if (reply && !reader.at_end()) reply = reader.fail("bytes after the reply");
    if (!reply) throw std::runtime_error(where + ": " + reply.failure().message);
    exchange.reply = std::move(*reply);
    return exchange;
}

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
    return text;
}

}  // namespace

result<resp_value> decode_resp(std::string_view bytes) {
    resp_reader reader(bytes);
    auto reply = reader.value(0);
    if (reply && !reader.at_end()) return reader.fail("bytes after the reply");
    return reply;
}

std::string describe(const resp_value& reply) {
    switch (reply.type) {
        case resp_value::kind::simple:
            return "+" + reply.text;
        case resp_value::kind::error:
            return "-" + reply.text;
        case resp_value::kind::integer:
            return fmt::format(":{}", reply.number);
        case resp_value::kind::bulk:
            return fmt::format("${} bytes", reply.text.size());
        case resp_value::kind::nil:
            return "$-1 (nil)";
        case resp_value::kind::array:
            return fmt::format("*{} [...]", reply.elements.size());
        case resp_value::kind::nil_array:
            return "*-1 (nil)";
    }
    return "?";
}

std::vector<const recorded_exchange*> recorded_node::all(
    const std::vector<std::string>& prefix) const {
    std::vector<const recorded_exchange*> found;
    for (const auto& exchange : exchanges) {
        if (exchange.command.size() >= prefix.size() &&
            std::equal(prefix.begin(), prefix.end(), exchange.command.begin())) {
            found.push_back(&exchange);
        }
    }
    return found;
}

const resp_value& recorded_node::reply(const std::vector<std::string>& command) const {
    auto last =
        std::find_if(exchanges.rbegin(), exchanges.rend(),
                     [&command](const recorded_exchange& e) { return e.command == command; });
    if (last == exchanges.rend()) {
        throw std::runtime_error(file + ": no recorded reply to " + joined(command));
    }
    return last->reply;
}

const std::string& recorded_node::text(const std::vector<std::string>& command) const {
    const auto& answer = reply(command);
    if (answer.type != resp_value::kind::bulk) {
        throw std::runtime_error(file + ": " + joined(command) + " answered " + describe(answer));
    }
    return answer.text;
}

const std::vector<std::string>& recorded_servers() {
    static const std::vector<std::string> servers = {
        "redis-3.2.13", "redis-4.0.14", "redis-5.0.14", "redis-6.0.20", "redis-6.2.16",
        "redis-7.0.15", "redis-7.2.6",  "redis-7.4.1",  "valkey-8.0.1",
    };
    return servers;
}

const std::vector<std::string>& recorded_cases() {
    static const std::vector<std::string> cases = {"open", "password"};
    return cases;
}

recorded_node load_recorded_node(const std::string& relative_path) {
    auto path = "redis-versions/" + relative_path;
    auto parsed = nlohmann::json::parse(read_fixture(path), nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_array()) throw std::runtime_error(path + ": not a JSON array");
    recorded_node node;
    node.file = relative_path;
    std::tie(node.master, node.port) = role_and_port(relative_path);
    for (std::size_t i = 0; i < parsed.size(); ++i) {
        node.exchanges.push_back(exchange_of(parsed[i], fmt::format("{} entry {}", path, i)));
    }
    return node;
}

std::vector<recorded_node> load_recorded_cluster(const std::string& server,
                                                 const std::string& scenario) {
    auto relative_dir = server + "/" + scenario;
    auto dir = std::filesystem::path(WARDEN_FIXTURES) / "redis-versions" / relative_dir;
    std::vector<recorded_node> nodes;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        nodes.push_back(load_recorded_node(relative_dir + "/" + entry.path().filename().string()));
    }
    std::sort(nodes.begin(), nodes.end(),
              [](const recorded_node& a, const recorded_node& b) { return a.port < b.port; });
    return nodes;
}

snapshot snapshot_of(const std::vector<recorded_node>& nodes, const std::string& cluster_name) {
    snapshot observed;
    observed.cluster_name = cluster_name;
    for (const auto& node : nodes) {
        node_probe probe;
        probe.address = node.address();
        probe.reachable = true;
        probe.cluster_nodes = node.text({"CLUSTER", "NODES"});
        probe.cluster_info = node.text({"CLUSTER", "INFO"});
        probe.info = node.text({"INFO", "replication"});
        observed.nodes.push_back(std::move(probe));
    }
    std::sort(observed.nodes.begin(), observed.nodes.end(),
              [](const node_probe& a, const node_probe& b) { return a.address < b.address; });
    return observed;
}

}  // namespace warden::testing
