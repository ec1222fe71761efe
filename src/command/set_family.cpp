// The SET command family, Redis 7.0 semantics (src/t_set.c): SADD SREM SMEMBERS SISMEMBER
// SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE
// SDIFF SDIFFSTORE SSCAN. Layout per STYLE.md "A family file": store ops (reply-agnostic), then
// the cmd_* handlers, then the registration rows.
//
// Every op runs with the shard locks of its keys held by the dispatcher. set_member views
// point into the stored sets and stay valid until the set is modified, so handlers reply
// from them before any later write. Encodings (intset, hashtable) and their conversions are
// store::set_object's (include/kvd/store/set.hpp); thresholds are read from the config at
// call time. AOF propagation follows Redis: SPOP logs SREM (or DEL when the whole set
// went), never the random choice; no-ops log nothing.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kvd/command/command_table.hpp"
#include "kvd/command/scan_args.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/notify.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/store/set.hpp"
#include "kvd/util/glob.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

using store::database;
using store::set_member;
using store::set_object;
using store::value;
using store::value_type;

// ============================================================================================
// (1) Store ops
// ============================================================================================

inline constexpr std::string_view err_positive = "ERR value is out of range, must be positive";
inline constexpr std::string_view err_srandmember_range =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
inline constexpr std::string_view err_numkeys = "ERR numkeys should be greater than 0";
inline constexpr std::string_view err_numkeys_args = "ERR Number of keys can't be greater than number of args";
inline constexpr std::string_view err_limit = "ERR LIMIT can't be negative";
inline constexpr std::string_view err_cursor = "ERR invalid cursor";

/// Redis SPOP_MOVE_STRATEGY_MUL and SRANDMEMBER_SUB_STRATEGY_MUL (t_set.c).
constexpr std::uint64_t spop_move_strategy_mul = 5;
constexpr std::uint64_t srandmember_sub_strategy_mul = 3;

std::mt19937_64& rng() {
  thread_local std::mt19937_64 r{std::random_device{}()};
  return r;
}

std::size_t max_intset_entries(const command_context& c) {
  auto n = c.server.config.set_max_intset_entries.load(std::memory_order_relaxed);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

/// The set held by `v`: nullptr when `v` is null (absent key), WRONGTYPE for other types.
op_result<set_object*> as_set(value* v) {
  if (!v) return static_cast<set_object*>(nullptr);
  if (v->type() != value_type::set) return op_status::wrong_type;
  return static_cast<set_object*>(v->obj());
}

/// The set at `key` for a read (Redis lookupKeyRead: counts hits/misses, touches the LRU).
op_result<set_object*> find_read(database& db, std::string_view key) { return as_set(db.lookup_read(key)); }
/// The set at `key` for a write (Redis lookupKeyWrite).
op_result<set_object*> find_write(database& db, std::string_view key) { return as_set(db.lookup_write(key)); }

/// Stores a new empty set at absent `key`, with the encoding Redis picks for `first`.
set_object& create_set(database& db, std::string_view key, std::string_view first) {
  value& v = db.add(key, value::make_collection(value_type::set, set_object::create_for(first)));
  return *static_cast<set_object*>(v.obj());
}

/// SADD: adds `members` to the set at `key` (created when absent); returns how many were new.
op_result<std::int64_t> op_sadd(database& db, std::string_view key, args_view members, std::size_t max_is) {
  auto r = find_write(db, key);
  if (!r.ok()) return op_status::wrong_type;
  set_object* s = r.value() ? r.value() : &create_set(db, key, members[0]);
  std::int64_t added = 0;
  for (auto m : members) added += s->add(m, max_is);
  return added;
}

/// SREM: removes `members`; deletes the key when the set empties. Returns how many went.
op_result<std::int64_t> op_srem(database& db, std::string_view key, args_view members) {
  auto r = find_write(db, key);
  if (!r.ok()) return op_status::wrong_type;
  set_object* s = r.value();
  if (!s) return std::int64_t{0};
  std::int64_t deleted = 0;
  for (auto m : members) {
    if (!s->remove(m)) continue;
    ++deleted;
    if (s->length() == 0) {
      db.del(key);
      break;
    }
  }
  return deleted;
}

/// What SMOVE did: moved (reply 1) and whether anything changed (to propagate).
struct smove_result {
  bool reply_one = false;
  bool changed = false;
};

/// SMOVE src dst member (Redis smoveCommand): both keys are type-checked once src exists;
/// src == dst only checks membership.
op_result<smove_result> op_smove(database& db, std::string_view src, std::string_view dst, std::string_view member,
                                 std::size_t max_is) {
  auto rs = find_write(db, src);
  auto rd = find_write(db, dst);
  if (rs.ok() && !rs.value()) return smove_result{};
  if (!rs.ok() || !rd.ok()) return op_status::wrong_type;
  set_object* s = rs.value();
  set_object* d = rd.value();
  if (s == d) return smove_result{s->contains(member), false};
  if (!s->remove(member)) return smove_result{};
  if (s->length() == 0) db.del(src);
  if (!d) d = &create_set(db, dst, member);
  d->add(member, max_is);
  return smove_result{true, true};
}

/// SUNION and its helpers: the union of `sets` (null entries are empty sets) built the way
/// Redis's sunionDiffGenericCommand builds it (a fresh intset that converts as it grows), so
/// an all-integer result small enough replies sorted exactly as Redis's.
std::unique_ptr<set_object> union_of(const std::vector<set_object*>& sets, std::size_t max_is) {
  auto out = std::make_unique<set_object>(set_object::kind::intset);
  for (auto* s : sets)
    if (s) s->for_each([&](const set_member& m) { out->add(m.view(), max_is); });
  return out;
}

/// SDIFF (Redis sunionDiffGenericCommand, SET_OP_DIFF): picks Redis's algorithm 1 (probe
/// the other sets for each member of the first) or 2 (add the first, remove the others) by
/// the same work estimate, since the two can leave the result in different encodings.
std::unique_ptr<set_object> diff_of(std::vector<set_object*> sets, std::size_t max_is) {
  auto out = std::make_unique<set_object>(set_object::kind::intset);
  if (!sets[0]) return out;
  for (std::size_t j = 1; j < sets.size(); ++j)
    if (sets[j] == sets[0]) return out;  // a key repeated as the first: empty result
  std::uint64_t algo_one = 0, algo_two = 0;
  for (auto* s : sets) {
    if (!s) continue;
    algo_one += sets[0]->length();
    algo_two += s->length();
  }
  algo_one /= 2;
  if (algo_one <= algo_two) {
    if (sets.size() > 1)
      std::stable_sort(sets.begin() + 1, sets.end(), [](set_object* a, set_object* b) {
        return (a ? a->length() : 0) > (b ? b->length() : 0);
      });
    sets[0]->for_each([&](const set_member& m) {
      for (std::size_t j = 1; j < sets.size(); ++j)
        if (sets[j] && sets[j]->contains(m)) return;
      out->add(m.view(), max_is);
    });
  } else {
    std::size_t card = 0;
    for (std::size_t j = 0; j < sets.size(); ++j) {
      if (!sets[j]) continue;
      sets[j]->for_each([&](const set_member& m) {
        if (j == 0) card += out->add(m.view(), max_is);
        else card -= out->remove(m.view());
      });
      if (card == 0) break;
    }
  }
  return out;
}

/// Looks up every key of a multi-key read (Redis lookupKeyRead each); null entries are
/// missing keys. WRONGTYPE when any existing key is not a set.
op_result<std::vector<set_object*>> collect_sets(database& db, args_view keys) {
  std::vector<set_object*> sets;
  sets.reserve(keys.size());
  for (auto k : keys) {
    auto r = find_read(db, k);
    if (!r.ok()) return op_status::wrong_type;
    sets.push_back(r.value());
  }
  return sets;
}

/// SINTER, SMEMBERS, SINTERSTORE, SINTERCARD: the members of the smallest set present in
/// every other one, in the smallest set's order (Redis sinterGenericCommand). `limit` > 0
/// stops after that many (SINTERCARD). Precondition: no null entries.
std::vector<set_member> inter_of(std::vector<set_object*> sets, std::uint64_t limit) {
  std::stable_sort(sets.begin(), sets.end(), [](set_object* a, set_object* b) { return a->length() < b->length(); });
  std::vector<set_member> out;
  bool stop = false;
  sets[0]->for_each([&](const set_member& m) {
    if (stop) return;
    for (std::size_t j = 1; j < sets.size(); ++j)
      if (sets[j] != sets[0] && !sets[j]->contains(m)) return;
    out.push_back(m);
    if (limit && out.size() >= limit) stop = true;
  });
  return out;
}

/// Stores `result` at `dst` replacing any value and TTL (Redis setKey), or deletes `dst`
/// when the result is empty. Returns the stored size, and in `changed` whether the keyspace
/// changed (SINTERSTORE, SUNIONSTORE, SDIFFSTORE propagate only then).
std::int64_t store_result(database& db, std::string_view dst, std::unique_ptr<set_object> result, bool& changed) {
  auto n = static_cast<std::int64_t>(result->length());
  if (n > 0) {
    db.set(dst, value::make_collection(value_type::set, std::move(result)));
    changed = true;
  } else {
    changed = db.del(dst);
  }
  return n;
}

// ============================================================================================
// (2) Handlers
// ============================================================================================

/// *STORE events: `event` when a result was stored, "del" when an empty one deleted `dst`.
void notify_store(command_context& c, std::string_view dst, std::int64_t n, bool changed, std::string_view event) {
  if (n > 0) notify(c, pubsub::notify_set, event, dst);
  else if (changed) notify(c, pubsub::notify_generic, "del", dst);
}

void reply_members(command_context& c, const std::vector<set_member>& ms) {
  c.rb.set(ms.size());
  for (auto& m : ms) c.rb.bulk(m.view());
}

void reply_set(command_context& c, const set_object& s) {
  c.rb.set(s.length());
  s.for_each([&](const set_member& m) { c.rb.bulk(m.view()); });
}

void cmd_sadd(command_context& c) {
  auto r = op_sadd(c.db, c.arg(1), c.args.subspan(2), max_intset_entries(c));
  if (!r.ok()) return c.rb.error(r.error());
  if (r.value() == 0) c.prop.none();
  else notify(c, pubsub::notify_set, "sadd", c.arg(1));
  c.rb.integer(r.value());
}

void cmd_srem(command_context& c) {
  auto r = op_srem(c.db, c.arg(1), c.args.subspan(2));
  if (!r.ok()) return c.rb.error(r.error());
  if (r.value() == 0) {
    c.prop.none();
  } else {
    notify(c, pubsub::notify_set, "srem", c.arg(1));
    if (!c.db.lookup_write(c.arg(1))) notify(c, pubsub::notify_generic, "del", c.arg(1));
  }
  c.rb.integer(r.value());
}

void cmd_smove(command_context& c) {
  bool in_dst = false;
  if (auto d = find_write(c.db, c.arg(2)); d.ok() && d.value()) in_dst = d.value()->contains(c.arg(3));
  auto r = op_smove(c.db, c.arg(1), c.arg(2), c.arg(3), max_intset_entries(c));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value().changed) {
    c.prop.none();
  } else {
    // Redis smoveCommand: srem on the source (del when emptied), sadd when it was new there.
    notify(c, pubsub::notify_set, "srem", c.arg(1));
    if (!c.db.lookup_write(c.arg(1))) notify(c, pubsub::notify_generic, "del", c.arg(1));
    if (!in_dst) notify(c, pubsub::notify_set, "sadd", c.arg(2));
  }
  c.rb.integer(r.value().reply_one ? 1 : 0);
}

void cmd_sismember(command_context& c) {
  auto r = find_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.integer(r.value() && r.value()->contains(c.arg(2)) ? 1 : 0);
}

void cmd_smismember(command_context& c) {
  auto r = find_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.array(c.argc() - 2);
  for (std::size_t i = 2; i < c.argc(); ++i) c.rb.integer(r.value() && r.value()->contains(c.arg(i)) ? 1 : 0);
}

void cmd_scard(command_context& c) {
  auto r = find_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.integer(r.value() ? static_cast<std::int64_t>(r.value()->length()) : 0);
}

/// SINTER, SMEMBERS (Redis 7.0 serves SMEMBERS with sinterCommand), SINTERSTORE and
/// SINTERCARD (Redis sinterGenericCommand): every key is type-checked before a missing one
/// makes the result empty.
void sinter_generic(command_context& c, args_view keys, std::optional<std::string_view> dst, bool card_only,
                    std::uint64_t limit) {
  auto r = collect_sets(c.db, keys);
  if (!r.ok()) return c.rb.error(r.error());
  const auto& sets = r.value();
  bool empty = std::find(sets.begin(), sets.end(), nullptr) != sets.end();
  if (!empty && sets.size() == 1 && !dst && !card_only) return reply_set(c, *sets[0]);  // SMEMBERS
  std::vector<set_member> members;
  if (!empty) members = inter_of(sets, card_only ? limit : 0);
  if (card_only) return c.rb.integer(static_cast<std::int64_t>(members.size()));
  if (!dst) return reply_members(c, members);
  auto result = std::make_unique<set_object>(set_object::kind::intset);
  for (auto& m : members) result->add(m.view(), max_intset_entries(c));
  members.clear();  // views into the sources, one of which may be `dst`
  bool changed = false;
  auto n = store_result(c.db, *dst, std::move(result), changed);
  c.rb.integer(n);
  if (!changed) c.prop.none();
  notify_store(c, *dst, n, changed, "sinterstore");
}

void cmd_sinter(command_context& c) { sinter_generic(c, c.args.subspan(1), std::nullopt, false, 0); }
void cmd_sinterstore(command_context& c) { sinter_generic(c, c.args.subspan(2), c.arg(1), false, 0); }

/// SINTERCARD numkeys key [key ...] [LIMIT limit]. Arguments are validated before any key
/// is touched (a bad numkeys means the dispatcher locked no keys).
void cmd_sintercard(command_context& c) {
  auto numkeys = util::parse_int64(c.arg(1));
  if (!numkeys || *numkeys < 1) return c.rb.error(err_numkeys);
  if (static_cast<std::uint64_t>(*numkeys) > c.argc() - 2) return c.rb.error(err_numkeys_args);
  std::uint64_t limit = 0;
  for (std::size_t j = 2 + static_cast<std::size_t>(*numkeys); j < c.argc(); ++j) {
    bool more = j + 1 < c.argc();
    if (iequals(c.arg(j), "limit") && more) {
      auto l = util::parse_int64(c.arg(++j));
      if (!l || *l < 0) return c.rb.error(err_limit);
      limit = static_cast<std::uint64_t>(*l);
    } else {
      return c.rb.error(err::syntax);
    }
  }
  sinter_generic(c, c.args.subspan(2, static_cast<std::size_t>(*numkeys)), std::nullopt, true, limit);
}

/// SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE (Redis sunionDiffGenericCommand).
void sunion_diff_generic(command_context& c, args_view keys, std::optional<std::string_view> dst, bool diff) {
  auto r = collect_sets(c.db, keys);
  if (!r.ok()) return c.rb.error(r.error());
  auto result = diff ? diff_of(r.value(), max_intset_entries(c)) : union_of(r.value(), max_intset_entries(c));
  if (!dst) return reply_set(c, *result);
  bool changed = false;
  auto n = store_result(c.db, *dst, std::move(result), changed);
  c.rb.integer(n);
  if (!changed) c.prop.none();
  notify_store(c, *dst, n, changed, diff ? "sdiffstore" : "sunionstore");
}

void cmd_sunion(command_context& c) { sunion_diff_generic(c, c.args.subspan(1), std::nullopt, false); }
void cmd_sunionstore(command_context& c) { sunion_diff_generic(c, c.args.subspan(2), c.arg(1), false); }
void cmd_sdiff(command_context& c) { sunion_diff_generic(c, c.args.subspan(1), std::nullopt, true); }
void cmd_sdiffstore(command_context& c) { sunion_diff_generic(c, c.args.subspan(2), c.arg(1), true); }

/// SPOP key count (Redis spopWithCountCommand). Propagates DEL when the whole set goes,
/// else one SREM per popped member (Redis 7.0's alsoPropagate loop), never SPOP itself.
void spop_with_count(command_context& c) {
  auto l = util::parse_int64(c.arg(2));
  if (!l || *l < 0) return c.rb.error(err_positive);
  auto count = static_cast<std::uint64_t>(*l);
  std::string_view key = c.arg(1);
  auto r = find_write(c.db, key);
  if (!r.ok()) return c.rb.error(r.error());
  set_object* s = r.value();
  if (!s || count == 0) {
    c.prop.none();
    return c.rb.set(0);
  }
  std::uint64_t size = s->length();

  // CASE 1: the whole set, replied as Redis's SUNION of the one key, then the key goes.
  // That union is a fresh intset when every member is an integer and there are few enough:
  // its order (sorted) differs from a hashtable's, so only then is the copy worth making.
  if (count >= size) {
    if (s->is_intset() || size > max_intset_entries(c)) reply_set(c, *s);
    else reply_set(c, *union_of({s}, max_intset_entries(c)));
    notify(c, pubsub::notify_set, "spop", key);
    c.db.del(key);
    notify(c, pubsub::notify_generic, "del", key);
    c.prop.replace({"DEL", std::string(key)});
    return;
  }
  notify(c, pubsub::notify_set, "spop", key);

  c.rb.set(count);
  std::uint64_t remaining = size - count;
  // Logged as one `SREM key m1 m2 ...` record: a single AOF record is applied whole or not
  // at all on replay (Redis 7.0 wraps per-member SREMs in MULTI/EXEC for the same reason).
  std::vector<std::string> srem{"SREM", std::string(key)};
  srem.reserve(count + 2);
  auto log_srem = [&](std::string_view m) { srem.emplace_back(m); };
  struct log_at_end {
    propagation& p;
    std::vector<std::string>& argv;
    ~log_at_end() { p.replace(std::move(argv)); }
  } flush{c.prop, srem};
  if (remaining * spop_move_strategy_mul > count) {
    // CASE 2: few to pop: pick and remove one at a time.
    while (count--) {
      std::string m(s->random_member().view());
      c.rb.bulk(m);
      s->remove(m);
      log_srem(m);
    }
  } else {
    // CASE 3: most of the set goes: move the survivors to a new set, reply the rest, swap.
    std::unique_ptr<set_object> survivors;
    while (remaining--) {
      std::string m(s->random_member().view());
      if (!survivors) survivors = set_object::create_for(m);
      survivors->add(m, max_intset_entries(c));
      s->remove(m);
    }
    s->for_each([&](const set_member& m) {
      c.rb.bulk(m.view());
      log_srem(m.view());
    });
    s->swap(*survivors);
  }
}

void cmd_spop(command_context& c) {
  if (c.argc() == 3) return spop_with_count(c);
  if (c.argc() > 3) return c.rb.error(err::syntax);
  std::string_view key = c.arg(1);
  auto r = find_write(c.db, key);
  if (!r.ok()) return c.rb.error(r.error());
  set_object* s = r.value();
  if (!s) {
    c.prop.none();
    return c.rb.null();
  }
  std::string m(s->random_member().view());
  s->remove(m);
  c.prop.replace({"SREM", std::string(key), m});
  c.rb.bulk(m);
  notify(c, pubsub::notify_set, "spop", key);
  if (s->length() == 0) {
    c.db.del(key);
    notify(c, pubsub::notify_generic, "del", key);
  }
}

/// SRANDMEMBER key count (Redis srandmemberWithCountCommand): a negative count may repeat
/// members; a positive one returns distinct members, the whole set when count >= size.
void srandmember_with_count(command_context& c) {
  auto l = util::parse_int64(c.arg(2));
  if (!l) return c.rb.error(err::not_integer);
  if (*l == std::numeric_limits<std::int64_t>::min()) return c.rb.error(err_srandmember_range);
  bool uniq = *l >= 0;
  auto count = static_cast<std::uint64_t>(uniq ? *l : -*l);
  auto r = find_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  set_object* s = r.value();
  if (!s || count == 0) return c.rb.array(0);
  std::uint64_t size = s->length();

  // CASE 1: repeats allowed (or one member): sample independently.
  if (!uniq || count == 1) {
    c.rb.array(count);
    while (count--) c.rb.bulk(s->random_member().view());
    return;
  }
  // CASE 2: the whole set.
  if (count >= size) {
    c.rb.array(size);
    s->for_each([&](const set_member& m) { c.rb.bulk(m.view()); });
    return;
  }
  // CASE 3: count is a large part of the set: a partial Fisher-Yates over all members.
  if (count * srandmember_sub_strategy_mul > size) {
    std::vector<set_member> all;
    all.reserve(size);
    s->for_each([&](const set_member& m) { all.push_back(m); });
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uniform_int_distribution<std::uint64_t> pick(i, size - 1);
      std::swap(all[i], all[pick(rng())]);
    }
    c.rb.array(count);
    for (std::uint64_t i = 0; i < count; ++i) c.rb.bulk(all[i].view());
    return;
  }
  // CASE 4: a small part of a big set: draw until `count` distinct members.
  std::vector<std::string> picked;
  std::unordered_set<std::string> seen;
  picked.reserve(count);
  seen.reserve(count);
  while (picked.size() < count) {
    std::string m(s->random_member().view());
    if (seen.insert(m).second) picked.push_back(std::move(m));
  }
  c.rb.array(count);
  for (auto& m : picked) c.rb.bulk(m);
}

void cmd_srandmember(command_context& c) {
  if (c.argc() == 3) return srandmember_with_count(c);
  if (c.argc() > 3) return c.rb.error(err::syntax);
  auto r = find_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value()) return c.rb.null();
  c.rb.bulk(r.value()->random_member().view());
}

/// SSCAN key cursor [MATCH pattern] [COUNT count] (Redis sscanCommand + scanGenericCommand):
/// the cursor is checked first, a missing key replies an empty scan before the options are
/// parsed, TYPE is not accepted. A hashtable walks until COUNT members were gathered or
/// COUNT*10 buckets visited; an intset returns everything with cursor 0.
void cmd_sscan(command_context& c) {
  auto cursor = parse_scan_cursor(c.arg(2));
  if (!cursor) return c.rb.error(err_cursor);
  auto r = find_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  set_object* s = r.value();
  if (!s) {
    c.rb.array(2);
    c.rb.bulk("0");
    return c.rb.array(0);
  }
  auto opts = parse_scan_options(c, 3, false);
  if (!opts) return;
  std::int64_t count = opts->count;
  std::string_view pattern = opts->pattern;
  bool use_pattern = opts->use_pattern;

  std::vector<set_member> found;
  auto collect = [&](const set_member& m) {
    if (!use_pattern || util::glob_match(pattern, m.view())) found.push_back(m);
  };
  std::uint64_t cur = *cursor;
  if (s->is_intset()) {
    cur = s->scan(cur, collect);
  } else {
    // Redis counts gathered members before the pattern filter; so do we.
    std::size_t gathered = 0;
    auto counting = [&](const set_member& m) {
      ++gathered;
      collect(m);
    };
    std::int64_t max_iterations =
        count > std::numeric_limits<std::int64_t>::max() / 10 ? std::numeric_limits<std::int64_t>::max() : count * 10;
    do cur = s->scan(cur, counting);
    while (cur && max_iterations-- && gathered < static_cast<std::uint64_t>(count));
  }
  c.rb.array(2);
  c.rb.bulk(std::to_string(cur));
  c.rb.array(found.size());
  for (auto& m : found) c.rb.bulk(m.view());
}

}  // namespace

// ============================================================================================
// (3) Registration (src/commands/*.json of Redis 7.0, via src/command/command_meta.json)
// ============================================================================================

void register_set_family(command_table& t) {
  constexpr std::uint32_t w_oom = f_write | f_denyoom;
  t.add({"sadd", -3, w_oom | f_fast, 1, 1, 1, cmd_sadd, "write set fast"});
  t.add({"srem", -3, f_write | f_fast, 1, 1, 1, cmd_srem, "write set fast"});
  t.add({"smove", 4, f_write | f_fast, 1, 2, 1, cmd_smove, "write set fast"});
  t.add({"sismember", 3, f_readonly | f_fast, 1, 1, 1, cmd_sismember, "read set fast"});
  t.add({"smismember", -3, f_readonly | f_fast, 1, 1, 1, cmd_smismember, "read set fast"});
  t.add({"scard", 2, f_readonly | f_fast, 1, 1, 1, cmd_scard, "read set fast"});
  t.add({"spop", -2, f_write | f_fast, 1, 1, 1, cmd_spop, "write set fast"});
  t.add({"srandmember", -2, f_readonly, 1, 1, 1, cmd_srandmember, "read set slow"});
  t.add({"smembers", 2, f_readonly, 1, 1, 1, cmd_sinter, "read set slow"});
  t.add({"sinter", -2, f_readonly, 1, -1, 1, cmd_sinter, "read set slow"});
  t.add({"sintercard", -3, f_readonly | f_movablekeys, 0, 0, 0, cmd_sintercard, "read set slow"});
  t.add({"sinterstore", -3, w_oom, 1, -1, 1, cmd_sinterstore, "write set slow"});
  t.add({"sunion", -2, f_readonly, 1, -1, 1, cmd_sunion, "read set slow"});
  t.add({"sunionstore", -3, w_oom, 1, -1, 1, cmd_sunionstore, "write set slow"});
  t.add({"sdiff", -2, f_readonly, 1, -1, 1, cmd_sdiff, "read set slow"});
  t.add({"sdiffstore", -3, w_oom, 1, -1, 1, cmd_sdiffstore, "write set slow"});
  t.add({"sscan", -3, f_readonly, 1, 1, 1, cmd_sscan, "read set slow"});
}

}  // namespace kvd::command
