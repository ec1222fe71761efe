#include "kvd/util/numbers.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kvd::util {

std::optional<std::int64_t> parse_int64(std::string_view s) noexcept {
  // Redis string2ll: no sign but '-', no leading zeros, no spaces, at most 20 chars.
  if (s.empty() || s.size() >= 21) return std::nullopt;
  if (s.size() == 1 && s[0] == '0') return 0;
  std::size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return std::nullopt;
  }
  if (s[i] < '1' || s[i] > '9') return std::nullopt;
  std::uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    std::uint64_t d = static_cast<std::uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > static_cast<std::uint64_t>(INT64_MAX) + 1) return std::nullopt;
    return static_cast<std::int64_t>(0 - v);
  }
  if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::optional<long double> parse_long_double(std::string_view s) noexcept {
  // Redis string2ld also requires strtold to consume the whole length (no embedded NUL).
  if (s.empty() || s.size() >= 5 * 1024 || s.find('\0') != std::string_view::npos) return std::nullopt;
  char buf[5 * 1024];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  errno = 0;
  long double v = std::strtold(buf, &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' ||
      (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || std::fpclassify(v) == FP_ZERO)) || std::isnan(v))
    return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) noexcept {
  if (s.empty() || s.size() >= 5 * 1024) return std::nullopt;
  char buf[5 * 1024];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  errno = 0;
  double v = std::strtod(buf, &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || static_cast<std::size_t>(end - buf) != s.size() ||
      (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO)) || std::isnan(v))
    return std::nullopt;
  return v;
}

std::string format_long_double_human(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[5 * 1024];
  int l = std::snprintf(buf, sizeof buf, "%.17Lf", v);
  if (l <= 0 || l >= static_cast<int>(sizeof buf)) return "0";
  if (std::memchr(buf, '.', static_cast<std::size_t>(l))) {
    char* p = buf + l - 1;
    while (*p == '0') {
      --p;
      --l;
    }
    if (*p == '.') --l;
  }
  if (l == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    l = 1;
  }
  return {buf, static_cast<std::size_t>(l)};
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[128];
  int l = std::snprintf(buf, sizeof buf, "%.17g", v);
  return {buf, static_cast<std::size_t>(l)};
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

}  // namespace kvd::util
