#include "kvd/http/console.hpp"

namespace kvd::http {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// RFC 9110 13.1.2: If-None-Match is "*" or a list of entity tags; weak comparison, so a
// W/ prefix on a listed tag still matches.
bool etag_listed(std::string_view field, std::string_view etag) noexcept {
  while (!field.empty()) {
    auto comma = field.find(',');
    auto item = field.substr(0, comma);
    field = comma == std::string_view::npos ? std::string_view{} : field.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.size() > 2 && item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
  }
  return false;
}

}  // namespace

const console_asset* find_console_asset(std::string_view name) noexcept {
  for (auto& a : console_assets())
    if (a.name == name) return &a;
  return nullptr;
}

std::string_view console_content_type(std::string_view name) noexcept {
  if (ends_with(name, ".html")) return "text/html; charset=utf-8";
  if (ends_with(name, ".css")) return "text/css; charset=utf-8";
  if (ends_with(name, ".js") || ends_with(name, ".mjs")) return "text/javascript; charset=utf-8";
  if (ends_with(name, ".svg")) return "image/svg+xml";
  if (ends_with(name, ".png")) return "image/png";
  if (ends_with(name, ".ico")) return "image/x-icon";
  if (ends_with(name, ".json")) return "application/json";
  if (ends_with(name, ".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

response console_response(std::string_view name, std::string_view if_none_match) {
  const console_asset* a = find_console_asset(name);
  if (!a) return error_response(404, "no such console asset", "NOT_FOUND");
  response r;
  r.headers.emplace_back("ETag", std::string(a->etag));
  r.headers.emplace_back("Cache-Control", "no-cache");
  if (etag_listed(if_none_match, a->etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = std::string(console_content_type(name));
  r.body.assign(a->body.data(), a->body.size());
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (ends_with(name, ".html")) {
    // The pages load only their own scripts and styles and talk only to this server.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  return r;
}

}  // namespace kvd::http
