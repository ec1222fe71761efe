// The typed HTTP routes (typed_routes.hpp) without sockets: requests go through
// route_request() and the real command families (harness.hpp), so RESP-side checks read the
// same keyspace. End to end with curl: test/e2e/test_http_typed.py.
#define BOOST_TEST_MODULE http_typed
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include <boost/json.hpp>

#include "harness.hpp"
#include "kvd/http/json_reply.hpp"
#include "kvd/http/router.hpp"

namespace json = boost::json;
using kvd::protocol::reply;

namespace {

constexpr std::string_view app_json = "application/json";
constexpr std::string_view wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";

struct fixture {
  kvd::test::harness h;
  kvd::command::dispatcher d{h.state()};
  kvd::command::client_context ctx;

  fixture() {
    ctx.id = h.state().clients.next_id();
    ctx.is_http = true;
    ctx.resp = 3;
  }

  kvd::http::response call(std::string_view method, std::string_view target, std::string_view body = {},
                           std::string_view content_type = {}) {
    kvd::http::request r{method, target, content_type, {}, body};
    return kvd::http::route_request(d, ctx, r);
  }

  // The elements of a RESP array reply (LRANGE, SMEMBERS sorted).
  std::vector<std::string> strings(std::vector<std::string> args, bool sorted = false) {
    std::vector<std::string> out;
    for (auto& e : h.run(std::move(args)).elems) out.push_back(e.str);
    if (sorted) std::sort(out.begin(), out.end());
    return out;
  }
};

bool json_eq(const kvd::http::response& r, unsigned status, std::string_view expected) {
  bool ok = r.status == status && r.content_type == "application/json" && json::parse(r.body) == json::parse(expected);
  if (!ok) BOOST_TEST_MESSAGE("got " << r.status << " " << r.body << " expected " << status << " " << expected);
  return ok;
}

bool is_error(const kvd::http::response& r, unsigned status, std::string_view code) {
  if (r.status != status) {
    BOOST_TEST_MESSAGE("got " << r.status << " " << r.body << " expected " << status << " " << code);
    return false;
  }
  auto v = json::parse(r.body);
  return v.is_object() && v.as_object().contains("error") && v.at("code") == json::value(code);
}

std::string b64(std::string_view s) { return kvd::http::base64_encode(s); }

}  // namespace

BOOST_AUTO_TEST_SUITE(http_typed)

BOOST_AUTO_TEST_CASE(path_parameters) {
  fixture f;
  // two parameters, each percent-decoded; a third segment is no route
  BOOST_TEST(f.call("POST", "/v1/sets/a%2Fb", "x/y").status == 200u);
  BOOST_TEST(json_eq(f.call("GET", "/v1/sets/a%2Fb/x%2Fy"), 200, R"({"member":"x/y","exists":true})"));
  BOOST_TEST(is_error(f.call("GET", "/v1/sets/a/b/c"), 404, "NOT_FOUND"));
  BOOST_TEST(is_error(f.call("GET", "/v1/sets//x"), 400, "BAD_REQUEST"));
  auto r = f.call("GET", "/v1/sets/k/");
  BOOST_TEST(is_error(r, 400, "BAD_REQUEST"));
  BOOST_TEST(r.body.find("empty member") != std::string::npos);
  r = f.call("GET", "/v1/hashes/k/%zz");
  BOOST_TEST(is_error(r, 400, "BAD_REQUEST"));
  BOOST_TEST(r.body.find("field") != std::string::npos);
  BOOST_TEST(is_error(f.call("GET", "/v1/hashes"), 404, "NOT_FOUND"));
  r = f.call("POST", "/v1/sets/k/m");
  BOOST_TEST(r.status == 405u);
  BOOST_TEST(r.allow == "GET");
  r = f.call("PUT", "/v1/lists/k");
  BOOST_TEST(r.status == 405u);
  BOOST_TEST(r.allow == "GET, POST, DELETE");
  // the kv route keeps its one-segment shape
  BOOST_TEST(is_error(f.call("GET", "/v1/kv/a/b"), 404, "NOT_FOUND"));
  BOOST_TEST(is_error(f.call("GET", "/v1/kv/"), 400, "BAD_REQUEST"));
}

BOOST_AUTO_TEST_CASE(lists) {
  fixture f;
  BOOST_TEST(json_eq(f.call("POST", "/v1/lists/l", R"(["a","b"])", app_json), 200, R"({"length":2})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/lists/l?end=left", R"(["y","z"])", app_json), 200, R"({"length":4})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/lists/l", R"(["raw"])", "text/plain"), 200, R"({"length":5})"));
  BOOST_TEST((f.strings({"LRANGE", "l", "0", "-1"}) == std::vector<std::string>{"z", "y", "a", "b", R"(["raw"])"}));
  BOOST_TEST(json_eq(f.call("GET", "/v1/lists/l?start=1&stop=2"), 200, R"(["y","a"])"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/lists/l?start=50"), 200, "[]"));
  BOOST_TEST(is_error(f.call("GET", "/v1/lists/none"), 404, "NOT_FOUND"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/lists/l"), 200, R"({"values":["z"]})"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/lists/l?end=right&count=2"), 200, R"({"values":["[\"raw\"]","b"]})"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/lists/l?count=5"), 200, R"({"values":["y","a"]})"));
  BOOST_TEST(f.h.run({"EXISTS", "l"}).num == 0);
  BOOST_TEST(is_error(f.call("DELETE", "/v1/lists/l"), 404, "NOT_FOUND"));
  BOOST_TEST(is_error(f.call("DELETE", "/v1/lists/l?count=2"), 404, "NOT_FOUND"));

  for (auto q : {"end=up", "count=0", "count=x"})
    BOOST_TEST_CONTEXT(q) { BOOST_TEST(is_error(f.call("DELETE", std::string("/v1/lists/l?") + q), 400, "BAD_REQUEST")); }
  for (auto q : {"start=x", "stop=", "encoding=hex"})
    BOOST_TEST_CONTEXT(q) { BOOST_TEST(is_error(f.call("GET", std::string("/v1/lists/l?") + q), 400, "BAD_REQUEST")); }
  for (auto body : {"[]", "{}", "[1]", "[", R"([{"base64":"!"}])"})
    BOOST_TEST_CONTEXT(body) { BOOST_TEST(is_error(f.call("POST", "/v1/lists/l", body, app_json), 400, "BAD_REQUEST")); }
  BOOST_TEST(f.h.run({"EXISTS", "l"}).num == 0);

  f.h.run({"SET", "s", "v"});
  for (auto m : {"GET", "POST", "DELETE"}) {
    BOOST_TEST_CONTEXT(m) {
      auto r = f.call(m, "/v1/lists/s", R"(["x"])", app_json);
      BOOST_TEST(is_error(r, 409, "WRONGTYPE"));
      BOOST_TEST(json::parse(r.body).at("error") == json::value(wrongtype));
    }
  }
  // GET /v1/kv of a list
  f.h.run({"RPUSH", "rl", "x"});
  BOOST_TEST(is_error(f.call("GET", "/v1/kv/rl"), 409, "WRONGTYPE"));
}

BOOST_AUTO_TEST_CASE(queues_and_stacks) {
  fixture f;
  BOOST_TEST(json_eq(f.call("POST", "/v1/queues/q", R"(["1","2"])", app_json), 200, R"({"length":2})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/queues/q", "3"), 200, R"({"length":3})"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/queues/q"), 200, R"({"value":"1"})"));
  for (auto v : {"1", "2", "3"})
    BOOST_TEST(json_eq(f.call("DELETE", "/v1/queues/q"), 200, std::string(R"({"value":")") + v + "\"}"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/queues/q"), 404, R"({"error":"empty queue","code":"NOT_FOUND"})"));
  BOOST_TEST(is_error(f.call("GET", "/v1/queues/q"), 404, "NOT_FOUND"));

  BOOST_TEST(json_eq(f.call("POST", "/v1/stacks/s", R"(["1","2"])", app_json), 200, R"({"length":2})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/stacks/s", "3", "application/octet-stream"), 200, R"({"length":3})"));
  BOOST_TEST((f.strings({"LRANGE", "s", "0", "-1"}) == std::vector<std::string>{"1", "2", "3"}));
  BOOST_TEST(json_eq(f.call("GET", "/v1/stacks/s"), 200, R"({"value":"3"})"));
  for (auto v : {"3", "2", "1"})
    BOOST_TEST(json_eq(f.call("DELETE", "/v1/stacks/s"), 200, std::string(R"({"value":")") + v + "\"}"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/stacks/s"), 404, R"({"error":"empty stack","code":"NOT_FOUND"})"));
  BOOST_TEST(is_error(f.call("GET", "/v1/stacks/s"), 404, "NOT_FOUND"));

  f.h.run({"SADD", "set", "x"});
  BOOST_TEST(is_error(f.call("GET", "/v1/queues/set"), 409, "WRONGTYPE"));
  BOOST_TEST(is_error(f.call("DELETE", "/v1/stacks/set"), 409, "WRONGTYPE"));
  BOOST_TEST(is_error(f.call("POST", "/v1/queues/set", "x"), 409, "WRONGTYPE"));
}

BOOST_AUTO_TEST_CASE(sets) {
  fixture f;
  BOOST_TEST(json_eq(f.call("POST", "/v1/sets/s", R"(["a","b","a"])", app_json), 200, R"({"added":2})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/sets/s", "c"), 200, R"({"added":1})"));
  BOOST_TEST((f.strings({"SMEMBERS", "s"}, true) == std::vector<std::string>{"a", "b", "c"}));
  auto r = f.call("GET", "/v1/sets/s");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(json::parse(r.body).as_array().size() == 3u);
  BOOST_TEST(json_eq(f.call("GET", "/v1/sets/s/a"), 200, R"({"member":"a","exists":true})"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/sets/s/q"), 404,
                     R"({"error":"not a member","code":"NOT_FOUND","member":"q","exists":false})"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/sets/s?member=a&member=q&member=b"), 200, R"({"removed":2})"));
  BOOST_TEST(is_error(f.call("DELETE", "/v1/sets/s"), 400, "BAD_REQUEST"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/sets/s?member=c"), 200, R"({"removed":1})"));
  BOOST_TEST(is_error(f.call("GET", "/v1/sets/s"), 404, "NOT_FOUND"));
  f.h.run({"SET", "str", "v"});
  BOOST_TEST(is_error(f.call("GET", "/v1/sets/str"), 409, "WRONGTYPE"));
  BOOST_TEST(is_error(f.call("GET", "/v1/sets/str/m"), 409, "WRONGTYPE"));
  BOOST_TEST(is_error(f.call("DELETE", "/v1/sets/str?member=m"), 409, "WRONGTYPE"));
  BOOST_TEST(is_error(f.call("POST", "/v1/sets/str", "m"), 409, "WRONGTYPE"));
}

BOOST_AUTO_TEST_CASE(hashes) {
  fixture f;
  BOOST_TEST(json_eq(f.call("PUT", "/v1/hashes/h/name", "kvd"), 200, R"({"added":1})"));
  BOOST_TEST(json_eq(f.call("PUT", "/v1/hashes/h/name", R"({"value":"kvd2"})", app_json), 200, R"({"added":0})"));
  BOOST_TEST(json_eq(f.call("PUT", "/v1/hashes/h/bin", R"({"value":{"base64":"/wA="}})", app_json), 200,
                     R"({"added":1})"));
  BOOST_TEST(f.h.run({"HGET", "h", "bin"}).str == std::string("\xff\x00", 2));
  BOOST_TEST(json_eq(f.call("GET", "/v1/hashes/h"), 200, R"({"name":"kvd2","bin":{"base64":"/wA="}})"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/hashes/h/name"), 200, R"({"field":"name","value":"kvd2"})"));
  BOOST_TEST(is_error(f.call("GET", "/v1/hashes/h/none"), 404, "NOT_FOUND"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/hashes/h/bin"), 200, R"({"deleted":1})"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/hashes/h/bin"), 200, R"({"deleted":0})"));
  BOOST_TEST(is_error(f.call("GET", "/v1/hashes/nohash"), 404, "NOT_FOUND"));
  for (auto body : {R"({"v":"x"})", R"("x")", "[", R"({"value":1})"})
    BOOST_TEST_CONTEXT(body) { BOOST_TEST(is_error(f.call("PUT", "/v1/hashes/h/x", body, app_json), 400, "BAD_REQUEST")); }
  f.h.run({"HSET", "hb", std::string("\xff", 1), "v"});
  BOOST_TEST(is_error(f.call("GET", "/v1/hashes/hb"), 406, "NOT_ACCEPTABLE"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/hashes/hb?encoding=base64"), 200, R"({"/w==":"dg=="})"));
  f.h.run({"RPUSH", "l", "x"});
  BOOST_TEST(is_error(f.call("GET", "/v1/hashes/l"), 409, "WRONGTYPE"));
  BOOST_TEST(is_error(f.call("PUT", "/v1/hashes/l/f", "v"), 409, "WRONGTYPE"));
}

BOOST_AUTO_TEST_CASE(zsets) {
  fixture f;
  BOOST_TEST(json_eq(f.call("POST", "/v1/zsets/z", R"({"member":"a","score":1})"), 200, R"({"added":1})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/zsets/z",
                            R"([{"member":"b","score":2.5},{"member":"c","score":"3"},{"member":"t","score":"+inf"}])",
                            app_json),
                     200, R"({"added":3})"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/zsets/z"), 200,
                     R"([{"member":"a","score":1},{"member":"b","score":2.5},{"member":"c","score":3},
                         {"member":"t","score":"inf"}])"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/zsets/z?start=1&stop=1"), 200, R"([{"member":"b","score":2.5}])"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/zsets/z?min=(1&max=3"), 200,
                     R"([{"member":"b","score":2.5},{"member":"c","score":3}])"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/zsets/z?min=3&max=%2Binf"), 200,
                     R"([{"member":"c","score":3},{"member":"t","score":"inf"}])"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/zsets/z?min=10&max=20"), 200, "[]"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/zsets/z/b"), 200, R"({"member":"b","score":2.5})"));
  BOOST_TEST(is_error(f.call("GET", "/v1/zsets/z/x"), 404, "NOT_FOUND"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/zsets/z?member=a&member=x"), 200, R"({"removed":1})"));
  BOOST_TEST(is_error(f.call("GET", "/v1/zsets/none"), 404, "NOT_FOUND"));
  BOOST_TEST(is_error(f.call("GET", "/v1/zsets/z?start=0&min=1"), 400, "BAD_REQUEST"));
  BOOST_TEST(is_error(f.call("GET", "/v1/zsets/z?min=x"), 400, "ERR"));
  BOOST_TEST(is_error(f.call("POST", "/v1/zsets/z", R"({"member":"a","score":"x"})"), 400, "ERR"));
  for (auto body : {R"({"member":"a"})", "[]", "[1]", "x", R"({"member":1,"score":1})"})
    BOOST_TEST_CONTEXT(body) { BOOST_TEST(is_error(f.call("POST", "/v1/zsets/z", body), 400, "BAD_REQUEST")); }
  BOOST_TEST(is_error(f.call("DELETE", "/v1/zsets/z"), 400, "BAD_REQUEST"));
  f.h.run({"SET", "str", "v"});
  BOOST_TEST(is_error(f.call("GET", "/v1/zsets/str"), 409, "WRONGTYPE"));
  BOOST_TEST(is_error(f.call("GET", "/v1/zsets/str?min=0"), 409, "WRONGTYPE"));
  BOOST_TEST(is_error(f.call("GET", "/v1/zsets/str/m"), 409, "WRONGTYPE"));
}

BOOST_AUTO_TEST_CASE(base64_both_ways) {
  fixture f;
  const std::string bin("\x00\xff\x80", 3);
  auto enc = b64(bin);
  BOOST_TEST(json_eq(f.call("POST", "/v1/lists/l?encoding=base64", "[\"" + enc + "\"]", app_json), 200,
                     R"({"length":1})"));
  BOOST_TEST(f.h.run({"LINDEX", "l", "0"}).str == bin);
  BOOST_TEST(json_eq(f.call("GET", "/v1/lists/l?encoding=base64"), 200, "[\"" + enc + "\"]"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/lists/l"), 200, "[{\"base64\":\"" + enc + "\"}]"));
  BOOST_TEST(is_error(f.call("POST", "/v1/lists/l?encoding=base64", R"(["!!"])", app_json), 400, "BAD_REQUEST"));

  BOOST_TEST(f.call("POST", "/v1/sets/s", bin, "application/octet-stream").status == 200u);
  auto seg = kvd::http::base64_encode(bin);  // "AP+A": '+' must travel as %2B in a path
  std::string esc;
  for (char ch : seg) esc += ch == '+' ? std::string("%2B") : ch == '/' ? std::string("%2F") : std::string(1, ch);
  BOOST_TEST(json_eq(f.call("GET", "/v1/sets/s/" + esc + "?encoding=base64"), 200,
                     "{\"member\":\"" + enc + "\",\"exists\":true}"));
  BOOST_TEST(is_error(f.call("GET", "/v1/sets/s/%FF?encoding=base64"), 400, "BAD_REQUEST"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/sets/s?encoding=base64&member=" + esc), 200, R"({"removed":1})"));

  BOOST_TEST(f.call("PUT", "/v1/hashes/h/" + esc + "?encoding=base64", bin).status == 200u);
  BOOST_TEST(f.h.run({"HGET", "h", bin}).str == bin);
  BOOST_TEST(json_eq(f.call("GET", "/v1/hashes/h?encoding=base64"), 200, "{\"" + enc + "\":\"" + enc + "\"}"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/hashes/h/" + esc + "?encoding=base64"), 200,
                     "{\"field\":\"" + enc + "\",\"value\":\"" + enc + "\"}"));

  BOOST_TEST(json_eq(f.call("POST", "/v1/zsets/z?encoding=base64", "{\"member\":\"" + enc + "\",\"score\":-2}"), 200,
                     R"({"added":1})"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/zsets/z?encoding=base64"), 200, "[{\"member\":\"" + enc + "\",\"score\":-2}]"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/zsets/z/" + esc + "?encoding=base64"), 200,
                     "{\"member\":\"" + enc + "\",\"score\":-2}"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/queues/q?encoding=base64", "[\"" + enc + "\"]", app_json), 200,
                     R"({"length":1})"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/queues/q?encoding=base64"), 200, "{\"value\":\"" + enc + "\"}"));
}

BOOST_AUTO_TEST_SUITE_END()
