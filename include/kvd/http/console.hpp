// The web console (issue 7, "Web console"): the HTML, CSS and JavaScript modules of
// src/http/console/, embedded in the binary at build time (cmake/embed_console.cmake turns
// each file into a byte array in <build>/generated/console_assets.cpp) and served by the
// HTTP listener at GET / (index.html) and GET /console/{asset}. No network at build or run
// time: the pages talk only to kvd's own /v1/info and /v1/command routes.
//
// Caching (RFC 9111, RFC 9110 8.8.3 and 13.1.2): every asset carries a strong ETag (the
// first 16 hex digits of its SHA-256, computed at build time) and `Cache-Control: no-cache`,
// so a browser revalidates each time and gets 304 Not Modified until the binary changes.
#pragma once
#include <span>
#include <string_view>

#include "kvd/http/router.hpp"

namespace kvd::http {

/// One embedded file of src/http/console/.
struct console_asset {
  std::string_view name;  ///< file name, e.g. "app.js" (the console's files are one flat folder)
  std::string_view body;  ///< the file's bytes
  std::string_view etag;  ///< strong entity tag with its quotes, e.g. "\"3f2a...\""
};

/// Every embedded asset, in file name order (defined in the generated console_assets.cpp).
[[nodiscard]] std::span<const console_asset> console_assets() noexcept;

/// The embedded asset called `name`, or nullptr.
[[nodiscard]] const console_asset* find_console_asset(std::string_view name) noexcept;

/// The Content-Type for a file name, from its extension (.html, .css, .js, .svg, .png,
/// .ico, .json, .txt); "application/octet-stream" for anything else. Text types carry
/// `charset=utf-8`; JavaScript is `text/javascript` (RFC 9239), as module scripts require.
[[nodiscard]] std::string_view console_content_type(std::string_view name) noexcept;

/// The response to GET of asset `name` ("index.html" for `/`): 200 with the bytes, ETag,
/// Cache-Control and security headers; 304 with the ETag and no body when `if_none_match`
/// (the If-None-Match field value, "" when absent) lists the asset's tag or is "*";
/// 404 JSON `{"error":"no such console asset","code":"NOT_FOUND"}` for an unknown name.
[[nodiscard]] response console_response(std::string_view name, std::string_view if_none_match);

}  // namespace kvd::http
