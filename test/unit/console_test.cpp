// The embedded web console (include/kvd/http/console.hpp): every file of src/http/console/
// is embedded byte for byte, content types follow the extension, ETag/If-None-Match give 304,
// unknown names 404 JSON.
#define BOOST_TEST_MODULE console
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "kvd/http/console.hpp"

namespace fs = std::filesystem;
using kvd::http::console_response;

namespace {

std::string header(const kvd::http::response& r, std::string_view name) {
  for (auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(console)

BOOST_AUTO_TEST_CASE(every_file_is_embedded_unchanged) {
  std::set<std::string> on_disk;
  for (auto& e : fs::directory_iterator(fs::path(KVD_SOURCE_DIR) / "src" / "http" / "console"))
    if (e.is_regular_file()) on_disk.insert(e.path().filename().string());
  std::set<std::string> embedded;
  for (auto& a : kvd::http::console_assets()) {
    embedded.insert(std::string(a.name));
    BOOST_TEST(a.body == read_file(fs::path(KVD_SOURCE_DIR) / "src" / "http" / "console" / std::string(a.name)),
               a.name);
    BOOST_TEST(a.etag.size() == 18u);
    BOOST_TEST(a.etag.front() == '"');
    BOOST_TEST(a.etag.back() == '"');
  }
  BOOST_TEST(on_disk == embedded);
  BOOST_TEST(on_disk.count("index.html") == 1u);
}

BOOST_AUTO_TEST_CASE(content_types) {
  using kvd::http::console_content_type;
  BOOST_TEST(console_content_type("index.html") == "text/html; charset=utf-8");
  BOOST_TEST(console_content_type("app.js") == "text/javascript; charset=utf-8");
  BOOST_TEST(console_content_type("console.css") == "text/css; charset=utf-8");
  BOOST_TEST(console_content_type("favicon.svg") == "image/svg+xml");
  BOOST_TEST(console_content_type("x.png") == "image/png");
  BOOST_TEST(console_content_type("README") == "application/octet-stream");
}

BOOST_AUTO_TEST_CASE(served_with_etag_and_revalidated) {
  auto r = console_response("index.html", "");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.content_type == "text/html; charset=utf-8");
  BOOST_TEST(r.body.find("/console/app.js") != std::string::npos);
  auto etag = header(r, "ETag");
  BOOST_TEST(etag == std::string(kvd::http::find_console_asset("index.html")->etag));
  BOOST_TEST(header(r, "Cache-Control") == "no-cache");
  BOOST_TEST(header(r, "Content-Security-Policy").find("default-src 'none'") != std::string::npos);

  for (std::string inm : {etag, "\"x\", " + etag, "W/" + etag, std::string("*"), "\"x\",W/" + etag + " "}) {
    auto nm = console_response("index.html", inm);
    BOOST_TEST(nm.status == 304u, inm);
    BOOST_TEST(nm.body.empty());
    BOOST_TEST(nm.content_type.empty());
    BOOST_TEST(header(nm, "ETag") == etag);
  }
  BOOST_TEST(console_response("index.html", "\"other\"").status == 200u);
  BOOST_TEST(console_response("app.js", etag).status == 200u);  // another file's tag
  auto js = console_response("app.js", "");
  BOOST_TEST(js.content_type == "text/javascript; charset=utf-8");
  BOOST_TEST(header(js, "Content-Security-Policy").empty());
  BOOST_TEST(header(js, "X-Content-Type-Options") == "nosniff");
}

BOOST_AUTO_TEST_CASE(unknown_asset_is_404_json) {
  for (auto name : {"nope.js", "", "../console.cpp", "index.html/x", "INDEX.HTML"}) {
    auto r = console_response(name, "*");
    BOOST_TEST(r.status == 404u, name);
    BOOST_TEST(r.content_type == "application/json");
    BOOST_TEST(r.body == R"({"error":"no such console asset","code":"NOT_FOUND"})");
  }
}

BOOST_AUTO_TEST_SUITE_END()
