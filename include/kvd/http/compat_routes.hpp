// The HTTP routes of the four seed stores kvd replaces (../shared/seeds/, issue 7), served
// with `http-compat-routes yes` so their clients keep working. Every route runs its
// commands through the same dispatcher as RESP, so RESP sees the same data.
//   /api/v0/ (mini_db): POST set {"key","value"}, GET get?key=, DELETE delete?key=,
//     GET get/all, GET keys/all, GET values/all, GET /api/v0/ -> {"message":"Api is running"};
//     answers {"status":"success",...} or {"status":"error","message":"..."}.
//   /db/{key} (db-key-value-store): POST raw body with Content-Type
//     application/octet-stream (415 otherwise) -> 201; GET raw bytes (?format=json sets
//     Content-Type application/json); DELETE -> 200.
//   /blobs/{key} (mini-kvstore-go): POST raw body -> 201 {"key","etag","size","volume_id"};
//     GET raw bytes; DELETE -> 204; GET /blobs -> ["key", ...].
//   POST /v1/checkpoint (small_db): starts BGREWRITEAOF (appendonly yes) or BGSAVE.
#pragma once
#include <string>

#include "kvd/command/client_context.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/http/router.hpp"

namespace kvd::http {

/// The /api/v0 routes; `sub` is the path after "/api/v0" ("", "/", "/set", "/get",
/// "/delete", "/get/all", "/keys/all", "/values/all"). The method was checked by the router.
[[nodiscard]] response api_v0_route(command::dispatcher& d, command::client_context& c, const request& req,
                                    const query_params& q, std::string_view sub);

/// /db/{key} with method GET, POST or DELETE (`key` percent-decoded).
[[nodiscard]] response db_key_route(command::dispatcher& d, command::client_context& c, const request& req,
                                    const query_params& q, const std::string& key);

/// /blobs/{key} with method GET, POST or DELETE (`key` percent-decoded).
[[nodiscard]] response blob_route(command::dispatcher& d, command::client_context& c, const request& req,
                                  const std::string& key);

/// GET /blobs: every key of the client's database as a sorted JSON array of strings.
[[nodiscard]] response blob_list_route(command::dispatcher& d, command::client_context& c);

/// POST /v1/checkpoint: starts BGREWRITEAOF when `appendonly yes`, else BGSAVE, and answers
/// 200 {"ok": true, "started": "bgrewriteaof"|"bgsave", "message": <Redis's status text>};
/// 409 {"error", "code"} when it cannot start (a save or rewrite already runs).
[[nodiscard]] response checkpoint_route(command::dispatcher& d, command::client_context& c);

/// Every key of the client's current database (SCAN to the end, duplicates removed,
/// sorted). Returns false and sets `err` to the error response when SCAN fails.
bool scan_all_keys(command::dispatcher& d, command::client_context& c, std::vector<std::string>& out,
                   response& err);

}  // namespace kvd::http
