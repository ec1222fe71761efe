#include "kvd/http/typed_routes.hpp"

#include <cctype>
#include <cmath>
#include <optional>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "kvd/command/command_table.hpp"
#include "kvd/http/json_reply.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::http {

namespace json = boost::json;
using protocol::reply;

namespace {

// ---- shared helpers ----

bool is_string_kind(const reply& r) noexcept {
  return r.k == reply::kind::bulk || r.k == reply::kind::simple || r.k == reply::kind::verbatim;
}

bool is_nil(const reply& r) noexcept { return r.k == reply::kind::null || r.k == reply::kind::null_array; }

bool is_list_kind(const reply& r) noexcept { return r.k == reply::kind::array || r.k == reply::kind::set; }

response json_out(unsigned status, const json::value& v) {
  response r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

response ok_json(const json::value& v) { return json_out(200, v); }

response bad_request(std::string_view message) { return error_response(400, message, "BAD_REQUEST"); }

response not_found(std::string_view message) { return error_response(404, message, "NOT_FOUND"); }

response internal_error(std::string_view what) { return error_response(500, what, "INTERNAL"); }

// A Redis error reply: 409 for WRONGTYPE, 400 for the rest (as router.cpp).
response redis_error(const reply& r) {
  auto code = error_code_of(r.str);
  return error_response(code == "WRONGTYPE" ? 409 : 400, r.str, code);
}

std::string media_type(std::string_view content_type) {
  auto mt = content_type.substr(0, content_type.find(';'));
  while (!mt.empty() && (mt.front() == ' ' || mt.front() == '\t')) mt.remove_prefix(1);
  while (!mt.empty() && (mt.back() == ' ' || mt.back() == '\t')) mt.remove_suffix(1);
  std::string out(mt);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

bool is_json_body(const request& req) { return media_type(req.content_type) == "application/json"; }

// How values travel: `?encoding=base64` (every value is base64 text both ways) or the
// default (UTF-8 text, {"base64": ...} for other bytes). Returns false on another value.
bool read_encoding(const query_params& q, bool& b64) {
  b64 = false;
  auto* e = q.get("encoding");
  if (!e) return true;
  if (command::iequals(*e, "base64")) b64 = true;
  else if (!command::iequals(*e, "utf-8") && !command::iequals(*e, "utf8")) return false;
  return true;
}

response bad_encoding() { return bad_request("encoding must be base64 or utf-8"); }

// A value, member or field in a response.
json::value out_bytes(std::string_view s, bool b64) { return bytes_to_json(s, b64); }

// A value from a JSON body: a string (base64 text when `b64`) or {"base64": "..."}.
// False when it is neither or the base64 is invalid.
bool json_to_bytes(const json::value& v, bool b64, std::string& out) {
  std::string_view text;
  bool decode = b64;
  if (auto* s = v.if_string()) {
    text = std::string_view(s->data(), s->size());
  } else if (auto* o = v.if_object(); o && o->size() == 1 && o->contains("base64") && o->at("base64").is_string()) {
    auto& s2 = o->at("base64").get_string();
    text = std::string_view(s2.data(), s2.size());
    decode = true;
  } else {
    return false;
  }
  if (!decode) {
    out.assign(text);
    return true;
  }
  auto dec = base64_decode(text);
  if (!dec) return false;
  out = std::move(*dec);
  return true;
}

// A member or field from a query parameter or path segment (already percent-decoded).
std::optional<std::string> text_to_bytes(std::string_view s, bool b64) {
  if (!b64) return std::string(s);
  return base64_decode(s);
}

// The values of a push or add: a non-empty JSON array of values with Content-Type
// application/json, else the raw body as one value. Returns false and sets `err` when the
// body is not acceptable.
bool body_values(const request& req, bool b64, std::vector<std::string>& out, response& err) {
  if (!is_json_body(req)) {
    out.emplace_back(req.body);
    return true;
  }
  boost::system::error_code ec;
  json::value doc = json::parse(req.body, ec);
  if (ec) {
    err = bad_request("invalid JSON body: " + ec.message());
    return false;
  }
  auto* arr = doc.if_array();
  if (!arr || arr->empty()) {
    err = bad_request("JSON body must be a non-empty array of values, e.g. [\"a\",\"b\"]");
    return false;
  }
  out.reserve(arr->size());
  for (auto& e : *arr) {
    out.emplace_back();
    if (!json_to_bytes(e, b64, out.back())) {
      err = bad_request(b64 ? "every value must be a base64 string" : "every value must be a string or {\"base64\": ...}");
      return false;
    }
  }
  return true;
}

// An optional integer query parameter (`def` when absent). False when malformed.
bool int_param(const query_params& q, std::string_view name, std::int64_t def, std::int64_t& out) {
  auto* p = q.get(name);
  if (!p) {
    out = def;
    return true;
  }
  auto v = util::parse_int64(*p);
  if (!v) return false;
  out = *v;
  return true;
}

// `?end=` of lists: true for left, false for right; nullopt when malformed.
std::optional<bool> end_param(const query_params& q, bool left_by_default) {
  auto* e = q.get("end");
  if (!e) return left_by_default;
  if (command::iequals(*e, "left")) return true;
  if (command::iequals(*e, "right")) return false;
  return std::nullopt;
}

// Every `?member=` value (decoded as `b64` says). False and `err` when none or bad base64.
bool member_params(const query_params& q, bool b64, std::vector<std::string>& out, response& err) {
  for (auto& [k, v] : q.items) {
    if (k != "member") continue;
    auto m = text_to_bytes(v, b64);
    if (!m) {
      err = bad_request("member is not valid base64");
      return false;
    }
    out.push_back(std::move(*m));
  }
  if (out.empty()) {
    err = bad_request("the member query parameter is required (?member=m, repeatable)");
    return false;
  }
  return true;
}

std::vector<std::string_view> command_args(std::initializer_list<std::string_view> head,
                                           const std::vector<std::string>& tail) {
  std::vector<std::string_view> args(head);
  args.reserve(args.size() + tail.size());
  for (auto& s : tail) args.emplace_back(s);
  return args;
}

// A string-array reply (LRANGE, SMEMBERS, LPOP count) as a JSON array of values.
bool values_json(const reply& r, bool b64, json::array& out) {
  if (!is_list_kind(r)) return false;
  out.reserve(r.elems.size());
  for (auto& e : r.elems) {
    if (!is_string_kind(e)) return false;
    out.push_back(out_bytes(e.str, b64));
  }
  return true;
}

// Whether `key` exists (to tell an empty range from a missing key). An error reply is
// passed back in `err`.
bool key_exists(command::dispatcher& d, command::client_context& c, const std::string& key, bool& exists,
                response& err) {
  reply r = run_command(d, c, {"EXISTS", key});
  if (r.k == reply::kind::error) {
    err = redis_error(r);
    return false;
  }
  exists = r.k == reply::kind::integer && r.num > 0;
  return true;
}

// A score as JSON: integral values within 2^53 as integers, other finite values as
// numbers, infinities as the strings "inf" / "-inf".
json::value score_json(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) return static_cast<std::int64_t>(v);
  return v;
}

// A score reply (RESP3 double, or a bulk in Redis's text form) as JSON.
bool score_reply_json(const reply& r, json::value& out) {
  if (r.k == reply::kind::dbl) {
    out = score_json(r.dbl);
    return true;
  }
  if (r.k == reply::kind::integer) {
    out = r.num;
    return true;
  }
  if (!is_string_kind(r)) return false;
  auto v = util::parse_double(r.str);
  if (!v) return false;
  out = score_json(*v);
  return true;
}

// A score from a JSON body in ZADD's text form: numbers exactly ("%.17g"), strings as given.
bool score_text(const json::value& v, std::string& out) {
  if (v.is_int64()) out = std::to_string(v.get_int64());
  else if (v.is_uint64()) out = std::to_string(v.get_uint64());
  else if (v.is_double()) out = util::format_double(v.get_double());
  else if (v.is_string()) out.assign(v.get_string().data(), v.get_string().size());
  else return false;
  return true;
}

// ---- lists, queues, stacks ----

response list_get(command::dispatcher& d, command::client_context& c, const query_params& q, const std::string& key,
                  bool b64) {
  std::int64_t start = 0, stop = -1;
  if (!int_param(q, "start", 0, start) || !int_param(q, "stop", -1, stop))
    return bad_request("start and stop must be integers (list indexes, negative from the end)");
  auto a = std::to_string(start), b = std::to_string(stop);
  reply r = run_command(d, c, {"LRANGE", key, a, b});
  if (r.k == reply::kind::error) return redis_error(r);
  json::array out;
  if (!values_json(r, b64, out)) return internal_error("unexpected reply to LRANGE");
  if (out.empty()) {
    bool exists = false;
    response err;
    if (!key_exists(d, c, key, exists, err)) return err;
    if (!exists) return not_found("no such key");
  }
  return ok_json(out);
}

response push(command::dispatcher& d, command::client_context& c, const request& req, const std::string& key,
              bool left, bool b64) {
  std::vector<std::string> values;
  response err;
  if (!body_values(req, b64, values, err)) return err;
  reply r = run_command(d, c, command_args({left ? "LPUSH" : "RPUSH", key}, values));
  if (r.k == reply::kind::error) return redis_error(r);
  if (r.k != reply::kind::integer) return internal_error("unexpected reply to a push");
  return ok_json(json::object{{"length", r.num}});
}

response list_pop(command::dispatcher& d, command::client_context& c, const query_params& q, const std::string& key,
                  bool b64) {
  auto left = end_param(q, true);
  if (!left) return bad_request("end must be left or right");
  std::vector<std::string_view> args{*left ? "LPOP" : "RPOP", key};
  std::string count;
  if (auto* n = q.get("count")) {
    auto v = util::parse_int64(*n);
    if (!v || *v < 1) return bad_request("count must be a positive integer");
    count = std::to_string(*v);
    args.push_back(count);
  }
  reply r = run_command(d, c, args);
  if (r.k == reply::kind::error) return redis_error(r);
  if (is_nil(r)) return not_found("no such key (an emptied list is deleted)");
  json::array values;
  if (is_string_kind(r)) values.push_back(out_bytes(r.str, b64));
  else if (!values_json(r, b64, values)) return internal_error("unexpected reply to a pop");
  return ok_json(json::object{{"values", std::move(values)}});
}

}  // namespace

response list_route(command::dispatcher& d, command::client_context& c, const request& req, const query_params& q,
                    const std::string& key) {
  bool b64;
  if (!read_encoding(q, b64)) return bad_encoding();
  if (req.method == "GET") return list_get(d, c, q, key, b64);
  if (req.method == "DELETE") return list_pop(d, c, q, key, b64);
  auto left = end_param(q, false);
  if (!left) return bad_request("end must be left or right");
  return push(d, c, req, key, *left, b64);
}

response queue_route(command::dispatcher& d, command::client_context& c, const request& req, const query_params& q,
                     const std::string& key, bool stack) {
  bool b64;
  if (!read_encoding(q, b64)) return bad_encoding();
  if (req.method == "POST") return push(d, c, req, key, false, b64);
  reply r = req.method == "GET" ? run_command(d, c, {"LINDEX", key, stack ? "-1" : "0"})
                                : run_command(d, c, {stack ? "RPOP" : "LPOP", key});
  if (r.k == reply::kind::error) return redis_error(r);
  if (is_nil(r)) return not_found(stack ? "empty stack" : "empty queue");
  if (!is_string_kind(r)) return internal_error("unexpected reply to LINDEX/POP");
  return ok_json(json::object{{"value", out_bytes(r.str, b64)}});
}

// ---- sets ----

response set_route(command::dispatcher& d, command::client_context& c, const request& req, const query_params& q,
                   const std::string& key) {
  bool b64;
  if (!read_encoding(q, b64)) return bad_encoding();
  std::vector<std::string> members;
  response err;
  if (req.method == "GET") {
    reply r = run_command(d, c, {"SMEMBERS", key});
    if (r.k == reply::kind::error) return redis_error(r);
    json::array out;
    if (!values_json(r, b64, out)) return internal_error("unexpected reply to SMEMBERS");
    if (out.empty()) return not_found("no such key");  // sets are never empty
    return ok_json(out);
  }
  if (req.method == "POST") {
    if (!body_values(req, b64, members, err)) return err;
    reply r = run_command(d, c, command_args({"SADD", key}, members));
    if (r.k == reply::kind::error) return redis_error(r);
    if (r.k != reply::kind::integer) return internal_error("unexpected reply to SADD");
    return ok_json(json::object{{"added", r.num}});
  }
  if (!member_params(q, b64, members, err)) return err;
  reply r = run_command(d, c, command_args({"SREM", key}, members));
  if (r.k == reply::kind::error) return redis_error(r);
  if (r.k != reply::kind::integer) return internal_error("unexpected reply to SREM");
  return ok_json(json::object{{"removed", r.num}});
}

response set_member_route(command::dispatcher& d, command::client_context& c, const query_params& q,
                          const std::string& key, const std::string& member) {
  bool b64;
  if (!read_encoding(q, b64)) return bad_encoding();
  auto m = text_to_bytes(member, b64);
  if (!m) return bad_request("member is not valid base64");
  reply r = run_command(d, c, {"SISMEMBER", key, *m});
  if (r.k == reply::kind::error) return redis_error(r);
  if (r.k != reply::kind::integer) return internal_error("unexpected reply to SISMEMBER");
  json::object o;
  if (r.num == 0) {
    o["error"] = "not a member";
    o["code"] = "NOT_FOUND";
  }
  o["member"] = out_bytes(*m, b64);
  o["exists"] = r.num != 0;
  return json_out(r.num != 0 ? 200 : 404, o);
}

// ---- hashes ----

response hash_route(command::dispatcher& d, command::client_context& c, const query_params& q,
                    const std::string& key) {
  bool b64;
  if (!read_encoding(q, b64)) return bad_encoding();
  reply r = run_command(d, c, {"HGETALL", key});
  if (r.k == reply::kind::error) return redis_error(r);
  if (r.k != reply::kind::map && !is_list_kind(r)) return internal_error("unexpected reply to HGETALL");
  if (r.elems.empty()) return not_found("no such key");  // hashes are never empty
  json::object o;
  o.reserve(r.elems.size() / 2);
  for (std::size_t i = 0; i + 1 < r.elems.size(); i += 2) {
    auto& f = r.elems[i];
    auto& v = r.elems[i + 1];
    if (!is_string_kind(f) || !is_string_kind(v)) return internal_error("unexpected reply to HGETALL");
    if (!b64 && !is_valid_utf8(f.str))
      return error_response(406, "a field name is not UTF-8: ask with ?encoding=base64", "NOT_ACCEPTABLE");
    o[b64 ? base64_encode(f.str) : f.str] = out_bytes(v.str, b64);
  }
  return ok_json(o);
}

response hash_field_route(command::dispatcher& d, command::client_context& c, const request& req,
                          const query_params& q, const std::string& key, const std::string& field) {
  bool b64;
  if (!read_encoding(q, b64)) return bad_encoding();
  auto f = text_to_bytes(field, b64);
  if (!f) return bad_request("field is not valid base64");
  if (req.method == "GET") {
    reply r = run_command(d, c, {"HGET", key, *f});
    if (r.k == reply::kind::error) return redis_error(r);
    if (is_nil(r)) return not_found("no such field");
    if (!is_string_kind(r)) return internal_error("unexpected reply to HGET");
    return ok_json(json::object{{"field", out_bytes(*f, b64)}, {"value", out_bytes(r.str, b64)}});
  }
  if (req.method == "DELETE") {
    reply r = run_command(d, c, {"HDEL", key, *f});
    if (r.k == reply::kind::error) return redis_error(r);
    if (r.k != reply::kind::integer) return internal_error("unexpected reply to HDEL");
    return ok_json(json::object{{"deleted", r.num}});
  }
  std::string value;
  std::string_view v = req.body;
  if (is_json_body(req)) {
    boost::system::error_code ec;
    json::value doc = json::parse(req.body, ec);
    if (ec) return bad_request("invalid JSON body: " + ec.message());
    auto* obj = doc.if_object();
    auto* jv = obj ? obj->if_contains("value") : nullptr;
    if (!jv || !json_to_bytes(*jv, b64, value))
      return bad_request(b64 ? "JSON body must be {\"value\": \"<base64>\"}"
                             : "JSON body must be {\"value\": \"...\"} (or {\"value\": {\"base64\": \"...\"}})");
    v = value;
  }
  reply r = run_command(d, c, {"HSET", key, *f, v});
  if (r.k == reply::kind::error) return redis_error(r);
  if (r.k != reply::kind::integer) return internal_error("unexpected reply to HSET");
  return ok_json(json::object{{"added", r.num}});
}

// ---- sorted sets ----

namespace {

// ZRANGE/ZRANGEBYSCORE ... WITHSCORES: RESP3 [[member, score], ...] or flat [m, s, ...].
bool scored_json(const reply& r, bool b64, json::array& out) {
  if (!is_list_kind(r)) return false;
  auto add = [&](const reply& m, const reply& s) {
    json::value score;
    if (!is_string_kind(m) || !score_reply_json(s, score)) return false;
    out.push_back(json::object{{"member", out_bytes(m.str, b64)}, {"score", std::move(score)}});
    return true;
  };
  if (!r.elems.empty() && is_list_kind(r.elems.front())) {
    for (auto& p : r.elems)
      if (!is_list_kind(p) || p.elems.size() != 2 || !add(p.elems[0], p.elems[1])) return false;
    return true;
  }
  if (r.elems.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < r.elems.size(); i += 2)
    if (!add(r.elems[i], r.elems[i + 1])) return false;
  return true;
}

response zset_get(command::dispatcher& d, command::client_context& c, const query_params& q, const std::string& key,
                  bool b64) {
  bool by_rank = q.get("start") || q.get("stop");
  bool by_score = q.get("min") || q.get("max");
  if (by_rank && by_score) return bad_request("give start/stop (by rank) or min/max (by score), not both");
  reply r;
  if (by_score) {
    auto* mn = q.get("min");
    auto* mx = q.get("max");
    r = run_command(d, c, {"ZRANGEBYSCORE", key, mn ? std::string_view(*mn) : "-inf",
                           mx ? std::string_view(*mx) : "+inf", "WITHSCORES"});
  } else {
    std::int64_t start = 0, stop = -1;
    if (!int_param(q, "start", 0, start) || !int_param(q, "stop", -1, stop))
      return bad_request("start and stop must be integers (ranks, negative from the end)");
    auto a = std::to_string(start), b = std::to_string(stop);
    r = run_command(d, c, {"ZRANGE", key, a, b, "WITHSCORES"});
  }
  if (r.k == reply::kind::error) return redis_error(r);
  json::array out;
  if (!scored_json(r, b64, out)) return internal_error("unexpected reply to ZRANGE");
  if (out.empty()) {
    bool exists = false;
    response err;
    if (!key_exists(d, c, key, exists, err)) return err;
    if (!exists) return not_found("no such key");
  }
  return ok_json(out);
}

// POST body: {"member": m, "score": s} or a non-empty array of them -> ZADD arguments.
bool zadd_args(const request& req, bool b64, std::vector<std::string>& out, response& err) {
  boost::system::error_code ec;
  json::value doc = json::parse(req.body, ec);
  if (ec) {
    err = bad_request("invalid JSON body: " + ec.message());
    return false;
  }
  json::array one;
  const json::array* items = doc.if_array();
  if (!items) {
    one.push_back(doc);
    items = &one;
  }
  if (items->empty()) {
    err = bad_request("JSON body must be {\"member\": ..., \"score\": ...} or a non-empty array of them");
    return false;
  }
  for (auto& it : *items) {
    auto* o = it.if_object();
    auto* m = o ? o->if_contains("member") : nullptr;
    auto* s = o ? o->if_contains("score") : nullptr;
    std::string member, score;
    if (!m || !s || !json_to_bytes(*m, b64, member) || !score_text(*s, score)) {
      err = bad_request(
          "every element must be {\"member\": <string>, \"score\": <number or string such as \"-inf\">}");
      return false;
    }
    out.push_back(std::move(score));
    out.push_back(std::move(member));
  }
  return true;
}

}  // namespace

response zset_route(command::dispatcher& d, command::client_context& c, const request& req, const query_params& q,
                    const std::string& key) {
  bool b64;
  if (!read_encoding(q, b64)) return bad_encoding();
  if (req.method == "GET") return zset_get(d, c, q, key, b64);
  std::vector<std::string> args;
  response err;
  if (req.method == "POST") {
    if (!zadd_args(req, b64, args, err)) return err;
    reply r = run_command(d, c, command_args({"ZADD", key}, args));
    if (r.k == reply::kind::error) return redis_error(r);
    if (r.k != reply::kind::integer) return internal_error("unexpected reply to ZADD");
    return ok_json(json::object{{"added", r.num}});
  }
  if (!member_params(q, b64, args, err)) return err;
  reply r = run_command(d, c, command_args({"ZREM", key}, args));
  if (r.k == reply::kind::error) return redis_error(r);
  if (r.k != reply::kind::integer) return internal_error("unexpected reply to ZREM");
  return ok_json(json::object{{"removed", r.num}});
}

response zset_member_route(command::dispatcher& d, command::client_context& c, const query_params& q,
                           const std::string& key, const std::string& member) {
  bool b64;
  if (!read_encoding(q, b64)) return bad_encoding();
  auto m = text_to_bytes(member, b64);
  if (!m) return bad_request("member is not valid base64");
  reply r = run_command(d, c, {"ZSCORE", key, *m});
  if (r.k == reply::kind::error) return redis_error(r);
  if (is_nil(r)) return not_found("no such member");
  json::value score;
  if (!score_reply_json(r, score)) return internal_error("unexpected reply to ZSCORE");
  return ok_json(json::object{{"member", out_bytes(*m, b64)}, {"score", std::move(score)}});
}

}  // namespace kvd::http
