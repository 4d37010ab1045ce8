#include <doctest/doctest.h>

#include <string>

#include "controller/core/import/import_rules.hpp"
#include "controller/core/import/key_slot.hpp"
#include "controller/core/import/verify_rules.hpp"

using namespace warden;

namespace {

// DUMP foo (SET foo bar) from redis-server 7.0.15: payload, RDB version 10, CRC64.
const std::string dump_of_bar("\x00\x03\x62\x61\x72\x0a\x00\xe6\xbe\x49\x60\xee\x66\xfd\x17", 15);

key_state present(std::string payload, std::int64_t pttl) {
    key_state state;
    state.present = true;
    state.payload = std::move(payload);
    state.pttl = pttl;
    return state;
}

}  // namespace

TEST_SUITE("import: key slots") {
    TEST_CASE("CRC16 XMODEM check value and the slots Redis computes") {
        CHECK(crc16_xmodem("123456789") == 0x31C3);
        CHECK(key_slot("foo") == 12182);  // CLUSTER KEYSLOT foo
        CHECK(key_slot("somekey") == 11058);
        CHECK(key_slot("") == 0);
    }

    TEST_CASE("hash tags: the first {...} with something inside decides") {
        CHECK(key_slot("{user1000}.following") == key_slot("{user1000}.followers"));
        CHECK(key_slot("{user1000}.following") == key_slot("user1000"));
        CHECK(key_slot("foo{}{bar}") == (crc16_xmodem("foo{}{bar}") & 16383));
        CHECK(key_slot("foo{{bar}}zap") == key_slot("{bar"));
        CHECK(key_slot("foo{bar}{zap}") == key_slot("bar"));
        CHECK(key_slot("no closing {brace") == (crc16_xmodem("no closing {brace") & 16383));
    }
}

TEST_SUITE("import: replies") {
    TEST_CASE("MOVED and ASK name the slot and where to go") {
        auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381");
        REQUIRE(moved);
        CHECK_FALSE(moved->ask);
        CHECK(moved->slot == 3999);
        CHECK(moved->address == "127.0.0.1:6381");
        auto ask = parse_redirect("ASK 12182 [::1]:7002");
        REQUIRE(ask);
        CHECK(ask->ask);
        CHECK(ask->address == "[::1]:7002");
        CHECK_FALSE(parse_redirect("MOVED x 127.0.0.1:1"));
        CHECK_FALSE(parse_redirect("MOVED 16384 127.0.0.1:1"));
        CHECK_FALSE(parse_redirect("MOVED 12"));
        CHECK_FALSE(parse_redirect("MOVED 12 nocolon"));
        CHECK_FALSE(parse_redirect("ERR MOVED 1 a:1"));
    }

    TEST_CASE("RESTORE replies: written, already there, redirected, format, transient, failed") {
        CHECK(classify_restore_reply(false, "OK") == restore_outcome::written);
        CHECK(classify_restore_reply(true, "BUSYKEY Target key name already exists.") ==
              restore_outcome::already_there);
        CHECK(classify_restore_reply(true, "MOVED 1 127.0.0.1:7000") ==
              restore_outcome::redirected);
        CHECK(classify_restore_reply(true, "ASK 1 127.0.0.1:7000") == restore_outcome::redirected);
        CHECK(classify_restore_reply(true, "ERR DUMP payload version or checksum are wrong") ==
              restore_outcome::payload_format);
        CHECK(classify_restore_reply(true, "ERR Bad data format") ==
              restore_outcome::payload_format);
        CHECK(classify_restore_reply(true, "TRYAGAIN Multiple keys request during rehashing") ==
              restore_outcome::retry_later);
        CHECK(classify_restore_reply(true, "CLUSTERDOWN The cluster is down") ==
              restore_outcome::retry_later);
        CHECK(classify_restore_reply(true, "NOPERM this user has no permissions") ==
              restore_outcome::failed);
        CHECK(classify_restore_reply(true, "OOM command not allowed") == restore_outcome::failed);
    }

    TEST_CASE("DUMP payloads carry their RDB version") {
        CHECK(dump_rdb_version(dump_of_bar) == 10);
        CHECK(oldest_redis_reading(10) == "7.0");
        CHECK(oldest_redis_reading(11) == "7.2");
        CHECK(oldest_redis_reading(99).empty());
        CHECK_FALSE(dump_rdb_version("short"));
    }
}

TEST_SUITE("import: TTLs") {
    TEST_CASE("no TTL stays none, a TTL loses the time spent copying, expired keys are skipped") {
        CHECK(restore_ttl(-1, 1000, 90000) == 0);
        CHECK_FALSE(restore_ttl(-2, 1000, 1000));
        CHECK(restore_ttl(10'800'000, 1000, 1500) == 10'799'500);  // 3 h less 500 ms
        CHECK(restore_ttl(500, 1000, 1499) == 1);
        CHECK_FALSE(restore_ttl(500, 1000, 1500));  // would be RESTORE ... 0: no TTL at all
        CHECK_FALSE(restore_ttl(500, 1000, 9000));
    }
}

TEST_SUITE("import: patterns") {
    TEST_CASE("SCAN MATCH semantics") {
        CHECK(matches_pattern("*", "anything"));
        CHECK(matches_pattern("*", ""));
        CHECK(matches_pattern("session:*", "session:42"));
        CHECK_FALSE(matches_pattern("session:*", "sess:42"));
        CHECK(matches_pattern("t?", "t1"));
        CHECK_FALSE(matches_pattern("t?", "t12"));
        CHECK(matches_pattern("user:[0-9]*", "user:7abc"));
        CHECK_FALSE(matches_pattern("user:[0-9]*", "user:x"));
        CHECK(matches_pattern("[^a]b", "cb"));
        CHECK_FALSE(matches_pattern("[^a]b", "ab"));
        CHECK(matches_pattern("h*llo", "heeello"));
        CHECK(matches_pattern("\\*x", "*x"));
        CHECK_FALSE(matches_pattern("\\*x", "ax"));
        CHECK(matches_pattern("", ""));
        CHECK_FALSE(matches_pattern("", "a"));
    }
}

TEST_SUITE("import: checkpoint") {
    TEST_CASE("round trip") {
        import_checkpoint saved{"10.0.0.5:6379", 2, "session:*", "123456", false, {10, 7, 2, 1}};
        auto parsed = parse_checkpoint(serialize_checkpoint(saved));
        REQUIRE(parsed);
        CHECK(*parsed == saved);
        CHECK(checkpoint_mismatch(saved, "10.0.0.5:6379", 2, "session:*").empty());
    }

    TEST_CASE("a damaged or foreign checkpoint says why") {
        CHECK(parse_checkpoint("{").failure().message == "not a checkpoint: not a JSON object");
        CHECK(parse_checkpoint(R"({"source":"a:1"})").failure().message ==
              "not a checkpoint: field 'db' is missing");
        CHECK(parse_checkpoint(
                  R"({"source":"a:1","db":"0","match":"*","cursor":"0","complete":false,)"
                  R"("scanned":0,"copied":0,"existing":0,"expired":0})")
                  .failure()
                  .message == "not a checkpoint: field 'db' has the wrong type");
        CHECK(
            parse_checkpoint(R"({"source":"a:1","db":0,"match":"*","cursor":"-5","complete":false,)"
                             R"("scanned":0,"copied":0,"existing":0,"expired":0})")
                .failure()
                .message == "not a checkpoint: the cursor is not a number");
        import_checkpoint saved{"a:1", 0, "*", "5", false, {}};
        CHECK(checkpoint_mismatch(saved, "b:2", 0, "*") == "it belongs to source a:1, not b:2");
        CHECK(checkpoint_mismatch(saved, "a:1", 3, "*") == "it was made for --db 0, not 3");
        CHECK(checkpoint_mismatch(saved, "a:1", 0, "x*") ==
              "it was made for --match '*', not 'x*'");
    }
}

TEST_SUITE("import: verify") {
    TEST_CASE("same payload and TTL within tolerance is the same key") {
        CHECK(compare_key(present(dump_of_bar, 10000), present(dump_of_bar, 9000), 2000, false) ==
              key_verdict::same);
        CHECK(compare_key(present(dump_of_bar, -1), present(dump_of_bar, -1), 2000, false) ==
              key_verdict::same);
    }

    TEST_CASE("each kind of mismatch") {
        key_state gone;
        CHECK(compare_key(gone, present(dump_of_bar, -1), 2000, false) ==
              key_verdict::gone_from_source);
        CHECK(compare_key(present(dump_of_bar, -1), gone, 2000, false) == key_verdict::missing);
        CHECK(compare_key(present(dump_of_bar, -1), present("other", -1), 2000, false) ==
              key_verdict::value_differs);
        CHECK(compare_key(present(dump_of_bar, 10000), present(dump_of_bar, 5000), 2000, false) ==
              key_verdict::ttl_differs);
        CHECK(compare_key(present(dump_of_bar, 10000), present(dump_of_bar, -1), 2000, false) ==
              key_verdict::ttl_differs);
        auto as_set = present("p1", -1);
        as_set.type = "set";
        auto as_list = present("p2", -1);
        as_list.type = "list";
        CHECK(compare_key(as_set, as_list, 2000, true) == key_verdict::type_differs);
    }

    TEST_CASE("values compare independent of encoding and member order") {
        auto left = present("intset payload", -1);
        auto right = present("listpack payload", -1);
        left.type = right.type = "set";
        left.value = canonical_value("set", {"1", "2", "3"});
        right.value = canonical_value("set", {"3", "1", "2"});
        CHECK(compare_key(left, right, 0, true) == key_verdict::same);
        CHECK(canonical_value("hash", {"b", "2", "a", "1"}) ==
              canonical_value("hash", {"a", "1", "b", "2"}));
        CHECK(canonical_value("list", {"1", "2"}) != canonical_value("list", {"2", "1"}));
        CHECK(canonical_value("string", {"a b"}) != canonical_value("string", {"a", "b"}));
    }

    TEST_CASE("the summary fails on any mismatch and names examples") {
        verify_summary summary;
        summary.add("k1", key_verdict::same);
        summary.add("k2", key_verdict::gone_from_source);
        CHECK(summary.ok());
        summary.add("k3", key_verdict::missing);
        CHECK_FALSE(summary.ok());
        auto text = describe_verify(summary);
        CHECK(text.find("3 key(s) checked: 1 same, 1 missing") != std::string::npos);
        CHECK(text.find("mismatch: 'k3': missing from the cluster") != std::string::npos);
        CHECK(text.find("verify: MISMATCH") != std::string::npos);
    }
}
