// The hash type (Redis 7.0 src/t_hash.c): a field -> value map in one of Redis's two
// encodings, reported by OBJECT ENCODING:
//   "listpack"  field, value, field, value... in one kvd::store::listpack, insertion order,
//               while the hash has at most hash-max-listpack-entries fields and no field or
//               value longer than hash-max-listpack-value bytes;
//   "hashtable" a kvd::store::dict of field -> hash_value (unordered; SCAN cursor).
// A listpack converts to a hashtable where Redis converts (hashTypeTryConversion before a
// write, hashTypeSet after it), never back.
//
// Memory: a listpack-encoded hash is a bare listpack inside the keyspace value
// (value::make_listpack): no object around it, so a small hash costs its listpack bytes only,
// as in Redis. The hashtable encoding is a hash_table collection object; a field costs one
// 48-byte dict node (next, 24-byte field with 23 bytes inline, 16-byte value with 15 bytes
// inline) plus its bucket slot.
//
// `hash` is a handle over a keyspace value of type hash (either encoding); conversions
// replace the value's representation in place (value::set_collection), keeping its TTL and
// LRU. Not thread-safe: the owning shard's lock protects it. string_views returned by reads
// point into the hash (or into the caller's buffer) and stay valid until the next write.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <unordered_set>
#include <string_view>
#include <utility>

#include "kvd/store/dict.hpp"
#include "kvd/store/listpack.hpp"
#include "kvd/store/value.hpp"

namespace kvd::store {

/// A 16-byte owning byte string for hashtable values: up to 15 bytes inline, longer values
/// in one exact-size heap block. Move-only except for the explicit copy().
class hash_value {
 public:
  static constexpr std::size_t inline_capacity = 15;

  hash_value() noexcept { set_inline_size(0); }
  explicit hash_value(std::string_view s) { init(s); }
  hash_value(hash_value&& o) noexcept {
    std::memcpy(raw_, o.raw_, sizeof raw_);
    o.set_inline_size(0);
  }
  hash_value& operator=(hash_value&& o) noexcept {
    if (this != &o) {
      release();
      std::memcpy(raw_, o.raw_, sizeof raw_);
      o.set_inline_size(0);
    }
    return *this;
  }
  hash_value(const hash_value&) = delete;
  hash_value& operator=(const hash_value&) = delete;
  ~hash_value() { release(); }

  /// Replaces the bytes with `s` (must not alias this value's own bytes).
  void assign(std::string_view s) {
    hash_value tmp(s);
    *this = std::move(tmp);
  }
  [[nodiscard]] bool is_inline() const noexcept { return (static_cast<unsigned char>(raw_[15]) & 0x80) == 0; }
  [[nodiscard]] std::string_view view() const noexcept {
    if (is_inline()) return {raw_, inline_capacity - static_cast<std::size_t>(raw_[15])};
    heap_rep h = heap();
    return {h.ptr, static_cast<std::size_t>(h.size & ~heap_flag)};
  }
  /// Heap bytes held (0 when inline).
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return is_inline() ? 0 : view().size(); }

 private:
  struct heap_rep {
    char* ptr;
    std::uint64_t size;  // top bit (the top bit of raw_[15], little-endian) marks the heap form
  };
  static constexpr std::uint64_t heap_flag = 1ULL << 63;

  [[nodiscard]] heap_rep heap() const noexcept {
    heap_rep h;
    std::memcpy(&h, raw_, sizeof h);
    return h;
  }
  void set_inline_size(std::size_t n) noexcept { raw_[15] = static_cast<char>(inline_capacity - n); }
  void init(std::string_view s) {
    if (s.size() <= inline_capacity) {
      if (!s.empty()) std::memcpy(raw_, s.data(), s.size());
      set_inline_size(s.size());
      return;
    }
    char* p = static_cast<char*>(std::malloc(s.size()));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    heap_rep h{p, s.size() | heap_flag};
    std::memcpy(raw_, &h, sizeof h);
  }
  void release() noexcept {
    if (!is_inline()) std::free(heap().ptr);
  }

  char raw_[16];
};
static_assert(sizeof(hash_value) == 16);

/// Encoding thresholds, read from the config at call time (hash-max-listpack-entries,
/// hash-max-listpack-value).
struct hash_limits {
  std::int64_t max_listpack_entries = 512;  ///< fields
  std::int64_t max_listpack_value = 64;     ///< bytes per field or value
};

/// The hashtable encoding: the collection object a value of type hash holds once converted.
class hash_table final : public collection {
 public:
  /// "hashtable".
  [[nodiscard]] std::string_view encoding() const noexcept override { return "hashtable"; }
  /// Heap bytes: this object, the bucket array, the nodes, and the bytes of long fields and
  /// values outside the nodes. O(1).
  [[nodiscard]] std::size_t memory_usage() const noexcept override;
  /// Deep copy (COPY).
  [[nodiscard]] std::unique_ptr<collection> clone() const override;
  /// Number of fields.
  [[nodiscard]] std::size_t length() const noexcept override { return d.size(); }

  dict<hash_value> d;     ///< field -> value
  std::size_t extra = 0;  ///< heap bytes of fields and values outside the nodes
};

/// Operations on a keyspace value of type hash, in either encoding (Redis t_hash.c
/// hashType* functions). A non-owning handle: valid while the value is; writes may change
/// the value's representation (listpack -> hashtable).
class hash {
 public:
  /// Buffer for listpack integer entries rendered as text (reads may return views into it).
  using int_buf = listpack::int_buf;

  /// Redis's error texts for HINCRBY / HINCRBYFLOAT (t_hash.c).
  static constexpr std::string_view err_not_integer = "ERR hash value is not an integer";
  static constexpr std::string_view err_not_float = "ERR hash value is not a float";
  static constexpr std::string_view err_overflow = "ERR increment or decrement would overflow";
  static constexpr std::string_view err_nan = "ERR increment would produce NaN or Infinity";

  /// A new, empty hash value (listpack encoding, Redis createHashObject).
  static value make() { return value::make_listpack(value_type::hash, listpack()); }

  /// A null handle (valid() false).
  hash() noexcept = default;
  /// The hash held by `v`. Precondition: v.type() == value_type::hash. Read-only callers
  /// may pass a const value and must then call only the const members.
  explicit hash(const value& v) noexcept : v_(const_cast<value*>(&v)) {}

  [[nodiscard]] bool valid() const noexcept { return v_ != nullptr; }
  /// "listpack" or "hashtable".
  [[nodiscard]] std::string_view encoding() const noexcept { return is_table() ? "hashtable" : "listpack"; }
  [[nodiscard]] bool is_listpack() const noexcept { return !is_table(); }
  /// Number of fields (HLEN).
  [[nodiscard]] std::size_t length() const noexcept;

  // ---- Reads ----

  /// The value of `field` (HGET, HMGET), or nullopt. Listpack integers render into `buf`.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view field, int_buf& buf) const noexcept;
  /// True when `field` exists (HEXISTS).
  [[nodiscard]] bool exists(std::string_view field) const noexcept;
  /// Length in bytes of the value of `field`, 0 when absent (HSTRLEN).
  [[nodiscard]] std::size_t strlen(std::string_view field) const noexcept;

  /// Calls f(field, value) for every field: listpack in insertion order, hashtable in table
  /// order (HKEYS, HVALS, HGETALL). f must not modify the hash.
  template <class F>
  void for_each(F&& f) const {
    if (is_table()) {
      table()->d.for_each([&](const auto& n) { f(n.key.view(), n.val.view()); });
      return;
    }
    const listpack& l = lp();
    int_buf fb, vb;
    for (auto p = l.first(); p != listpack::npos;) {
      auto v = l.next(p);
      f(l.get(p, fb), l.get(v, vb));
      p = l.next(v);
    }
  }

  /// HSCAN step (Redis scanGenericCommand). A listpack is returned whole, whatever the
  /// cursor, and 0 comes back. A hashtable visits bucket chains from `cursor` (dict's
  /// reverse-binary cursor) until `count` entries (a field and its value count as two, as in
  /// Redis) were emitted or count*10 buckets were visited; returns the next cursor (0 = done).
  /// f(field, value) gets each element visited.
  template <class F>
  std::uint64_t scan(std::uint64_t cursor, std::int64_t count, F&& f) const {
    if (!is_table()) {
      for_each(f);
      return 0;
    }
    const auto& d = table()->d;
    std::int64_t emitted = 0;
    std::int64_t max_iterations = count > INT64_MAX / 10 ? INT64_MAX : count * 10;
    do {
      cursor = d.scan(cursor, [&](const auto& n) {
        f(n.key.view(), n.val.view());
        emitted += 2;
      });
    } while (cursor && max_iterations-- && emitted < count);
    return cursor;
  }

  /// Calls f(field, value) once for a random field (HRANDFIELD without count). Precondition:
  /// the hash is not empty.
  template <class F>
  void random_one(F&& f) const {
    random_with_repeats(1, f);
  }

  /// HRANDFIELD key count (Redis hrandfieldWithCountCommand), count != 0: count < 0 calls
  /// f(field, value) for |count| random fields that may repeat; 1 < count < length() for
  /// `count` distinct fields; count >= length() for every field in iteration order. How
  /// many calls f gets is random_reply_size(count), known in advance for the reply header.
  template <class F>
  void random_fields(std::int64_t count, F&& f) const {
    if (count < 0) {
      random_with_repeats(static_cast<std::uint64_t>(-(count + 1)) + 1, f);
    } else if (count == 1) {
      random_with_repeats(1, f);  // Redis serves count 1 on the "may repeat" path
    } else if (static_cast<std::uint64_t>(count) >= length()) {
      for_each(f);
    } else {
      random_unique(static_cast<std::size_t>(count), f);
    }
  }
  /// How many elements random_fields(count, ...) emits.
  [[nodiscard]] std::uint64_t random_reply_size(std::int64_t count) const noexcept {
    if (count < 0) return static_cast<std::uint64_t>(-(count + 1)) + 1;
    return std::min<std::uint64_t>(static_cast<std::uint64_t>(count), length());
  }

  // ---- Writes ----

  /// Redis hashTypeTryConversion: converts a listpack to a hashtable when any of `args`
  /// (the fields and values about to be written) is longer than the value limit, or when
  /// the listpack would pass its 1 GB safety size.
  void try_conversion(std::span<const std::string_view> args, const hash_limits& lim);
  /// Sets `field` to `value` (HSET, HMSET, HSETNX, HINCRBY*), converting to a hashtable
  /// first when either is longer than the value limit and after when the field count
  /// passes the entries limit (Redis hashTypeSet). Returns true when the field was created,
  /// false when an existing field was updated.
  bool set(std::string_view field, std::string_view value, const hash_limits& lim);
  /// Removes `field` (HDEL); returns true when it existed. The caller deletes the key of
  /// an emptied hash.
  bool erase(std::string_view field) noexcept;

  /// HINCRBY: adds `delta` to the integer value of `field` (0 when absent) and stores the
  /// result. Returns the new value, or one of err_not_integer / err_overflow in `error`.
  struct incr_int_result {
    std::int64_t value = 0;
    std::string_view error;  ///< empty on success
  };
  incr_int_result incrby(std::string_view field, std::int64_t delta, const hash_limits& lim);
  /// HINCRBYFLOAT: adds `delta` (finite) to the long double value of `field` (0 when absent),
  /// stores and returns the result in Redis's human format (ld2string LD_STR_HUMAN). Errors
  /// in `error`: err_not_float, err_nan.
  struct incr_float_result {
    std::string text;
    std::string_view error;  ///< empty on success
  };
  incr_float_result incrbyfloat(std::string_view field, long double delta, const hash_limits& lim);

  /// Converts to the hashtable encoding (Redis hashTypeConvert; never back). No-op when
  /// already a hashtable.
  void convert_to_table();

 private:
  [[nodiscard]] bool is_table() const noexcept { return !v_->has_listpack(); }
  [[nodiscard]] hash_table* table() const noexcept { return static_cast<hash_table*>(v_->obj()); }
  [[nodiscard]] listpack& lp() noexcept { return v_->lp(); }
  [[nodiscard]] const listpack& lp() const noexcept { return v_->lp(); }
  /// Position of the field entry `field` in the listpack, or npos.
  [[nodiscard]] listpack::pos lp_find(std::string_view field) const noexcept;

  /// Calls f(field, value) for `n` random fields, repeats allowed.
  template <class F>
  void random_with_repeats(std::uint64_t n, F&& f) const;
  /// Calls f(field, value) for `n` distinct random fields, n < length().
  template <class F>
  void random_unique(std::size_t n, F&& f) const;

  value* v_ = nullptr;
};

namespace detail {
/// A uniformly random 64-bit number from the calling thread's generator.
std::uint64_t hash_random64() noexcept;
/// Random index in [0, n), n > 0.
inline std::size_t hash_random_index(std::size_t n) noexcept {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(hash_random64()) * n) >> 64);
}
/// UniformRandomBitGenerator over hash_random64 (for dict::random_node).
struct hash_rng {
  using result_type = std::uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return UINT64_MAX; }
  result_type operator()() const noexcept { return hash_random64(); }
};
}  // namespace detail

template <class F>
void hash::random_with_repeats(std::uint64_t n, F&& f) const {
  if (is_table()) {
    const auto& d = table()->d;
    detail::hash_rng rng;
    while (n--) {
      auto* node = d.random_node(rng);
      f(node->key.view(), node->val.view());
    }
    return;
  }
  const listpack& l = lp();
  std::size_t pairs = l.size() / 2;
  // Positions of the fields, so each pick is O(1) (lpRandomPairs samples in one pass).
  std::unique_ptr<listpack::pos[]> at(new listpack::pos[pairs]);
  std::size_t i = 0;
  for (auto p = l.first(); p != listpack::npos; p = l.next(l.next(p))) at[i++] = p;
  int_buf fb, vb;
  while (n--) {
    auto p = at[detail::hash_random_index(pairs)];
    f(l.get(p, fb), l.get(l.next(p), vb));
  }
}

template <class F>
void hash::random_unique(std::size_t n, F&& f) const {
  std::size_t size = length();
  if (is_table()) {
    const auto& d = table()->d;
    if (n * 3 > size) {
      // Redis CASE 3 (many of the fields): selection sampling over the table order, each
      // entry taken with probability needed/remaining, so exactly n distinct come out.
      std::size_t needed = n, remaining = size;
      d.for_each([&](const auto& node) {
        if (needed && detail::hash_random_index(remaining) < needed) {
          f(node.key.view(), node.val.view());
          --needed;
        }
        --remaining;
      });
      return;
    }
    // Redis CASE 4 (few of the fields): random picks until n distinct were seen.
    std::unordered_set<const void*> seen;
    seen.reserve(n);
    detail::hash_rng rng;
    while (seen.size() < n) {
      auto* node = d.random_node(rng);
      if (seen.insert(node).second) f(node->key.view(), node->val.view());
    }
    return;
  }
  // Redis lpRandomPairsUnique: the same sampling over the listpack, in listpack order.
  const listpack& l = lp();
  std::size_t needed = n, remaining = size;
  int_buf fb, vb;
  for (auto p = l.first(); p != listpack::npos && needed; p = l.next(l.next(p))) {
    if (detail::hash_random_index(remaining) < needed) {
      f(l.get(p, fb), l.get(l.next(p), vb));
      --needed;
    }
    --remaining;
  }
}

}  // namespace kvd::store
