#define BOOST_TEST_MODULE zset_family
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/command/blocking.hpp"
#include "kvd/command/client_context.hpp"
#include "kvd/store/zset.hpp"

// Expected replies were checked against Debian's redis-server 7.0.15. Replies are compared
// via reply::debug_string(): +simple, -error, integer, "bulk", nil, [array], {map}; doubles
// render as %.17g.

namespace {

/// Counts wake-ups of a blocked client, as a session would.
struct fake_handle final : kvd::command::client_handle {
  int woken = 0;
  void close() override {}
  void unblocked() override { ++woken; }
};

struct fixture {
  kvd::test::harness h;

  /// A second connected client that can block.
  std::shared_ptr<kvd::command::client_context> blocker(std::shared_ptr<fake_handle> hd, int resp = 2) {
    auto c = std::make_shared<kvd::command::client_context>();
    c->id = h.state().clients.next_id();
    c->handle = hd;
    c->resp = resp;
    return c;
  }
  static std::string reply_of(const kvd::command::client_context& c) {
    return c.blocked_on ? c.blocked_on->reply : "<none>";
  }

  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  std::string wire(std::vector<std::string> args) { return h.wire(std::move(args)); }
  std::string enc(const std::string& key) { return run({"OBJECT", "ENCODING", key}); }
  void set_limits(std::int64_t entries, std::int64_t value) {
    h.state().config.zset_max_listpack_entries.store(entries);
    h.state().config.zset_max_listpack_value.store(value);
  }
};

const std::string wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value";
const std::string not_float = "-ERR value is not a valid float";
const std::string syntax = "-ERR syntax error";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(zset_family, fixture)

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  using namespace kvd::command;
  using row = kvd::test::expected_row;
  const std::uint32_t w = f_write, r = f_readonly, oom = f_denyoom, fast = f_fast, mk = f_movablekeys;
  const row rows[] = {
      {"zadd", -4, w | oom | fast, 1, 1, 1, "write sortedset fast"},
      {"zincrby", 4, w | oom | fast, 1, 1, 1, "write sortedset fast"},
      {"zrem", -3, w | fast, 1, 1, 1, "write sortedset fast"},
      {"zcard", 2, r | fast, 1, 1, 1, "read sortedset fast"},
      {"zscore", 3, r | fast, 1, 1, 1, "read sortedset fast"},
      {"zmscore", -3, r | fast, 1, 1, 1, "read sortedset fast"},
      {"zrank", 3, r | fast, 1, 1, 1, "read sortedset fast"},
      {"zrevrank", 3, r | fast, 1, 1, 1, "read sortedset fast"},
      {"zcount", 4, r | fast, 1, 1, 1, "read sortedset fast"},
      {"zlexcount", 4, r | fast, 1, 1, 1, "read sortedset fast"},
      {"zrange", -4, r, 1, 1, 1, "read sortedset slow"},
      {"zrangestore", -5, w | oom, 1, 2, 1, "write sortedset slow"},
      {"zrevrange", -4, r, 1, 1, 1, "read sortedset slow"},
      {"zrangebyscore", -4, r, 1, 1, 1, "read sortedset slow"},
      {"zrevrangebyscore", -4, r, 1, 1, 1, "read sortedset slow"},
      {"zrangebylex", -4, r, 1, 1, 1, "read sortedset slow"},
      {"zrevrangebylex", -4, r, 1, 1, 1, "read sortedset slow"},
      {"zremrangebyrank", 4, w, 1, 1, 1, "write sortedset slow"},
      {"zremrangebyscore", 4, w, 1, 1, 1, "write sortedset slow"},
      {"zremrangebylex", 4, w, 1, 1, 1, "write sortedset slow"},
      {"zpopmin", -2, w | fast, 1, 1, 1, "write sortedset fast"},
      {"zpopmax", -2, w | fast, 1, 1, 1, "write sortedset fast"},
      {"zmpop", -4, w | mk, 0, 0, 0, "write sortedset slow"},
      {"bzpopmin", -3, w | f_noscript | f_blocking | fast, 1, -2, 1, "write sortedset fast blocking"},
      {"bzpopmax", -3, w | f_noscript | f_blocking | fast, 1, -2, 1, "write sortedset fast blocking"},
      {"bzmpop", -5, w | f_blocking | mk, 0, 0, 0, "write sortedset slow blocking"},
      {"zrandmember", -2, r, 1, 1, 1, "read sortedset slow"},
      {"zunion", -3, r | mk, 0, 0, 0, "read sortedset slow"},
      {"zinter", -3, r | mk, 0, 0, 0, "read sortedset slow"},
      {"zdiff", -3, r | mk, 0, 0, 0, "read sortedset slow"},
      {"zintercard", -3, r | mk, 0, 0, 0, "read sortedset slow"},
      {"zunionstore", -4, w | oom | mk, 1, 1, 1, "write sortedset slow"},
      {"zinterstore", -4, w | oom | mk, 1, 1, 1, "write sortedset slow"},
      {"zdiffstore", -4, w | oom | mk, 1, 1, 1, "write sortedset slow"},
      {"zscan", -3, r, 1, 1, 1, "read sortedset slow"},
  };
  auto& t = h.state().table;
  kvd::test::check_rows(t, rows);
}

BOOST_AUTO_TEST_CASE(zadd_options_and_errors) {
  BOOST_TEST(run({"ZADD", "z", "1", "a", "2", "b"}) == "2");
  BOOST_TEST(run({"ZADD", "z", "NX", "5", "a", "3", "c"}) == "1");
  BOOST_TEST(run({"ZSCORE", "z", "a"}) == "1");
  BOOST_TEST(run({"ZADD", "z", "XX", "CH", "5", "a", "9", "d"}) == "1");
  BOOST_TEST(run({"ZSCORE", "z", "d"}) == "nil");
  BOOST_TEST(run({"ZADD", "z", "GT", "CH", "1", "a", "10", "b"}) == "1");
  BOOST_TEST(run({"ZADD", "z", "LT", "CH", "7", "a"}) == "0");
  BOOST_TEST(run({"ZADD", "z", "INCR", "1.5", "a"}) == "6.5");
  BOOST_TEST(run({"ZADD", "z", "INCR", "NX", "1", "a"}) == "nil");
  BOOST_TEST(run({"ZINCRBY", "z", "-0.5", "a"}) == "6");
  BOOST_TEST(run({"ZADD", "z", "XX", "NX", "1", "a"}) == "-ERR XX and NX options at the same time are not compatible");
  BOOST_TEST(run({"ZADD", "z", "GT", "LT", "1", "a"}) ==
             "-ERR GT, LT, and/or NX options at the same time are not compatible");
  BOOST_TEST(run({"ZADD", "z", "NX", "GT", "1", "a"}) ==
             "-ERR GT, LT, and/or NX options at the same time are not compatible");
  BOOST_TEST(run({"ZADD", "z", "INCR", "1", "a", "2", "b"}) ==
             "-ERR INCR option supports a single increment-element pair");
  BOOST_TEST(run({"ZADD", "z", "1", "a", "2"}) == syntax);
  BOOST_TEST(run({"ZADD", "z", "nan", "a"}) == not_float);
  BOOST_TEST(run({"ZADD", "z", "abc", "a"}) == not_float);
  BOOST_TEST(run({"ZINCRBY", "z", "x", "a"}) == not_float);
  BOOST_TEST(run({"ZADD", "z", "inf", "x"}) == "1");
  BOOST_TEST(run({"ZINCRBY", "z", "-inf", "x"}) == "-ERR resulting score is not a number (NaN)");
  BOOST_TEST(run({"ZADD", "z", "-inf", "y"}) == "1");
  BOOST_TEST(run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) ==
             "[\"y\",-inf,\"c\",3,\"a\",6,\"b\",10,\"x\",inf]");
  BOOST_TEST(run({"ZADD", "nokey", "XX", "1", "a"}) == "0");
  BOOST_TEST(run({"ZADD", "nokey", "XX", "INCR", "1", "a"}) == "nil");
  BOOST_TEST(run({"EXISTS", "nokey"}) == "0");
}

BOOST_AUTO_TEST_CASE(basics_and_wrongtype) {
  BOOST_TEST(run({"SET", "s", "x"}) == "+OK");
  for (auto cmd : std::vector<std::vector<std::string>>{{"ZADD", "s", "1", "a"},
                                                        {"ZCARD", "s"},
                                                        {"ZSCORE", "s", "a"},
                                                        {"ZRANGE", "s", "0", "-1"},
                                                        {"ZPOPMIN", "s"},
                                                        {"ZUNION", "1", "s"},
                                                        {"ZSCAN", "s", "0"},
                                                        {"ZRANDMEMBER", "s"},
                                                        {"ZREM", "s", "a"}})
    BOOST_TEST(run(cmd) == wrongtype);
  BOOST_TEST(run({"ZADD", "z", "1", "a", "2", "b", "3", "c"}) == "3");
  BOOST_TEST(run({"TYPE", "z"}) == "+zset");
  BOOST_TEST(run({"ZCARD", "z"}) == "3");
  BOOST_TEST(run({"ZCARD", "none"}) == "0");
  BOOST_TEST(run({"ZMSCORE", "z", "a", "x", "c"}) == "[1,nil,3]");
  BOOST_TEST(run({"ZRANK", "z", "c"}) == "2");
  BOOST_TEST(run({"ZREVRANK", "z", "c"}) == "0");
  BOOST_TEST(run({"ZRANK", "z", "x"}) == "nil");
  BOOST_TEST(run({"ZREM", "z", "a", "x"}) == "1");
  BOOST_TEST(run({"ZREM", "z", "b", "c"}) == "2");
  BOOST_TEST(run({"EXISTS", "z"}) == "0");
}

BOOST_AUTO_TEST_CASE(ranges_both_encodings) {
  for (std::int64_t entries : {128, 0}) {
    BOOST_TEST_CONTEXT("entries " << entries) {
      set_limits(entries, 64);
      run({"DEL", "z", "l"});
      run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
      BOOST_TEST(enc("z") == (entries ? "\"listpack\"" : "\"skiplist\""));
      BOOST_TEST(run({"ZRANGE", "z", "1", "-2"}) == "[\"b\",\"c\",\"d\"]");
      BOOST_TEST(run({"ZRANGE", "z", "-100", "100", "REV"}) == "[\"e\",\"d\",\"c\",\"b\",\"a\"]");
      BOOST_TEST(run({"ZREVRANGE", "z", "0", "1", "WITHSCORES"}) == "[\"e\",5,\"d\",4]");
      BOOST_TEST(run({"ZRANGE", "z", "3", "1"}) == "[]");
      BOOST_TEST(run({"ZRANGEBYSCORE", "z", "(1", "4"}) == "[\"b\",\"c\",\"d\"]");
      BOOST_TEST(run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"}) == "[\"b\",\"c\"]");
      BOOST_TEST(run({"ZREVRANGEBYSCORE", "z", "4", "(1", "LIMIT", "1", "-1"}) == "[\"c\",\"b\"]");
      BOOST_TEST(run({"ZRANGE", "z", "(5", "2", "BYSCORE", "REV"}) == "[\"d\",\"c\",\"b\"]");
      BOOST_TEST(run({"ZRANGEBYSCORE", "z", "x", "2"}) == "-ERR min or max is not a float");
      BOOST_TEST(run({"ZCOUNT", "z", "(2", "+inf"}) == "3");
      BOOST_TEST(run({"ZCOUNT", "z", "3", "(3"}) == "0");
      run({"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"});
      BOOST_TEST(run({"ZRANGEBYLEX", "l", "[b", "(d"}) == "[\"b\",\"c\"]");
      BOOST_TEST(run({"ZREVRANGEBYLEX", "l", "+", "(b"}) == "[\"d\",\"c\"]");
      BOOST_TEST(run({"ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", "1", "2"}) == "[\"b\",\"c\"]");
      BOOST_TEST(run({"ZLEXCOUNT", "l", "-", "[c"}) == "3");
      BOOST_TEST(run({"ZLEXCOUNT", "l", "a", "[c"}) == "-ERR min or max not valid string range item");
      BOOST_TEST(run({"ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"}) ==
                 "-ERR syntax error, WITHSCORES not supported in combination with BYLEX");
      BOOST_TEST(run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}) ==
                 "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
      BOOST_TEST(run({"ZREMRANGEBYLEX", "l", "[b", "[c"}) == "2");
      BOOST_TEST(run({"ZRANGE", "l", "0", "-1"}) == "[\"a\",\"d\"]");
      BOOST_TEST(run({"ZREMRANGEBYSCORE", "z", "(1", "2"}) == "1");
      BOOST_TEST(run({"ZREMRANGEBYRANK", "z", "-2", "-1"}) == "2");
      BOOST_TEST(run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) == "[\"a\",1,\"c\",3]");
      BOOST_TEST(run({"ZPOPMAX", "z"}) == "[\"c\",3]");
      BOOST_TEST(run({"ZPOPMIN", "z", "5"}) == "[\"a\",1]");
      BOOST_TEST(run({"EXISTS", "z"}) == "0");
    }
  }
}

BOOST_AUTO_TEST_CASE(conversions) {
  set_limits(3, 5);
  run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  BOOST_TEST(enc("z") == "\"listpack\"");
  run({"ZADD", "z", "4", "d"});
  BOOST_TEST(enc("z") == "\"skiplist\"");
  run({"ZREM", "z", "a", "b", "c"});
  BOOST_TEST(enc("z") == "\"skiplist\"");  // never back
  run({"ZADD", "v", "1", "abcdef"});
  BOOST_TEST(enc("v") == "\"skiplist\"");
  run({"ZADD", "w", "-0", "a", "2", "b", "3", "c", "4", "d"});  // created as a listpack: -0 is stored as 0
  BOOST_TEST(enc("w") == "\"skiplist\"");
  BOOST_TEST(run({"ZSCORE", "w", "a"}) == "0");
  run({"ZADD", "w", "-0", "a0"});  // a skiplist keeps -0
  BOOST_TEST(run({"ZSCORE", "w", "a0"}) == "-0");
  run({"ZREM", "w", "a0"});
  run({"ZADD", "w", "1", "a"});
  // Store results are built small when they fit (zsetConvertToListpackIfNeeded).
  BOOST_TEST(run({"ZRANGESTORE", "d", "w", "0", "1"}) == "2");
  BOOST_TEST(enc("d") == "\"listpack\"");
  BOOST_TEST(run({"ZUNIONSTORE", "u", "1", "w"}) == "4");
  BOOST_TEST(enc("u") == "\"skiplist\"");
  BOOST_TEST(run({"ZINTERSTORE", "i", "2", "w", "z"}) == "1");
  BOOST_TEST(enc("i") == "\"listpack\"");
  BOOST_TEST(run({"ZRANGE", "i", "0", "-1", "WITHSCORES"}) == "[\"d\",8]");
}

BOOST_AUTO_TEST_CASE(set_operations) {
  run({"ZADD", "a", "1", "x", "2", "y", "3", "z"});
  run({"ZADD", "b", "10", "y", "20", "z", "30", "w"});
  BOOST_TEST(run({"ZUNION", "2", "a", "b", "WITHSCORES"}) == "[\"x\",1,\"y\",12,\"z\",23,\"w\",30]");
  BOOST_TEST(run({"ZINTER", "2", "a", "b", "WEIGHTS", "2", "1", "AGGREGATE", "MIN", "WITHSCORES"}) ==
             "[\"y\",4,\"z\",6]");
  BOOST_TEST(run({"ZINTER", "2", "a", "b", "AGGREGATE", "MAX"}) == "[\"y\",\"z\"]");
  BOOST_TEST(run({"ZDIFF", "2", "a", "b", "WITHSCORES"}) == "[\"x\",1]");
  BOOST_TEST(run({"ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"}) == syntax);
  BOOST_TEST(run({"ZINTERCARD", "2", "a", "b"}) == "2");
  BOOST_TEST(run({"ZINTERCARD", "2", "a", "b", "LIMIT", "1"}) == "1");
  BOOST_TEST(run({"ZINTERCARD", "2", "a", "b", "LIMIT", "-1"}) == "-ERR LIMIT can't be negative");
  BOOST_TEST(run({"ZUNION", "0", "a"}) == "-ERR at least 1 input key is needed for 'zunion' command");
  BOOST_TEST(run({"ZUNIONSTORE", "d", "0", "a"}) == "-ERR at least 1 input key is needed for 'zunionstore' command");
  BOOST_TEST(run({"ZUNION", "3", "a", "b"}) == syntax);
  BOOST_TEST(run({"ZUNION", "x", "a"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"ZUNION", "2", "a", "b", "WEIGHTS", "1", "q"}) == "-ERR weight value is not a float");
  BOOST_TEST(run({"ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"}) == syntax);
  BOOST_TEST(run({"ZUNION", "2", "a", "b", "WEIGHTS", "0", "inf", "WITHSCORES"}) ==
             "[\"x\",0,\"w\",inf,\"y\",inf,\"z\",inf]");
  // Sets count each member with score 1.
  run({"SADD", "s", "y", "q"});
  BOOST_TEST(run({"ZUNION", "2", "a", "s", "WITHSCORES"}) == "[\"q\",1,\"x\",1,\"y\",3,\"z\",3]");
  BOOST_TEST(run({"ZINTER", "2", "s", "b", "WEIGHTS", "5", "1", "WITHSCORES"}) == "[\"y\",15]");
  BOOST_TEST(run({"ZDIFF", "2", "s", "a", "WITHSCORES"}) == "[\"q\",1]");
  BOOST_TEST(run({"ZINTERCARD", "2", "s", "s"}) == "2");
  run({"SET", "str", "x"});
  BOOST_TEST(run({"ZUNION", "2", "a", "str"}) == wrongtype);
  BOOST_TEST(run({"ZDIFFSTORE", "d", "2", "a", "a"}) == "0");
  BOOST_TEST(run({"EXISTS", "d"}) == "0");
}

BOOST_AUTO_TEST_CASE(pops_and_blocking_forms) {
  run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  BOOST_TEST(run({"ZPOPMIN", "z", "-1"}) == "-ERR value is out of range, must be positive");
  BOOST_TEST(run({"ZPOPMIN", "z", "0"}) == "[]");
  BOOST_TEST(run({"ZPOPMIN", "none"}) == "[]");
  BOOST_TEST(run({"ZMPOP", "2", "none", "z", "MAX", "COUNT", "2"}) == "[\"z\",[[\"c\",3],[\"b\",2]]]");
  BOOST_TEST(run({"ZMPOP", "1", "none", "MIN"}) == "nil");
  BOOST_TEST(run({"ZMPOP", "0", "z", "MIN"}) == "-ERR numkeys should be greater than 0");
  BOOST_TEST(run({"ZMPOP", "1", "z", "MIN", "COUNT", "0"}) == "-ERR count should be greater than 0");
  BOOST_TEST(run({"ZMPOP", "1", "z", "LEFT"}) == syntax);
  BOOST_TEST(run({"BZPOPMIN", "none", "z", "0"}) == "[\"z\",\"a\",1]");
  BOOST_TEST(run({"BZPOPMIN", "z", "-1"}) == "-ERR timeout is negative");
  BOOST_TEST(run({"BZMPOP", "0", "1", "z", "MIN"}) == "nil");  // the harness client may not block
}

BOOST_AUTO_TEST_CASE(blocked_clients_are_served_by_writes) {
  auto h1 = std::make_shared<fake_handle>(), h2 = std::make_shared<fake_handle>(),
       h3 = std::make_shared<fake_handle>();
  auto a = blocker(h1), b = blocker(h2, 3), d = blocker(h3);
  h.run_as(*a, {"BZPOPMIN", "z", "0"});
  h.run_as(*b, {"BZMPOP", "0", "2", "other", "z", "MAX", "COUNT", "2"});
  h.run_as(*d, {"BZPOPMAX", "w", "0"});
  BOOST_TEST(h.state().blocking.blocked() == 3u);
  BOOST_TEST(run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}) == "4");
  BOOST_TEST(h1->woken == 1);
  BOOST_TEST(reply_of(*a) == "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n");
  BOOST_TEST(h2->woken == 1);
  BOOST_TEST(reply_of(*b) == "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$1\r\nc\r\n,3\r\n");
  BOOST_TEST(run({"ZRANGE", "z", "0", "-1"}) == "[\"b\"]");
  // A key of another type does not serve a zset waiter; a zset store result does.
  run({"SET", "w", "x"});
  BOOST_TEST(h3->woken == 0);
  run({"DEL", "w"});
  BOOST_TEST(run({"ZUNIONSTORE", "w", "1", "z"}) == "1");
  BOOST_TEST(h3->woken == 1);
  BOOST_TEST(reply_of(*d) == "*3\r\n$1\r\nw\r\n$1\r\nb\r\n$1\r\n2\r\n");
  BOOST_TEST(run({"EXISTS", "w"}) == "0");
  BOOST_TEST(h.state().blocking.blocked() == 0u);
}

BOOST_AUTO_TEST_CASE(resp_wire_shapes) {
  run({"ZADD", "z", "1.1", "a", "2", "b"});
  BOOST_TEST(wire({"ZSCORE", "z", "a"}) == "$18\r\n1.1000000000000001\r\n");
  BOOST_TEST(wire({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) ==
             "*4\r\n$1\r\na\r\n$18\r\n1.1000000000000001\r\n$1\r\nb\r\n$1\r\n2\r\n");
  h.client().resp = 3;
  BOOST_TEST(wire({"ZSCORE", "z", "a"}) == ",1.1000000000000001\r\n");
  BOOST_TEST(wire({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) ==
             "*2\r\n*2\r\n$1\r\na\r\n,1.1000000000000001\r\n*2\r\n$1\r\nb\r\n,2\r\n");
  BOOST_TEST(wire({"ZPOPMIN", "z"}) == "*2\r\n$1\r\na\r\n,1.1000000000000001\r\n");
  BOOST_TEST(wire({"ZPOPMIN", "z", "1"}) == "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
  BOOST_TEST(wire({"ZSCORE", "z", "a"}) == "_\r\n");
}

BOOST_AUTO_TEST_CASE(zscan_and_randmember) {
  run({"ZADD", "z", "1.5", "a", "2", "b"});
  BOOST_TEST(run({"ZSCAN", "z", "0"}) == "[\"0\",[\"a\",\"1.5\",\"b\",\"2\"]]");
  BOOST_TEST(run({"ZSCAN", "z", "0", "MATCH", "b*"}) == "[\"0\",[\"b\",\"2\"]]");
  BOOST_TEST(run({"ZSCAN", "z", "x"}) == "-ERR invalid cursor");
  BOOST_TEST(run({"ZSCAN", "z", "0", "COUNT", "0"}) == syntax);
  BOOST_TEST(run({"ZSCAN", "none", "0"}) == "[\"0\",[]]");
  BOOST_TEST(run({"ZRANDMEMBER", "z", "5", "WITHSCORES"}) == "[\"b\",2,\"a\",1.5]");
  BOOST_TEST(run({"ZRANDMEMBER", "z", "0"}) == "[]");
  BOOST_TEST(run({"ZRANDMEMBER", "none"}) == "nil");
  BOOST_TEST(run({"ZRANDMEMBER", "z", "1", "x"}) == syntax);
  auto r = h.run({"ZRANDMEMBER", "z", "-7"});
  BOOST_TEST(r.elems.size() == 7u);
  // A big skiplist zset: a full ZSCAN returns every member exactly once.
  set_limits(16, 64);
  for (int i = 0; i < 1000; ++i) run({"ZADD", "big", std::to_string(i), "m" + std::to_string(i)});
  std::set<std::string> seen;
  std::string cursor = "0";
  do {
    auto rep = h.run({"ZSCAN", "big", cursor, "COUNT", "50"});
    cursor = rep.elems[0].str;
    for (std::size_t i = 0; i < rep.elems[1].elems.size(); i += 2) seen.insert(rep.elems[1].elems[i].str);
  } while (cursor != "0");
  BOOST_TEST(seen.size() == 1000u);
  auto u = h.run({"ZRANDMEMBER", "big", "600"});
  std::set<std::string> distinct;
  for (auto& e : u.elems) distinct.insert(e.str);
  BOOST_TEST(distinct.size() == 600u);
}

// Rank and range queries on a 10k-member zset (skiplist) checked against a std::set.
BOOST_AUTO_TEST_CASE(ranks_against_reference_10k) {
  std::mt19937 rng(42);
  std::set<std::pair<double, std::string>> ref;
  std::map<std::string, double> scores;
  for (int i = 0; i < 12000; ++i) {
    std::string m = "m" + std::to_string(rng() % 10000);
    double s = static_cast<double>(rng() % 500);
    if (auto it = scores.find(m); it != scores.end()) ref.erase({it->second, m});
    scores[m] = s;
    ref.insert({s, m});
    run({"ZADD", "z", std::to_string(static_cast<int>(s)), m});
  }
  for (int i = 0; i < 2000; ++i) {
    std::string m = "m" + std::to_string(rng() % 10000);
    auto it = scores.find(m);
    BOOST_TEST(run({"ZREM", "z", m}) == (it != scores.end() ? "1" : "0"));
    if (it != scores.end()) {
      ref.erase({it->second, m});
      scores.erase(it);
    }
  }
  BOOST_TEST(enc("z") == "\"skiplist\"");
  BOOST_TEST(run({"ZCARD", "z"}) == std::to_string(ref.size()));
  std::vector<std::pair<double, std::string>> v(ref.begin(), ref.end());
  for (int i = 0; i < 200; ++i) {
    std::size_t k = rng() % v.size();
    BOOST_TEST(run({"ZRANK", "z", v[k].second}) == std::to_string(k));
    BOOST_TEST(run({"ZREVRANK", "z", v[k].second}) == std::to_string(v.size() - 1 - k));
    auto r = h.run({"ZRANGE", "z", std::to_string(k), std::to_string(k + 2)});
    for (std::size_t j = 0; j < r.elems.size(); ++j) BOOST_TEST(r.elems[j].str == v[k + j].second);
    int lo = static_cast<int>(rng() % 500), hi = lo + static_cast<int>(rng() % 50);
    auto count = std::count_if(v.begin(), v.end(), [&](auto& e) { return e.first > lo && e.first <= hi; });
    BOOST_TEST(run({"ZCOUNT", "z", "(" + std::to_string(lo), std::to_string(hi)}) == std::to_string(count));
  }
  // Full ascending and descending walks.
  auto all = h.run({"ZRANGE", "z", "0", "-1"});
  BOOST_TEST_REQUIRE(all.elems.size() == v.size());
  for (std::size_t j = 0; j < v.size(); ++j) BOOST_TEST_REQUIRE(all.elems[j].str == v[j].second);
  auto rev = h.run({"ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV"});
  BOOST_TEST_REQUIRE(rev.elems.size() == v.size());
  for (std::size_t j = 0; j < v.size(); ++j) BOOST_TEST_REQUIRE(rev.elems[j].str == v[v.size() - 1 - j].second);
  // Remove a middle rank range and compare again.
  BOOST_TEST(run({"ZREMRANGEBYRANK", "z", "100", "2099"}) == "2000");
  v.erase(v.begin() + 100, v.begin() + 2100);
  all = h.run({"ZRANGE", "z", "0", "-1"});
  BOOST_TEST_REQUIRE(all.elems.size() == v.size());
  for (std::size_t j = 0; j < v.size(); ++j) BOOST_TEST_REQUIRE(all.elems[j].str == v[j].second);
  // Incrementing moves members.
  for (int i = 0; i < 300; ++i) {
    std::size_t k = rng() % v.size();
    run({"ZINCRBY", "z", "7", v[k].second});
    v[k].first += 7;
  }
  std::sort(v.begin(), v.end());
  all = h.run({"ZRANGE", "z", "0", "-1", "WITHSCORES"});
  BOOST_TEST_REQUIRE(all.elems.size() == 2 * v.size());
  for (std::size_t j = 0; j < v.size(); ++j) {
    BOOST_TEST_REQUIRE(all.elems[2 * j].str == v[j].second);
    BOOST_TEST_REQUIRE(all.elems[2 * j + 1].dbl == v[j].first);
  }
}

BOOST_AUTO_TEST_CASE(format_score_matches_d2string) {
  char buf[32];
  auto f = [&](double d) { return std::string(buf, kvd::store::zset_format_score(d, buf)); };
  BOOST_TEST(f(3) == "3");
  BOOST_TEST(f(-0.0) == "0");
  BOOST_TEST(f(1e17) == "100000000000000000");
  BOOST_TEST(f(1.5e300) == "1.5000000000000001e+300");
  BOOST_TEST(f(1.5) == "1.5");
  BOOST_TEST(f(1.1) == "1.1000000000000001");
  BOOST_TEST(f(INFINITY) == "inf");
  BOOST_TEST(f(-INFINITY) == "-inf");
  BOOST_TEST(f(1e20) == "1e+20");
  BOOST_TEST(f(4611686018427387904.0) == "4611686018427387904");
}

BOOST_AUTO_TEST_SUITE_END()
