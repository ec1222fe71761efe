// The keyspace (generic) command family: DEL UNLINK EXISTS TYPE KEYS SCAN RANDOMKEY RENAME
// RENAMENX COPY MOVE DBSIZE FLUSHDB FLUSHALL SWAPDB EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL
// EXPIRETIME PEXPIRETIME PERSIST TOUCH OBJECT. Behaviour and reply texts follow Redis 7.0
// (src/db.c, src/expire.c, src/object.c).
//
// Locking: commands with key positions run with their keys' shard locks held by the
// dispatcher. KEYS SCAN RANDOMKEY DBSIZE FLUSHDB FLUSHALL SWAPDB MOVE COPY are flagged
// f_global_lock (every shard of every db is held), so they use only the non-locking
// database methods (find, del, *_nolock, shard_at) and never the ones documented "Locks".
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "kvd/command/command_table.hpp"
#include "kvd/command/scan_args.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/notify.hpp"
#include "kvd/command/persistence.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/store/lru.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/glob.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

using store::database;
using store::value;

constexpr std::string_view same_object_err = "ERR source and destination objects are the same";
constexpr std::int64_t llong_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t llong_min = std::numeric_limits<std::int64_t>::min();

// Redis OBJ_SHARED_INTEGERS and OBJ_SHARED_REFCOUNT (INT_MAX) (server.h).
constexpr std::int64_t shared_integers = 10000;
constexpr std::int64_t shared_refcount = 2147483647;

// ---- Helpers ----

/// Redis lookupKeyReadWithFlags(LOOKUP_NOTOUCH): lazy expiry and keyspace_hits/misses,
/// without updating the LRU clock (EXISTS TYPE TTL OBJECT).
value* lookup_notouch(command_context& c, std::string_view key) {
  value* v = c.db.find(key);
  auto& st = c.server.keyspace.stats();
  (v ? st.keyspace_hits : st.keyspace_misses).fetch_add(1, std::memory_order_relaxed);
  return v;
}

/// Redis getIntFromObjectOrReply: a string2ll integer that fits an int. On failure replies
/// `msg` when given, else Redis's own texts (not an integer / out of int range).
std::optional<int> parse_int_or_reply(command_context& c, std::string_view s, std::string_view msg = {}) {
  auto v = util::parse_int64(s);
  if (!v) return c.rb.error(msg.empty() ? err::not_integer : msg), std::nullopt;
  if (*v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) {
    c.rb.error(msg.empty() ? "ERR value is out of range, value must between -2147483648 and 2147483647" : msg);
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

/// The text addReplyErrorFormat("...%s", s) sends: `s` up to its first NUL, newlines made
/// spaces (Redis sanitizes formatted errors so the reply stays one line).
std::string c_string_for_error(std::string_view s) {
  std::string out(s.substr(0, s.find('\0')));
  for (auto& ch : out)
    if (ch == '\r' || ch == '\n') ch = ' ';
  return out;
}

bool lfu_policy(const command_context& c) {
  return c.server.config.maxmemory_policy_code.load(std::memory_order_relaxed) & config::policy_flag_lfu;
}
bool lru_policy(const command_context& c) {
  return c.server.config.maxmemory_policy_code.load(std::memory_order_relaxed) & config::policy_flag_lru;
}

// ---- Store ops ----

/// Counts live keys among `keys` (duplicates counted each time), EXISTS.
std::int64_t op_exists(command_context& c, args_view keys) {
  std::int64_t n = 0;
  for (auto k : keys) n += lookup_notouch(c, k) != nullptr;
  return n;
}

/// Live keys of `db` matching `pattern` (KEYS). Expired keys are skipped, not deleted
/// (Redis keyIsExpired). Views stay valid while the shard locks are held.
std::vector<std::string_view> op_keys(database& db, std::string_view pattern) {
  bool all = pattern == "*";
  std::int64_t now = util::now_ms();
  std::vector<std::string_view> out;
  for (unsigned i = 0; i < database::shard_count; ++i) {
    auto& s = db.shard_at(i);
    s.data.for_each([&](auto& n) {
      auto k = n.key.view();
      if (!all && !util::glob_match(pattern, k)) return;
      if (n.val.has_expire()) {
        auto* e = s.expires.find(k);
        if (e && e->val <= now) return;
      }
      out.push_back(k);
    });
  }
  return out;
}

/// Moves `key` from `src` to `dst` with its expire (MOVE). Returns false when the key is
/// missing in `src` or present in `dst`.
bool op_move(database& src, database& dst, std::string_view key) {
  if (!src.lookup_write(key)) return false;
  std::int64_t when = src.expire_of(key);
  if (dst.lookup_write(key)) return false;
  value v = src.take(key);
  std::uint32_t lru = v.lru();  // the same object moves (Redis moveCommand)
  dst.add(key, std::move(v)).set_lru(lru);
  if (when != -1) dst.set_expire(key, when);
  return true;
}

/// Copies `from` (in `src`) to `to` (in `dst`) with its expire (COPY). Returns false when
/// `from` is missing, or `to` exists and `replace` is false.
bool op_copy(database& src, database& dst, std::string_view from, std::string_view to, bool replace) {
  value* v = src.lookup_read(from);
  if (!v) return false;
  std::int64_t when = src.expire_of(from);
  if (dst.lookup_write(to)) {
    if (!replace) return false;
    value copy = v->clone();
    dst.del(to);
    dst.add(to, std::move(copy));
  } else {
    dst.add(to, v->clone());
  }
  if (when != -1) dst.set_expire(to, when);
  return true;
}

// ---- Handlers ----

/// DEL and UNLINK (kvd frees UNLINKed values synchronously too). Duplicates count once.
void cmd_del(command_context& c) {
  std::int64_t n = 0;
  for (std::size_t i = 1; i < c.argc(); ++i) {
    if (c.db.del(c.arg(i))) {
      ++n;
      notify(c, pubsub::notify_generic, "del", c.arg(i));
    }
  }
  if (n == 0) c.prop.none();  // the AOF logs only commands that changed something
  c.rb.integer(n);
}

void cmd_exists(command_context& c) { c.rb.integer(op_exists(c, c.args.subspan(1))); }

void cmd_touch(command_context& c) {
  std::int64_t n = 0;
  for (std::size_t i = 1; i < c.argc(); ++i) n += c.db.lookup_read(c.arg(i)) != nullptr;
  c.rb.integer(n);
}

void cmd_type(command_context& c) {
  value* v = lookup_notouch(c, c.arg(1));
  c.rb.simple(v ? store::type_name(v->type()) : "none");
}

void cmd_keys(command_context& c) {
  auto keys = op_keys(c.db, c.arg(1));
  c.rb.array(keys.size());
  for (auto k : keys) c.rb.bulk(k);
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] (Redis scanGenericCommand): walk
/// until COUNT keys were gathered or COUNT*10 buckets visited, then filter by pattern and
/// type. The cursor is database::scan's (shard in the low bits).
void cmd_scan(command_context& c) {
  auto cursor = parse_scan_cursor(c.arg(1));
  if (!cursor) return c.rb.error("ERR invalid cursor");
  auto opts = parse_scan_options(c, 2, true);
  if (!opts) return;
  std::int64_t count = opts->count;
  std::string_view pattern = opts->pattern;
  bool use_pattern = opts->use_pattern;
  std::optional<std::string_view> type = opts->type;

  struct entry {
    std::string key;
    store::value_type type;
  };
  std::vector<entry> found;
  std::uint64_t cur = *cursor;
  std::int64_t max_iterations = count > llong_max / 10 ? llong_max : count * 10;
  do {
    cur = c.db.scan_nolock(cur, [&](std::string_view k, const value& v) { found.push_back({std::string(k), v.type()}); });
  } while (cur && max_iterations-- && found.size() < static_cast<std::uint64_t>(count));

  std::erase_if(found, [&](const entry& e) {
    return (use_pattern && !util::glob_match(pattern, e.key)) || (type && !iequals(*type, store::type_name(e.type)));
  });

  c.rb.array(2);
  c.rb.bulk(std::to_string(cur));
  c.rb.array(found.size());
  for (auto& e : found) c.rb.bulk(e.key);
}

void cmd_randomkey(command_context& c) {
  std::string key;
  if (c.db.random_key_nolock(key)) c.rb.bulk(key);
  else c.rb.null();
}

/// RENAME and RENAMENX (Redis renameGenericCommand).
void rename_generic(command_context& c, bool nx) {
  auto from = c.arg(1), to = c.arg(2);
  if (!c.db.lookup_write(from)) return c.rb.error(err::no_such_key);
  if (from == to) {
    c.prop.none();
    return nx ? c.rb.integer(0) : c.rb.simple("OK");
  }
  if (c.db.lookup_write(to) && nx) {
    c.prop.none();
    return c.rb.integer(0);
  }
  c.db.rename(from, to);
  notify(c, pubsub::notify_generic, "rename_from", from);
  notify(c, pubsub::notify_generic, "rename_to", to);
  nx ? c.rb.integer(1) : c.rb.simple("OK");
}
void cmd_rename(command_context& c) { rename_generic(c, false); }
void cmd_renamenx(command_context& c) { rename_generic(c, true); }

/// COPY source destination [DB destination-db] [REPLACE]
void cmd_copy(command_context& c) {
  int dst_index = c.client.db;
  bool replace = false;
  for (std::size_t j = 3; j < c.argc(); ++j) {
    std::size_t additional = c.argc() - j - 1;
    if (iequals(c.arg(j), "replace")) {
      replace = true;
    } else if (iequals(c.arg(j), "db") && additional >= 1) {
      auto n = parse_int_or_reply(c, c.arg(j + 1));
      if (!n) return;
      if (*n < 0 || *n >= c.server.keyspace.databases()) return c.rb.error(err::db_index);
      dst_index = *n;
      ++j;
    } else {
      return c.rb.error(err::syntax);
    }
  }
  if (dst_index == c.client.db && c.arg(1) == c.arg(2)) return c.rb.error(same_object_err);
  auto& dst = c.server.keyspace.db(dst_index);
  bool copied = op_copy(c.db, dst, c.arg(1), c.arg(2), replace);
  if (!copied) c.prop.none();
  else notify_db(c, pubsub::notify_generic, "copy_to", c.arg(2), dst_index);
  c.rb.integer(copied ? 1 : 0);
}

/// MOVE key db
void cmd_move(command_context& c) {
  auto n = parse_int_or_reply(c, c.arg(2));
  if (!n) return;
  if (*n < 0 || *n >= c.server.keyspace.databases()) return c.rb.error(err::db_index);
  if (*n == c.client.db) return c.rb.error(same_object_err);
  bool moved = op_move(c.db, c.server.keyspace.db(*n), c.arg(1));
  if (!moved) {
    c.prop.none();
  } else {
    notify(c, pubsub::notify_generic, "move_from", c.arg(1));
    notify_db(c, pubsub::notify_generic, "move_to", c.arg(1), static_cast<int>(*n));
  }
  c.rb.integer(moved ? 1 : 0);
}

void cmd_dbsize(command_context& c) { c.rb.integer(static_cast<std::int64_t>(c.db.size_nolock())); }

/// FLUSHDB / FLUSHALL [ASYNC|SYNC] (Redis getFlushCommandFlags). Both modes free at once.
bool parse_flush_flags(command_context& c) {
  if (c.argc() > 2) return c.rb.error(err::syntax), false;
  if (c.argc() == 2 && !iequals(c.arg(1), "sync") && !iequals(c.arg(1), "async"))
    return c.rb.error(err::syntax), false;
  return true;
}

void cmd_flushdb(command_context& c) {
  if (!parse_flush_flags(c)) return;
  c.server.watches.touch_flushed(c.db);  // WATCHed keys that exist now are modified
  c.db.clear();
  c.rb.simple("OK");
}

void cmd_flushall(command_context& c) {
  if (!parse_flush_flags(c)) return;
  for (int i = 0; i < c.server.keyspace.databases(); ++i) {
    c.server.watches.touch_flushed(c.server.keyspace.db(i));
    c.server.keyspace.db(i).clear();
  }
  // Redis flushAllDataAndResetRDB: a running BGSAVE would write the old data back, so it is
  // killed; with save rules the empty dataset is saved at once (every shard lock is held).
  kill_rdb_child(c.server);
  if (has_save_rules(c.server)) {
    std::string error;
    if (!rdb_save_sync(c.server, error)) spdlog::warn("FLUSHALL: saving the empty dataset failed: {}", error);
  }
  c.rb.simple("OK");
}

/// SWAPDB index1 index2. Clients keep their db index, so swapping contents makes clients of
/// one db see the other's data, as Redis's dbSwapDatabases does.
void cmd_swapdb(command_context& c) {
  auto a = parse_int_or_reply(c, c.arg(1), "ERR invalid first DB index");
  if (!a) return;
  auto b = parse_int_or_reply(c, c.arg(2), "ERR invalid second DB index");
  if (!b) return;
  int dbs = c.server.keyspace.databases();
  if (*a < 0 || *a >= dbs || *b < 0 || *b >= dbs) return c.rb.error(err::db_index);
  if (*a != *b) {
    c.server.watches.touch_swapped(c.server.keyspace.db(*a), c.server.keyspace.db(*b));
    c.server.keyspace.db(*a).swap_contents(c.server.keyspace.db(*b));
  }
  c.rb.simple("OK");
}

// EXPIRE option bits (Redis EXPIRE_NX...).
enum : int { expire_nx = 1, expire_xx = 2, expire_gt = 4, expire_lt = 8 };

/// EXPIRE PEXPIRE EXPIREAT PEXPIREAT key time [NX|XX|GT|LT] (Redis expireGenericCommand).
/// `basetime` (Unix ms) is added to the time; `seconds` scales it by 1000 first. A
/// resulting time not in the future deletes the key and replies 1.
void expire_generic(command_context& c, std::int64_t basetime, bool seconds, std::int64_t now) {
  int flags = 0;
  for (std::size_t j = 3; j < c.argc(); ++j) {
    auto o = c.arg(j);
    if (iequals(o, "nx")) flags |= expire_nx;
    else if (iequals(o, "xx")) flags |= expire_xx;
    else if (iequals(o, "gt")) flags |= expire_gt;
    else if (iequals(o, "lt")) flags |= expire_lt;
    else return c.rb.error("ERR Unsupported option " + c_string_for_error(o));
  }
  if ((flags & expire_nx) && (flags & (expire_xx | expire_gt | expire_lt)))
    return c.rb.error("ERR NX and XX, GT or LT options at the same time are not compatible");
  if ((flags & expire_gt) && (flags & expire_lt))
    return c.rb.error("ERR GT and LT options at the same time are not compatible");

  auto parsed = util::parse_int64(c.arg(2));
  if (!parsed) return c.rb.error(err::not_integer);
  std::int64_t when = *parsed;
  auto invalid = [&] { c.rb.error("ERR invalid expire time in '" + c.cmd.fullname + "' command"); };
  if (seconds) {
    if (when > llong_max / 1000 || when < llong_min / 1000) return invalid();
    when *= 1000;
  }
  if (when > llong_max - basetime) return invalid();
  when += basetime;

  auto key = c.arg(1);
  auto unchanged = [&] {
    c.prop.none();
    c.rb.integer(0);
  };
  if (!c.db.lookup_write(key)) return unchanged();
  if (flags) {
    std::int64_t cur = c.db.expire_of(key);
    if ((flags & expire_nx) && cur != -1) return unchanged();
    if ((flags & expire_xx) && cur == -1) return unchanged();
    // No expire counts as an infinite TTL: GT always fails, LT always passes.
    if ((flags & expire_gt) && (when <= cur || cur == -1)) return unchanged();
    if ((flags & expire_lt) && cur != -1 && when >= cur) return unchanged();
  }
  // AOF: the absolute deadline (PEXPIREAT), or DEL when it has already passed, as Redis 7.0.
  if (when <= now) {
    c.db.del(key);
    notify(c, pubsub::notify_generic, "del", key);
    c.prop.replace({"DEL", std::string(key)});
  } else {
    c.db.set_expire(key, when);
    notify(c, pubsub::notify_generic, "expire", key);
    c.prop.replace({"PEXPIREAT", std::string(key), std::to_string(when)});
  }
  c.rb.integer(1);
}

void cmd_expire(command_context& c) {
  auto now = util::now_ms();
  expire_generic(c, now, true, now);
}
void cmd_pexpire(command_context& c) {
  auto now = util::now_ms();
  expire_generic(c, now, false, now);
}
void cmd_expireat(command_context& c) { expire_generic(c, 0, true, util::now_ms()); }
void cmd_pexpireat(command_context& c) { expire_generic(c, 0, false, util::now_ms()); }

/// TTL PTTL EXPIRETIME PEXPIRETIME (Redis ttlGenericCommand): -2 missing, -1 no expire;
/// seconds are rounded to nearest ((ms+500)/1000), remaining time never below 0.
void ttl_generic(command_context& c, bool output_ms, bool output_abs) {
  auto key = c.arg(1);
  if (!lookup_notouch(c, key)) return c.rb.integer(-2);
  std::int64_t expire = c.db.expire_of(key);
  if (expire == -1) return c.rb.integer(-1);
  std::int64_t ttl = output_abs ? expire : expire - util::now_ms();
  if (ttl < 0) ttl = 0;
  // Unsigned so that ttl near LLONG_MAX rounds like Redis's reply instead of overflowing.
  c.rb.integer(output_ms ? ttl : static_cast<std::int64_t>((static_cast<std::uint64_t>(ttl) + 500) / 1000));
}
void cmd_ttl(command_context& c) { ttl_generic(c, false, false); }
void cmd_pttl(command_context& c) { ttl_generic(c, true, false); }
void cmd_expiretime(command_context& c) { ttl_generic(c, false, true); }
void cmd_pexpiretime(command_context& c) { ttl_generic(c, true, true); }

void cmd_persist(command_context& c) {
  auto key = c.arg(1);
  bool changed = c.db.lookup_write(key) && c.db.persist(key);
  if (!changed) c.prop.none();
  else notify(c, pubsub::notify_generic, "persist", key);
  c.rb.integer(changed ? 1 : 0);
}

// OBJECT subcommands: a missing key replies a null bulk (Redis objectCommandLookupOrReply).

void cmd_object_encoding(command_context& c) {
  value* v = lookup_notouch(c, c.arg(2));
  if (!v) return c.rb.null();
  c.rb.bulk(v->encoding());
}

/// Redis shares the objects for integers 0..9999 (refcount INT_MAX) unless maxmemory is set
/// with an LRU/LFU policy (MAXMEMORY_FLAG_NO_SHARED_INTEGERS); every other value has 1.
void cmd_object_refcount(command_context& c) {
  value* v = lookup_notouch(c, c.arg(2));
  if (!v) return c.rb.null();
  bool sharing = c.server.config.maxmemory.load() == 0 || !(lfu_policy(c) || lru_policy(c));
  if (sharing && v->is_string() && v->encoding() == "int") {
    auto n = util::parse_int64(v->str());
    if (n && *n >= 0 && *n < shared_integers) return c.rb.integer(shared_refcount);
  }
  c.rb.integer(1);
}

void cmd_object_idletime(command_context& c) {
  value* v = lookup_notouch(c, c.arg(2));
  if (!v) return c.rb.null();
  if (lfu_policy(c))
    return c.rb.error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
        "between policies at runtime LRU and LFU data will take some time to adjust.");
  c.rb.integer(static_cast<std::int64_t>(store::lru_idle_ms(v->lru(), util::now_ms()) / 1000));
}

/// The key's LFU counter, decayed by the minutes it was idle (Redis LFUDecrAndReturn).
void cmd_object_freq(command_context& c) {
  value* v = lookup_notouch(c, c.arg(2));
  if (!v) return c.rb.null();
  if (!lfu_policy(c))
    return c.rb.error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  c.rb.integer(store::lfu_decr_and_return(v->lru(), c.server.config.lfu_decay_time.load(), util::now_ms()));
}

void cmd_object_help(command_context& c) {
  static constexpr std::string_view lines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  reply_help(c.rb, lines);
}

}  // namespace

void register_keyspace_family(command_table& t) {
  // {name, arity, flags, first_key, last_key, key_step, handler, acl} from Redis 7.0
  // COMMAND INFO; f_global_lock marks commands without fixed keys or spanning databases.
  t.add({"del", -2, f_write, 1, -1, 1, cmd_del, "keyspace write slow"});
  t.add({"unlink", -2, f_write | f_fast, 1, -1, 1, cmd_del, "keyspace write fast"});
  t.add({"exists", -2, f_readonly | f_fast, 1, -1, 1, cmd_exists, "keyspace read fast"});
  t.add({"type", 2, f_readonly | f_fast, 1, 1, 1, cmd_type, "keyspace read fast"});
  t.add({"touch", -2, f_readonly | f_fast, 1, -1, 1, cmd_touch, "keyspace read fast"});
  t.add({"keys", 2, f_readonly | f_global_lock, 0, 0, 0, cmd_keys, "keyspace read slow dangerous"});
  t.add({"scan", -2, f_readonly | f_global_lock, 0, 0, 0, cmd_scan, "keyspace read slow"});
  t.add({"randomkey", 1, f_readonly | f_global_lock, 0, 0, 0, cmd_randomkey, "keyspace read slow"});
  t.add({"rename", 3, f_write, 1, 2, 1, cmd_rename, "keyspace write slow"});
  t.add({"renamenx", 3, f_write | f_fast, 1, 2, 1, cmd_renamenx, "keyspace write fast"});
  t.add({"copy", -3, f_write | f_denyoom | f_global_lock, 1, 2, 1, cmd_copy, "keyspace write slow"});
  t.add({"move", 3, f_write | f_fast | f_global_lock, 1, 1, 1, cmd_move, "keyspace write fast"});
  t.add({"dbsize", 1, f_readonly | f_fast | f_global_lock, 0, 0, 0, cmd_dbsize, "keyspace read fast"});
  t.add({"flushdb", -1, f_write | f_global_lock, 0, 0, 0, cmd_flushdb, "keyspace write slow dangerous"});
  t.add({"flushall", -1, f_write | f_global_lock, 0, 0, 0, cmd_flushall, "keyspace write slow dangerous"});
  t.add({"swapdb", 3, f_write | f_fast | f_global_lock, 0, 0, 0, cmd_swapdb, "keyspace write fast dangerous"});
  t.add({"expire", -3, f_write | f_fast, 1, 1, 1, cmd_expire, "keyspace write fast"});
  t.add({"pexpire", -3, f_write | f_fast, 1, 1, 1, cmd_pexpire, "keyspace write fast"});
  t.add({"expireat", -3, f_write | f_fast, 1, 1, 1, cmd_expireat, "keyspace write fast"});
  t.add({"pexpireat", -3, f_write | f_fast, 1, 1, 1, cmd_pexpireat, "keyspace write fast"});
  t.add({"ttl", 2, f_readonly | f_fast, 1, 1, 1, cmd_ttl, "keyspace read fast"});
  t.add({"pttl", 2, f_readonly | f_fast, 1, 1, 1, cmd_pttl, "keyspace read fast"});
  t.add({"expiretime", 2, f_readonly | f_fast, 1, 1, 1, cmd_expiretime, "keyspace read fast"});
  t.add({"pexpiretime", 2, f_readonly | f_fast, 1, 1, 1, cmd_pexpiretime, "keyspace read fast"});
  t.add({"persist", 2, f_write | f_fast, 1, 1, 1, cmd_persist, "keyspace write fast"});

  auto& object = t.add({"object", -2, 0, 0, 0, 0, nullptr, "slow"});
  t.add_sub(object, {"encoding", 3, f_readonly, 2, 2, 1, cmd_object_encoding, "keyspace read slow"});
  t.add_sub(object, {"freq", 3, f_readonly, 2, 2, 1, cmd_object_freq, "keyspace read slow"});
  t.add_sub(object, {"help", 2, f_loading | f_stale, 0, 0, 0, cmd_object_help, "keyspace slow"});
  t.add_sub(object, {"idletime", 3, f_readonly, 2, 2, 1, cmd_object_idletime, "keyspace read slow"});
  t.add_sub(object, {"refcount", 3, f_readonly, 2, 2, 1, cmd_object_refcount, "keyspace read slow"});
}

}  // namespace kvd::command
