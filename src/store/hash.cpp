// The hash type: listpack and hashtable encodings (Redis 7.0 src/t_hash.c).
#include "kvd/store/hash.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <random>

#include "kvd/util/numbers.hpp"

namespace kvd::store {

namespace detail {
std::uint64_t hash_random64() noexcept {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}
}  // namespace detail

namespace {
/// Redis LISTPACK_MAX_SAFETY_SIZE: a listpack is never let grow past 1 GB.
constexpr std::size_t listpack_max_safety_size = std::size_t{1} << 30;

/// Heap bytes of a table node's field and value outside the node.
std::size_t node_extra(const util::small_string& k, const hash_value& v) noexcept {
  return k.heap_bytes() + v.heap_bytes();
}
}  // namespace

std::size_t hash_table::memory_usage() const noexcept {
  using node = dict<hash_value>::node;
  return sizeof(hash_table) + d.bucket_bytes() + d.size() * sizeof(node) + extra;
}

std::unique_ptr<collection> hash_table::clone() const {
  auto out = std::make_unique<hash_table>();
  d.for_each([&](const auto& n) {
    auto* nn = out->d.insert_new(n.key.view(), util::hash_bytes(n.key.view()), hash_value(n.val.view()));
    out->extra += node_extra(nn->key, nn->val);
  });
  return out;
}

std::size_t hash::length() const noexcept { return is_table() ? table()->d.size() : lp().size() / 2; }

listpack::pos hash::lp_find(std::string_view field) const noexcept {
  const listpack& l = lp();
  auto first = l.first();
  if (first == listpack::npos) return listpack::npos;
  return l.find(first, field, 1);
}

std::optional<std::string_view> hash::get(std::string_view field, int_buf& buf) const noexcept {
  if (is_table()) {
    auto* n = table()->d.find(field);
    if (!n) return std::nullopt;
    return n->val.view();
  }
  auto p = lp_find(field);
  if (p == listpack::npos) return std::nullopt;
  return lp().get(lp().next(p), buf);
}

bool hash::exists(std::string_view field) const noexcept {
  if (is_table()) return table()->d.find(field) != nullptr;
  return lp_find(field) != listpack::npos;
}

std::size_t hash::strlen(std::string_view field) const noexcept {
  int_buf buf;
  auto v = get(field, buf);
  return v ? v->size() : 0;
}

void hash::convert_to_table() {
  if (is_table()) return;
  auto t = std::make_unique<hash_table>();
  const listpack& l = lp();
  int_buf fb, vb;
  for (auto p = l.first(); p != listpack::npos;) {
    auto v = l.next(p);
    std::string_view f = l.get(p, fb);
    auto h = util::hash_bytes(f);
    // A listpack never holds a field twice (Redis panics on a corrupt one; keep the first).
    if (!t->d.find(f, h)) {
      auto* n = t->d.insert_new(f, h, hash_value(l.get(v, vb)));
      t->extra += node_extra(n->key, n->val);
    }
    p = l.next(v);
  }
  v_->set_collection(std::move(t));
}

void hash::try_conversion(std::span<const std::string_view> args, const hash_limits& lim) {
  if (is_table()) return;
  std::size_t sum = 0;
  for (auto a : args) {
    if (static_cast<std::int64_t>(a.size()) > lim.max_listpack_value) return convert_to_table();
    sum += a.size();
  }
  if (lp().bytes() + sum > listpack_max_safety_size) convert_to_table();
}

bool hash::set(std::string_view field, std::string_view value, const hash_limits& lim) {
  if (!is_table() && (static_cast<std::int64_t>(field.size()) > lim.max_listpack_value ||
                      static_cast<std::int64_t>(value.size()) > lim.max_listpack_value))
    convert_to_table();
  if (!is_table()) {
    listpack& l = lp();
    auto p = lp_find(field);
    if (p != listpack::npos) {
      l.replace(l.next(p), value);
      return false;
    }
    l.push_back(field);
    l.push_back(value);
    if (static_cast<std::int64_t>(l.size() / 2) > lim.max_listpack_entries) convert_to_table();
    return true;
  }
  hash_table* t = table();
  auto h = util::hash_bytes(field);
  if (auto* n = t->d.find(field, h)) {
    t->extra -= n->val.heap_bytes();
    n->val.assign(value);
    t->extra += n->val.heap_bytes();
    return false;
  }
  auto* n = t->d.insert_new(field, h, hash_value(value));
  t->extra += node_extra(n->key, n->val);
  return true;
}

bool hash::erase(std::string_view field) noexcept {
  if (!is_table()) {
    auto p = lp_find(field);
    if (p == listpack::npos) return false;
    lp().erase_range(p, 2);
    return true;
  }
  hash_table* t = table();
  auto h = util::hash_bytes(field);
  auto* n = t->d.find(field, h);
  if (!n) return false;
  t->extra -= node_extra(n->key, n->val);
  t->d.erase(field, h);
  return true;
}

hash::incr_int_result hash::incrby(std::string_view field, std::int64_t delta, const hash_limits& lim) {
  incr_int_result r;
  std::int64_t cur = 0;
  int_buf buf;
  if (auto v = get(field, buf)) {
    auto p = util::parse_int64(*v);
    if (!p) {
      r.error = err_not_integer;
      return r;
    }
    cur = *p;
  }
  if ((delta < 0 && cur < 0 && delta < std::numeric_limits<std::int64_t>::min() - cur) ||
      (delta > 0 && cur > 0 && delta > std::numeric_limits<std::int64_t>::max() - cur)) {
    r.error = err_overflow;
    return r;
  }
  cur += delta;
  char out[24];
  auto e = std::to_chars(out, out + sizeof out, cur);
  set(field, std::string_view(out, static_cast<std::size_t>(e.ptr - out)), lim);
  r.value = cur;
  return r;
}

hash::incr_float_result hash::incrbyfloat(std::string_view field, long double delta, const hash_limits& lim) {
  incr_float_result r;
  long double cur = 0;
  int_buf buf;
  if (auto v = get(field, buf)) {
    auto p = util::parse_long_double(*v);
    if (!p) {
      r.error = err_not_float;
      return r;
    }
    cur = *p;
  }
  cur += delta;
  if (std::isnan(cur) || std::isinf(cur)) {
    r.error = err_nan;
    return r;
  }
  r.text = util::format_long_double_human(cur);
  set(field, r.text, lim);
  return r;
}

}  // namespace kvd::store
