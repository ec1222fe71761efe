// kvd-cli reply printing, the two output modes of redis-cli (src/redis-cli.c
// cliFormatReplyTTY and cliFormatReplyRaw).
#pragma once

#include <string>
#include <string_view>

#include "reply.hpp"

namespace kvd::cli {

/// redis-cli's terminal format: `(integer) 1`, `"bulk"` (quoted, escaped), `(nil)`,
/// `(error) ERR ...`, `(double) 1.5`, `(true)`, verbatim as text, aggregates numbered
/// (`1) `, sets `1~ `, maps `1# "k" => v`) and nested with indentation. Ends with '\n'.
std::string format_pretty(const reply& r);

/// redis-cli --raw: strings as their bytes, integers as digits, nil as nothing, aggregates one
/// element per line (a map's key and value separated by a space). Ends with '\n'.
std::string format_raw(const reply& r);

/// A string quoted and escaped like redis's sdscatrepr: "a\"b\n\x01".
std::string quote(std::string_view s);

}  // namespace kvd::cli
