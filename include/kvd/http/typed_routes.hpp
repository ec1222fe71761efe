// The HTTP routes of the typed values (lists, queues, stacks, sets, hashes, sorted sets;
// DESIGN.md "HTTP interface"). Every route runs Redis commands through the same dispatcher
// as RESP (run_command()), so RESP sees the same data and a write's response waits for the
// AOF like any other (http_listener.cpp). The method was checked by the router.
//
// Values, members and fields (strings in the tables below) are rendered as a JSON string
// when they are UTF-8 and as {"base64": "..."} otherwise. With `?encoding=base64` every one
// of them is base64 text both ways: in responses, in JSON bodies, in `?member=` and in the
// {member}/{field} path segments. JSON bodies also take {"base64": "..."} for any value.
// Keys are never base64: a key is a percent-decoded path segment.
//
//   /v1/lists/{key}   GET ?start=0&stop=-1   LRANGE           -> [v, ...]; 404 no such key
//                     POST ?end=right|left   RPUSH|LPUSH      -> {"length": n}
//                     DELETE ?end=left|right&count=N  LPOP|RPOP -> {"values": [v, ...]}; 404 empty
//   /v1/queues/{key}  POST RPUSH -> {"length": n}; DELETE LPOP -> {"value": v};
//                     GET LINDEX 0 -> {"value": v}; 404 when empty
//   /v1/stacks/{key}  POST RPUSH -> {"length": n}; DELETE RPOP -> {"value": v};
//                     GET LINDEX -1 -> {"value": v}; 404 when empty
//   /v1/sets/{key}    GET SMEMBERS -> [m, ...] (404 no such key); POST SADD -> {"added": n};
//                     DELETE ?member=m (repeatable) SREM -> {"removed": n}
//   /v1/sets/{key}/{member}  GET SISMEMBER -> {"member": m, "exists": true}; 404 with
//                     "exists": false
//   /v1/hashes/{key}  GET HGETALL -> {field: value, ...} (404 no such key; 406 when a field
//                     name is not UTF-8 and base64 was not asked for)
//   /v1/hashes/{key}/{field}  GET HGET -> {"field": f, "value": v} (404); PUT HSET ->
//                     {"added": 0|1}; DELETE HDEL -> {"deleted": 0|1}
//   /v1/zsets/{key}   GET ?start=&stop= ZRANGE WITHSCORES, or ?min=&max= ZRANGEBYSCORE
//                     WITHSCORES -> [{"member": m, "score": s}, ...] (404 no such key);
//                     POST {"member","score"} or an array of them, ZADD -> {"added": n};
//                     DELETE ?member=m (repeatable) ZREM -> {"removed": n}
//   /v1/zsets/{key}/{member}  GET ZSCORE -> {"member": m, "score": s}; 404
// Bodies of POST to lists, queues, stacks and sets: with Content-Type application/json a
// non-empty JSON array of values; any other Content-Type: the raw body is one value. PUT of a
// hash field: application/json {"value": v}, else the raw body. Scores are JSON numbers or
// strings in Redis syntax ("1.5", "-inf", "+inf"); in responses a number, or the strings
// "inf" / "-inf". Errors: WRONGTYPE 409, other Redis errors and bad parameters 400, all as
// {"error": "...", "code": "..."}.
#pragma once
#include <string>

#include "kvd/command/client_context.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/http/router.hpp"

namespace kvd::http {

/// /v1/lists/{key} with method GET, POST or DELETE (`key` percent-decoded).
[[nodiscard]] response list_route(command::dispatcher& d, command::client_context& c, const request& req,
                                  const query_params& q, const std::string& key);

/// /v1/queues/{key} (`stack` false: FIFO, pops and peeks the front) or /v1/stacks/{key}
/// (`stack` true: LIFO, pops and peeks the back); both push at the back (RPUSH).
[[nodiscard]] response queue_route(command::dispatcher& d, command::client_context& c, const request& req,
                                   const query_params& q, const std::string& key, bool stack);

/// /v1/sets/{key} with method GET, POST or DELETE.
[[nodiscard]] response set_route(command::dispatcher& d, command::client_context& c, const request& req,
                                 const query_params& q, const std::string& key);

/// GET /v1/sets/{key}/{member}.
[[nodiscard]] response set_member_route(command::dispatcher& d, command::client_context& c, const query_params& q,
                                        const std::string& key, const std::string& member);

/// GET /v1/hashes/{key}.
[[nodiscard]] response hash_route(command::dispatcher& d, command::client_context& c, const query_params& q,
                                  const std::string& key);

/// /v1/hashes/{key}/{field} with method GET, PUT or DELETE.
[[nodiscard]] response hash_field_route(command::dispatcher& d, command::client_context& c, const request& req,
                                        const query_params& q, const std::string& key, const std::string& field);

/// /v1/zsets/{key} with method GET, POST or DELETE.
[[nodiscard]] response zset_route(command::dispatcher& d, command::client_context& c, const request& req,
                                  const query_params& q, const std::string& key);

/// GET /v1/zsets/{key}/{member}.
[[nodiscard]] response zset_member_route(command::dispatcher& d, command::client_context& c, const query_params& q,
                                         const std::string& key, const std::string& member);

}  // namespace kvd::http
