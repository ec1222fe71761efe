#include "kvd/http/json_reply.hpp"

#include <cmath>

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json/serialize.hpp>

namespace kvd::http {

namespace json = boost::json;
namespace b64 = boost::beast::detail::base64;

json::value bytes_to_json(std::string_view s, bool force_base64) {
  if (!force_base64 && is_valid_utf8(s)) return json::string(s);
  if (force_base64) return json::string(base64_encode(s));
  json::object o;
  o["base64"] = base64_encode(s);
  return o;
}

namespace {

// A JSON object key for a map key reply: text for string kinds (base64 when the bytes are
// not UTF-8 or base64 was asked for), decimal for numbers, serialized JSON otherwise.
std::string key_string(const protocol::reply& k, const json_options& opt) {
  using kind = protocol::reply::kind;
  switch (k.k) {
    case kind::simple:
    case kind::verbatim:
    case kind::bulk:
    case kind::error: {
      bool b64 = (opt.bulk_base64 && k.k == kind::bulk) || !is_valid_utf8(k.str);
      return b64 ? base64_encode(k.str) : k.str;
    }
    case kind::integer: return std::to_string(k.num);
    case kind::boolean: return k.num ? "true" : "false";
    default: return json::serialize(reply_to_json(k, opt));
  }
}

}  // namespace

json::value reply_to_json(const protocol::reply& r, const json_options& opt) {
  using kind = protocol::reply::kind;
  switch (r.k) {
    case kind::simple:
    case kind::verbatim: return bytes_to_json(r.str, false);
    case kind::bulk: return bytes_to_json(r.str, opt.bulk_base64);
    case kind::error: {
      json::object o;
      o["error"] = utf8_lossy(r.str);  // always a string, as the documented schema says
      return o;
    }
    case kind::integer: return r.num;
    case kind::dbl:
      if (std::isnan(r.dbl)) return "nan";
      if (std::isinf(r.dbl)) return r.dbl > 0 ? "inf" : "-inf";
      // Whole numbers as JSON integers (a score of 1 reads "1", not Boost.JSON's "1E0").
      if (std::trunc(r.dbl) == r.dbl && std::fabs(r.dbl) < 9007199254740992.0)
        return static_cast<std::int64_t>(r.dbl);
      return r.dbl;
    case kind::boolean: return r.num != 0;
    case kind::null:
    case kind::null_array: return nullptr;
    case kind::array:
    case kind::set:
    case kind::push: {
      json::array a;
      a.reserve(r.elems.size());
      for (auto& e : r.elems) a.push_back(reply_to_json(e, opt));
      return a;
    }
    case kind::map: {
      json::object o;
      o.reserve(r.elems.size() / 2);
      for (std::size_t i = 0; i + 1 < r.elems.size(); i += 2)
        o.insert_or_assign(key_string(r.elems[i], opt), reply_to_json(r.elems[i + 1], opt));
      return o;
    }
  }
  return nullptr;
}

std::string error_body(std::string_view message, std::string_view code) {
  json::object o;
  o["error"] = utf8_lossy(message);
  o["code"] = utf8_lossy(code);
  return json::serialize(o);
}

std::string_view error_code_of(std::string_view error_text) noexcept {
  auto sp = error_text.find(' ');
  auto code = error_text.substr(0, sp);
  return code.empty() ? std::string_view("ERR") : code;
}

namespace {

/// Length of the well-formed UTF-8 sequence at p (1..4), or 0 when the bytes there are not
/// one (overlong forms, surrogates and code points above U+10FFFF are refused).
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) noexcept {
  unsigned char c = *p;
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) n = 1;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 2;
    if (c == 0xE0) lo = 0xA0;       // no overlong
    else if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3;
    if (c == 0xF0) lo = 0x90;       // no overlong
    else if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) <= n) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (std::size_t i = 2; i <= n; ++i)
    if ((p[i] & 0xC0) != 0x80) return 0;
  return n + 1;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  auto end = p + s.size();
  while (p < end) {
    std::size_t n = utf8_sequence(p, end);
    if (!n) return false;
    p += n;
  }
  return true;
}

std::string utf8_lossy(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  auto end = p + s.size();
  while (p < end) {
    std::size_t n = utf8_sequence(p, end);
    if (n) {
      out.append(reinterpret_cast<const char*>(p), n);
      p += n;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++p;
    }
  }
  return out;
}

std::string base64_encode(std::string_view s) {
  std::string out(b64::encoded_size(s.size()), '\0');
  out.resize(b64::encode(out.data(), s.data(), s.size()));
  return out;
}

std::optional<std::string> base64_decode(std::string_view s) {
  std::size_t pad = 0;
  while (pad < 2 && pad < s.size() && s[s.size() - 1 - pad] == '=') ++pad;
  std::string_view body = s.substr(0, s.size() - pad);
  if (pad > 0 && s.size() % 4 != 0) return std::nullopt;  // padding present but wrong
  if (body.size() % 4 == 1) return std::nullopt;          // cannot end a quantum
  for (char ch : body) {
    bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
              ch == '/';
    if (!ok) return std::nullopt;
  }
  std::string out(b64::decoded_size(body.size()) + 3, '\0');
  auto [written, read] = b64::decode(out.data(), body.data(), body.size());
  if (read != body.size()) return std::nullopt;
  out.resize(written);
  return out;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;  // needs two more characters
      int h = hex(s[i + 1]), l = hex(s[i + 2]);
      if (h < 0 || l < 0) return std::nullopt;
      out += static_cast<char>(h * 16 + l);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace kvd::http
