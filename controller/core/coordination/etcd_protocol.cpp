#include "controller/core/coordination/etcd_protocol.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "controller/core/coordination/base64.hpp"
#include "controller/core/parse/endpoint.hpp"
#include "controller/core/parse/text_fields.hpp"

namespace warden {
namespace {

using json = nlohmann::json;

std::string int64_text(std::int64_t value) {
    return std::to_string(value);
}

etcd_call call(std::string path, const json& body) {
    return {std::move(path), body.dump()};
}

// Gateway int64s are strings ("7"); absent means 0 (proto3 leaves zero values out).
result<std::int64_t> int64_at(const json& object, const char* name) {
    auto found = object.find(name);
    if (found == object.end() || found->is_null()) return std::int64_t{0};
    if (found->is_number_integer()) return found->get<std::int64_t>();
    if (found->is_string()) {
        if (auto value = parse_integer<std::int64_t>(found->get<std::string>())) return *value;
    }
    return error{fmt::format("etcd reply: field '{}' is not an integer: {}", name,
                             found->dump().substr(0, 40))};
}

result<std::string> bytes_at(const json& object, const char* name) {
    auto found = object.find(name);
    if (found == object.end() || found->is_null()) return std::string{};
    if (!found->is_string()) {
        return error{fmt::format("etcd reply: field '{}' is not a base64 string", name)};
    }
    auto decoded = base64_decode(found->get<std::string>());
    if (!decoded)
        return error{fmt::format("etcd reply: field '{}': {}", name, decoded.failure().message)};
    return decoded;
}

// {"error":"...","message":"...","code":5} or, from a stream, {"error":{"message":...}}.
std::string error_text(const json& document) {
    auto found = document.find("error");
    if (found == document.end()) found = document.find("message");
    if (found == document.end()) return {};
    if (found->is_string()) return found->get<std::string>();
    if (found->is_object() && found->contains("message") && (*found)["message"].is_string()) {
        return (*found)["message"].get<std::string>();
    }
    return found->dump();
}

// The JSON document of a reply, or why it cannot be used: an HTTP error, an etcd error
// object, or something that is not JSON at all (a proxy's HTML page, a truncated body).
result<json> document_of(const etcd_reply& reply) {
    auto document = json::parse(reply.body, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        auto start = reply.body.substr(0, 80);
        for (auto& c : start) {
            if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        }
        // etcd's gateway answers this in plain text (CVE-2018-16886): say what to change.
        auto hint = reply.body.starts_with("CommonName of client")
                        ? " (with auth enabled etcd's gateway refuses client certificates that "
                          "carry a CommonName: give warden a certificate without a CommonName "
                          "and use coordination.auth)"
                        : "";
        return error{
            fmt::format("etcd answered HTTP {} with a body that is not a JSON object: "
                        "'{}'{}",
                        reply.status, start, hint)};
    }
    auto problem = error_text(document);
    if (reply.status != 200 || !problem.empty()) {
        return error{fmt::format("etcd answered HTTP {}: {}", reply.status,
                                 problem.empty() ? std::string("no error text") : problem)};
    }
    return document;
}

result<etcd_key_value> key_value_of(const json& item) {
    if (!item.is_object()) return error{"etcd reply: a kvs entry is not an object"};
    auto key = bytes_at(item, "key");
    if (!key) return key.failure();
    auto value = bytes_at(item, "value");
    if (!value) return value.failure();
    auto created = int64_at(item, "create_revision");
    if (!created) return created.failure();
    auto modified = int64_at(item, "mod_revision");
    if (!modified) return modified.failure();
    auto lease = int64_at(item, "lease");
    if (!lease) return lease.failure();
    return etcd_key_value{*key, *value, *created, *modified, *lease};
}

result<std::vector<etcd_key_value>> kvs_of(const json& range) {
    std::vector<etcd_key_value> out;
    auto found = range.find("kvs");
    if (found == range.end()) return out;
    if (!found->is_array()) return error{"etcd reply: 'kvs' is not an array"};
    for (const auto& item : *found) {
        auto kv = key_value_of(item);
        if (!kv) return kv.failure();
        out.push_back(std::move(*kv));
    }
    return out;
}

// The key a txn's failure branch read ({"responses":[{"response_range":{...}}]}) as its
// `index`th operation, if any.
result<std::optional<etcd_key_value>> ranged_key(const json& txn, std::size_t index = 0) {
    auto responses = txn.find("responses");
    if (responses == txn.end() || !responses->is_array() || responses->size() <= index) {
        return error{"etcd reply: the txn's failure branch returned no range"};
    }
    const auto& first = (*responses)[index];
    if (!first.is_object() || !first.contains("response_range")) {
        return error{"etcd reply: the txn's failure branch returned no range"};
    }
    auto kvs = kvs_of(first["response_range"]);
    if (!kvs) return kvs.failure();
    if (kvs->empty()) return std::optional<etcd_key_value>{};
    return std::optional<etcd_key_value>{std::move(kvs->front())};
}

bool succeeded(const json& txn) {
    auto found = txn.find("succeeded");
    return found != txn.end() && found->is_boolean() && found->get<bool>();
}

}  // namespace

result<etcd_endpoint> parse_etcd_endpoint(std::string_view url) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
        return error{
            fmt::format("etcd endpoint '{}': expected http://HOST:PORT or https://HOST:PORT", url)};
    }
    auto parsed = parse_http_url(url);
    if (!parsed) return error{fmt::format("etcd endpoint {}", parsed.failure().message)};
    if (parsed->path != "/") {
        return error{fmt::format("etcd endpoint '{}': expected {}HOST:PORT without a path", url,
                                 parsed->tls ? "https://" : "http://")};
    }
    return etcd_endpoint{parsed->where.host, parsed->where.port, parsed->tls};
}

etcd_call authenticate_call(const std::string& user, const std::string& password) {
    return call("/v3/auth/authenticate", {{"name", user}, {"password", password}});
}

result<std::string> parse_authenticate(const etcd_reply& reply) {
    auto document = document_of(reply);
    if (!document) {
        return error{
            fmt::format("etcd refused the user and password: {}", document.failure().message)};
    }
    auto token = document->find("token");
    if (token == document->end() || !token->is_string() || token->get<std::string>().empty()) {
        // etcd without auth enabled answers an authenticate call with an error, so an
        // empty token is a reply this client does not understand.
        return error{"etcd reply to authenticate carries no token"};
    }
    return token->get<std::string>();
}

bool auth_token_rejected(const etcd_reply& reply) {
    // The gateway maps gRPC Unauthenticated (an expired or unknown token) to HTTP 401.
    return reply.status == 401 || reply.body.find("invalid auth token") != std::string::npos;
}

etcd_call grant_call(std::chrono::seconds ttl) {
    return call("/v3/lease/grant", {{"TTL", int64_text(ttl.count())}});
}

etcd_call keepalive_call(std::int64_t lease) {
    return call("/v3/lease/keepalive", {{"ID", int64_text(lease)}});
}

etcd_call revoke_call(std::int64_t lease) {
    return call("/v3/lease/revoke", {{"ID", int64_text(lease)}});
}

etcd_call campaign_call(const std::string& key, const std::string& value, std::int64_t lease) {
    auto encoded = base64_encode(key);
    json body = {
        {"compare",
         {{{"key", encoded}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}}}},
        {"success",
         {{{"request_put",
            {{"key", encoded}, {"value", base64_encode(value)}, {"lease", int64_text(lease)}}}}}},
        {"failure", {{{"request_range", {{"key", encoded}}}}}}};
    return call("/v3/kv/txn", body);
}

etcd_call fence_call(const std::string& leader_key, const std::string& identity,
                     std::int64_t create_revision, const std::string& record_key,
                     const std::string& record_value, const std::string& maintenance_key) {
    auto encoded = base64_encode(leader_key);
    auto maintenance = base64_encode(maintenance_key);
    json body = {
        {"compare",
         {{{"key", encoded},
           {"target", "CREATE"},
           {"result", "EQUAL"},
           {"create_revision", int64_text(create_revision)}},
          {{"key", encoded},
           {"target", "VALUE"},
           {"result", "EQUAL"},
           {"value", base64_encode(identity)}},
          {{"key", maintenance},
           {"target", "CREATE"},
           {"result", "EQUAL"},
           {"create_revision", "0"}}}},
        {"success",
         {{{"request_put",
            {{"key", base64_encode(record_key)}, {"value", base64_encode(record_value)}}}}}},
        {"failure",
         {{{"request_range", {{"key", encoded}}}}, {{"request_range", {{"key", maintenance}}}}}}};
    return call("/v3/kv/txn", body);
}

etcd_call get_call(const std::string& key) {
    return call("/v3/kv/range", {{"key", base64_encode(key)}});
}

etcd_call put_call(const std::string& key, const std::string& value, std::int64_t lease) {
    json body = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
    if (lease != 0) body["lease"] = int64_text(lease);
    return call("/v3/kv/put", body);
}

etcd_call delete_call(const std::string& key) {
    return call("/v3/kv/deleterange", {{"key", base64_encode(key)}});
}

etcd_call record_call(const std::string& key, const std::string& value,
                      const std::string& prune_begin, const std::string& prune_end) {
    json operations = json::array();
    operations.push_back(
        {{"request_put", {{"key", base64_encode(key)}, {"value", base64_encode(value)}}}});
    if (!prune_end.empty()) {
        operations.push_back(
            {{"request_delete_range",
              {{"key", base64_encode(prune_begin)}, {"range_end", base64_encode(prune_end)}}}});
    }
    // No compare: an empty txn condition holds, so both operations apply atomically.
    return call("/v3/kv/txn", {{"success", std::move(operations)}});
}

etcd_call last_key_call(const std::string& prefix) {
    return call("/v3/kv/range", {{"key", base64_encode(prefix)},
                                 {"range_end", base64_encode(prefix_range_end(prefix))},
                                 {"sort_order", "DESCEND"},
                                 {"sort_target", "KEY"},
                                 {"limit", "1"}});
}

result<lease_grant> parse_grant(const etcd_reply& reply) {
    auto document = document_of(reply);
    if (!document) return document.failure();
    auto id = int64_at(*document, "ID");
    if (!id) return id.failure();
    auto ttl = int64_at(*document, "TTL");
    if (!ttl) return ttl.failure();
    if (*id == 0 || *ttl <= 0) return error{"etcd granted no lease (ID or TTL missing)"};
    return lease_grant{*id, *ttl};
}

result<std::int64_t> parse_keepalive(const etcd_reply& reply) {
    auto document = document_of(reply);
    if (!document) return document.failure();
    // A stream endpoint: the message is wrapped as {"result":{...}}.
    auto found = document->find("result");
    if (found == document->end() || !found->is_object()) {
        return error{"etcd keep-alive reply has no 'result'"};
    }
    return int64_at(*found, "TTL");
}

result<campaign_reply> parse_campaign(const etcd_reply& reply) {
    auto document = document_of(reply);
    if (!document) return document.failure();
    campaign_reply out;
    if (succeeded(*document)) {
        out.won = true;
        auto header = document->find("header");
        if (header == document->end() || !header->is_object()) {
            return error{"etcd txn reply has no header"};
        }
        auto revision = int64_at(*header, "revision");
        if (!revision) return revision.failure();
        out.revision = *revision;
        return out;
    }
    auto holder = ranged_key(*document);
    if (!holder) return holder.failure();
    out.holder = std::move(*holder);
    return out;
}

result<fence_reply> parse_fence(const etcd_reply& reply) {
    auto document = document_of(reply);
    if (!document) return document.failure();
    if (succeeded(*document)) return fence_reply{true, std::nullopt};
    auto holder = ranged_key(*document);
    if (!holder) return holder.failure();
    fence_reply out{false, std::move(*holder), std::nullopt};
    // Fences written before maintenance markers read only the leader key.
    if (document->contains("responses") && (*document)["responses"].size() > 1) {
        auto maintenance = ranged_key(*document, 1);
        if (!maintenance) return maintenance.failure();
        out.maintenance = std::move(*maintenance);
    }
    return out;
}

result<std::vector<etcd_key_value>> parse_range(const etcd_reply& reply) {
    auto document = document_of(reply);
    if (!document) return document.failure();
    return kvs_of(*document);
}

result<bool> parse_done(const etcd_reply& reply) {
    auto document = document_of(reply);
    if (!document) return document.failure();
    return true;
}

std::string prefix_range_end(std::string prefix) {
    while (!prefix.empty()) {
        auto& last = prefix.back();
        if (static_cast<unsigned char>(last) < 0xff) {
            last = static_cast<char>(static_cast<unsigned char>(last) + 1);
            return prefix;
        }
        prefix.pop_back();
    }
    return std::string(1, '\0');  // every key (etcd's "\0" range end)
}

}  // namespace warden
