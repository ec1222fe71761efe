// The set type with Redis 7.0's two encodings (src/t_set.c, src/intset.c):
// - "intset": a sorted array of distinct integers stored at the smallest width (2, 4 or 8
//   bytes) that fits every member, used while every member is a canonical int64
//   (util::parse_int64, Redis string2ll) and there are at most set-max-intset-entries;
// - "hashtable": a dict whose nodes carry the member inline and no value (32-byte nodes).
// A set converts intset -> hashtable when a non-integer is added or the limit is passed,
// and never back (Redis 7.0 has no listpack sets; that is 7.2).
// Not thread-safe: the owning shard's lock protects it.
#pragma once
#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "kvd/store/dict.hpp"
#include "kvd/store/value.hpp"

namespace kvd::store {

/// Redis's intset (src/intset.c): distinct int64 values kept sorted in one heap block, all
/// at the width (2, 4 or 8 bytes) of the widest member. Adding a wider value upgrades the
/// whole array; the width never shrinks. Lookups are binary searches; inserts and erases
/// move the tail (O(n)), as in Redis.
class intset {
 public:
  intset() noexcept = default;
  intset(const intset& o);
  intset& operator=(const intset&) = delete;
  intset(intset&& o) noexcept;
  intset& operator=(intset&& o) noexcept;
  ~intset();

  /// Number of members.
  [[nodiscard]] std::size_t size() const noexcept { return len_; }
  /// Bytes per member: 2, 4 or 8 (Redis INTSET_ENC_INT16/32/64).
  [[nodiscard]] unsigned width() const noexcept { return width_; }
  /// The i-th smallest member. Precondition: i < size().
  [[nodiscard]] std::int64_t at(std::size_t i) const noexcept;
  /// True when `v` is a member.
  [[nodiscard]] bool contains(std::int64_t v) const noexcept;
  /// Adds `v`; returns false when it was already present. Throws std::bad_alloc.
  bool insert(std::int64_t v);
  /// Removes `v`; returns false when it was absent.
  bool erase(std::int64_t v) noexcept;
  /// Bytes of the member array on the heap (size() * width()).
  [[nodiscard]] std::size_t data_bytes() const noexcept { return std::size_t{len_} * width_; }

 private:
  /// Binary search: true and the index when found, else false and the insertion index.
  bool search(std::int64_t v, std::size_t& pos) const noexcept;
  void put(std::size_t i, std::int64_t v) noexcept;
  void resize(std::size_t n);

  char* data_ = nullptr;
  std::uint32_t len_ = 0;
  std::uint8_t width_ = 2;
};

/// One member read from a set: a view into a hashtable node (valid until the set is next
/// modified) or an intset integer together with its decimal text.
class set_member {
 public:
  /// An integer member (intset encoding); its text is the canonical decimal form.
  static set_member of_int(std::int64_t v) noexcept {
    set_member m;
    m.is_int_ = true;
    m.int_ = v;
    auto r = std::to_chars(m.buf_, m.buf_ + sizeof m.buf_, v);
    m.n_ = static_cast<std::uint8_t>(r.ptr - m.buf_);
    return m;
  }
  /// A string member (hashtable encoding); `s` must outlive the set_member's use.
  static set_member of_str(std::string_view s) noexcept {
    set_member m;
    m.sv_ = s;
    return m;
  }
  /// True for intset members (int_value() is then meaningful).
  [[nodiscard]] bool is_int() const noexcept { return is_int_; }
  [[nodiscard]] std::int64_t int_value() const noexcept { return int_; }
  /// The member's bytes.
  [[nodiscard]] std::string_view view() const noexcept { return is_int_ ? std::string_view(buf_, n_) : sv_; }

 private:
  std::string_view sv_;
  std::int64_t int_ = 0;
  bool is_int_ = false;
  std::uint8_t n_ = 0;
  char buf_[20];
};

/// A Redis set value (TYPE "set"). Members are binary-safe byte strings.
class set_object final : public collection {
 public:
  /// The two encodings, as OBJECT ENCODING names them.
  enum class kind : std::uint8_t { intset, hashtable };

  /// An empty set with the encoding Redis's setTypeCreate picks for its first member
  /// `first`: intset when it is a canonical int64, else hashtable.
  static std::unique_ptr<set_object> create_for(std::string_view first);

  /// An empty set of encoding `k`.
  explicit set_object(kind k = kind::intset);

  [[nodiscard]] kind enc() const noexcept { return is_intset() ? kind::intset : kind::hashtable; }
  [[nodiscard]] bool is_intset() const noexcept { return rep_.index() == 0; }

  // ---- collection ----
  /// "intset" or "hashtable".
  [[nodiscard]] std::string_view encoding() const noexcept override;
  /// Heap bytes: this object, the intset array or the bucket array, nodes and long members.
  [[nodiscard]] std::size_t memory_usage() const noexcept override;
  /// Deep copy with the same encoding (Redis setTypeDup, for COPY).
  [[nodiscard]] std::unique_ptr<collection> clone() const override;
  /// Number of members (SCARD).
  [[nodiscard]] std::size_t length() const noexcept override;

  // ---- members ----
  /// Adds `m` (Redis setTypeAdd); returns false when already a member. An intset converts
  /// to hashtable when `m` is not a canonical int64 or its size would pass
  /// `max_intset_entries` (set-max-intset-entries, capped at 2^30 as Redis). Throws bad_alloc.
  bool add(std::string_view m, std::size_t max_intset_entries);
  /// Removes `m`; returns false when it was not a member (SREM). The dict may shrink.
  bool remove(std::string_view m) noexcept;
  /// True when `m` is a member (SISMEMBER).
  [[nodiscard]] bool contains(std::string_view m) const noexcept;
  /// As contains(), with the intset-to-intset fast path for integer members (SINTER).
  [[nodiscard]] bool contains(const set_member& m) const noexcept;

  /// A uniformly random member. Precondition: length() > 0. The view stays valid until the
  /// set is modified. Intset: a random index. Hashtable: rejection sampling over
  /// (bucket, chain position) pairs bounded by the longest chain, so each member has the
  /// same probability (Redis's dictGetFairRandomKey is only approximately fair).
  [[nodiscard]] set_member random_member() const;

  /// Calls f(const set_member&) for every member: intset in ascending order, hashtable in
  /// bucket order. f must not modify the set.
  template <class F>
  void for_each(F&& f) const {
    if (auto* is = std::get_if<intset>(&rep_)) {
      for (std::size_t i = 0, n = is->size(); i < n; ++i) f(set_member::of_int(is->at(i)));
    } else {
      std::get<table>(rep_).for_each([&](const auto& n) { f(set_member::of_str(n.key.view())); });
    }
  }

  /// One SSCAN step (Redis scanGenericCommand): an intset returns every member at once and
  /// cursor 0 whatever `cursor` is; a hashtable visits one bucket chain with the dict's
  /// reverse-binary cursor and returns the next cursor (0 when done).
  template <class F>
  std::uint64_t scan(std::uint64_t cursor, F&& f) const {
    if (is_intset()) {
      for_each(f);
      return 0;
    }
    return std::get<table>(rep_).scan(cursor, [&](const auto& n) { f(set_member::of_str(n.key.view())); });
  }

  /// Converts an intset to a hashtable (no-op when already one). Throws bad_alloc.
  void convert_to_hashtable();

  /// Exchanges contents with `o` (SPOP with a large count builds the survivors in a new set
  /// and swaps them in, keeping the key's metadata).
  void swap(set_object& o) noexcept;

 private:
  struct none {};
  using table = dict<none>;

  void recompute_max_chain() const noexcept;

  std::variant<intset, table> rep_;
  std::size_t long_bytes_ = 0;  ///< heap bytes of hashtable members longer than 23 bytes
  /// Upper bound of the longest chain in the hashtable, for uniform random_member().
  /// Insertions raise it, resizes mark it stale (recomputed on the next random pick).
  mutable std::uint32_t max_chain_ = 0;
  mutable bool max_chain_stale_ = true;
};

}  // namespace kvd::store
