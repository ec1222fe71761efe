#define BOOST_TEST_MODULE reply_writer
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "kvd/protocol/capture.hpp"
#include "kvd/protocol/resp_writer.hpp"

using namespace kvd::protocol;

namespace {
template <class F>
std::string render(int proto, F&& f) {
  std::string out;
  resp_writer w(&out, proto);
  f(w);
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(resp2_scalars) {
  BOOST_TEST(render(2, [](auto& w) { w.simple("OK"); }) == "+OK\r\n");
  BOOST_TEST(render(2, [](auto& w) { w.error("ERR bad\r\nthing"); }) == "-ERR bad  thing\r\n");
  BOOST_TEST(render(2, [](auto& w) { w.integer(-42); }) == ":-42\r\n");
  BOOST_TEST(render(2, [](auto& w) { w.bulk(std::string_view("a\0b", 3)); }) == std::string("$3\r\na\0b\r\n", 9));
  BOOST_TEST(render(2, [](auto& w) { w.null(); }) == "$-1\r\n");
  BOOST_TEST(render(2, [](auto& w) { w.null_array(); }) == "*-1\r\n");
  BOOST_TEST(render(2, [](auto& w) { w.dbl(1.5); }) == "$3\r\n1.5\r\n");
  BOOST_TEST(render(2, [](auto& w) { w.dbl(INFINITY); }) == "$3\r\ninf\r\n");
  BOOST_TEST(render(2, [](auto& w) { w.boolean(true); }) == ":1\r\n");
  BOOST_TEST(render(2, [](auto& w) { w.verbatim("txt", "hi"); }) == "$2\r\nhi\r\n");
}

BOOST_AUTO_TEST_CASE(resp2_aggregates_flatten_maps) {
  auto s = render(2, [](auto& w) {
    w.map(1);
    w.bulk("k");
    w.set(2);
    w.integer(1);
    w.integer(2);
  });
  BOOST_TEST(s == "*2\r\n$1\r\nk\r\n*2\r\n:1\r\n:2\r\n");
}

BOOST_AUTO_TEST_CASE(resp3_types) {
  BOOST_TEST(render(3, [](auto& w) { w.null(); }) == "_\r\n");
  BOOST_TEST(render(3, [](auto& w) { w.null_array(); }) == "_\r\n");
  BOOST_TEST(render(3, [](auto& w) { w.map(2); }) == "%2\r\n");
  BOOST_TEST(render(3, [](auto& w) { w.set(3); }) == "~3\r\n");
  BOOST_TEST(render(3, [](auto& w) { w.push(2); }) == ">2\r\n");
  BOOST_TEST(render(3, [](auto& w) { w.dbl(3.25); }) == ",3.25\r\n");
  BOOST_TEST(render(3, [](auto& w) { w.dbl(-INFINITY); }) == ",-inf\r\n");
  BOOST_TEST(render(3, [](auto& w) { w.boolean(false); }) == "#f\r\n");
  BOOST_TEST(render(3, [](auto& w) { w.verbatim("txt", "hi"); }) == "=6\r\ntxt:hi\r\n");
}

BOOST_AUTO_TEST_CASE(capture_builds_trees_and_replays_exactly) {
  capture cap;
  cap.array(3);
  cap.bulk("a");
  cap.map(1);
  cap.simple("k");
  cap.array(0);
  cap.null();
  cap.integer(7);
  auto& rs = cap.replies();
  BOOST_REQUIRE(rs.size() == 2u);
  BOOST_TEST(rs[0].debug_string() == "[\"a\",{+k:[]},nil]");
  BOOST_TEST(rs[1].num == 7);
  std::string out;
  resp_writer w(&out, 3);
  replay(rs[0], w);
  BOOST_TEST(out == "*3\r\n$1\r\na\r\n%1\r\n+k\r\n*0\r\n_\r\n");
}
