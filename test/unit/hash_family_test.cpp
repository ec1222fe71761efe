#define BOOST_TEST_MODULE hash_family
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/store/hash.hpp"
#include "kvd/store/keyspace.hpp"

// Expected replies were checked against Debian's redis-server 7.0.15. Replies are compared
// via reply::debug_string(): +simple, -error, integer, "bulk", nil, [array], {map}.

namespace {

/// a + b (avoids GCC 12's false -Wrestrict on "literal" + std::string&&).
std::string cat(std::string_view a, std::string_view b) {
  std::string s(a);
  s.append(b);
  return s;
}

struct fixture {
  kvd::test::frozen_clock clk;
  kvd::test::harness h;

  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  kvd::protocol::reply reply(std::vector<std::string> args) { return h.run(std::move(args)); }
  std::string enc(const std::string& key) { return run({"OBJECT", "ENCODING", key}); }
  void set_limits(int entries, int value) {
    BOOST_TEST_REQUIRE(run({"CONFIG", "SET", "hash-max-listpack-entries", std::to_string(entries)}) == "+OK");
    BOOST_TEST_REQUIRE(run({"CONFIG", "SET", "hash-max-listpack-value", std::to_string(value)}) == "+OK");
  }
  /// Fills `key` with fields f0..f{n-1} = v0..v{n-1}.
  void fill(const std::string& key, int n) {
    for (int i = 0; i < n; i += 100) {
      std::vector<std::string> a{"HSET", key};
      for (int j = i; j < std::min(n, i + 100); ++j) {
        a.push_back(cat("f", std::to_string(j)));
        a.push_back(cat("v", std::to_string(j)));
      }
      h.run(a);
    }
  }
};

const std::string wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value";
const std::string not_int = "-ERR value is not an integer or out of range";
const std::string not_float = "-ERR value is not a valid float";
const std::string syntax = "-ERR syntax error";

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/kvd-hash-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hash_family, fixture)

// ---- table rows ----

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  auto& t = h.state().table;
  struct row {
    const char* name;
    int arity;
    std::uint32_t flags;
    const char* acl;
  };
  using namespace kvd::command;
  const std::uint32_t w = f_write | f_denyoom | f_fast, rf = f_readonly | f_fast;
  const row rows[] = {
      {"hset", -4, w, "write hash fast"},          {"hsetnx", 4, w, "write hash fast"},
      {"hget", 3, rf, "read hash fast"},           {"hmget", -3, rf, "read hash fast"},
      {"hmset", -4, w, "write hash fast"},         {"hdel", -3, f_write | f_fast, "write hash fast"},
      {"hlen", 2, rf, "read hash fast"},           {"hstrlen", 3, rf, "read hash fast"},
      {"hexists", 3, rf, "read hash fast"},        {"hkeys", 2, f_readonly, "read hash slow"},
      {"hvals", 2, f_readonly, "read hash slow"},  {"hgetall", 2, f_readonly, "read hash slow"},
      {"hincrby", 4, w, "write hash fast"},        {"hincrbyfloat", 4, w, "write hash fast"},
      {"hrandfield", -2, f_readonly, "read hash slow"}, {"hscan", -3, f_readonly, "read hash slow"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto* c = t.find(r.name);
      BOOST_TEST_REQUIRE(c != nullptr);
      BOOST_TEST(c->arity == r.arity);
      BOOST_TEST(c->flags == r.flags);
      BOOST_TEST(c->first_key == 1);
      BOOST_TEST(c->last_key == 1);
      BOOST_TEST(c->key_step == 1);
      BOOST_TEST(c->acl_categories == r.acl);
    }
  }
}

BOOST_AUTO_TEST_CASE(arity_errors) {
  BOOST_TEST(run({"HSET", "h", "f"}) == "-ERR wrong number of arguments for 'hset' command");
  BOOST_TEST(run({"HSET", "h", "f", "v", "g"}) == "-ERR wrong number of arguments for 'hset' command");
  BOOST_TEST(run({"HMSET", "h", "f", "v", "g"}) == "-ERR wrong number of arguments for 'hmset' command");
  BOOST_TEST(run({"HGET", "h"}) == "-ERR wrong number of arguments for 'hget' command");
  BOOST_TEST(run({"HDEL", "h"}) == "-ERR wrong number of arguments for 'hdel' command");
  BOOST_TEST(run({"EXISTS", "h"}) == "0");  // a failed HSET creates nothing
}

// ---- basic replies ----

BOOST_AUTO_TEST_CASE(hset_hget_hmget_hlen) {
  BOOST_TEST(run({"HGET", "h", "f"}) == "nil");
  BOOST_TEST(run({"HLEN", "h"}) == "0");
  BOOST_TEST(run({"HSET", "h", "a", "1", "b", "2"}) == "2");
  BOOST_TEST(run({"HSET", "h", "a", "x", "c", "3"}) == "1");  // a updated, c created
  BOOST_TEST(run({"HSET", "h", "d", "4", "d", "5"}) == "1");  // a repeated field counts once
  BOOST_TEST(run({"HGET", "h", "a"}) == "\"x\"");
  BOOST_TEST(run({"HGET", "h", "d"}) == "\"5\"");
  BOOST_TEST(run({"HGET", "h", "zz"}) == "nil");
  BOOST_TEST(run({"HLEN", "h"}) == "4");
  BOOST_TEST(run({"HMGET", "h", "a", "zz", "c"}) == "[\"x\",nil,\"3\"]");
  BOOST_TEST(run({"HMGET", "nokey", "a", "b"}) == "[nil,nil]");
  BOOST_TEST(run({"HMSET", "h", "e", "5"}) == "+OK");
  BOOST_TEST(run({"HGETALL", "h"}) == "{\"a\":\"x\",\"b\":\"2\",\"c\":\"3\",\"d\":\"5\",\"e\":\"5\"}");
  BOOST_TEST(run({"TYPE", "h"}) == "+hash");
  BOOST_TEST(enc("h") == "\"listpack\"");
  // Binary-safe fields and values, integer-looking ones stay byte-exact.
  std::string bin("a\0b\r\n", 5);
  BOOST_TEST(run({"HSET", "b", bin, bin, "007", "-0", "12", "-9223372036854775808"}) == "3");
  BOOST_TEST(h.run({"HGET", "b", bin}).str == bin);
  BOOST_TEST(run({"HGET", "b", "007"}) == "\"-0\"");
  BOOST_TEST(run({"HGET", "b", "12"}) == "\"-9223372036854775808\"");
  BOOST_TEST(run({"HSTRLEN", "b", "12"}) == "20");
  BOOST_TEST(run({"HSET", "b", "", ""}) == "1");
  BOOST_TEST(run({"HGET", "b", ""}) == "\"\"");
  BOOST_TEST(run({"HEXISTS", "b", ""}) == "1");
}

BOOST_AUTO_TEST_CASE(hsetnx_hexists_hstrlen) {
  BOOST_TEST(run({"HSETNX", "h", "f", "v"}) == "1");
  BOOST_TEST(run({"HSETNX", "h", "f", "w"}) == "0");
  BOOST_TEST(run({"HGET", "h", "f"}) == "\"v\"");
  BOOST_TEST(run({"HEXISTS", "h", "f"}) == "1");
  BOOST_TEST(run({"HEXISTS", "h", "g"}) == "0");
  BOOST_TEST(run({"HEXISTS", "nokey", "g"}) == "0");
  BOOST_TEST(run({"HSET", "h", "n", "12345", "neg", "-17", "s", "hello world"}) == "3");
  BOOST_TEST(run({"HSTRLEN", "h", "n"}) == "5");
  BOOST_TEST(run({"HSTRLEN", "h", "neg"}) == "3");
  BOOST_TEST(run({"HSTRLEN", "h", "s"}) == "11");
  BOOST_TEST(run({"HSTRLEN", "h", "zz"}) == "0");
  BOOST_TEST(run({"HSTRLEN", "nokey", "zz"}) == "0");
}

BOOST_AUTO_TEST_CASE(hdel_removes_fields_and_empty_keys) {
  BOOST_TEST(run({"HDEL", "nokey", "a"}) == "0");
  BOOST_TEST(run({"HSET", "h", "a", "1", "b", "2", "c", "3"}) == "3");
  BOOST_TEST(run({"HDEL", "h", "a", "zz", "a"}) == "1");
  BOOST_TEST(run({"HKEYS", "h"}) == "[\"b\",\"c\"]");
  BOOST_TEST(run({"HDEL", "h", "b", "c", "d"}) == "2");
  BOOST_TEST(run({"EXISTS", "h"}) == "0");
  // Same in the hashtable encoding.
  set_limits(2, 64);
  BOOST_TEST(run({"HSET", "t", "a", "1", "b", "2", "c", "3"}) == "3");
  BOOST_TEST(enc("t") == "\"hashtable\"");
  BOOST_TEST(run({"HDEL", "t", "a", "b"}) == "2");
  BOOST_TEST(run({"HLEN", "t"}) == "1");
  BOOST_TEST(run({"HDEL", "t", "c"}) == "1");
  BOOST_TEST(run({"EXISTS", "t"}) == "0");
}

BOOST_AUTO_TEST_CASE(hkeys_hvals_hgetall_order_and_shapes) {
  BOOST_TEST(run({"HKEYS", "nokey"}) == "[]");
  BOOST_TEST(run({"HVALS", "nokey"}) == "[]");
  BOOST_TEST(run({"HSET", "h", "z", "1", "a", "2", "m", "3"}) == "3");
  BOOST_TEST(run({"HKEYS", "h"}) == "[\"z\",\"a\",\"m\"]");  // listpack: insertion order
  BOOST_TEST(run({"HVALS", "h"}) == "[\"1\",\"2\",\"3\"]");
  BOOST_TEST(h.wire({"HGETALL", "h"}) == "*6\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nm\r\n$1\r\n3\r\n");
  BOOST_TEST(h.wire({"HGETALL", "nokey"}) == "*0\r\n");
  h.client().resp = 3;
  BOOST_TEST(h.wire({"HGETALL", "h"}) == "%3\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nm\r\n$1\r\n3\r\n");
  BOOST_TEST(h.wire({"HGETALL", "nokey"}) == "%0\r\n");
  BOOST_TEST(h.wire({"HKEYS", "nokey"}) == "*0\r\n");
  BOOST_TEST(h.wire({"HGET", "nokey", "f"}) == "_\r\n");
}

BOOST_AUTO_TEST_CASE(wrongtype_everywhere) {
  BOOST_TEST(run({"SET", "s", "x"}) == "+OK");
  for (std::vector<std::string> a : std::vector<std::vector<std::string>>{
           {"HSET", "s", "f", "v"}, {"HSETNX", "s", "f", "v"}, {"HGET", "s", "f"}, {"HMGET", "s", "f"},
           {"HMSET", "s", "f", "v"}, {"HDEL", "s", "f"}, {"HLEN", "s"}, {"HSTRLEN", "s", "f"},
           {"HEXISTS", "s", "f"}, {"HKEYS", "s"}, {"HVALS", "s"}, {"HGETALL", "s"},
           {"HINCRBY", "s", "f", "1"}, {"HINCRBYFLOAT", "s", "f", "1"}, {"HRANDFIELD", "s"},
           {"HRANDFIELD", "s", "2"}, {"HSCAN", "s", "0"}, {"HSCAN", "s", "0", "BAD"}}) {
    BOOST_TEST_CONTEXT(a.front()) { BOOST_TEST(run(a) == wrongtype); }
  }
  BOOST_TEST(run({"HSET", "h", "f", "v"}) == "1");
  BOOST_TEST(run({"GET", "h"}) == wrongtype);
  BOOST_TEST(run({"HSCAN", "s", "abc"}) == "-ERR invalid cursor");  // the cursor is checked first
}

// ---- HINCRBY / HINCRBYFLOAT ----

BOOST_AUTO_TEST_CASE(hincrby) {
  BOOST_TEST(run({"HINCRBY", "h", "n", "abc"}) == not_int);
  BOOST_TEST(run({"EXISTS", "h"}) == "0");
  BOOST_TEST(run({"HINCRBY", "h", "n", "5"}) == "5");
  BOOST_TEST(run({"HINCRBY", "h", "n", "-7"}) == "-2");
  BOOST_TEST(run({"HGET", "h", "n"}) == "\"-2\"");
  BOOST_TEST(run({"HSET", "h", "s", "abc", "f", "1.5", "sp", " 1", "e", "", "big", "9223372036854775807"}) == "5");
  for (const char* f : {"s", "f", "sp", "e"})
    BOOST_TEST_CONTEXT(f) { BOOST_TEST(run({"HINCRBY", "h", f, "1"}) == "-ERR hash value is not an integer"); }
  BOOST_TEST(run({"HINCRBY", "h", "big", "1"}) == "-ERR increment or decrement would overflow");
  BOOST_TEST(run({"HINCRBY", "h", "big", "-1"}) == "9223372036854775806");
  BOOST_TEST(run({"HSET", "h", "small", "-9223372036854775808"}) == "1");
  BOOST_TEST(run({"HINCRBY", "h", "small", "-1"}) == "-ERR increment or decrement would overflow");
  BOOST_TEST(run({"HINCRBY", "h", "n", "9223372036854775808"}) == not_int);
}

BOOST_AUTO_TEST_CASE(hincrbyfloat) {
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "f", "inf"}) == "-ERR value is NaN or Infinity");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "f", "nan"}) == not_float);
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "f", "abc"}) == not_float);
  BOOST_TEST(run({"EXISTS", "h"}) == "0");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "g", "10.50"}) == "\"10.5\"");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "g", "1e3"}) == "\"1010.5\"");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "g", "-1010.5"}) == "\"0\"");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "g", " 1"}) == not_float);
  BOOST_TEST(run({"HSET", "h", "sp", " 1", "e", "", "i", "5", "big", "1.7976931348623157e308"}) == "4");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "sp", "1"}) == "-ERR hash value is not a float");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "e", "1"}) == "-ERR hash value is not a float");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "i", "0.25"}) == "\"5.25\"");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "i", "-0.25"}) == "\"5\"");
  BOOST_TEST(run({"HINCRBY", "h", "i", "1"}) == "6");  // the stored "5" is an integer again
  // long double range: no overflow from a double's max.
  BOOST_TEST(reply({"HINCRBYFLOAT", "h", "big", "1.7976931348623157e308"}).str.size() > 300u);
  BOOST_TEST(run({"HSET", "h", "huge", "1e4932"}) == "1");
  BOOST_TEST(run({"HINCRBYFLOAT", "h", "huge", "1e4932"}) == "-ERR increment would produce NaN or Infinity");
}

// ---- encodings ----

BOOST_AUTO_TEST_CASE(conversion_by_entries) {
  set_limits(4, 64);
  BOOST_TEST(run({"HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"}) == "4");
  BOOST_TEST(enc("h") == "\"listpack\"");
  BOOST_TEST(run({"HSET", "h", "a", "9"}) == "0");  // updates never convert
  BOOST_TEST(enc("h") == "\"listpack\"");
  BOOST_TEST(run({"HSETNX", "h", "e", "5"}) == "1");
  BOOST_TEST(enc("h") == "\"hashtable\"");
  BOOST_TEST(run({"HMGET", "h", "a", "e", "zz"}) == "[\"9\",\"5\",nil]");
  // Never back, even when it shrinks below the limit.
  BOOST_TEST(run({"HDEL", "h", "a", "b", "c", "d"}) == "4");
  BOOST_TEST(enc("h") == "\"hashtable\"");
  BOOST_TEST(run({"HGETALL", "h"}) == "{\"e\":\"5\"}");
  // Duplicates in one HSET do not count twice (7.0 has no pre-sizing by argument count).
  set_limits(2, 64);
  BOOST_TEST(run({"HSET", "d", "a", "1", "a", "2", "a", "3"}) == "1");
  BOOST_TEST(enc("d") == "\"listpack\"");
  BOOST_TEST(run({"HINCRBY", "d", "b", "1"}) == "1");
  BOOST_TEST(enc("d") == "\"listpack\"");
  BOOST_TEST(run({"HINCRBYFLOAT", "d", "c", "1.5"}) == "\"1.5\"");
  BOOST_TEST(enc("d") == "\"hashtable\"");
  // Limit 0: every field converts.
  set_limits(0, 64);
  BOOST_TEST(run({"HSET", "z", "a", "1"}) == "1");
  BOOST_TEST(enc("z") == "\"hashtable\"");
}

BOOST_AUTO_TEST_CASE(conversion_by_value_length) {
  set_limits(512, 3);
  BOOST_TEST(run({"HSET", "h", "abc", "xyz"}) == "1");
  BOOST_TEST(enc("h") == "\"listpack\"");
  BOOST_TEST(run({"HSETNX", "h", "abc", "longvalue"}) == "0");  // nothing set: no conversion
  BOOST_TEST(enc("h") == "\"listpack\"");
  BOOST_TEST(run({"HSET", "h", "abc", "abcd"}) == "0");
  BOOST_TEST(enc("h") == "\"hashtable\"");
  BOOST_TEST(run({"HGET", "h", "abc"}) == "\"abcd\"");
  // Field length converts too; so does a long field or result of HINCRBY*.
  BOOST_TEST(run({"HSET", "f", "abcd", "1"}) == "1");
  BOOST_TEST(enc("f") == "\"hashtable\"");
  BOOST_TEST(run({"HSET", "i", "a", "1"}) == "1");
  BOOST_TEST(run({"HINCRBY", "i", "longfield", "1"}) == "1");
  BOOST_TEST(enc("i") == "\"hashtable\"");
  BOOST_TEST(run({"HSET", "j", "a", "1"}) == "1");
  BOOST_TEST(run({"HINCRBY", "j", "a", "1000"}) == "1001");
  BOOST_TEST(enc("j") == "\"hashtable\"");
  BOOST_TEST(run({"HSET", "k", "a", "1"}) == "1");
  BOOST_TEST(run({"HINCRBYFLOAT", "k", "a", "1000.5"}) == "\"1001.5\"");
  BOOST_TEST(enc("k") == "\"hashtable\"");
  // A conversion keeps every field and value, integers rendered as text.
  BOOST_TEST(run({"HSET", "m", "n", "-12", "t", "ab"}) == "2");
  BOOST_TEST(run({"HSET", "m", "long", "x"}) == "1");
  BOOST_TEST(enc("m") == "\"hashtable\"");
  BOOST_TEST(run({"HMGET", "m", "n", "t", "long"}) == "[\"-12\",\"ab\",\"x\"]");
  // Limit 0: only empty strings stay in a listpack.
  set_limits(512, 0);
  BOOST_TEST(run({"HSET", "e", "", ""}) == "1");
  BOOST_TEST(enc("e") == "\"listpack\"");
  BOOST_TEST(run({"HSET", "e", "a", ""}) == "1");
  BOOST_TEST(enc("e") == "\"hashtable\"");
}

BOOST_AUTO_TEST_CASE(hashtable_encoding_holds_long_values) {
  set_limits(512, 64);
  std::string longf(100, 'f'), longv(5000, 'v');
  BOOST_TEST(run({"HSET", "h", longf, longv, "short", "s", "mid", std::string(15, 'm'), "mid2", std::string(16, 'n')}) == "4");
  BOOST_TEST(enc("h") == "\"hashtable\"");
  BOOST_TEST(h.run({"HGET", "h", longf}).str == longv);
  BOOST_TEST(run({"HSTRLEN", "h", longf}) == "5000");
  BOOST_TEST(h.run({"HGET", "h", "mid"}).str == std::string(15, 'm'));
  BOOST_TEST(h.run({"HGET", "h", "mid2"}).str == std::string(16, 'n'));
  BOOST_TEST(run({"HSET", "h", "mid", std::string(40, 'x')}) == "0");
  BOOST_TEST(h.run({"HGET", "h", "mid"}).str == std::string(40, 'x'));
  BOOST_TEST(run({"HSET", "h", longf, "tiny"}) == "0");
  BOOST_TEST(run({"HGET", "h", longf}) == "\"tiny\"");
}

BOOST_AUTO_TEST_CASE(copy_clones_both_encodings) {
  BOOST_TEST(run({"HSET", "l", "a", "1", "b", "2"}) == "2");
  fill("t", 600);
  BOOST_TEST(enc("t") == "\"hashtable\"");
  BOOST_TEST(run({"COPY", "l", "l2"}) == "1");
  BOOST_TEST(run({"COPY", "t", "t2"}) == "1");
  BOOST_TEST(enc("l2") == "\"listpack\"");
  BOOST_TEST(enc("t2") == "\"hashtable\"");
  BOOST_TEST(run({"HSET", "l2", "a", "changed"}) == "0");
  BOOST_TEST(run({"HDEL", "t2", "f0"}) == "1");
  BOOST_TEST(run({"HGETALL", "l"}) == "{\"a\":\"1\",\"b\":\"2\"}");
  BOOST_TEST(run({"HGETALL", "l2"}) == "{\"a\":\"changed\",\"b\":\"2\"}");
  BOOST_TEST(run({"HLEN", "t"}) == "600");
  BOOST_TEST(run({"HLEN", "t2"}) == "599");
  BOOST_TEST(run({"HGET", "t2", "f599"}) == "\"v599\"");
}

// ---- HRANDFIELD ----

BOOST_AUTO_TEST_CASE(hrandfield_errors_and_missing_key) {
  BOOST_TEST(run({"HRANDFIELD", "nokey"}) == "nil");
  BOOST_TEST(run({"HRANDFIELD", "nokey", "5"}) == "[]");
  BOOST_TEST(run({"HRANDFIELD", "nokey", "5", "WITHVALUES"}) == "[]");
  BOOST_TEST(run({"HRANDFIELD", "nokey", "abc"}) == not_int);
  BOOST_TEST(run({"HSET", "h", "a", "1", "b", "2", "c", "3"}) == "3");
  BOOST_TEST(run({"HRANDFIELD", "h", "-9223372036854775808"}) ==
             "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
  BOOST_TEST(run({"HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"}) == "-ERR value is out of range");
  BOOST_TEST(run({"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"}) == "-ERR value is out of range");
  BOOST_TEST(run({"HRANDFIELD", "h", "5", "WITHVALUE"}) == syntax);
  BOOST_TEST(run({"HRANDFIELD", "h", "5", "WITHVALUES", "x"}) == syntax);
  BOOST_TEST(run({"HRANDFIELD", "h", "0"}) == "[]");
  BOOST_TEST(run({"HRANDFIELD", "h", "0", "WITHVALUES"}) == "[]");
  // count >= size: the whole hash in listpack order.
  BOOST_TEST(run({"HRANDFIELD", "h", "3"}) == "[\"a\",\"b\",\"c\"]");
  BOOST_TEST(run({"HRANDFIELD", "h", "10", "withvalues"}) == "[\"a\",\"1\",\"b\",\"2\",\"c\",\"3\"]");
  h.client().resp = 3;
  BOOST_TEST(h.wire({"HRANDFIELD", "nokey"}) == "_\r\n");
  BOOST_TEST(h.wire({"HRANDFIELD", "nokey", "1", "WITHVALUES"}) == "*0\r\n");
  BOOST_TEST(run({"HRANDFIELD", "h", "10", "WITHVALUES"}) == "[[\"a\",\"1\"],[\"b\",\"2\"],[\"c\",\"3\"]]");
}

/// Checks HRANDFIELD count semantics on `key` (n fields named f<i> with values v<i>).
void check_hrandfield(fixture& fx, const std::string& key, int n) {
  for (int round = 0; round < 20; ++round) {
    // Positive count below the size: distinct fields.
    int want = 1 + round % (n - 1);
    auto r = fx.reply({"HRANDFIELD", key, std::to_string(want)});
    BOOST_TEST_REQUIRE(r.elems.size() == static_cast<std::size_t>(want));
    std::set<std::string> seen;
    for (auto& e : r.elems) {
      BOOST_TEST(e.str.substr(0, 1) == "f");
      seen.insert(e.str);
    }
    BOOST_TEST(seen.size() == static_cast<std::size_t>(want));
    // WITHVALUES: each value belongs to its field (RESP2 flat).
    r = fx.reply({"HRANDFIELD", key, std::to_string(want), "WITHVALUES"});
    BOOST_TEST_REQUIRE(r.elems.size() == static_cast<std::size_t>(want) * 2);
    seen.clear();
    for (std::size_t i = 0; i < r.elems.size(); i += 2) {
      BOOST_TEST(r.elems[i + 1].str == cat("v", r.elems[i].str.substr(1)));
      seen.insert(r.elems[i].str);
    }
    BOOST_TEST(seen.size() == static_cast<std::size_t>(want));
  }
  // Negative count: exactly |count| picks, repeats allowed (and certain with more picks than fields).
  auto r = fx.reply({"HRANDFIELD", key, std::to_string(-3 * n), "WITHVALUES"});
  BOOST_TEST_REQUIRE(r.elems.size() == static_cast<std::size_t>(6 * n));
  std::map<std::string, int> hits;
  for (std::size_t i = 0; i < r.elems.size(); i += 2) {
    BOOST_TEST(r.elems[i + 1].str == cat("v", r.elems[i].str.substr(1)));
    ++hits[r.elems[i].str];
  }
  BOOST_TEST(hits.size() <= static_cast<std::size_t>(n));
  BOOST_TEST(fx.reply({"HRANDFIELD", key, "-1"}).elems.size() == 1u);
  // Without count: one field.
  auto one = fx.reply({"HRANDFIELD", key});
  BOOST_TEST((one.k == kvd::protocol::reply::kind::bulk));
  BOOST_TEST(one.str.substr(0, 1) == "f");
  // count >= size: all of them.
  r = fx.reply({"HRANDFIELD", key, std::to_string(n + 5)});
  BOOST_TEST(r.elems.size() == static_cast<std::size_t>(n));
}

BOOST_AUTO_TEST_CASE(hrandfield_counts_listpack) {
  fill("h", 20);
  BOOST_TEST(enc("h") == "\"listpack\"");
  check_hrandfield(*this, "h", 20);
}

BOOST_AUTO_TEST_CASE(hrandfield_counts_hashtable) {
  fill("h", 1000);
  BOOST_TEST(enc("h") == "\"hashtable\"");
  check_hrandfield(*this, "h", 1000);
  // Both strategies for unique picks: few (random probes) and many (sampling).
  for (int want : {5, 400, 999}) {
    auto r = reply({"HRANDFIELD", "h", std::to_string(want)});
    std::set<std::string> seen;
    for (auto& e : r.elems) seen.insert(e.str);
    BOOST_TEST(seen.size() == static_cast<std::size_t>(want));
  }
  h.client().resp = 3;
  auto r = reply({"HRANDFIELD", "h", "-3", "WITHVALUES"});
  BOOST_TEST_REQUIRE(r.elems.size() == 3u);
  for (auto& pair : r.elems) {
    BOOST_TEST_REQUIRE(pair.elems.size() == 2u);
    BOOST_TEST(pair.elems[1].str == cat("v", pair.elems[0].str.substr(1)));
  }
}

// ---- HSCAN ----

BOOST_AUTO_TEST_CASE(hscan_listpack_is_one_call) {
  BOOST_TEST(run({"HSCAN", "nokey", "0"}) == "[\"0\",[]]");
  BOOST_TEST(run({"HSCAN", "nokey", "0", "BAD"}) == "[\"0\",[]]");  // options are parsed after the lookup
  BOOST_TEST(run({"HSCAN", "nokey", "abc"}) == "-ERR invalid cursor");
  BOOST_TEST(run({"HSET", "h", "a", "1", "b", "2", "ab", "3"}) == "3");
  BOOST_TEST(run({"HSCAN", "h", "0"}) == "[\"0\",[\"a\",\"1\",\"b\",\"2\",\"ab\",\"3\"]]");
  BOOST_TEST(run({"HSCAN", "h", "5", "COUNT", "1"}) == "[\"0\",[\"a\",\"1\",\"b\",\"2\",\"ab\",\"3\"]]");
  BOOST_TEST(run({"HSCAN", "h", "0", "MATCH", "a*"}) == "[\"0\",[\"a\",\"1\",\"ab\",\"3\"]]");
  BOOST_TEST(run({"HSCAN", "h", "-1"}) == "[\"0\",[\"a\",\"1\",\"b\",\"2\",\"ab\",\"3\"]]");
  BOOST_TEST(run({"HSCAN", "h", "0", "COUNT", "0"}) == syntax);
  BOOST_TEST(run({"HSCAN", "h", "0", "COUNT", "-1"}) == syntax);
  BOOST_TEST(run({"HSCAN", "h", "0", "COUNT", "abc"}) == not_int);
  BOOST_TEST(run({"HSCAN", "h", "0", "TYPE", "string"}) == syntax);
  BOOST_TEST(run({"HSCAN", "h", "0", "MATCH"}) == syntax);
  BOOST_TEST(run({"HSCAN", "h", " 0"}) == "-ERR invalid cursor");
}

BOOST_AUTO_TEST_CASE(hscan_hashtable_covers_every_field) {
  fill("h", 1000);
  BOOST_TEST(enc("h") == "\"hashtable\"");
  for (int count : {1, 10, 100}) {
    BOOST_TEST_CONTEXT("COUNT " << count) {
      std::map<std::string, std::string> got;
      std::string cursor = "0";
      int calls = 0;
      do {
        auto r = reply({"HSCAN", "h", cursor, "COUNT", std::to_string(count)});
        BOOST_TEST_REQUIRE(r.elems.size() == 2u);
        cursor = r.elems[0].str;
        const auto& items = r.elems[1].elems;
        BOOST_TEST_REQUIRE(items.size() % 2 == 0u);
        for (std::size_t i = 0; i < items.size(); i += 2) got[items[i].str] = items[i + 1].str;
        ++calls;
      } while (cursor != "0" && calls < 100000);
      BOOST_TEST(got.size() == 1000u);
      for (auto& [f, v] : got) BOOST_TEST(v == cat("v", f.substr(1)));
      if (count == 1) BOOST_TEST(calls > 100);
    }
  }
  // MATCH filters fields; with a large COUNT one call returns all of them.
  auto r = reply({"HSCAN", "h", "0", "MATCH", "f99*", "COUNT", "100000"});
  BOOST_TEST(r.elems[0].str == "0");
  BOOST_TEST(r.elems[1].elems.size() == 2u * 11);  // f99, f990..f999
  // Fields present throughout a scan are all returned even when the table grows meanwhile.
  std::set<std::string> got;
  std::string cursor = "0";
  int added = 0;
  do {
    auto s = reply({"HSCAN", "h", cursor, "COUNT", "20"});
    cursor = s.elems[0].str;
    for (std::size_t i = 0; i < s.elems[1].elems.size(); i += 2) got.insert(s.elems[1].elems[i].str);
    std::vector<std::string> a{"HSET", "h"};
    for (int j = 0; j < 50; ++j, ++added) {
      a.push_back(cat("g", std::to_string(added)));
      a.push_back("x");
    }
    h.run(a);
  } while (cursor != "0");
  for (int i = 0; i < 1000; ++i) BOOST_TEST(got.count(cat("f", std::to_string(i))) == 1u);
}

// ---- AOF propagation ----

BOOST_AUTO_TEST_CASE(aof_propagation) {
  temp_dir d;
  kvd::persist::aof_paths paths{d.path, "appendonlydir", "appendonly.aof"};
  {
    kvd::persist::aof_writer w(paths, kvd::persist::fsync_policy::no);
    h.state().aof.store(&w);
    run({"HSET", "h", "a", "1"});
    run({"HMSET", "h", "b", "2"});
    run({"HSETNX", "h", "a", "x"});            // nothing set: nothing logged
    run({"HSETNX", "h", "c", "3"});
    run({"HDEL", "h", "zz"});                  // nothing removed: nothing logged
    run({"HDEL", "nokey", "zz"});
    run({"HDEL", "h", "c"});
    run({"HINCRBY", "h", "a", "5"});
    run({"HINCRBYFLOAT", "h", "f", "1.50"});   // logged as HSET with the result
    run({"HINCRBYFLOAT", "h", "b", "abc"});    // errors log nothing
    run({"HINCRBY", "h", "zz", "x"});
    run({"HGET", "h", "a"});
    h.state().aof.store(nullptr);
    w.flush();
  }
  std::vector<std::vector<std::string>> got;
  auto res = kvd::persist::load_aof(paths, true, [&](std::span<const std::string_view> a) {
    got.emplace_back(a.begin(), a.end());
    return std::string();
  });
  (void)res;
  std::vector<std::vector<std::string>> want = {
      {"SELECT", "0"},        {"HSET", "h", "a", "1"},     {"HMSET", "h", "b", "2"},
      {"HSETNX", "h", "c", "3"}, {"HDEL", "h", "c"},       {"HINCRBY", "h", "a", "5"},
      {"HSET", "h", "f", "1.5"}};
  BOOST_TEST((got == want));
}

// ---- the store type ----

BOOST_AUTO_TEST_CASE(store_hash_sizes_and_memory) {
  using kvd::store::hash;
  using kvd::store::hash_value;
  BOOST_TEST(sizeof(kvd::store::value) == 32u);
  BOOST_TEST(sizeof(kvd::store::dict<hash_value>::node) == 48u);
  hash_value a("0123456789abcde"), b("0123456789abcdef");
  BOOST_TEST(a.is_inline());
  BOOST_TEST(!b.is_inline());
  BOOST_TEST(a.view() == "0123456789abcde");
  BOOST_TEST(b.view() == "0123456789abcdef");
  BOOST_TEST(b.heap_bytes() == 16u);
  hash_value c(std::move(b));
  BOOST_TEST(c.view() == "0123456789abcdef");
  BOOST_TEST(b.view().empty());

  kvd::store::hash_limits lim;
  kvd::store::value v = hash::make();
  hash h(v);
  BOOST_TEST(h.encoding() == "listpack");
  BOOST_TEST(v.encoding() == "listpack");
  BOOST_TEST(v.has_listpack());
  BOOST_TEST(h.set("f", "v", lim));
  BOOST_TEST(!h.set("f", "w", lim));
  std::size_t small = v.heap_bytes();  // the listpack alone: no object around it
  BOOST_TEST(small == 7u + 3 + 3);  // header+end, then "f" and "w" at 3 bytes each
  for (int i = 0; i < 1000; ++i) h.set(cat("field", std::to_string(i)), std::string(20, 'x'), lim);
  BOOST_TEST(h.encoding() == "hashtable");
  BOOST_TEST(v.encoding() == "hashtable");
  BOOST_TEST(!v.has_listpack());
  BOOST_TEST(h.length() == 1001u);
  std::size_t big = v.heap_bytes();
  BOOST_TEST(big > 1000u * 48);
  BOOST_TEST(big < 1000u * 100);
  for (int i = 0; i < 1000; ++i) BOOST_TEST(h.erase(cat("field", std::to_string(i))));
  BOOST_TEST(v.heap_bytes() < big / 10);
  auto copy = v.clone();
  BOOST_TEST(hash(copy).length() == 1u);
  BOOST_TEST(copy.encoding() == "hashtable");
  kvd::store::value w = hash::make();
  hash(w).set("a", "1", lim);
  kvd::store::value w2 = w.clone();
  hash(w2).set("b", "2", lim);
  BOOST_TEST(hash(w).length() == 1u);
  BOOST_TEST(hash(w2).length() == 2u);
  BOOST_TEST(w2.has_listpack());
  // A conversion keeps the key's metadata.
  w.set_has_expire(true);
  w.set_lru(1234);
  hash(w).convert_to_table();
  BOOST_TEST(w.has_expire());
  BOOST_TEST(w.lru() == 1234u);
  BOOST_TEST(w.encoding() == "hashtable");
  // Values move between nodes (RENAME) with their representation.
  kvd::store::value moved(std::move(w2));
  BOOST_TEST(moved.has_listpack());
  BOOST_TEST(w2.is_string());
  moved.set_string("now a string");
  BOOST_TEST(moved.str() == "now a string");
  BOOST_TEST(!moved.has_listpack());
}

BOOST_AUTO_TEST_SUITE_END()
