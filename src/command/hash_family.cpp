// The HASH command family, Redis 7.0 semantics (src/t_hash.c): HSET HSETNX HGET HMGET HMSET
// HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
// Layout per STYLE.md "A family file": store ops (reply-agnostic), then the cmd_* handlers,
// then the registration rows.
//
// Every op runs with the shard lock of its key held by the dispatcher. Encoding thresholds
// (hash-max-listpack-entries, hash-max-listpack-value) are read from the config per call.
#include <cerrno>
#include <cmath>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvd/command/command_table.hpp"
#include "kvd/command/scan_args.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/notify.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/store/hash.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/util/glob.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

using store::database;
using store::hash;
using store::value;
using store::value_type;

inline constexpr std::string_view err_incr_nan = "ERR value is NaN or Infinity";
inline constexpr std::string_view err_out_of_range = "ERR value is out of range";
inline constexpr std::string_view err_long_range =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
inline constexpr std::string_view err_invalid_cursor = "ERR invalid cursor";

// ============================================================================================
// (1) Store ops
// ============================================================================================

/// The encoding thresholds in force now.
store::hash_limits limits_of(const command_context& c) {
  return {c.server.config.hash_max_listpack_entries.load(std::memory_order_relaxed),
          c.server.config.hash_max_listpack_value.load(std::memory_order_relaxed)};
}

/// Reads: the hash at `key` (a null handle when absent), or WRONGTYPE. Counts keyspace hits
/// and misses (Redis lookupKeyRead).
op_result<hash> op_read(database& db, std::string_view key) {
  const value* v = db.lookup_read(key);
  if (!v) return hash();
  if (v->type() != value_type::hash) return op_status::wrong_type;
  return hash(*v);
}

/// Writes on an existing hash (HDEL): the hash at `key` (a null handle when absent), or
/// WRONGTYPE.
op_result<hash> op_write(database& db, std::string_view key) {
  value* v = db.lookup_write(key);
  if (!v) return hash();
  if (v->type() != value_type::hash) return op_status::wrong_type;
  return hash(*v);
}

/// HSET, HMSET, HSETNX, HINCRBY, HINCRBYFLOAT (Redis hashTypeLookupWriteOrCreate): the hash
/// at `key`, created empty (listpack) when absent, or WRONGTYPE. Callers always store a
/// field into a hash they created, so no empty key is left behind.
op_result<hash> op_write_or_create(database& db, std::string_view key) {
  value* v = db.lookup_write(key);
  if (!v) v = &db.add(key, hash::make());
  else if (v->type() != value_type::hash) return op_status::wrong_type;
  return hash(*v);
}

/// HSET, HMSET: sets the field/value pairs args[0], args[1], ...; returns how many fields
/// were created. Conversion as Redis hsetCommand: hashTypeTryConversion on all the
/// arguments first, then per field in hashTypeSet.
op_result<std::int64_t> op_hset(database& db, std::string_view key, args_view pairs, const store::hash_limits& lim) {
  auto r = op_write_or_create(db, key);
  if (!r.ok()) return op_result<std::int64_t>::failure(r.error());
  hash h = r.value();
  h.try_conversion(pairs, lim);
  std::int64_t created = 0;
  for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) created += h.set(pairs[i], pairs[i + 1], lim);
  return created;
}

/// HSETNX: sets `field` only when absent; returns whether it did (Redis hsetnxCommand:
/// the conversion check runs only when it sets).
op_result<bool> op_hsetnx(database& db, std::string_view key, std::string_view field, std::string_view val,
                          const store::hash_limits& lim) {
  auto r = op_write_or_create(db, key);
  if (!r.ok()) return op_result<bool>::failure(r.error());
  hash h = r.value();
  if (h.exists(field)) return false;
  const std::string_view args[] = {field, val};
  h.try_conversion(args, lim);
  h.set(field, val, lim);
  return true;
}

/// HDEL: removes `fields`; returns how many existed. An emptied hash deletes its key.
op_result<std::int64_t> op_hdel(database& db, std::string_view key, args_view fields) {
  auto r = op_write(db, key);
  if (!r.ok()) return op_result<std::int64_t>::failure(r.error());
  hash h = r.value();
  if (!h.valid()) return std::int64_t{0};
  std::int64_t deleted = 0;
  for (auto f : fields) {
    if (h.erase(f)) {
      ++deleted;
      if (h.length() == 0) {
        db.del(key);
        break;
      }
    }
  }
  return deleted;
}

// ============================================================================================
// (2) Handlers
// ============================================================================================

void reply_arity(command_context& c) {
  c.rb.error("ERR wrong number of arguments for '" + c.cmd.fullname + "' command");
}

/// HSET key field value [field value ...] (integer: fields created) and HMSET (+OK).
void hset_generic(command_context& c, bool hmset) {
  if (c.argc() % 2 == 1) return reply_arity(c);
  auto r = op_hset(c.db, c.arg(1), c.args.subspan(2), limits_of(c));
  if (!r.ok()) return c.rb.error(r.error());
  notify(c, pubsub::notify_hash, "hset", c.arg(1));
  if (hmset) c.rb.simple("OK");
  else c.rb.integer(r.value());
}
void cmd_hset(command_context& c) { hset_generic(c, false); }
void cmd_hmset(command_context& c) { hset_generic(c, true); }

void cmd_hsetnx(command_context& c) {
  auto r = op_hsetnx(c.db, c.arg(1), c.arg(2), c.arg(3), limits_of(c));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value()) c.prop.none();
  else notify(c, pubsub::notify_hash, "hset", c.arg(1));
  c.rb.integer(r.value() ? 1 : 0);
}

void cmd_hget(command_context& c) {
  auto r = op_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  hash::int_buf buf;
  std::optional<std::string_view> v;
  if (r.value().valid()) v = r.value().get(c.arg(2), buf);
  if (v) c.rb.bulk(*v);
  else c.rb.null();
}

/// HMGET: a missing key is an empty hash (a null per field).
void cmd_hmget(command_context& c) {
  auto r = op_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.array(c.argc() - 2);
  hash::int_buf buf;
  for (std::size_t i = 2; i < c.argc(); ++i) {
    std::optional<std::string_view> v;
    if (r.value().valid()) v = r.value().get(c.arg(i), buf);
    if (v) c.rb.bulk(*v);
    else c.rb.null();
  }
}

void cmd_hdel(command_context& c) {
  auto r = op_hdel(c.db, c.arg(1), c.args.subspan(2));
  if (!r.ok()) return c.rb.error(r.error());
  if (r.value() == 0) {
    c.prop.none();
  } else {
    notify(c, pubsub::notify_hash, "hdel", c.arg(1));
    if (!c.db.lookup_write(c.arg(1))) notify(c, pubsub::notify_generic, "del", c.arg(1));
  }
  c.rb.integer(r.value());
}

void cmd_hlen(command_context& c) {
  auto r = op_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.integer(r.value().valid() ? static_cast<std::int64_t>(r.value().length()) : 0);
}

void cmd_hstrlen(command_context& c) {
  auto r = op_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.integer(r.value().valid() ? static_cast<std::int64_t>(r.value().strlen(c.arg(2))) : 0);
}

void cmd_hexists(command_context& c) {
  auto r = op_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.integer(r.value().valid() && r.value().exists(c.arg(2)) ? 1 : 0);
}

/// HKEYS, HVALS, HGETALL (Redis genericHgetallCommand): HGETALL replies a map (an empty map
/// for a missing key), the others a flat array.
void hgetall_generic(command_context& c, bool keys, bool vals) {
  auto r = op_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  const hash& h = r.value();
  std::size_t n = h.valid() ? h.length() : 0;
  if (keys && vals) c.rb.map(n);
  else c.rb.array(n);
  if (!h.valid()) return;
  h.for_each([&](std::string_view f, std::string_view v) {
    if (keys) c.rb.bulk(f);
    if (vals) c.rb.bulk(v);
  });
}
void cmd_hkeys(command_context& c) { hgetall_generic(c, true, false); }
void cmd_hvals(command_context& c) { hgetall_generic(c, false, true); }
void cmd_hgetall(command_context& c) { hgetall_generic(c, true, true); }

void cmd_hincrby(command_context& c) {
  auto incr = util::parse_int64(c.arg(3));
  if (!incr) return c.rb.error(err::not_integer);
  auto r = op_write_or_create(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  hash h = r.value();
  auto res = h.incrby(c.arg(2), *incr, limits_of(c));
  if (!res.error.empty()) return c.rb.error(res.error);
  notify(c, pubsub::notify_hash, "hincrby", c.arg(1));
  c.rb.integer(res.value);
}

/// HINCRBYFLOAT: propagated as HSET key field <result>, so float formatting never makes a
/// replayed AOF differ (Redis hincrbyfloatCommand).
void cmd_hincrbyfloat(command_context& c) {
  auto incr = util::parse_long_double(c.arg(3));
  if (!incr) return c.rb.error(err::not_float);
  if (std::isnan(*incr) || std::isinf(*incr)) return c.rb.error(err_incr_nan);
  auto r = op_write_or_create(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  hash h = r.value();
  auto res = h.incrbyfloat(c.arg(2), *incr, limits_of(c));
  if (!res.error.empty()) return c.rb.error(res.error);
  notify(c, pubsub::notify_hash, "hincrbyfloat", c.arg(1));
  c.rb.bulk(res.text);
  c.prop.replace({"HSET", std::string(c.arg(1)), std::string(c.arg(2)), res.text});
}

/// HRANDFIELD key [count [WITHVALUES]] (Redis hrandfieldCommand): without count a bulk (nil
/// for a missing key); with count an array, WITHVALUES flat in RESP2 and [field, value]
/// pairs in RESP3.
void cmd_hrandfield(command_context& c) {
  if (c.argc() >= 3) {
    auto l = util::parse_int64(c.arg(2));
    if (!l) return c.rb.error(err::not_integer);
    if (*l == std::numeric_limits<std::int64_t>::min()) return c.rb.error(err_long_range);
    bool withvalues = false;
    if (c.argc() > 4 || (c.argc() == 4 && !iequals(c.arg(3), "withvalues"))) return c.rb.error(err::syntax);
    if (c.argc() == 4) {
      withvalues = true;
      constexpr std::int64_t half = std::numeric_limits<std::int64_t>::max() / 2;
      if (*l < -half || *l > half) return c.rb.error(err_out_of_range);
    }
    auto r = op_read(c.db, c.arg(1));
    if (!r.ok()) return c.rb.error(r.error());
    const hash& h = r.value();
    if (!h.valid() || *l == 0) return c.rb.array(0);
    std::uint64_t n = h.random_reply_size(*l);
    bool pairs = withvalues && c.rb.protocol() >= 3;
    c.rb.array(withvalues && !pairs ? n * 2 : n);
    h.random_fields(*l, [&](std::string_view f, std::string_view v) {
      if (pairs) c.rb.array(2);
      c.rb.bulk(f);
      if (withvalues) c.rb.bulk(v);
    });
    return;
  }
  auto r = op_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value().valid()) return c.rb.null();
  r.value().random_one([&](std::string_view f, std::string_view) { c.rb.bulk(f); });
}

/// HSCAN key cursor [MATCH pattern] [COUNT count] (Redis hscanCommand + scanGenericCommand):
/// the cursor is checked first, then the key (missing: ["0", []]), then the options. A
/// listpack comes back whole with cursor 0.
void cmd_hscan(command_context& c) {
  auto cursor = parse_scan_cursor(c.arg(2));
  if (!cursor) return c.rb.error(err_invalid_cursor);
  auto r = op_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  const hash& h = r.value();
  if (!h.valid()) {
    c.rb.array(2);
    c.rb.bulk("0");
    return c.rb.array(0);
  }
  auto opts = parse_scan_options(c, 3, false);
  if (!opts) return;
  std::int64_t count = opts->count;
  std::string_view pattern = opts->pattern;
  bool use_pattern = opts->use_pattern;
  std::vector<std::string> out;  // field, value, field, value...
  std::uint64_t next = h.scan(*cursor, count, [&](std::string_view f, std::string_view v) {
    if (use_pattern && !util::glob_match(pattern, f)) return;
    out.emplace_back(f);
    out.emplace_back(v);
  });
  c.rb.array(2);
  c.rb.bulk(std::to_string(next));
  c.rb.array(out.size());
  for (auto& s : out) c.rb.bulk(s);
}

}  // namespace

// ============================================================================================
// (3) Registration: Redis 7.0 COMMAND INFO (arity, flags, first/last/step, ACL categories).
// ============================================================================================

void register_hash_family(command_table& t) {
  constexpr std::uint32_t w_oom_fast = f_write | f_denyoom | f_fast;
  t.add({"hset", -4, w_oom_fast, 1, 1, 1, cmd_hset, "write hash fast"});
  t.add({"hsetnx", 4, w_oom_fast, 1, 1, 1, cmd_hsetnx, "write hash fast"});
  t.add({"hget", 3, f_readonly | f_fast, 1, 1, 1, cmd_hget, "read hash fast"});
  t.add({"hmget", -3, f_readonly | f_fast, 1, 1, 1, cmd_hmget, "read hash fast"});
  t.add({"hmset", -4, w_oom_fast, 1, 1, 1, cmd_hmset, "write hash fast"});
  t.add({"hdel", -3, f_write | f_fast, 1, 1, 1, cmd_hdel, "write hash fast"});
  t.add({"hlen", 2, f_readonly | f_fast, 1, 1, 1, cmd_hlen, "read hash fast"});
  t.add({"hstrlen", 3, f_readonly | f_fast, 1, 1, 1, cmd_hstrlen, "read hash fast"});
  t.add({"hexists", 3, f_readonly | f_fast, 1, 1, 1, cmd_hexists, "read hash fast"});
  t.add({"hkeys", 2, f_readonly, 1, 1, 1, cmd_hkeys, "read hash slow"});
  t.add({"hvals", 2, f_readonly, 1, 1, 1, cmd_hvals, "read hash slow"});
  t.add({"hgetall", 2, f_readonly, 1, 1, 1, cmd_hgetall, "read hash slow"});
  t.add({"hincrby", 4, w_oom_fast, 1, 1, 1, cmd_hincrby, "write hash fast"});
  t.add({"hincrbyfloat", 4, w_oom_fast, 1, 1, 1, cmd_hincrbyfloat, "write hash fast"});
  t.add({"hrandfield", -2, f_readonly, 1, 1, 1, cmd_hrandfield, "read hash slow"});
  t.add({"hscan", -3, f_readonly, 1, 1, 1, cmd_hscan, "read hash slow"});
}

}  // namespace kvd::command
