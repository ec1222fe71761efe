// The SORTED SET command family, Redis 7.0 semantics (src/t_zset.c): ZADD ZINCRBY ZREM ZCARD
// ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZREVRANGE ZRANGEBYSCORE
// ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP BZPOPMIN BZPOPMAX BZMPOP
// ZRANDMEMBER ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD (sets are
// accepted as their inputs, each member with score 1)
// ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZSCAN.
// Layout per STYLE.md "A family file": store ops and helpers, then the cmd_* handlers, then the
// registration rows. Every handler runs with the shard locks of its keys held.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "kvd/command/blocking.hpp"
#include "kvd/command/client_context.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/scan_args.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/notify.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/store/set.hpp"
#include "kvd/store/zset.hpp"
#include "kvd/util/glob.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

using store::database;
using store::value;
using store::value_type;
using store::zlex_bound;
using store::zset;

// ============================================================================================
// (1) Store ops and helpers
// ============================================================================================

inline constexpr std::string_view err_nan = "ERR resulting score is not a number (NaN)";
inline constexpr std::string_view err_not_float = "ERR min or max is not a float";
inline constexpr std::string_view err_not_lex = "ERR min or max not valid string range item";
inline constexpr std::string_view err_positive = "ERR value is out of range, must be positive";

constexpr std::int64_t llong_max = std::numeric_limits<std::int64_t>::max();

store::zset_limits limits_of(const command_context& c) {
  return {static_cast<std::size_t>(std::max<std::int64_t>(0, c.server.config.zset_max_listpack_entries.load())),
          static_cast<std::size_t>(std::max<std::int64_t>(0, c.server.config.zset_max_listpack_value.load()))};
}

/// The zset at `key` (nullptr when absent) or WRONGTYPE. `write` selects lookup_write (no
/// hit/miss counting) over lookup_read.
op_result<zset*> find_zset(database& db, std::string_view key, bool write) {
  value* v = write ? db.lookup_write(key) : db.lookup_read(key);
  if (!v) return static_cast<zset*>(nullptr);
  if (v->type() != value_type::zset) return op_status::wrong_type;
  return static_cast<zset*>(v->obj());
}

/// Deletes `key` when its zset was emptied (an emptied collection deletes its key).
void drop_if_empty(database& db, std::string_view key, const zset* z) {
  if (z->length() == 0) db.del(key);
}

/// Replaces `key` with `z` (setKey semantics: any old value and TTL go), or deletes `key` when
/// `z` is empty. Returns whether the keyspace changed.
bool store_result(database& db, std::string_view key, std::unique_ptr<zset> z) {
  if (z->length() == 0) return db.del(key);
  db.set(key, value::make_collection(value_type::zset, std::move(z)));
  return true;
}

/// Redis's strtod over the argument as a C string (zslParseRange): the whole C string must
/// parse (an embedded NUL ends it, as in Redis) and NaN is refused.
bool strtod_full(std::string_view s, double& out) {
  std::string buf(s);
  char* end;
  out = std::strtod(buf.c_str(), &end);
  return *end == '\0' && !std::isnan(out);
}

/// A score range (Redis zrangespec).
struct score_range {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
};

/// Redis zslParseRange: "(" prefix = exclusive; else inclusive. nullopt on a bad float.
std::optional<score_range> parse_score_range(std::string_view min, std::string_view max) {
  score_range r;
  auto one = [](std::string_view s, double& v, bool& ex) {
    ex = !s.empty() && s[0] == '(';
    if (ex) s.remove_prefix(1);
    return strtod_full(s, v);
  };
  if (!one(min, r.min, r.minex) || !one(max, r.max, r.maxex)) return std::nullopt;
  return r;
}

/// Redis zslParseLexRangeItem.
std::optional<zlex_bound> parse_lex_bound(std::string_view s) {
  zlex_bound b;
  if (s.empty()) return std::nullopt;
  switch (s[0]) {
    case '+':
      if (s.size() != 1) return std::nullopt;
      b.kind = zlex_bound::plus_inf;
      b.exclusive = true;
      return b;
    case '-':
      if (s.size() != 1) return std::nullopt;
      b.kind = zlex_bound::minus_inf;
      b.exclusive = true;
      return b;
    case '(':
    case '[':
      b.kind = zlex_bound::value;
      b.exclusive = s[0] == '(';
      b.text = s.substr(1);
      return b;
    default:
      return std::nullopt;
  }
}

/// A run of ranks to emit: `count` elements from `start`, ascending or (reverse) descending
/// where descending rank 0 is the highest element.
struct rank_window {
  std::size_t start = 0, count = 0;
  bool reverse = false;
};

/// Rank range (ZRANGE start stop): Redis genericZrangebyrankCommand's index sanitizing.
rank_window window_by_rank(std::size_t len, std::int64_t start, std::int64_t end, bool reverse) {
  auto llen = static_cast<std::int64_t>(len);
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return {0, 0, reverse};
  if (end >= llen) end = llen - 1;
  return {static_cast<std::size_t>(start), static_cast<std::size_t>(end - start + 1), reverse};
}

/// Elements [lo, hi) in ascending ranks, with LIMIT offset/limit (offset < 0: nothing;
/// limit < 0: no limit) applied in the direction of the walk.
rank_window window_of(std::size_t len, std::size_t lo, std::size_t hi, bool reverse, std::int64_t offset,
                      std::int64_t limit) {
  if (hi <= lo || offset < 0) return {0, 0, reverse};
  std::size_t n = hi - lo;
  if (static_cast<std::uint64_t>(offset) >= n) return {0, 0, reverse};
  n -= static_cast<std::size_t>(offset);
  if (limit >= 0) n = std::min<std::size_t>(n, static_cast<std::uint64_t>(limit));
  std::size_t start = reverse ? (len - hi) + static_cast<std::size_t>(offset) : lo + static_cast<std::size_t>(offset);
  return {start, n, reverse};
}

rank_window window_by_score(const zset& z, const score_range& r, bool reverse, std::int64_t offset,
                            std::int64_t limit) {
  std::size_t lo = z.count_below(r.min, r.minex);
  std::size_t hi = z.count_below(r.max, !r.maxex);
  return window_of(z.length(), lo, hi, reverse, offset, limit);
}

/// Redis's lex range walk, reproduced step by step because Redis leaves results on zsets with
/// mixed scores "unspecified" but deterministic: the first element >= min is found (linearly in
/// a listpack, by skiplist descent otherwise), then elements are taken while <= max (reverse:
/// from the last element <= max, while >= min). `precheck` is zzlIsInLexRange /
/// zslIsInLexRange (the last element must be >= min and the first <= max); Redis skips it
/// only in the skiplist ZREMRANGEBYLEX. The window holds the elements after `offset`, at most
/// `limit` (< 0: all), as genericZrangebylexCommand.
rank_window window_by_lex(const zset& z, const zlex_bound& min, const zlex_bound& max, bool reverse,
                          std::int64_t offset, std::int64_t limit, bool precheck = true) {
  const rank_window none{0, 0, reverse};
  if (min.kind == zlex_bound::plus_inf || max.kind == zlex_bound::minus_inf) return none;
  if (min.kind == zlex_bound::value && max.kind == zlex_bound::value) {
    int cmp = min.text.compare(max.text);
    if (cmp > 0 || (cmp == 0 && (min.exclusive || max.exclusive))) return none;
  }
  const std::size_t len = z.length();
  if (len == 0 || offset < 0) return none;
  if (precheck) {
    bool ok = true;
    z.walk(0, true, [&](std::string_view m, double) { return ok = store::zlex_gte_min(m, min), false; });
    if (ok) z.walk(0, false, [&](std::string_view m, double) { return ok = store::zlex_lte_max(m, max), false; });
    if (!ok) return none;
  }
  const auto off = static_cast<std::uint64_t>(offset);
  const std::uint64_t want = limit < 0 ? UINT64_MAX : (off > UINT64_MAX - static_cast<std::uint64_t>(limit)
                                                           ? UINT64_MAX : off + static_cast<std::uint64_t>(limit));
  std::size_t start;
  std::uint64_t n = 0;
  if (!reverse) {
    start = z.count_lex_below(min, false);
    if (start >= len) return none;
    z.walk(start, false, [&](std::string_view m, double) {
      if (!store::zlex_lte_max(m, max)) return false;
      return ++n < want;
    });
  } else {
    std::size_t hi = z.count_lex_below(max, true);
    if (hi == 0) return none;
    start = len - hi;
    z.walk(start, true, [&](std::string_view m, double) {
      if (!store::zlex_gte_min(m, min)) return false;
      return ++n < want;
    });
  }
  if (n <= off) return none;
  return {start + static_cast<std::size_t>(off), static_cast<std::size_t>(n - off), reverse};
}

/// ZLEXCOUNT: a listpack counts forward from the first element in range while <= max; a
/// skiplist takes the rank difference of the first and last elements in range (zsetcountbylex
/// / zslFirstInLexRange / zslLastInLexRange), which may differ on mixed-score zsets.
std::int64_t count_by_lex(const zset& z, const zlex_bound& min, const zlex_bound& max) {
  if (z.is_listpack()) return static_cast<std::int64_t>(window_by_lex(z, min, max, false, 0, -1).count);
  auto first = window_by_lex(z, min, max, false, 0, 1);
  if (first.count == 0) return 0;
  const std::size_t len = z.length();
  auto last = window_by_lex(z, min, max, true, 0, 1);
  if (last.count == 0) return static_cast<std::int64_t>(len - first.start);
  return static_cast<std::int64_t>(len - last.start) - static_cast<std::int64_t>(first.start);
}

using item = std::pair<std::string, double>;

/// The elements of window `w` of `z`, copied.
std::vector<item> collect(const zset& z, const rank_window& w) {
  std::vector<item> out;
  out.reserve(w.count);
  std::size_t left = w.count;
  if (left == 0) return out;
  z.walk(w.start, w.reverse, [&](std::string_view m, double s) {
    out.emplace_back(std::string(m), s);
    return --left > 0;
  });
  return out;
}

/// Replies the window `w` of `z`: members, with scores as doubles when `withscores` (RESP2:
/// flat member, score; RESP3: [member, score] pairs), as Redis's zrangeResultHandler.
void reply_window(command_context& c, const zset& z, const rank_window& w, bool withscores) {
  const bool pairs = withscores && c.rb.protocol() > 2;
  c.rb.array(withscores && !pairs ? 2 * w.count : w.count);
  std::size_t left = w.count;
  if (left == 0) return;
  z.walk(w.start, w.reverse, [&](std::string_view m, double s) {
    if (pairs) c.rb.array(2);
    c.rb.bulk(m);
    if (withscores) c.rb.dbl(s);
    return --left > 0;
  });
}

/// As reply_window for already collected items.
void reply_items(command_context& c, const std::vector<item>& items, bool withscores) {
  const bool pairs = withscores && c.rb.protocol() > 2;
  c.rb.array(withscores && !pairs ? 2 * items.size() : items.size());
  for (auto& [m, s] : items) {
    if (pairs) c.rb.array(2);
    c.rb.bulk(m);
    if (withscores) c.rb.dbl(s);
  }
}

std::vector<std::string> argv_of(std::initializer_list<std::string_view> parts) {
  std::vector<std::string> v;
  v.reserve(parts.size());
  for (auto p : parts) v.emplace_back(p);
  return v;
}

/// Redis genericZpopCommand once a non-empty zset `z` at `key` was found: pops up to `count`
/// elements (-1: one, plain reply) from the min or max end and replies in the shape the
/// caller asks for (see the four cases below). Deletes the emptied key. Sets c.prop to
/// ZPOPMIN/ZPOPMAX key [count] (the form Redis propagates for ZPOP*, BZPOP*, ZMPOP, BZMPOP).
void pop_and_reply(command_context& c, std::string_view key, zset* z, bool max, std::int64_t count, bool nested,
                   bool emitkey) {
  const bool plain = count == -1;
  if (plain) count = 1;
  std::size_t len = z->length();
  std::size_t n = std::min<std::uint64_t>(len, static_cast<std::uint64_t>(count));
  if (!nested && !emitkey) {
    c.rb.array(n * 2);
  } else if (nested && !emitkey) {
    c.rb.array(n);
  } else if (!nested && emitkey) {
    c.rb.array(n * 2 + 1);
    c.rb.bulk(key);
  } else {
    c.rb.array(2);
    c.rb.bulk(key);
    c.rb.array(n);
  }
  std::size_t left = n;
  z->walk(0, max, [&](std::string_view m, double s) {
    if (nested) c.rb.array(2);
    c.rb.bulk(m);
    c.rb.dbl(s);
    return --left > 0;
  });
  if (max) z->erase_ranks(len - n, len - 1);
  else z->erase_ranks(0, n - 1);
  std::string k(key);
  if (n > 0) {
    notify(c, pubsub::notify_zset, max ? "zpopmax" : "zpopmin", k);
    if (z->length() == 0) notify(c, pubsub::notify_generic, "del", k);
  }
  drop_if_empty(c.db, k, z);
  if (plain) c.prop.replace(argv_of({max ? "ZPOPMAX" : "ZPOPMIN", k}));
  else c.prop.replace(argv_of({max ? "ZPOPMAX" : "ZPOPMIN", k, std::to_string(count)}));
}

std::mt19937_64& rng() {
  static thread_local std::mt19937_64 r{std::random_device{}()};
  return r;
}

/// Redis getLongFromObjectOrReply-style parse with a custom error text.
std::optional<std::int64_t> int_or_reply(command_context& c, std::string_view s, std::string_view err = err::not_integer) {
  auto v = util::parse_int64(s);
  if (!v) return c.rb.error(err), std::nullopt;
  return v;
}

// ============================================================================================
// (2) Handlers
// ============================================================================================

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY (incr):
/// Redis zaddGenericCommand.
void zadd_generic(command_context& c, int flags) {
  std::size_t idx = 2;
  bool ch = false;
  while (idx < c.argc()) {
    auto o = c.arg(idx);
    if (iequals(o, "nx")) flags |= zset::in_nx;
    else if (iequals(o, "xx")) flags |= zset::in_xx;
    else if (iequals(o, "ch")) ch = true;
    else if (iequals(o, "incr")) flags |= zset::in_incr;
    else if (iequals(o, "gt")) flags |= zset::in_gt;
    else if (iequals(o, "lt")) flags |= zset::in_lt;
    else break;
    ++idx;
  }
  const bool incr = flags & zset::in_incr, nx = flags & zset::in_nx, xx = flags & zset::in_xx,
             gt = flags & zset::in_gt, lt = flags & zset::in_lt;
  std::size_t elements = c.argc() - idx;
  if (elements % 2 || elements == 0) return c.rb.error(err::syntax);
  elements /= 2;
  if (nx && xx) return c.rb.error("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt))
    return c.rb.error("ERR GT, LT, and/or NX options at the same time are not compatible");
  if (incr && elements > 1) return c.rb.error("ERR INCR option supports a single increment-element pair");
  std::vector<double> scores(elements);
  for (std::size_t j = 0; j < elements; ++j) {
    auto d = util::parse_double(c.arg(idx + 2 * j));
    if (!d) return c.rb.error(err::not_float);
    scores[j] = *d;
  }
  auto key = c.arg(1);
  auto found = find_zset(c.db, key, true);
  if (!found.ok()) return c.rb.error(found.error());
  zset* z = found.value();
  const auto lim = limits_of(c);
  std::size_t added = 0, updated = 0, processed = 0;
  double score = 0;
  bool created = false;
  if (!z && !xx) {
    // Redis 7.0 zaddGenericCommand: a skiplist only when listpacks are disabled or the first
    // member is too long; otherwise a listpack that zsetAdd converts as it grows.
    auto fresh = std::make_unique<zset>();
    if (lim.max_entries == 0 || c.arg(idx + 1).size() > lim.max_value) fresh->convert_to_skiplist();
    z = fresh.get();
    c.db.add(key, value::make_collection(value_type::zset, std::move(fresh)));
    created = true;
  }
  if (z) {
    for (std::size_t j = 0; j < elements; ++j) {
      int out = 0;
      double newscore = 0;
      if (!z->add(scores[j], c.arg(idx + 1 + 2 * j), flags, out, newscore, lim)) {
        if (created && z->length() == 0) c.db.del(key);
        if (added + updated == 0) c.prop.none();
        return c.rb.error(err_nan);
      }
      if (out & zset::out_added) ++added;
      if (out & zset::out_updated) ++updated;
      if (!(out & zset::out_nop)) ++processed;
      score = newscore;
    }
    if (created && z->length() == 0) c.db.del(key);
  }
  if (added + updated == 0) c.prop.none();
  else notify(c, pubsub::notify_zset, incr ? "zincr" : "zadd", key);
  if (incr) {
    if (processed) c.rb.dbl(score);
    else c.rb.null();
  } else {
    c.rb.integer(static_cast<std::int64_t>(ch ? added + updated : added));
  }
}

void cmd_zadd(command_context& c) { zadd_generic(c, zset::in_none); }

/// ZINCRBY key increment member: ZADD key INCR increment member.
void cmd_zincrby(command_context& c) { zadd_generic(c, zset::in_incr); }

/// ZREM key member [member ...]: number removed; an emptied zset deletes its key.
void cmd_zrem(command_context& c) {
  auto found = find_zset(c.db, c.arg(1), true);
  if (!found.ok()) return c.rb.error(found.error());
  zset* z = found.value();
  std::int64_t n = 0;
  if (z) {
    for (std::size_t i = 2; i < c.argc(); ++i) {
      n += z->remove(c.arg(i));
      if (z->length() == 0) break;
    }
    if (n > 0) {
      notify(c, pubsub::notify_zset, "zrem", c.arg(1));
      if (z->length() == 0) notify(c, pubsub::notify_generic, "del", c.arg(1));
    }
    drop_if_empty(c.db, c.arg(1), z);
  }
  if (n == 0) c.prop.none();
  c.rb.integer(n);
}

/// ZCARD key.
void cmd_zcard(command_context& c) {
  auto found = find_zset(c.db, c.arg(1), false);
  if (!found.ok()) return c.rb.error(found.error());
  c.rb.integer(found.value() ? static_cast<std::int64_t>(found.value()->length()) : 0);
}

/// ZSCORE key member: the score (double) or null.
void cmd_zscore(command_context& c) {
  auto found = find_zset(c.db, c.arg(1), false);
  if (!found.ok()) return c.rb.error(found.error());
  std::optional<double> s;
  if (found.value()) s = found.value()->score(c.arg(2));
  if (s) c.rb.dbl(*s);
  else c.rb.null();
}

/// ZMSCORE key member [member ...]: an array of scores or nulls.
void cmd_zmscore(command_context& c) {
  auto found = find_zset(c.db, c.arg(1), false);
  if (!found.ok()) return c.rb.error(found.error());
  c.rb.array(c.argc() - 2);
  for (std::size_t i = 2; i < c.argc(); ++i) {
    std::optional<double> s;
    if (found.value()) s = found.value()->score(c.arg(i));
    if (s) c.rb.dbl(*s);
    else c.rb.null();
  }
}

/// ZRANK / ZREVRANK key member: 0-based rank or null.
void zrank_generic(command_context& c, bool reverse) {
  auto found = find_zset(c.db, c.arg(1), false);
  if (!found.ok()) return c.rb.error(found.error());
  std::optional<std::size_t> r;
  if (found.value()) r = found.value()->rank(c.arg(2), reverse);
  if (r) c.rb.integer(static_cast<std::int64_t>(*r));
  else c.rb.null();
}
void cmd_zrank(command_context& c) { zrank_generic(c, false); }
void cmd_zrevrank(command_context& c) { zrank_generic(c, true); }

/// ZCOUNT key min max.
void cmd_zcount(command_context& c) {
  auto r = parse_score_range(c.arg(2), c.arg(3));
  if (!r) return c.rb.error(err_not_float);
  auto found = find_zset(c.db, c.arg(1), false);
  if (!found.ok()) return c.rb.error(found.error());
  if (!found.value()) return c.rb.integer(0);
  c.rb.integer(static_cast<std::int64_t>(window_by_score(*found.value(), *r, false, 0, -1).count));
}

/// ZLEXCOUNT key min max.
void cmd_zlexcount(command_context& c) {
  auto min = parse_lex_bound(c.arg(2)), max = parse_lex_bound(c.arg(3));
  if (!min || !max) return c.rb.error(err_not_lex);
  auto found = find_zset(c.db, c.arg(1), false);
  if (!found.ok()) return c.rb.error(found.error());
  if (!found.value()) return c.rb.integer(0);
  c.rb.integer(count_by_lex(*found.value(), *min, *max));
}

enum class range_type { automatic, rank, score, lex };
enum class range_dir { automatic, forward, reverse };

/// Redis zrangeGenericCommand: ZRANGE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
/// ZREVRANGEBYLEX (argc_start 1) and ZRANGESTORE (argc_start 2, store).
void zrange_generic(command_context& c, std::size_t argc_start, bool store, range_type type, range_dir dir) {
  auto key = c.arg(argc_start);
  std::size_t minidx = argc_start + 1, maxidx = argc_start + 2;
  bool withscores = false;
  std::int64_t offset = 0, limit = -1;
  for (std::size_t j = argc_start + 3; j < c.argc(); ++j) {
    std::size_t left = c.argc() - j - 1;
    if (!store && iequals(c.arg(j), "withscores")) {
      withscores = true;
    } else if (iequals(c.arg(j), "limit") && left >= 2) {
      auto o = int_or_reply(c, c.arg(j + 1));
      if (!o) return;
      auto l = int_or_reply(c, c.arg(j + 2));
      if (!l) return;
      offset = *o;
      limit = *l;
      j += 2;
    } else if (dir == range_dir::automatic && iequals(c.arg(j), "rev")) {
      dir = range_dir::reverse;
    } else if (type == range_type::automatic && iequals(c.arg(j), "bylex")) {
      type = range_type::lex;
    } else if (type == range_type::automatic && iequals(c.arg(j), "byscore")) {
      type = range_type::score;
    } else {
      return c.rb.error(err::syntax);
    }
  }
  if (dir == range_dir::automatic) dir = range_dir::forward;
  if (type == range_type::automatic) type = range_type::rank;
  if (limit != -1 && type == range_type::rank)
    return c.rb.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  if (withscores && type == range_type::lex)
    return c.rb.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  const bool reverse = dir == range_dir::reverse;
  if (reverse && type != range_type::rank) std::swap(minidx, maxidx);

  std::int64_t start = 0, end = 0;
  std::optional<score_range> sr;
  std::optional<zlex_bound> lmin, lmax;
  switch (type) {
    case range_type::automatic:
    case range_type::rank: {
      auto s = int_or_reply(c, c.arg(minidx));
      if (!s) return;
      auto e = int_or_reply(c, c.arg(maxidx));
      if (!e) return;
      start = *s;
      end = *e;
      break;
    }
    case range_type::score:
      sr = parse_score_range(c.arg(minidx), c.arg(maxidx));
      if (!sr) return c.rb.error(err_not_float);
      break;
    case range_type::lex:
      lmin = parse_lex_bound(c.arg(minidx));
      lmax = parse_lex_bound(c.arg(maxidx));
      if (!lmin || !lmax) return c.rb.error(err_not_lex);
      break;
  }

  auto found = find_zset(c.db, key, false);
  if (!found.ok()) return c.rb.error(found.error());
  const zset* z = found.value();
  rank_window w;
  if (z) {
    switch (type) {
      case range_type::automatic:
      case range_type::rank: w = window_by_rank(z->length(), start, end, reverse); break;
      case range_type::score: w = window_by_score(*z, *sr, reverse, offset, limit); break;
      case range_type::lex: w = window_by_lex(*z, *lmin, *lmax, reverse, offset, limit); break;
    }
  }
  if (!store) {
    if (!z) return c.rb.array(0);
    return reply_window(c, *z, w, withscores);
  }
  // Redis zrangeResultBeginStore/EmitToStore: the result starts as a listpack unless a rank
  // range is known to be longer than zset-max-listpack-entries, and each element is added in
  // emission order with zsetAdd, converting as zsetAdd does (so a -0 score added while the
  // result is a listpack becomes 0, as in Redis).
  auto dst = c.arg(1);
  std::vector<item> items = z ? collect(*z, w) : std::vector<item>{};
  const auto lim = limits_of(c);
  auto result = zset::create(type == range_type::rank || type == range_type::automatic ? w.count : 0, 0, lim);
  for (auto& [m, s] : items) {
    int out = 0;
    double ns = 0;
    result->add(s, m, zset::in_none, out, ns, lim);
  }
  bool changed = store_result(c.db, dst, std::move(result));
  if (!changed) c.prop.none();
  if (!items.empty()) notify(c, pubsub::notify_zset, "zrangestore", dst);
  else if (changed) notify(c, pubsub::notify_generic, "del", dst);
  c.rb.integer(static_cast<std::int64_t>(items.size()));
}

void cmd_zrange(command_context& c) { zrange_generic(c, 1, false, range_type::automatic, range_dir::automatic); }
void cmd_zrangestore(command_context& c) { zrange_generic(c, 2, true, range_type::automatic, range_dir::automatic); }
void cmd_zrevrange(command_context& c) { zrange_generic(c, 1, false, range_type::rank, range_dir::reverse); }
void cmd_zrangebyscore(command_context& c) { zrange_generic(c, 1, false, range_type::score, range_dir::forward); }
void cmd_zrevrangebyscore(command_context& c) { zrange_generic(c, 1, false, range_type::score, range_dir::reverse); }
void cmd_zrangebylex(command_context& c) { zrange_generic(c, 1, false, range_type::lex, range_dir::forward); }
void cmd_zrevrangebylex(command_context& c) { zrange_generic(c, 1, false, range_type::lex, range_dir::reverse); }

/// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key min max (zremrangeGenericCommand).
void zremrange_generic(command_context& c, range_type type) {
  std::int64_t start = 0, end = 0;
  std::optional<score_range> sr;
  std::optional<zlex_bound> lmin, lmax;
  if (type == range_type::rank) {
    auto s = int_or_reply(c, c.arg(2));
    if (!s) return;
    auto e = int_or_reply(c, c.arg(3));
    if (!e) return;
    start = *s;
    end = *e;
  } else if (type == range_type::score) {
    sr = parse_score_range(c.arg(2), c.arg(3));
    if (!sr) return c.rb.error(err_not_float);
  } else {
    lmin = parse_lex_bound(c.arg(2));
    lmax = parse_lex_bound(c.arg(3));
    if (!lmin || !lmax) return c.rb.error(err_not_lex);
  }
  auto found = find_zset(c.db, c.arg(1), true);
  if (!found.ok()) return c.rb.error(found.error());
  zset* z = found.value();
  if (!z) {
    c.prop.none();
    return c.rb.integer(0);
  }
  rank_window w;
  if (type == range_type::rank) w = window_by_rank(z->length(), start, end, false);
  else if (type == range_type::score) w = window_by_score(*z, *sr, false, 0, -1);
  else w = window_by_lex(*z, *lmin, *lmax, false, 0, -1, z->is_listpack());
  std::size_t n = w.count ? z->erase_ranks(w.start, w.start + w.count - 1) : 0;
  if (n > 0) {
    notify(c, pubsub::notify_zset,
           type == range_type::rank    ? "zremrangebyrank"
           : type == range_type::score ? "zremrangebyscore"
                                       : "zremrangebylex",
           c.arg(1));
    if (z->length() == 0) notify(c, pubsub::notify_generic, "del", c.arg(1));
  }
  drop_if_empty(c.db, c.arg(1), z);
  if (n == 0) c.prop.none();
  c.rb.integer(static_cast<std::int64_t>(n));
}
void cmd_zremrangebyrank(command_context& c) { zremrange_generic(c, range_type::rank); }
void cmd_zremrangebyscore(command_context& c) { zremrange_generic(c, range_type::score); }
void cmd_zremrangebylex(command_context& c) { zremrange_generic(c, range_type::lex); }

/// ZPOPMIN / ZPOPMAX key [count] (zpopMinMaxCommand).
void zpop_generic(command_context& c, bool max) {
  if (c.argc() > 3) return c.rb.error(err::syntax);
  std::int64_t count = -1;
  if (c.argc() == 3) {
    auto n = util::parse_int64(c.arg(2));
    if (!n || *n < 0) return c.rb.error(err_positive);
    count = *n;
  }
  const bool nested = c.rb.protocol() > 2 && count != -1;
  auto found = find_zset(c.db, c.arg(1), true);
  if (!found.ok()) return c.rb.error(found.error());
  zset* z = found.value();
  if (!z || count == 0) {
    c.prop.none();
    return c.rb.array(0);
  }
  pop_and_reply(c, c.arg(1), z, max, count, nested, false);
}
void cmd_zpopmin(command_context& c) { zpop_generic(c, false); }
void cmd_zpopmax(command_context& c) { zpop_generic(c, true); }

/// Serves a blocked BZPOPMIN/BZPOPMAX/BZMPOP client once `key` holds a zset again.
serve_fn make_zpop_server(bool max, std::int64_t count, bool nested) {
  return [max, count, nested](command_context& c, std::string_view key) {
    auto found = find_zset(c.db, key, true);
    if (!found.ok() || !found.value() || found.value()->length() == 0) return false;
    pop_and_reply(c, key, found.value(), max, count, nested, true);
    return true;
  };
}

/// Redis blockingGenericZpopCommand: the first non-empty zset among `keys` is popped; else
/// block (or the null timeout reply when the client may not block).
void blocking_zpop(command_context& c, std::vector<std::string> keys, bool max, std::string_view timeout_arg,
                   std::int64_t count, bool nested) {
  auto timeout = parse_block_timeout(c, timeout_arg);
  if (!timeout) return;
  for (auto& k : keys) {
    auto found = find_zset(c.db, k, true);
    if (!found.ok()) return c.rb.error(found.error());
    if (!found.value() || found.value()->length() == 0) continue;
    return pop_and_reply(c, k, found.value(), max, count, nested, true);
  }
  c.prop.none();
  if (!may_block(c)) return reply_timeout(c, block_timeout_reply::null_array);
  block(c, std::move(keys), {}, *timeout, block_timeout_reply::null_array, make_zpop_server(max, count, nested));
}

/// BZPOPMIN / BZPOPMAX key [key ...] timeout.
void bzpop_generic(command_context& c, bool max) {
  std::vector<std::string> keys;
  for (std::size_t i = 1; i + 1 < c.argc(); ++i) keys.emplace_back(c.arg(i));
  blocking_zpop(c, std::move(keys), max, c.arg(c.argc() - 1), -1, false);
}
void cmd_bzpopmin(command_context& c) { bzpop_generic(c, false); }
void cmd_bzpopmax(command_context& c) { bzpop_generic(c, true); }

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] and BZMPOP timeout numkeys ...
/// (zmpopGenericCommand).
void zmpop_generic(command_context& c, std::size_t numkeys_idx, bool blocking) {
  auto nk = util::parse_int64(c.arg(numkeys_idx));
  if (!nk || *nk < 1) return c.rb.error("ERR numkeys should be greater than 0");
  std::size_t numkeys = static_cast<std::size_t>(*nk);
  if (*nk > static_cast<std::int64_t>(c.argc()) || numkeys_idx + numkeys + 1 >= c.argc())
    return c.rb.error(err::syntax);
  std::size_t where_idx = numkeys_idx + numkeys + 1;
  bool max;
  if (iequals(c.arg(where_idx), "min")) max = false;
  else if (iequals(c.arg(where_idx), "max")) max = true;
  else return c.rb.error(err::syntax);
  std::int64_t count = -1;
  for (std::size_t j = where_idx + 1; j < c.argc(); ++j) {
    std::size_t more = c.argc() - 1 - j;
    if (count == -1 && iequals(c.arg(j), "count") && more) {
      ++j;
      auto n = util::parse_int64(c.arg(j));
      if (!n || *n < 1) return c.rb.error("ERR count should be greater than 0");
      count = *n;
    } else {
      return c.rb.error(err::syntax);
    }
  }
  if (count == -1) count = 1;
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < numkeys; ++i) keys.emplace_back(c.arg(numkeys_idx + 1 + i));
  if (blocking) return blocking_zpop(c, std::move(keys), max, c.arg(1), count, true);
  for (auto& k : keys) {
    auto found = find_zset(c.db, k, true);
    if (!found.ok()) return c.rb.error(found.error());
    if (!found.value()) continue;
    return pop_and_reply(c, k, found.value(), max, count, true, true);
  }
  c.prop.none();
  c.rb.null_array();
}
void cmd_zmpop(command_context& c) { zmpop_generic(c, 1, false); }
void cmd_bzmpop(command_context& c) { zmpop_generic(c, 2, true); }

/// ZRANDMEMBER key [count [WITHSCORES]] (zrandmemberCommand / zrandmemberWithCountCommand).
void cmd_zrandmember(command_context& c) {
  if (c.argc() == 2) {
    auto found = find_zset(c.db, c.arg(1), false);
    if (!found.ok()) return c.rb.error(found.error());
    const zset* z = found.value();
    if (!z) return c.rb.null();
    std::size_t r = std::uniform_int_distribution<std::size_t>(0, z->length() - 1)(rng());
    z->walk(r, false, [&](std::string_view m, double) { return c.rb.bulk(m), false; });
    return;
  }
  auto l = util::parse_int64(c.arg(2));
  if (!l) return c.rb.error(err::not_integer);
  if (*l == std::numeric_limits<std::int64_t>::min())
    return c.rb.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
  bool withscores = false;
  if (c.argc() > 4 || (c.argc() == 4 && !iequals(c.arg(3), "withscores"))) return c.rb.error(err::syntax);
  if (c.argc() == 4) {
    withscores = true;
    if (*l < -llong_max / 2) return c.rb.error("ERR value is out of range");
  }
  auto found = find_zset(c.db, c.arg(1), false);
  if (!found.ok()) return c.rb.error(found.error());
  const zset* z = found.value();
  if (!z || *l == 0) return c.rb.array(0);
  const bool uniq = *l > 0;
  const std::uint64_t count = uniq ? static_cast<std::uint64_t>(*l) : static_cast<std::uint64_t>(-*l);
  const std::size_t size = z->length();
  const bool pairs = withscores && c.rb.protocol() > 2;
  auto emit = [&](std::string_view m, double s) {
    if (pairs) c.rb.array(2);
    c.rb.bulk(m);
    if (withscores) c.rb.dbl(s);
  };
  auto header = [&](std::uint64_t n) { c.rb.array(withscores && !pairs ? 2 * n : n); };
  auto emit_rank = [&](std::size_t r) {
    z->walk(r, false, [&](std::string_view m, double s) { return emit(m, s), false; });
  };
  if (!uniq || count == 1) {
    header(count);
    std::uniform_int_distribution<std::size_t> pick(0, size - 1);
    if (size <= 1024 && count > 8) {
      auto all = collect(*z, {0, size, false});
      for (std::uint64_t i = 0; i < count; ++i) {
        auto& [m, s] = all[pick(rng())];
        emit(m, s);
      }
    } else {
      for (std::uint64_t i = 0; i < count; ++i) emit_rank(pick(rng()));
    }
    return;
  }
  if (count >= size) {
    // The whole zset, in Redis's zuiNext order (from the highest element down).
    header(size);
    z->walk(0, true, [&](std::string_view m, double s) { return emit(m, s), true; });
    return;
  }
  // Distinct random ranks: a partial Fisher-Yates shuffle of 0..size-1 when count is a large
  // share of the set, else rejection sampling.
  std::vector<std::size_t> ranks;
  ranks.reserve(count);
  if (count * 3 > size) {
    std::vector<std::size_t> idx(size);
    for (std::size_t i = 0; i < size; ++i) idx[i] = i;
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t j = std::uniform_int_distribution<std::size_t>(i, size - 1)(rng());
      std::swap(idx[i], idx[j]);
      ranks.push_back(idx[i]);
    }
  } else {
    boost::unordered_flat_map<std::size_t, bool> seen;
    std::uniform_int_distribution<std::size_t> pick(0, size - 1);
    while (ranks.size() < count) {
      std::size_t r = pick(rng());
      if (seen.emplace(r, true).second) ranks.push_back(r);
    }
  }
  header(count);
  if (z->is_listpack()) {
    auto all = collect(*z, {0, size, false});
    for (auto r : ranks) emit(all[r].first, all[r].second);
  } else {
    for (auto r : ranks) emit_rank(r);
  }
}

/// One input of ZUNION/ZINTER/ZDIFF/ZINTERCARD and their STORE forms: a zset, or a set whose
/// members all count with score 1 (Redis zuiNext/zuiFind on OBJ_SET), or a missing key.
struct zsrc {
  const zset* z = nullptr;
  const store::set_object* set = nullptr;
  double weight = 1.0;
  [[nodiscard]] std::size_t size() const noexcept { return z ? z->length() : set ? set->length() : 0; }
  [[nodiscard]] const void* subject() const noexcept {
    return z ? static_cast<const void*>(z) : static_cast<const void*>(set);
  }
  /// Calls f(member, score) for every element; f returns false to stop.
  template <class F>
  void each(F&& f) const {
    if (z) {
      z->walk(0, false, [&](std::string_view m, double s) { return static_cast<bool>(f(m, s)); });
    } else if (set) {
      bool go = true;
      set->for_each([&](const store::set_member& m) {
        if (go) go = f(m.view(), 1.0);
      });
    }
  }
  [[nodiscard]] std::optional<double> find(std::string_view m) const {
    if (z) return z->score(m);
    if (set && set->contains(m)) return 1.0;
    return std::nullopt;
  }
};

enum class setop { uni, inter, diff };
enum class aggr { sum, min, max };

void aggregate(double& target, double v, aggr a) {
  // Redis zunionInterAggregate.
  if (a == aggr::sum) {
    target = target + v;
    if (std::isnan(target)) target = 0.0;
  } else if (a == aggr::min) {
    target = v < target ? v : target;
  } else {
    target = v > target ? v : target;
  }
}

/// Redis zunionInterDiffGenericCommand: ZUNION ZINTER ZDIFF (numkeys at 1), ZUNIONSTORE
/// ZINTERSTORE ZDIFFSTORE (dst at 1, numkeys at 2), ZINTERCARD (cardinality_only).
void zsetop_generic(command_context& c, bool store, std::size_t numkeys_idx, setop op, bool cardinality_only) {
  auto nk = util::parse_int64(c.arg(numkeys_idx));
  if (!nk) return c.rb.error(err::not_integer);
  if (*nk < 1) return c.rb.error("ERR at least 1 input key is needed for '" + c.cmd.fullname + "' command");
  if (*nk > static_cast<std::int64_t>(c.argc() - (numkeys_idx + 1))) return c.rb.error(err::syntax);
  const auto setnum = static_cast<std::size_t>(*nk);
  std::vector<zsrc> src(setnum);
  std::size_t j = numkeys_idx + 1;
  for (std::size_t i = 0; i < setnum; ++i, ++j) {
    value* v = c.db.lookup_read(c.arg(j));
    if (v) {
      if (v->type() == value_type::zset) src[i].z = static_cast<const zset*>(v->obj());
      else if (v->type() == value_type::set) src[i].set = static_cast<const store::set_object*>(v->obj());
      else return c.rb.error(err::wrong_type);
    }
  }
  aggr ag = aggr::sum;
  bool withscores = false;
  std::int64_t limit = 0;
  while (j < c.argc()) {
    std::size_t remaining = c.argc() - j;
    if (op != setop::diff && !cardinality_only && remaining >= setnum + 1 && iequals(c.arg(j), "weights")) {
      ++j;
      for (std::size_t i = 0; i < setnum; ++i, ++j) {
        auto w = util::parse_double(c.arg(j));
        if (!w) return c.rb.error("ERR weight value is not a float");
        src[i].weight = *w;
      }
    } else if (op != setop::diff && !cardinality_only && remaining >= 2 && iequals(c.arg(j), "aggregate")) {
      ++j;
      if (iequals(c.arg(j), "sum")) ag = aggr::sum;
      else if (iequals(c.arg(j), "min")) ag = aggr::min;
      else if (iequals(c.arg(j), "max")) ag = aggr::max;
      else return c.rb.error(err::syntax);
      ++j;
    } else if (remaining >= 1 && !store && !cardinality_only && iequals(c.arg(j), "withscores")) {
      ++j;
      withscores = true;
    } else if (cardinality_only && remaining >= 2 && iequals(c.arg(j), "limit")) {
      ++j;
      auto l = util::parse_int64(c.arg(j));
      if (!l) return c.rb.error("ERR LIMIT can't be negative");
      if (*l < 0) return c.rb.error("ERR LIMIT can't be negative");
      limit = *l;
      ++j;
    } else {
      return c.rb.error(err::syntax);
    }
  }
  if (op != setop::diff)
    std::stable_sort(src.begin(), src.end(), [](const zsrc& a, const zsrc& b) { return a.size() < b.size(); });

  std::vector<item> out;
  std::uint64_t cardinality = 0;
  if (op == setop::inter) {
    if (src[0].size() > 0) {
      bool stop = false;
      src[0].each([&](std::string_view m, double s0) {
        double score = src[0].weight * s0;
        if (std::isnan(score)) score = 0;
        std::size_t k = 1;
        for (; k < setnum; ++k) {
          auto v = src[k].subject() == src[0].subject() ? std::optional<double>(s0) : src[k].find(m);
          if (!v) break;
          aggregate(score, *v * src[k].weight, ag);
        }
        if (k == setnum) {
          if (cardinality_only) {
            ++cardinality;
            if (limit && cardinality >= static_cast<std::uint64_t>(limit)) stop = true;
          } else {
            out.emplace_back(std::string(m), score);
          }
        }
        return !stop;
      });
    }
  } else if (op == setop::uni) {
    boost::unordered_flat_map<std::string, double> acc;
    std::vector<std::string> order;
    for (auto& s : src) {
      s.each([&](std::string_view m, double sc) {
        double score = s.weight * sc;
        if (std::isnan(score)) score = 0;
        auto it = acc.find(std::string(m));
        if (it == acc.end()) acc.emplace(std::string(m), score);
        else aggregate(it->second, score, ag);
        return true;
      });
    }
    out.reserve(acc.size());
    for (auto& [m, s] : acc) out.emplace_back(m, s);
  } else {
    src[0].each([&](std::string_view m, double s) {
      for (std::size_t k = 1; k < setnum; ++k)
        if (src[k].find(m)) return true;
      out.emplace_back(std::string(m), s);
      return true;
    });
  }
  if (cardinality_only) return c.rb.integer(static_cast<std::int64_t>(cardinality));
  std::sort(out.begin(), out.end(), [](const item& a, const item& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  if (store) {
    std::size_t n = out.size();
    bool changed = store_result(c.db, c.arg(1), zset::build(out, limits_of(c)));
    if (!changed) c.prop.none();
    if (n > 0)
      notify(c, pubsub::notify_zset, op == setop::uni ? "zunionstore" : op == setop::inter ? "zinterstore" : "zdiffstore",
             c.arg(1));
    else if (changed)
      notify(c, pubsub::notify_generic, "del", c.arg(1));
    return c.rb.integer(static_cast<std::int64_t>(n));
  }
  reply_items(c, out, withscores);
}

void cmd_zunion(command_context& c) { zsetop_generic(c, false, 1, setop::uni, false); }
void cmd_zinter(command_context& c) { zsetop_generic(c, false, 1, setop::inter, false); }
void cmd_zdiff(command_context& c) { zsetop_generic(c, false, 1, setop::diff, false); }
void cmd_zunionstore(command_context& c) { zsetop_generic(c, true, 2, setop::uni, false); }
void cmd_zinterstore(command_context& c) { zsetop_generic(c, true, 2, setop::inter, false); }
void cmd_zdiffstore(command_context& c) { zsetop_generic(c, true, 2, setop::diff, false); }
void cmd_zintercard(command_context& c) { zsetop_generic(c, false, 1, setop::inter, true); }

/// ZSCAN key cursor [MATCH pattern] [COUNT count] (Redis zscanCommand + scanGenericCommand):
/// a listpack zset is returned whole with cursor 0; a skiplist zset is walked bucket by bucket
/// of its member index. Scores are d2string text.
void cmd_zscan(command_context& c) {
  std::string cbuf(c.arg(2));
  const char* cp = cbuf.c_str();
  if (std::isspace(static_cast<unsigned char>(cp[0]))) return c.rb.error("ERR invalid cursor");
  errno = 0;
  char* cend = nullptr;
  unsigned long long cursor = std::strtoull(cp, &cend, 10);
  if (*cend != '\0' || errno == ERANGE) return c.rb.error("ERR invalid cursor");
  auto found = find_zset(c.db, c.arg(1), false);
  if (!found.ok()) return c.rb.error(found.error());
  const zset* z = found.value();
  if (!z) {
    c.rb.array(2);
    c.rb.bulk("0");
    return c.rb.array(0);
  }
  auto opts = parse_scan_options(c, 3, false);
  if (!opts) return;
  std::int64_t count = opts->count;
  std::string_view pattern = opts->pattern;
  bool use_pattern = opts->use_pattern;
  std::vector<item> found_items;
  std::uint64_t next = 0;
  if (z->is_listpack()) {
    found_items = collect(*z, {0, z->length(), false});
  } else {
    std::int64_t max_iterations = count > llong_max / 10 ? llong_max : count * 10;
    next = cursor;
    auto cb = [](void* ctx, std::string_view m, double s) {
      static_cast<std::vector<item>*>(ctx)->emplace_back(std::string(m), s);
    };
    do {
      next = z->scan(next, cb, &found_items);
    } while (next && max_iterations-- && found_items.size() * 2 < static_cast<std::uint64_t>(count));
  }
  if (use_pattern)
    std::erase_if(found_items, [&](const item& e) { return !util::glob_match(pattern, e.first); });
  c.rb.array(2);
  c.rb.bulk(std::to_string(next));
  c.rb.array(found_items.size() * 2);
  // Scores: a listpack's stored text; the skiplist's via Redis ld2string(LD_STR_AUTO), "%.17Lg".
  char buf[64];
  const bool lp = z->is_listpack();
  for (auto& [m, s] : found_items) {
    c.rb.bulk(m);
    if (lp) c.rb.bulk({buf, store::zset_format_score(s, buf)});
    else if (std::isinf(s)) c.rb.bulk(s > 0 ? "inf" : "-inf");
    else c.rb.bulk({buf, static_cast<std::size_t>(std::snprintf(buf, sizeof buf, "%.17Lg", static_cast<long double>(s)))});
  }
}

}  // namespace

// ============================================================================================
// (3) Registration (rows as Redis 7.0's COMMAND INFO)
// ============================================================================================

void register_zset_family(command_table& t) {
  constexpr std::uint32_t w = f_write, r = f_readonly, oom = f_denyoom, fast = f_fast, mk = f_movablekeys,
                          blk = f_blocking;
  t.add({"zadd", -4, w | oom | fast, 1, 1, 1, cmd_zadd, "write sortedset fast"});
  t.add({"zincrby", 4, w | oom | fast, 1, 1, 1, cmd_zincrby, "write sortedset fast"});
  t.add({"zrem", -3, w | fast, 1, 1, 1, cmd_zrem, "write sortedset fast"});
  t.add({"zcard", 2, r | fast, 1, 1, 1, cmd_zcard, "read sortedset fast"});
  t.add({"zscore", 3, r | fast, 1, 1, 1, cmd_zscore, "read sortedset fast"});
  t.add({"zmscore", -3, r | fast, 1, 1, 1, cmd_zmscore, "read sortedset fast"});
  t.add({"zrank", 3, r | fast, 1, 1, 1, cmd_zrank, "read sortedset fast"});
  t.add({"zrevrank", 3, r | fast, 1, 1, 1, cmd_zrevrank, "read sortedset fast"});
  t.add({"zcount", 4, r | fast, 1, 1, 1, cmd_zcount, "read sortedset fast"});
  t.add({"zlexcount", 4, r | fast, 1, 1, 1, cmd_zlexcount, "read sortedset fast"});
  t.add({"zrange", -4, r, 1, 1, 1, cmd_zrange, "read sortedset slow"});
  t.add({"zrangestore", -5, w | oom, 1, 2, 1, cmd_zrangestore, "write sortedset slow"});
  t.add({"zrevrange", -4, r, 1, 1, 1, cmd_zrevrange, "read sortedset slow"});
  t.add({"zrangebyscore", -4, r, 1, 1, 1, cmd_zrangebyscore, "read sortedset slow"});
  t.add({"zrevrangebyscore", -4, r, 1, 1, 1, cmd_zrevrangebyscore, "read sortedset slow"});
  t.add({"zrangebylex", -4, r, 1, 1, 1, cmd_zrangebylex, "read sortedset slow"});
  t.add({"zrevrangebylex", -4, r, 1, 1, 1, cmd_zrevrangebylex, "read sortedset slow"});
  t.add({"zremrangebyrank", 4, w, 1, 1, 1, cmd_zremrangebyrank, "write sortedset slow"});
  t.add({"zremrangebyscore", 4, w, 1, 1, 1, cmd_zremrangebyscore, "write sortedset slow"});
  t.add({"zremrangebylex", 4, w, 1, 1, 1, cmd_zremrangebylex, "write sortedset slow"});
  t.add({"zpopmin", -2, w | fast, 1, 1, 1, cmd_zpopmin, "write sortedset fast"});
  t.add({"zpopmax", -2, w | fast, 1, 1, 1, cmd_zpopmax, "write sortedset fast"});
  t.add({"zmpop", -4, w | mk, 0, 0, 0, cmd_zmpop, "write sortedset slow"});
  t.add({"bzpopmin", -3, w | f_noscript | blk | fast, 1, -2, 1, cmd_bzpopmin, "write sortedset fast blocking"});
  t.add({"bzpopmax", -3, w | f_noscript | blk | fast, 1, -2, 1, cmd_bzpopmax, "write sortedset fast blocking"});
  t.add({"bzmpop", -5, w | blk | mk, 0, 0, 0, cmd_bzmpop, "write sortedset slow blocking"});
  t.add({"zrandmember", -2, r, 1, 1, 1, cmd_zrandmember, "read sortedset slow"});
  t.add({"zunion", -3, r | mk, 0, 0, 0, cmd_zunion, "read sortedset slow"});
  t.add({"zinter", -3, r | mk, 0, 0, 0, cmd_zinter, "read sortedset slow"});
  t.add({"zdiff", -3, r | mk, 0, 0, 0, cmd_zdiff, "read sortedset slow"});
  t.add({"zintercard", -3, r | mk, 0, 0, 0, cmd_zintercard, "read sortedset slow"});
  t.add({"zunionstore", -4, w | oom | mk, 1, 1, 1, cmd_zunionstore, "write sortedset slow"});
  t.add({"zinterstore", -4, w | oom | mk, 1, 1, 1, cmd_zinterstore, "write sortedset slow"});
  t.add({"zdiffstore", -4, w | oom | mk, 1, 1, 1, cmd_zdiffstore, "write sortedset slow"});
  t.add({"zscan", -3, r, 1, 1, 1, cmd_zscan, "read sortedset slow"});
}

}  // namespace kvd::command
