// The STRING command family, Redis 7.0 semantics (src/t_string.c): GET SET SETNX SETEX PSETEX
// GETSET GETDEL GETEX MGET MSET MSETNX APPEND STRLEN GETRANGE SUBSTR SETRANGE INCR DECR INCRBY
// DECRBY INCRBYFLOAT LCS. Layout per STYLE.md "A family file": store ops (reply-agnostic), then
// the cmd_* handlers, then the registration rows.
//
// Every op runs with the shard locks of its keys held by the dispatcher; string_views an op
// returns point into the stored value and stay valid until the handler returns or the key is
// written again, so handlers reply from them before any later write.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvd/command/command_table.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/notify.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

using store::database;
using store::value;

// ============================================================================================
// (1) Store ops
// ============================================================================================

using opt_view = std::optional<std::string_view>;

inline constexpr std::string_view err_nan = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view err_offset = "ERR offset is out of range";
inline constexpr std::string_view err_decr_overflow = "ERR decrement would overflow";
inline constexpr std::string_view err_lcs_type = "ERR The specified keys must contain string values";
inline constexpr std::string_view err_lcs_both = "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr std::string_view err_lcs_too_long = "ERR String too long for LCS";
inline constexpr std::string_view err_lcs_memory =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";

/// GET, GETSET, GETDEL, GETEX, SET..GET: the string at `key` (nullopt when absent), or
/// WRONGTYPE. Counts keyspace hits/misses (Redis lookupKeyReadOrReply).
op_result<opt_view> op_get(database& db, std::string_view key) {
  const value* v = db.lookup_read(key);
  if (!v) return opt_view{};
  if (!v->is_string()) return op_status::wrong_type;
  return opt_view{v->str()};
}

/// SET's conditions and expire, already validated.
struct set_params {
  bool nx = false, xx = false, keep_ttl = false;
  std::int64_t expire_at_ms = -1;  ///< absolute Unix ms, -1 = none
};

/// SET, SETNX, SETEX, PSETEX, GETSET, MSET: stores `val` at `key` unless NX/XX forbid it;
/// returns whether it stored. Any old TTL is dropped unless keep_ttl. An expire already in
/// the past is stored as is, so the key reads as absent from now on (as Redis 7.0 does).
bool op_set(database& db, std::string_view key, std::string_view val, const set_params& p) {
  // Always look up first: a logically expired key must be gone before NX/XX and KEEPTTL
  // decide (Redis setGenericCommand's lookupKeyWrite).
  value* v = db.lookup_write(key);
  if ((p.nx && v) || (p.xx && !v)) return false;
  if (v) {
    v->set_string(val);  // in place: keeps the node, LRU and the expire flag
    if (!p.keep_ttl && v->has_expire()) db.persist(key);
  } else {
    db.add(key, value::make_string(val));
  }
  if (p.expire_at_ms >= 0) db.set_expire(key, p.expire_at_ms);
  return true;
}

/// GETDEL: deletes `key` (after op_get replied its value).
void op_del(database& db, std::string_view key) { db.del(key); }

/// What GETEX does to the TTL of an existing key.
struct getex_params {
  bool persist = false;
  bool absolute = false;           ///< EXAT/PXAT: a time in the past deletes the key
  std::int64_t expire_at_ms = -1;  ///< -1 = leave the TTL alone
};

/// GETEX after its reply: sets or removes the TTL of existing `key`, or deletes it when an
/// absolute expire has already passed (Redis checkAlreadyExpired).
void op_getex_apply(database& db, std::string_view key, const getex_params& p) {
  if (p.expire_at_ms >= 0) {
    if (p.absolute && p.expire_at_ms <= util::now_ms()) db.del(key);
    else db.set_expire(key, p.expire_at_ms);
  } else if (p.persist) {
    db.persist(key);
  }
}

/// MSETNX: true when none of the keys args[1], args[3], ... exists.
bool op_none_exist(database& db, args_view args) {
  for (std::size_t i = 1; i < args.size(); i += 2)
    if (db.lookup_write(args[i])) return false;
  return true;
}

/// A long double with Redis 7.0 string2ld's rules. util::parse_long_double lets strtold stop
/// at an embedded NUL ("1\0x" would read as 1); string2ld rejects that, so do we.
std::optional<long double> parse_long_double(std::string_view s) noexcept {
  if (s.find('\0') != std::string_view::npos) return std::nullopt;
  return util::parse_long_double(s);
}

/// INCR, DECR, INCRBY, DECRBY: adds `delta` to the integer at `key` (0 when absent), keeping
/// its TTL; returns the new value. Errors: WRONGTYPE, not an integer, overflow.
op_result<std::int64_t> op_incrby(database& db, std::string_view key, std::int64_t delta) {
  value* v = db.lookup_write(key);
  std::int64_t cur = 0;
  if (v) {
    if (!v->is_string()) return op_status::wrong_type;
    auto p = util::parse_int64(v->str());
    if (!p) return op_status::not_integer;
    cur = *p;
  }
  if ((delta < 0 && cur < 0 && delta < std::numeric_limits<std::int64_t>::min() - cur) ||
      (delta > 0 && cur > 0 && delta > std::numeric_limits<std::int64_t>::max() - cur))
    return op_status::overflow;
  cur += delta;
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, cur);
  std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  if (v) v->set_string(text);
  else db.add(key, value::make_string(text));
  return cur;
}

/// INCRBYFLOAT: adds the long double `incr` text to the number at `key` (0 when absent),
/// keeping its TTL; stores and returns Redis's human format ("%.17Lf", trailing zeros cut).
/// The stored value is checked before the increment, as Redis does. Errors: WRONGTYPE,
/// not a valid float, NaN or Infinity.
op_result<std::string_view> op_incrbyfloat(database& db, std::string_view key, std::string_view incr) {
  value* v = db.lookup_write(key);
  long double cur = 0;
  if (v) {
    if (!v->is_string()) return op_status::wrong_type;
    auto p = parse_long_double(v->str());
    if (!p) return op_status::not_float;
    cur = *p;
  }
  auto inc = parse_long_double(incr);
  if (!inc) return op_status::not_float;
  cur += *inc;
  if (std::isnan(cur) || std::isinf(cur)) return op_result<std::string_view>::failure(err_nan);
  std::string text = util::format_long_double_human(cur);
  if (!v) v = &db.add(key, value::make_string(text));
  else v->set_string(text);
  v->mark_not_int();  // Redis stores the result as a plain string object: "embstr", not "int"
  return v->str();
}

/// Fails with the proto-max-bulk-len error when size + append exceeds `max` bytes
/// (Redis checkStringLength).
bool string_length_ok(std::int64_t size, std::int64_t append, std::int64_t max) {
  auto total = static_cast<std::int64_t>(static_cast<std::uint64_t>(size) + static_cast<std::uint64_t>(append));
  return !(total > max || total < size || total < append);
}

/// APPEND: appends `tail` to the string at `key` (creating it), keeping its TTL; returns the
/// new length in bytes. Errors: WRONGTYPE, string exceeds `max` bytes.
op_result<std::size_t> op_append(database& db, std::string_view key, std::string_view tail, std::int64_t max) {
  value* v = db.lookup_write(key);
  if (!v) return db.add(key, value::make_string(tail)).str().size();
  if (!v->is_string()) return op_status::wrong_type;
  if (!string_length_ok(static_cast<std::int64_t>(v->str().size()), static_cast<std::int64_t>(tail.size()), max))
    return op_status::string_too_long;
  auto& s = v->mutable_str();
  s.append(tail);
  return s.size();
}

/// SETRANGE: overwrites the string at `key` from byte `offset` (>= 0) with `part`, padding
/// with zero bytes, keeping its TTL; returns the new length. An empty `part` changes nothing
/// (and creates nothing). Errors: WRONGTYPE, string exceeds `max` bytes.
op_result<std::size_t> op_setrange(database& db, std::string_view key, std::int64_t offset, std::string_view part,
                                   std::int64_t max) {
  value* v = db.lookup_write(key);
  if (v && !v->is_string()) return op_status::wrong_type;
  if (part.empty()) return v ? v->str().size() : std::size_t{0};
  if (!string_length_ok(offset, static_cast<std::int64_t>(part.size()), max)) return op_status::string_too_long;
  if (!v) v = &db.add(key, value::make_string(std::string_view("", 0)));  // non-null data for memcpy
  auto& s = v->mutable_str();
  auto end = static_cast<std::size_t>(offset) + part.size();
  if (s.size() < end) s.resize(end);
  std::memcpy(s.data() + offset, part.data(), part.size());
  return s.size();
}

/// GETRANGE, SUBSTR: bytes start..end (inclusive; negative counts from the end) of the
/// string at `key`; empty when absent or the range is empty. Error: WRONGTYPE.
op_result<std::string_view> op_getrange(database& db, std::string_view key, std::int64_t start, std::int64_t end) {
  const value* v = db.lookup_read(key);
  if (!v) return std::string_view{};
  if (!v->is_string()) return op_status::wrong_type;
  std::string_view s = v->str();
  auto len = static_cast<std::int64_t>(s.size());
  // Redis 7.0 getrangeCommand, clause by clause.
  if (start < 0 && end < 0 && start > end) return std::string_view{};
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return std::string_view{};
  return s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start + 1));
}

/// STRLEN: length in bytes of the string at `key` (0 when absent). Error: WRONGTYPE.
op_result<std::size_t> op_strlen(database& db, std::string_view key) {
  const value* v = db.lookup_read(key);
  if (!v) return std::size_t{0};
  if (!v->is_string()) return op_status::wrong_type;
  return v->str().size();
}

/// One LCS match: byte ranges (inclusive) in the first and second string.
struct lcs_range {
  std::uint32_t a_start, a_end, b_start, b_end;
};

/// LCS result: the subsequence text (when asked), its length, and the matches (IDX).
struct lcs_out {
  std::string text;
  std::uint32_t len = 0;
  std::vector<lcs_range> ranges;
};

/// LCS: longest common subsequence of the strings at `ka` and `kb` (absent = ""), with the
/// dynamic-programming table of Redis 7.0 lcsCommand and the same backward walk, so the
/// text and the ranges (last match first) are Redis's. `want_text`/`want_ranges` select what
/// to build; ranges shorter than `min_len` are skipped. The table may use at most `max_bytes`.
op_result<lcs_out> op_lcs(std::string_view a, std::string_view b, bool want_text, bool want_ranges,
                          std::int64_t min_len, std::int64_t max_bytes) {
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) return op_result<lcs_out>::failure(err_lcs_too_long);
  auto alen = static_cast<std::uint32_t>(a.size()), blen = static_cast<std::uint32_t>(b.size());
  unsigned long long cells = static_cast<unsigned long long>(alen + 1ULL) * (blen + 1ULL);
  unsigned long long bytes = cells * sizeof(std::uint32_t);
  if (bytes / cells != sizeof(std::uint32_t) || bytes > static_cast<unsigned long long>(max_bytes))
    return op_result<lcs_out>::failure(err_lcs_memory);
  std::vector<std::uint32_t> table(static_cast<std::size_t>(cells), 0);
  auto at = [&](std::uint32_t i, std::uint32_t j) -> std::uint32_t& {
    return table[static_cast<std::size_t>(j) + static_cast<std::size_t>(i) * (blen + 1)];
  };
  for (std::uint32_t i = 1; i <= alen; ++i)
    for (std::uint32_t j = 1; j <= blen; ++j)
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));

  lcs_out out;
  out.len = at(alen, blen);
  if (!want_text && !want_ranges) return out;
  std::uint32_t idx = out.len;
  out.text.resize(idx);
  std::uint32_t as = alen, ae = 0, bs = 0, be = 0;  // as == alen: no range open
  std::uint32_t i = alen, j = blen;
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      out.text[idx - 1] = a[i - 1];
      if (as == alen) {
        as = ae = i - 1;
        bs = be = j - 1;
      } else if (as == i && bs == j) {  // contiguous: extend the range backwards
        --as;
        --bs;
      } else {
        emit = true;
      }
      if (as == 0 || bs == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) --i;
      else --j;
      if (as != alen) emit = true;
    }
    if (emit) {
      std::uint32_t match_len = ae - as + 1;
      if (want_ranges && (min_len == 0 || match_len >= min_len)) out.ranges.push_back({as, ae, bs, be});
      as = alen;
    }
  }
  if (!want_text) out.text.clear();
  return out;
}

// ============================================================================================
// (2) Handlers
// ============================================================================================

/// Nil bulk when absent, else the bulk string.
void reply_opt(protocol::reply_builder& rb, const opt_view& v) {
  if (v) rb.bulk(*v);
  else rb.null();
}

/// "ERR invalid expire time in '<cmd>' command" (Redis addReplyErrorExpireTime).
void reply_invalid_expire(command_context& c) {
  std::string msg = "ERR invalid expire time in '";
  msg += c.cmd.fullname;
  msg += "' command";
  c.rb.error(msg);
}

/// An option word as Redis's C-string comparisons see it: up to the first NUL byte
/// (so "NX\0junk" is NX there, and here too).
std::string_view option_word(std::string_view arg) noexcept { return arg.substr(0, arg.find('\0')); }

// Flags of SET and GETEX options (Redis OBJ_* in server.h).
enum ext_flag : unsigned {
  x_nx = 1u << 0,
  x_xx = 1u << 1,
  x_ex = 1u << 2,
  x_px = 1u << 3,
  x_keepttl = 1u << 4,
  x_get = 1u << 5,
  x_exat = 1u << 6,
  x_pxat = 1u << 7,
  x_persist = 1u << 8,
};

struct ext_args {
  unsigned flags = 0;
  std::string_view expire;  ///< the EX/PX/EXAT/PXAT argument (empty when none given)
};

/// SET (is_set) and GETEX options from args[first...], with the exclusions of Redis 7.0
/// parseExtendedStringArgumentsOrReply: NX/XX exclude each other, EX/PX/EXAT/PXAT/KEEPTTL/
/// PERSIST exclude each other (a repeated option is accepted, the last value wins), GET and
/// NX may combine. Returns false on a syntax error.
bool parse_ext_args(args_view args, std::size_t first, bool is_set, ext_args& out) {
  unsigned& f = out.flags;
  constexpr unsigned ttl_any = x_ex | x_px | x_exat | x_pxat | x_keepttl | x_persist;
  for (std::size_t j = first; j < args.size(); ++j) {
    std::string_view opt = option_word(args[j]);
    bool has_next = j + 1 < args.size();
    auto expire_opt = [&](unsigned self) {
      if ((f & (ttl_any & ~self)) || !has_next) return false;
      f |= self;
      out.expire = args[++j];
      return true;
    };
    if (is_set && iequals(opt, "NX") && !(f & x_xx)) f |= x_nx;
    else if (is_set && iequals(opt, "XX") && !(f & x_nx)) f |= x_xx;
    else if (is_set && iequals(opt, "GET")) f |= x_get;
    else if (is_set && iequals(opt, "KEEPTTL") && !(f & (ttl_any & ~x_keepttl))) f |= x_keepttl;
    else if (!is_set && iequals(opt, "PERSIST") && !(f & (ttl_any & ~x_persist))) f |= x_persist;
    else if (iequals(opt, "EX")) { if (!expire_opt(x_ex)) return false; }
    else if (iequals(opt, "PX")) { if (!expire_opt(x_px)) return false; }
    else if (iequals(opt, "EXAT")) { if (!expire_opt(x_exat)) return false; }
    else if (iequals(opt, "PXAT")) { if (!expire_opt(x_pxat)) return false; }
    else return false;
  }
  return true;
}

enum class expire_parse { ok, not_integer, invalid };

/// Turns an expire argument into absolute Unix ms (Redis getExpireMillisecondsOrReply):
/// seconds for EX/EXAT, relative for EX/PX; non-positive or overflowing values are invalid.
expire_parse absolute_expire_ms(std::string_view arg, bool seconds, bool relative, std::int64_t& out) {
  auto v = util::parse_int64(arg);
  if (!v) return expire_parse::not_integer;
  std::int64_t ms = *v;
  if (ms <= 0 || (seconds && ms > std::numeric_limits<std::int64_t>::max() / 1000)) return expire_parse::invalid;
  if (seconds) ms *= 1000;
  if (relative && __builtin_add_overflow(ms, util::now_ms(), &ms)) return expire_parse::invalid;
  if (ms <= 0) return expire_parse::invalid;
  out = ms;
  return expire_parse::ok;
}

/// Replies the expire error and returns false, or stores the absolute expire in `out`.
bool expire_or_reply(command_context& c, std::string_view arg, bool seconds, bool relative, std::int64_t& out) {
  switch (absolute_expire_ms(arg, seconds, relative, out)) {
    case expire_parse::ok: return true;
    case expire_parse::not_integer: c.rb.error(err::not_integer); return false;
    case expire_parse::invalid: reply_invalid_expire(c); return false;
  }
  return false;
}

/// How set_generic answers when it stored / when NX or XX stopped it.
enum class set_reply { ok_or_nil, one_or_zero };

/// SET, SETNX, SETEX, PSETEX (Redis setGenericCommand): validates the expire, replies the old
/// value first when GET is given (a WRONGTYPE stops everything), then stores.
void set_generic(command_context& c, unsigned flags, std::string_view key, std::string_view val,
                 std::string_view expire_arg, set_reply kind) {
  set_params p;
  p.nx = flags & x_nx;
  p.xx = flags & x_xx;
  p.keep_ttl = flags & x_keepttl;
  if (flags & (x_ex | x_px | x_exat | x_pxat)) {
    if (!expire_or_reply(c, expire_arg, flags & (x_ex | x_exat), flags & (x_ex | x_px), p.expire_at_ms)) return;
  }
  if (flags & x_get) {
    auto old = op_get(c.db, key);
    if (!old.ok()) return c.rb.error(old.error());
    reply_opt(c.rb, old.value());
  }
  bool stored = op_set(c.db, key, val, p);
  if (stored) {
    notify(c, pubsub::notify_string, "set", key);
    if (p.expire_at_ms >= 0) notify(c, pubsub::notify_generic, "expire", key);
  }
  // AOF: nothing when NX/XX stopped it; a relative or second-resolution expire is logged as
  // an absolute PXAT (Redis 7.0 setGenericCommand), so a replay keeps the original deadline.
  if (!stored) c.prop.none();
  else if (p.expire_at_ms >= 0)
    c.prop.replace({"SET", std::string(key), std::string(val), "PXAT", std::to_string(p.expire_at_ms)});
  if (flags & x_get) return;
  if (kind == set_reply::one_or_zero) return c.rb.integer(stored ? 1 : 0);
  if (stored) c.rb.simple("OK");
  else c.rb.null();
}

void cmd_get(command_context& c) {
  auto r = op_get(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  reply_opt(c.rb, r.value());
}

void cmd_set(command_context& c) {
  ext_args ea;
  if (!parse_ext_args(c.args, 3, true, ea)) return c.rb.error(err::syntax);
  set_generic(c, ea.flags, c.arg(1), c.arg(2), ea.expire, set_reply::ok_or_nil);
}

void cmd_setnx(command_context& c) { set_generic(c, x_nx, c.arg(1), c.arg(2), {}, set_reply::one_or_zero); }

void cmd_setex(command_context& c) { set_generic(c, x_ex, c.arg(1), c.arg(3), c.arg(2), set_reply::ok_or_nil); }

void cmd_psetex(command_context& c) { set_generic(c, x_px, c.arg(1), c.arg(3), c.arg(2), set_reply::ok_or_nil); }

void cmd_getset(command_context& c) {
  auto r = op_get(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  reply_opt(c.rb, r.value());
  op_set(c.db, c.arg(1), c.arg(2), set_params{});
  notify(c, pubsub::notify_string, "set", c.arg(1));
}

void cmd_getdel(command_context& c) {
  auto r = op_get(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  reply_opt(c.rb, r.value());
  if (!r.value()) return c.prop.none();
  op_del(c.db, c.arg(1));
  notify(c, pubsub::notify_generic, "del", c.arg(1));
  c.prop.replace({"DEL", std::string(c.arg(1))});
}

void cmd_getex(command_context& c) {
  ext_args ea;
  if (!parse_ext_args(c.args, 2, false, ea)) return c.rb.error(err::syntax);
  // Redis looks the key up before validating the expire: a missing key answers nil even
  // with a bad expire.
  auto r = op_get(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value()) {
    c.prop.none();
    return c.rb.null();
  }
  getex_params p;
  p.persist = ea.flags & x_persist;
  if (ea.flags & (x_ex | x_px | x_exat | x_pxat)) {
    p.absolute = ea.flags & (x_exat | x_pxat);
    if (!expire_or_reply(c, ea.expire, ea.flags & (x_ex | x_exat), !p.absolute, p.expire_at_ms)) return;
  }
  c.rb.bulk(*r.value());
  bool had_ttl = p.persist && c.db.expire_of(c.arg(1)) >= 0;
  op_getex_apply(c.db, c.arg(1), p);
  if (p.expire_at_ms >= 0)
    notify(c, pubsub::notify_generic, p.absolute && p.expire_at_ms <= util::now_ms() ? "del" : "expire", c.arg(1));
  else if (had_ttl)
    notify(c, pubsub::notify_generic, "persist", c.arg(1));
  // AOF: GETEX is logged as what it did to the key (Redis 7.0 getexCommand).
  std::string key(c.arg(1));
  if (p.expire_at_ms >= 0) {
    if (p.absolute && p.expire_at_ms <= util::now_ms()) c.prop.replace({"DEL", key});
    else c.prop.replace({"PEXPIREAT", key, std::to_string(p.expire_at_ms)});
  } else if (p.persist) {
    c.prop.replace({"PERSIST", key});
  } else {
    c.prop.none();
  }
}

void cmd_mget(command_context& c) {
  c.rb.array(c.argc() - 1);
  for (std::size_t i = 1; i < c.argc(); ++i) {
    const value* v = c.db.lookup_read(c.arg(i));
    if (v && v->is_string()) c.rb.bulk(v->str());
    else c.rb.null();
  }
}

/// MSET, MSETNX (Redis msetGenericCommand): an odd number of key/value arguments is an
/// arity error; MSETNX stores nothing when any key exists.
void mset_generic(command_context& c, bool nx) {
  if (c.argc() % 2 == 0) {
    std::string msg = "ERR wrong number of arguments for '";
    msg += c.cmd.fullname;
    msg += "' command";
    return c.rb.error(msg);
  }
  if (nx && !op_none_exist(c.db, c.args)) {
    c.prop.none();
    return c.rb.integer(0);
  }
  for (std::size_t i = 1; i < c.argc(); i += 2) {
    op_set(c.db, c.arg(i), c.arg(i + 1), set_params{});
    notify(c, pubsub::notify_string, "set", c.arg(i));
  }
  if (nx) c.rb.integer(1);
  else c.rb.simple("OK");
}

void cmd_mset(command_context& c) { mset_generic(c, false); }
void cmd_msetnx(command_context& c) { mset_generic(c, true); }

void cmd_append(command_context& c) {
  auto r = op_append(c.db, c.arg(1), c.arg(2), c.server.config.proto_max_bulk_len.load(std::memory_order_relaxed));
  if (!r.ok()) return c.rb.error(r.error());
  notify(c, pubsub::notify_string, "append", c.arg(1));
  c.rb.integer(static_cast<std::int64_t>(r.value()));
}

void cmd_strlen(command_context& c) {
  auto r = op_strlen(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.integer(static_cast<std::int64_t>(r.value()));
}

/// GETRANGE and SUBSTR.
void cmd_getrange(command_context& c) {
  auto start = util::parse_int64(c.arg(2));
  auto end = util::parse_int64(c.arg(3));
  if (!start || !end) return c.rb.error(err::not_integer);
  auto r = op_getrange(c.db, c.arg(1), *start, *end);
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.bulk(r.value());
}

void cmd_setrange(command_context& c) {
  auto offset = util::parse_int64(c.arg(2));
  if (!offset) return c.rb.error(err::not_integer);
  if (*offset < 0) return c.rb.error(err_offset);
  auto r = op_setrange(c.db, c.arg(1), *offset, c.arg(3),
                       c.server.config.proto_max_bulk_len.load(std::memory_order_relaxed));
  if (!r.ok()) return c.rb.error(r.error());
  if (!c.arg(3).empty()) notify(c, pubsub::notify_string, "setrange", c.arg(1));
  c.rb.integer(static_cast<std::int64_t>(r.value()));
}

/// INCR, DECR, INCRBY, DECRBY after their delta is known.
void incr_generic(command_context& c, std::int64_t delta) {
  auto r = op_incrby(c.db, c.arg(1), delta);
  if (!r.ok()) return c.rb.error(r.error());
  notify(c, pubsub::notify_string, "incrby", c.arg(1));
  c.rb.integer(r.value());
}

void cmd_incr(command_context& c) { incr_generic(c, 1); }
void cmd_decr(command_context& c) { incr_generic(c, -1); }

void cmd_incrby(command_context& c) {
  auto d = util::parse_int64(c.arg(2));
  if (!d) return c.rb.error(err::not_integer);
  incr_generic(c, *d);
}

void cmd_decrby(command_context& c) {
  auto d = util::parse_int64(c.arg(2));
  if (!d) return c.rb.error(err::not_integer);
  if (*d == std::numeric_limits<std::int64_t>::min()) return c.rb.error(err_decr_overflow);
  incr_generic(c, -*d);
}

void cmd_incrbyfloat(command_context& c) {
  auto r = op_incrbyfloat(c.db, c.arg(1), c.arg(2));
  if (!r.ok()) return c.rb.error(r.error());
  notify(c, pubsub::notify_string, "incrbyfloat", c.arg(1));
  c.rb.bulk(r.value());  // a bulk string in RESP3 too (Redis addReplyBulk)
  // AOF: the result, not the increment, so float rounding cannot drift on replay.
  c.prop.replace({"SET", std::string(c.arg(1)), std::string(r.value()), "KEEPTTL"});
}

void cmd_lcs(command_context& c) {
  const value* va = c.db.lookup_read(c.arg(1));
  const value* vb = c.db.lookup_read(c.arg(2));
  if ((va && !va->is_string()) || (vb && !vb->is_string())) return c.rb.error(err_lcs_type);
  bool idx = false, len = false, withmatchlen = false;
  std::int64_t min_len = 0;
  for (std::size_t j = 3; j < c.argc(); ++j) {
    std::string_view opt = option_word(c.arg(j));
    bool more = j + 1 < c.argc();
    if (iequals(opt, "IDX")) idx = true;
    else if (iequals(opt, "LEN")) len = true;
    else if (iequals(opt, "WITHMATCHLEN")) withmatchlen = true;
    else if (iequals(opt, "MINMATCHLEN") && more) {
      auto m = util::parse_int64(c.arg(++j));
      if (!m) return c.rb.error(err::not_integer);
      min_len = *m < 0 ? 0 : *m;
    } else {
      return c.rb.error(err::syntax);
    }
  }
  if (idx && len) return c.rb.error(err_lcs_both);
  auto r = op_lcs(va ? va->str() : std::string_view{}, vb ? vb->str() : std::string_view{}, !idx && !len, idx,
                  min_len, c.server.config.proto_max_bulk_len.load(std::memory_order_relaxed));
  if (!r.ok()) return c.rb.error(r.error());
  const lcs_out& o = r.value();
  if (len) return c.rb.integer(o.len);
  if (!idx) return c.rb.bulk(o.text);
  c.rb.map(2);
  c.rb.bulk("matches");
  c.rb.array(o.ranges.size());
  for (const auto& m : o.ranges) {
    c.rb.array(withmatchlen ? 3 : 2);
    c.rb.array(2);
    c.rb.integer(m.a_start);
    c.rb.integer(m.a_end);
    c.rb.array(2);
    c.rb.integer(m.b_start);
    c.rb.integer(m.b_end);
    if (withmatchlen) c.rb.integer(m.a_end - m.a_start + 1);
  }
  c.rb.bulk("len");
  c.rb.integer(o.len);
}

}  // namespace

// ============================================================================================
// (3) Registration: Redis 7.0 COMMAND INFO (arity, flags, first/last/step, ACL categories).
// ============================================================================================

void register_string_family(command_table& t) {
  constexpr std::uint32_t w_oom = f_write | f_denyoom;
  t.add({"get", 2, f_readonly | f_fast, 1, 1, 1, cmd_get, "read string fast"});
  t.add({"set", -3, w_oom, 1, 1, 1, cmd_set, "write string slow"});
  t.add({"setnx", 3, w_oom | f_fast, 1, 1, 1, cmd_setnx, "write string fast"});
  t.add({"setex", 4, w_oom, 1, 1, 1, cmd_setex, "write string slow"});
  t.add({"psetex", 4, w_oom, 1, 1, 1, cmd_psetex, "write string slow"});
  t.add({"getset", 3, w_oom | f_fast, 1, 1, 1, cmd_getset, "write string fast"});
  t.add({"getdel", 2, f_write | f_fast, 1, 1, 1, cmd_getdel, "write string fast"});
  t.add({"getex", -2, f_write | f_fast, 1, 1, 1, cmd_getex, "write string fast"});
  t.add({"mget", -2, f_readonly | f_fast, 1, -1, 1, cmd_mget, "read string fast"});
  t.add({"mset", -3, w_oom, 1, -1, 2, cmd_mset, "write string slow"});
  t.add({"msetnx", -3, w_oom, 1, -1, 2, cmd_msetnx, "write string slow"});
  t.add({"append", 3, w_oom | f_fast, 1, 1, 1, cmd_append, "write string fast"});
  t.add({"strlen", 2, f_readonly | f_fast, 1, 1, 1, cmd_strlen, "read string fast"});
  t.add({"getrange", 4, f_readonly, 1, 1, 1, cmd_getrange, "read string slow"});
  t.add({"substr", 4, f_readonly, 1, 1, 1, cmd_getrange, "read string slow"});
  t.add({"setrange", 4, w_oom, 1, 1, 1, cmd_setrange, "write string slow"});
  t.add({"incr", 2, w_oom | f_fast, 1, 1, 1, cmd_incr, "write string fast"});
  t.add({"decr", 2, w_oom | f_fast, 1, 1, 1, cmd_decr, "write string fast"});
  t.add({"incrby", 3, w_oom | f_fast, 1, 1, 1, cmd_incrby, "write string fast"});
  t.add({"decrby", 3, w_oom | f_fast, 1, 1, 1, cmd_decrby, "write string fast"});
  t.add({"incrbyfloat", 3, w_oom | f_fast, 1, 1, 1, cmd_incrbyfloat, "write string fast"});
  t.add({"lcs", -3, f_readonly, 1, 2, 1, cmd_lcs, "read string slow"});
}

}  // namespace kvd::command
