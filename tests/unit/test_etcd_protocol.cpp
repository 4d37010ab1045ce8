#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "controller/core/coordination/base64.hpp"
#include "controller/core/coordination/etcd_protocol.hpp"
#include "fixtures.hpp"

using namespace warden;
using json = nlohmann::json;

namespace {

const std::string me = "warden-a:4242@127.0.0.1:9736";
const std::string other = "warden-b:777@127.0.0.1:9737";
constexpr std::int64_t my_lease = 4510814701935967775;

etcd_reply recorded(const std::string& name, int status = 200) {
    return {status, testing::read_fixture("etcd-3.4/" + name)};
}

}  // namespace

TEST_CASE("base64 round-trips the RFC 4648 test vectors") {
    for (auto [plain, encoded] :
         std::vector<std::pair<std::string, std::string>>{{"", ""},
                                                          {"f", "Zg=="},
                                                          {"fo", "Zm8="},
                                                          {"foo", "Zm9v"},
                                                          {"foob", "Zm9vYg=="},
                                                          {"fooba", "Zm9vYmE="},
                                                          {"foobar", "Zm9vYmFy"}}) {
        CHECK(base64_encode(plain) == encoded);
        auto decoded = base64_decode(encoded);
        REQUIRE(decoded);
        CHECK(*decoded == plain);
    }
    CHECK(base64_encode(std::string("\xff\x00\x10", 3)) == "/wAQ");
}

TEST_CASE("base64 rejects bad lengths, characters and padding in the middle") {
    CHECK(base64_decode("Zm9").failure().message.find("multiple of 4") != std::string::npos);
    CHECK(base64_decode("Zm9*").failure().message.find("offset 3") != std::string::npos);
    CHECK_FALSE(base64_decode("Zg==Zm9v"));
    CHECK_FALSE(base64_decode("Z=g="));
}

TEST_CASE("etcd endpoints are http(s)://HOST:PORT; paths and credentials are refused") {
    auto plain = parse_etcd_endpoint("http://10.0.0.5:2379");
    REQUIRE(plain);
    CHECK(*plain == etcd_endpoint{"10.0.0.5", 2379, false});
    auto secure = parse_etcd_endpoint("https://etcd1.example:2379/");
    REQUIRE(secure);
    CHECK(*secure == etcd_endpoint{"etcd1.example", 2379, true});
    CHECK(parse_etcd_endpoint("http://[::1]:2379/"));
    CHECK(parse_etcd_endpoint("ftp://10.0.0.5:2379")
              .failure()
              .message.find("expected http://HOST:PORT or https://HOST:PORT") != std::string::npos);
    CHECK_FALSE(parse_etcd_endpoint("10.0.0.5:2379"));
    CHECK_FALSE(parse_etcd_endpoint("http://10.0.0.5"));
    CHECK_FALSE(parse_etcd_endpoint("http://10.0.0.5:2379/v3"));
    CHECK_FALSE(parse_etcd_endpoint("https://user:pw@10.0.0.5:2379"));
}

TEST_CASE("auth: a user and password buy a token; refusals never echo the password") {
    auto call = authenticate_call("warden", "s3cret");
    CHECK(call.path == "/v3/auth/authenticate");
    CHECK(json::parse(call.body) == json{{"name", "warden"}, {"password", "s3cret"}});

    auto token = parse_authenticate(recorded("authenticate-ok.json"));
    REQUIRE(token);
    CHECK(*token == "qzzBckKbaMeoAHqQ.16");

    auto refused = parse_authenticate(recorded("authenticate-refused.json", 400));
    REQUIRE_FALSE(refused);
    CHECK(refused.failure().message ==
          "etcd refused the user and password: etcd answered HTTP 400: etcdserver: "
          "authentication failed, invalid user ID or password");
    CHECK(refused.failure().message.find("wrong") == std::string::npos);
    CHECK_FALSE(parse_authenticate({200, R"({"header":{}})"}));
    CHECK(parse_authenticate({412, R"({"error":"etcdserver: authentication is not enabled"})"})
              .failure()
              .message.find("authentication is not enabled") != std::string::npos);
}

TEST_CASE("auth: an expired or unknown token is told apart from other refusals") {
    CHECK(auth_token_rejected(recorded("auth-token-invalid.json", 401)));
    CHECK_FALSE(auth_token_rejected(recorded("permission-denied.json", 403)));
    CHECK_FALSE(auth_token_rejected(recorded("range-empty.json")));
    CHECK(parse_range(recorded("permission-denied.json", 403)).failure().message ==
          "etcd answered HTTP 403: etcdserver: permission denied");
    // The gateway's plain-text refusal of a client certificate with a CommonName says what to do.
    auto common_name = parse_grant(recorded("gateway-common-name.txt", 400)).failure().message;
    CHECK(common_name.find("HTTP 400") != std::string::npos);
    CHECK(common_name.find("give warden a certificate without a CommonName") != std::string::npos);
}

TEST_CASE("a campaign puts the key with the lease only if it was never created, else reads it") {
    auto call = campaign_call("/redis-warden/main/leader", me, my_lease);
    CHECK(call.path == "/v3/kv/txn");
    auto body = json::parse(call.body);
    const auto& compare = body["compare"][0];
    CHECK(compare["target"] == "CREATE");
    CHECK(compare["result"] == "EQUAL");
    CHECK(compare["create_revision"] == "0");
    CHECK(compare["key"] == base64_encode("/redis-warden/main/leader"));
    const auto& put = body["success"][0]["request_put"];
    CHECK(put["value"] == base64_encode(me));
    CHECK(put["lease"] == "4510814701935967775");  // int64 as a string, as the gateway wants
    CHECK(body["failure"][0]["request_range"]["key"] == compare["key"]);
}

TEST_CASE("a won campaign gives the key's create revision") {
    auto won = parse_campaign(recorded("campaign-won.json"));
    REQUIRE(won);
    CHECK(won->won);
    CHECK(won->revision == 11);
}

TEST_CASE("a lost campaign names the holder, its lease and create revision") {
    auto lost = parse_campaign(recorded("campaign-lost.json"));
    REQUIRE(lost);
    CHECK_FALSE(lost->won);
    REQUIRE(lost->holder);
    CHECK(lost->holder->key == "/redis-warden/main/leader");
    CHECK(lost->holder->value == me);
    CHECK(lost->holder->lease == my_lease);
    CHECK(lost->holder->create_revision == 11);
}

TEST_CASE("lease grant and keep-alive: TTLs are strings, and an expired lease has none") {
    auto grant = parse_grant(recorded("lease-grant.json"));
    REQUIRE(grant);
    CHECK(grant->id == my_lease);
    CHECK(grant->ttl_seconds == 3);
    CHECK(json::parse(grant_call(std::chrono::seconds(3)).body)["TTL"] == "3");
    CHECK(json::parse(keepalive_call(my_lease).body)["ID"] == "4510814701935967775");
    auto alive = parse_keepalive(recorded("keepalive-alive.json"));
    REQUIRE(alive);
    CHECK(*alive == 3);
    auto expired = parse_keepalive(recorded("keepalive-expired.json"));
    REQUIRE(expired);
    CHECK(*expired == 0);
}

TEST_CASE("the fence compares create revision and value, and writes the record on success") {
    auto call = fence_call("/k/leader", me, 11, "/k/actions/1", R"({"who":"a"})", "/k/maintenance");
    auto body = json::parse(call.body);
    REQUIRE(body["compare"].size() == 3);
    CHECK(body["compare"][0]["target"] == "CREATE");
    CHECK(body["compare"][0]["create_revision"] == "11");
    CHECK(body["compare"][1]["target"] == "VALUE");
    CHECK(body["compare"][1]["value"] == base64_encode(me));
    CHECK(body["success"][0]["request_put"]["key"] == base64_encode("/k/actions/1"));
    CHECK(body["success"][0]["request_put"]["value"] == base64_encode(R"({"who":"a"})"));
    CHECK_FALSE(body["success"][0]["request_put"].contains("lease"));  // records outlive leases
}

TEST_CASE("fence replies: held, revision changed, key gone, held by another") {
    auto held = parse_fence(recorded("fence-held.json"));
    REQUIRE(held);
    CHECK(held->held);
    auto stale = parse_fence(recorded("fence-revision-changed.json"));
    REQUIRE(stale);
    CHECK_FALSE(stale->held);
    REQUIRE(stale->holder);
    CHECK(stale->holder->create_revision == 11);
    auto gone = parse_fence(recorded("fence-key-gone.json"));
    REQUIRE(gone);
    CHECK_FALSE(gone->held);
    CHECK_FALSE(gone->holder);
    auto taken = parse_fence(recorded("fence-held-by-other.json"));
    REQUIRE(taken);
    REQUIRE(taken->holder);
    CHECK(taken->holder->value == other);
    CHECK(taken->holder->create_revision == 14);
}

TEST_CASE("ranges: the last action record, and an empty range without kvs") {
    auto call = json::parse(last_key_call("/p/main/actions/").body);
    CHECK(call["range_end"] == base64_encode("/p/main/actions0"));
    CHECK(call["sort_order"] == "DESCEND");
    CHECK(call["sort_target"] == "KEY");
    CHECK(call["limit"] == "1");
    auto last = parse_range(recorded("range-last-action.json"));
    REQUIRE(last);
    REQUIRE(last->size() == 1);
    CHECK(last->front().key == "/redis-warden/main/actions/00000001795000000000-1");
    CHECK(last->front().value.find("\"action\":\"replicate\"") != std::string::npos);
    auto empty = parse_range(recorded("range-empty.json"));
    REQUIRE(empty);
    CHECK(empty->empty());
}

TEST_CASE("a record txn puts and prunes older records atomically") {
    auto body = json::parse(record_call("/p/a/2", "{}", "/p/a/", "/p/a/1").body);
    CHECK_FALSE(body.contains("compare"));
    REQUIRE(body["success"].size() == 2);
    CHECK(body["success"][1]["request_delete_range"]["range_end"] == base64_encode("/p/a/1"));
    CHECK(json::parse(record_call("/p/a/2", "{}").body)["success"].size() == 1);
}

TEST_CASE("errors carry etcd's message and the HTTP status; non-JSON bodies are named") {
    auto unknown = parse_done(recorded("put-unknown-lease.json", 404));
    REQUIRE_FALSE(unknown);
    CHECK(unknown.failure().message ==
          "etcd answered HTTP 404: etcdserver: requested lease not found");
    auto bad = parse_campaign(recorded("bad-request.json", 400));
    REQUIRE_FALSE(bad);
    CHECK(bad.failure().message.find("HTTP 400: invalid character") != std::string::npos);
    auto html = parse_grant({502, "<html>\nBad gateway</html>"});
    REQUIRE_FALSE(html);
    CHECK(html.failure().message.find("not a JSON object: '<html> Bad gateway") !=
          std::string::npos);
    auto stream_error =
        parse_keepalive({200, R"({"error":{"grpc_code":14,"message":"etcdserver: no leader"}})"});
    REQUIRE_FALSE(stream_error);
    CHECK(stream_error.failure().message.find("no leader") != std::string::npos);
    CHECK(parse_done(recorded("lease-revoke.json")));
}

TEST_CASE("a range end covers exactly the keys under a prefix") {
    CHECK(prefix_range_end("/a/") == "/a0");
    CHECK(prefix_range_end("ab\xff") == "ac");
    CHECK(prefix_range_end("") == std::string(1, '\0'));
}
