// Number parsing and formatting with Redis 7.0's exact rules (src/util.c: string2ll,
// string2ld, ld2string, and the "%.17g" double replies), so replies are byte-identical.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvd::util {

/// Parses a canonical signed 64-bit decimal ("-12", not "+12", " 1", "01" or "1.0").
/// Returns nullopt for anything else, including overflow. Source: Redis string2ll().
std::optional<std::int64_t> parse_int64(std::string_view s) noexcept;

/// Parses a long double as Redis's string2ld(): strtold on the whole input, no spaces,
/// no NaN; returns nullopt on any error (also for inputs longer than 5k bytes).
std::optional<long double> parse_long_double(std::string_view s) noexcept;

/// Parses a double as Redis's string2d()/getDoubleFromObject: strtod on the whole input,
/// "inf"/"+inf"/"-inf" accepted, NaN and spaces rejected.
std::optional<double> parse_double(std::string_view s) noexcept;

/// Formats a long double as Redis's ld2string(LD_STR_HUMAN) does for INCRBYFLOAT:
/// "%.17Lf" with trailing zeros (and a trailing dot) removed; "-0" becomes "0".
std::string format_long_double_human(long double v);

/// Formats a double as Redis's addReplyDouble for RESP2 bulk strings ("%.17g", "inf", "-inf").
std::string format_double(double v);

/// Appends the decimal form of `v` to `out`.
void append_int(std::string& out, std::int64_t v);

}  // namespace kvd::util
