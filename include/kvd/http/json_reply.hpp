// Rendering a captured reply tree as JSON for the HTTP front end, and the byte helpers the
// HTTP routes share (UTF-8 validation, base64, percent-decoding). RESP3 types map to JSON
// as DESIGN.md "HTTP interface" says: map -> object, array/set/push -> array, null -> null.
// JSON is produced with Boost.JSON (RFC 8259); base64 is RFC 4648 section 4 (padded);
// percent-encoding is RFC 3986 section 2.1.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "kvd/protocol/capture.hpp"

namespace kvd::http {

/// How byte strings are rendered.
struct json_options {
  /// When true every bulk string becomes a base64 JSON string (`?encoding=base64`); when
  /// false a bulk is a JSON string if it is valid UTF-8, else `{"base64": "..."}`.
  bool bulk_base64 = false;
};

/// Converts one reply tree to JSON. simple/bulk/verbatim -> string (non-UTF-8 bytes ->
/// `{"base64":"..."}`), integer -> number, double -> number ("inf", "-inf", "nan" as
/// strings), null/null_array -> null, array/set/push -> array, map -> object (keys rendered
/// as strings; a repeated key keeps the last value), boolean -> bool, a nested error ->
/// `{"error": "<text>"}`. Never throws except std::bad_alloc.
[[nodiscard]] boost::json::value reply_to_json(const protocol::reply& r, const json_options& opt = {});

/// A byte string as JSON: a JSON string when it is valid UTF-8 and `force_base64` is
/// false; the base64 text as a JSON string when `force_base64`; else `{"base64": "..."}`.
[[nodiscard]] boost::json::value bytes_to_json(std::string_view s, bool force_base64 = false);

/// The JSON error body `{"error": message, "code": code}`, serialized.
[[nodiscard]] std::string error_body(std::string_view message, std::string_view code);

/// The first word of a Redis error text ("WRONGTYPE Operation..." -> "WRONGTYPE"); "ERR"
/// when the text is empty.
[[nodiscard]] std::string_view error_code_of(std::string_view error_text) noexcept;

/// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
/// nothing above U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view s) noexcept;
/// `s` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD, for error
/// texts (JSON `error` fields are always strings, even when a command echoed binary bytes).
[[nodiscard]] std::string utf8_lossy(std::string_view s);

/// Padded base64 (RFC 4648 section 4) of the bytes `s`.
[[nodiscard]] std::string base64_encode(std::string_view s);

/// Decodes base64 text (RFC 4648 section 4). Padding is optional, but when present it must
/// be correct; any character outside the alphabet (including whitespace) makes it invalid.
/// Returns nullopt for invalid input.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view s);

/// Percent-decodes `s` (RFC 3986 section 2.1: "%XX" -> byte 0xXX, either hex case). With
/// `plus_as_space` (query strings, application/x-www-form-urlencoded) '+' becomes ' '.
/// Returns nullopt when a '%' is not followed by two hex digits.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space = false);

}  // namespace kvd::http
