// Fuzz target: HTTP request -> command mapping. The input is raw request bytes (pipelined
// requests allowed), parsed by Beast's request_parser with the listener's limits, then
// routed by http::route_request through the real command table. Invariants: no crash, no
// exception, no 500, every application/json response body is valid JSON, every 4xx has a
// JSON error body.
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "fuzz_harness.hpp"
#include "kvd/http/router.hpp"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static kvd::fuzz::server srv;
  srv.reset();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int requests = 0; !input.empty() && requests < 16; ++requests) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024);
    parser.header_limit(8 * 1024);
    boost::beast::error_code ec;
    std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    if (!ec && !parser.is_done()) {
      parser.put_eof(ec);  // the input ends: a message without a length ends here
      if (!ec && !parser.is_done()) return 0;
    }
    if (ec || used == 0) return 0;  // the listener answers 400/413/431 and closes
    input.remove_prefix(used);
    auto& req = parser.get();
    // Only the methods the router may see pass through Beast (any token).
    kvd::http::request in{req.method_string(), req.target(), req[bhttp::field::content_type],
                          req[bhttp::field::accept], req.body()};
    auto target = std::string(in.target);
    // Commands that fork, sleep or stop the process are not for the fuzzer (see fuzz_harness.hpp).
    if (target.find("/v1/command") == 0) {
      boost::system::error_code jec;
      auto v = boost::json::parse(in.body, jec);
      if (!jec && v.is_array() && !v.as_array().empty() && v.as_array()[0].is_string() &&
          kvd::fuzz::server::skipped(std::string_view(v.as_array()[0].as_string())))
        continue;
    }
    if (target.find("/v1/checkpoint") == 0) continue;
    auto out = kvd::http::route_request(srv.dispatcher(), srv.client(), in);
    kvd::fuzz::check(out.status >= 200 && out.status < 600, "status outside 2xx..5xx");
    kvd::fuzz::check(out.status != 500, "500 internal error");
    // GET /db/{key}?format=json sends the stored bytes as they are (the seed's behaviour).
    bool raw_json = target.rfind("/db/", 0) == 0 && out.status == 200;
    if (out.content_type.rfind("application/json", 0) == 0 && !raw_json) {
      boost::system::error_code jec;
      auto v = boost::json::parse(out.body, jec);
      if (jec) std::fprintf(stderr, "%s %s -> %u %s\n", std::string(in.method).c_str(), target.c_str(), out.status, out.body.c_str());
      kvd::fuzz::check(!jec, "application/json body is not JSON");
      if (out.status >= 400 && out.status < 500)
        kvd::fuzz::check(v.is_object() && (v.as_object().contains("error") || v.as_object().contains("message")),
                         "4xx without a JSON error");
    } else if (out.status >= 400) {
      std::fprintf(stderr, "%s %s -> %u %s\n", std::string(in.method).c_str(), target.c_str(), out.status, out.body.c_str());
      kvd::fuzz::check(false, "error response that is not JSON");
    }
    srv.client().db = 0;
  }
  return 0;
}
