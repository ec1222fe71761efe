#define BOOST_TEST_MODULE keyspace_family
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/store/keyspace.hpp"

// Expected replies were taken from Debian's redis-server 7.0.15.

namespace {

using kvd::store::value;
using kvd::store::value_type;

/// A stand-in list (the list family is not in this tree): enough for TYPE, SCAN TYPE, COPY.
class fake_list final : public kvd::store::collection {
 public:
  explicit fake_list(std::size_t n) : n_(n) {}
  std::string_view encoding() const noexcept override { return "listpack"; }
  std::size_t memory_usage() const noexcept override { return 0; }
  std::unique_ptr<collection> clone() const override { return std::make_unique<fake_list>(n_); }
  std::size_t length() const noexcept override { return n_; }

 private:
  std::size_t n_;
};

struct fixture {
  kvd::test::frozen_clock clk;
  kvd::test::harness h;

  /// Runs a command and renders its reply compactly (see reply::debug_string).
  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  /// Stores a string key directly (the string family is registered elsewhere).
  void set(const std::string& k, const std::string& v, int db = -1) {
    h.keyspace().db(db < 0 ? h.client().db : db).set(k, value::make_string(v));
  }
  void set_list(const std::string& k, int db = -1) {
    h.keyspace().db(db < 0 ? h.client().db : db).set(k, value::make_collection(value_type::list, std::make_unique<fake_list>(1)));
  }
  std::string get(const std::string& k, int db = -1) {
    auto* v = h.keyspace().db(db < 0 ? h.client().db : db).find(k);
    return v ? std::string(v->str()) : "<nil>";
  }
  std::int64_t now() const { return kvd::util::now_ms(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(keyspace_family, fixture)

BOOST_AUTO_TEST_CASE(del_and_unlink) {
  set("a", "1");
  set("b", "2");
  set("c", "3");
  BOOST_TEST(run({"DEL", "a", "a", "nokey"}) == "1");
  BOOST_TEST(run({"DEL", "a"}) == "0");
  BOOST_TEST(run({"UNLINK", "b", "c", "b"}) == "2");
  BOOST_TEST(run({"DBSIZE"}) == "0");
  BOOST_TEST(run({"DEL"}) == "-ERR wrong number of arguments for 'del' command");
  BOOST_TEST(run({"unlink"}) == "-ERR wrong number of arguments for 'unlink' command");
  // An expired key is not counted as deleted.
  set("e", "1");
  BOOST_TEST(run({"PEXPIRE", "e", "100"}) == "1");
  clk.advance(100);
  BOOST_TEST(run({"DEL", "e"}) == "0");
}

BOOST_AUTO_TEST_CASE(exists_type_touch) {
  set("s", "v");
  set_list("l");
  BOOST_TEST(run({"EXISTS", "s", "s", "nokey", "l"}) == "3");
  BOOST_TEST(run({"EXISTS", "nokey"}) == "0");
  BOOST_TEST(run({"TYPE", "s"}) == "+string");
  BOOST_TEST(run({"TYPE", "l"}) == "+list");
  BOOST_TEST(run({"TYPE", "nokey"}) == "+none");
  BOOST_TEST(h.wire({"TYPE", "nokey"}) == "+none\r\n");
  BOOST_TEST(run({"TYPE"}) == "-ERR wrong number of arguments for 'type' command");
  BOOST_TEST(run({"TOUCH", "s", "s", "nokey"}) == "2");
  BOOST_TEST(run({"TOUCH", "nokey"}) == "0");

  // EXISTS and TYPE count hits and misses.
  auto& st = h.keyspace().stats();
  auto hits = st.keyspace_hits.load(), misses = st.keyspace_misses.load();
  run({"EXISTS", "s", "nokey"});
  BOOST_TEST(st.keyspace_hits.load() == hits + 1);
  BOOST_TEST(st.keyspace_misses.load() == misses + 1);
}

BOOST_AUTO_TEST_CASE(keys_pattern_and_expiry) {
  for (auto k : {"hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "other"}) set(k, "v");
  auto sorted_keys = [&](const std::string& pat) {
    auto r = h.run({"KEYS", pat});
    std::vector<std::string> out;
    for (auto& e : r.elems) out.push_back(e.str);
    std::sort(out.begin(), out.end());
    std::string s;
    for (auto& k : out) s += k + " ";
    return s;
  };
  BOOST_TEST(sorted_keys("h?llo") == "hallo hello hxllo ");
  BOOST_TEST(sorted_keys("h*llo") == "hallo heeeello hello hllo hxllo ");
  BOOST_TEST(sorted_keys("h[ae]llo") == "hallo hello ");
  BOOST_TEST(sorted_keys("h[^e]llo") == "hallo hxllo ");
  BOOST_TEST(sorted_keys("a\\*b") == "a*b ");
  BOOST_TEST(sorted_keys("*") == "a*b hallo heeeello hello hllo hxllo other ");
  BOOST_TEST(run({"KEYS", "nomatch*"}) == "[]");
  BOOST_TEST(run({"KEYS"}) == "-ERR wrong number of arguments for 'keys' command");
  // Expired keys are not listed.
  BOOST_TEST(run({"PEXPIRE", "other", "10"}) == "1");
  clk.advance(10);
  BOOST_TEST(run({"KEYS", "o*"}) == "[]");
  BOOST_TEST(h.wire({"KEYS", "a*"}) == "*1\r\n$3\r\na*b\r\n");
}

BOOST_AUTO_TEST_CASE(scan_sees_every_key) {
  std::set<std::string> all;
  for (int i = 0; i < 1000; ++i) {
    auto k = "key:" + std::to_string(i);
    set(k, "v");
    all.insert(k);
  }
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    auto r = h.run({"SCAN", cursor});
    BOOST_REQUIRE(r.k == kvd::protocol::reply::kind::array);
    BOOST_REQUIRE(r.elems.size() == 2u);
    BOOST_REQUIRE(r.elems[0].k == kvd::protocol::reply::kind::bulk);
    cursor = r.elems[0].str;
    for (auto& e : r.elems[1].elems) seen.insert(e.str);
    BOOST_REQUIRE(++calls < 10000);
  } while (cursor != "0");
  BOOST_TEST(seen == all);
  BOOST_TEST(calls > 1);

  // COUNT is honoured as a hint: a large COUNT finishes in fewer calls.
  int big_calls = 0;
  cursor = "0";
  std::set<std::string> seen_big;
  do {
    auto r = h.run({"SCAN", cursor, "COUNT", "400"});
    cursor = r.elems[0].str;
    for (auto& e : r.elems[1].elems) seen_big.insert(e.str);
    ++big_calls;
  } while (cursor != "0");
  BOOST_TEST(seen_big == all);
  BOOST_TEST(big_calls < calls);
}

BOOST_AUTO_TEST_CASE(scan_match_and_type) {
  for (int i = 0; i < 100; ++i) set("s:" + std::to_string(i), "v");
  for (int i = 0; i < 50; ++i) set_list("l:" + std::to_string(i));
  auto collect = [&](std::vector<std::string> opts) {
    std::set<std::string> seen;
    std::string cursor = "0";
    do {
      std::vector<std::string> args{"SCAN", cursor};
      args.insert(args.end(), opts.begin(), opts.end());
      auto r = h.run(args);
      BOOST_REQUIRE(r.elems.size() == 2u);
      cursor = r.elems[0].str;
      for (auto& e : r.elems[1].elems) seen.insert(e.str);
    } while (cursor != "0");
    return seen;
  };
  auto lists = collect({"TYPE", "list"});
  BOOST_TEST(lists.size() == 50u);
  BOOST_TEST(std::all_of(lists.begin(), lists.end(), [](auto& k) { return k.rfind("l:", 0) == 0; }));
  BOOST_TEST(collect({"TYPE", "STRING", "COUNT", "7"}).size() == 100u);
  BOOST_TEST(collect({"type", "hash"}).empty());
  BOOST_TEST(collect({"TYPE", "nosuchtype"}).empty());
  auto m = collect({"MATCH", "s:1*"});
  BOOST_TEST(m.size() == 11u);  // s:1, s:10..s:19
  BOOST_TEST(m.count("s:1") == 1u);
  BOOST_TEST(collect({"MATCH", "l:4?", "TYPE", "list"}).size() == 10u);
  BOOST_TEST(collect({"MATCH", "l:4?", "TYPE", "string"}).empty());
  BOOST_TEST(collect({"MATCH", "*", "COUNT", "1000"}).size() == 150u);
  // Options may repeat; the last wins.
  BOOST_TEST(collect({"MATCH", "l:*", "MATCH", "s:2"}).size() == 1u);

  // Expired keys are not returned.
  BOOST_TEST(run({"PEXPIRE", "s:1", "5"}) == "1");
  clk.advance(5);
  BOOST_TEST(collect({"MATCH", "s:1"}).empty());
}

BOOST_AUTO_TEST_CASE(scan_errors_and_reply_shape) {
  BOOST_TEST(run({"SCAN", "abc"}) == "-ERR invalid cursor");
  BOOST_TEST(run({"SCAN", "1.0"}) == "-ERR invalid cursor");
  BOOST_TEST(run({"SCAN", " 1"}) == "-ERR invalid cursor");
  BOOST_TEST(run({"SCAN", "18446744073709551616"}) == "-ERR invalid cursor");
  BOOST_TEST(run({"SCAN", "abc", "COUNT", "0"}) == "-ERR invalid cursor");
  BOOST_TEST(run({"SCAN", "0", "COUNT", "0"}) == "-ERR syntax error");
  BOOST_TEST(run({"SCAN", "0", "COUNT", "-1"}) == "-ERR syntax error");
  BOOST_TEST(run({"SCAN", "0", "COUNT", "abc"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"SCAN", "0", "MATCH"}) == "-ERR syntax error");
  BOOST_TEST(run({"SCAN", "0", "TYPE"}) == "-ERR syntax error");
  BOOST_TEST(run({"SCAN", "0", "foo"}) == "-ERR syntax error");
  BOOST_TEST(run({"SCAN"}) == "-ERR wrong number of arguments for 'scan' command");
  // strtoul accepts these, as Redis does.
  BOOST_TEST(run({"SCAN", "-1"}) == "[\"0\",[]]");
  BOOST_TEST(run({"SCAN", "18446744073709551615"}) == "[\"0\",[]]");
  BOOST_TEST(run({"SCAN", "+0"}) == "[\"0\",[]]");
  BOOST_TEST(run({"SCAN", ""}) == "[\"0\",[]]");
  set("a", "1");
  BOOST_TEST(h.wire({"SCAN", "0"}) == "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
  BOOST_TEST(h.wire({"SCAN", "00", "COUNT", "10", "MATCH", "a*", "TYPE", "string"}) ==
             "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n");
}

BOOST_AUTO_TEST_CASE(randomkey) {
  BOOST_TEST(run({"RANDOMKEY"}) == "nil");
  BOOST_TEST(h.wire({"RANDOMKEY"}) == "$-1\r\n");
  set("only", "v");
  BOOST_TEST(run({"RANDOMKEY"}) == "\"only\"");
  BOOST_TEST(run({"RANDOMKEY", "x"}) == "-ERR wrong number of arguments for 'randomkey' command");
  // A key found expired is deleted and not returned.
  BOOST_TEST(run({"PEXPIRE", "only", "1"}) == "1");
  clk.advance(1);
  BOOST_TEST(run({"RANDOMKEY"}) == "nil");
  BOOST_TEST(run({"DBSIZE"}) == "0");
  for (int i = 0; i < 20; ++i) set(std::string("k").append(std::to_string(i)), "v");
  auto r = h.run({"RANDOMKEY"});
  BOOST_TEST(r.str.rfind("k", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(rename_and_renamenx) {
  BOOST_TEST(run({"RENAME", "nokey", "b"}) == "-ERR no such key");
  BOOST_TEST(run({"RENAME", "nokey", "nokey"}) == "-ERR no such key");
  BOOST_TEST(run({"RENAMENX", "nokey", "b"}) == "-ERR no such key");
  set("a", "1");
  BOOST_TEST(run({"RENAME", "a", "a"}) == "+OK");
  BOOST_TEST(run({"RENAMENX", "a", "a"}) == "0");
  set("b", "2");
  BOOST_TEST(run({"RENAMENX", "a", "b"}) == "0");
  BOOST_TEST(get("b") == "2");
  BOOST_TEST(run({"RENAME", "a", "b"}) == "+OK");
  BOOST_TEST(get("b") == "1");
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
  BOOST_TEST(run({"RENAMENX", "b", "c"}) == "1");
  BOOST_TEST(get("c") == "1");
  BOOST_TEST(run({"RENAME", "c"}) == "-ERR wrong number of arguments for 'rename' command");

  // The TTL moves with the key; the destination's own TTL is dropped.
  BOOST_TEST(run({"EXPIRE", "c", "100"}) == "1");
  BOOST_TEST(run({"RENAME", "c", "d"}) == "+OK");
  BOOST_TEST(run({"TTL", "d"}) == "100");
  set("e", "x");
  BOOST_TEST(run({"EXPIRE", "e", "50"}) == "1");
  set("f", "y");
  BOOST_TEST(run({"RENAME", "f", "e"}) == "+OK");
  BOOST_TEST(run({"TTL", "e"}) == "-1");
  // An expired source is missing.
  clk.advance(100'000);
  BOOST_TEST(run({"RENAME", "d", "z"}) == "-ERR no such key");
}

BOOST_AUTO_TEST_CASE(copy) {
  set("b", "1");
  BOOST_TEST(run({"COPY", "b", "b"}) == "-ERR source and destination objects are the same");
  BOOST_TEST(run({"COPY", "b", "b", "DB", "0"}) == "-ERR source and destination objects are the same");
  BOOST_TEST(run({"COPY", "nokey", "x"}) == "0");
  BOOST_TEST(run({"COPY", "b", "c"}) == "1");
  BOOST_TEST(get("c") == "1");
  BOOST_TEST(run({"COPY", "b", "c"}) == "0");
  set("b", "2");
  BOOST_TEST(run({"COPY", "b", "c", "REPLACE"}) == "1");
  BOOST_TEST(get("c") == "2");
  BOOST_TEST(run({"COPY", "b", "c", "replace", "replace"}) == "1");
  BOOST_TEST(run({"COPY", "b", "c", "DB"}) == "-ERR syntax error");
  BOOST_TEST(run({"COPY", "b", "c", "DB", "16"}) == "-ERR DB index is out of range");
  BOOST_TEST(run({"COPY", "b", "c", "DB", "-1"}) == "-ERR DB index is out of range");
  BOOST_TEST(run({"COPY", "b", "c", "DB", "abc"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"COPY", "b", "c", "DB", "4294967296"}) ==
             "-ERR value is out of range, value must between -2147483648 and 2147483647");
  BOOST_TEST(run({"COPY", "b", "c", "DB", "99999999999999999999"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"COPY", "b", "c", "foo"}) == "-ERR syntax error");
  BOOST_TEST(run({"COPY", "b"}) == "-ERR wrong number of arguments for 'copy' command");
  // Errors in options come before the missing-key check.
  BOOST_TEST(run({"COPY", "nokey", "c", "DB", "99"}) == "-ERR DB index is out of range");

  // Another db, same name; the TTL is copied and the copy is independent.
  BOOST_TEST(run({"PEXPIRE", "b", "5000"}) == "1");
  BOOST_TEST(run({"COPY", "b", "b", "DB", "1"}) == "1");
  BOOST_TEST(get("b", 1) == "2");
  BOOST_TEST(h.keyspace().db(1).expire_of("b") == now() + 5000);
  BOOST_TEST(run({"COPY", "b", "b", "DB", "1"}) == "0");
  set("b", "3");
  BOOST_TEST(get("b", 1) == "2");
  // REPLACE: the destination takes the source's expire (here none), dropping its own.
  BOOST_TEST(run({"COPY", "b", "b", "DB", "1", "REPLACE"}) == "1");
  BOOST_TEST(get("b", 1) == "3");
  BOOST_TEST(h.keyspace().db(1).expire_of("b") == -1);

  // Collections are deep-copied.
  set_list("l");
  BOOST_TEST(run({"COPY", "l", "l2"}) == "1");
  BOOST_TEST(run({"TYPE", "l2"}) == "+list");
  BOOST_TEST(run({"OBJECT", "ENCODING", "l2"}) == "\"listpack\"");
}

BOOST_AUTO_TEST_CASE(move) {
  set("b", "1");
  BOOST_TEST(run({"MOVE", "b", "0"}) == "-ERR source and destination objects are the same");
  BOOST_TEST(run({"MOVE", "b", "16"}) == "-ERR DB index is out of range");
  BOOST_TEST(run({"MOVE", "b", "-1"}) == "-ERR DB index is out of range");
  BOOST_TEST(run({"MOVE", "b", "abc"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"MOVE", "b", "-4294967296"}) ==
             "-ERR value is out of range, value must between -2147483648 and 2147483647");
  BOOST_TEST(run({"MOVE", "nokey", "1"}) == "0");
  BOOST_TEST(run({"MOVE", "b"}) == "-ERR wrong number of arguments for 'move' command");
  BOOST_TEST(run({"PEXPIRE", "b", "7000"}) == "1");
  BOOST_TEST(run({"MOVE", "b", "1"}) == "1");
  BOOST_TEST(run({"EXISTS", "b"}) == "0");
  BOOST_TEST(get("b", 1) == "1");
  BOOST_TEST(h.keyspace().db(1).expire_of("b") == now() + 7000);
  // The target already has the key: nothing moves.
  set("b", "2");
  BOOST_TEST(run({"MOVE", "b", "1"}) == "0");
  BOOST_TEST(get("b") == "2");
  BOOST_TEST(get("b", 1) == "1");
  // From a selected db other than 0.
  h.client().db = 1;
  BOOST_TEST(run({"MOVE", "b", "1"}) == "-ERR source and destination objects are the same");
  BOOST_TEST(run({"DEL", "b"}) == "1");
  h.client().db = 0;
  BOOST_TEST(run({"MOVE", "b", "1"}) == "1");
  BOOST_TEST(get("b", 1) == "2");
  BOOST_TEST(h.keyspace().db(1).expire_of("b") == -1);
}

BOOST_AUTO_TEST_CASE(dbsize_flush_swapdb) {
  BOOST_TEST(run({"DBSIZE"}) == "0");
  set("a", "1");
  set("b", "1");
  set("c", "1", 1);
  BOOST_TEST(run({"DBSIZE"}) == "2");
  BOOST_TEST(run({"DBSIZE", "x"}) == "-ERR wrong number of arguments for 'dbsize' command");

  BOOST_TEST(run({"SWAPDB", "0", "16"}) == "-ERR DB index is out of range");
  BOOST_TEST(run({"SWAPDB", "0", "-1"}) == "-ERR DB index is out of range");
  BOOST_TEST(run({"SWAPDB", "0", "abc"}) == "-ERR invalid second DB index");
  BOOST_TEST(run({"SWAPDB", "abc", "0"}) == "-ERR invalid first DB index");
  BOOST_TEST(run({"SWAPDB", "0", "99999999999"}) == "-ERR invalid second DB index");
  BOOST_TEST(run({"SWAPDB", "0", "0"}) == "+OK");
  BOOST_TEST(run({"SWAPDB", "0", "1"}) == "+OK");
  BOOST_TEST(run({"DBSIZE"}) == "1");
  BOOST_TEST(get("c") == "1");
  BOOST_TEST(get("a", 1) == "1");

  BOOST_TEST(run({"FLUSHDB", "foo"}) == "-ERR syntax error");
  BOOST_TEST(run({"FLUSHDB", "async", "foo"}) == "-ERR syntax error");
  BOOST_TEST(run({"FLUSHDB", "ASYNC"}) == "+OK");
  BOOST_TEST(run({"DBSIZE"}) == "0");
  BOOST_TEST(h.keyspace().db(1).size() == 2u);
  BOOST_TEST(run({"FLUSHDB", "sync"}) == "+OK");
  BOOST_TEST(run({"FLUSHDB"}) == "+OK");
  set("x", "1", 5);
  BOOST_TEST(run({"FLUSHALL", "async", "sync"}) == "-ERR syntax error");
  BOOST_TEST(run({"FLUSHALL", "bar"}) == "-ERR syntax error");
  BOOST_TEST(run({"FLUSHALL", "SYNC"}) == "+OK");
  BOOST_TEST(h.keyspace().db(1).size() == 0u);
  BOOST_TEST(h.keyspace().db(5).size() == 0u);
  BOOST_TEST(run({"FLUSHALL"}) == "+OK");
  BOOST_TEST(run({"FLUSHALL", "async"}) == "+OK");
}

BOOST_AUTO_TEST_CASE(expire_and_ttl_with_clock) {
  set("a", "1");
  BOOST_TEST(run({"TTL", "a"}) == "-1");
  BOOST_TEST(run({"PTTL", "a"}) == "-1");
  BOOST_TEST(run({"EXPIRETIME", "a"}) == "-1");
  BOOST_TEST(run({"PEXPIRETIME", "a"}) == "-1");
  BOOST_TEST(run({"TTL", "nokey"}) == "-2");
  BOOST_TEST(run({"PTTL", "nokey"}) == "-2");
  BOOST_TEST(run({"EXPIRETIME", "nokey"}) == "-2");
  BOOST_TEST(run({"PEXPIRETIME", "nokey"}) == "-2");

  BOOST_TEST(run({"EXPIRE", "a", "10"}) == "1");
  BOOST_TEST(run({"TTL", "a"}) == "10");
  BOOST_TEST(run({"PTTL", "a"}) == "10000");
  BOOST_TEST(run({"PEXPIRETIME", "a"}) == std::to_string(now() + 10000));
  BOOST_TEST(run({"EXPIRETIME", "a"}) == std::to_string((now() + 10000 + 500) / 1000));
  clk.advance(9'400);
  BOOST_TEST(run({"TTL", "a"}) == "1");  // 600 ms rounds up
  BOOST_TEST(run({"PTTL", "a"}) == "600");
  clk.advance(200);
  BOOST_TEST(run({"TTL", "a"}) == "0");  // 400 ms rounds down
  clk.advance(400);
  BOOST_TEST(run({"TTL", "a"}) == "-2");
  BOOST_TEST(run({"PTTL", "a"}) == "-2");
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
  BOOST_TEST(run({"EXPIRE", "a", "10"}) == "0");

  // Relative and absolute forms.
  set("b", "1");
  BOOST_TEST(run({"PEXPIRE", "b", "1500"}) == "1");
  BOOST_TEST(run({"PTTL", "b"}) == "1500");
  BOOST_TEST(run({"EXPIREAT", "b", std::to_string(now() / 1000 + 100)}) == "1");
  BOOST_TEST(run({"EXPIRETIME", "b"}) == std::to_string(now() / 1000 + 100));
  BOOST_TEST(run({"PEXPIREAT", "b", std::to_string(now() + 1234)}) == "1");
  BOOST_TEST(run({"PTTL", "b"}) == "1234");
  BOOST_TEST(run({"PEXPIREAT", "b", "33177600000623"}) == "1");
  BOOST_TEST(run({"EXPIRETIME", "b"}) == "33177600001");
  BOOST_TEST(run({"PEXPIRETIME", "b"}) == "33177600000623");
  // The largest time is accepted and EXPIRETIME still rounds without overflow.
  BOOST_TEST(run({"PEXPIREAT", "b", "9223372036854775807"}) == "1");
  BOOST_TEST(run({"EXPIRETIME", "b"}) == "9223372036854776");
  BOOST_TEST(run({"PEXPIRETIME", "b"}) == "9223372036854775807");
  BOOST_TEST(run({"PERSIST", "b"}) == "1");
  BOOST_TEST(run({"PERSIST", "b"}) == "0");
  BOOST_TEST(run({"PERSIST", "nokey"}) == "0");
  BOOST_TEST(run({"TTL", "b"}) == "-1");
}

BOOST_AUTO_TEST_CASE(expire_in_the_past_deletes) {
  set("a", "1");
  BOOST_TEST(run({"EXPIRE", "a", "0"}) == "1");
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
  set("a", "1");
  BOOST_TEST(run({"PEXPIRE", "a", "-5"}) == "1");
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
  set("a", "1");
  BOOST_TEST(run({"EXPIREAT", "a", "1"}) == "1");
  BOOST_TEST(run({"TTL", "a"}) == "-2");
  set("a", "1");
  BOOST_TEST(run({"PEXPIREAT", "a", std::to_string(now())}) == "1");
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
  set("a", "1");
  BOOST_TEST(run({"PEXPIRE", "a", "-9223372036854775808"}) == "1");
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
  // Deleting by expire is not an expiry: expired_keys does not move.
  BOOST_TEST(h.keyspace().stats().expired_keys.load() == 0u);
  BOOST_TEST(run({"EXPIREAT", "nokey", "1"}) == "0");
}

BOOST_AUTO_TEST_CASE(expire_errors) {
  set("a", "1");
  BOOST_TEST(run({"EXPIRE", "a"}) == "-ERR wrong number of arguments for 'expire' command");
  BOOST_TEST(run({"EXPIRE", "a", "abc"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"EXPIRE", "a", "1.5"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"EXPIRE", "nokey", "abc"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"EXPIRE", "a", "100", "foo"}) == "-ERR Unsupported option foo");
  BOOST_TEST(run({"EXPIRE", "nokey", "abc", "foo"}) == "-ERR Unsupported option foo");
  BOOST_TEST(run({"EXPIRE", "a", "1", "f\r\noo"}) == "-ERR Unsupported option f  oo");
  BOOST_TEST(run({"EXPIRE", "a", "1", std::string("f\0oo", 4)}) == "-ERR Unsupported option f");
  for (auto opts : std::vector<std::vector<std::string>>{{"nx", "xx"}, {"NX", "GT"}, {"lt", "nx"}, {"nx", "xx", "gt", "lt"}})
    BOOST_TEST(run([&] { auto a = std::vector<std::string>{"EXPIRE", "a", "100"}; a.insert(a.end(), opts.begin(), opts.end()); return a; }()) ==
               "-ERR NX and XX, GT or LT options at the same time are not compatible");
  BOOST_TEST(run({"PEXPIRE", "a", "100", "GT", "LT"}) == "-ERR GT and LT options at the same time are not compatible");
  BOOST_TEST(run({"PEXPIRE", "a", "100", "xx", "gt", "lt"}) == "-ERR GT and LT options at the same time are not compatible");

  // Overflow by unit conversion or by adding the base time.
  BOOST_TEST(run({"EXPIRE", "a", "9223372036854775807"}) == "-ERR invalid expire time in 'expire' command");
  BOOST_TEST(run({"EXPIRE", "a", "9223372036854775"}) == "-ERR invalid expire time in 'expire' command");
  BOOST_TEST(run({"EXPIRE", "a", "-9223372036854775808"}) == "-ERR invalid expire time in 'expire' command");
  BOOST_TEST(run({"PEXPIRE", "a", "9223372036854775807"}) == "-ERR invalid expire time in 'pexpire' command");
  BOOST_TEST(run({"EXPIREAT", "a", "9223372036854775807"}) == "-ERR invalid expire time in 'expireat' command");
  BOOST_TEST(run({"expire", "nokey", "9223372036854775807"}) == "-ERR invalid expire time in 'expire' command");
  BOOST_TEST(run({"TTL", "a"}) == "-1");
  BOOST_TEST(run({"EXPIRE", "a", "9223372036854"}) == "1");
  BOOST_TEST(run({"PEXPIREAT", "a", "9223372036854775807"}) == "1");
}

BOOST_AUTO_TEST_CASE(expire_nx_xx_gt_lt_matrix) {
  set("a", "1");
  // No expire: XX and GT fail, NX and LT succeed.
  BOOST_TEST(run({"PEXPIRE", "a", "1000", "XX"}) == "0");
  BOOST_TEST(run({"PEXPIRE", "a", "1000", "GT"}) == "0");
  BOOST_TEST(run({"PEXPIRE", "a", "1000", "XX", "LT"}) == "0");
  BOOST_TEST(run({"PTTL", "a"}) == "-1");
  BOOST_TEST(run({"PEXPIRE", "a", "1000", "NX"}) == "1");
  BOOST_TEST(run({"PTTL", "a"}) == "1000");
  BOOST_TEST(run({"PEXPIRE", "a", "2000", "NX"}) == "0");
  BOOST_TEST(run({"PEXPIRE", "a", "2000", "nx", "NX"}) == "0");
  BOOST_TEST(run({"PTTL", "a"}) == "1000");
  // With an expire: GT only raises, LT only lowers, equal fails both.
  BOOST_TEST(run({"PEXPIRE", "a", "500", "GT"}) == "0");
  BOOST_TEST(run({"PEXPIRE", "a", "1000", "GT"}) == "0");
  BOOST_TEST(run({"PEXPIRE", "a", "5000", "GT"}) == "1");
  BOOST_TEST(run({"PTTL", "a"}) == "5000");
  BOOST_TEST(run({"PEXPIRE", "a", "6000", "LT"}) == "0");
  BOOST_TEST(run({"PEXPIRE", "a", "5000", "LT"}) == "0");
  BOOST_TEST(run({"PEXPIRE", "a", "600", "LT"}) == "1");
  BOOST_TEST(run({"PTTL", "a"}) == "600");
  BOOST_TEST(run({"PEXPIRE", "a", "700", "XX", "GT"}) == "1");
  BOOST_TEST(run({"PEXPIRE", "a", "800", "LT", "XX"}) == "0");
  BOOST_TEST(run({"PEXPIRE", "a", "900", "XX"}) == "1");
  BOOST_TEST(run({"PTTL", "a"}) == "900");
  BOOST_TEST(run({"PERSIST", "a"}) == "1");
  // LT on a key without expire passes even with a past time, which deletes it.
  BOOST_TEST(run({"PEXPIRE", "a", "-1", "GT"}) == "0");
  BOOST_TEST(run({"EXISTS", "a"}) == "1");
  BOOST_TEST(run({"PEXPIRE", "a", "-1", "LT"}) == "1");
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
  // Missing key: 0 whatever the option.
  for (auto o : {"NX", "XX", "GT", "LT"}) BOOST_TEST(run({"PEXPIRE", "a", "1000", o}) == "0");
  // Absolute forms use the same rules.
  set("b", "1");
  BOOST_TEST(run({"PEXPIREAT", "b", std::to_string(now() + 100), "NX"}) == "1");
  BOOST_TEST(run({"EXPIREAT", "b", std::to_string(now() / 1000 + 10), "gt"}) == "1");
  BOOST_TEST(run({"EXPIREAT", "b", std::to_string(now() / 1000 + 5), "gt"}) == "0");
  BOOST_TEST(run({"EXPIRETIME", "b"}) == std::to_string(now() / 1000 + 10));
}

BOOST_AUTO_TEST_CASE(object_subcommands) {
  set("int", "1");
  set("big", "12345");
  set("neg", "-1");
  set("str", "abc");
  set("long", std::string(45, 'x'));
  set("edge", "9999");
  BOOST_TEST(run({"OBJECT", "ENCODING", "int"}) == "\"int\"");
  BOOST_TEST(run({"OBJECT", "encoding", "str"}) == "\"embstr\"");
  BOOST_TEST(run({"OBJECT", "ENCODING", "long"}) == "\"raw\"");
  BOOST_TEST(run({"OBJECT", "ENCODING", "nokey"}) == "nil");
  BOOST_TEST(h.wire({"OBJECT", "ENCODING", "nokey"}) == "$-1\r\n");
  h.client().resp = 3;
  BOOST_TEST(h.wire({"OBJECT", "ENCODING", "nokey"}) == "_\r\n");
  h.client().resp = 2;

  BOOST_TEST(run({"OBJECT", "REFCOUNT", "int"}) == "2147483647");
  BOOST_TEST(run({"OBJECT", "REFCOUNT", "edge"}) == "2147483647");
  BOOST_TEST(run({"OBJECT", "REFCOUNT", "big"}) == "1");
  BOOST_TEST(run({"OBJECT", "REFCOUNT", "neg"}) == "1");
  BOOST_TEST(run({"OBJECT", "REFCOUNT", "str"}) == "1");
  BOOST_TEST(run({"OBJECT", "REFCOUNT", "nokey"}) == "nil");
  // Shared integers are off with maxmemory and an LRU/LFU policy.
  auto& cfg = h.state().config;
  auto policy = [&](const char* name) { BOOST_TEST(run({"CONFIG", "SET", "maxmemory-policy", name}) == "+OK"); };
  policy("allkeys-lru");
  BOOST_TEST(run({"OBJECT", "REFCOUNT", "int"}) == "2147483647");
  cfg.maxmemory.store(100 << 20);
  BOOST_TEST(run({"OBJECT", "REFCOUNT", "int"}) == "1");
  policy("noeviction");
  BOOST_TEST(run({"OBJECT", "REFCOUNT", "int"}) == "2147483647");
  cfg.maxmemory.store(0);

  // IDLETIME follows the LRU clock (seconds); reads reset it, OBJECT does not.
  BOOST_TEST(run({"OBJECT", "IDLETIME", "str"}) == "0");
  clk.advance(5'000);
  BOOST_TEST(run({"OBJECT", "IDLETIME", "str"}) == "5");
  BOOST_TEST(run({"TYPE", "str"}) == "+string");
  BOOST_TEST(run({"EXISTS", "str"}) == "1");
  BOOST_TEST(run({"OBJECT", "IDLETIME", "str"}) == "5");
  BOOST_TEST(run({"TOUCH", "str"}) == "1");
  BOOST_TEST(run({"OBJECT", "IDLETIME", "str"}) == "0");
  BOOST_TEST(run({"OBJECT", "IDLETIME", "nokey"}) == "nil");

  BOOST_TEST(run({"OBJECT", "FREQ", "str"}) ==
             "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
             "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  BOOST_TEST(run({"OBJECT", "FREQ", "nokey"}) == "nil");
  policy("allkeys-lfu");
  BOOST_TEST(run({"SET", "fresh", "v"}) == "+OK");
  BOOST_TEST(run({"OBJECT", "FREQ", "fresh"}) == "5");  // LFU_INIT_VAL
  BOOST_TEST(run({"OBJECT", "IDLETIME", "str"}) ==
             "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
             "between policies at runtime LRU and LFU data will take some time to adjust.");
  BOOST_TEST(run({"OBJECT", "IDLETIME", "nokey"}) == "nil");
  policy("noeviction");

  BOOST_TEST(run({"OBJECT"}) == "-ERR wrong number of arguments for 'object' command");
  BOOST_TEST(run({"OBJECT", "foo"}) == "-ERR unknown subcommand 'foo'. Try OBJECT HELP.");
  BOOST_TEST(run({"OBJECT", "ENCODING"}) == "-ERR wrong number of arguments for 'object|encoding' command");
  BOOST_TEST(run({"OBJECT", "ENCODING", "a", "b"}) == "-ERR wrong number of arguments for 'object|encoding' command");
  BOOST_TEST(run({"OBJECT", "HELP", "x"}) == "-ERR wrong number of arguments for 'object|help' command");
}

BOOST_AUTO_TEST_CASE(object_help_exact) {
  BOOST_TEST(h.wire({"OBJECT", "HELP"}) ==
             "*15\r\n"
             "+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
             "+ENCODING <key>\r\n"
             "+    Return the kind of internal representation used in order to store the value\r\n"
             "+    associated with a <key>.\r\n"
             "+FREQ <key>\r\n"
             "+    Return the access frequency index of the <key>. The returned integer is\r\n"
             "+    proportional to the logarithm of the recent access frequency of the key.\r\n"
             "+IDLETIME <key>\r\n"
             "+    Return the idle time of the <key>, that is the approximated number of\r\n"
             "+    seconds elapsed since the last access to the key.\r\n"
             "+REFCOUNT <key>\r\n"
             "+    Return the number of references of the value associated with the specified\r\n"
             "+    <key>.\r\n"
             "+HELP\r\n"
             "+    Prints this help.\r\n");
}

BOOST_AUTO_TEST_CASE(table_rows) {
  auto& t = h.state().table;
  auto* del = t.find("DEL");
  BOOST_REQUIRE(del);
  BOOST_TEST(del->arity == -2);
  BOOST_TEST(del->first_key == 1);
  BOOST_TEST(del->last_key == -1);
  BOOST_TEST(del->acl_categories == "keyspace write slow");
  for (auto name : {"keys", "scan", "randomkey", "dbsize", "flushdb", "flushall", "swapdb", "move", "copy"}) {
    auto* c = t.find(name);
    BOOST_REQUIRE(c);
    BOOST_TEST(c->has(kvd::command::f_global_lock), name);
  }
  auto* obj = t.find("object");
  BOOST_REQUIRE(obj);
  BOOST_TEST(obj->subcommands.size() == 5u);
  auto* enc = obj->find_sub("encoding");
  BOOST_REQUIRE(enc);
  BOOST_TEST(enc->fullname == "object|encoding");
  BOOST_TEST(enc->first_key == 2);
}

BOOST_AUTO_TEST_SUITE_END()
