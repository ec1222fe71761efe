// kvd-cli reply tree: one node per RESP2/RESP3 value (https://github.com/redis/redis-specification,
// protocol/RESP3.md), filled by resp_reader (RESP) or by http_client (JSON of /v1/command).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvd::cli {

/// One reply value. `str` holds status/error/bulk/verbatim text, a double's or big number's
/// decimal text; `num` an integer or boolean (0/1); `elems` the children of aggregates (a map
/// stores key, value, key, value...). Verbatim strings keep their 3-letter format in `format`.
struct reply {
  enum class kind { status, error, integer, bulk, nil, array, map, set, push, dbl, boolean, verbatim, big_number };
  kind k = kind::nil;
  std::string str;
  std::int64_t num = 0;
  std::string format;
  std::vector<reply> elems;

  /// True for an error reply at the top level (nested errors in arrays do not count).
  bool is_error() const noexcept { return k == kind::error; }
  /// True for status, bulk and verbatim: kinds whose `str` is the whole value.
  bool is_text() const noexcept { return k == kind::status || k == kind::bulk || k == kind::verbatim; }
};

}  // namespace kvd::cli
