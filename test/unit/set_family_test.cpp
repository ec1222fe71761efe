#define BOOST_TEST_MODULE set_family
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/store/set.hpp"
#include "kvd/store/value.hpp"

// Expected replies were checked against Debian's redis-server 7.0.15. Replies are compared
// via reply::debug_string(): +simple, -error, integer, "bulk", nil, [array or set], {map};
// wire() shows the RESP3 types (~ for sets).

namespace {

namespace fs = std::filesystem;
using kvd::store::intset;
using kvd::store::set_member;
using kvd::store::set_object;

/// An AOF in a temporary directory, so tests can read what commands propagate.
struct aof_tap {
  std::string dir;
  std::unique_ptr<kvd::persist::aof_writer> w;
  std::size_t read_pos = 0;

  aof_tap() {
    char tmpl[] = "/tmp/kvd-set-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    w = std::make_unique<kvd::persist::aof_writer>(kvd::persist::aof_paths{dir, "appendonlydir", "appendonly.aof"},
                                                   kvd::persist::fsync_policy::no);
  }
  ~aof_tap() {
    w.reset();
    fs::remove_all(dir);
  }

  /// The commands logged since the last call, one "ARG ARG ..." string each (SELECT skipped).
  std::vector<std::string> take() {
    w->flush();
    std::ifstream f(w->incr_path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string all = ss.str();
    std::string data = all.substr(read_pos);
    read_pos = all.size();
    std::vector<std::string> out;
    std::size_t p = 0;
    auto line = [&]() {
      auto e = data.find("\r\n", p);
      std::string l = data.substr(p, e - p);
      p = e + 2;
      return l;
    };
    while (p < data.size()) {
      std::string hdr = line();  // *N
      int n = std::stoi(hdr.substr(1));
      std::string cmd;
      for (int i = 0; i < n; ++i) {
        int len = std::stoi(line().substr(1));
        if (i) cmd += ' ';
        cmd += data.substr(p, static_cast<std::size_t>(len));
        p += static_cast<std::size_t>(len) + 2;
      }
      if (cmd.rfind("SELECT ", 0) != 0) out.push_back(cmd);
    }
    return out;
  }
};

struct fixture {
  kvd::test::frozen_clock clk;
  kvd::test::harness h;

  /// Runs a command and renders its reply.
  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  /// Exact RESP bytes under protocol `resp`.
  std::string wire(int resp, std::vector<std::string> args) {
    h.client().resp = resp;
    auto out = h.wire(std::move(args));
    h.client().resp = 2;
    return out;
  }
  kvd::store::database& db() { return h.keyspace().db(0); }
  std::string encoding(const std::string& key) { return run({"OBJECT", "ENCODING", key}); }
  set_object& set_at(const std::string& key) { return *static_cast<set_object*>(db().find(key)->obj()); }
  void set_max_intset(std::int64_t n) { h.state().config.set_max_intset_entries.store(n); }
  /// Adds members "prefix0".."prefix<n-1>" to `key`.
  void fill(const std::string& key, int n, const std::string& prefix = "m") {
    for (int i = 0; i < n; i += 100) {
      std::vector<std::string> args{"SADD", key};
      for (int j = i; j < std::min(n, i + 100); ++j) args.push_back(prefix + std::to_string(j));
      run(args);
    }
  }
  /// Members of a reply, sorted (hashtable replies are unordered).
  std::vector<std::string> sorted_members(std::vector<std::string> args) {
    auto r = h.run(std::move(args));
    std::vector<std::string> out;
    for (auto& e : r.elems) out.push_back(e.str);
    std::sort(out.begin(), out.end());
    return out;
  }
};

const std::string wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value";
const std::string not_int = "-ERR value is not an integer or out of range";
const std::string syntax = "-ERR syntax error";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(set_family, fixture)

// ---- table rows ----

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  auto& t = h.state().table;
  using row = kvd::test::expected_row;
  using namespace kvd::command;
  const row rows[] = {
      {"sadd", -3, f_write | f_denyoom | f_fast, 1, 1, 1, "write set fast"},
      {"srem", -3, f_write | f_fast, 1, 1, 1, "write set fast"},
      {"smove", 4, f_write | f_fast, 1, 2, 1, "write set fast"},
      {"sismember", 3, f_readonly | f_fast, 1, 1, 1, "read set fast"},
      {"smismember", -3, f_readonly | f_fast, 1, 1, 1, "read set fast"},
      {"scard", 2, f_readonly | f_fast, 1, 1, 1, "read set fast"},
      {"spop", -2, f_write | f_fast, 1, 1, 1, "write set fast"},
      {"srandmember", -2, f_readonly, 1, 1, 1, "read set slow"},
      {"smembers", 2, f_readonly, 1, 1, 1, "read set slow"},
      {"sinter", -2, f_readonly, 1, -1, 1, "read set slow"},
      {"sintercard", -3, f_readonly | f_movablekeys, 0, 0, 0, "read set slow"},
      {"sinterstore", -3, f_write | f_denyoom, 1, -1, 1, "write set slow"},
      {"sunion", -2, f_readonly, 1, -1, 1, "read set slow"},
      {"sunionstore", -3, f_write | f_denyoom, 1, -1, 1, "write set slow"},
      {"sdiff", -2, f_readonly, 1, -1, 1, "read set slow"},
      {"sdiffstore", -3, f_write | f_denyoom, 1, -1, 1, "write set slow"},
      {"sscan", -3, f_readonly, 1, 1, 1, "read set slow"},
  };
  kvd::test::check_rows(t, rows);
}

BOOST_AUTO_TEST_CASE(arity_errors) {
  BOOST_TEST(run({"SADD", "k"}) == "-ERR wrong number of arguments for 'sadd' command");
  BOOST_TEST(run({"SMOVE", "a", "b"}) == "-ERR wrong number of arguments for 'smove' command");
  BOOST_TEST(run({"SINTERCARD", "1"}) == "-ERR wrong number of arguments for 'sintercard' command");
  BOOST_TEST(run({"SSCAN", "k"}) == "-ERR wrong number of arguments for 'sscan' command");
  BOOST_TEST(run({"SPOP", "k", "1", "2"}) == syntax);
  BOOST_TEST(run({"SRANDMEMBER", "k", "1", "2"}) == syntax);
}

// ---- the intset itself ----

BOOST_AUTO_TEST_CASE(intset_widths_order_and_upgrades) {
  intset s;
  BOOST_TEST(s.width() == 2u);
  BOOST_TEST(s.insert(5));
  BOOST_TEST(s.insert(-3));
  BOOST_TEST(!s.insert(5));
  BOOST_TEST(s.width() == 2u);
  BOOST_TEST(s.insert(70000));  // int32
  BOOST_TEST(s.width() == 4u);
  BOOST_TEST(s.insert(-5'000'000'000LL));  // int64, goes first
  BOOST_TEST(s.width() == 8u);
  BOOST_TEST(s.insert(1));
  std::vector<std::int64_t> got;
  for (std::size_t i = 0; i < s.size(); ++i) got.push_back(s.at(i));
  BOOST_TEST((got == std::vector<std::int64_t>{-5'000'000'000LL, -3, 1, 5, 70000}));
  BOOST_TEST(s.contains(70000));
  BOOST_TEST(!s.contains(70001));
  BOOST_TEST(!s.contains(9'000'000'000LL));
  BOOST_TEST(s.erase(-5'000'000'000LL));
  BOOST_TEST(!s.erase(-5'000'000'000LL));
  BOOST_TEST(s.width() == 8u);  // never downgrades, as Redis
  BOOST_TEST(s.data_bytes() == 4u * 8u);
  intset copy(s);
  BOOST_TEST(copy.size() == 4u);
  BOOST_TEST(copy.at(3) == 70000);
  // Extremes of each width.
  intset e;
  for (std::int64_t v : {INT64_MIN, INT64_MAX, std::int64_t{INT32_MIN}, std::int64_t{INT16_MAX}, std::int64_t{0}})
    BOOST_TEST(e.insert(v));
  BOOST_TEST(e.at(0) == INT64_MIN);
  BOOST_TEST(e.at(4) == INT64_MAX);
  BOOST_TEST(e.contains(INT32_MIN));
}

// ---- SADD / SREM / SCARD / SISMEMBER / SMISMEMBER ----

BOOST_AUTO_TEST_CASE(sadd_srem_basics) {
  BOOST_TEST(run({"SADD", "s", "a", "b", "a"}) == "2");
  BOOST_TEST(run({"SADD", "s", "b", "c"}) == "1");
  BOOST_TEST(run({"SCARD", "s"}) == "3");
  BOOST_TEST(run({"SCARD", "nokey"}) == "0");
  BOOST_TEST(run({"SISMEMBER", "s", "a"}) == "1");
  BOOST_TEST(run({"SISMEMBER", "s", "z"}) == "0");
  BOOST_TEST(run({"SISMEMBER", "nokey", "a"}) == "0");
  BOOST_TEST(run({"SMISMEMBER", "s", "a", "z", "c"}) == "[1,0,1]");
  BOOST_TEST(run({"SMISMEMBER", "nokey", "a", "b"}) == "[0,0]");
  BOOST_TEST(run({"SREM", "s", "a", "z", "a"}) == "1");
  BOOST_TEST(run({"SREM", "nokey", "a"}) == "0");
  BOOST_TEST(run({"SREM", "s", "b", "c", "d"}) == "2");
  BOOST_TEST(run({"EXISTS", "s"}) == "0");  // an emptied set deletes its key
  // Binary-safe and long members.
  std::string bin("a\0b\r\n", 5), big(100, 'x');
  BOOST_TEST(run({"SADD", "b", bin, big, ""}) == "3");
  BOOST_TEST(run({"SISMEMBER", "b", bin}) == "1");
  BOOST_TEST(run({"SISMEMBER", "b", big}) == "1");
  BOOST_TEST(run({"SISMEMBER", "b", ""}) == "1");
  BOOST_TEST(run({"SISMEMBER", "b", "a"}) == "0");
  BOOST_TEST(run({"TYPE", "b"}) == "+set");
}

BOOST_AUTO_TEST_CASE(wrongtype_on_every_key) {
  run({"SET", "str", "x"});
  run({"SADD", "s", "1"});
  for (std::vector<std::string> cmd : std::vector<std::vector<std::string>>{
           {"SADD", "str", "1"}, {"SREM", "str", "1"}, {"SCARD", "str"}, {"SISMEMBER", "str", "1"},
           {"SMISMEMBER", "str", "1"}, {"SMEMBERS", "str"}, {"SPOP", "str"}, {"SPOP", "str", "0"},
           {"SRANDMEMBER", "str"}, {"SRANDMEMBER", "str", "0"}, {"SMOVE", "str", "s", "1"},
           {"SMOVE", "s", "str", "1"}, {"SMOVE", "s", "str", "nonmember"}, {"SINTER", "s", "nokey", "str"},
           {"SINTER", "nokey", "str"}, {"SINTERSTORE", "d", "nokey", "str"}, {"SINTERCARD", "2", "nokey", "str"},
           {"SUNION", "s", "str"}, {"SUNIONSTORE", "d", "nokey", "str"}, {"SDIFF", "nokey", "str"},
           {"SDIFF", "str", "nokey"}, {"SDIFFSTORE", "d", "s", "str"}, {"SSCAN", "str", "0"}}) {
    BOOST_TEST_CONTEXT(cmd[0] << " " << cmd[1]) { BOOST_TEST(run(cmd) == wrongtype); }
  }
  BOOST_TEST(run({"EXISTS", "d"}) == "0");
  BOOST_TEST(run({"GET", "str"}) == "\"x\"");
  BOOST_TEST(run({"SMOVE", "nokey", "str", "1"}) == "0");  // a missing source wins
  BOOST_TEST(run({"SSCAN", "str", "abc"}) == "-ERR invalid cursor");  // the cursor is checked first
}

BOOST_AUTO_TEST_CASE(intset_encoding_and_conversion_by_non_integer) {
  BOOST_TEST(run({"SADD", "i", "3", "1", "2", "-5"}) == "4");
  BOOST_TEST(encoding("i") == "\"intset\"");
  BOOST_TEST(run({"SMEMBERS", "i"}) == R"(["-5","1","2","3"])");
  BOOST_TEST(run({"SISMEMBER", "i", "1"}) == "1");
  BOOST_TEST(run({"SISMEMBER", "i", "01"}) == "0");
  BOOST_TEST(run({"SISMEMBER", "i", "a"}) == "0");
  BOOST_TEST(run({"SREM", "i", "a", "01", "+1"}) == "0");
  BOOST_TEST(encoding("i") == "\"intset\"");
  BOOST_TEST(run({"SADD", "i", "x"}) == "1");
  BOOST_TEST(encoding("i") == "\"hashtable\"");
  BOOST_TEST(run({"SREM", "i", "x"}) == "1");
  BOOST_TEST(encoding("i") == "\"hashtable\"");  // never back
  BOOST_TEST(run({"SISMEMBER", "i", "-5"}) == "1");
  BOOST_TEST(run({"SCARD", "i"}) == "4");
  // Only canonical int64 texts (Redis string2ll) stay in an intset.
  for (std::string m : {"01", "+1", " 1", "1 ", "-0", "1.0", "9223372036854775808", "-9223372036854775809", ""}) {
    run({"DEL", "t"});
    run({"SADD", "t", m});
    BOOST_TEST_CONTEXT(m) { BOOST_TEST(encoding("t") == "\"hashtable\""); }
  }
  for (std::string m : {"0", "-1", "9223372036854775807", "-9223372036854775808"}) {
    run({"DEL", "t"});
    run({"SADD", "t", m});
    BOOST_TEST_CONTEXT(m) { BOOST_TEST(encoding("t") == "\"intset\""); }
    BOOST_TEST(run({"SISMEMBER", "t", m}) == "1");
  }
  // The first member decides the initial encoding (Redis setTypeCreate).
  run({"SADD", "h", "a", "1"});
  BOOST_TEST(encoding("h") == "\"hashtable\"");
}

BOOST_AUTO_TEST_CASE(intset_conversion_by_entries_limit) {
  set_max_intset(4);
  BOOST_TEST(run({"SADD", "i", "1", "2", "3", "4"}) == "4");
  BOOST_TEST(encoding("i") == "\"intset\"");
  BOOST_TEST(run({"SADD", "i", "4"}) == "0");
  BOOST_TEST(encoding("i") == "\"intset\"");
  BOOST_TEST(run({"SADD", "i", "5"}) == "1");
  BOOST_TEST(encoding("i") == "\"hashtable\"");
  BOOST_TEST(run({"SREM", "i", "5", "4"}) == "2");
  BOOST_TEST(encoding("i") == "\"hashtable\"");
  for (std::string m : {"1", "2", "3"}) BOOST_TEST(run({"SISMEMBER", "i", m}) == "1");
  // Default limit 512.
  set_max_intset(512);
  std::vector<std::string> args{"SADD", "big"};
  for (int i = 0; i < 512; ++i) args.push_back(std::to_string(i));
  BOOST_TEST(run(args) == "512");
  BOOST_TEST(encoding("big") == "\"intset\"");
  BOOST_TEST(run({"SADD", "big", "512"}) == "1");
  BOOST_TEST(encoding("big") == "\"hashtable\"");
  BOOST_TEST(run({"SCARD", "big"}) == "513");
  // CONFIG SET takes effect on the next add.
  BOOST_TEST(run({"CONFIG", "SET", "set-max-intset-entries", "2"}) == "+OK");
  run({"SADD", "c", "1", "2"});
  BOOST_TEST(encoding("c") == "\"intset\"");
  run({"SADD", "c", "3"});
  BOOST_TEST(encoding("c") == "\"hashtable\"");
}

// ---- SMOVE ----

BOOST_AUTO_TEST_CASE(smove_cases) {
  run({"SADD", "src", "1", "2", "3"});
  run({"SADD", "dst", "a"});
  BOOST_TEST(run({"SMOVE", "src", "dst", "1"}) == "1");
  BOOST_TEST(run({"SISMEMBER", "dst", "1"}) == "1");
  BOOST_TEST(run({"SISMEMBER", "src", "1"}) == "0");
  BOOST_TEST(run({"SMOVE", "src", "dst", "9"}) == "0");
  BOOST_TEST(run({"SMOVE", "src", "src", "2"}) == "1");
  BOOST_TEST(run({"SMOVE", "src", "src", "9"}) == "0");
  BOOST_TEST(run({"SMOVE", "nokey", "dst", "a"}) == "0");
  // Moving to a missing key creates it with the encoding the member suits.
  BOOST_TEST(run({"SMOVE", "src", "new", "2"}) == "1");
  BOOST_TEST(encoding("new") == "\"intset\"");
  BOOST_TEST(run({"SMOVE", "dst", "new2", "a"}) == "1");
  BOOST_TEST(encoding("new2") == "\"hashtable\"");
  // Emptying the source deletes it; a member already in dst still counts as moved.
  run({"SADD", "new", "3"});
  BOOST_TEST(run({"SMOVE", "src", "new", "3"}) == "1");
  BOOST_TEST(run({"EXISTS", "src"}) == "0");
  BOOST_TEST(run({"SMEMBERS", "new"}) == R"(["2","3"])");
  // A non-integer member converts an intset destination.
  run({"SADD", "x", "hello"});
  BOOST_TEST(run({"SMOVE", "x", "new", "hello"}) == "1");
  BOOST_TEST(encoding("new") == "\"hashtable\"");
}

// ---- SINTER / SUNION / SDIFF and the STORE forms ----

BOOST_AUTO_TEST_CASE(inter_union_diff) {
  run({"SADD", "a", "1", "2", "3", "4"});
  run({"SADD", "b", "2", "3", "5"});
  run({"SADD", "c", "3", "4", "2", "x"});
  BOOST_TEST(run({"SINTER", "a", "b"}) == R"(["2","3"])");
  BOOST_TEST(sorted_members({"SINTER", "a", "b", "c"}) == (std::vector<std::string>{"2", "3"}));
  BOOST_TEST(run({"SINTER", "a", "a"}) == R"(["1","2","3","4"])");
  BOOST_TEST(run({"SINTER", "a", "nokey"}) == "[]");
  BOOST_TEST(run({"SINTER", "nokey"}) == "[]");
  BOOST_TEST(run({"SUNION", "a", "b"}) == R"(["1","2","3","4","5"])");
  BOOST_TEST(run({"SUNION", "a", "nokey", "b"}) == R"(["1","2","3","4","5"])");
  BOOST_TEST(sorted_members({"SUNION", "b", "c"}) == (std::vector<std::string>{"2", "3", "4", "5", "x"}));
  BOOST_TEST(run({"SUNION", "nokey"}) == "[]");
  BOOST_TEST(run({"SDIFF", "a", "b"}) == R"(["1","4"])");
  BOOST_TEST(run({"SDIFF", "a", "b", "c"}) == R"(["1"])");
  BOOST_TEST(run({"SDIFF", "a", "nokey"}) == R"(["1","2","3","4"])");
  BOOST_TEST(run({"SDIFF", "nokey", "a"}) == "[]");
  BOOST_TEST(run({"SDIFF", "a", "a"}) == "[]");
  BOOST_TEST(run({"SDIFF", "a", "b", "a"}) == "[]");
  BOOST_TEST(run({"SDIFF", "c", "a"}) == R"(["x"])");
  // A hashtable whose members are all integers unions into an intset: sorted, as Redis.
  run({"SADD", "h", "9", "8", "z"});
  run({"SREM", "h", "z"});
  BOOST_TEST(encoding("h") == "\"hashtable\"");
  BOOST_TEST(run({"SUNION", "h"}) == R"(["8","9"])");
  BOOST_TEST(run({"SDIFF", "h", "nokey"}) == R"(["8","9"])");
}

BOOST_AUTO_TEST_CASE(resp3_set_replies) {
  run({"SADD", "i", "2", "1"});
  BOOST_TEST(wire(3, {"SMEMBERS", "i"}) == "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  BOOST_TEST(wire(2, {"SMEMBERS", "i"}) == "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  BOOST_TEST(wire(3, {"SMEMBERS", "nokey"}) == "~0\r\n");
  BOOST_TEST(wire(3, {"SINTER", "i", "nokey"}) == "~0\r\n");
  BOOST_TEST(wire(3, {"SUNION", "i"}) == "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  BOOST_TEST(wire(3, {"SDIFF", "nokey"}) == "~0\r\n");
  BOOST_TEST(wire(3, {"SRANDMEMBER", "i", "5"}) == "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");  // arrays
  BOOST_TEST(wire(3, {"SRANDMEMBER", "nokey", "2"}) == "*0\r\n");
  BOOST_TEST(wire(3, {"SRANDMEMBER", "i", "0"}) == "*0\r\n");
  BOOST_TEST(wire(3, {"SRANDMEMBER", "nokey"}) == "_\r\n");
  BOOST_TEST(wire(2, {"SRANDMEMBER", "nokey"}) == "$-1\r\n");
  BOOST_TEST(wire(3, {"SPOP", "nokey"}) == "_\r\n");
  BOOST_TEST(wire(3, {"SPOP", "nokey", "2"}) == "~0\r\n");
  BOOST_TEST(wire(3, {"SPOP", "i", "0"}) == "~0\r\n");
  BOOST_TEST(wire(3, {"SSCAN", "i", "0"}) == "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  BOOST_TEST(wire(3, {"SSCAN", "nokey", "0"}) == "*2\r\n$1\r\n0\r\n*0\r\n");
  BOOST_TEST(wire(3, {"SMISMEMBER", "i", "1", "9"}) == "*2\r\n:1\r\n:0\r\n");
  BOOST_TEST(wire(3, {"SPOP", "i", "5"}) == "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
}

BOOST_AUTO_TEST_CASE(store_forms) {
  run({"SADD", "a", "1", "2", "3"});
  run({"SADD", "b", "2", "3", "4"});
  BOOST_TEST(run({"SINTERSTORE", "d", "a", "b"}) == "2");
  BOOST_TEST(run({"SMEMBERS", "d"}) == R"(["2","3"])");
  BOOST_TEST(encoding("d") == "\"intset\"");
  BOOST_TEST(run({"SUNIONSTORE", "d", "a", "b"}) == "4");
  BOOST_TEST(run({"SMEMBERS", "d"}) == R"(["1","2","3","4"])");
  BOOST_TEST(run({"SDIFFSTORE", "d", "a", "b"}) == "1");
  BOOST_TEST(run({"SMEMBERS", "d"}) == R"(["1"])");
  // The destination may be a source.
  BOOST_TEST(run({"SUNIONSTORE", "a", "a", "b"}) == "4");
  BOOST_TEST(run({"SMEMBERS", "a"}) == R"(["1","2","3","4"])");
  BOOST_TEST(run({"SINTERSTORE", "a", "a", "b"}) == "3");
  BOOST_TEST(run({"SMEMBERS", "a"}) == R"(["2","3","4"])");
  BOOST_TEST(run({"SDIFFSTORE", "b", "b", "nokey"}) == "3");
  // An empty result deletes the destination, whatever it held (TTL included).
  run({"SET", "d", "string"});
  BOOST_TEST(run({"SINTERSTORE", "d", "a", "nokey"}) == "0");
  BOOST_TEST(run({"EXISTS", "d"}) == "0");
  run({"SET", "d", "string"});
  BOOST_TEST(run({"SDIFFSTORE", "d", "a", "b"}) == "0");
  BOOST_TEST(run({"EXISTS", "d"}) == "0");
  run({"SET", "d", "string"});
  BOOST_TEST(run({"SUNIONSTORE", "d", "nokey"}) == "0");
  BOOST_TEST(run({"EXISTS", "d"}) == "0");
  // A non-empty result replaces any type and drops the TTL (Redis setKey).
  run({"SET", "d", "string", "EX", "100"});
  BOOST_TEST(run({"SUNIONSTORE", "d", "a"}) == "3");
  BOOST_TEST(run({"TYPE", "d"}) == "+set");
  BOOST_TEST(run({"TTL", "d"}) == "-1");
  // Results convert as they grow.
  run({"SADD", "w", "x", "2"});
  BOOST_TEST(run({"SUNIONSTORE", "u", "a", "w"}) == "4");
  BOOST_TEST(encoding("u") == "\"hashtable\"");
  BOOST_TEST(run({"SINTERSTORE", "u", "a", "w"}) == "1");
  BOOST_TEST(encoding("u") == "\"intset\"");
}

BOOST_AUTO_TEST_CASE(sintercard_options_and_errors) {
  run({"SADD", "a", "1", "2", "3", "4"});
  run({"SADD", "b", "2", "3", "4", "5"});
  BOOST_TEST(run({"SINTERCARD", "2", "a", "b"}) == "3");
  BOOST_TEST(run({"SINTERCARD", "2", "a", "b", "LIMIT", "2"}) == "2");
  BOOST_TEST(run({"SINTERCARD", "2", "a", "b", "limit", "0"}) == "3");
  BOOST_TEST(run({"SINTERCARD", "2", "a", "b", "LIMIT", "10"}) == "3");
  BOOST_TEST(run({"SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "2"}) == "2");
  BOOST_TEST(run({"SINTERCARD", "1", "a"}) == "4");
  BOOST_TEST(run({"SINTERCARD", "2", "a", "nokey"}) == "0");
  BOOST_TEST(run({"SINTERCARD", "0", "a"}) == "-ERR numkeys should be greater than 0");
  BOOST_TEST(run({"SINTERCARD", "-1", "a"}) == "-ERR numkeys should be greater than 0");
  BOOST_TEST(run({"SINTERCARD", "abc", "a"}) == "-ERR numkeys should be greater than 0");
  BOOST_TEST(run({"SINTERCARD", "3", "a", "b"}) == "-ERR Number of keys can't be greater than number of args");
  BOOST_TEST(run({"SINTERCARD", "1", "a", "LIMIT", "-1"}) == "-ERR LIMIT can't be negative");
  BOOST_TEST(run({"SINTERCARD", "1", "a", "LIMIT", "x"}) == "-ERR LIMIT can't be negative");
  BOOST_TEST(run({"SINTERCARD", "1", "a", "LIMIT"}) == syntax);
  BOOST_TEST(run({"SINTERCARD", "1", "a", "foo"}) == syntax);
  // The key list may hold the word LIMIT when numkeys says so.
  run({"SADD", "LIMIT", "3"});
  BOOST_TEST(run({"SINTERCARD", "2", "a", "LIMIT"}) == "1");
}

// ---- SPOP / SRANDMEMBER ----

BOOST_AUTO_TEST_CASE(spop_and_srandmember_errors_and_edges) {
  run({"SADD", "i", "1", "2", "3"});
  BOOST_TEST(run({"SPOP", "i", "-1"}) == "-ERR value is out of range, must be positive");
  BOOST_TEST(run({"SPOP", "i", "abc"}) == "-ERR value is out of range, must be positive");
  BOOST_TEST(run({"SPOP", "nokey"}) == "nil");
  BOOST_TEST(run({"SPOP", "nokey", "3"}) == "[]");
  BOOST_TEST(run({"SPOP", "i", "0"}) == "[]");
  BOOST_TEST(run({"SRANDMEMBER", "i", "abc"}) == not_int);
  BOOST_TEST(run({"SRANDMEMBER", "i", "1.5"}) == not_int);
  BOOST_TEST(run({"SRANDMEMBER", "i", "-9223372036854775808"}) ==
             "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
  BOOST_TEST(run({"SRANDMEMBER", "nokey"}) == "nil");
  BOOST_TEST(run({"SRANDMEMBER", "nokey", "3"}) == "[]");
  BOOST_TEST(run({"SRANDMEMBER", "i", "0"}) == "[]");
  BOOST_TEST(run({"SRANDMEMBER", "i", "3"}) == R"(["1","2","3"])");
  BOOST_TEST(run({"SRANDMEMBER", "i", "9223372036854775807"}) == R"(["1","2","3"])");
  BOOST_TEST(h.run({"SRANDMEMBER", "i", "-7"}).elems.size() == 7u);
  BOOST_TEST(h.run({"SRANDMEMBER", "i", "2"}).elems.size() == 2u);
  BOOST_TEST(run({"SCARD", "i"}) == "3");
  // SPOP with a count >= size returns everything and deletes the key.
  BOOST_TEST(run({"SPOP", "i", "3"}) == R"(["1","2","3"])");
  BOOST_TEST(run({"EXISTS", "i"}) == "0");
  run({"SADD", "i", "7"});
  BOOST_TEST(run({"SPOP", "i"}) == "\"7\"");
  BOOST_TEST(run({"EXISTS", "i"}) == "0");
  run({"SADD", "h", "only"});
  BOOST_TEST(run({"SRANDMEMBER", "h", "-3"}) == R"(["only","only","only"])");
  BOOST_TEST(run({"SPOP", "h", "1"}) == R"(["only"])");
  BOOST_TEST(run({"EXISTS", "h"}) == "0");
}

/// SPOP with each count strategy (Redis cases 1-3) on both encodings: every popped member
/// was a member, none twice, the rest stays, sizes add up.
BOOST_AUTO_TEST_CASE(spop_count_strategies) {
  for (std::string prefix : {"", "m"}) {  // intset (integers) and hashtable
    for (int count : {1, 3, 50, 90, 99, 100, 150}) {
      run({"DEL", "s"});
      fill("s", 100, prefix);
      auto r = h.run({"SPOP", "s", std::to_string(count)});
      std::set<std::string> popped;
      for (auto& e : r.elems) popped.insert(e.str);
      std::size_t expect = static_cast<std::size_t>(std::min(count, 100));
      BOOST_TEST_CONTEXT("prefix '" << prefix << "' count " << count) {
        BOOST_TEST(r.elems.size() == expect);
        BOOST_TEST(popped.size() == expect);
        for (auto& m : popped) BOOST_TEST(run({"SISMEMBER", "s", m}) == "0");
        std::string left = std::to_string(100 - expect);
        BOOST_TEST(run({"SCARD", "s"}) == left);
        auto rest = sorted_members({"SMEMBERS", "s"});
        for (auto& m : rest) BOOST_TEST(popped.count(m) == 0u);
      }
    }
  }
}

/// Chi-square sanity check: draws should hit every member about equally.
BOOST_AUTO_TEST_CASE(random_member_distribution) {
  auto check = [&](const std::string& key, int members, int draws, const std::vector<std::string>& cmd) {
    std::map<std::string, int> hits;
    for (int got = 0; got < draws;) {
      auto r = h.run(cmd);
      if (r.k == kvd::protocol::reply::kind::bulk) {
        ++hits[r.str];
        ++got;
      } else {
        for (auto& e : r.elems) ++hits[e.str], ++got;
      }
    }
    BOOST_TEST(hits.size() == static_cast<std::size_t>(members));
    double expect = static_cast<double>(draws) / members, chi = 0;
    for (auto& [m, n] : hits) chi += (n - expect) * (n - expect) / expect;
    // df = members-1 = 49: P(chi2 > 115) is below 1e-6 for a uniform draw.
    BOOST_TEST_CONTEXT(key << " " << cmd[0] << " chi2=" << chi) { BOOST_TEST(chi < 115.0); }
  };
  fill("h", 50, "member:");
  fill("i", 50, "");
  BOOST_TEST(encoding("h") == "\"hashtable\"");
  BOOST_TEST(encoding("i") == "\"intset\"");
  check("h", 50, 50'000, {"SRANDMEMBER", "h"});
  check("h", 50, 50'000, {"SRANDMEMBER", "h", "-100"});
  check("h", 50, 50'000, {"SRANDMEMBER", "h", "5"});   // distinct draws (case 4)
  check("h", 50, 50'000, {"SRANDMEMBER", "h", "30"});  // partial shuffle (case 3)
  check("i", 50, 50'000, {"SRANDMEMBER", "i", "-100"});
  check("i", 50, 50'000, {"SRANDMEMBER", "i", "5"});
  // SPOP: which member goes first, over many refills.
  std::map<std::string, int> first;
  for (int round = 0; round < 5000; ++round) {
    run({"DEL", "p"});
    fill("p", 10, "x");
    ++first[h.run({"SPOP", "p"}).str];
  }
  BOOST_TEST(first.size() == 10u);
  double chi = 0;
  for (auto& [m, n] : first) chi += (n - 500.0) * (n - 500.0) / 500.0;
  BOOST_TEST(chi < 48.0);  // df 9: P(chi2 > 48) is below 1e-6
}

/// random_member stays uniform when chains differ in length and after deletions shrink
/// the table (the chain bound is recomputed).
BOOST_AUTO_TEST_CASE(random_member_after_shrink) {
  set_object s(set_object::kind::hashtable);
  auto key = [](int i) { return std::to_string(i) + "k"; };
  for (int i = 0; i < 5000; ++i) s.add(key(i), 512);
  for (int i = 20; i < 5000; ++i) s.remove(key(i));
  BOOST_TEST(s.length() == 20u);
  std::map<std::string, int> hits;
  for (int i = 0; i < 40'000; ++i) ++hits[std::string(s.random_member().view())];
  BOOST_TEST(hits.size() == 20u);
  double chi = 0;
  for (auto& [m, n] : hits) chi += (n - 2000.0) * (n - 2000.0) / 2000.0;
  BOOST_TEST(chi < 72.0);  // df 19: P(chi2 > 72) is below 1e-6
}

// ---- SSCAN ----

BOOST_AUTO_TEST_CASE(sscan_full_coverage_hashtable) {
  fill("s", 1000, "member:");
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    auto r = h.run({"SSCAN", "s", cursor, "COUNT", "7"});
    BOOST_TEST_REQUIRE(r.elems.size() == 2u);
    cursor = r.elems[0].str;
    for (auto& e : r.elems[1].elems) seen.insert(e.str);
    ++calls;
  } while (cursor != "0" && calls < 10'000);
  BOOST_TEST(seen.size() == 1000u);
  BOOST_TEST(calls > 10);  // it really was incremental
  // Members present for the whole scan are returned even while the set grows and shrinks.
  seen.clear();
  cursor = "0";
  int round = 0;
  do {
    auto r = h.run({"SSCAN", "s", cursor});
    cursor = r.elems[0].str;
    for (auto& e : r.elems[1].elems) seen.insert(e.str);
    if (++round == 5) fill("s", 3000, "extra:");          // grow: rehash to more buckets
    if (round == 30) {
      for (int i = 0; i < 3000; i += 100) {
        std::vector<std::string> args{"SREM", "s"};
        for (int j = i; j < i + 100; ++j) args.push_back("extra:" + std::to_string(j));
        run(args);
      }
    }
  } while (cursor != "0");
  for (int i = 0; i < 1000; ++i) BOOST_TEST_REQUIRE(seen.count("member:" + std::to_string(i)) == 1u);
  // MATCH filters after gathering.
  seen.clear();
  cursor = "0";
  do {
    auto r = h.run({"SSCAN", "s", cursor, "MATCH", "member:1?", "COUNT", "100"});
    cursor = r.elems[0].str;
    for (auto& e : r.elems[1].elems) seen.insert(e.str);
  } while (cursor != "0");
  BOOST_TEST(seen.size() == 10u);
}

BOOST_AUTO_TEST_CASE(sscan_intset_and_errors) {
  run({"SADD", "i", "10", "2", "13", "1"});
  BOOST_TEST(run({"SSCAN", "i", "0"}) == R"(["0",["1","2","10","13"]])");
  BOOST_TEST(run({"SSCAN", "i", "12345"}) == R"(["0",["1","2","10","13"]])");
  BOOST_TEST(run({"SSCAN", "i", "0", "MATCH", "1*", "COUNT", "1"}) == R"(["0",["1","10","13"]])");
  BOOST_TEST(run({"SSCAN", "i", "0", "MATCH", "1*", "MATCH", "2*"}) == R"(["0",["2"]])");
  BOOST_TEST(run({"SSCAN", "i", "-1"}) == R"(["0",["1","2","10","13"]])");
  BOOST_TEST(run({"SSCAN", "i", "abc"}) == "-ERR invalid cursor");
  BOOST_TEST(run({"SSCAN", "i", "18446744073709551616"}) == "-ERR invalid cursor");
  BOOST_TEST(run({"SSCAN", "i", "0", "COUNT", "0"}) == syntax);
  BOOST_TEST(run({"SSCAN", "i", "0", "COUNT", "abc"}) == not_int);
  BOOST_TEST(run({"SSCAN", "i", "0", "TYPE", "set"}) == syntax);
  BOOST_TEST(run({"SSCAN", "i", "0", "MATCH"}) == syntax);
  BOOST_TEST(run({"SSCAN", "nokey", "0", "COUNT", "0"}) == R"(["0",[]])");  // options unread
}

// ---- AOF propagation ----

BOOST_AUTO_TEST_CASE(propagation) {
  aof_tap aof;
  h.state().aof.store(aof.w.get());
  run({"SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"});
  run({"SADD", "s", "1"});  // no-op
  run({"SREM", "s", "99"});  // no-op
  run({"SREM", "nokey", "1"});
  run({"SPOP", "nokey"});
  run({"SPOP", "s", "0"});
  run({"SMOVE", "s", "s", "1"});
  run({"SMOVE", "s", "d", "99"});
  run({"SINTERSTORE", "d", "s", "nokey"});  // empty result, nothing deleted
  auto log = aof.take();
  BOOST_TEST(log == (std::vector<std::string>{"SADD s 1 2 3 4 5 6 7 8 9 10"}), boost::test_tools::per_element());

  auto one = h.run({"SPOP", "s"}).str;
  log = aof.take();
  BOOST_TEST(log == (std::vector<std::string>{"SREM s " + one}), boost::test_tools::per_element());

  // With a count: one SREM record of every popped member, so replay applies all or none.
  auto few = h.run({"SPOP", "s", "2"});  // case 2: picked one by one
  log = aof.take();
  BOOST_TEST_REQUIRE(log.size() == 1u);
  BOOST_TEST(log[0] == "SREM s " + few.elems[0].str + " " + few.elems[1].str);

  auto many = h.run({"SPOP", "s", "6"});  // 7 left: case 3 (survivors moved)
  log = aof.take();
  BOOST_TEST_REQUIRE(log.size() == 1u);
  std::string want = "SREM s";
  for (std::size_t i = 0; i < 6; ++i) want += " " + many.elems[i].str;
  BOOST_TEST(log[0] == want);
  BOOST_TEST(run({"SCARD", "s"}) == "1");

  run({"SADD", "t", "a", "b"});
  run({"SPOP", "t", "5"});
  log = aof.take();
  BOOST_TEST(log == (std::vector<std::string>{"SADD t a b", "DEL t"}), boost::test_tools::per_element());

  run({"SADD", "x", "a", "b"});
  run({"SMOVE", "x", "y", "a"});
  run({"SUNIONSTORE", "u", "x", "y"});
  run({"SDIFFSTORE", "u", "x", "x"});   // empty result deletes u: logged
  run({"SDIFFSTORE", "u", "x", "x"});   // nothing to delete: not logged
  run({"SRANDMEMBER", "x"});
  log = aof.take();
  BOOST_TEST(log == (std::vector<std::string>{"SADD x a b", "SMOVE x y a", "SUNIONSTORE u x y", "SDIFFSTORE u x x"}),
             boost::test_tools::per_element());
  h.state().aof.store(nullptr);
}

// ---- store-level: clone, memory, encodings ----

BOOST_AUTO_TEST_CASE(clone_and_copy_keep_encoding) {
  run({"SADD", "i", "1", "2"});
  run({"SADD", "h", "a", "b", std::string(40, 'z')});
  BOOST_TEST(run({"COPY", "i", "i2"}) == "1");
  BOOST_TEST(run({"COPY", "h", "h2"}) == "1");
  BOOST_TEST(encoding("i2") == "\"intset\"");
  BOOST_TEST(encoding("h2") == "\"hashtable\"");
  run({"SADD", "h", "c"});
  BOOST_TEST(run({"SCARD", "h2"}) == "3");
  BOOST_TEST(run({"SISMEMBER", "h2", std::string(40, 'z')}) == "1");
  BOOST_TEST(set_at("h2").length() == 3u);
}

BOOST_AUTO_TEST_CASE(memory_per_member) {
  // 100k members like "member:123456": nodes are 32 bytes with the member inline, plus the
  // bucket array (8 bytes per bucket, load factor 0.5..1). Redis 7.0 uses ~70 B/member.
  set_object s(set_object::kind::hashtable);
  std::size_t base = s.memory_usage();
  for (int i = 0; i < 100'000; ++i) s.add("member:" + std::to_string(100000 + i), 512);
  double per = static_cast<double>(s.memory_usage() - base) / 100'000;
  BOOST_TEST(per <= 48.0);
  // Long members add their heap bytes; removing them gives them back.
  set_object l(set_object::kind::hashtable);
  std::size_t before = l.memory_usage();
  l.add(std::string(100, 'a'), 512);
  BOOST_TEST(l.memory_usage() >= before + 100);
  l.remove(std::string(100, 'a'));
  BOOST_TEST(l.memory_usage() <= before + 64);  // at most the empty bucket array
  // An intset costs its width per member.
  set_object is;
  std::size_t b0 = is.memory_usage();
  for (int i = 0; i < 100; ++i) is.add(std::to_string(i), 512);
  BOOST_TEST(is.memory_usage() - b0 == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
