#include "kvd/protocol/resp_parser.hpp"

#include <climits>
#include <cstring>

#include "kvd/util/numbers.hpp"

namespace kvd::protocol {

void resp_parser::reset() noexcept {
  pos_ = 0;
  multibulk_left_ = 0;
  bulk_len_ = -1;
  spans_.clear();
}

parse_status resp_parser::fail(std::string_view msg) {
  error_.assign(msg);
  reset();
  return parse_status::error;
}

std::size_t resp_parser::pending_bulk_bytes(std::size_t available) const noexcept {
  if (bulk_len_ < 0) return 0;
  std::size_t need = pos_ + static_cast<std::size_t>(bulk_len_) + 2;
  return need > available ? need - available : 0;
}

namespace {

// Redis finds line ends with strchr() on the NUL-terminated query buffer, so a NUL byte
// before the terminator hides it: the line stays incomplete until the length limit turns it
// into a "too big" protocol error. This is memchr() with that rule.
const char* find_line_end(const char* data, std::size_t size, char end) noexcept {
  const void* hit = std::memchr(data, end, size);
  std::size_t limit = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - data) : size;
  if (std::memchr(data, '\0', limit)) return nullptr;
  return static_cast<const char*>(hit);
}

}  // namespace

parse_status resp_parser::parse(const char* data, std::size_t size, std::vector<std::string_view>& args,
                                std::size_t& consumed) {
  args.clear();
  consumed = 0;
  if (pos_ == 0 && multibulk_left_ == 0) {
    if (size == 0) return parse_status::incomplete;
    if (data[0] != '*') return parse_inline(data, size, args, consumed);
    // Multibulk header: "*<count>\r\n".
    const char* cr = find_line_end(data, size, '\r');
    if (!cr) {
      if (size > limits_.max_inline_len) return fail("Protocol error: too big mbulk count string");
      return parse_status::incomplete;
    }
    std::size_t line = static_cast<std::size_t>(cr - data);
    if (line + 2 > size) return parse_status::incomplete;
    auto n = util::parse_int64({data + 1, line - 1});
    if (!n || *n > INT_MAX || *n > limits_.max_multibulk_len)
      return fail("Protocol error: invalid multibulk length");
    if (*n <= 0) {
      consumed = line + 2;
      return parse_status::empty;
    }
    pos_ = line + 2;
    multibulk_left_ = *n;
    bulk_len_ = -1;
    spans_.clear();
    if (*n <= 1024) spans_.reserve(static_cast<std::size_t>(*n));
  }
  while (multibulk_left_ > 0) {
    if (bulk_len_ < 0) {
      std::size_t remaining = size - pos_;
      const char* cr = find_line_end(data + pos_, remaining, '\r');
      if (!cr) {
        if (remaining > limits_.max_inline_len) return fail("Protocol error: too big bulk count string");
        return parse_status::incomplete;
      }
      std::size_t line = static_cast<std::size_t>(cr - (data + pos_));
      if (line + 2 > remaining) return parse_status::incomplete;
      if (data[pos_] != '$') {
        std::string msg = "Protocol error: expected '$', got '";
        msg.push_back(data[pos_]);
        msg.push_back('\'');
        return fail(msg);
      }
      auto n = util::parse_int64({data + pos_ + 1, line - 1});
      if (!n || *n < 0 || *n > limits_.proto_max_bulk_len) return fail("Protocol error: invalid bulk length");
      pos_ += line + 2;
      bulk_len_ = *n;
    }
    auto len = static_cast<std::size_t>(bulk_len_);
    if (size - pos_ < len + 2) return parse_status::incomplete;
    // Like Redis, the two bytes after the payload are skipped without being checked.
    spans_.emplace_back(pos_, len);
    pos_ += len + 2;
    bulk_len_ = -1;
    --multibulk_left_;
  }
  for (auto& [off, len] : spans_) args.emplace_back(data + off, len);
  consumed = pos_;
  reset();
  return parse_status::complete;
}

parse_status resp_parser::parse_inline(const char* data, std::size_t size, std::vector<std::string_view>& args,
                                       std::size_t& consumed) {
  const char* nl = find_line_end(data, size, '\n');
  if (!nl) {
    if (size > limits_.max_inline_len) return fail("Protocol error: too big inline request");
    return parse_status::incomplete;
  }
  std::size_t end = static_cast<std::size_t>(nl - data);
  consumed = end + 1;
  std::size_t len = end;
  if (len > 0 && data[len - 1] == '\r') --len;
  std::string_view line(data, len);
  // Fast path: no quotes, so arguments are views into the buffer.
  if (line.find_first_of("\"'") == std::string_view::npos && line.find('\0') == std::string_view::npos) {
    std::size_t i = 0;
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    while (i < line.size()) {
      while (i < line.size() && space(line[i])) ++i;
      if (i >= line.size()) break;
      std::size_t j = i;
      // sdssplitargs ends an unquoted token only at ' ', '\n', '\r', '\t' (not \v, \f).
      while (j < line.size() && line[j] != ' ' && line[j] != '\n' && line[j] != '\r' && line[j] != '\t') ++j;
      args.emplace_back(line.substr(i, j - i));
      i = j;
    }
  } else {
    inline_storage_.clear();
    if (!split_inline_args(line, inline_storage_)) {
      consumed = 0;
      return fail("Protocol error: unbalanced quotes in request");
    }
    for (auto& s : inline_storage_) args.emplace_back(s);
  }
  return args.empty() ? parse_status::empty : parse_status::complete;
}

bool split_inline_args(std::string_view line, std::vector<std::string>& out) {
  // Redis sds.c sdssplitargs: the input is a C string, so a NUL byte ends it.
  auto nul = line.find('\0');
  if (nul != std::string_view::npos) line = line.substr(0, nul);
  std::size_t i = 0, n = line.size();
  auto at = [&](std::size_t k) -> char { return k < n ? line[k] : '\0'; };
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  for (;;) {
    while (at(i) && is_space(at(i))) ++i;
    if (!at(i)) return true;
    bool inq = false, insq = false, done = false;
    std::string cur;
    while (!done) {
      char c = at(i);
      if (inq) {
        if (c == '\\' && at(i + 1) == 'x' && is_hex(at(i + 2)) && is_hex(at(i + 3))) {
          cur.push_back(static_cast<char>(hex(at(i + 2)) * 16 + hex(at(i + 3))));
          i += 3;
        } else if (c == '\\' && at(i + 1)) {
          ++i;
          switch (at(i)) {
            case 'n': cur.push_back('\n'); break;
            case 'r': cur.push_back('\r'); break;
            case 't': cur.push_back('\t'); break;
            case 'b': cur.push_back('\b'); break;
            case 'a': cur.push_back('\a'); break;
            default: cur.push_back(at(i)); break;
          }
        } else if (c == '"') {
          if (at(i + 1) && !is_space(at(i + 1))) return false;
          done = true;
        } else if (!c) {
          return false;
        } else {
          cur.push_back(c);
        }
      } else if (insq) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          cur.push_back('\'');
        } else if (c == '\'') {
          if (at(i + 1) && !is_space(at(i + 1))) return false;
          done = true;
        } else if (!c) {
          return false;
        } else {
          cur.push_back(c);
        }
      } else {
        switch (c) {
          case ' ': case '\n': case '\r': case '\t': case '\0': done = true; break;
          case '"': inq = true; break;
          case '\'': insq = true; break;
          default: cur.push_back(c); break;
        }
      }
      if (at(i)) ++i;
    }
    out.push_back(std::move(cur));
  }
}

}  // namespace kvd::protocol
