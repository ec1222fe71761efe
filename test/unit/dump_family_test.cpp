// DUMP and RESTORE through the dispatcher: round trip of every type and encoding, Redis 7.0's
// own payload bytes, the options (REPLACE ABSTTL IDLETIME FREQ), the error texts in Redis's
// order of checks, TTLs in the past, and what reaches the AOF (relative TTL -> ABSTTL).
#define BOOST_TEST_MODULE dump_family
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/persist/rdb.hpp"

// Expected replies were checked against Debian's redis-server 7.0.15 (payloads below are its
// DUMP output). Replies are compared via reply::debug_string().

namespace {

struct fixture {
  kvd::test::frozen_clock clk;
  kvd::test::harness h;

  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  /// The raw DUMP bytes of `key` ("" when absent).
  std::string dump(const std::string& key) {
    auto r = h.run({"DUMP", key});
    return r.debug_string() == "nil" ? std::string() : std::string(r.str);
  }
};

// Redis 7.0.15: SET s hello; DUMP s.
const std::string hello_payload("\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a", 17);
// Redis 7.0.15: HSET h a 1 b 2; DUMP h (a listpack hash).
const std::string hash_payload(
    "\x10\x11\x11\x00\x00\x00\x04\x00\x81\x61\x02\x01\x01\x81\x62\x02\x02\x01\xff\x0a\x00\x3e\x40\x63\x6c\x8f\x5d"
    "\x76\x9a",
    29);
const std::string busy = "-BUSYKEY Target key name already exists.";
const std::string bad_payload = "-ERR DUMP payload version or checksum are wrong";
const std::string bad_format = "-ERR Bad data format";

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/kvd-dump-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(dump_family, fixture)

BOOST_AUTO_TEST_CASE(rows) {
  using namespace kvd::command;
  static const kvd::test::expected_row rows[] = {
      {"dump", 2, f_readonly, 1, 1, 1, "keyspace read slow"},
      {"restore", -4, f_write | f_denyoom, 1, 1, 1, "keyspace write slow dangerous"},
  };
  kvd::test::check_rows(h.state().table, rows);
}

BOOST_AUTO_TEST_CASE(dump_matches_redis_bytes) {
  BOOST_TEST(run({"DUMP", "nokey"}) == "nil");
  run({"SET", "s", "hello"});
  BOOST_TEST(dump("s") == hello_payload);
  run({"HSET", "h", "a", "1", "b", "2"});
  BOOST_TEST(dump("h") == hash_payload);
  run({"SET", "n", "123456789"});
  BOOST_TEST(dump("n") == std::string("\x00\xc2\x15\xcd\x5b\x07\x0a\x00\xa4\xb7\xc9\x09\xe0\xe9\x37\x9e", 16));
}

BOOST_AUTO_TEST_CASE(restore_redis_payloads) {
  BOOST_TEST(run({"RESTORE", "s", "0", hello_payload}) == "+OK");
  BOOST_TEST(run({"GET", "s"}) == "\"hello\"");
  BOOST_TEST(run({"PTTL", "s"}) == "-1");
  BOOST_TEST(run({"RESTORE", "h", "0", hash_payload}) == "+OK");
  BOOST_TEST(run({"HGETALL", "h"}) == "{\"a\":\"1\",\"b\":\"2\"}");
  BOOST_TEST(run({"OBJECT", "ENCODING", "h"}) == "\"listpack\"");
}

BOOST_AUTO_TEST_CASE(round_trip_every_type_and_encoding) {
  run({"SET", "int", "-42"});
  run({"SET", "embstr", "short"});
  run({"SET", "raw", std::string(300, 'x') + "tail"});
  run({"RPUSH", "list", "a", "1", "b"});
  std::vector<std::string> big{"RPUSH", "biglist"};
  for (int i = 0; i < 1000; ++i) big.push_back(std::string("element-") + std::to_string(i));
  run(big);
  run({"SADD", "intset", "1", "2", "-3"});
  std::vector<std::string> hs{"SADD", "hset"};
  for (int i = 0; i < 600; ++i) hs.push_back(std::string("m") + std::to_string(i));
  run(hs);
  run({"HSET", "lphash", "f", "v", "n", "1"});
  run({"HSET", "bighash", "f", std::string(100, 'v')});
  run({"ZADD", "lpz", "1", "a", "2.5", "b", "-inf", "c"});
  std::vector<std::string> bz{"ZADD", "bigz"};
  for (int i = 0; i < 200; ++i) {
    bz.push_back(std::to_string(i * 0.5));
    bz.push_back(std::string("z") + std::to_string(i));
  }
  run(bz);
  for (std::string k : {"int", "embstr", "raw", "list", "biglist", "intset", "hset", "lphash", "bighash", "lpz", "bigz"}) {
    BOOST_TEST_CONTEXT(k) {
      std::string p = dump(k);
      BOOST_TEST_REQUIRE(!p.empty());
      std::string enc = run({"OBJECT", "ENCODING", k});
      BOOST_TEST(run({"RESTORE", k + "2", "0", p}) == "+OK");
      BOOST_TEST(run({"OBJECT", "ENCODING", k + "2"}) == enc);
      // Same value, same bytes (hashtables iterate in an order that depends on their history).
      if (enc != "\"hashtable\"") BOOST_TEST(dump(k + "2") == p);
    }
  }
  BOOST_TEST(run({"LRANGE", "list2", "0", "-1"}) == run({"LRANGE", "list", "0", "-1"}));
  BOOST_TEST(run({"ZRANGE", "bigz2", "0", "-1", "WITHSCORES"}) == run({"ZRANGE", "bigz", "0", "-1", "WITHSCORES"}));
  BOOST_TEST(run({"SCARD", "hset2"}) == "600");
  BOOST_TEST(run({"GET", "raw2"}) == run({"GET", "raw"}));
}

BOOST_AUTO_TEST_CASE(errors_in_redis_order) {
  run({"SET", "s", "v"});
  BOOST_TEST(run({"RESTORE", "s", "0", hello_payload}) == busy);
  BOOST_TEST(run({"RESTORE", "s", "-1", "junk"}) == busy);  // the key is checked first
  BOOST_TEST(run({"RESTORE", "s", "-1", "junk", "REPLACE"}) == "-ERR Invalid TTL value, must be >= 0");
  BOOST_TEST(run({"RESTORE", "x", "abc", "junk"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"RESTORE", "x", "0", "junk"}) == bad_payload);
  BOOST_TEST(run({"RESTORE", "x", "0", ""}) == bad_payload);
  BOOST_TEST(run({"RESTORE", "x", "0", "junk", "foo"}) == "-ERR syntax error");  // options before all
  BOOST_TEST(run({"RESTORE", "s", "0", "junk", "idletime"}) == "-ERR syntax error");
  BOOST_TEST(run({"RESTORE", "x", "0", "junk", "idletime", "-1"}) == "-ERR Invalid IDLETIME value, must be >= 0");
  BOOST_TEST(run({"RESTORE", "x", "0", "junk", "idletime", "x"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"RESTORE", "x", "0", "junk", "freq", "256"}) == "-ERR Invalid FREQ value, must be >= 0 and <= 255");
  BOOST_TEST(run({"RESTORE", "x", "0", "junk", "idletime", "1", "freq", "1"}) == "-ERR syntax error");
  BOOST_TEST(run({"RESTORE", "x", "0", "junk", "freq", "1", "idletime", "1"}) == "-ERR syntax error");
  // Version 11 (newer than 7.0's 10), a flipped CRC byte, a truncated payload.
  auto with_footer = [](std::string body, int ver) {
    body.push_back(static_cast<char>(ver));
    body.push_back(0);
    auto c = kvd::persist::crc64(0, body.data(), body.size());
    for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(c >> (8 * i)));
    return body;
  };
  BOOST_TEST(run({"RESTORE", "x", "0", with_footer(std::string("\x00\x05hello", 7), 11)}) == bad_payload);
  BOOST_TEST(run({"RESTORE", "x", "0", with_footer(std::string("\x00\x05hello", 7), 9)}) == "+OK");
  for (std::size_t i = 0; i < hello_payload.size(); ++i) {
    std::string p = hello_payload;
    p[i] = static_cast<char>(p[i] ^ 0x20);
    BOOST_TEST(run({"RESTORE", "y", "0", p}) == bad_payload);
    BOOST_TEST(run({"RESTORE", "y", "0", hello_payload.substr(0, i)}) == bad_payload);
  }
  // A valid footer around bad contents: unknown type, empty set, truncated quicklist, stream.
  BOOST_TEST(run({"RESTORE", "y", "0", with_footer(std::string("\x63\x05hello", 7), 10)}) == bad_format);
  BOOST_TEST(run({"RESTORE", "y", "0", with_footer(std::string("\x02\x00", 2), 10)}) == bad_format);
  BOOST_TEST(run({"RESTORE", "y", "0", with_footer(std::string("\x0e\x01", 2), 10)}) == bad_format);
  BOOST_TEST(run({"RESTORE", "y", "0", with_footer(std::string("\x0f\x00", 2), 10)}) == bad_format);
  BOOST_TEST(run({"EXISTS", "y"}) == "0");
  BOOST_TEST(run({"GET", "s"}) == "\"v\"");  // failed RESTOREs never touch the key
  BOOST_TEST(run({"RESTORE", "s", "0", "junk", "REPLACE"}) == bad_payload);
  BOOST_TEST(run({"GET", "s"}) == "\"v\"");
}

BOOST_AUTO_TEST_CASE(ttl_relative_absolute_and_past) {
  std::int64_t now = kvd::util::now_ms();
  BOOST_TEST(run({"RESTORE", "a", "5000", hello_payload}) == "+OK");
  BOOST_TEST(run({"PEXPIRETIME", "a"}) == std::to_string(now + 5000));
  BOOST_TEST(run({"RESTORE", "b", std::to_string(now + 9000), hello_payload, "ABSTTL"}) == "+OK");
  BOOST_TEST(run({"PTTL", "b"}) == "9000");
  // In the past: nothing is created, OK is replied; with REPLACE the old key goes.
  BOOST_TEST(run({"RESTORE", "c", "1000", hello_payload, "ABSTTL"}) == "+OK");
  BOOST_TEST(run({"EXISTS", "c"}) == "0");
  run({"SET", "d", "old"});
  BOOST_TEST(run({"RESTORE", "d", std::to_string(now), hello_payload, "ABSTTL", "REPLACE"}) == "+OK");
  BOOST_TEST(run({"EXISTS", "d"}) == "0");
  // REPLACE drops the old TTL; ttl 0 means none.
  run({"SET", "e", "old", "EX", "100"});
  BOOST_TEST(run({"RESTORE", "e", "0", hello_payload, "REPLACE"}) == "+OK");
  BOOST_TEST(run({"PTTL", "e"}) == "-1");
  // A relative TTL that overflows wraps negative as in Redis: already expired.
  BOOST_TEST(run({"RESTORE", "f", "9223372036854775807", hello_payload}) == "+OK");
  BOOST_TEST(run({"EXISTS", "f"}) == "0");
  clk.advance(5000);
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
}

BOOST_AUTO_TEST_CASE(idletime_and_freq) {
  BOOST_TEST(run({"RESTORE", "a", "0", hello_payload, "IDLETIME", "1000"}) == "+OK");
  BOOST_TEST(run({"OBJECT", "IDLETIME", "a"}) == "1000");
  BOOST_TEST(run({"RESTORE", "b", "0", hello_payload, "FREQ", "10"}) == "+OK");  // no LFU policy: ignored
  BOOST_TEST(run({"OBJECT", "IDLETIME", "b"}) == "0");
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}) == "+OK");
  BOOST_TEST(run({"RESTORE", "c", "0", hello_payload, "FREQ", "2"}) == "+OK");
  BOOST_TEST(run({"OBJECT", "FREQ", "c"}) == "2");
  BOOST_TEST(run({"RESTORE", "d", "0", hello_payload, "FREQ", "200"}) == "+OK");
  BOOST_TEST(run({"OBJECT", "FREQ", "d"}) == "200");
  BOOST_TEST(run({"RESTORE", "e", "0", hello_payload, "IDLETIME", "100"}) == "+OK");  // LFU: ignored
  BOOST_TEST(run({"OBJECT", "FREQ", "e"}) == "5");
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory-policy", "noeviction"}) == "+OK");
}

BOOST_AUTO_TEST_CASE(aof_propagation) {
  temp_dir d;
  kvd::persist::aof_paths paths{d.path, "appendonlydir", "appendonly.aof"};
  std::int64_t now = kvd::util::now_ms();
  {
    kvd::persist::aof_writer w(paths, kvd::persist::fsync_policy::no);
    h.state().aof.store(&w);
    run({"RESTORE", "a", "0", hello_payload});
    run({"RESTORE", "b", "5000", hello_payload, "REPLACE"});            // relative -> ABSTTL
    run({"RESTORE", "c", std::to_string(now + 7000), hello_payload, "absttl"});  // as given
    run({"RESTORE", "gone", "1000", hello_payload, "ABSTTL"});          // nothing created: nothing
    run({"RESTORE", "a", "1000", hello_payload, "ABSTTL", "REPLACE"});  // old key deleted: DEL
    run({"RESTORE", "b", "0", "junk"});                                 // errors log nothing
    run({"DUMP", "c"});
    h.state().aof.store(nullptr);
    w.flush();
  }
  std::vector<std::vector<std::string>> got;
  auto res = kvd::persist::load_aof(paths, true, [&](std::span<const std::string_view> a) {
    got.emplace_back(a.begin(), a.end());
    return std::string();
  });
  BOOST_TEST(res.ok);
  std::vector<std::vector<std::string>> want = {
      {"SELECT", "0"},
      {"RESTORE", "a", "0", hello_payload},
      {"RESTORE", "b", std::to_string(now + 5000), hello_payload, "REPLACE", "ABSTTL"},
      {"RESTORE", "c", std::to_string(now + 7000), hello_payload, "absttl"},
      {"DEL", "a"}};
  BOOST_TEST((got == want));
}

BOOST_AUTO_TEST_SUITE_END()
