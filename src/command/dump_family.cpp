// DUMP and RESTORE (Redis 7.0 src/cluster.c dumpCommand, restoreCommand). The payload is
// Redis's: an RDB object (type byte + value), the RDB version (2 bytes LE) and a CRC64 (8
// bytes LE) of everything before it; the codec is the RDB file's own (persist/rdb.hpp), so
// values move between kvd and Redis 7.0 both ways.
//
// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
// - a relative ttl reaches the AOF as the absolute time it gave (the argv is rewritten to
//   `... <unix ms> ... ABSTTL`, as Redis 7.0 propagates it), so a replay does not extend it;
// - a ttl already in the past creates nothing; with REPLACE it deletes the old key and logs
//   DEL (Redis checkAlreadyExpired);
// - IDLETIME sets the value's LRU clock (OBJECT IDLETIME reports it) unless an LFU policy is
//   selected; FREQ, under an LFU policy, sets its LFU counter (OBJECT FREQ reports it).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/command/command_table.hpp"
#include "kvd/command/persistence.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/persist/rdb.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/store/lru.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

using store::value;

/// RESTORE's options after the three fixed arguments; -1 means "not given".
struct restore_opts {
  bool replace = false;
  bool absttl = false;
  std::int64_t idletime = -1;  ///< seconds
  std::int64_t freq = -1;      ///< 0..255
};

bool lfu_policy(const command_context& c) {
  return c.server.config.maxmemory_policy_code.load(std::memory_order_relaxed) & config::policy_flag_lfu;
}

// ---- Store ops ----

/// The DUMP payload of `key`, or nullopt when it is absent (lookupKeyRead: counts a hit or
/// miss and touches the LRU).
std::optional<std::string> op_dump(command_context& c, std::string_view key) {
  value* v = c.db.lookup_read(key);
  if (!v) return std::nullopt;
  return persist::dump_payload(*v, c.server.config.rdbcompression.load());
}

/// Redis objectSetLRUOrLFU for a restored value: under an LFU policy FREQ sets the counter;
/// otherwise IDLETIME moves the LRU clock back. The other option is ignored.
void set_lru_or_lfu(command_context& c, value& v, const restore_opts& o) {
  std::int64_t now = util::now_ms();
  if (lfu_policy(c)) {
    if (o.freq >= 0) v.set_lru(store::lfu_from_freq(static_cast<std::uint32_t>(o.freq), now));
  } else if (o.idletime >= 0) {
    v.set_lru(store::lru_from_idle(o.idletime, now));
  }
}

// ---- Handlers ----

void cmd_dump(command_context& c) {
  auto p = op_dump(c, c.arg(1));
  if (!p) return c.rb.null();
  c.rb.bulk(*p);
}

/// Parses REPLACE ABSTTL IDLETIME FREQ as restoreCommand does (IDLETIME and FREQ exclude each
/// other: the second is a syntax error). Replies the error and returns false on failure.
bool parse_restore_opts(command_context& c, restore_opts& o) {
  for (std::size_t j = 4; j < c.argc(); ++j) {
    std::size_t additional = c.argc() - j - 1;
    auto a = c.arg(j);
    if (iequals(a, "replace")) {
      o.replace = true;
    } else if (iequals(a, "absttl")) {
      o.absttl = true;
    } else if (iequals(a, "idletime") && additional >= 1 && o.freq == -1) {
      auto v = util::parse_int64(c.arg(++j));
      if (!v) return c.rb.error(err::not_integer), false;
      if (*v < 0) return c.rb.error("ERR Invalid IDLETIME value, must be >= 0"), false;
      o.idletime = *v;
    } else if (iequals(a, "freq") && additional >= 1 && o.idletime == -1) {
      auto v = util::parse_int64(c.arg(++j));
      if (!v) return c.rb.error(err::not_integer), false;
      if (*v < 0 || *v > 255) return c.rb.error("ERR Invalid FREQ value, must be >= 0 and <= 255"), false;
      o.freq = *v;
    } else {
      return c.rb.error(err::syntax), false;
    }
  }
  return true;
}

void cmd_restore(command_context& c) {
  restore_opts o;
  if (!parse_restore_opts(c, o)) return;
  std::string_view key = c.arg(1);
  // Redis checks, in this order: the key, the TTL, then the payload.
  if (!o.replace && c.db.lookup_write(key)) return c.rb.error("BUSYKEY Target key name already exists.");
  auto ttl_arg = util::parse_int64(c.arg(2));
  if (!ttl_arg) return c.rb.error(err::not_integer);
  if (*ttl_arg < 0) return c.rb.error("ERR Invalid TTL value, must be >= 0");
  value v;
  // Values are built with the server's current *-max-listpack-* limits, as Redis's rdbLoadObject.
  switch (persist::restore_payload(c.arg(3), rdb_limits(c.server), v)) {
    case persist::payload_status::ok: break;
    case persist::payload_status::bad_version_or_checksum:
      return c.rb.error("ERR DUMP payload version or checksum are wrong");
    case persist::payload_status::bad_format: return c.rb.error("ERR Bad data format");
  }

  bool deleted = o.replace && c.db.del(key);
  std::int64_t now = util::now_ms();
  std::int64_t ttl = *ttl_arg;
  // Redis adds mstime() to the relative TTL in long long; an absurd TTL wraps negative and
  // counts as already expired there, so wrap the same way (no signed overflow here).
  if (ttl && !o.absttl) ttl = static_cast<std::int64_t>(static_cast<std::uint64_t>(ttl) + static_cast<std::uint64_t>(now));
  if (ttl && ttl <= now) {
    // checkAlreadyExpired: nothing is created; an old key that REPLACE removed is a DEL.
    if (deleted) c.prop.replace({"DEL", std::string(key)});
    else c.prop.none();
    return c.rb.simple("OK");
  }
  // set(), not add(): a key that is expired but not reclaimed yet may still hold the slot.
  value& stored = c.db.set(key, std::move(v));
  if (ttl) {
    c.db.set_expire(key, ttl);
    if (!o.absttl) {
      // Propagate the TTL as the absolute time it gave (Redis 7.0 restoreCommand).
      std::vector<std::string> argv(c.args.begin(), c.args.end());
      argv[2] = std::to_string(ttl);
      argv.emplace_back("ABSTTL");
      c.prop.replace(std::move(argv));
    }
  }
  set_lru_or_lfu(c, stored, o);
  c.rb.simple("OK");
}

}  // namespace

void register_dump_family(command_table& t) {
  // {name, arity, flags, first_key, last_key, key_step, handler, acl} from Redis 7.0 COMMAND INFO.
  t.add({"dump", 2, f_readonly, 1, 1, 1, cmd_dump, "keyspace read slow"});
  t.add({"restore", -4, f_write | f_denyoom, 1, 1, 1, cmd_restore, "keyspace write slow dangerous"});
}

}  // namespace kvd::command
