// The seed stores' HTTP routes (compat_routes.hpp), /metrics (metrics.hpp), the route table
// and the embedded OpenAPI document, without sockets: requests go through route_request()
// and the real command families (harness.hpp), so RESP-side checks use the same keyspace.
#define BOOST_TEST_MODULE http_compat
#include <boost/test/unit_test.hpp>

#include <set>

#include <boost/json.hpp>

#include "harness.hpp"
#include "kvd/http/metrics.hpp"
#include "kvd/http/openapi.hpp"
#include "kvd/http/router.hpp"

namespace json = boost::json;

namespace {

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
};

json::value body(const kvd::http::response& r) { return json::parse(r.body); }

}  // namespace

BOOST_AUTO_TEST_CASE(api_v0_shapes) {
  fixture f;
  auto r = f.call("GET", "/api/v0/");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(body(r) == json::parse(R"({"message":"Api is running"})"));
  r = f.call("POST", "/api/v0/set", R"({"key":"k","value":"v"})", "application/json");
  BOOST_TEST(body(r) == json::parse(R"({"status":"success","message":"ok"})"));
  BOOST_TEST(f.h.run({"GET", "k"}).str == "v");
  r = f.call("GET", "/api/v0/get?key=k");
  BOOST_TEST(body(r) == json::parse(R"({"status":"success","value":"v"})"));
  r = f.call("GET", "/api/v0/get?key=nope");
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(body(r) == json::parse(R"({"status":"error","message":"Not found"})"));
  r = f.call("POST", "/api/v0/set", "not json", "application/json");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(body(r) == json::parse(R"({"status":"error","message":"Invalid body."})"));
  f.h.run({"SET", "k2", "v2"});
  BOOST_TEST(body(f.call("GET", "/api/v0/get/all")) ==
             json::parse(R"({"status":"success","values":{"k":"v","k2":"v2"}})"));
  BOOST_TEST(body(f.call("GET", "/api/v0/keys/all")) == json::parse(R"({"status":"success","keys":["k","k2"]})"));
  BOOST_TEST(body(f.call("GET", "/api/v0/values/all")) == json::parse(R"({"status":"success","values":["v","v2"]})"));
  r = f.call("DELETE", "/api/v0/delete?key=k");
  BOOST_TEST(body(r) == json::parse(R"({"message":"ok","status":"success"})"));
  r = f.call("DELETE", "/api/v0/delete?key=k");
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(body(r) == json::parse(R"({"status":"error","message":"Couldn't delete key value pair."})"));
}

BOOST_AUTO_TEST_CASE(db_key_routes) {
  fixture f;
  auto r = f.call("POST", "/db/k", "{\"a\":1}", "application/json");
  BOOST_TEST(r.status == 415u);
  BOOST_TEST(body(r).at("code") == "UNSUPPORTED_MEDIA_TYPE");
  r = f.call("POST", "/db/k", std::string_view("\0\xff{\"a\":1}", 9), "Application/Octet-Stream; x=y");
  BOOST_TEST(r.status == 201u);
  BOOST_TEST(r.body.empty());
  BOOST_TEST(r.content_type.empty());
  f.call("POST", "/db/j", "{\"a\":1}", "application/octet-stream");
  r = f.call("GET", "/db/j?format=json");
  BOOST_TEST(r.content_type == "application/json");
  BOOST_TEST(r.body == "{\"a\":1}");
  r = f.call("GET", "/db/k");
  BOOST_TEST(r.content_type == "application/octet-stream");
  BOOST_TEST(r.body == std::string_view("\0\xff{\"a\":1}", 9));
  BOOST_TEST(f.call("DELETE", "/db/k").status == 200u);
  BOOST_TEST(f.call("GET", "/db/k").status == 404u);
  BOOST_TEST(f.call("DELETE", "/db/k").status == 404u);
}

BOOST_AUTO_TEST_CASE(blob_routes_and_checkpoint) {
  fixture f;
  auto r = f.call("POST", "/blobs/user:123", "Hello, World!", "application/x-www-form-urlencoded");
  BOOST_TEST(r.status == 201u);
  BOOST_TEST(body(r) == json::parse(R"({"key":"user:123","etag":"ec4ac3d0","size":13,"volume_id":"kvd"})"));
  r = f.call("GET", "/blobs/user:123");
  BOOST_TEST(r.body == "Hello, World!");
  BOOST_TEST(body(f.call("GET", "/blobs")) == json::parse(R"(["user:123"])"));
  r = f.call("DELETE", "/blobs/user:123");
  BOOST_TEST(r.status == 204u);
  BOOST_TEST(f.call("DELETE", "/blobs/user:123").status == 204u);
  r = f.call("GET", "/blobs/user:123");
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(body(r).at("error") == "Blob not found");
  // Checkpoint = BGSAVE here (appendonly no). With a save child already recorded nothing
  // forks: the route answers 409 with Redis's error (the 200 path: test_seed_routes.py).
  f.h.state().rdb.child_pid = 999999;
  r = f.call("POST", "/v1/checkpoint");
  BOOST_TEST(r.status == 409u);
  BOOST_TEST(body(r).at("error") == "ERR Background save already in progress");
  BOOST_TEST(body(r).at("code") == "ERR");
  f.h.state().rdb.child_pid = -1;
}

BOOST_AUTO_TEST_CASE(compat_routes_switch_off) {
  fixture f;
  f.h.state().config.http_compat_routes = false;
  for (auto target : {"/api/v0/", "/api/v0/get?key=a", "/db/a", "/blobs", "/blobs/a"}) {
    auto r = f.call("GET", target);
    BOOST_TEST_CONTEXT(target) { BOOST_TEST(r.status == 404u); }
  }
  BOOST_TEST(f.call("GET", "/v1/health").status == 200u);
  BOOST_TEST(f.call("GET", "/metrics").status == 200u);
}

BOOST_AUTO_TEST_CASE(metrics_text) {
  fixture f;
  for (int i = 0; i < 10; ++i) f.h.run({"SET", "k" + std::to_string(i), "v"});
  f.h.run({"CONFIG", "GET", "maxclients"});
  auto r = f.call("GET", "/metrics");
  BOOST_TEST(r.content_type == kvd::http::metrics_content_type);
  BOOST_TEST(r.body.find("\nkvd_commands_total{cmd=\"set\"} 10\n") != std::string::npos);
  BOOST_TEST(r.body.find("\nkvd_commands_total{cmd=\"config|get\"} 1\n") != std::string::npos);
  BOOST_TEST(r.body.find("\nkvd_db_keys{db=\"0\"} 10\n") != std::string::npos);
  BOOST_TEST(r.body.find("# TYPE kvd_memory_used_bytes gauge\n") != std::string::npos);
  BOOST_TEST(kvd::http::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

BOOST_AUTO_TEST_CASE(route_table_matches_openapi) {
  auto doc = json::parse(kvd::http::openapi_json());
  std::set<std::pair<std::string, std::string>> documented, served;
  for (auto& [path, item] : doc.at("paths").as_object())
    for (auto& [m, op] : item.as_object())
      if (m == "get" || m == "put" || m == "post" || m == "delete" || m == "patch")
        documented.emplace(std::string(path), std::string(m));
  for (auto& r : kvd::http::routes()) {
    std::string_view ms = r.methods;
    while (!ms.empty()) {
      auto comma = ms.find(',');
      auto m = ms.substr(0, comma);
      while (!m.empty() && m.front() == ' ') m.remove_prefix(1);
      std::string low(m);
      for (auto& ch : low) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      served.emplace(std::string(r.path), low);
      ms = comma == std::string_view::npos ? std::string_view{} : ms.substr(comma + 1);
    }
  }
  BOOST_TEST(served.size() > 20u);
  BOOST_TEST((served == documented));
}
