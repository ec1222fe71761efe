#define BOOST_TEST_MODULE string_family
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/store/value.hpp"

// Expected replies were checked against Debian's redis-server 7.0.15. Replies are compared
// via reply::debug_string(): +simple, -error, integer, "bulk", nil, [array], {map}.

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;  // frozen_clock's start, Unix ms

/// A stand-in collection so that keys can hold a non-string value before the collection
/// families exist.
class fake_list final : public kvd::store::collection {
 public:
  std::string_view encoding() const noexcept override { return "quicklist"; }
  std::size_t memory_usage() const noexcept override { return 0; }
  std::unique_ptr<collection> clone() const override { return std::make_unique<fake_list>(); }
  std::size_t length() const noexcept override { return 1; }
};

struct fixture {
  kvd::test::frozen_clock clk;
  kvd::test::harness h;

  /// Runs a command and renders its reply.
  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  kvd::store::database& db() { return h.keyspace().db(0); }
  /// Absolute expire (Unix ms) of an existing key, -1 when none.
  std::int64_t expire_of(const std::string& key) { return db().expire_of(key); }
  /// Stores a non-string value at `key`.
  void make_list(const std::string& key) {
    db().set(key, kvd::store::value::make_collection(kvd::store::value_type::list, std::make_unique<fake_list>()));
  }
  void set_max_bulk(std::int64_t n) { h.state().config.proto_max_bulk_len.store(n); }
};

const std::string wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value";
const std::string not_int = "-ERR value is not an integer or out of range";
const std::string not_float = "-ERR value is not a valid float";
const std::string syntax = "-ERR syntax error";
const std::string too_long = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(string_family, fixture)

// ---- table rows ----

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  auto& t = h.state().table;
  using row = kvd::test::expected_row;
  using namespace kvd::command;
  const row rows[] = {
      {"get", 2, f_readonly | f_fast, 1, 1, 1, "read string fast"},
      {"set", -3, f_write | f_denyoom, 1, 1, 1, "write string slow"},
      {"setnx", 3, f_write | f_denyoom | f_fast, 1, 1, 1, "write string fast"},
      {"setex", 4, f_write | f_denyoom, 1, 1, 1, "write string slow"},
      {"psetex", 4, f_write | f_denyoom, 1, 1, 1, "write string slow"},
      {"getset", 3, f_write | f_denyoom | f_fast, 1, 1, 1, "write string fast"},
      {"getdel", 2, f_write | f_fast, 1, 1, 1, "write string fast"},
      {"getex", -2, f_write | f_fast, 1, 1, 1, "write string fast"},
      {"mget", -2, f_readonly | f_fast, 1, -1, 1, "read string fast"},
      {"mset", -3, f_write | f_denyoom, 1, -1, 2, "write string slow"},
      {"msetnx", -3, f_write | f_denyoom, 1, -1, 2, "write string slow"},
      {"append", 3, f_write | f_denyoom | f_fast, 1, 1, 1, "write string fast"},
      {"strlen", 2, f_readonly | f_fast, 1, 1, 1, "read string fast"},
      {"getrange", 4, f_readonly, 1, 1, 1, "read string slow"},
      {"substr", 4, f_readonly, 1, 1, 1, "read string slow"},
      {"setrange", 4, f_write | f_denyoom, 1, 1, 1, "write string slow"},
      {"incr", 2, f_write | f_denyoom | f_fast, 1, 1, 1, "write string fast"},
      {"decr", 2, f_write | f_denyoom | f_fast, 1, 1, 1, "write string fast"},
      {"incrby", 3, f_write | f_denyoom | f_fast, 1, 1, 1, "write string fast"},
      {"decrby", 3, f_write | f_denyoom | f_fast, 1, 1, 1, "write string fast"},
      {"incrbyfloat", 3, f_write | f_denyoom | f_fast, 1, 1, 1, "write string fast"},
      {"lcs", -3, f_readonly, 1, 2, 1, "read string slow"},
  };
  kvd::test::check_rows(t, rows);
}

BOOST_AUTO_TEST_CASE(arity_errors) {
  BOOST_TEST(run({"GET"}) == "-ERR wrong number of arguments for 'get' command");
  BOOST_TEST(run({"GET", "a", "b"}) == "-ERR wrong number of arguments for 'get' command");
  BOOST_TEST(run({"SET", "k"}) == "-ERR wrong number of arguments for 'set' command");
  BOOST_TEST(run({"SETEX", "k", "10"}) == "-ERR wrong number of arguments for 'setex' command");
  BOOST_TEST(run({"GETEX"}) == "-ERR wrong number of arguments for 'getex' command");
  BOOST_TEST(run({"LCS", "a"}) == "-ERR wrong number of arguments for 'lcs' command");
}

// ---- GET / SET ----

BOOST_AUTO_TEST_CASE(get_and_set_basics) {
  BOOST_TEST(run({"GET", "k"}) == "nil");
  BOOST_TEST(run({"SET", "k", "v"}) == "+OK");
  BOOST_TEST(run({"GET", "k"}) == "\"v\"");
  BOOST_TEST(run({"SET", "k", "other"}) == "+OK");
  BOOST_TEST(run({"GET", "k"}) == "\"other\"");
  // Binary-safe, long (heap) values.
  std::string bin("a\0b\r\nc", 6);
  BOOST_TEST(run({"SET", "bin", bin}) == "+OK");
  BOOST_TEST(h.run({"GET", "bin"}).str == bin);
  std::string big(1000, 'x');
  BOOST_TEST(run({"SET", "big", big}) == "+OK");
  BOOST_TEST(h.run({"GET", "big"}).str == big);
  BOOST_TEST(run({"SET", "empty", ""}) == "+OK");
  BOOST_TEST(run({"GET", "empty"}) == "\"\"");
  make_list("l");
  BOOST_TEST(run({"GET", "l"}) == wrongtype);
  BOOST_TEST(run({"SET", "l", "s"}) == "+OK");  // SET replaces any type
  BOOST_TEST(run({"GET", "l"}) == "\"s\"");
}

BOOST_AUTO_TEST_CASE(get_set_wire_bytes) {
  BOOST_TEST(h.wire({"GET", "missing"}) == "$-1\r\n");
  BOOST_TEST(h.wire({"SET", "k", "hello"}) == "+OK\r\n");
  BOOST_TEST(h.wire({"GET", "k"}) == "$5\r\nhello\r\n");
  BOOST_TEST(h.wire({"SET", "k", "x", "NX"}) == "$-1\r\n");
  h.client().resp = 3;
  BOOST_TEST(h.wire({"GET", "missing"}) == "_\r\n");
  BOOST_TEST(h.wire({"SET", "k", "x", "NX"}) == "_\r\n");
  BOOST_TEST(h.wire({"SET", "k2", "x", "GET"}) == "_\r\n");
}

BOOST_AUTO_TEST_CASE(set_nx_xx) {
  BOOST_TEST(run({"SET", "k", "1", "XX"}) == "nil");
  BOOST_TEST(run({"GET", "k"}) == "nil");
  BOOST_TEST(run({"SET", "k", "1", "NX"}) == "+OK");
  BOOST_TEST(run({"SET", "k", "2", "NX"}) == "nil");
  BOOST_TEST(run({"GET", "k"}) == "\"1\"");
  BOOST_TEST(run({"SET", "k", "3", "xx"}) == "+OK");
  BOOST_TEST(run({"GET", "k"}) == "\"3\"");
  BOOST_TEST(run({"SET", "k", "4", "nx", "NX"}) == "nil");  // repeating an option is fine
  // A logically expired key counts as absent for NX and XX.
  BOOST_TEST(run({"SET", "t", "1", "PX", "10"}) == "+OK");
  clk.advance(10);
  BOOST_TEST(run({"SET", "t", "2", "XX"}) == "nil");
  BOOST_TEST(run({"SET", "t", "3", "NX"}) == "+OK");
  BOOST_TEST(expire_of("t") == -1);
}

BOOST_AUTO_TEST_CASE(set_syntax_errors) {
  for (std::vector<std::string> extra : std::vector<std::vector<std::string>>{
           {"NX", "XX"}, {"XX", "NX"}, {"EX", "10", "PX", "10"}, {"PX", "10", "EX", "10"},
           {"EX", "10", "KEEPTTL"}, {"KEEPTTL", "EX", "10"}, {"KEEPTTL", "PXAT", "10"},
           {"EXAT", "10", "PXAT", "10"}, {"EX"}, {"PX"}, {"EXAT"}, {"PXAT"}, {"FOO"},
           {"PERSIST"}, {"EX", "abc", "FOO"}, {"EX", "0", "BAR"}, {"NXX"}, {"GETT"}}) {
    std::vector<std::string> args{"SET", "k", "v"};
    args.insert(args.end(), extra.begin(), extra.end());
    BOOST_TEST_CONTEXT(extra.front()) { BOOST_TEST(run(args) == syntax); }
  }
  BOOST_TEST(run({"GET", "k"}) == "nil");
}

BOOST_AUTO_TEST_CASE(options_stop_at_nul_like_redis_c_strings) {
  BOOST_TEST(run({"SET", "k", "v", std::string("NX\0junk", 7)}) == "+OK");
  BOOST_TEST(run({"SET", "k", "w", std::string("NX\0", 3)}) == "nil");
  BOOST_TEST(run({"SET", "k", "v", std::string("EX\0z", 4), "10"}) == "+OK");
  BOOST_TEST(expire_of("k") == t0 + 10'000);
  BOOST_TEST(run({"GETEX", "k", std::string("PERSIST\0a", 9)}) == "\"v\"");
  BOOST_TEST(expire_of("k") == -1);
  BOOST_TEST(run({"SET", "k", "v", std::string("\0NX", 3)}) == syntax);
  BOOST_TEST(run({"LCS", "k", "k", std::string("LEN\0x", 5)}) == "1");
}

BOOST_AUTO_TEST_CASE(set_expire_options) {
  BOOST_TEST(run({"SET", "k", "v", "EX", "10"}) == "+OK");
  BOOST_TEST(expire_of("k") == t0 + 10'000);
  BOOST_TEST(run({"SET", "k", "v", "px", "1500"}) == "+OK");
  BOOST_TEST(expire_of("k") == t0 + 1'500);
  BOOST_TEST(run({"SET", "k", "v", "EXAT", std::to_string(t0 / 1000 + 100)}) == "+OK");
  BOOST_TEST(expire_of("k") == t0 + 100'000);
  BOOST_TEST(run({"SET", "k", "v", "PXAT", std::to_string(t0 + 123)}) == "+OK");
  BOOST_TEST(expire_of("k") == t0 + 123);
  // The last of a repeated option wins.
  BOOST_TEST(run({"SET", "k", "v", "EX", "10", "EX", "20"}) == "+OK");
  BOOST_TEST(expire_of("k") == t0 + 20'000);
  // Plain SET drops the TTL; KEEPTTL keeps it.
  BOOST_TEST(run({"SET", "k", "v2", "KEEPTTL"}) == "+OK");
  BOOST_TEST(expire_of("k") == t0 + 20'000);
  BOOST_TEST(run({"GET", "k"}) == "\"v2\"");
  BOOST_TEST(run({"SET", "k", "v3"}) == "+OK");
  BOOST_TEST(expire_of("k") == -1);
  // Keys with EX vanish once the clock passes their expire.
  BOOST_TEST(run({"SET", "e", "v", "EX", "2"}) == "+OK");
  clk.advance(1'999);
  BOOST_TEST(run({"GET", "e"}) == "\"v\"");
  clk.advance(1);
  BOOST_TEST(run({"GET", "e"}) == "nil");
  BOOST_TEST(db().find("e") == nullptr);
  // KEEPTTL on an expired key does not resurrect the old TTL.
  BOOST_TEST(run({"SET", "e2", "v", "PX", "5"}) == "+OK");
  clk.advance(5);
  BOOST_TEST(run({"SET", "e2", "new", "KEEPTTL"}) == "+OK");
  BOOST_TEST(expire_of("e2") == -1);
  BOOST_TEST(run({"GET", "e2"}) == "\"new\"");
}

BOOST_AUTO_TEST_CASE(set_expire_errors) {
  const std::string invalid = "-ERR invalid expire time in 'set' command";
  BOOST_TEST(run({"SET", "k", "v", "EX", "0"}) == invalid);
  BOOST_TEST(run({"SET", "k", "v", "EX", "-1"}) == invalid);
  BOOST_TEST(run({"SET", "k", "v", "PX", "0"}) == invalid);
  BOOST_TEST(run({"SET", "k", "v", "EXAT", "0"}) == invalid);
  BOOST_TEST(run({"SET", "k", "v", "PXAT", "-5"}) == invalid);
  BOOST_TEST(run({"SET", "k", "v", "EX", "9223372036854775807"}) == invalid);   // * 1000 overflows
  BOOST_TEST(run({"SET", "k", "v", "EXAT", "9223372036854775807"}) == invalid);
  BOOST_TEST(run({"SET", "k", "v", "PX", "9223372036854775807"}) == invalid);   // + now overflows
  BOOST_TEST(run({"SET", "k", "v", "EX", "abc"}) == not_int);
  BOOST_TEST(run({"SET", "k", "v", "EX", "1.5"}) == not_int);
  BOOST_TEST(run({"SET", "k", "v", "EX", "9223372036854775808"}) == not_int);
  BOOST_TEST(run({"GET", "k"}) == "nil");
  // The largest PXAT is accepted.
  BOOST_TEST(run({"SET", "k", "v", "PXAT", "9223372036854775807"}) == "+OK");
  BOOST_TEST(expire_of("k") == INT64_MAX);
  BOOST_TEST(run({"SET", "k", "v", "EXAT", "9223372036854775"}) == "+OK");
  BOOST_TEST(expire_of("k") == 9223372036854775000LL);
  BOOST_TEST(run({"SET", "k", "v", "EX", "9223372036854775"}) == "-ERR invalid expire time in 'set' command");
}

BOOST_AUTO_TEST_CASE(set_with_past_absolute_expire_reads_as_absent) {
  BOOST_TEST(run({"SET", "k", "old"}) == "+OK");
  BOOST_TEST(run({"SET", "k", "v", "EXAT", "1"}) == "+OK");
  BOOST_TEST(run({"GET", "k"}) == "nil");
  BOOST_TEST(run({"STRLEN", "k"}) == "0");
  BOOST_TEST(run({"SET", "p", "v", "PXAT", std::to_string(t0)}) == "+OK");
  BOOST_TEST(run({"MGET", "p"}) == "[nil]");
  BOOST_TEST(run({"SETNX", "p", "again"}) == "1");
  BOOST_TEST(run({"GET", "p"}) == "\"again\"");
}

BOOST_AUTO_TEST_CASE(set_get_option) {
  BOOST_TEST(run({"SET", "k", "v1", "GET"}) == "nil");
  BOOST_TEST(run({"GET", "k"}) == "\"v1\"");
  BOOST_TEST(run({"SET", "k", "v2", "GET"}) == "\"v1\"");
  BOOST_TEST(run({"SET", "k", "v3", "get", "GET"}) == "\"v2\"");
  // NX + GET is allowed in 7.0: replies the old value, sets only when absent.
  BOOST_TEST(run({"SET", "k", "v4", "NX", "GET"}) == "\"v3\"");
  BOOST_TEST(run({"GET", "k"}) == "\"v3\"");
  BOOST_TEST(run({"SET", "n", "x", "GET", "NX"}) == "nil");
  BOOST_TEST(run({"GET", "n"}) == "\"x\"");
  BOOST_TEST(run({"SET", "m", "x", "XX", "GET"}) == "nil");
  BOOST_TEST(run({"GET", "m"}) == "nil");
  BOOST_TEST(run({"SET", "k", "v5", "XX", "GET", "EX", "10"}) == "\"v3\"");
  BOOST_TEST(expire_of("k") == t0 + 10'000);
  // WRONGTYPE stops the SET.
  make_list("l");
  BOOST_TEST(run({"SET", "l", "v", "GET"}) == wrongtype);
  BOOST_TEST(run({"GET", "l"}) == wrongtype);
  // The expire is validated before GET.
  BOOST_TEST(run({"SET", "l", "v", "GET", "EX", "0"}) == "-ERR invalid expire time in 'set' command");
  BOOST_TEST(run({"SET", "k", "v", "GET", "NX", "XX"}) == syntax);
}

// ---- SETNX / SETEX / PSETEX ----

BOOST_AUTO_TEST_CASE(setnx) {
  BOOST_TEST(run({"SETNX", "k", "a"}) == "1");
  BOOST_TEST(run({"SETNX", "k", "b"}) == "0");
  BOOST_TEST(run({"GET", "k"}) == "\"a\"");
  make_list("l");
  BOOST_TEST(run({"SETNX", "l", "b"}) == "0");
  BOOST_TEST(h.wire({"SETNX", "k2", "a"}) == ":1\r\n");
}

BOOST_AUTO_TEST_CASE(setex_psetex) {
  BOOST_TEST(run({"SETEX", "k", "10", "v"}) == "+OK");
  BOOST_TEST(expire_of("k") == t0 + 10'000);
  BOOST_TEST(run({"GET", "k"}) == "\"v\"");
  BOOST_TEST(run({"PSETEX", "k", "250", "w"}) == "+OK");
  BOOST_TEST(expire_of("k") == t0 + 250);
  clk.advance(250);
  BOOST_TEST(run({"GET", "k"}) == "nil");
  BOOST_TEST(run({"SETEX", "k", "0", "v"}) == "-ERR invalid expire time in 'setex' command");
  BOOST_TEST(run({"SETEX", "k", "-10", "v"}) == "-ERR invalid expire time in 'setex' command");
  BOOST_TEST(run({"PSETEX", "k", "-1", "v"}) == "-ERR invalid expire time in 'psetex' command");
  BOOST_TEST(run({"SETEX", "k", "ten", "v"}) == not_int);
  BOOST_TEST(run({"GET", "k"}) == "nil");
  make_list("l");
  BOOST_TEST(run({"SETEX", "l", "5", "v"}) == "+OK");
  BOOST_TEST(run({"GET", "l"}) == "\"v\"");
}

// ---- GETSET / GETDEL / GETEX ----

BOOST_AUTO_TEST_CASE(getset) {
  BOOST_TEST(run({"GETSET", "k", "a"}) == "nil");
  BOOST_TEST(run({"GET", "k"}) == "\"a\"");
  BOOST_TEST(run({"SET", "k", "a", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"GETSET", "k", "b"}) == "\"a\"");
  BOOST_TEST(expire_of("k") == -1);  // GETSET drops the TTL like SET
  BOOST_TEST(run({"GET", "k"}) == "\"b\"");
  make_list("l");
  BOOST_TEST(run({"GETSET", "l", "x"}) == wrongtype);
  BOOST_TEST(run({"GET", "l"}) == wrongtype);
}

BOOST_AUTO_TEST_CASE(getdel) {
  BOOST_TEST(run({"GETDEL", "k"}) == "nil");
  BOOST_TEST(run({"SET", "k", "v", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"GETDEL", "k"}) == "\"v\"");
  BOOST_TEST(run({"GET", "k"}) == "nil");
  BOOST_TEST(db().find("k") == nullptr);
  make_list("l");
  BOOST_TEST(run({"GETDEL", "l"}) == wrongtype);
  BOOST_TEST(db().find("l") != nullptr);
}

BOOST_AUTO_TEST_CASE(getex_options) {
  BOOST_TEST(run({"SET", "k", "v"}) == "+OK");
  BOOST_TEST(run({"GETEX", "k"}) == "\"v\"");
  BOOST_TEST(expire_of("k") == -1);
  BOOST_TEST(run({"GETEX", "k", "EX", "10"}) == "\"v\"");
  BOOST_TEST(expire_of("k") == t0 + 10'000);
  BOOST_TEST(run({"GETEX", "k"}) == "\"v\"");
  BOOST_TEST(expire_of("k") == t0 + 10'000);  // no option: TTL untouched
  BOOST_TEST(run({"GETEX", "k", "px", "500"}) == "\"v\"");
  BOOST_TEST(expire_of("k") == t0 + 500);
  BOOST_TEST(run({"GETEX", "k", "EXAT", std::to_string(t0 / 1000 + 50)}) == "\"v\"");
  BOOST_TEST(expire_of("k") == t0 + 50'000);
  BOOST_TEST(run({"GETEX", "k", "PXAT", std::to_string(t0 + 77)}) == "\"v\"");
  BOOST_TEST(expire_of("k") == t0 + 77);
  BOOST_TEST(run({"GETEX", "k", "PERSIST"}) == "\"v\"");
  BOOST_TEST(expire_of("k") == -1);
  BOOST_TEST(run({"GETEX", "k", "EX", "1"}) == "\"v\"");
  clk.advance(1'000);
  BOOST_TEST(run({"GETEX", "k"}) == "nil");
}

BOOST_AUTO_TEST_CASE(getex_past_absolute_expire_deletes) {
  BOOST_TEST(run({"SET", "k", "v"}) == "+OK");
  BOOST_TEST(run({"GETEX", "k", "EXAT", "1"}) == "\"v\"");
  BOOST_TEST(db().find("k") == nullptr);
  BOOST_TEST(run({"SET", "k", "v"}) == "+OK");
  BOOST_TEST(run({"GETEX", "k", "PXAT", std::to_string(t0)}) == "\"v\"");  // now counts as past
  BOOST_TEST(db().find("k") == nullptr);
}

BOOST_AUTO_TEST_CASE(getex_errors) {
  // Missing key: nil, even with a bad expire (the lookup comes first); syntax still checked.
  BOOST_TEST(run({"GETEX", "nokey", "EX", "0"}) == "nil");
  BOOST_TEST(run({"GETEX", "nokey", "EX", "abc"}) == "nil");
  BOOST_TEST(run({"GETEX", "nokey", "FOO"}) == syntax);
  BOOST_TEST(run({"SET", "k", "v", "EX", "100"}) == "+OK");
  for (std::vector<std::string> extra : std::vector<std::vector<std::string>>{
           {"PERSIST", "EX", "10"}, {"EX", "10", "PERSIST"}, {"EX", "10", "PX", "10"}, {"KEEPTTL"},
           {"NX"}, {"XX"}, {"GET"}, {"EX"}, {"PXAT"}}) {
    std::vector<std::string> args{"GETEX", "k"};
    args.insert(args.end(), extra.begin(), extra.end());
    BOOST_TEST_CONTEXT(extra.front()) { BOOST_TEST(run(args) == syntax); }
  }
  BOOST_TEST(run({"GETEX", "k", "EX", "0"}) == "-ERR invalid expire time in 'getex' command");
  BOOST_TEST(run({"GETEX", "k", "PXAT", "-1"}) == "-ERR invalid expire time in 'getex' command");
  BOOST_TEST(run({"GETEX", "k", "EX", "9223372036854775807"}) == "-ERR invalid expire time in 'getex' command");
  BOOST_TEST(run({"GETEX", "k", "EX", "x"}) == not_int);
  BOOST_TEST(expire_of("k") == t0 + 100'000);
  BOOST_TEST(run({"GETEX", "k", "PERSIST", "PERSIST"}) == "\"v\"");
  BOOST_TEST(expire_of("k") == -1);
  make_list("l");
  BOOST_TEST(run({"GETEX", "l", "PERSIST"}) == wrongtype);
}

// ---- MGET / MSET / MSETNX ----

BOOST_AUTO_TEST_CASE(mget) {
  BOOST_TEST(run({"MSET", "a", "1", "b", "2"}) == "+OK");
  make_list("l");
  BOOST_TEST(run({"SET", "e", "x", "PX", "1"}) == "+OK");
  clk.advance(1);
  BOOST_TEST(run({"MGET", "a", "missing", "l", "b", "e", "a"}) == "[\"1\",nil,nil,\"2\",nil,\"1\"]");
  BOOST_TEST(h.wire({"MGET", "a", "missing"}) == "*2\r\n$1\r\n1\r\n$-1\r\n");
  h.client().resp = 3;
  BOOST_TEST(h.wire({"MGET", "missing", "b"}) == "*2\r\n_\r\n$1\r\n2\r\n");
}

BOOST_AUTO_TEST_CASE(mset) {
  BOOST_TEST(run({"SET", "a", "old", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"MSET", "a", "1", "b", "2", "a", "3"}) == "+OK");
  BOOST_TEST(run({"MGET", "a", "b"}) == "[\"3\",\"2\"]");
  BOOST_TEST(expire_of("a") == -1);  // MSET drops TTLs
  BOOST_TEST(run({"MSET", "a", "1", "b"}) == "-ERR wrong number of arguments for 'mset' command");
  BOOST_TEST(run({"MSET", "a"}) == "-ERR wrong number of arguments for 'mset' command");
  BOOST_TEST(run({"MSETNX", "a", "1", "b"}) == "-ERR wrong number of arguments for 'msetnx' command");
  make_list("l");
  BOOST_TEST(run({"MSET", "l", "s"}) == "+OK");
  BOOST_TEST(run({"GET", "l"}) == "\"s\"");
}

BOOST_AUTO_TEST_CASE(msetnx) {
  BOOST_TEST(run({"MSETNX", "a", "1", "b", "2"}) == "1");
  BOOST_TEST(run({"MSETNX", "c", "3", "a", "9"}) == "0");
  BOOST_TEST(run({"MGET", "a", "b", "c"}) == "[\"1\",\"2\",nil]");
  // The same key twice: both absent beforehand, the last value wins.
  BOOST_TEST(run({"MSETNX", "d", "1", "d", "2"}) == "1");
  BOOST_TEST(run({"GET", "d"}) == "\"2\"");
  make_list("l");
  BOOST_TEST(run({"MSETNX", "l", "1", "z", "2"}) == "0");
  BOOST_TEST(run({"GET", "z"}) == "nil");
  BOOST_TEST(run({"SET", "x", "v", "PX", "3"}) == "+OK");
  clk.advance(3);
  BOOST_TEST(run({"MSETNX", "x", "new"}) == "1");
  BOOST_TEST(run({"GET", "x"}) == "\"new\"");
}

// ---- APPEND / STRLEN ----

BOOST_AUTO_TEST_CASE(append) {
  BOOST_TEST(run({"APPEND", "k", "hello"}) == "5");
  BOOST_TEST(run({"APPEND", "k", " world"}) == "11");
  BOOST_TEST(run({"GET", "k"}) == "\"hello world\"");
  BOOST_TEST(run({"APPEND", "k", ""}) == "11");
  BOOST_TEST(run({"APPEND", "k", std::string(30, 'x')}) == "41");  // inline -> heap
  BOOST_TEST(h.run({"GET", "k"}).str == "hello world" + std::string(30, 'x'));
  BOOST_TEST(run({"SET", "n", "12"}) == "+OK");
  BOOST_TEST(run({"APPEND", "n", "34"}) == "4");
  BOOST_TEST(run({"INCR", "n"}) == "1235");
  // APPEND keeps the TTL.
  BOOST_TEST(run({"SET", "t", "a", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"APPEND", "t", "b"}) == "2");
  BOOST_TEST(expire_of("t") == t0 + 100'000);
  make_list("l");
  BOOST_TEST(run({"APPEND", "l", "x"}) == wrongtype);
  BOOST_TEST(h.wire({"APPEND", "w", "abc"}) == ":3\r\n");
}

BOOST_AUTO_TEST_CASE(append_size_limit) {
  set_max_bulk(10);
  BOOST_TEST(run({"APPEND", "k", "0123456789"}) == "10");
  BOOST_TEST(run({"APPEND", "k", "x"}) == too_long);
  BOOST_TEST(run({"GET", "k"}) == "\"0123456789\"");
  BOOST_TEST(run({"APPEND", "k", ""}) == "10");
}

BOOST_AUTO_TEST_CASE(strlen) {
  BOOST_TEST(run({"STRLEN", "k"}) == "0");
  BOOST_TEST(run({"SET", "k", "hello"}) == "+OK");
  BOOST_TEST(run({"STRLEN", "k"}) == "5");
  BOOST_TEST(run({"SET", "n", "-12345"}) == "+OK");
  BOOST_TEST(run({"STRLEN", "n"}) == "6");
  BOOST_TEST(run({"SET", "e", ""}) == "+OK");
  BOOST_TEST(run({"STRLEN", "e"}) == "0");
  make_list("l");
  BOOST_TEST(run({"STRLEN", "l"}) == wrongtype);
}

// ---- GETRANGE / SUBSTR / SETRANGE ----

BOOST_AUTO_TEST_CASE(getrange) {
  BOOST_TEST(run({"GETRANGE", "missing", "0", "-1"}) == "\"\"");
  BOOST_TEST(h.wire({"GETRANGE", "missing", "0", "-1"}) == "$0\r\n\r\n");
  BOOST_TEST(run({"SET", "s", "hello"}) == "+OK");
  struct tc {
    const char* start;
    const char* end;
    const char* want;
  };
  const tc cases[] = {
      {"0", "-1", "hello"}, {"0", "0", "h"},      {"1", "3", "ell"},   {"-3", "-1", "llo"},
      {"3", "2", ""},       {"-1", "-5", ""},     {"0", "-100", "h"},  {"-100", "100", "hello"},
      {"4", "100", "o"},    {"5", "10", ""},      {"-100", "-99", "h"}, {"2", "-3", "l"},
      {"9223372036854775807", "9223372036854775807", ""}, {"-9223372036854775808", "-1", "hello"},
  };
  for (const auto& t : cases) {
    BOOST_TEST_CONTEXT(t.start << " " << t.end) {
      BOOST_TEST(h.run({"GETRANGE", "s", t.start, t.end}).str == t.want);
      BOOST_TEST(h.run({"SUBSTR", "s", t.start, t.end}).str == t.want);
    }
  }
  BOOST_TEST(run({"SET", "n", "12345"}) == "+OK");
  BOOST_TEST(run({"GETRANGE", "n", "1", "2"}) == "\"23\"");
  BOOST_TEST(run({"SET", "e", ""}) == "+OK");
  BOOST_TEST(run({"GETRANGE", "e", "0", "-1"}) == "\"\"");
  BOOST_TEST(run({"GETRANGE", "s", "a", "1"}) == not_int);
  BOOST_TEST(run({"GETRANGE", "s", "0", "1.5"}) == not_int);
  BOOST_TEST(run({"GETRANGE", "missing", "x", "1"}) == not_int);  // args checked before the key
  make_list("l");
  BOOST_TEST(run({"GETRANGE", "l", "0", "1"}) == wrongtype);
  BOOST_TEST(run({"SUBSTR", "l", "0", "1"}) == wrongtype);
}

BOOST_AUTO_TEST_CASE(setrange) {
  BOOST_TEST(run({"SETRANGE", "k", "0", ""}) == "0");
  BOOST_TEST(db().find("k") == nullptr);  // nothing created
  BOOST_TEST(run({"SETRANGE", "k", "3", "x"}) == "4");
  BOOST_TEST(h.run({"GET", "k"}).str == std::string("\0\0\0x", 4));
  BOOST_TEST(run({"SET", "s", "Hello World"}) == "+OK");
  BOOST_TEST(run({"SETRANGE", "s", "6", "Redis"}) == "11");
  BOOST_TEST(run({"GET", "s"}) == "\"Hello Redis\"");
  BOOST_TEST(run({"SETRANGE", "s", "0", "J"}) == "11");
  BOOST_TEST(run({"GET", "s"}) == "\"Jello Redis\"");
  BOOST_TEST(run({"SETRANGE", "s", "13", "!!"}) == "15");
  BOOST_TEST(h.run({"GET", "s"}).str == std::string("Jello Redis\0\0!!", 15));
  BOOST_TEST(run({"SETRANGE", "s", "100", ""}) == "15");
  BOOST_TEST(run({"SET", "n", "1234"}) == "+OK");
  BOOST_TEST(run({"SETRANGE", "n", "1", "9"}) == "4");
  BOOST_TEST(run({"GET", "n"}) == "\"1934\"");
  // SETRANGE keeps the TTL.
  BOOST_TEST(run({"SET", "t", "abc", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"SETRANGE", "t", "1", "X"}) == "3");
  BOOST_TEST(expire_of("t") == t0 + 100'000);
  BOOST_TEST(run({"GET", "t"}) == "\"aXc\"");
}

BOOST_AUTO_TEST_CASE(setrange_errors) {
  BOOST_TEST(run({"SETRANGE", "k", "-1", "x"}) == "-ERR offset is out of range");
  BOOST_TEST(run({"SETRANGE", "k", "abc", "x"}) == not_int);
  // Default limit 512MB: refused before any allocation.
  BOOST_TEST(run({"SETRANGE", "k", "536870912", "x"}) == too_long);
  BOOST_TEST(run({"SETRANGE", "k", "536870911", "xy"}) == too_long);
  BOOST_TEST(run({"SETRANGE", "k", "9223372036854775807", "x"}) == too_long);
  BOOST_TEST(db().find("k") == nullptr);
  BOOST_TEST(run({"SETRANGE", "k", "9223372036854775807", ""}) == "0");
  set_max_bulk(100);
  BOOST_TEST(run({"SETRANGE", "k", "99", "x"}) == "100");
  BOOST_TEST(run({"SETRANGE", "k", "100", "x"}) == too_long);
  BOOST_TEST(run({"STRLEN", "k"}) == "100");
  make_list("l");
  BOOST_TEST(run({"SETRANGE", "l", "0", "x"}) == wrongtype);
  BOOST_TEST(run({"SETRANGE", "l", "0", ""}) == wrongtype);
  BOOST_TEST(run({"SETRANGE", "l", "-1", "x"}) == "-ERR offset is out of range");  // checked first
}

// ---- INCR family ----

BOOST_AUTO_TEST_CASE(incr_decr) {
  BOOST_TEST(run({"INCR", "k"}) == "1");
  BOOST_TEST(run({"INCR", "k"}) == "2");
  BOOST_TEST(run({"DECR", "k"}) == "1");
  BOOST_TEST(run({"INCRBY", "k", "10"}) == "11");
  BOOST_TEST(run({"INCRBY", "k", "-20"}) == "-9");
  BOOST_TEST(run({"DECRBY", "k", "3"}) == "-12");
  BOOST_TEST(run({"DECRBY", "k", "-12"}) == "0");
  BOOST_TEST(run({"GET", "k"}) == "\"0\"");
  BOOST_TEST(run({"DECR", "d"}) == "-1");
  BOOST_TEST(run({"DECRBY", "d2", "5"}) == "-5");
  BOOST_TEST(h.wire({"INCR", "w"}) == ":1\r\n");
  BOOST_TEST(h.wire({"INCRBY", "w", "41"}) == ":42\r\n");
  // INCR keeps the TTL.
  BOOST_TEST(run({"SET", "t", "5", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"INCR", "t"}) == "6");
  BOOST_TEST(expire_of("t") == t0 + 100'000);
  // A long numeric string on the heap is replaced by the inline result.
  BOOST_TEST(run({"SET", "big", "-9223372036854775807"}) == "+OK");
  BOOST_TEST(run({"DECR", "big"}) == "-9223372036854775808");
  BOOST_TEST(run({"GET", "big"}) == "\"-9223372036854775808\"");
}

BOOST_AUTO_TEST_CASE(incr_errors) {
  for (const char* bad : {"  1", "1 ", "1.0", "01", "+1", "-0", "abc", "", "1e3", "9223372036854775808",
                          "0x10"}) {
    BOOST_TEST_CONTEXT("value '" << bad << "'") {
      BOOST_TEST(run({"SET", "k", bad}) == "+OK");
      BOOST_TEST(run({"INCR", "k"}) == not_int);
      BOOST_TEST(run({"DECRBY", "k", "1"}) == not_int);
      BOOST_TEST(h.run({"GET", "k"}).str == bad);
    }
  }
  BOOST_TEST(run({"INCRBY", "k", "abc"}) == not_int);
  BOOST_TEST(run({"INCRBY", "k", "1.5"}) == not_int);
  BOOST_TEST(run({"DECRBY", "k", " 1"}) == not_int);
  BOOST_TEST(run({"SET", "max", "9223372036854775807"}) == "+OK");
  BOOST_TEST(run({"INCR", "max"}) == "-ERR increment or decrement would overflow");
  BOOST_TEST(run({"INCRBY", "max", "0"}) == "9223372036854775807");
  BOOST_TEST(run({"DECRBY", "max", "-1"}) == "-ERR increment or decrement would overflow");
  BOOST_TEST(run({"SET", "min", "-9223372036854775808"}) == "+OK");
  BOOST_TEST(run({"DECR", "min"}) == "-ERR increment or decrement would overflow");
  BOOST_TEST(run({"INCRBY", "min", "-1"}) == "-ERR increment or decrement would overflow");
  BOOST_TEST(run({"INCRBY", "min", "9223372036854775807"}) == "-1");
  BOOST_TEST(run({"DECRBY", "x", "-9223372036854775808"}) == "-ERR decrement would overflow");
  BOOST_TEST(run({"GET", "x"}) == "nil");
  make_list("l");
  BOOST_TEST(run({"INCR", "l"}) == wrongtype);
  BOOST_TEST(run({"DECRBY", "l", "1"}) == wrongtype);
}

BOOST_AUTO_TEST_CASE(incrbyfloat) {
  BOOST_TEST(run({"INCRBYFLOAT", "f", "10.5"}) == "\"10.5\"");
  BOOST_TEST(run({"INCRBYFLOAT", "f", "0.1"}) == "\"10.6\"");
  BOOST_TEST(run({"INCRBYFLOAT", "f", "-5"}) == "\"5.6\"");
  BOOST_TEST(run({"SET", "g", "5.0e3"}) == "+OK");
  BOOST_TEST(run({"INCRBYFLOAT", "g", "2.0e2"}) == "\"5200\"");
  BOOST_TEST(run({"GET", "g"}) == "\"5200\"");
  BOOST_TEST(run({"SET", "i", "3"}) == "+OK");
  BOOST_TEST(run({"INCRBYFLOAT", "i", "-3"}) == "\"0\"");
  BOOST_TEST(run({"INCRBYFLOAT", "z", "-0.0"}) == "\"0\"");
  BOOST_TEST(run({"INCRBYFLOAT", "tiny", "1e-20"}) == "\"0\"");
  BOOST_TEST(run({"INCRBYFLOAT", "p", "0.1"}) == "\"0.1\"");
  BOOST_TEST(run({"INCRBYFLOAT", "p", "0.2"}) == "\"0.3\"");
  BOOST_TEST(run({"SET", "hex", "0x10"}) == "+OK");
  BOOST_TEST(run({"INCRBYFLOAT", "hex", "1"}) == "\"17\"");
  BOOST_TEST(run({"INCRBYFLOAT", "neg", "-1.25"}) == "\"-1.25\"");
  // Bulk string on the wire in RESP2 and RESP3 alike.
  BOOST_TEST(h.wire({"INCRBYFLOAT", "w", "1.5"}) == "$3\r\n1.5\r\n");
  h.client().resp = 3;
  BOOST_TEST(h.wire({"INCRBYFLOAT", "w", "1"}) == "$3\r\n2.5\r\n");
  h.client().resp = 2;
  // Keeps the TTL.
  BOOST_TEST(run({"SET", "t", "1", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"INCRBYFLOAT", "t", "1.5"}) == "\"2.5\"");
  BOOST_TEST(expire_of("t") == t0 + 100'000);
}

BOOST_AUTO_TEST_CASE(incrbyfloat_errors) {
  const std::string nan_inf = "-ERR increment would produce NaN or Infinity";
  BOOST_TEST(run({"INCRBYFLOAT", "f", "inf"}) == nan_inf);
  BOOST_TEST(run({"INCRBYFLOAT", "f", "-inf"}) == nan_inf);
  BOOST_TEST(run({"INCRBYFLOAT", "f", "nan"}) == not_float);
  BOOST_TEST(run({"INCRBYFLOAT", "f", "abc"}) == not_float);
  BOOST_TEST(run({"INCRBYFLOAT", "f", " 1"}) == not_float);
  BOOST_TEST(run({"INCRBYFLOAT", "f", "1 "}) == not_float);
  BOOST_TEST(run({"INCRBYFLOAT", "f", ""}) == not_float);
  BOOST_TEST(run({"GET", "f"}) == "nil");
  BOOST_TEST(run({"SET", "f", "1.5 "}) == "+OK");
  BOOST_TEST(run({"INCRBYFLOAT", "f", "1"}) == not_float);
  BOOST_TEST(run({"SET", "f", "abc"}) == "+OK");
  BOOST_TEST(run({"INCRBYFLOAT", "f", "1"}) == not_float);
  // An embedded NUL is not the end of the number (Redis string2ld checks the full length).
  BOOST_TEST(run({"SET", "f", std::string("-1\0Z", 4)}) == "+OK");
  BOOST_TEST(run({"INCRBYFLOAT", "f", "1"}) == not_float);
  BOOST_TEST(run({"INCRBYFLOAT", "g", std::string("1\0", 2)}) == not_float);
  BOOST_TEST(run({"SET", "i", std::string("1\0", 2)}) == "+OK");
  BOOST_TEST(run({"INCR", "i"}) == not_int);
  BOOST_TEST(run({"SET", "big", "1e4932"}) == "+OK");
  BOOST_TEST(run({"INCRBYFLOAT", "big", "1e4932"}) == nan_inf);
  BOOST_TEST(run({"GET", "big"}) == "\"1e4932\"");
  make_list("l");
  BOOST_TEST(run({"INCRBYFLOAT", "l", "abc"}) == wrongtype);  // type checked before the increment
}

// ---- LCS ----

BOOST_AUTO_TEST_CASE(lcs) {
  BOOST_TEST(run({"MSET", "a", "ohmytext", "b", "mynewtext"}) == "+OK");
  BOOST_TEST(run({"LCS", "a", "b"}) == "\"mytext\"");
  BOOST_TEST(run({"LCS", "a", "b", "LEN"}) == "6");
  BOOST_TEST(run({"LCS", "a", "b", "IDX"}) == "{\"matches\":[[[4,7],[5,8]],[[2,3],[0,1]]],\"len\":6}");
  BOOST_TEST(run({"LCS", "a", "b", "idx", "minmatchlen", "4", "withmatchlen"}) ==
             "{\"matches\":[[[4,7],[5,8],4]],\"len\":6}");
  BOOST_TEST(run({"LCS", "a", "b", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "-3"}) ==
             "{\"matches\":[[[4,7],[5,8],4],[[2,3],[0,1],2]],\"len\":6}");
  BOOST_TEST(run({"LCS", "a", "missing"}) == "\"\"");
  BOOST_TEST(run({"LCS", "x", "y", "IDX"}) == "{\"matches\":[],\"len\":0}");
  BOOST_TEST(h.wire({"LCS", "a", "b", "IDX"}) ==
             "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
             "*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n");
  h.client().resp = 3;
  BOOST_TEST(h.wire({"LCS", "a", "b", "IDX", "MINMATCHLEN", "3"}) ==
             "%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n");
}

BOOST_AUTO_TEST_CASE(lcs_errors) {
  BOOST_TEST(run({"MSET", "a", "abc", "b", "abd"}) == "+OK");
  BOOST_TEST(run({"LCS", "a", "b", "IDX", "LEN"}) ==
             "-ERR If you want both the length and indexes, please just use IDX.");
  BOOST_TEST(run({"LCS", "a", "b", "FOO"}) == syntax);
  BOOST_TEST(run({"LCS", "a", "b", "MINMATCHLEN"}) == syntax);
  BOOST_TEST(run({"LCS", "a", "b", "MINMATCHLEN", "x"}) == not_int);
  make_list("l");
  BOOST_TEST(run({"LCS", "a", "l"}) == "-ERR The specified keys must contain string values");
  BOOST_TEST(run({"LCS", "l", "a", "FOO"}) == "-ERR The specified keys must contain string values");
  set_max_bulk(1024 * 1024);
  BOOST_TEST(run({"MSET", "x", std::string(600, 'a'), "y", std::string(600, 'b')}) == "+OK");
  BOOST_TEST(run({"LCS", "x", "y", "LEN"}) ==
             "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  BOOST_TEST(run({"MSET", "x", std::string(400, 'a'), "y", std::string(400, 'a')}) == "+OK");
  BOOST_TEST(run({"LCS", "x", "y", "LEN"}) == "400");
}

BOOST_AUTO_TEST_SUITE_END()
