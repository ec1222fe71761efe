#define BOOST_TEST_MODULE sort_family
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "harness.hpp"

// SORT / SORT_RO. Expected replies were checked against Debian's redis-server 7.0.15
// (test/e2e/diff/sort.txt runs the same kind of lines against both servers).

namespace {

struct fixture {
  kvd::test::harness h;
  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sort_family, fixture)

BOOST_AUTO_TEST_CASE(rows_match_redis) {
  auto* s = h.state().table.find("sort");
  BOOST_REQUIRE(s);
  BOOST_TEST(s->arity == -2);
  BOOST_TEST(s->has(kvd::command::f_write));
  BOOST_TEST(s->has(kvd::command::f_denyoom));
  BOOST_TEST(s->has(kvd::command::f_global_lock));  // BY/GET read keys known only while sorting
  auto* ro = h.state().table.find("sort_ro");
  BOOST_REQUIRE(ro);
  BOOST_TEST(ro->has(kvd::command::f_readonly));
  BOOST_TEST(!ro->has(kvd::command::f_write));
}

BOOST_AUTO_TEST_CASE(numeric_alpha_and_limit) {
  run({"rpush","l","3","1","2","10"});
  BOOST_TEST(run({"sort","l"}) == R"(["1","2","3","10"])");
  BOOST_TEST(run({"sort","l","alpha"}) == R"(["1","10","2","3"])");
  BOOST_TEST(run({"sort","l","desc","limit","1","2"}) == R"(["3","2"])");
  BOOST_TEST(run({"sort","l","limit","9","1"}) == "[]");
  run({"rpush","bad","1","x"});
  BOOST_TEST(run({"sort","bad"}) == "-ERR One or more scores can't be converted into double");
  BOOST_TEST(run({"sort","l","limit","x","1"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"sort","l","bogus"}) == "-ERR syntax error");
  BOOST_TEST(run({"sort_ro","l","store","d"}) == "-ERR syntax error");
}

BOOST_AUTO_TEST_CASE(by_and_get_patterns) {
  run({"rpush","ids","1","2","3"});
  run({"mset","w_1","30","w_2","10","w_3","20","n_1","one","n_2","two"});
  run({"hset","h_1","f","5"});
  run({"hset","h_2","f","1"});
  run({"hset","h_3","f","3"});
  BOOST_TEST(run({"sort","ids","by","w_*"}) == R"(["2","3","1"])");
  BOOST_TEST(run({"sort","ids","by","w_*","get","#","get","n_*"}) ==
             R"(["2","two","3",nil,"1","one"])");
  BOOST_TEST(run({"sort","ids","by","h_*->f"}) == R"(["2","3","1"])");
  BOOST_TEST(run({"sort","ids","by","nosort","get","h_*->f"}) == R"(["5","1","3"])");
}

BOOST_AUTO_TEST_CASE(store_replaces_and_empty_result_deletes) {
  run({"sadd","s","3","1","2"});
  run({"set","dst","old"});
  BOOST_TEST(run({"sort","s","store","dst"}) == "3");
  BOOST_TEST(run({"type","dst"}) == "+list");
  BOOST_TEST(run({"lrange","dst","0","-1"}) == R"(["1","2","3"])");
  BOOST_TEST(run({"sort","missing","store","dst"}) == "0");
  BOOST_TEST(run({"exists","dst"}) == "0");
  run({"set","str","x"});
  BOOST_TEST(run({"sort","str"}) == "-WRONGTYPE Operation against a key holding the wrong kind of value");
}

BOOST_AUTO_TEST_CASE(zset_nosort_keeps_score_order_and_limit) {
  run({"zadd","z","1","c","2","b","3","a"});
  BOOST_TEST(run({"sort","z","by","nosort"}) == R"(["c","b","a"])");
  BOOST_TEST(run({"sort","z","by","nosort","desc","limit","0","2"}) == R"(["a","b"])");
  BOOST_TEST(run({"sort","z","alpha"}) == R"(["a","b","c"])");
}

BOOST_AUTO_TEST_SUITE_END()
