// The LIST command family, Redis 7.0 semantics (src/t_list.c): LPUSH RPUSH LPUSHX RPUSHX LPOP
// RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, and the blocking
// BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP (command/blocking.hpp). Layout per STYLE.md "A family
// file": store ops (reply-agnostic), then the cmd_* handlers, then the registration rows.
//
// Every op runs with the shard locks of its keys held by the dispatcher. An emptied list
// deletes its key. Writes that change nothing log nothing to the AOF (c.prop.none()), as
// Redis propagates only when server.dirty moved; blocking forms log their non-blocking
// equivalent (LPOP/RPOP key [n], LMOVE, RPOPLPUSH), as Redis rewrites their argv.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvd/command/blocking.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/notify.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/store/list.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

using store::database;
using store::listpack;
using store::list_value;
using store::value;
using store::value_type;
using end = list_value::end;

inline constexpr std::string_view err_positive = "ERR value is out of range, must be positive";
inline constexpr std::string_view err_rank_zero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to "
    "start from the end of the list";
inline constexpr std::string_view err_count_negative = "ERR COUNT can't be negative";
inline constexpr std::string_view err_maxlen_negative = "ERR MAXLEN can't be negative";
inline constexpr std::string_view err_numkeys = "ERR numkeys should be greater than 0";
inline constexpr std::string_view err_count_positive = "ERR count should be greater than 0";

// ============================================================================================
// (1) Store ops
// ============================================================================================

/// The list held by `v` (precondition: v->type() == list).
list_value& as_list(value* v) noexcept { return *static_cast<list_value*>(v->obj()); }

/// Looks `key` up for a write: nullptr when absent, else the value; WRONGTYPE when it is not
/// a list.
op_result<value*> find_list_write(database& db, std::string_view key) {
  value* v = db.lookup_write(key);
  if (v && v->type() != value_type::list) return op_status::wrong_type;
  return v;
}

/// As find_list_write, counting keyspace hits/misses (reads).
op_result<const list_value*> find_list_read(database& db, std::string_view key) {
  value* v = db.lookup_read(key);
  if (!v) return static_cast<const list_value*>(nullptr);
  if (v->type() != value_type::list) return op_status::wrong_type;
  return static_cast<const list_value*>(&as_list(v));
}

/// LPUSH RPUSH LPUSHX RPUSHX LMOVE's destination: the list at `key`, created with the
/// current list-max-listpack-size when absent. Precondition: `key` is absent or a list.
list_value& list_for_push(database& db, std::string_view key, value* v, int fill) {
  if (!v) v = &db.add(key, value::make_collection(value_type::list, std::make_unique<list_value>(fill)));
  return as_list(v);
}

/// LPUSH RPUSH LPUSHX RPUSHX: pushes `elems` one by one at end `e` of the list at `key`
/// (creating it unless `only_existing`). Returns the new length, 0 when `only_existing` and
/// the key is absent. Errors: WRONGTYPE.
op_result<std::size_t> op_push(database& db, std::string_view key, args_view elems, end e, bool only_existing,
                               int fill) {
  auto r = find_list_write(db, key);
  if (!r.ok()) return op_status::wrong_type;
  if (!r.value() && only_existing) return std::size_t{0};
  list_value& l = list_for_push(db, key, r.value(), fill);
  for (auto s : elems) l.push(e, s);
  return l.length();
}

/// Deletes `key` when its list `l` became empty (an emptied list deletes its key).
void delete_if_empty(database& db, std::string_view key, const list_value& l) {
  if (l.length() == 0) db.del(key);
}

/// A LRANGE-style range after Redis's addListRangeReply clamping: `count` elements from
/// index `start` (count 0 = empty).
struct index_range {
  std::size_t start = 0, count = 0;
};

/// LRANGE, LTRIM: clamps [start, stop] (negative from the tail) to a list of `len` elements.
index_range clamp_range(std::int64_t start, std::int64_t stop, std::size_t len) {
  auto llen = static_cast<std::int64_t>(len);
  if (start < 0) start += llen;
  if (stop < 0) stop += llen;
  if (start < 0) start = 0;
  if (start > stop || start >= llen) return {};
  if (stop >= llen) stop = llen - 1;
  return {static_cast<std::size_t>(start), static_cast<std::size_t>(stop - start + 1)};
}

/// Where LTRIM cuts: `left` elements from the head, `right` from the tail.
struct trim_counts {
  std::size_t left = 0, right = 0;
};

/// LTRIM: keeps [start, stop] of the list at `key` (deleting the key when nothing is left).
/// Returns how many it removed from each end (both 0 for an absent key). Errors: WRONGTYPE.
op_result<trim_counts> op_ltrim(database& db, std::string_view key, std::int64_t start, std::int64_t stop) {
  auto r = find_list_write(db, key);
  if (!r.ok()) return op_status::wrong_type;
  if (!r.value()) return trim_counts{};
  list_value& l = as_list(r.value());
  std::size_t len = l.length();
  auto keep = clamp_range(start, stop, len);
  trim_counts t;
  if (keep.count == 0) t.left = len;
  else t = {keep.start, len - keep.start - keep.count};
  l.erase(len - t.right, t.right);
  l.erase(0, t.left);
  delete_if_empty(db, key, l);
  return t;
}

/// LSET: replaces the element at `index` of the list at `key`. Errors: "no such key",
/// WRONGTYPE, not an integer (the index is parsed after the lookup, as Redis does), index out
/// of range.
op_result<bool> op_lset(database& db, std::string_view key, std::string_view index, std::string_view elem) {
  auto r = find_list_write(db, key);
  if (!r.ok()) return op_status::wrong_type;
  if (!r.value()) return op_result<bool>::failure(err::no_such_key);
  auto i = util::parse_int64(index);
  if (!i) return op_status::not_integer;
  if (!as_list(r.value()).set(*i, elem)) return op_status::out_of_range;
  return true;
}

/// LINSERT: inserts `elem` before/after the first `pivot` of the list at `key`. Returns the
/// new length, 0 when the key is absent, -1 when no element equals `pivot`. Errors: WRONGTYPE.
op_result<std::int64_t> op_linsert(database& db, std::string_view key, bool after, std::string_view pivot,
                                   std::string_view elem) {
  auto r = find_list_write(db, key);
  if (!r.ok()) return op_status::wrong_type;
  if (!r.value()) return std::int64_t{0};
  list_value& l = as_list(r.value());
  if (!l.insert(pivot, elem, after)) return std::int64_t{-1};
  return static_cast<std::int64_t>(l.length());
}

/// LREM: removes up to |count| elements equal to `elem` (from the tail when count < 0, all
/// when 0) from the list at `key`. Returns how many. Errors: WRONGTYPE.
op_result<std::size_t> op_lrem(database& db, std::string_view key, std::int64_t count, std::string_view elem) {
  auto r = find_list_write(db, key);
  if (!r.ok()) return op_status::wrong_type;
  if (!r.value()) return std::size_t{0};
  list_value& l = as_list(r.value());
  std::size_t n = l.remove(count, elem);
  delete_if_empty(db, key, l);
  return n;
}

/// LPOS options after parsing.
struct lpos_params {
  std::int64_t rank = 1;    ///< negative: search from the tail
  std::int64_t count = -1;  ///< -1: option not given (reply one index); 0: all matches
  std::int64_t maxlen = 0;  ///< 0: no limit on compared elements
};

/// LPOS: the indexes (from the head) of matches of `elem` in `l`, as Redis lposCommand
/// selects them.
std::vector<std::int64_t> op_lpos(const list_value& l, std::string_view elem, const lpos_params& p) {
  std::vector<std::int64_t> out;
  bool from_tail = p.rank < 0;
  // -INT64_MIN wraps to itself in Redis (rank stays negative, so every match qualifies).
  std::int64_t rank =
      from_tail ? static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(p.rank)) : p.rank;
  auto len = static_cast<std::int64_t>(l.length());
  auto it = from_tail ? l.at(l.length() - 1, true) : l.at(0);
  std::int64_t index = 0, matches = 0;
  for (; it.valid() && (p.maxlen == 0 || index < p.maxlen); it.next(), ++index) {
    if (!it.equals(elem)) continue;
    ++matches;
    if (matches < rank) continue;
    out.push_back(from_tail ? len - index - 1 : index);
    if (p.count == -1 || (p.count != 0 && matches - rank + 1 >= p.count)) break;
  }
  return out;
}

// ============================================================================================
// (2) Handlers
// ============================================================================================

/// Replies `count` elements of `l` as an array, from index `first` towards the tail (or the
/// head when `reverse`).
void reply_elements(protocol::reply_builder& rb, const list_value& l, std::size_t first, std::size_t count,
                    bool reverse) {
  rb.array(count);
  listpack::int_buf buf;
  auto it = l.at(first, reverse);
  for (std::size_t i = 0; i < count && it.valid(); ++i, it.next()) rb.bulk(it.get(buf));
}

/// Keyspace events of a pop from end `e` of `l` (before an emptied key is deleted):
/// "lpop"/"rpop", then "del" when it emptied the list (Redis listPopRangeAndReplyWithKey).
void notify_pop(command_context& c, std::string_view key, const list_value& l, end e) {
  notify(c, pubsub::notify_list, e == end::head ? "lpop" : "rpop", key);
  if (l.length() == 0) notify(c, pubsub::notify_generic, "del", key);
}

/// LPOP RPOP (with count), LMPOP, BLMPOP: replies up to `count` elements popped from end `e`
/// of the list at `key` as an array, removes them and deletes an emptied key. Returns how
/// many it popped.
std::size_t pop_range_reply(command_context& c, std::string_view key, list_value& l, end e, std::size_t count) {
  auto& rb = c.rb;
  auto& db = c.db;
  std::size_t n = std::min(count, l.length());
  if (e == end::head) {
    reply_elements(rb, l, 0, n, false);
    l.erase(0, n);
  } else {
    reply_elements(rb, l, l.length() - 1, n, true);
    l.erase(l.length() - n, n);
  }
  notify_pop(c, key, l, e);
  delete_if_empty(db, key, l);
  return n;
}

/// Replies the element at end `e` of `l` as a bulk, pops it and deletes an emptied key.
void pop_one_reply(command_context& c, std::string_view key, list_value& l, end e) {
  listpack::int_buf buf;
  auto it = e == end::head ? l.at(0) : l.at(l.length() - 1);
  c.rb.bulk(it.get(buf));
  l.pop(e);
  notify_pop(c, key, l, e);
  delete_if_empty(c.db, key, l);
}

/// "LEFT"/"RIGHT" (Redis getListPositionFromObjectOrReply); nullopt otherwise.
std::optional<end> parse_side(std::string_view s) {
  if (iequals(s, "left")) return end::head;
  if (iequals(s, "right")) return end::tail;
  return std::nullopt;
}

std::string side_name(end e) { return e == end::head ? "LEFT" : "RIGHT"; }

int current_fill(const command_context& c) { return c.server.config.list_max_listpack_size.load(); }

/// LPUSH RPUSH LPUSHX RPUSHX.
void push_generic(command_context& c, end e, bool only_existing) {
  auto r = op_push(c.db, c.arg(1), c.args.subspan(2), e, only_existing, current_fill(c));
  if (!r.ok()) return c.rb.error(r.error());
  if (r.value() == 0) c.prop.none();
  else notify(c, pubsub::notify_list, e == end::head ? "lpush" : "rpush", c.arg(1));
  c.rb.integer(static_cast<std::int64_t>(r.value()));
}

void cmd_lpush(command_context& c) { push_generic(c, end::head, false); }
void cmd_rpush(command_context& c) { push_generic(c, end::tail, false); }
void cmd_lpushx(command_context& c) { push_generic(c, end::head, true); }
void cmd_rpushx(command_context& c) { push_generic(c, end::tail, true); }

/// LPOP RPOP key [count] (Redis popGenericCommand): a bulk without count, else an array; an
/// absent key answers a null bulk, or a null array with count.
void pop_generic(command_context& c, end e) {
  if (c.argc() > 3) return c.rb.error("ERR wrong number of arguments for '" + c.cmd.fullname + "' command");
  bool has_count = c.argc() == 3;
  std::int64_t count = 0;
  if (has_count) {
    auto n = util::parse_int64(c.arg(2));
    if (!n || *n < 0) return c.rb.error(err_positive);
    count = *n;
  }
  auto r = find_list_write(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value() || (has_count && count == 0)) {
    c.prop.none();
    if (!r.value()) return has_count ? c.rb.null_array() : c.rb.null();
    return c.rb.array(0);
  }
  list_value& l = as_list(r.value());
  if (!has_count) return pop_one_reply(c, c.arg(1), l, e);
  pop_range_reply(c, c.arg(1), l, e, static_cast<std::size_t>(count));
}

void cmd_lpop(command_context& c) { pop_generic(c, end::head); }
void cmd_rpop(command_context& c) { pop_generic(c, end::tail); }

void cmd_llen(command_context& c) {
  auto r = find_list_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.integer(r.value() ? static_cast<std::int64_t>(r.value()->length()) : 0);
}

void cmd_lrange(command_context& c) {
  auto start = util::parse_int64(c.arg(2));
  auto stop = util::parse_int64(c.arg(3));
  if (!start || !stop) return c.rb.error(err::not_integer);
  auto r = find_list_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value()) return c.rb.array(0);
  auto range = clamp_range(*start, *stop, r.value()->length());
  reply_elements(c.rb, *r.value(), range.start, range.count, false);
}

void cmd_lindex(command_context& c) {
  auto r = find_list_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value()) return c.rb.null();
  auto index = util::parse_int64(c.arg(2));
  if (!index) return c.rb.error(err::not_integer);
  std::size_t i = 0;
  if (!r.value()->normalize(*index, i)) return c.rb.null();
  listpack::int_buf buf;
  c.rb.bulk(r.value()->at(i).get(buf));
}

void cmd_lset(command_context& c) {
  auto r = op_lset(c.db, c.arg(1), c.arg(2), c.arg(3));
  if (!r.ok()) return c.rb.error(r.error());
  notify(c, pubsub::notify_list, "lset", c.arg(1));
  c.rb.simple("OK");
}

void cmd_linsert(command_context& c) {
  bool after;
  if (iequals(c.arg(2), "after")) after = true;
  else if (iequals(c.arg(2), "before")) after = false;
  else return c.rb.error(err::syntax);
  auto r = op_linsert(c.db, c.arg(1), after, c.arg(3), c.arg(4));
  if (!r.ok()) return c.rb.error(r.error());
  if (r.value() <= 0) c.prop.none();
  else notify(c, pubsub::notify_list, "linsert", c.arg(1));
  c.rb.integer(r.value());
}

void cmd_lrem(command_context& c) {
  auto count = util::parse_int64(c.arg(2));
  if (!count) return c.rb.error(err::not_integer);
  auto r = op_lrem(c.db, c.arg(1), *count, c.arg(3));
  if (!r.ok()) return c.rb.error(r.error());
  if (r.value() == 0) {
    c.prop.none();
  } else {
    notify(c, pubsub::notify_list, "lrem", c.arg(1));
    if (!c.db.lookup_write(c.arg(1))) notify(c, pubsub::notify_generic, "del", c.arg(1));
  }
  c.rb.integer(static_cast<std::int64_t>(r.value()));
}

void cmd_ltrim(command_context& c) {
  auto start = util::parse_int64(c.arg(2));
  auto stop = util::parse_int64(c.arg(3));
  if (!start || !stop) return c.rb.error(err::not_integer);
  bool existed = c.db.lookup_write(c.arg(1)) != nullptr;
  auto r = op_ltrim(c.db, c.arg(1), *start, *stop);
  if (!r.ok()) return c.rb.error(r.error());
  if (existed) {
    notify(c, pubsub::notify_list, "ltrim", c.arg(1));
    if (!c.db.lookup_write(c.arg(1))) notify(c, pubsub::notify_generic, "del", c.arg(1));
  }
  if (r.value().left + r.value().right == 0) c.prop.none();
  c.rb.simple("OK");
}

void cmd_lpos(command_context& c) {
  lpos_params p;
  for (std::size_t j = 3; j < c.argc(); ++j) {
    bool more = j + 1 < c.argc();
    auto opt = c.arg(j);
    if (iequals(opt, "rank") && more) {
      auto v = util::parse_int64(c.arg(++j));
      if (!v) return c.rb.error(err::not_integer);
      if (*v == 0) return c.rb.error(err_rank_zero);
      p.rank = *v;
    } else if (iequals(opt, "count") && more) {
      auto v = util::parse_int64(c.arg(++j));
      if (!v || *v < 0) return c.rb.error(err_count_negative);
      p.count = *v;
    } else if (iequals(opt, "maxlen") && more) {
      auto v = util::parse_int64(c.arg(++j));
      if (!v || *v < 0) return c.rb.error(err_maxlen_negative);
      p.maxlen = *v;
    } else {
      return c.rb.error(err::syntax);
    }
  }
  auto r = find_list_read(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value()) return p.count != -1 ? c.rb.array(0) : c.rb.null();
  auto found = op_lpos(*r.value(), c.arg(2), p);
  if (p.count == -1) {
    if (found.empty()) return c.rb.null();
    return c.rb.integer(found.front());
  }
  c.rb.array(found.size());
  for (auto i : found) c.rb.integer(i);
}

/// LMOVE RPOPLPUSH BLMOVE BRPOPLPUSH (Redis lmoveGenericCommand), after `src` was found to be
/// a non-empty list: checks the destination type, pops from `from`, pushes at `to` of `dst`
/// (creating it), replies the element and deletes an emptied source. Returns false when it
/// replied WRONGTYPE for the destination (nothing changed).
bool move_element(command_context& c, list_value& src, std::string_view src_key, std::string_view dst_key, end from,
                  end to) {
  auto d = find_list_write(c.db, dst_key);
  if (!d.ok()) return c.rb.error(d.error()), false;
  listpack::int_buf buf;
  std::string elem(from == end::head ? src.at(0).get(buf) : src.at(src.length() - 1).get(buf));
  src.pop(from);
  // The same key: d.value() is the source itself, which still exists (not yet deleted).
  list_value& dst = list_for_push(c.db, dst_key, d.value(), current_fill(c));
  dst.push(to, elem);
  notify(c, pubsub::notify_list, to == end::head ? "lpush" : "rpush", dst_key);
  notify(c, pubsub::notify_list, from == end::head ? "lpop" : "rpop", src_key);
  if (src.length() == 0) {
    c.db.del(src_key);
    notify(c, pubsub::notify_generic, "del", src_key);
  }
  c.rb.bulk(elem);
  return true;
}

/// LMOVE and RPOPLPUSH: a null bulk when the source is absent.
void lmove_generic(command_context& c, end from, end to) {
  auto r = find_list_write(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value()) {
    c.prop.none();
    return c.rb.null();
  }
  move_element(c, as_list(r.value()), c.arg(1), c.arg(2), from, to);
}

void cmd_lmove(command_context& c) {
  auto from = parse_side(c.arg(3));
  auto to = parse_side(c.arg(4));
  if (!from || !to) return c.rb.error(err::syntax);
  lmove_generic(c, *from, *to);
}

void cmd_rpoplpush(command_context& c) { lmove_generic(c, end::tail, end::head); }

/// Parsed LMPOP / BLMPOP arguments.
struct mpop_args {
  args_view keys;
  end where = end::head;
  std::int64_t count = 1;
};

/// LMPOP numkeys key... LEFT|RIGHT [COUNT n] from args[numkeys_idx] (Redis
/// lmpopGenericCommand's parsing); replies the error and returns nullopt when bad.
std::optional<mpop_args> parse_mpop(command_context& c, std::size_t numkeys_idx) {
  auto n = util::parse_int64(c.arg(numkeys_idx));
  if (!n || *n < 1) return c.rb.error(err_numkeys), std::nullopt;
  std::size_t avail = c.argc() - numkeys_idx - 1;
  if (static_cast<std::uint64_t>(*n) >= avail) return c.rb.error(err::syntax), std::nullopt;
  mpop_args a;
  a.keys = c.args.subspan(numkeys_idx + 1, static_cast<std::size_t>(*n));
  std::size_t where_idx = numkeys_idx + 1 + static_cast<std::size_t>(*n);
  auto side = parse_side(c.arg(where_idx));
  if (!side) return c.rb.error(err::syntax), std::nullopt;
  a.where = *side;
  bool have_count = false;
  for (std::size_t j = where_idx + 1; j < c.argc(); ++j) {
    if (!have_count && iequals(c.arg(j), "count") && j + 1 < c.argc()) {
      auto v = util::parse_int64(c.arg(++j));
      if (!v || *v < 1) return c.rb.error(err_count_positive), std::nullopt;
      a.count = *v;
      have_count = true;
    } else {
      return c.rb.error(err::syntax), std::nullopt;
    }
  }
  return a;
}

/// LMPOP and BLMPOP's served pop: replies [key, [elements]] for up to `count` elements of
/// the list at `key` from `where`, and logs it as LPOP/RPOP key n (Redis mpopGenericCommand).
void mpop_reply(command_context& c, std::string_view key, list_value& l, end where, std::int64_t count) {
  c.rb.array(2);
  c.rb.bulk(key);
  std::size_t n = pop_range_reply(c, key, l, where, static_cast<std::size_t>(count));
  c.prop.replace({where == end::head ? "LPOP" : "RPOP", std::string(key), std::to_string(n)});
}

/// LMPOP and BLMPOP's first attempt: pops from the first non-empty list among `a.keys`.
/// Returns true when it replied (popped, or WRONGTYPE), false when every key was absent.
bool try_mpop(command_context& c, const mpop_args& a) {
  for (auto key : a.keys) {
    auto r = find_list_write(c.db, key);
    if (!r.ok()) return c.rb.error(r.error()), true;
    if (!r.value()) continue;
    mpop_reply(c, key, as_list(r.value()), a.where, a.count);
    return true;
  }
  return false;
}

void cmd_lmpop(command_context& c) {
  auto a = parse_mpop(c, 1);
  if (!a) return;
  if (!try_mpop(c, *a)) {
    c.prop.none();
    c.rb.null_array();
  }
}

/// The keys of a blocking command as owned strings (block() keeps them past this call).
std::vector<std::string> key_list(args_view keys) { return {keys.begin(), keys.end()}; }

/// BLPOP BRPOP key... timeout (Redis blockingPopGenericCommand without count): replies
/// [key, element] from the first non-empty list, logged as LPOP/RPOP key.
void bpop_generic(command_context& c, end where) {
  auto timeout = parse_block_timeout(c, c.arg(c.argc() - 1));
  if (!timeout) return;
  auto keys = c.args.subspan(1, c.argc() - 2);
  for (auto key : keys) {
    auto r = find_list_write(c.db, key);
    if (!r.ok()) return c.rb.error(r.error());
    if (!r.value()) continue;
    c.rb.array(2);
    c.rb.bulk(key);
    pop_one_reply(c, key, as_list(r.value()), where);
    c.prop.replace({where == end::head ? "LPOP" : "RPOP", std::string(key)});
    return;
  }
  if (!may_block(c)) {
    c.prop.none();
    return reply_timeout(c, block_timeout_reply::null_array);
  }
  block(c, key_list(keys), {}, *timeout, block_timeout_reply::null_array,
        [where](command_context& cc, std::string_view key) -> bool {
          value* v = cc.db.lookup_write(key);
          if (!v || v->type() != value_type::list || as_list(v).length() == 0) return false;
          cc.rb.array(2);
          cc.rb.bulk(key);
          pop_one_reply(cc, key, as_list(v), where);
          cc.prop.replace({where == end::head ? "LPOP" : "RPOP", std::string(key)});
          return true;
        });
}

void cmd_blpop(command_context& c) { bpop_generic(c, end::head); }
void cmd_brpop(command_context& c) { bpop_generic(c, end::tail); }

/// BLMOVE and BRPOPLPUSH (Redis blmoveGenericCommand): LMOVE when the source exists, else
/// block on it with the destination as an extra key. Served moves log LMOVE (or RPOPLPUSH).
void blmove_generic(command_context& c, end from, end to, std::int64_t timeout_ms, bool rpoplpush) {
  auto r = find_list_write(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (r.value()) {
    if (move_element(c, as_list(r.value()), c.arg(1), c.arg(2), from, to)) {
      if (rpoplpush) c.prop.replace({"RPOPLPUSH", std::string(c.arg(1)), std::string(c.arg(2))});
      else
        c.prop.replace({"LMOVE", std::string(c.arg(1)), std::string(c.arg(2)), side_name(from), side_name(to)});
    }
    return;
  }
  if (!may_block(c)) {
    c.prop.none();
    return reply_timeout(c, block_timeout_reply::null_bulk);
  }
  block(c, {std::string(c.arg(1))}, {std::string(c.arg(2))}, timeout_ms, block_timeout_reply::null_bulk,
        [from, to, rpoplpush](command_context& cc, std::string_view key) -> bool {
          value* v = cc.db.lookup_write(key);
          if (!v || v->type() != value_type::list || as_list(v).length() == 0) return false;
          std::string dst(cc.arg(2));
          if (!move_element(cc, as_list(v), key, dst, from, to)) {
            cc.prop.none();  // WRONGTYPE destination: the waiter gets the error, nothing moved
            return true;
          }
          if (rpoplpush) cc.prop.replace({"RPOPLPUSH", std::string(key), dst});
          else cc.prop.replace({"LMOVE", std::string(key), dst, side_name(from), side_name(to)});
          return true;
        });
}

void cmd_blmove(command_context& c) {
  auto from = parse_side(c.arg(3));
  auto to = parse_side(c.arg(4));
  if (!from || !to) return c.rb.error(err::syntax);
  auto timeout = parse_block_timeout(c, c.arg(5));
  if (!timeout) return;
  blmove_generic(c, *from, *to, *timeout, false);
}

void cmd_brpoplpush(command_context& c) {
  auto timeout = parse_block_timeout(c, c.arg(3));
  if (!timeout) return;
  blmove_generic(c, end::tail, end::head, *timeout, true);
}

/// BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT n]: the timeout is checked after the
/// other arguments, as Redis does.
void cmd_blmpop(command_context& c) {
  auto a = parse_mpop(c, 2);
  if (!a) return;
  auto timeout = parse_block_timeout(c, c.arg(1));
  if (!timeout) return;
  if (try_mpop(c, *a)) return;
  if (!may_block(c)) {
    c.prop.none();
    return reply_timeout(c, block_timeout_reply::null_array);
  }
  block(c, key_list(a->keys), {}, *timeout, block_timeout_reply::null_array,
        [where = a->where, count = a->count](command_context& cc, std::string_view key) -> bool {
          value* v = cc.db.lookup_write(key);
          if (!v || v->type() != value_type::list || as_list(v).length() == 0) return false;
          mpop_reply(cc, key, as_list(v), where, count);
          return true;
        });
}

}  // namespace

// ============================================================================================
// (3) Registration (Redis 7.0 src/commands/*.json; checked against command_meta.json)
// ============================================================================================

void register_list_family(command_table& t) {
  constexpr std::uint32_t w_oom = f_write | f_denyoom;
  constexpr std::uint32_t w_block = f_write | f_noscript | f_blocking;
  t.add({"lpush", -3, w_oom | f_fast, 1, 1, 1, cmd_lpush, "write list fast"});
  t.add({"rpush", -3, w_oom | f_fast, 1, 1, 1, cmd_rpush, "write list fast"});
  t.add({"lpushx", -3, w_oom | f_fast, 1, 1, 1, cmd_lpushx, "write list fast"});
  t.add({"rpushx", -3, w_oom | f_fast, 1, 1, 1, cmd_rpushx, "write list fast"});
  t.add({"lpop", -2, f_write | f_fast, 1, 1, 1, cmd_lpop, "write list fast"});
  t.add({"rpop", -2, f_write | f_fast, 1, 1, 1, cmd_rpop, "write list fast"});
  t.add({"llen", 2, f_readonly | f_fast, 1, 1, 1, cmd_llen, "read list fast"});
  t.add({"lrange", 4, f_readonly, 1, 1, 1, cmd_lrange, "read list slow"});
  t.add({"lindex", 3, f_readonly, 1, 1, 1, cmd_lindex, "read list slow"});
  t.add({"lset", 4, w_oom, 1, 1, 1, cmd_lset, "write list slow"});
  t.add({"linsert", 5, w_oom, 1, 1, 1, cmd_linsert, "write list slow"});
  t.add({"lrem", 4, f_write, 1, 1, 1, cmd_lrem, "write list slow"});
  t.add({"ltrim", 4, f_write, 1, 1, 1, cmd_ltrim, "write list slow"});
  t.add({"lpos", -3, f_readonly, 1, 1, 1, cmd_lpos, "read list slow"});
  t.add({"lmove", 5, w_oom, 1, 2, 1, cmd_lmove, "write list slow"});
  t.add({"rpoplpush", 3, w_oom, 1, 2, 1, cmd_rpoplpush, "write list slow"});
  t.add({"lmpop", -4, f_write | f_movablekeys, 0, 0, 0, cmd_lmpop, "write list slow"});
  t.add({"blpop", -3, w_block, 1, -2, 1, cmd_blpop, "write list slow blocking"});
  t.add({"brpop", -3, w_block, 1, -2, 1, cmd_brpop, "write list slow blocking"});
  t.add({"blmove", 6, w_block | f_denyoom, 1, 2, 1, cmd_blmove, "write list slow blocking"});
  t.add({"brpoplpush", 4, w_block | f_denyoom, 1, 2, 1, cmd_brpoplpush, "write list slow blocking"});
  t.add({"blmpop", -5, f_write | f_blocking | f_movablekeys, 0, 0, 0, cmd_blmpop, "write list slow blocking"});
}

}  // namespace kvd::command
