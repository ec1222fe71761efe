#include "reply_format.hpp"

#include <cstdio>

namespace kvd::cli {
namespace {

using kind = reply::kind;

std::string pretty(const reply& r, const std::string& prefix) {
  switch (r.k) {
    case kind::error: return "(error) " + r.str + "\n";
    case kind::status: return r.str + "\n";
    case kind::integer: return "(integer) " + std::to_string(r.num) + "\n";
    case kind::dbl: return "(double) " + r.str + "\n";
    case kind::big_number: return "(big number) " + r.str + "\n";
    case kind::bulk: return quote(r.str) + "\n";
    case kind::verbatim: return r.str + "\n";
    case kind::nil: return "(nil)\n";
    case kind::boolean: return r.num ? "(true)\n" : "(false)\n";
    case kind::array:
    case kind::map:
    case kind::set:
    case kind::push: {
      if (r.elems.empty()) {
        switch (r.k) {
          case kind::map: return "(empty hash)\n";
          case kind::set: return "(empty set)\n";
          case kind::push: return "(empty push)\n";
          default: return "(empty array)\n";
        }
      }
      std::size_t n = r.k == kind::map ? r.elems.size() / 2 : r.elems.size();
      std::size_t idxlen = 0;
      do {
        ++idxlen;
        n /= 10;
      } while (n);
      const std::string child_prefix = prefix + std::string(idxlen + 2, ' ');
      const char sep = r.k == kind::set ? '~' : r.k == kind::map ? '#' : ')';
      std::string out;
      for (std::size_t i = 0; i < r.elems.size(); ++i) {
        std::size_t human = (r.k == kind::map ? i / 2 : i) + 1;
        char num[32];
        std::snprintf(num, sizeof num, "%*zu%c ", static_cast<int>(idxlen), human, sep);
        if (i != 0) out += prefix;  // the parent already wrote the first line's prefix
        out += num;
        out += pretty(r.elems[i], child_prefix);
        if (r.k == kind::map && i + 1 < r.elems.size()) {
          ++i;
          out.pop_back();
          out += " => ";
          out += pretty(r.elems[i], child_prefix);
        }
      }
      return out;
    }
  }
  return "\n";
}

std::string raw(const reply& r) {
  switch (r.k) {
    case kind::nil: return {};
    case kind::error:
    case kind::status:
    case kind::bulk:
    case kind::verbatim:
    case kind::dbl:
    case kind::big_number: return r.str;
    case kind::integer: return std::to_string(r.num);
    case kind::boolean: return r.num ? "(true)" : "(false)";
    case kind::array:
    case kind::set:
    case kind::push: {
      std::string out;
      for (std::size_t i = 0; i < r.elems.size(); ++i) {
        if (i) out += '\n';
        out += raw(r.elems[i]);
      }
      return out;
    }
    case kind::map: {
      std::string out;
      for (std::size_t i = 0; i + 1 < r.elems.size(); i += 2) {
        if (i) out += '\n';
        out += raw(r.elems[i]);
        out += ' ';
        out += raw(r.elems[i + 1]);
      }
      return out;
    }
  }
  return {};
}

}  // namespace

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        }
    }
  }
  out += '"';
  return out;
}

std::string format_pretty(const reply& r) { return pretty(r, ""); }

std::string format_raw(const reply& r) { return raw(r) + "\n"; }

}  // namespace kvd::cli
