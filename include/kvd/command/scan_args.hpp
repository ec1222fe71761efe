// The options every SCAN-family command takes (Redis 7.0 scanGenericCommand): COUNT n
// (n >= 1), MATCH pattern, and for SCAN alone TYPE type. Shared by SCAN, SSCAN, HSCAN, ZSCAN.
#pragma once
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "kvd/command/command_table.hpp"
#include "kvd/command/error.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {

/// Parses a SCAN cursor as Redis parseScanCursorOrReply: strtoul over the C string (so "-1",
/// "+1" and "" are accepted), rejecting a leading space, trailing garbage and overflow.
/// nullopt means "ERR invalid cursor".
inline std::optional<std::uint64_t> parse_scan_cursor(std::string_view s) {
  std::string buf(s);
  const char* p = buf.c_str();
  if (std::isspace(static_cast<unsigned char>(p[0]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(p, &end, 10);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return static_cast<std::uint64_t>(v);
}

/// Parsed SCAN options. `count` is a hint (elements per call), default 10.
struct scan_options {
  std::int64_t count = 10;
  std::string_view pattern;          ///< MATCH glob, valid when use_pattern
  bool use_pattern = false;          ///< false for no MATCH or MATCH "*"
  std::optional<std::string_view> type;  ///< SCAN ... TYPE (SCAN only)
};

/// Parses the options in c.args[from..]. On a bad option replies Redis's error ("ERR value is
/// not an integer or out of range" for a non-numeric COUNT, "ERR syntax error" for COUNT < 1,
/// an unknown word, a missing value, or TYPE where `allow_type` is false) and returns nullopt.
inline std::optional<scan_options> parse_scan_options(command_context& c, std::size_t from, bool allow_type) {
  scan_options o;
  for (std::size_t i = from; i < c.argc();) {
    std::size_t left = c.argc() - i;
    if (iequals(c.arg(i), "count") && left >= 2) {
      auto n = util::parse_int64(c.arg(i + 1));
      if (!n) return c.rb.error(err::not_integer), std::nullopt;
      if (*n < 1) return c.rb.error(err::syntax), std::nullopt;
      o.count = *n;
      i += 2;
    } else if (iequals(c.arg(i), "match") && left >= 2) {
      o.pattern = c.arg(i + 1);
      o.use_pattern = o.pattern != "*";
      i += 2;
    } else if (allow_type && iequals(c.arg(i), "type") && left >= 2) {
      o.type = c.arg(i + 1);
      i += 2;
    } else {
      return c.rb.error(err::syntax), std::nullopt;
    }
  }
  return o;
}

}  // namespace kvd::command
