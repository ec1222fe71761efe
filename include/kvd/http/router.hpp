// HTTP routes of kvd (DESIGN.md "HTTP interface"), independent of sockets and of Beast:
// a request's method, target, headers and body go in, a status, content type and body come
// out. Every route builds command arguments and runs them through the same dispatcher as
// RESP (into a protocol::capture), then maps the reply tree to JSON (json_reply.hpp).
// HTTP semantics follow RFC 9110 (status codes, Allow on 405, Accept negotiation).
//
// Routes: the table in router.cpp (routes() lists it; docs/openapi.yaml describes each one
// and test/e2e/test_openapi.py keeps the two equal). kvd's own routes:
//   GET /health, GET /v1/health       -> 200 {"ok":true}
//   GET /ready                        -> 200 {"ready":true} | 503 {"ready":false} while loading
//   GET /metrics                      -> Prometheus text format 0.0.4 (metrics.hpp)
//   GET /v1/openapi.json              -> the OpenAPI 3.0 document (openapi.hpp)
//   GET /v1/info[?section=s]          -> INFO as {section: {field: "value"}}
//   GET /v1/kv/{key}                  -> GET: {"key","value","encoding"} or raw bytes
//   PUT|POST /v1/kv/{key}             -> SET [PX ttl_ms]: {"ok":true}
//   DELETE /v1/kv/{key}               -> DEL: {"ok":true,"deleted":0|1}
//   GET /v1/keys?match=&cursor=&count=&type= -> SCAN: {"cursor":"N","keys":[...]}
//   POST /v1/command                  -> any command from a JSON array: {"result": ...}
//   /v1/lists/{key}, /v1/queues/{key}, /v1/stacks/{key}, /v1/sets/{key}[/{member}],
//   /v1/hashes/{key}[/{field}], /v1/zsets/{key}[/{member}] -> typed values (typed_routes.hpp)
//   POST /v1/checkpoint               -> BGREWRITEAOF (appendonly yes) or BGSAVE
//   GET /, GET /console/{asset}       -> the web console's page and assets (console.hpp)
//   POST /v1/publish/{channel}        -> PUBLISH channel <body>: {"receivers": N}
//   GET /v1/subscribe/{channel}, GET /v1/psubscribe/{pattern} -> text/event-stream (SSE)
// Authentication: Authorization Bearer (the default user's password) or Basic (user:password);
// 401 with WWW-Authenticate when missing or wrong while the default user has a password.
// Public: the console's page and assets, /v1/openapi.json, /health, /v1/health and /ready
// (unless http-health-auth yes), /metrics (when http-metrics-auth no). Commands then run
// under the user's ACL (NOPERM -> 403).
// The seed stores' routes (`http-compat-routes yes`, compat_routes.hpp): /api/v0/...,
// /db/{key}, /blobs, /blobs/{key}.
// Every route that runs a command accepts `?db=N` (default 0). Errors are JSON
// {"error": "...", "code": "..."}: Redis errors keep their text, with the first word as
// code (HTTP 409 for WRONGTYPE, 400 otherwise); HTTP-level errors use NOT_FOUND,
// BAD_REQUEST, METHOD_NOT_ALLOWED, PAYLOAD_TOO_LARGE, HEADERS_TOO_LARGE, INTERNAL,
// UNSUPPORTED_MEDIA_TYPE, NOT_IMPLEMENTED. The /api/v0 routes answer errors in their
// seed's shape {"status":"error","message":"..."}.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvd/command/client_context.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/protocol/capture.hpp"

namespace kvd::http {

/// One parsed HTTP request; views must stay valid for the route_request() call.
struct request {
  std::string_view method;        ///< method token as sent, e.g. "GET" (case-sensitive, RFC 9110 9.1)
  std::string_view target;        ///< origin-form target, e.g. "/v1/kv/a%2Fb?db=1"
  std::string_view content_type;  ///< Content-Type field value, "" when absent
  std::string_view accept;        ///< Accept field value, "" when absent
  std::string_view body;          ///< request body bytes
  std::string_view if_none_match = {};  ///< If-None-Match field value, "" when absent (console assets)
  /// Authorization field value, "" when absent: "Bearer <password of the default user>" or
  /// "Basic base64(user:password)" for any ACL user. Without valid credentials, while the
  /// default user has a password, every route but the public ones answers 401.
  std::string_view authorization = {};
};

/// A request to turn the connection into a Server-Sent Events stream of pub/sub messages
/// (GET /v1/subscribe/{channel}, GET /v1/psubscribe/{pattern}); the session subscribes and
/// streams (http_listener.cpp).
struct sse_subscription {
  std::string name;      ///< channel, or glob pattern when `pattern`
  bool pattern = false;  ///< PSUBSCRIBE instead of SUBSCRIBE
  bool raw = false;      ///< `?format=raw`: the payload as `data:` lines, else one JSON object per event
  std::int64_t timeout_s = 0;  ///< `?timeout=N`: end the stream after N seconds (0 = never)
  std::int64_t count = 0;      ///< `?count=N`: end the stream after N messages (0 = unlimited)
};

/// What to send back; the session adds framing (Content-Length, Connection).
struct response {
  unsigned status = 200;
  std::string content_type = "application/json";  ///< "" sends no Content-Type (empty bodies)
  std::string body;
  std::string allow;  ///< Allow field for 405 responses, "" for none
  /// Further header fields (name, value), e.g. ETag and Cache-Control of console assets.
  std::vector<std::pair<std::string_view, std::string>> headers;
  std::optional<sse_subscription> stream;  ///< set: no body; stream messages as text/event-stream
};

/// Decoded query parameters in order of appearance.
struct query_params {
  std::vector<std::pair<std::string, std::string>> items;
  /// The first value of parameter `name`, or nullptr when absent.
  [[nodiscard]] const std::string* get(std::string_view name) const {
    for (auto& [k, v] : items)
      if (k == name) return &v;
    return nullptr;
  }
};

/// One row of the route table: a path (exact, or with up to two single-segment parameters
/// such as "{key}" and "{member}") and the methods it serves.
struct route_info {
  std::string_view path;     ///< e.g. "/v1/kv/{key}", "/v1/hashes/{key}/{field}"
  std::string_view methods;  ///< the Allow value, e.g. "GET, PUT, POST, DELETE"
  bool compat;               ///< a seed store's route, served only with `http-compat-routes yes`
};

/// Every route the router serves, in table order (compat routes included).
[[nodiscard]] std::vector<route_info> routes();

/// Routes and executes one request for client `c` (its `db` is set from `?db=N`, 0 when
/// absent) through `d`; returns the response. Never throws except std::bad_alloc: bad
/// input becomes a 4xx JSON response, an unknown path 404, a known path with another
/// method 405 with Allow.
[[nodiscard]] response route_request(command::dispatcher& d, command::client_context& c, const request& req);

/// Runs one command through `d` for `c` and returns its reply tree (RESP3 shapes).
[[nodiscard]] protocol::reply run_command(command::dispatcher& d, command::client_context& c,
                                          const std::vector<std::string_view>& args);

/// A JSON error response `{"error": message, "code": code}` with `status`.
[[nodiscard]] response error_response(unsigned status, std::string_view message, std::string_view code);

/// True when an Accept field value (RFC 9110 12.5.1) ranks application/octet-stream above
/// application/json (by q value, then by order); wildcards count for neither.
[[nodiscard]] bool prefers_octet_stream(std::string_view accept) noexcept;

}  // namespace kvd::http
