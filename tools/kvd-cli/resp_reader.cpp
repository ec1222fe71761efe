#include "resp_reader.hpp"

#include <charconv>
#include <vector>

namespace kvd::cli {
namespace {

constexpr int max_depth = 128;  // deeper nesting is treated as garbage, not recursed into

std::int64_t to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) throw protocol_error("bad number in reply: " + std::string(s));
  return v;
}

}  // namespace

bool resp_reader::read_line(std::size_t& pos, std::string_view& line) {
  auto nl = buf_.find("\r\n", pos);
  if (nl == std::string::npos) return false;
  line = std::string_view(buf_).substr(pos, nl - pos);
  pos = nl + 2;
  return true;
}

bool resp_reader::parse(std::size_t& pos, reply& out, int depth) {
  if (depth > max_depth) throw protocol_error("reply nested too deeply");
  if (pos >= buf_.size()) return false;
  const char type = buf_[pos++];
  std::string_view line;
  if (!read_line(pos, line)) return false;
  using kind = reply::kind;
  switch (type) {
    case '+': out.k = kind::status; out.str = line; return true;
    case '-': out.k = kind::error; out.str = line; return true;
    case ':': out.k = kind::integer; out.num = to_int(line); return true;
    case ',': out.k = kind::dbl; out.str = line; return true;
    case '(': out.k = kind::big_number; out.str = line; return true;
    case '_': out.k = kind::nil; return true;
    case '#':
      if (line != "t" && line != "f") throw protocol_error("bad boolean in reply");
      out.k = kind::boolean;
      out.num = line == "t";
      return true;
    case '$':
    case '=':
    case '!': {
      auto n = to_int(line);
      if (n < 0) {
        out.k = kind::nil;
        return true;
      }
      if (buf_.size() < pos + static_cast<std::size_t>(n) + 2) return false;
      std::string_view body = std::string_view(buf_).substr(pos, static_cast<std::size_t>(n));
      pos += static_cast<std::size_t>(n) + 2;
      if (type == '$') {
        out.k = kind::bulk;
        out.str = body;
      } else if (type == '!') {
        out.k = kind::error;
        out.str = body;
      } else {
        out.k = kind::verbatim;  // "txt:" prefix, then the text
        if (body.size() >= 4 && body[3] == ':') {
          out.format = body.substr(0, 3);
          body.remove_prefix(4);
        }
        out.str = body;
      }
      return true;
    }
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      auto n = to_int(line);
      if (n < 0) {
        out.k = kind::nil;
        return true;
      }
      std::size_t count = static_cast<std::size_t>(n) * (type == '%' || type == '|' ? 2 : 1);
      std::vector<reply> elems;
      for (std::size_t i = 0; i < count; ++i) {
        reply e;
        if (!parse(pos, e, depth + 1)) return false;
        elems.push_back(std::move(e));
      }
      if (type == '|') return parse(pos, out, depth + 1);  // attribute: the real reply follows
      out.k = type == '*' ? kind::array : type == '%' ? kind::map : type == '~' ? kind::set : kind::push;
      out.elems = std::move(elems);
      return true;
    }
    default:
      throw protocol_error(std::string("unexpected reply type byte '") + type + "'");
  }
}

std::optional<reply> resp_reader::next() {
  std::size_t pos = pos_;
  reply r;
  if (!parse(pos, r, 0)) return std::nullopt;
  pos_ = pos;
  if (pos_ > 65536 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return r;
}

std::string encode_command(const std::vector<std::string>& args) {
  std::string out;
  out.append(1, '*').append(std::to_string(args.size())).append("\r\n");
  for (auto& a : args) out.append(1, '$').append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  return out;
}

}  // namespace kvd::cli
