#define BOOST_TEST_MODULE list_family
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/command/blocking.hpp"
#include "kvd/command/client_context.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/protocol/capture.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/store/list.hpp"
#include "kvd/store/value.hpp"

// Expected replies were checked against Debian's redis-server 7.0.15. Replies are compared
// via reply::debug_string(): +simple, -error, integer, "bulk", nil, [array], {map}.

namespace {

using kvd::store::list_value;

/// A client handle that counts wake-ups, as a session would post them to its strand.
struct fake_handle final : kvd::command::client_handle {
  int woken = 0;
  void close() override {}
  void unblocked() override { ++woken; }
};

struct fixture {
  kvd::test::frozen_clock clk;
  kvd::test::harness h;

  /// Runs a command and renders its reply.
  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  kvd::store::database& db() { return h.keyspace().db(0); }
  /// The list at `key` (must exist and be a list).
  const list_value& list(const std::string& key) {
    auto* v = db().find(key);
    BOOST_REQUIRE(v && v->type() == kvd::store::value_type::list);
    return *static_cast<const list_value*>(v->obj());
  }
  bool exists(const std::string& key) { return db().find(key) != nullptr; }

  /// A second connected client that can block (it has a handle), speaking RESP `resp`.
  std::shared_ptr<kvd::command::client_context> blocker(std::shared_ptr<fake_handle> hd, int resp = 2) {
    auto c = std::make_shared<kvd::command::client_context>();
    c->id = h.state().clients.next_id();
    c->handle = std::move(hd);
    c->resp = resp;
    return c;
  }
  /// Runs a command as client `c`; returns its immediate reply ("" when it blocked).
  std::string run_as(kvd::command::client_context& c, std::vector<std::string> args) {
    return h.run_as(c, std::move(args)).debug_string();
  }
  /// The wire reply a served (or timed out) blocked client got.
  static std::string served(const kvd::command::client_context& c) {
    return c.blocked_on ? c.blocked_on->reply : "<none>";
  }

  /// Runs a write's handler directly and returns what it would log to the AOF: "-" when
  /// nothing, "self" for its own argv, else the replacement commands joined by " | ".
  std::string prop_of(std::vector<std::string> args) {
    std::vector<std::string_view> v(args.begin(), args.end());
    const auto* cmd = h.state().table.find(v[0]);
    BOOST_REQUIRE(cmd);
    kvd::protocol::capture cap(2);
    kvd::command::propagation prop;
    kvd::command::command_context ctx{v, h.client(), cap, h.state(), db(), *cmd, prop};
    cmd->handler(ctx);
    if (prop.suppress) return "-";
    if (prop.replacement.empty()) return "self";
    std::string out;
    for (auto& argv : prop.replacement) {
      if (!out.empty()) out += " | ";
      for (std::size_t i = 0; i < argv.size(); ++i) out += (i ? " " : "") + argv[i];
    }
    return out;
  }
};

const std::string wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value";
const std::string not_int = "-ERR value is not an integer or out of range";
const std::string syntax = "-ERR syntax error";
const std::string positive = "-ERR value is out of range, must be positive";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(list_family, fixture)

// ---- table rows ----

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  auto& t = h.state().table;
  using row = kvd::test::expected_row;
  using namespace kvd::command;
  constexpr std::uint32_t w_oom = f_write | f_denyoom;
  constexpr std::uint32_t w_block = f_write | f_noscript | f_blocking;
  const row rows[] = {
      {"lpush", -3, w_oom | f_fast, 1, 1, 1, "write list fast"},
      {"rpush", -3, w_oom | f_fast, 1, 1, 1, "write list fast"},
      {"lpushx", -3, w_oom | f_fast, 1, 1, 1, "write list fast"},
      {"rpushx", -3, w_oom | f_fast, 1, 1, 1, "write list fast"},
      {"lpop", -2, f_write | f_fast, 1, 1, 1, "write list fast"},
      {"rpop", -2, f_write | f_fast, 1, 1, 1, "write list fast"},
      {"llen", 2, f_readonly | f_fast, 1, 1, 1, "read list fast"},
      {"lrange", 4, f_readonly, 1, 1, 1, "read list slow"},
      {"lindex", 3, f_readonly, 1, 1, 1, "read list slow"},
      {"lset", 4, w_oom, 1, 1, 1, "write list slow"},
      {"linsert", 5, w_oom, 1, 1, 1, "write list slow"},
      {"lrem", 4, f_write, 1, 1, 1, "write list slow"},
      {"ltrim", 4, f_write, 1, 1, 1, "write list slow"},
      {"lpos", -3, f_readonly, 1, 1, 1, "read list slow"},
      {"lmove", 5, w_oom, 1, 2, 1, "write list slow"},
      {"rpoplpush", 3, w_oom, 1, 2, 1, "write list slow"},
      {"lmpop", -4, f_write | f_movablekeys, 0, 0, 0, "write list slow"},
      {"blpop", -3, w_block, 1, -2, 1, "write list slow blocking"},
      {"brpop", -3, w_block, 1, -2, 1, "write list slow blocking"},
      {"blmove", 6, w_block | f_denyoom, 1, 2, 1, "write list slow blocking"},
      {"brpoplpush", 4, w_block | f_denyoom, 1, 2, 1, "write list slow blocking"},
      {"blmpop", -5, f_write | f_blocking | f_movablekeys, 0, 0, 0, "write list slow blocking"},
  };
  kvd::test::check_rows(t, rows);
}

// ---- push / pop ----

BOOST_AUTO_TEST_CASE(push_and_pop) {
  BOOST_TEST(run({"LPUSHX", "l", "a"}) == "0");
  BOOST_TEST(!exists("l"));
  BOOST_TEST(run({"RPUSH", "l", "a", "b", "c"}) == "3");
  BOOST_TEST(run({"LPUSH", "l", "x", "y"}) == "5");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == R"(["y","x","a","b","c"])");
  BOOST_TEST(run({"RPUSHX", "l", "z"}) == "6");
  BOOST_TEST(run({"LPUSHX", "l", "w"}) == "7");
  BOOST_TEST(run({"LPOP", "l"}) == "\"w\"");
  BOOST_TEST(run({"RPOP", "l"}) == "\"z\"");
  BOOST_TEST(run({"LPOP", "l", "2"}) == R"(["y","x"])");
  BOOST_TEST(run({"RPOP", "l", "2"}) == R"(["c","b"])");
  BOOST_TEST(run({"LPOP", "l", "0"}) == "[]");
  BOOST_TEST(run({"RPOP", "l", "10"}) == R"(["a"])");
  BOOST_TEST(!exists("l"));  // an emptied list deletes its key
  BOOST_TEST(run({"LPOP", "l"}) == "nil");
  BOOST_TEST(run({"LPOP", "l", "3"}) == "nil");
  BOOST_TEST(run({"LPOP", "l", "0"}) == "nil");
  BOOST_TEST(run({"LPOP", "l", "-1"}) == positive);
  BOOST_TEST(run({"LPOP", "l", "abc"}) == positive);
  BOOST_TEST(run({"LPOP", "l", "1", "2"}) == "-ERR wrong number of arguments for 'lpop' command");
  BOOST_TEST(run({"RPOP", "l", "1", "2"}) == "-ERR wrong number of arguments for 'rpop' command");
  BOOST_TEST(run({"LPUSH", "l"}) == "-ERR wrong number of arguments for 'lpush' command");
}

BOOST_AUTO_TEST_CASE(integers_round_trip_as_text) {
  BOOST_TEST(run({"RPUSH", "l", "1", "-5", "9223372036854775807", "007", "1.5", ""}) == "6");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == R"(["1","-5","9223372036854775807","007","1.5",""])");
  BOOST_TEST(run({"LPOS", "l", "007"}) == "3");
  BOOST_TEST(run({"LPOS", "l", "7"}) == "nil");
  BOOST_TEST(run({"LPOS", "l", "-5"}) == "1");
}

BOOST_AUTO_TEST_CASE(null_shapes_on_the_wire) {
  BOOST_TEST(h.wire({"LPOP", "none"}) == "$-1\r\n");
  BOOST_TEST(h.wire({"LPOP", "none", "2"}) == "*-1\r\n");
  BOOST_TEST(h.wire({"LMPOP", "1", "none", "LEFT"}) == "*-1\r\n");
  BOOST_TEST(h.wire({"BLPOP", "none", "0.01"}) == "*-1\r\n");
  BOOST_TEST(h.wire({"BLMOVE", "none", "d", "LEFT", "LEFT", "0.01"}) == "$-1\r\n");
  BOOST_TEST(h.wire({"LPOS", "none", "a", "COUNT", "0"}) == "*0\r\n");
  h.client().resp = 3;
  BOOST_TEST(h.wire({"LPOP", "none"}) == "_\r\n");
  BOOST_TEST(h.wire({"LPOP", "none", "2"}) == "_\r\n");
  BOOST_TEST(h.wire({"BRPOP", "none", "0.01"}) == "_\r\n");
  BOOST_TEST(h.wire({"BRPOPLPUSH", "none", "d", "0.01"}) == "_\r\n");
}

BOOST_AUTO_TEST_CASE(wrong_type) {
  run({"SET", "s", "v"});
  for (auto args : std::vector<std::vector<std::string>>{
           {"LPUSH", "s", "a"}, {"RPUSH", "s", "a"}, {"LPUSHX", "s", "a"}, {"RPUSHX", "s", "a"},
           {"LPOP", "s"}, {"RPOP", "s", "2"}, {"LLEN", "s"}, {"LRANGE", "s", "0", "1"},
           {"LINDEX", "s", "0"}, {"LSET", "s", "0", "x"}, {"LINSERT", "s", "BEFORE", "a", "b"},
           {"LREM", "s", "0", "a"}, {"LTRIM", "s", "0", "1"}, {"LPOS", "s", "a"},
           {"LMOVE", "s", "d", "LEFT", "RIGHT"}, {"RPOPLPUSH", "s", "d"}, {"LMPOP", "1", "s", "LEFT"},
           {"BLPOP", "s", "0.01"}, {"BRPOP", "x", "s", "0.01"}, {"BLMOVE", "s", "d", "LEFT", "LEFT", "0.01"},
           {"BRPOPLPUSH", "s", "d", "0.01"}, {"BLMPOP", "0.01", "2", "x", "s", "RIGHT"}})
    BOOST_TEST(run(args) == wrongtype, args[0]);
  // The destination's type is checked when the source has an element.
  run({"RPUSH", "l", "a"});
  BOOST_TEST(run({"LMOVE", "l", "s", "LEFT", "RIGHT"}) == wrongtype);
  BOOST_TEST(run({"RPOPLPUSH", "l", "s"}) == wrongtype);
  BOOST_TEST(run({"BLMOVE", "l", "s", "LEFT", "RIGHT", "0"}) == wrongtype);
  BOOST_TEST(run({"LLEN", "l"}) == "1");
  BOOST_TEST(run({"RPOPLPUSH", "none", "s"}) == "nil");
  // LMPOP stops at the first non-empty list; a later wrong type is not looked at.
  BOOST_TEST(run({"LMPOP", "2", "l", "s", "LEFT"}) == R"(["l",["a"]])");
}

// ---- reads ----

BOOST_AUTO_TEST_CASE(llen_lrange_lindex) {
  BOOST_TEST(run({"LLEN", "l"}) == "0");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == "[]");
  BOOST_TEST(run({"LRANGE", "l", "a", "1"}) == not_int);
  BOOST_TEST(run({"LINDEX", "l", "0"}) == "nil");
  BOOST_TEST(run({"LINDEX", "l", "abc"}) == "nil");  // the key is looked up first
  run({"RPUSH", "l", "a", "b", "c", "d", "e"});
  BOOST_TEST(run({"LLEN", "l"}) == "5");
  BOOST_TEST(run({"LRANGE", "l", "1", "3"}) == R"(["b","c","d"])");
  BOOST_TEST(run({"LRANGE", "l", "-2", "-1"}) == R"(["d","e"])");
  BOOST_TEST(run({"LRANGE", "l", "-100", "1"}) == R"(["a","b"])");
  BOOST_TEST(run({"LRANGE", "l", "3", "100"}) == R"(["d","e"])");
  BOOST_TEST(run({"LRANGE", "l", "3", "1"}) == "[]");
  BOOST_TEST(run({"LRANGE", "l", "5", "10"}) == "[]");
  BOOST_TEST(run({"LRANGE", "l", "0", "-6"}) == "[]");
  BOOST_TEST(run({"LRANGE", "l", "0", "b"}) == not_int);
  BOOST_TEST(run({"LINDEX", "l", "0"}) == "\"a\"");
  BOOST_TEST(run({"LINDEX", "l", "-1"}) == "\"e\"");
  BOOST_TEST(run({"LINDEX", "l", "-5"}) == "\"a\"");
  BOOST_TEST(run({"LINDEX", "l", "-6"}) == "nil");
  BOOST_TEST(run({"LINDEX", "l", "5"}) == "nil");
  BOOST_TEST(run({"LINDEX", "l", "x"}) == not_int);
}

BOOST_AUTO_TEST_CASE(lpos_options) {
  BOOST_TEST(run({"LPOS", "l", "a"}) == "nil");
  BOOST_TEST(run({"LPOS", "l", "a", "COUNT", "2"}) == "[]");
  run({"RPUSH", "l", "a", "b", "c", "a", "b", "c", "a", "b", "c"});
  BOOST_TEST(run({"LPOS", "l", "b"}) == "1");
  BOOST_TEST(run({"LPOS", "l", "x"}) == "nil");
  BOOST_TEST(run({"LPOS", "l", "b", "RANK", "2"}) == "4");
  BOOST_TEST(run({"LPOS", "l", "b", "RANK", "-1"}) == "7");
  BOOST_TEST(run({"LPOS", "l", "b", "RANK", "4"}) == "nil");
  BOOST_TEST(run({"LPOS", "l", "b", "COUNT", "0"}) == "[1,4,7]");
  BOOST_TEST(run({"LPOS", "l", "b", "COUNT", "2"}) == "[1,4]");
  BOOST_TEST(run({"LPOS", "l", "b", "RANK", "2", "COUNT", "0"}) == "[4,7]");
  BOOST_TEST(run({"LPOS", "l", "b", "RANK", "-1", "COUNT", "2", "MAXLEN", "5"}) == "[7,4]");
  BOOST_TEST(run({"LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"}) == "[2]");
  BOOST_TEST(run({"LPOS", "l", "c", "MAXLEN", "2"}) == "nil");
  BOOST_TEST(run({"LPOS", "l", "x", "COUNT", "0"}) == "[]");
  BOOST_TEST(run({"LPOS", "l", "a", "RANK", "-9223372036854775808"}) == "6");
  BOOST_TEST(run({"LPOS", "l", "a", "rank", "0"}) ==
             "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
             "negative to start from the end of the list");
  BOOST_TEST(run({"LPOS", "l", "a", "RANK", "x"}) == not_int);
  BOOST_TEST(run({"LPOS", "l", "a", "COUNT", "-1"}) == "-ERR COUNT can't be negative");
  BOOST_TEST(run({"LPOS", "l", "a", "COUNT", "x"}) == "-ERR COUNT can't be negative");
  BOOST_TEST(run({"LPOS", "l", "a", "MAXLEN", "-1"}) == "-ERR MAXLEN can't be negative");
  BOOST_TEST(run({"LPOS", "l", "a", "RANK"}) == syntax);
  BOOST_TEST(run({"LPOS", "l", "a", "FOO", "1"}) == syntax);
}

// ---- in-place writes ----

BOOST_AUTO_TEST_CASE(lset_linsert) {
  BOOST_TEST(run({"LSET", "l", "0", "x"}) == "-ERR no such key");
  BOOST_TEST(run({"LSET", "l", "abc", "x"}) == "-ERR no such key");
  BOOST_TEST(run({"LINSERT", "l", "BEFORE", "a", "x"}) == "0");
  BOOST_TEST(!exists("l"));
  run({"RPUSH", "l", "a", "b", "c"});
  BOOST_TEST(run({"LSET", "l", "-1", "C"}) == "+OK");
  BOOST_TEST(run({"LSET", "l", "1", "12345"}) == "+OK");
  BOOST_TEST(run({"LSET", "l", "3", "x"}) == "-ERR index out of range");
  BOOST_TEST(run({"LSET", "l", "-4", "x"}) == "-ERR index out of range");
  BOOST_TEST(run({"LSET", "l", "x", "x"}) == not_int);
  BOOST_TEST(run({"LINSERT", "l", "before", "a", "0"}) == "4");
  BOOST_TEST(run({"LINSERT", "l", "AFTER", "C", "D"}) == "5");
  BOOST_TEST(run({"LINSERT", "l", "AFTER", "12345", "m"}) == "6");
  BOOST_TEST(run({"LINSERT", "l", "AFTER", "nope", "m"}) == "-1");
  BOOST_TEST(run({"LINSERT", "l", "MIDDLE", "a", "m"}) == syntax);
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == R"(["0","a","12345","m","C","D"])");
}

BOOST_AUTO_TEST_CASE(lrem_ltrim) {
  BOOST_TEST(run({"LREM", "l", "0", "a"}) == "0");
  BOOST_TEST(run({"LTRIM", "l", "0", "1"}) == "+OK");
  run({"RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"});
  BOOST_TEST(run({"LREM", "l", "x", "a"}) == not_int);
  BOOST_TEST(run({"LREM", "l", "1", "a"}) == "1");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == R"(["b","a","c","a","b","a"])");
  BOOST_TEST(run({"LREM", "l", "-2", "a"}) == "2");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == R"(["b","a","c","b"])");
  BOOST_TEST(run({"LREM", "l", "0", "b"}) == "2");
  BOOST_TEST(run({"LREM", "l", "0", "zz"}) == "0");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == R"(["a","c"])");
  BOOST_TEST(run({"LREM", "l", "0", "a"}) == "1");
  BOOST_TEST(run({"LREM", "l", "-1", "c"}) == "1");
  BOOST_TEST(!exists("l"));
  run({"RPUSH", "l", "1", "2", "3", "4", "5", "6"});
  BOOST_TEST(run({"LTRIM", "l", "x", "1"}) == not_int);
  BOOST_TEST(run({"LTRIM", "l", "1", "-2"}) == "+OK");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == R"(["2","3","4","5"])");
  BOOST_TEST(run({"LTRIM", "l", "-3", "100"}) == "+OK");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == R"(["3","4","5"])");
  BOOST_TEST(run({"LTRIM", "l", "2", "1"}) == "+OK");
  BOOST_TEST(!exists("l"));
}

// ---- moves ----

BOOST_AUTO_TEST_CASE(lmove_rpoplpush) {
  BOOST_TEST(run({"LMOVE", "s", "d", "LEFT", "RIGHT"}) == "nil");
  BOOST_TEST(run({"LMOVE", "s", "d", "UP", "RIGHT"}) == syntax);
  BOOST_TEST(run({"LMOVE", "s", "d", "LEFT", "DOWN"}) == syntax);
  run({"RPUSH", "s", "a", "b", "c"});
  BOOST_TEST(run({"LMOVE", "s", "d", "left", "right"}) == "\"a\"");
  BOOST_TEST(run({"RPOPLPUSH", "s", "d"}) == "\"c\"");
  BOOST_TEST(run({"LRANGE", "d", "0", "-1"}) == R"(["c","a"])");
  BOOST_TEST(run({"LMOVE", "s", "d", "RIGHT", "RIGHT"}) == "\"b\"");
  BOOST_TEST(!exists("s"));
  // Same key: rotation.
  BOOST_TEST(run({"LMOVE", "d", "d", "LEFT", "RIGHT"}) == "\"c\"");
  BOOST_TEST(run({"LRANGE", "d", "0", "-1"}) == R"(["a","b","c"])");
  BOOST_TEST(run({"RPOPLPUSH", "d", "d"}) == "\"c\"");
  BOOST_TEST(run({"LRANGE", "d", "0", "-1"}) == R"(["c","a","b"])");
  run({"RPUSH", "one", "x"});
  BOOST_TEST(run({"LMOVE", "one", "one", "LEFT", "LEFT"}) == "\"x\"");
  BOOST_TEST(run({"LRANGE", "one", "0", "-1"}) == R"(["x"])");
}

BOOST_AUTO_TEST_CASE(lmpop) {
  BOOST_TEST(run({"LMPOP", "0", "l", "LEFT"}) == "-ERR numkeys should be greater than 0");
  BOOST_TEST(run({"LMPOP", "x", "l", "LEFT"}) == "-ERR numkeys should be greater than 0");
  BOOST_TEST(run({"LMPOP", "2", "l", "LEFT"}) == syntax);
  BOOST_TEST(run({"LMPOP", "1", "l", "UP"}) == syntax);
  BOOST_TEST(run({"LMPOP", "1", "l", "LEFT", "COUNT", "0"}) == "-ERR count should be greater than 0");
  BOOST_TEST(run({"LMPOP", "1", "l", "LEFT", "COUNT", "x"}) == "-ERR count should be greater than 0");
  BOOST_TEST(run({"LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"}) == syntax);
  BOOST_TEST(run({"LMPOP", "1", "l", "LEFT", "COUNT"}) == syntax);
  BOOST_TEST(run({"LMPOP", "1", "l", "LEFT"}) == "nil");
  run({"RPUSH", "b", "1", "2", "3"});
  BOOST_TEST(run({"LMPOP", "2", "a", "b", "LEFT"}) == R"(["b",["1"]])");
  BOOST_TEST(run({"LMPOP", "2", "a", "b", "RIGHT", "COUNT", "5"}) == R"(["b",["3","2"]])");
  BOOST_TEST(!exists("b"));
}

BOOST_AUTO_TEST_CASE(blocking_forms_without_waiting) {
  BOOST_TEST(run({"BLPOP", "l", "abc"}) == "-ERR timeout is not a float or out of range");
  BOOST_TEST(run({"BLPOP", "l", "-1"}) == "-ERR timeout is negative");
  BOOST_TEST(run({"BLPOP", "l", "0.01"}) == "nil");
  BOOST_TEST(run({"BLMPOP", "-1", "1", "l", "LEFT"}) == "-ERR timeout is negative");
  BOOST_TEST(run({"BLMPOP", "abc", "1", "l", "UP"}) == syntax);
  BOOST_TEST(run({"BLMPOP", "0.01", "0", "l", "LEFT"}) == "-ERR numkeys should be greater than 0");
  BOOST_TEST(run({"BLMOVE", "l", "d", "UP", "LEFT", "x"}) == syntax);
  BOOST_TEST(run({"BLMOVE", "l", "d", "LEFT", "LEFT", "x"}) == "-ERR timeout is not a float or out of range");
  BOOST_TEST(run({"BRPOPLPUSH", "l", "d", "x"}) == "-ERR timeout is not a float or out of range");
  run({"RPUSH", "l", "a", "b", "c", "d"});
  BOOST_TEST(run({"BLPOP", "none", "l", "0"}) == R"(["l","a"])");
  BOOST_TEST(run({"BRPOP", "none", "l", "0"}) == R"(["l","d"])");
  BOOST_TEST(run({"BLMOVE", "l", "d", "LEFT", "RIGHT", "0"}) == "\"b\"");
  BOOST_TEST(run({"BRPOPLPUSH", "l", "d", "0"}) == "\"c\"");
  BOOST_TEST(!exists("l"));
  BOOST_TEST(run({"BLMPOP", "0", "2", "l", "d", "LEFT", "COUNT", "9"}) == R"(["d",["c","b"]])");
}

// ---- AOF propagation ----

BOOST_AUTO_TEST_CASE(propagation_as_redis) {
  BOOST_TEST(prop_of({"LPUSHX", "l", "a"}) == "-");
  BOOST_TEST(prop_of({"RPUSH", "l", "a", "b", "c", "a"}) == "self");
  BOOST_TEST(prop_of({"LPOP", "none"}) == "-");
  BOOST_TEST(prop_of({"LPOP", "l", "0"}) == "-");
  BOOST_TEST(prop_of({"LREM", "l", "0", "zz"}) == "-");
  BOOST_TEST(prop_of({"LTRIM", "l", "0", "-1"}) == "-");
  BOOST_TEST(prop_of({"LTRIM", "none", "0", "1"}) == "-");
  BOOST_TEST(prop_of({"LINSERT", "l", "BEFORE", "zz", "x"}) == "-");
  BOOST_TEST(prop_of({"LMOVE", "none", "l", "LEFT", "LEFT"}) == "-");
  BOOST_TEST(prop_of({"LMPOP", "1", "none", "LEFT"}) == "-");
  BOOST_TEST(prop_of({"BLPOP", "none", "0.01"}) == "-");
  BOOST_TEST(prop_of({"LTRIM", "l", "0", "-2"}) == "self");
  BOOST_TEST(prop_of({"LPOP", "l"}) == "self");
  BOOST_TEST(prop_of({"LMOVE", "l", "d", "LEFT", "RIGHT"}) == "self");
  BOOST_TEST(prop_of({"RPUSH", "l", "1", "2", "3", "4", "5"}) == "self");
  BOOST_TEST(prop_of({"LMPOP", "2", "none", "l", "RIGHT", "COUNT", "2"}) == "RPOP l 2");
  BOOST_TEST(prop_of({"LMPOP", "1", "l", "LEFT", "COUNT", "100"}) == "LPOP l 4");
  BOOST_TEST(prop_of({"BLMOVE", "d", "l", "LEFT", "RIGHT", "0"}) == "LMOVE d l LEFT RIGHT");
  BOOST_TEST(prop_of({"BRPOPLPUSH", "l", "d", "0"}) == "RPOPLPUSH l d");
  run({"RPUSH", "l", "x", "y", "z"});
  BOOST_TEST(prop_of({"BLPOP", "none", "l", "0"}) == "LPOP l");
  BOOST_TEST(prop_of({"BRPOP", "l", "0"}) == "RPOP l");
  BOOST_TEST(prop_of({"BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "3"}) == "RPOP l 1");
}

// ---- encoding and node layout ----

BOOST_AUTO_TEST_CASE(object_encoding_is_quicklist_as_redis_7_0) {
  run({"RPUSH", "l", "a"});
  BOOST_TEST(run({"OBJECT", "ENCODING", "l"}) == "\"quicklist\"");
  BOOST_TEST(run({"CONFIG", "SET", "list-max-listpack-size", "2"}) == "+OK");
  run({"RPUSH", "m", "1", "2", "3", "4", "5"});
  BOOST_TEST(run({"OBJECT", "ENCODING", "m"}) == "\"quicklist\"");
}

BOOST_AUTO_TEST_CASE(nodes_bounded_by_entry_count) {
  BOOST_TEST(run({"CONFIG", "SET", "list-max-listpack-size", "3"}) == "+OK");
  for (int i = 0; i < 10; ++i) run({"RPUSH", "l", std::to_string(i)});
  BOOST_TEST(list("l").fill() == 3);
  BOOST_TEST(list("l").node_count() == 4u);  // 3+3+3+1
  for (int i = 0; i < 5; ++i) run({"LPUSH", "l", "h" + std::to_string(i)});
  BOOST_TEST(list("l").node_count() == 6u);  // two more at the head
  // A full node split by LINSERT in its middle.
  BOOST_TEST(run({"LINSERT", "l", "AFTER", "4", "mid"}) == "16");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) ==
             R"(["h4","h3","h2","h1","h0","0","1","2","3","4","mid","5","6","7","8","9"])");
  BOOST_TEST(run({"LINDEX", "l", "10"}) == "\"mid\"");
  BOOST_TEST(run({"LINDEX", "l", "-6"}) == "\"mid\"");
  BOOST_TEST(run({"LRANGE", "l", "4", "12"}) == R"(["h0","0","1","2","3","4","mid","5","6"])");
  // Fill 0: one element per node. The fill is fixed when the list is created.
  BOOST_TEST(run({"CONFIG", "SET", "list-max-listpack-size", "0"}) == "+OK");
  run({"RPUSH", "z", "a", "b", "c"});
  BOOST_TEST(list("z").node_count() == 3u);
  run({"RPUSH", "l", "10"});
  BOOST_TEST(list("l").fill() == 3);
  // Erasing whole nodes and parts of nodes.
  BOOST_TEST(run({"LTRIM", "l", "2", "-3"}) == "+OK");
  BOOST_TEST(run({"LRANGE", "l", "0", "-1"}) == R"(["h2","h1","h0","0","1","2","3","4","mid","5","6","7","8"])");
  BOOST_TEST(run({"LREM", "l", "0", "mid"}) == "1");
  BOOST_TEST(run({"LLEN", "l"}) == "12");
}

BOOST_AUTO_TEST_CASE(nodes_bounded_by_bytes) {
  const std::string big(100, 'x');
  struct cfg {
    const char* fill;
    std::size_t limit;
  };
  for (auto [fill, limit] : {cfg{"-1", 4096}, cfg{"-2", 8192}, cfg{"-3", 16384}, cfg{"-4", 32768},
                             cfg{"-5", 65536}, cfg{"-9", 65536}}) {
    run({"DEL", "l"});
    BOOST_TEST(run({"CONFIG", "SET", "list-max-listpack-size", fill}) == "+OK");
    for (int i = 0; i < 2000; ++i) run({"RPUSH", "l", big});
    const auto& l = list("l");
    // Each 100-byte element takes 103 bytes; a node takes elements while bytes + 108 fit.
    std::size_t per_node = (limit - 7 - 108) / 103 + 1;
    BOOST_TEST(l.node_count() == (2000 + per_node - 1) / per_node, fill);
    BOOST_TEST(run({"OBJECT", "ENCODING", "l"}) == "\"quicklist\"");
    BOOST_TEST(run({"LINDEX", "l", "1999"}) == "\"" + big + "\"");
  }
  // A positive fill is still capped at 8 KB per node.
  run({"DEL", "l"});
  BOOST_TEST(run({"CONFIG", "SET", "list-max-listpack-size", "1000"}) == "+OK");
  for (int i = 0; i < 200; ++i) run({"RPUSH", "l", big});
  BOOST_TEST(list("l").node_count() == 3u);  // 79 per node
}

BOOST_AUTO_TEST_CASE(memory_and_clone) {
  for (int i = 0; i < 1000; ++i) run({"RPUSH", "l", std::to_string(i)});
  const auto& l = list("l");
  BOOST_TEST(l.memory_usage() > 1000u);
  auto copy = l.clone();
  BOOST_TEST(copy->length() == 1000u);
  BOOST_TEST(copy->encoding() == "quicklist");
  BOOST_TEST(run({"COPY", "l", "l2"}) == "1");
  run({"LSET", "l", "0", "changed"});
  BOOST_TEST(run({"LINDEX", "l2", "0"}) == "\"0\"");
  BOOST_TEST(run({"LRANGE", "l2", "998", "-1"}) == R"(["998","999"])");
}

// ---- the store type against a model ----

BOOST_AUTO_TEST_CASE(random_operations_match_a_deque) {
  for (int fill : {1, 2, 5, -1, 0}) {
    list_value l(fill);
    std::deque<std::string> model;
    std::mt19937 rng(42 + fill);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto elem = [&] { return pick(4) == 0 ? std::string(pick(300), 'x') : std::to_string(pick(20)); };
    for (int step = 0; step < 4000; ++step) {
      int op = pick(9);
      if (op <= 1 || model.empty()) {
        auto s = elem();
        if (op == 0) l.push(list_value::end::head, s), model.push_front(s);
        else l.push(list_value::end::tail, s), model.push_back(s);
      } else if (op == 2) {
        auto n = static_cast<std::size_t>(pick(4));
        bool head = pick(2);
        n = std::min(n, model.size());
        l.erase(head ? 0 : model.size() - n, n);
        for (std::size_t i = 0; i < n; ++i) head ? model.pop_front() : model.pop_back();
      } else if (op == 3) {
        auto i = pick(static_cast<int>(model.size()));
        auto s = elem();
        BOOST_REQUIRE(l.set(i - static_cast<int>(model.size()) * pick(2), s));
        model[static_cast<std::size_t>(i)] = s;
      } else if (op == 4) {
        auto pivot = std::to_string(pick(20));
        auto s = elem();
        bool after = pick(2);
        auto it = std::find(model.begin(), model.end(), pivot);
        BOOST_REQUIRE(l.insert(pivot, s, after) == (it != model.end()));
        if (it != model.end()) model.insert(after ? it + 1 : it, s);
      } else if (op == 5) {
        auto s = std::to_string(pick(20));
        std::int64_t count = pick(5) - 2;
        std::size_t want = 0;
        if (count >= 0) {
          for (auto it = model.begin(); it != model.end();)
            if (*it == s && (count == 0 || want < static_cast<std::size_t>(count))) it = model.erase(it), ++want;
            else ++it;
        } else {
          for (auto i = model.size(); i-- > 0;)
            if (model[i] == s && want < static_cast<std::size_t>(-count)) model.erase(model.begin() + i), ++want;
        }
        BOOST_REQUIRE(l.remove(count, s) == want);
      } else if (op == 6) {
        auto start = static_cast<std::size_t>(pick(static_cast<int>(model.size())));
        auto n = static_cast<std::size_t>(pick(8));
        l.erase(start, n);
        n = std::min(n, model.size() - start);
        model.erase(model.begin() + start, model.begin() + start + n);
      } else {
        // Reads: index both ways and walks in both directions.
        BOOST_REQUIRE(l.length() == model.size());
        kvd::store::listpack::int_buf buf;
        std::size_t i = 0;
        for (auto it = l.at(0); it.valid(); it.next(), ++i) BOOST_REQUIRE(it.get(buf) == model[i]);
        BOOST_REQUIRE(i == model.size());
        for (auto it = l.at(model.size() - 1, true); it.valid(); it.next()) BOOST_REQUIRE(it.get(buf) == model[--i]);
        auto k = static_cast<std::size_t>(pick(static_cast<int>(model.size())));
        BOOST_REQUIRE(l.at(k).get(buf) == model[k]);
      }
      BOOST_REQUIRE(l.length() == model.size());
      BOOST_REQUIRE(l.node_count() <= l.length());  // no empty node is left behind
    }
    auto copy = l.clone();
    BOOST_TEST(copy->length() == model.size());
  }
}

// ---- blocking: served by another client's write ----

BOOST_AUTO_TEST_CASE(blpop_served_by_a_push) {
  auto hd = std::make_shared<fake_handle>();
  auto a = blocker(hd);
  run_as(*a, {"BLPOP", "k1", "k2", "0"});
  BOOST_REQUIRE(a->blocked_on);
  BOOST_TEST(h.state().blocking.blocked() == 1u);
  BOOST_TEST(run({"RPUSH", "k2", "x", "y"}) == "2");
  BOOST_TEST(hd->woken == 1);
  BOOST_TEST(served(*a) == "*2\r\n$2\r\nk2\r\n$1\r\nx\r\n");
  BOOST_TEST(run({"LRANGE", "k2", "0", "-1"}) == R"(["y"])");
  // A single pushed element is taken before anyone else sees it: the key is gone.
  auto hd2 = std::make_shared<fake_handle>();
  auto b = blocker(hd2, 3);
  run_as(*b, {"BRPOP", "k3", "0"});
  BOOST_TEST(run({"LPUSH", "k3", "only"}) == "1");
  BOOST_TEST(!exists("k3"));
  BOOST_TEST(served(*b) == "*2\r\n$2\r\nk3\r\n$4\r\nonly\r\n");
}

BOOST_AUTO_TEST_CASE(blocked_on_a_key_of_another_type_keeps_waiting) {
  auto hd = std::make_shared<fake_handle>();
  auto a = blocker(hd);
  run_as(*a, {"BLPOP", "k", "0"});
  run({"SET", "k", "str"});
  BOOST_TEST(hd->woken == 0);
  run({"DEL", "k"});
  run({"RPUSH", "k", "v"});
  BOOST_TEST(hd->woken == 1);
  BOOST_TEST(served(*a) == "*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
}

BOOST_AUTO_TEST_CASE(blmove_served_and_chained) {
  auto h1 = std::make_shared<fake_handle>(), h2 = std::make_shared<fake_handle>();
  auto popper = blocker(h2);
  auto mover = blocker(h1);
  run_as(*popper, {"BLPOP", "dst", "0"});
  run_as(*mover, {"BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"});
  BOOST_TEST(run({"RPUSH", "src", "a", "b"}) == "2");
  BOOST_TEST(h1->woken == 1);
  BOOST_TEST(h2->woken == 1);  // the move created dst, which served the popper in turn
  BOOST_TEST(served(*mover) == "$1\r\nb\r\n");
  BOOST_TEST(served(*popper) == "*2\r\n$3\r\ndst\r\n$1\r\nb\r\n");
  BOOST_TEST(run({"LRANGE", "src", "0", "-1"}) == R"(["a"])");
  BOOST_TEST(!exists("dst"));
}

BOOST_AUTO_TEST_CASE(brpoplpush_with_wrong_type_destination_gets_the_error) {
  auto hd = std::make_shared<fake_handle>();
  auto a = blocker(hd);
  run({"SET", "dst", "str"});
  run_as(*a, {"BRPOPLPUSH", "src", "dst", "0"});
  BOOST_REQUIRE(a->blocked_on);
  run({"RPUSH", "src", "v"});
  BOOST_TEST(hd->woken == 1);
  BOOST_TEST(served(*a) == "-" + wrongtype.substr(1) + "\r\n");
  BOOST_TEST(run({"LRANGE", "src", "0", "-1"}) == R"(["v"])");  // nothing moved
}

BOOST_AUTO_TEST_CASE(blmpop_served_with_count) {
  auto hd = std::make_shared<fake_handle>();
  auto a = blocker(hd);
  run_as(*a, {"BLMPOP", "0", "2", "x", "y", "RIGHT", "COUNT", "2"});
  BOOST_REQUIRE(a->blocked_on);
  run({"RPUSH", "y", "1", "2", "3"});
  BOOST_TEST(hd->woken == 1);
  BOOST_TEST(served(*a) == "*2\r\n$1\r\ny\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
  BOOST_TEST(run({"LRANGE", "y", "0", "-1"}) == R"(["1"])");
}

BOOST_AUTO_TEST_CASE(waiters_are_served_in_order) {
  auto h1 = std::make_shared<fake_handle>(), h2 = std::make_shared<fake_handle>();
  auto a = blocker(h1), b = blocker(h2);
  run_as(*a, {"BRPOP", "k", "0"});
  run_as(*b, {"BLPOP", "k", "0"});
  run({"RPUSH", "k", "1", "2", "3"});
  BOOST_TEST(served(*a) == "*2\r\n$1\r\nk\r\n$1\r\n3\r\n");
  BOOST_TEST(served(*b) == "*2\r\n$1\r\nk\r\n$1\r\n1\r\n");
  BOOST_TEST(run({"LRANGE", "k", "0", "-1"}) == R"(["2"])");
  BOOST_TEST(h.state().blocking.blocked() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
