#include "kvd/http/router.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "kvd/http/compat_routes.hpp"
#include "kvd/acl/acl.hpp"
#include "kvd/http/console.hpp"
#include "kvd/http/json_reply.hpp"
#include "kvd/http/metrics.hpp"
#include "kvd/http/openapi.hpp"
#include "kvd/http/typed_routes.hpp"
#include "kvd/protocol/capture.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::http {

namespace json = boost::json;
using protocol::reply;

namespace {

// Splits "a=1&b=2" (form encoding: '+' is a space). nullopt on a malformed %-escape.
std::optional<query_params> parse_query(std::string_view q) {
  query_params out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto k = percent_decode(part.substr(0, eq), true);
    auto v = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
    if (!k || !v) return std::nullopt;
    out.items.emplace_back(std::move(*k), std::move(*v));
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "application/json; charset=utf-8" -> "application/json" (lower case).
std::string media_type(std::string_view content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

response json_response(unsigned status, const json::value& v) {
  response r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

response ok_json(const json::value& v) { return json_response(200, v); }

response bad_request(std::string_view message) { return error_response(400, message, "BAD_REQUEST"); }

response method_not_allowed(std::string_view allow) {
  auto r = error_response(405, "method not allowed", "METHOD_NOT_ALLOWED");
  r.allow = allow;
  return r;
}

// A Redis error reply as an HTTP response: 409 for WRONGTYPE, 403 for NOPERM, 400 for the rest.
response redis_error(const reply& r) {
  auto code = error_code_of(r.str);
  if (code == "NOPERM") return error_response(403, r.str, code);  // the user's ACL refuses it
  return error_response(code == "WRONGTYPE" ? 409 : 400, r.str, code);
}

response internal_error(std::string_view what) { return error_response(500, what, "INTERNAL"); }

reply run(command::dispatcher& d, command::client_context& c, const std::vector<std::string_view>& args) {
  return run_command(d, c, args);
}

bool is_string_kind(const reply& r) noexcept {
  return r.k == reply::kind::bulk || r.k == reply::kind::simple || r.k == reply::kind::verbatim;
}

// Parses a decimal int64 query value; nullopt when malformed.
std::optional<std::int64_t> int_param(const std::string& s) { return util::parse_int64(s); }

// ---- /v1/kv/{key} ----

response kv_get(command::dispatcher& d, command::client_context& c, const request& req, const std::string& key,
                const query_params& q) {
  bool raw = prefers_octet_stream(req.accept);
  if (auto* f = q.get("format")) {
    if (*f == "raw") raw = true;
    else if (*f == "json") raw = false;
    else return bad_request("format must be json or raw");
  }
  bool want_utf8 = false;
  if (auto* e = q.get("encoding")) {
    auto el = lower(*e);
    if (el == "utf-8" || el == "utf8") want_utf8 = true;
    else if (el != "base64") return bad_request("encoding must be utf-8 or base64");
  }
  reply r = run(d, c, {"GET", key});
  if (r.k == reply::kind::error) return redis_error(r);
  if (r.k == reply::kind::null || r.k == reply::kind::null_array) return error_response(404, "not found", "NOT_FOUND");
  if (!is_string_kind(r)) return internal_error("unexpected reply to GET");
  if (raw) {
    response out;
    out.content_type = "application/octet-stream";
    out.body = std::move(r.str);
    return out;
  }
  json::object o;
  o["key"] = bytes_to_json(key);
  if (want_utf8 && is_valid_utf8(r.str)) {
    o["value"] = json::string(r.str);
    o["encoding"] = "utf-8";
  } else {
    o["value"] = base64_encode(r.str);
    o["encoding"] = "base64";
  }
  return ok_json(o);
}

// PUT/POST: the body is the value (any non-JSON content type) or {"value","encoding","ttl_ms"}.
response kv_put(command::dispatcher& d, command::client_context& c, const request& req, const std::string& key,
                const query_params& q) {
  std::int64_t ttl_ms = 0;
  if (auto* t = q.get("ttl_ms")) {
    auto v = int_param(*t);
    if (!v || *v < 0) return bad_request("ttl_ms must be a non-negative integer (milliseconds)");
    ttl_ms = *v;
  }
  std::string json_value;
  std::string_view value = req.body;
  if (media_type(req.content_type) == "application/json") {
    boost::system::error_code ec;
    json::value doc = json::parse(req.body, ec);
    if (ec) return bad_request("invalid JSON body: " + ec.message());
    auto* obj = doc.if_object();
    if (!obj) return bad_request("JSON body must be an object {\"value\": ..., \"encoding\": ..., \"ttl_ms\": ...}");
    auto* v = obj->if_contains("value");
    if (!v || !v->is_string()) return bad_request("\"value\" must be a string");
    bool b64 = true;  // the seed store's documented default
    if (auto* e = obj->if_contains("encoding")) {
      if (!e->is_string()) return bad_request("\"encoding\" must be \"utf-8\" or \"base64\"");
      auto el = lower(e->get_string());
      if (el == "utf-8" || el == "utf8") b64 = false;
      else if (el != "base64") return bad_request("\"encoding\" must be \"utf-8\" or \"base64\"");
    }
    if (auto* t = obj->if_contains("ttl_ms"); t && !t->is_null()) {
      if (t->is_int64() && t->get_int64() >= 0) ttl_ms = t->get_int64();
      else if (t->is_uint64() && t->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        ttl_ms = static_cast<std::int64_t>(t->get_uint64());
      else return bad_request("\"ttl_ms\" must be a non-negative integer (milliseconds)");
    }
    auto& s = v->get_string();
    if (b64) {
      auto dec = base64_decode(s);
      if (!dec) return bad_request("\"value\" is not valid base64");
      json_value = std::move(*dec);
    } else {
      json_value.assign(s.data(), s.size());
    }
    value = json_value;
  }
  std::string px;
  std::vector<std::string_view> args{"SET", key, value};
  if (ttl_ms > 0) {
    px = std::to_string(ttl_ms);
    args.push_back("PX");
    args.push_back(px);
  }
  reply r = run(d, c, args);
  if (r.k == reply::kind::error) return redis_error(r);
  json::object o;
  o["ok"] = r.k != reply::kind::null && r.k != reply::kind::null_array;
  return ok_json(o);
}

response kv_delete(command::dispatcher& d, command::client_context& c, const std::string& key) {
  reply r = run(d, c, {"DEL", key});
  if (r.k == reply::kind::error) return redis_error(r);
  if (r.k != reply::kind::integer) return internal_error("unexpected reply to DEL");
  json::object o;
  o["ok"] = true;
  o["deleted"] = r.num;
  return ok_json(o);
}

// ---- /v1/keys ----

response keys_scan(command::dispatcher& d, command::client_context& c, const query_params& q, const json_options& opt) {
  const std::string* cursor = q.get("cursor");
  std::vector<std::string_view> args{"SCAN", cursor && !cursor->empty() ? std::string_view(*cursor) : "0"};
  if (auto* m = q.get("match"); m && !m->empty()) args.insert(args.end(), {"MATCH", *m});
  if (auto* n = q.get("count"); n && !n->empty()) args.insert(args.end(), {"COUNT", *n});
  if (auto* t = q.get("type"); t && !t->empty()) args.insert(args.end(), {"TYPE", *t});
  reply r = run(d, c, args);
  if (r.k == reply::kind::error) return redis_error(r);
  if (r.k != reply::kind::array || r.elems.size() != 2 || !is_string_kind(r.elems[0]))
    return internal_error("unexpected reply to SCAN");
  json::object o;
  o["cursor"] = r.elems[0].str;
  json::array keys;
  for (auto& k : r.elems[1].elems) keys.push_back(reply_to_json(k, opt));
  o["keys"] = std::move(keys);
  return ok_json(o);
}

// ---- /v1/command ----

// Commands that change the connection's protocol state or take it over: they have no
// meaning for one stateless HTTP request.
bool refused_over_http(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 18> names{
      "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
      "monitor",   "quit",       "hello",      "select",      "reset",        "multi",
      "exec",      "discard",    "watch",      "unwatch",     "sync",         "psync"};
  for (auto n : names)
    if (command::iequals(n, name)) return true;
  return false;
}

response command_route(command::dispatcher& d, command::client_context& c, const request& req,
                       const json_options& opt) {
  boost::system::error_code ec;
  json::value doc = json::parse(req.body, ec);
  if (ec) return bad_request("invalid JSON body: " + ec.message());
  auto* arr = doc.if_array();
  if (!arr) return bad_request("body must be a JSON array of strings, e.g. [\"GET\",\"k\"]");
  if (arr->empty()) return bad_request("empty command");
  std::vector<std::string> owned;  // decoded {"base64": ...} arguments
  owned.reserve(arr->size());
  std::vector<std::string_view> args;
  args.reserve(arr->size());
  for (auto& e : *arr) {
    if (auto* s = e.if_string()) {
      args.emplace_back(s->data(), s->size());
      continue;
    }
    // Binary-safe argument: {"base64": "..."}, the shape replies use for non-UTF-8 bytes.
    auto* o = e.if_object();
    auto* b = o && o->size() == 1 ? o->if_contains("base64") : nullptr;
    if (!b || !b->is_string()) return bad_request("every element of the command array must be a string");
    auto dec = base64_decode(b->get_string());
    if (!dec) return bad_request("invalid base64 argument");
    owned.push_back(std::move(*dec));
    args.emplace_back(owned.back());
  }
  if (refused_over_http(args[0]))
    return bad_request("command '" + lower(args[0]) + "' is not available over HTTP");
  reply r = run(d, c, args);
  if (r.k == reply::kind::error) return redis_error(r);
  json::object o;
  o["result"] = reply_to_json(r, opt);
  return ok_json(o);
}

// ---- /v1/info ----

// INFO text ("# Server\r\nfield:value\r\n...") as {"server": {"field": "value"}}.
json::object info_to_json(std::string_view text) {
  json::object out;
  json::object* section = nullptr;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      auto name = lower(trim(line.substr(1)));
      section = &out[name].emplace_object();
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (!section) section = &out["default"].emplace_object();
    (*section)[line.substr(0, colon)] = bytes_to_json(line.substr(colon + 1));
  }
  return out;
}

response info_route(command::dispatcher& d, command::client_context& c, const query_params& q) {
  std::vector<std::string_view> args{"INFO"};
  if (auto* s = q.get("section"); s && !s->empty()) args.push_back(*s);
  reply r = run(d, c, args);
  if (r.k == reply::kind::error) return redis_error(r);
  if (!is_string_kind(r)) return internal_error("unexpected reply to INFO");
  return ok_json(info_to_json(r.str));
}

// ---- the route table ----

struct route_call {
  command::dispatcher& d;
  command::client_context& c;
  const request& req;
  const query_params& q;
  const json_options& opt;
  std::string_view method;
  std::string_view path;
  const std::string& key;   ///< the decoded {key} segment, "" for exact paths
  const std::string& item;  ///< the decoded segment after {key} ({member}, {field}), "" when none
};

using route_fn = response (*)(const route_call&);

struct route_row {
  route_info info;
  route_fn fn;
};

// True when `method` is one of the comma-separated tokens of `allow`.
bool method_listed(std::string_view allow, std::string_view method) noexcept {
  while (!allow.empty()) {
    auto comma = allow.find(',');
    if (trim(allow.substr(0, comma)) == method) return true;
    allow = comma == std::string_view::npos ? std::string_view{} : allow.substr(comma + 1);
  }
  return false;
}

response health_fn(const route_call&) { return ok_json(json::object{{"ok", true}}); }

response ready_fn(const route_call& r) {
  bool ready = !r.d.server().loading.load();
  return json_response(ready ? 200 : 503, json::object{{"ready", ready}});
}

response metrics_fn(const route_call& r) {
  response out;
  out.content_type = metrics_content_type;
  out.body = render_metrics(r.d.server());
  return out;
}

response openapi_fn(const route_call&) {
  response out;
  out.body = openapi_json();
  return out;
}

response info_fn(const route_call& r) { return info_route(r.d, r.c, r.q); }
response keys_fn(const route_call& r) { return keys_scan(r.d, r.c, r.q, r.opt); }
response command_fn(const route_call& r) { return command_route(r.d, r.c, r.req, r.opt); }

response kv_fn(const route_call& r) {
  if (r.key.empty()) return bad_request("empty key");
  if (r.method == "GET") return kv_get(r.d, r.c, r.req, r.key, r.q);
  if (r.method == "DELETE") return kv_delete(r.d, r.c, r.key);
  return kv_put(r.d, r.c, r.req, r.key, r.q);
}

response lists_fn(const route_call& r) { return list_route(r.d, r.c, r.req, r.q, r.key); }
response queues_fn(const route_call& r) { return queue_route(r.d, r.c, r.req, r.q, r.key, false); }
response stacks_fn(const route_call& r) { return queue_route(r.d, r.c, r.req, r.q, r.key, true); }
response sets_fn(const route_call& r) { return set_route(r.d, r.c, r.req, r.q, r.key); }
response set_member_fn(const route_call& r) { return set_member_route(r.d, r.c, r.q, r.key, r.item); }
response hashes_fn(const route_call& r) { return hash_route(r.d, r.c, r.q, r.key); }
response hash_field_fn(const route_call& r) { return hash_field_route(r.d, r.c, r.req, r.q, r.key, r.item); }
response zsets_fn(const route_call& r) { return zset_route(r.d, r.c, r.req, r.q, r.key); }
response zset_member_fn(const route_call& r) { return zset_member_route(r.d, r.c, r.q, r.key, r.item); }

response checkpoint_fn(const route_call& r) { return checkpoint_route(r.d, r.c); }

// ---- pub/sub ----

response publish_fn(const route_call& r) {
  reply rep = run(r.d, r.c, {"PUBLISH", r.key, r.req.body});
  if (rep.k == reply::kind::error) return redis_error(rep);
  if (rep.k != reply::kind::integer) return internal_error("unexpected reply to PUBLISH");
  return ok_json(json::object{{"receivers", rep.num}});
}

response subscribe_common(const route_call& r, bool pattern) {
  sse_subscription s;
  s.name = r.key;
  s.pattern = pattern;
  if (auto* f = r.q.get("format")) {
    auto fl = lower(*f);
    if (fl != "raw" && fl != "json") return bad_request("format must be json or raw");
    s.raw = fl == "raw";
  }
  for (auto [name, field] : {std::pair{"timeout", &s.timeout_s}, std::pair{"count", &s.count}}) {
    if (auto* v = r.q.get(name)) {
      auto n = int_param(*v);
      if (!n || *n < 0) return bad_request(std::string(name) + " must be a non-negative integer");
      *field = *n;
    }
  }
  response out;
  out.content_type = "text/event-stream";
  out.stream = std::move(s);
  return out;
}
response subscribe_fn(const route_call& r) { return subscribe_common(r, false); }
response psubscribe_fn(const route_call& r) { return subscribe_common(r, true); }

response api_v0_fn(const route_call& r) {
  return api_v0_route(r.d, r.c, r.req, r.q, r.path.substr(std::string_view("/api/v0").size()));
}

response db_fn(const route_call& r) { return db_key_route(r.d, r.c, r.req, r.q, r.key); }
response blob_fn(const route_call& r) { return blob_route(r.d, r.c, r.req, r.key); }
response blobs_fn(const route_call& r) { return blob_list_route(r.d, r.c); }

// The web console (console.hpp): "/" is its page, "/console/{asset}" the files it loads.
response console_index_fn(const route_call& r) { return console_response("index.html", r.req.if_none_match); }
response console_asset_fn(const route_call& r) { return console_response(r.key, r.req.if_none_match); }

// Every route kvd serves. docs/openapi.yaml documents each row; test/e2e/test_openapi.py
// reads the rows between the ROUTES markers below and compares them with the document.
// ROUTES BEGIN
const route_row route_table[] = {
    {{"/", "GET", false}, console_index_fn},
    {{"/console/{asset}", "GET", false}, console_asset_fn},
    {{"/health", "GET", false}, health_fn},
    {{"/v1/health", "GET", false}, health_fn},
    {{"/ready", "GET", false}, ready_fn},
    {{"/metrics", "GET", false}, metrics_fn},
    {{"/v1/openapi.json", "GET", false}, openapi_fn},
    {{"/v1/info", "GET", false}, info_fn},
    {{"/v1/keys", "GET", false}, keys_fn},
    {{"/v1/command", "POST", false}, command_fn},
    {{"/v1/kv/{key}", "GET, PUT, POST, DELETE", false}, kv_fn},
    {{"/v1/lists/{key}", "GET, POST, DELETE", false}, lists_fn},
    {{"/v1/queues/{key}", "GET, POST, DELETE", false}, queues_fn},
    {{"/v1/stacks/{key}", "GET, POST, DELETE", false}, stacks_fn},
    {{"/v1/sets/{key}", "GET, POST, DELETE", false}, sets_fn},
    {{"/v1/sets/{key}/{member}", "GET", false}, set_member_fn},
    {{"/v1/hashes/{key}", "GET", false}, hashes_fn},
    {{"/v1/hashes/{key}/{field}", "GET, PUT, DELETE", false}, hash_field_fn},
    {{"/v1/zsets/{key}", "GET, POST, DELETE", false}, zsets_fn},
    {{"/v1/zsets/{key}/{member}", "GET", false}, zset_member_fn},
    {{"/v1/checkpoint", "POST", false}, checkpoint_fn},
    {{"/v1/publish/{key}", "POST", false}, publish_fn},
    {{"/v1/subscribe/{key}", "GET", false}, subscribe_fn},
    {{"/v1/psubscribe/{key}", "GET", false}, psubscribe_fn},
    {{"/api/v0", "GET", true}, api_v0_fn},
    {{"/api/v0/", "GET", true}, api_v0_fn},
    {{"/api/v0/set", "POST", true}, api_v0_fn},
    {{"/api/v0/get", "GET", true}, api_v0_fn},
    {{"/api/v0/delete", "DELETE", true}, api_v0_fn},
    {{"/api/v0/get/all", "GET", true}, api_v0_fn},
    {{"/api/v0/keys/all", "GET", true}, api_v0_fn},
    {{"/api/v0/values/all", "GET", true}, api_v0_fn},
    {{"/db/{key}", "GET, POST, DELETE", true}, db_fn},
    {{"/blobs", "GET", true}, blobs_fn},
    {{"/blobs/{key}", "GET, POST, DELETE", true}, blob_fn},
};
// ROUTES END

// ---- authentication ----

/// Routes served without credentials (see router.hpp).
bool is_public(command::server_state& s, std::string_view tpl) {
  if (tpl == "/" || tpl == "/console/{asset}" || tpl == "/v1/openapi.json") return true;
  if (tpl == "/health" || tpl == "/v1/health" || tpl == "/ready")
    return !s.config.http_health_auth.load(std::memory_order_relaxed);
  if (tpl == "/metrics") return !s.config.http_metrics_auth.load(std::memory_order_relaxed);
  return false;
}

response unauthorized(std::string_view why) {
  auto r = error_response(401, why, "UNAUTHORIZED");
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"kvd\"");
  return r;
}

/// Sets the request's user from its Authorization field (each request on its own: a
/// keep-alive connection may change credentials). Returns a 401 response, or nullopt.
std::optional<response> authenticate(command::server_state& s, command::client_context& c, const request& req) {
  c.acl_ready = false;  // the default user, authenticated when it needs no password
  acl::client_user(s, c);
  auto h = trim(req.authorization);
  if (h.empty()) {
    if (s.acl.auth_required() && !c.authenticated)
      return unauthorized("authentication required: send Authorization: Bearer <password> or Basic <user:password>");
    return std::nullopt;
  }
  auto sp = h.find(' ');
  auto scheme = h.substr(0, sp);
  auto cred = sp == std::string_view::npos ? std::string_view() : trim(h.substr(sp + 1));
  std::string user = "default", pass;
  if (command::iequals(scheme, "Bearer")) {
    pass = cred;
  } else if (command::iequals(scheme, "Basic")) {
    auto dec = base64_decode(cred);
    auto colon = dec ? dec->find(':') : std::string::npos;
    if (colon == std::string::npos) return unauthorized("malformed Basic credentials");
    user = dec->substr(0, colon);
    pass = dec->substr(colon + 1);
  } else {
    return unauthorized("unsupported authorization scheme (use Bearer or Basic)");
  }
  if (!acl::authenticate_client(s, c, user, pass, "auth"))
    return unauthorized("WRONGPASS invalid username-password pair or user is disabled.");
  return std::nullopt;
}

enum class path_match { no, yes, empty_param, bad_escape };

// Matches `path` against the template `tpl` segment by segment: a literal segment must be
// equal, a "{name}" segment matches one segment and is percent-decoded into the next slot of
// `params` (at most two). Templates without "{" match exactly. empty_param / bad_escape: the
// shape matched but a parameter is empty or malformed; `params[0]` then holds its name.
path_match match_path(std::string_view tpl, std::string_view path, std::array<std::string, 2>& params) {
  if (tpl.find('{') == std::string_view::npos) return tpl == path ? path_match::yes : path_match::no;
  std::size_t n = 0;
  std::array<std::string_view, 2> raw;
  std::array<std::string_view, 2> names;
  while (true) {
    auto ts = tpl.find('/'), ps = path.find('/');
    auto t = tpl.substr(0, ts), p = path.substr(0, ps);
    if (t.size() > 2 && t.front() == '{' && t.back() == '}') {
      if (n == raw.size()) return path_match::no;
      names[n] = t.substr(1, t.size() - 2);
      raw[n++] = p;
    } else if (t != p) {
      return path_match::no;
    }
    if (ts == std::string_view::npos || ps == std::string_view::npos) {
      if (ts != ps) return path_match::no;  // one has more segments
      break;
    }
    tpl.remove_prefix(ts + 1);
    path.remove_prefix(ps + 1);
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto bad = raw[i].empty() ? path_match::empty_param : path_match::no;
    std::optional<std::string> dec;
    if (bad == path_match::no && !(dec = percent_decode(raw[i]))) bad = path_match::bad_escape;
    if (bad != path_match::no) {
      params[0] = names[i];
      return bad;
    }
    params[i] = std::move(*dec);
  }
  return path_match::yes;
}

response path_param_error(path_match m, const std::array<std::string, 2>& params) {
  if (m == path_match::empty_param) return bad_request("empty " + params[0]);
  return bad_request("malformed percent-encoding in " + params[0]);
}

}  // namespace

std::vector<route_info> routes() {
  std::vector<route_info> out;
  for (auto& row : route_table) out.push_back(row.info);
  return out;
}

protocol::reply run_command(command::dispatcher& d, command::client_context& c,
                            const std::vector<std::string_view>& args) {
  protocol::capture cap(3);
  d.execute(c, args, cap);
  return cap.take();
}

response error_response(unsigned status, std::string_view message, std::string_view code) {
  response r;
  r.status = status;
  r.body = error_body(message, code);
  return r;
}

bool prefers_octet_stream(std::string_view accept) noexcept {
  double q_oct = 0, q_json = 0;
  int pos_oct = -1, pos_json = -1, pos = 0;
  while (!accept.empty()) {
    auto comma = accept.find(',');
    auto range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    auto semi = range.find(';');
    auto type = trim(range.substr(0, semi));
    double q = 1;
    auto params = semi == std::string_view::npos ? std::string_view{} : range.substr(semi + 1);
    while (!params.empty()) {
      auto s2 = params.find(';');
      auto p = trim(params.substr(0, s2));
      params = s2 == std::string_view::npos ? std::string_view{} : params.substr(s2 + 1);
      if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
        q = 0;  // a malformed weight ranks the range last
        auto v = p.substr(2);
        std::from_chars(v.data(), v.data() + v.size(), q);
      }
    }
    if (command::iequals(type, "application/octet-stream") && pos_oct < 0) {
      q_oct = q;
      pos_oct = pos;
    } else if (command::iequals(type, "application/json") && pos_json < 0) {
      q_json = q;
      pos_json = pos;
    }
    ++pos;
  }
  if (pos_oct < 0 || q_oct <= 0) return false;
  if (pos_json < 0) return true;
  return q_oct > q_json || (q_oct == q_json && pos_oct < pos_json);
}

response route_request(command::dispatcher& d, command::client_context& c, const request& req) {
  auto qm = req.target.find('?');
  std::string_view path = req.target.substr(0, qm);
  std::string_view query = qm == std::string_view::npos ? std::string_view{} : req.target.substr(qm + 1);
  if (path.empty() || path.front() != '/') return bad_request("request target must be an absolute path");
  auto q = parse_query(query);
  if (!q) return bad_request("malformed percent-encoding in query string");

  int db = 0;
  if (auto* p = q->get("db")) {
    auto n = int_param(*p);
    if (!n || *n < 0 || *n >= d.server().keyspace.databases()) return bad_request("ERR DB index is out of range");
    db = static_cast<int>(*n);
  }
  {
    std::lock_guard lk(c.info_mu);  // CLIENT LIST reads db from other threads
    c.db = db;
  }
  json_options opt;
  if (auto* e = q->get("encoding")) {
    auto el = lower(*e);
    opt.bulk_base64 = el == "base64";
  }
  const std::string_view m = req.method;
  const bool compat = d.server().config.http_compat_routes.load(std::memory_order_relaxed);

  for (auto& row : route_table) {
    if (row.info.compat && !compat) continue;
    std::array<std::string, 2> params;
    auto matched = match_path(row.info.path, path, params);
    if (matched == path_match::no) continue;
    if (matched != path_match::yes) return path_param_error(matched, params);
    if (!method_listed(row.info.methods, m)) return method_not_allowed(row.info.methods);
    if (!is_public(d.server(), row.info.path))
      if (auto denied = authenticate(d.server(), c, req)) return std::move(*denied);
    return row.fn(route_call{d, c, req, *q, opt, m, path, params[0], params[1]});
  }
  return error_response(404, "no such route", "NOT_FOUND");
}

}  // namespace kvd::http
