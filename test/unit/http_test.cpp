// HTTP front end without sockets: request -> command mapping (route_request) and reply tree
// -> JSON rendering (reply_to_json), plus the byte helpers. Commands come from a small
// test-only table (fake GET/SET/DEL/INCRBY/SCAN/INFO rows over the store), registered on
// top of the harness's table so the tests do not depend on the real families.
#define BOOST_TEST_MODULE http
#include <boost/test/unit_test.hpp>

#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "harness.hpp"
#include "kvd/command/error.hpp"
#include "kvd/http/http_listener.hpp"
#include "kvd/http/json_reply.hpp"
#include "kvd/http/router.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/glob.hpp"
#include "kvd/util/numbers.hpp"

namespace json = boost::json;
using kvd::protocol::reply;
namespace cmd = kvd::command;

namespace {

// ---- Test-only command rows (not the real families). ----

class fake_list final : public kvd::store::collection {
 public:
  std::string_view encoding() const noexcept override { return "quicklist"; }
  std::size_t memory_usage() const noexcept override { return 0; }
  std::unique_ptr<collection> clone() const override { return std::make_unique<fake_list>(); }
  std::size_t length() const noexcept override { return 1; }
};

void fake_get(cmd::command_context& c) {
  auto* v = c.db.lookup_read(c.arg(1));
  if (!v) return c.rb.null();
  if (!v->is_string()) return c.rb.error(cmd::err::wrong_type);
  c.rb.bulk(v->str());
}

// SET key value [PX ms]
void fake_set(cmd::command_context& c) {
  std::int64_t px = 0;
  if (c.argc() == 5 && cmd::iequals(c.arg(3), "PX")) {
    auto n = kvd::util::parse_int64(c.arg(4));
    if (!n || *n <= 0) return c.rb.error("ERR invalid expire time in 'set' command");
    px = *n;
  } else if (c.argc() != 3) {
    return c.rb.error(cmd::err::syntax);
  }
  c.db.set(c.arg(1), kvd::store::value::make_string(c.arg(2)));
  if (px) c.db.set_expire(c.arg(1), kvd::util::now_ms() + px);
  c.rb.simple("OK");
}

void fake_del(cmd::command_context& c) {
  std::int64_t n = 0;
  for (std::size_t i = 1; i < c.argc(); ++i) n += c.db.del(c.arg(i));
  c.rb.integer(n);
}

void fake_incrby(cmd::command_context& c) {
  auto by = kvd::util::parse_int64(c.arg(2));
  if (!by) return c.rb.error(cmd::err::not_integer);
  std::int64_t cur = 0;
  if (auto* v = c.db.lookup_write(c.arg(1))) {
    if (!v->is_string()) return c.rb.error(cmd::err::wrong_type);
    auto n = kvd::util::parse_int64(v->str());
    if (!n) return c.rb.error(cmd::err::not_integer);
    cur = *n;
  }
  cur += *by;
  c.db.set(c.arg(1), kvd::store::value::make_string(std::to_string(cur)), true);
  c.rb.integer(cur);
}

// SCAN cursor [MATCH p] [COUNT n] [TYPE t]: one full pass, cursor "0".
void fake_scan(cmd::command_context& c) {
  std::string_view match = "*";
  for (std::size_t i = 2; i + 1 < c.argc(); i += 2)
    if (cmd::iequals(c.arg(i), "MATCH")) match = c.arg(i + 1);
  if (c.arg(1) != "0") return c.rb.error("ERR invalid cursor");
  std::vector<std::string> keys;
  std::uint64_t cur = 0;
  do {
    cur = c.db.scan(cur, [&](std::string_view k, const kvd::store::value&) {
      if (kvd::util::glob_match(match, k)) keys.emplace_back(k);
    });
  } while (cur != 0);
  c.rb.array(2);
  c.rb.bulk("0");
  c.rb.array(keys.size());
  for (auto& k : keys) c.rb.bulk(k);
}

void fake_info(cmd::command_context& c) {
  c.rb.verbatim("txt", "# Server\r\nredis_version:7.0.0\r\nrun_id:abc\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0\r\n");
}

void fake_mklist(cmd::command_context& c) {
  c.db.set(c.arg(1), kvd::store::value::make_collection(kvd::store::value_type::list, std::make_unique<fake_list>()));
  c.rb.simple("OK");
}

// Replies with a tree covering every JSON mapping.
void fake_tree(cmd::command_context& c) {
  c.rb.map(3);
  c.rb.bulk("m");
  c.rb.dbl(1.5);
  c.rb.simple("s");
  c.rb.set(2);
  c.rb.boolean(true);
  c.rb.null();
  c.rb.integer(7);
  c.rb.array(1);
  c.rb.bulk(std::string_view("\xff\x00", 2));
}

void fake_ping(cmd::command_context& c) { c.rb.simple("PONG"); }

struct fixture {
  kvd::test::harness h;
  cmd::dispatcher d{h.state()};
  cmd::client_context ctx;

  fixture() {
    auto& t = h.state().table;
    t.add({"get", 2, cmd::f_readonly | cmd::f_fast, 1, 1, 1, fake_get, "read string fast"});
    t.add({"set", -3, cmd::f_write | cmd::f_denyoom, 1, 1, 1, fake_set, "write string slow"});
    t.add({"del", -2, cmd::f_write, 1, -1, 1, fake_del, "write keyspace slow"});
    t.add({"incrby", 3, cmd::f_write | cmd::f_denyoom | cmd::f_fast, 1, 1, 1, fake_incrby, "write string fast"});
    t.add({"scan", -2, cmd::f_readonly, 0, 0, 0, fake_scan, "read keyspace slow"});
    t.add({"info", -1, cmd::f_loading | cmd::f_stale, 0, 0, 0, fake_info, "slow dangerous"});
    t.add({"mklist", 2, cmd::f_write, 1, 1, 1, fake_mklist, "write list"});
    t.add({"tree", 1, cmd::f_readonly, 0, 0, 0, fake_tree, "read"});
    t.add({"subscribe", -2, cmd::f_pubsub, 0, 0, 0, fake_ping, "pubsub"});
    ctx.id = h.state().clients.next_id();
    ctx.is_http = true;
    ctx.resp = 3;
  }

  kvd::http::response call(std::string_view method, std::string_view target, std::string_view body = {},
                           std::string_view content_type = {}, std::string_view accept = {}) {
    kvd::http::request r{method, target, content_type, accept, body};
    return kvd::http::route_request(d, ctx, r);
  }
};

json::value body_json(const kvd::http::response& r) {
  BOOST_TEST_CONTEXT("body: " << r.body) {
    BOOST_TEST(r.content_type == "application/json");
  }
  return json::parse(r.body);
}

bool json_eq(const kvd::http::response& r, std::string_view expected) {
  bool ok = body_json(r) == json::parse(expected);
  if (!ok) BOOST_TEST_MESSAGE("got " << r.body << " expected " << expected);
  return ok;
}

std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}

reply leaf(reply::kind k, std::string s = {}) {
  reply r;
  r.k = k;
  r.str = std::move(s);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_rendering)

BOOST_AUTO_TEST_CASE(scalars) {
  using kvd::http::reply_to_json;
  BOOST_TEST(reply_to_json(leaf(reply::kind::simple, "OK")) == json::value("OK"));
  BOOST_TEST(reply_to_json(leaf(reply::kind::bulk, "héllo")) == json::value("héllo"));
  BOOST_TEST(reply_to_json(leaf(reply::kind::verbatim, "txt")) == json::value("txt"));
  reply i = leaf(reply::kind::integer);
  i.num = -42;
  BOOST_TEST(reply_to_json(i) == json::value(-42));
  reply d = leaf(reply::kind::dbl);
  d.dbl = 2.25;
  BOOST_TEST(reply_to_json(d) == json::value(2.25));
  d.dbl = std::numeric_limits<double>::infinity();
  BOOST_TEST(reply_to_json(d) == json::value("inf"));
  d.dbl = -d.dbl;
  BOOST_TEST(reply_to_json(d) == json::value("-inf"));
  BOOST_TEST(reply_to_json(leaf(reply::kind::null)).is_null());
  BOOST_TEST(reply_to_json(leaf(reply::kind::null_array)).is_null());
  reply b = leaf(reply::kind::boolean);
  b.num = 1;
  BOOST_TEST(reply_to_json(b) == json::value(true));
}

BOOST_AUTO_TEST_CASE(binary_bulk_is_base64_object) {
  auto v = kvd::http::reply_to_json(leaf(reply::kind::bulk, std::string("\xff\xfe\x00", 3)));
  BOOST_TEST(v == json::parse(R"({"base64":"//4A"})"));
  kvd::http::json_options opt;
  opt.bulk_base64 = true;
  BOOST_TEST(kvd::http::reply_to_json(leaf(reply::kind::bulk, "hi"), opt) == json::value("aGk="));
  // simple strings are text, not bulk: unaffected by ?encoding=base64
  BOOST_TEST(kvd::http::reply_to_json(leaf(reply::kind::simple, "OK"), opt) == json::value("OK"));
}

BOOST_AUTO_TEST_CASE(aggregates) {
  fixture f;
  auto r = f.h.run({"TREE"});
  BOOST_TEST(kvd::http::reply_to_json(r) ==
             json::parse(R"({"m":1.5,"s":[true,null],"7":[{"base64":"/wA="}]})"));
  reply arr = leaf(reply::kind::array);
  arr.elems.push_back(leaf(reply::kind::bulk, "a"));
  arr.elems.push_back(leaf(reply::kind::error, "ERR x"));
  BOOST_TEST(kvd::http::reply_to_json(arr) == json::parse(R"(["a",{"error":"ERR x"}])"));
  // An error echoing binary bytes is still a JSON string (invalid bytes become U+FFFD).
  reply bad = leaf(reply::kind::error, std::string("ERR unknown command '\xff\xfe" "A'"));
  BOOST_TEST(kvd::http::reply_to_json(bad).at("error").as_string() == "ERR unknown command '\xEF\xBF\xBD\xEF\xBF\xBD" "A'");
  BOOST_TEST(kvd::http::utf8_lossy("ok \xC3\xA9") == "ok \xC3\xA9");  // valid UTF-8 is kept
  // Whole doubles (zset scores) are written as JSON integers, others as doubles.
  reply d = leaf(reply::kind::dbl);
  d.dbl = 2.0;
  BOOST_TEST(json::serialize(kvd::http::reply_to_json(d)) == "2");
  d.dbl = -3.0;
  BOOST_TEST(json::serialize(kvd::http::reply_to_json(d)) == "-3");
  d.dbl = 0.25;
  BOOST_TEST(kvd::http::reply_to_json(d).as_double() == 0.25);
  d.dbl = 1e300;
  BOOST_TEST(kvd::http::reply_to_json(d).is_double());
}

BOOST_AUTO_TEST_CASE(error_bodies) {
  BOOST_TEST(json::parse(kvd::http::error_body("not found", "NOT_FOUND")) ==
             json::parse(R"({"error":"not found","code":"NOT_FOUND"})"));
  BOOST_TEST(kvd::http::error_code_of("WRONGTYPE Operation against") == "WRONGTYPE");
  BOOST_TEST(kvd::http::error_code_of("ERR") == "ERR");
  BOOST_TEST(kvd::http::error_code_of("") == "ERR");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bytes)

BOOST_AUTO_TEST_CASE(utf8_validation) {
  using kvd::http::is_valid_utf8;
  BOOST_TEST(is_valid_utf8(""));
  BOOST_TEST(is_valid_utf8("plain ascii"));
  BOOST_TEST(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  BOOST_TEST(!is_valid_utf8("\xc0\xaf"));          // overlong '/'
  BOOST_TEST(!is_valid_utf8("\xe0\x80\xaf"));      // overlong
  BOOST_TEST(!is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  BOOST_TEST(!is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  BOOST_TEST(!is_valid_utf8("\xe2\x82"));          // truncated
  BOOST_TEST(!is_valid_utf8("\x80"));              // lone continuation
  BOOST_TEST(!is_valid_utf8("\xff"));
}

BOOST_AUTO_TEST_CASE(base64_round_trip) {
  using namespace kvd::http;
  auto all = all_bytes();
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    auto s = all.substr(0, n);
    auto dec = base64_decode(base64_encode(s));
    BOOST_REQUIRE(dec.has_value());
    BOOST_TEST(*dec == s);
  }
  BOOST_TEST(base64_encode("world") == "d29ybGQ=");
  BOOST_TEST(base64_decode("d29ybGQ").value() == "world");  // padding optional
  BOOST_TEST(base64_decode("").value() == "");
  BOOST_TEST(!base64_decode("d29ybGQ=x").has_value());
  BOOST_TEST(!base64_decode("d29y bGQ=").has_value());
  BOOST_TEST(!base64_decode("d29ybG=").has_value());  // bad padding
  BOOST_TEST(!base64_decode("A===").has_value());
  BOOST_TEST(!base64_decode("A").has_value());
  BOOST_TEST(!base64_decode("!!!!").has_value());
}

BOOST_AUTO_TEST_CASE(percent_decoding) {
  using kvd::http::percent_decode;
  BOOST_TEST(percent_decode("a%2Fb").value() == "a/b");
  BOOST_TEST(percent_decode("a%2fb%20c").value() == "a/b c");
  BOOST_TEST(percent_decode("a+b").value() == "a+b");
  BOOST_TEST(percent_decode("a+b", true).value() == "a b");
  BOOST_TEST(percent_decode("%00%FF").value() == std::string("\x00\xff", 2));
  BOOST_TEST(!percent_decode("%").has_value());
  BOOST_TEST(!percent_decode("a%2").has_value());
  BOOST_TEST(!percent_decode("%zz").has_value());
}

BOOST_AUTO_TEST_CASE(accept_negotiation) {
  using kvd::http::prefers_octet_stream;
  BOOST_TEST(!prefers_octet_stream(""));
  BOOST_TEST(!prefers_octet_stream("*/*"));
  BOOST_TEST(prefers_octet_stream("application/octet-stream"));
  BOOST_TEST(prefers_octet_stream("Application/Octet-Stream; q=0.5"));
  BOOST_TEST(!prefers_octet_stream("application/json, application/octet-stream"));
  BOOST_TEST(prefers_octet_stream("application/octet-stream, application/json"));
  BOOST_TEST(prefers_octet_stream("application/json;q=0.1, application/octet-stream"));
  BOOST_TEST(!prefers_octet_stream("application/octet-stream;q=0"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(routes)

BOOST_AUTO_TEST_CASE(health_ready) {
  fixture f;
  auto r = f.call("GET", "/health");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(json_eq(r, R"({"ok":true})"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/health"), R"({"ok":true})"));
  r = f.call("GET", "/ready");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(json_eq(r, R"({"ready":true})"));
  f.h.state().loading = true;
  r = f.call("GET", "/ready");
  BOOST_TEST(r.status == 503u);
  BOOST_TEST(json_eq(r, R"({"ready":false})"));
}

BOOST_AUTO_TEST_CASE(unknown_route_and_method) {
  fixture f;
  auto r = f.call("GET", "/nope");
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(body_json(r).at("code") == "NOT_FOUND");
  r = f.call("GET", "/v1/kv/a/b");
  BOOST_TEST(r.status == 404u);
  r = f.call("DELETE", "/health");
  BOOST_TEST(r.status == 405u);
  BOOST_TEST(r.allow == "GET");
  BOOST_TEST(body_json(r).at("code") == "METHOD_NOT_ALLOWED");
  r = f.call("PATCH", "/v1/kv/k");
  BOOST_TEST(r.status == 405u);
  BOOST_TEST(r.allow == "GET, PUT, POST, DELETE");
  r = f.call("GET", "/v1/command");
  BOOST_TEST(r.status == 405u);
  BOOST_TEST(r.allow == "POST");
  r = f.call("GET", "*");
  BOOST_TEST(r.status == 400u);
}

BOOST_AUTO_TEST_CASE(kv_raw_round_trip) {
  fixture f;
  auto bytes = all_bytes();
  auto r = f.call("PUT", "/v1/kv/bin", bytes, "application/octet-stream");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(json_eq(r, R"({"ok":true})"));
  r = f.call("GET", "/v1/kv/bin", {}, {}, "application/octet-stream");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.content_type == "application/octet-stream");
  BOOST_TEST((r.body == bytes));
  r = f.call("GET", "/v1/kv/bin?format=raw");
  BOOST_TEST((r.body == bytes));
  r = f.call("GET", "/v1/kv/bin");
  BOOST_TEST(r.status == 200u);
  auto v = body_json(r);
  BOOST_TEST(v.at("key") == "bin");
  BOOST_TEST(v.at("encoding") == "base64");
  BOOST_TEST(kvd::http::base64_decode(v.at("value").as_string()).value() == bytes);
  // utf-8 asked, but the bytes are not UTF-8: still base64
  r = f.call("GET", "/v1/kv/bin?encoding=utf-8");
  BOOST_TEST(body_json(r).at("encoding") == "base64");
  // no Content-Type: raw as well
  r = f.call("POST", "/v1/kv/t", "héllo");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(json_eq(f.call("GET", "/v1/kv/t?encoding=utf-8"), R"({"key":"t","value":"héllo","encoding":"utf-8"})"));
  BOOST_TEST(json_eq(f.call("GET", "/v1/kv/t"), R"({"key":"t","value":"aMOpbGxv","encoding":"base64"})"));
  BOOST_TEST(f.call("GET", "/v1/kv/t?format=xml").status == 400u);
  BOOST_TEST(f.call("GET", "/v1/kv/t?encoding=latin1").status == 400u);
}

BOOST_AUTO_TEST_CASE(kv_json_bodies) {
  fixture f;
  auto r = f.call("PUT", "/v1/kv/hello", R"({"value":"d29ybGQ=","encoding":"base64"})", "application/json");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(f.h.run({"GET", "hello"}).str == "world");
  // encoding omitted: base64 (the seed store's documented default)
  r = f.call("PUT", "/v1/kv/hello", R"({"value":"YWJj"})", "application/json; charset=utf-8");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(f.h.run({"GET", "hello"}).str == "abc");
  r = f.call("PUT", "/v1/kv/hello", R"({"value":"plain text","encoding":"utf-8"})", "application/json");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(f.h.run({"GET", "hello"}).str == "plain text");

  r = f.call("PUT", "/v1/kv/hello", R"({"value":"not base64!"})", "application/json");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(body_json(r).at("code") == "BAD_REQUEST");
  BOOST_TEST(f.call("PUT", "/v1/kv/hello", R"({"value":)", "application/json").status == 400u);
  BOOST_TEST(f.call("PUT", "/v1/kv/hello", R"(["x"])", "application/json").status == 400u);
  BOOST_TEST(f.call("PUT", "/v1/kv/hello", R"({"value":1})", "application/json").status == 400u);
  BOOST_TEST(f.call("PUT", "/v1/kv/hello", R"({"value":"x","encoding":"hex"})", "application/json").status == 400u);
  BOOST_TEST(f.call("PUT", "/v1/kv/hello", R"({"value":"x","encoding":"utf-8","ttl_ms":-1})", "application/json")
                 .status == 400u);
  BOOST_TEST(f.call("PUT", "/v1/kv/hello", R"({"value":"x","encoding":"utf-8","ttl_ms":1.5})", "application/json")
                 .status == 400u);
  BOOST_TEST(f.h.run({"GET", "hello"}).str == "plain text");
}

BOOST_AUTO_TEST_CASE(kv_ttl) {
  kvd::test::frozen_clock clock;
  fixture f;
  BOOST_TEST(f.call("PUT", "/v1/kv/a", R"({"value":"x","encoding":"utf-8","ttl_ms":100})", "application/json")
                 .status == 200u);
  BOOST_TEST(f.call("PUT", "/v1/kv/b?ttl_ms=200", "y", "application/octet-stream").status == 200u);
  BOOST_TEST(f.call("PUT", "/v1/kv/c?ttl_ms=0", "z").status == 200u);
  BOOST_TEST(f.call("PUT", "/v1/kv/c?ttl_ms=abc", "z").status == 400u);
  BOOST_TEST(f.call("GET", "/v1/kv/a").status == 200u);
  clock.advance(150);
  BOOST_TEST(f.call("GET", "/v1/kv/a").status == 404u);
  BOOST_TEST(f.call("GET", "/v1/kv/b").status == 200u);
  clock.advance(100);
  BOOST_TEST(f.call("GET", "/v1/kv/b").status == 404u);
  BOOST_TEST(f.call("GET", "/v1/kv/c").status == 200u);
}

BOOST_AUTO_TEST_CASE(kv_missing_wrongtype_delete) {
  fixture f;
  auto r = f.call("GET", "/v1/kv/missing");
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(json_eq(r, R"({"error":"not found","code":"NOT_FOUND"})"));
  f.h.run({"MKLIST", "l"});
  r = f.call("GET", "/v1/kv/l");
  BOOST_TEST(r.status == 409u);
  BOOST_TEST(body_json(r).at("code") == "WRONGTYPE");
  BOOST_TEST(body_json(r).at("error") == json::value(cmd::err::wrong_type));

  f.call("PUT", "/v1/kv/d", "v");
  r = f.call("DELETE", "/v1/kv/d");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(json_eq(r, R"({"ok":true,"deleted":1})"));
  BOOST_TEST(json_eq(f.call("DELETE", "/v1/kv/d"), R"({"ok":true,"deleted":0})"));
}

BOOST_AUTO_TEST_CASE(kv_key_decoding) {
  fixture f;
  BOOST_TEST(f.call("PUT", "/v1/kv/a%2Fb%20c", "v").status == 200u);
  BOOST_TEST(f.h.run({"GET", "a/b c"}).str == "v");
  BOOST_TEST(body_json(f.call("GET", "/v1/kv/a%2fb%20c")).at("key") == "a/b c");
  auto r = f.call("GET", "/v1/kv/a%2");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(body_json(r).at("code") == "BAD_REQUEST");
  BOOST_TEST(f.call("GET", "/v1/kv/%zz").status == 400u);
  BOOST_TEST(f.call("GET", "/v1/kv/").status == 400u);
  BOOST_TEST(f.call("GET", "/v1/kv/k?x=%").status == 400u);
  // a key that is not UTF-8 renders as {"base64": ...}
  f.call("PUT", "/v1/kv/%FF", "v");
  BOOST_TEST(body_json(f.call("GET", "/v1/kv/%FF")).at("key") == json::parse(R"({"base64":"/w=="})"));
}

BOOST_AUTO_TEST_CASE(db_parameter) {
  fixture f;
  f.call("PUT", "/v1/kv/k?db=3", "three");
  BOOST_TEST(f.call("GET", "/v1/kv/k").status == 404u);
  BOOST_TEST(f.call("GET", "/v1/kv/k?db=3&format=raw").body == "three");
  BOOST_TEST(f.call("GET", "/v1/kv/k?db=16").status == 400u);
  BOOST_TEST(f.call("GET", "/v1/kv/k?db=-1").status == 400u);
  BOOST_TEST(f.call("GET", "/v1/kv/k?db=x").status == 400u);
}

BOOST_AUTO_TEST_CASE(keys_scan) {
  fixture f;
  f.call("PUT", "/v1/kv/user%3A1", "a");
  f.call("PUT", "/v1/kv/user%3A2", "b");
  f.call("PUT", "/v1/kv/other", "c");
  auto r = f.call("GET", "/v1/keys?match=user%3A*&count=100");
  BOOST_TEST(r.status == 200u);
  auto v = body_json(r);
  BOOST_TEST(v.at("cursor") == "0");
  std::vector<std::string> keys;
  for (auto& k : v.at("keys").as_array()) keys.emplace_back(k.as_string());
  std::sort(keys.begin(), keys.end());
  BOOST_TEST((keys == std::vector<std::string>{"user:1", "user:2"}));
  v = body_json(f.call("GET", "/v1/keys"));
  BOOST_TEST(v.at("keys").as_array().size() == 3u);
  r = f.call("GET", "/v1/keys?cursor=7");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(json_eq(r, R"({"error":"ERR invalid cursor","code":"ERR"})"));
}

BOOST_AUTO_TEST_CASE(command_route) {
  fixture f;
  auto r = f.call("POST", "/v1/command", R"(["INCRBY","n","5"])", "application/json");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(json_eq(r, R"({"result":5})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/command", R"(["GET","n"])"), R"({"result":"5"})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/command", R"(["GET","none"])"), R"({"result":null})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/command", R"(["TREE"])"),
                     R"({"result":{"m":1.5,"s":[true,null],"7":[{"base64":"/wA="}]}})"));
  BOOST_TEST(json_eq(f.call("POST", "/v1/command?encoding=base64", R"(["GET","n"])"), R"({"result":"NQ=="})"));
  // binary-safe argument
  BOOST_TEST(f.call("POST", "/v1/command", R"(["SET","b",{"base64":"/wA="}])").status == 200u);
  BOOST_TEST(f.h.run({"GET", "b"}).str == std::string("\xff\x00", 2));

  r = f.call("POST", "/v1/command", R"(["INCRBY","n","x"])");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(json_eq(r, R"({"error":"ERR value is not an integer or out of range","code":"ERR"})"));
  f.h.run({"MKLIST", "l"});
  r = f.call("POST", "/v1/command", R"(["INCRBY","l","1"])");
  BOOST_TEST(r.status == 409u);
  BOOST_TEST(body_json(r).at("code") == "WRONGTYPE");
  r = f.call("POST", "/v1/command", R"(["NOSUCH"])");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(body_json(r).at("code") == "ERR");

  for (auto bad : {R"({"cmd":"GET"})", R"("GET")", R"([])", R"(["GET",1])", R"(["GET",null])", R"([)", "",
                   R"(["GET",{"x":"y"}])", R"(["GET",{"base64":"!"}])"}) {
    BOOST_TEST_CONTEXT(bad) {
      r = f.call("POST", "/v1/command", bad);
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(body_json(r).at("code") == "BAD_REQUEST");
    }
  }
  for (auto refused : {R"(["SUBSCRIBE","ch"])", R"(["monitor"])", R"(["QUIT"])", R"(["HELLO","3"])",
                       R"(["SELECT","1"])"}) {
    BOOST_TEST_CONTEXT(refused) {
      BOOST_TEST(f.call("POST", "/v1/command", refused).status == 400u);
    }
  }
}

BOOST_AUTO_TEST_CASE(info_route) {
  fixture f;
  auto r = f.call("GET", "/v1/info");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(json_eq(r, R"({"server":{"redis_version":"7.0.0","run_id":"abc"},
                             "keyspace":{"db0":"keys=1,expires=0"}})"));
}

BOOST_AUTO_TEST_SUITE_END()

// One loopback check of the Beast session: keep-alive, 413, stop(). Everything else is
// covered without sockets above and end to end by test/e2e/test_http.py.
BOOST_AUTO_TEST_SUITE(listener)

BOOST_AUTO_TEST_CASE(serves_keep_alive_and_limits_body) {
  namespace net = boost::asio;
  namespace bhttp = boost::beast::http;
  fixture f;
  f.h.state().config.http_max_body_size = 1000;
  net::io_context ioc;
  auto l = kvd::http::start_http_listener(ioc, {net::ip::make_address("127.0.0.1"), 0}, f.d);
  BOOST_REQUIRE(l->port() != 0);
  std::thread io([&] { ioc.run(); });

  net::io_context cio;
  net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), l->port());
  boost::beast::tcp_stream s(cio);
  s.connect(ep);
  boost::beast::flat_buffer buf;
  auto roundtrip = [&](bhttp::request<bhttp::string_body> req) {
    req.set(bhttp::field::host, "127.0.0.1");
    req.prepare_payload();
    bhttp::write(s, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(s, buf, res);
    return res;
  };
  auto r1 = roundtrip({bhttp::verb::put, "/v1/kv/k", 11, "value"});
  BOOST_TEST(r1.result_int() == 200);
  BOOST_TEST(r1.keep_alive());
  auto r2 = roundtrip({bhttp::verb::get, "/v1/kv/k?format=raw", 11});  // same connection
  BOOST_TEST(r2.result_int() == 200);
  BOOST_TEST(r2.body() == "value");
  auto r3 = roundtrip({bhttp::verb::put, "/v1/kv/k", 11, std::string(2000, 'x')});
  BOOST_TEST(r3.result_int() == 413);
  BOOST_TEST(!r3.keep_alive());
  BOOST_TEST(json::parse(r3.body()).at("code") == "PAYLOAD_TOO_LARGE");
  s.close();

  l->stop();
  // stop() runs on the listener's strand; wait until new connections are refused.
  boost::system::error_code ec;
  for (int i = 0; i < 100; ++i) {
    net::ip::tcp::socket probe(cio);
    probe.connect(ep, ec);
    if (ec) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BOOST_TEST(ec.failed());
  ioc.stop();
  io.join();
  BOOST_TEST(f.h.state().stats.total_connections_received.load() >= 1u);
}

BOOST_AUTO_TEST_CASE(bind_failure_throws) {
  namespace net = boost::asio;
  fixture f;
  net::io_context ioc;
  auto l = kvd::http::start_http_listener(ioc, {net::ip::make_address("127.0.0.1"), 0}, f.d);
  BOOST_CHECK_THROW(kvd::http::start_http_listener(ioc, {net::ip::make_address("127.0.0.1"), l->port()}, f.d),
                    boost::system::system_error);
}

BOOST_AUTO_TEST_SUITE_END()
