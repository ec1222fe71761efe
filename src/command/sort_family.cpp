// SORT and SORT_RO over lists, sets and sorted sets (Redis 7.0 src/sort.c): BY pattern
// (string keys or hash fields via "->", "nosort"), LIMIT offset count, GET pattern ... ("#" is
// the element), ASC|DESC, ALPHA, STORE destination (SORT only).
//
// Locking: BY and GET patterns read keys that are only known while sorting, so both commands
// are flagged f_global_lock (every shard held): the handler may read any key of the db.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kvd/command/arg_parser.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/notify.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/store/hash.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/store/list.hpp"
#include "kvd/store/set.hpp"
#include "kvd/store/zset.hpp"

namespace kvd::command {
namespace {

using store::database;
using store::value;
using store::value_type;

// ============================================================================================
// (1) Store side: pattern lookup and the sort itself, reply-agnostic.
// ============================================================================================

/// Redis lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced
/// by the element and the key read as a string, or, with "->field" after the '*', as a hash
/// field. No '*' (or a missing key, a wrong type, a missing field) gives nullopt.
std::optional<std::string> lookup_by_pattern(database& db, std::string_view pattern, std::string_view elem) {
  if (pattern == "#") return std::string(elem);
  auto star = pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  std::string_view field;
  auto arrow = pattern.find("->", star + 1);
  std::string_view rest = pattern.substr(star + 1);
  if (arrow != std::string_view::npos && arrow + 2 < pattern.size()) {
    field = pattern.substr(arrow + 2);
    rest = pattern.substr(star + 1, arrow - star - 1);
  }
  std::string key;
  key.reserve(pattern.size() + elem.size());
  key.append(pattern.substr(0, star)).append(elem).append(rest);
  value* v = db.lookup_read(key);
  if (!v) return std::nullopt;
  if (!field.empty()) {
    if (v->type() != value_type::hash) return std::nullopt;
    store::hash::int_buf buf;
    auto got = store::hash(*v).get(field, buf);  // small hashes are listpacks held by the value
    if (!got) return std::nullopt;
    return std::string(*got);
  }
  if (!v->is_string()) return std::nullopt;
  return std::string(v->str());
}

struct sort_item {
  explicit sort_item(std::string e) : elem(std::move(e)) {}
  std::string elem;
  double score = 0;                   ///< numeric sort key
  std::optional<std::string> cmpobj;  ///< ALPHA with BY: the looked-up value
};

/// The parsed command.
struct sort_options {
  std::optional<std::string_view> by;
  bool dontsort = false;
  std::int64_t limit_start = 0, limit_count = -1;
  std::vector<std::string_view> gets;
  bool desc = false, alpha = false;
  std::optional<std::string_view> store;
};

/// Redis sortCompare: scores (ties by the elements' bytes) or ALPHA (by the looked-up values
/// when BY is given, missing ones first; else the elements), reversed for DESC.
bool item_less(const sort_item& a, const sort_item& b, const sort_options& o) {
  int cmp = 0;
  if (!o.alpha) {
    if (a.score > b.score) cmp = 1;
    else if (a.score < b.score) cmp = -1;
    else cmp = a.elem.compare(b.elem) < 0 ? -1 : (a.elem == b.elem ? 0 : 1);
  } else if (o.by) {
    if (!a.cmpobj || !b.cmpobj) {
      if (a.cmpobj == b.cmpobj) cmp = 0;  // both missing
      else cmp = !a.cmpobj ? -1 : 1;
    } else {
      int r = a.cmpobj->compare(*b.cmpobj);
      cmp = r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
  } else {
    int r = a.elem.compare(b.elem);
    cmp = r < 0 ? -1 : (r > 0 ? 1 : 0);
  }
  return (o.desc ? -cmp : cmp) < 0;
}

/// Redis's strtod check for SORT scores: the whole string, no ERANGE, not NaN.
std::optional<double> sort_score(const std::string& s) {
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (*end != '\0' || errno == ERANGE || std::isnan(d)) return std::nullopt;
  return d;
}

// ============================================================================================
// (2) The handler.
// ============================================================================================

void sort_generic(command_context& c, bool readonly) {
  database& db = c.db;
  sort_options o;
  std::size_t j = 2;
  bool syntax_error = false;
  while (j < c.argc()) {
    std::size_t left = c.argc() - j - 1;
    auto a = c.arg(j);
    if (iequals(a, "asc")) {
      o.desc = false;
    } else if (iequals(a, "desc")) {
      o.desc = true;
    } else if (iequals(a, "alpha")) {
      o.alpha = true;
    } else if (iequals(a, "limit") && left >= 2) {
      auto s = util::parse_int64(c.arg(j + 1)), n = util::parse_int64(c.arg(j + 2));
      if (!s || !n) return c.rb.error(err::not_integer);
      o.limit_start = *s;
      o.limit_count = *n;
      j += 2;
    } else if (iequals(a, "store") && left >= 1 && !readonly) {
      o.store = c.arg(j + 1);
      j += 1;
    } else if (iequals(a, "by") && left >= 1) {
      o.by = c.arg(j + 1);
      // A BY pattern without '*' cannot name per-element keys: no sorting at all.
      if (o.by->find('*') == std::string_view::npos) o.dontsort = true;
      j += 1;
    } else if (iequals(a, "get") && left >= 1) {
      o.gets.push_back(c.arg(j + 1));
      j += 1;
    } else {
      syntax_error = true;
      break;
    }
    ++j;
  }
  if (syntax_error) return c.rb.error(err::syntax);

  value* v = db.lookup_read(c.arg(1));
  if (v && v->type() != value_type::list && v->type() != value_type::set && v->type() != value_type::zset)
    return c.rb.error(err::wrong_type);

  // Redis: BY nosort on a set is not deterministic; with STORE it sorts ALPHA instead, so the
  // stored result (and the AOF) is the same everywhere.
  if (o.dontsort && v && v->type() == value_type::set && o.store) {
    o.dontsort = false;
    o.alpha = true;
    o.by.reset();
  }

  std::size_t vectorlen = v ? v->obj()->length() : 0;
  std::int64_t start = o.limit_start < 0 ? 0 : o.limit_start;
  std::int64_t end = o.limit_count < 0 ? static_cast<std::int64_t>(vectorlen) - 1 : start + o.limit_count - 1;
  if (start >= static_cast<std::int64_t>(vectorlen)) {
    start = static_cast<std::int64_t>(vectorlen) - 1;
    end = static_cast<std::int64_t>(vectorlen) - 2;
  }
  if (end >= static_cast<std::int64_t>(vectorlen)) end = static_cast<std::int64_t>(vectorlen) - 1;

  // Load the elements. A list or sorted set with nosort yields only the LIMIT range, in its
  // order (reversed for DESC), as Redis does.
  std::vector<sort_item> items;
  bool zset_range = false;
  if (v) {
    items.reserve(vectorlen);
    if (v->type() == value_type::list && o.dontsort) {
      auto& l = *static_cast<const store::list_value*>(v->obj());
      store::listpack::int_buf buf;
      if (start <= end && end >= 0) {
        auto want = static_cast<std::size_t>(end - start + 1);
        auto first = o.desc ? l.length() - 1 - static_cast<std::size_t>(start) : static_cast<std::size_t>(start);
        for (auto it = l.at(first, o.desc); it.valid() && items.size() < want; it.next())
          items.emplace_back(std::string(it.get(buf)));
      }
      zset_range = true;
    } else if (v->type() == value_type::list) {
      auto& l = *static_cast<const store::list_value*>(v->obj());
      store::listpack::int_buf buf;
      for (auto it = l.at(0); it.valid(); it.next()) items.emplace_back(std::string(it.get(buf)));
    } else if (v->type() == value_type::set) {
      static_cast<const store::set_object*>(v->obj())->for_each(
          [&](const auto& m) { items.emplace_back(std::string(m.view())); });
    } else if (o.dontsort) {
      auto& z = *static_cast<const store::zset*>(v->obj());
      if (start <= end && end >= 0) {
        std::size_t want = static_cast<std::size_t>(end - start + 1);
        z.walk(static_cast<std::size_t>(start), o.desc, [&](std::string_view m, double) {
          items.emplace_back(std::string(m));
          return items.size() < want;
        });
      }
      zset_range = true;
    } else {
      static_cast<const store::zset*>(v->obj())->walk(0, false, [&](std::string_view m, double) {
        items.emplace_back(std::string(m));
        return true;
      });
    }
  }

  if (!o.dontsort) {
    for (auto& it : items) {
      std::optional<std::string> byval;
      if (o.by) byval = lookup_by_pattern(db, *o.by, it.elem);
      if (o.alpha) {
        if (o.by) it.cmpobj = std::move(byval);
      } else {
        const std::string* src = o.by ? (byval ? &*byval : nullptr) : &it.elem;
        if (src) {
          auto d = sort_score(*src);
          if (!d) return c.rb.error("ERR One or more scores can't be converted into double");
          it.score = *d;
        }
      }
    }
    std::sort(items.begin(), items.end(), [&](const sort_item& a, const sort_item& b) { return item_less(a, b, o); });
  }

  // The output window.
  std::size_t from = 0, count = 0;
  if (zset_range) {
    count = items.size();
  } else if (start <= end && end >= 0) {
    from = static_cast<std::size_t>(start);
    count = static_cast<std::size_t>(end - start + 1);
  }

  if (!o.store) {
    std::size_t per = o.gets.empty() ? 1 : o.gets.size();
    c.rb.array(count * per);
    for (std::size_t i = from; i < from + count; ++i) {
      if (o.gets.empty()) {
        c.rb.bulk(items[i].elem);
        continue;
      }
      for (auto g : o.gets) {
        auto got = lookup_by_pattern(db, g, items[i].elem);
        if (got) c.rb.bulk(*got);
        else c.rb.null();
      }
    }
    return;
  }

  // STORE: the output as a list (missing GETs stored as ""), replacing the destination; an
  // empty result deletes it.
  std::vector<std::string> out;
  for (std::size_t i = from; i < from + count; ++i) {
    if (o.gets.empty()) {
      out.push_back(items[i].elem);
      continue;
    }
    for (auto g : o.gets) out.push_back(lookup_by_pattern(db, g, items[i].elem).value_or(std::string()));
  }
  if (out.empty()) {
    bool existed = db.del(*o.store);
    if (!existed) c.prop.none();
    else notify(c, pubsub::notify_generic, "del", *o.store);
    return c.rb.integer(0);
  }
  auto list = std::make_unique<store::list_value>(c.server.config.list_max_listpack_size.load());
  for (auto& e : out) list->push(store::list_value::end::tail, e);
  db.set(*o.store, value::make_collection(value_type::list, std::move(list)));
  notify(c, pubsub::notify_list, "sortstore", *o.store);
  c.rb.integer(static_cast<std::int64_t>(out.size()));
}

void cmd_sort(command_context& c) { sort_generic(c, false); }
void cmd_sort_ro(command_context& c) { sort_generic(c, true); }

}  // namespace

// ============================================================================================
// (3) Registration: Redis 7.0 COMMAND INFO (arity, flags, first/last/step, ACL categories).
// ============================================================================================

void register_sort_family(command_table& t) {
  t.add({"sort", -2, f_write | f_denyoom | f_movablekeys | f_global_lock, 1, 1, 1, cmd_sort,
         "write set sortedset list slow dangerous"});
  t.add({"sort_ro", -2, f_readonly | f_movablekeys | f_global_lock, 1, 1, 1, cmd_sort_ro,
         "read set sortedset list slow dangerous"});
}

}  // namespace kvd::command
