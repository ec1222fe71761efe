#include "kvd/http/compat_routes.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <unordered_set>

#include <boost/crc.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "kvd/http/json_reply.hpp"

namespace kvd::http {

namespace json = boost::json;
using protocol::reply;

namespace {

// SCAN steps per call of scan_all_keys and MGET batch size for /api/v0/get/all.
constexpr std::string_view scan_count = "1000";
constexpr std::size_t mget_batch = 512;

bool is_string_kind(const reply& r) noexcept {
  return r.k == reply::kind::bulk || r.k == reply::kind::simple || r.k == reply::kind::verbatim;
}

bool is_nil(const reply& r) noexcept { return r.k == reply::kind::null || r.k == reply::kind::null_array; }

response json_out(unsigned status, const json::value& v) {
  response r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

// A response with no body and no Content-Type (201/200 of /db/{key}, 204 of /blobs/{key}).
response empty(unsigned status) {
  response r;
  r.status = status;
  r.content_type.clear();
  return r;
}

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

// ---- /api/v0 (mini_db): every answer is {"status": ..., ...} ----

response v0_error(unsigned status, std::string_view message) {
  json::object o;
  o["status"] = "error";
  o["message"] = bytes_to_json(message);
  return json_out(status, o);
}

response v0_redis_error(const reply& r) {
  return v0_error(error_code_of(r.str) == "WRONGTYPE" ? 409 : 400, r.str);
}

// POST /api/v0/set: {"key": "...", "value": "..."} as JSON, or key=..&value=.. as a form
// (the seed's Fiber BodyParser reads both).
response v0_set(command::dispatcher& d, command::client_context& c, const request& req) {
  std::string key, value;
  auto mt = media_type(req.content_type);
  auto body = req.body;
  auto first = body.find_first_not_of(" \t\r\n");
  bool as_form = mt == "application/x-www-form-urlencoded" && first != std::string_view::npos && body[first] != '{';
  if (as_form) {
    bool have_key = false, have_value = false;
    while (!body.empty()) {
      auto amp = body.find('&');
      auto part = body.substr(0, amp);
      body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
      auto eq = part.find('=');
      auto k = percent_decode(part.substr(0, eq), true);
      auto v = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
      if (!k || !v) return v0_error(400, "Invalid body.");
      if (*k == "key" && !have_key) key = std::move(*v), have_key = true;
      else if (*k == "value" && !have_value) value = std::move(*v), have_value = true;
    }
    if (!have_key || !have_value) return v0_error(400, "Invalid body.");
  } else {
    boost::system::error_code ec;
    json::value doc = json::parse(req.body, ec);
    auto* obj = ec ? nullptr : doc.if_object();
    auto* k = obj ? obj->if_contains("key") : nullptr;
    auto* v = obj ? obj->if_contains("value") : nullptr;
    if (!k || !k->is_string() || !v || !v->is_string()) return v0_error(400, "Invalid body.");
    key.assign(k->get_string().data(), k->get_string().size());
    value.assign(v->get_string().data(), v->get_string().size());
  }
  reply r = run_command(d, c, {"SET", key, value});
  if (r.k == reply::kind::error) return v0_redis_error(r);
  json::object o;
  o["status"] = "success";
  o["message"] = "ok";
  return json_out(200, o);
}

response v0_get(command::dispatcher& d, command::client_context& c, const query_params& q) {
  auto* key = q.get("key");
  if (!key) return v0_error(400, "Missing key query parameter.");
  reply r = run_command(d, c, {"GET", *key});
  if (r.k == reply::kind::error) return v0_redis_error(r);
  if (is_nil(r) || !is_string_kind(r)) return v0_error(404, "Not found");
  json::object o;
  o["status"] = "success";
  o["value"] = bytes_to_json(r.str);
  return json_out(200, o);
}

response v0_delete(command::dispatcher& d, command::client_context& c, const query_params& q) {
  auto* key = q.get("key");
  if (!key) return v0_error(400, "Missing key query parameter.");
  reply r = run_command(d, c, {"DEL", *key});
  if (r.k == reply::kind::error) return v0_redis_error(r);
  if (r.k != reply::kind::integer || r.num == 0) return v0_error(404, "Couldn't delete key value pair.");
  json::object o;
  o["message"] = "ok";
  o["status"] = "success";
  return json_out(200, o);
}

// get/all and values/all: the string values of every key (other types are skipped, as
// keys that expire between SCAN and MGET).
response v0_all(command::dispatcher& d, command::client_context& c, bool with_keys) {
  std::vector<std::string> keys;
  response err;
  if (!scan_all_keys(d, c, keys, err)) return v0_error(err.status, "Couldn't list keys.");
  json::object map;
  json::array values;
  for (std::size_t i = 0; i < keys.size(); i += mget_batch) {
    std::vector<std::string_view> args{"MGET"};
    auto end = std::min(keys.size(), i + mget_batch);
    for (auto j = i; j < end; ++j) args.emplace_back(keys[j]);
    reply r = run_command(d, c, args);
    if (r.k == reply::kind::error) return v0_redis_error(r);
    if (r.k != reply::kind::array || r.elems.size() != end - i) return v0_error(500, "unexpected reply to MGET");
    for (auto j = i; j < end; ++j) {
      auto& e = r.elems[j - i];
      if (!is_string_kind(e)) continue;
      if (with_keys) map[is_valid_utf8(keys[j]) ? keys[j] : base64_encode(keys[j])] = bytes_to_json(e.str);
      else values.push_back(bytes_to_json(e.str));
    }
  }
  json::object o;
  o["status"] = "success";
  if (with_keys) o["values"] = std::move(map);
  else o["values"] = std::move(values);
  return json_out(200, o);
}

response v0_keys(command::dispatcher& d, command::client_context& c) {
  std::vector<std::string> keys;
  response err;
  if (!scan_all_keys(d, c, keys, err)) return v0_error(err.status, "Couldn't list keys.");
  json::array a;
  a.reserve(keys.size());
  for (auto& k : keys) a.push_back(bytes_to_json(k));
  json::object o;
  o["status"] = "success";
  o["keys"] = std::move(a);
  return json_out(200, o);
}

}  // namespace

bool scan_all_keys(command::dispatcher& d, command::client_context& c, std::vector<std::string>& out,
                   response& err) {
  std::unordered_set<std::string> seen;  // SCAN may return a key twice
  std::string cursor = "0";
  do {
    reply r = run_command(d, c, {"SCAN", cursor, "COUNT", scan_count});
    if (r.k == reply::kind::error) {
      err = redis_error(r);
      return false;
    }
    if (r.k != reply::kind::array || r.elems.size() != 2 || !is_string_kind(r.elems[0])) {
      err = error_response(500, "unexpected reply to SCAN", "INTERNAL");
      return false;
    }
    cursor = std::move(r.elems[0].str);
    for (auto& k : r.elems[1].elems)
      if (seen.insert(k.str).second) out.push_back(std::move(k.str));
  } while (cursor != "0");
  std::sort(out.begin(), out.end());
  return true;
}

response api_v0_route(command::dispatcher& d, command::client_context& c, const request& req,
                      const query_params& q, std::string_view sub) {
  if (sub.empty() || sub == "/") return json_out(200, json::object{{"message", "Api is running"}});
  if (sub == "/set") return v0_set(d, c, req);
  if (sub == "/get") return v0_get(d, c, q);
  if (sub == "/delete") return v0_delete(d, c, q);
  if (sub == "/get/all") return v0_all(d, c, true);
  if (sub == "/values/all") return v0_all(d, c, false);
  if (sub == "/keys/all") return v0_keys(d, c);
  return error_response(404, "no such route", "NOT_FOUND");
}

// ---- /db/{key} (db-key-value-store) ----

response db_key_route(command::dispatcher& d, command::client_context& c, const request& req,
                      const query_params& q, const std::string& key) {
  if (req.method == "POST") {
    if (media_type(req.content_type) != "application/octet-stream")
      return error_response(415, "Mime-Type not supported, application/octet-stream is supported",
                            "UNSUPPORTED_MEDIA_TYPE");
    reply r = run_command(d, c, {"SET", key, req.body});
    if (r.k == reply::kind::error) return redis_error(r);
    return empty(201);
  }
  if (req.method == "DELETE") {
    reply r = run_command(d, c, {"DEL", key});
    if (r.k == reply::kind::error) return redis_error(r);
    if (r.k != reply::kind::integer || r.num == 0) return error_response(404, "key does not exist", "NOT_FOUND");
    return empty(200);
  }
  reply r = run_command(d, c, {"GET", key});
  if (r.k == reply::kind::error) return redis_error(r);
  if (is_nil(r) || !is_string_kind(r)) return error_response(404, "key does not exist", "NOT_FOUND");
  response out;
  auto* f = q.get("format");
  out.content_type = f && *f == "json" ? "application/json" : "application/octet-stream";
  out.body = std::move(r.str);
  return out;
}

// ---- /blobs (mini-kvstore-go) ----

response blob_route(command::dispatcher& d, command::client_context& c, const request& req, const std::string& key) {
  if (req.method == "POST") {
    reply r = run_command(d, c, {"SET", key, req.body});
    if (r.k == reply::kind::error) return redis_error(r);
    boost::crc_32_type crc;  // IEEE CRC-32, as the seed's etag
    crc.process_bytes(req.body.data(), req.body.size());
    char etag[16];
    std::snprintf(etag, sizeof etag, "%08x", static_cast<unsigned>(crc.checksum()));
    json::object o;
    o["key"] = bytes_to_json(key);
    o["etag"] = etag;
    o["size"] = static_cast<std::uint64_t>(req.body.size());
    o["volume_id"] = "kvd";
    return json_out(201, o);
  }
  if (req.method == "DELETE") {
    reply r = run_command(d, c, {"DEL", key});
    if (r.k == reply::kind::error) return redis_error(r);
    return empty(204);
  }
  reply r = run_command(d, c, {"GET", key});
  if (r.k == reply::kind::error) return redis_error(r);
  if (is_nil(r) || !is_string_kind(r)) return error_response(404, "Blob not found", "NOT_FOUND");
  response out;
  out.content_type = "application/octet-stream";
  out.body = std::move(r.str);
  return out;
}

response blob_list_route(command::dispatcher& d, command::client_context& c) {
  std::vector<std::string> keys;
  response err;
  if (!scan_all_keys(d, c, keys, err)) return err;
  json::array a;
  a.reserve(keys.size());
  for (auto& k : keys) a.push_back(bytes_to_json(k));
  return json_out(200, a);
}

response checkpoint_route(command::dispatcher& d, command::client_context& c) {
  // small_db's checkpoint compacts its log into a snapshot: BGREWRITEAOF when the AOF is on
  // (a new base from a point-in-time snapshot), else BGSAVE. Both return at once; the work
  // runs in a forked child (INFO persistence shows its progress).
  bool aof = d.server().config.appendonly.load();
  std::string_view cmd = aof ? "BGREWRITEAOF" : "BGSAVE";
  reply r = run_command(d, c, {cmd});
  if (r.k == reply::kind::error) {
    // Another save or rewrite is running (or the server refuses writes): nothing started.
    auto sp = r.str.find(' ');
    return error_response(409, r.str, sp == std::string::npos ? r.str : r.str.substr(0, sp));
  }
  json::object o;
  o["ok"] = true;
  o["started"] = aof ? "bgrewriteaof" : "bgsave";
  o["message"] = r.str;
  return json_out(200, o);
}

}  // namespace kvd::http
