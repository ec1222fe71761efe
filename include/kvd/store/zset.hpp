// The sorted set value (Redis 7.0 src/t_zset.c): members ordered by (score, member bytes),
// in one of Redis's two encodings, reported by OBJECT ENCODING:
//   "listpack": member, score, member, score... in one kvd::store::listpack, sorted; scores
//               are stored as Redis's d2string text (integers as listpack integers). Used while
//               length <= zset-max-listpack-entries and every member <= zset-max-listpack-value
//               bytes.
//   "skiplist": a skiplist with span counters (rank in O(log n), as zskiplist) whose nodes carry
//               score and member inline, plus an open-addressing hash index member -> node
//               (8 bytes per slot; the top 16 bits of each slot cache hash bits, which assumes
//               48-bit user-space pointers as on x86-64 and AArch64) in place of Redis's dict;
//               about 87 bytes per member for 14-byte members (Redis 7.0: about 110).
// A zset converts listpack -> skiplist when an insert exceeds a limit, never back, except where
// Redis 7.0 builds a result small (ZRANGESTORE, Z*STORE: see build()).
//
// Ranks are 0-based in ascending (score, member) order. Not thread-safe (the shard lock
// protects it).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "kvd/store/listpack.hpp"
#include "kvd/store/value.hpp"

namespace kvd::store {

/// Encoding limits read from the config at call time (zset-max-listpack-entries/-value).
struct zset_limits {
  std::size_t max_entries = 128;  ///< zset-max-listpack-entries
  std::size_t max_value = 64;     ///< zset-max-listpack-value (bytes)
};

/// A lexicographic range bound (ZRANGEBYLEX syntax): "-" (below all), "+" (above all), or a
/// member with "[" (inclusive) or "(" (exclusive).
struct zlex_bound {
  enum kind_t : std::uint8_t { minus_inf, plus_inf, value } kind = value;
  bool exclusive = false;
  std::string_view text;  ///< for kind == value; points into the command's arguments
};

/// Compares member bytes `m` with bound `b` (Redis sdscmplex): <0, 0, >0.
int zlex_compare(std::string_view m, const zlex_bound& b) noexcept;
/// True when `m` satisfies `b` as a range minimum (Redis zslLexValueGteMin).
bool zlex_gte_min(std::string_view m, const zlex_bound& b) noexcept;
/// True when `m` satisfies `b` as a range maximum (Redis zslLexValueLteMax).
bool zlex_lte_max(std::string_view m, const zlex_bound& b) noexcept;

/// Formats a score as Redis 7.0 stores it in a listpack (zzlInsertAt): integral values within
/// +-LLONG_MAX/2 as integers (so -0 is "0"), "inf"/"-inf", else "%.17g" (d2string). ZSCAN of
/// a listpack zset replies this text. Returns the length written to `buf` (>= 32 bytes).
std::size_t zset_format_score(double d, char* buf) noexcept;

class zskiplist;

/// A sorted set (type zset). Members are binary-safe byte strings.
class zset final : public collection {
 public:
  /// zsetAdd input flags (Redis ZADD_IN_*).
  enum add_in : int { in_none = 0, in_incr = 1, in_nx = 2, in_xx = 4, in_gt = 8, in_lt = 16 };
  /// zsetAdd output flags (Redis ZADD_OUT_*).
  enum add_out : int { out_nop = 1, out_nan = 2, out_added = 4, out_updated = 8 };

  /// An empty listpack-encoded zset.
  zset();
  ~zset() override;
  zset(const zset&) = delete;
  zset& operator=(const zset&) = delete;

  /// An empty zset for a result of about `size_hint` members of at most `len_hint` bytes:
  /// listpack when `size_hint` <= max_entries and `len_hint` <= max_value, else skiplist
  /// (Redis 7.0 zrangeResultBeginStore for ZRANGESTORE).
  static std::unique_ptr<zset> create(std::size_t size_hint, std::size_t len_hint, const zset_limits& l);
  /// Builds a zset from `items` sorted by (score, member), unique members: listpack when
  /// the count and the longest member fit the limits, else skiplist (Redis
  /// zsetConvertToListpackIfNeeded on Z*STORE results).
  static std::unique_ptr<zset> build(const std::vector<std::pair<std::string, double>>& items,
                                     const zset_limits& l);

  [[nodiscard]] std::string_view encoding() const noexcept override;
  [[nodiscard]] std::size_t memory_usage() const noexcept override;
  [[nodiscard]] std::unique_ptr<collection> clone() const override;
  [[nodiscard]] std::size_t length() const noexcept override;
  [[nodiscard]] bool is_listpack() const noexcept { return zsl_ == nullptr; }

  /// Score of `member`, or nullopt when absent.
  [[nodiscard]] std::optional<double> score(std::string_view member) const;

  /// Redis zsetAdd: adds or updates `member` with `score` (the increment with in_incr) under
  /// the NX/XX/GT/LT flags `in`. Returns false (with out_nan in `out`) when the resulting score
  /// would be NaN; else true, `out` saying added/updated/nop and `newscore` the score now held
  /// (when not nop). Converts to skiplist when an insert would exceed `l`.
  bool add(double score, std::string_view member, int in, int& out, double& newscore, const zset_limits& l);
  /// Removes `member`; true when it was present.
  bool remove(std::string_view member);

  /// 0-based rank of `member` (ascending, or descending with `reverse`), nullopt when absent.
  [[nodiscard]] std::optional<std::size_t> rank(std::string_view member, bool reverse) const;

  /// Number of leading elements (in ascending order) whose score is < x, or <= x when
  /// `inclusive` (so a score range [lo, hi) of ranks is count_below(min, minex),
  /// count_below(max, !maxex)).
  [[nodiscard]] std::size_t count_below(double x, bool inclusive) const;
  /// Number of leading elements that are below the lex bound `b`: for a min bound, those not
  /// >= min (!gte); for a max bound, those <= max (as_max). Assumes equal scores, as Redis.
  [[nodiscard]] std::size_t count_lex_below(const zlex_bound& b, bool as_max) const;

  /// Visits elements from rank `start` (in ascending order, or descending with `reverse`,
  /// where rank 0 is the highest) while f(member, score) returns true.
  template <class F>
  void walk(std::size_t start, bool reverse, F&& f) const {
    using fn_t = std::remove_reference_t<F>;
    walk_impl(
        start, reverse,
        [](void* ctx, std::string_view m, double s) { return static_cast<bool>((*static_cast<fn_t*>(ctx))(m, s)); },
        const_cast<void*>(static_cast<const void*>(&f)));
  }

  /// Deletes ranks [start, end] (ascending, inclusive); returns how many were removed.
  std::size_t erase_ranks(std::size_t start, std::size_t end);

  /// ZSCAN step over the skiplist encoding (Redis dictScan order over the member index):
  /// visits one hash bucket (its home slot) and returns the next cursor, 0 when done.
  /// Precondition: !is_listpack().
  std::uint64_t scan(std::uint64_t cursor, void (*f)(void*, std::string_view, double), void* ctx) const;

  /// Converts the listpack encoding to skiplist (no-op when already skiplist).
  void convert_to_skiplist();

 private:
  using walk_fn = bool (*)(void*, std::string_view, double);
  void walk_impl(std::size_t start, bool reverse, walk_fn f, void* ctx) const;
  listpack::pos lp_find(std::string_view member, double* score) const;
  void lp_insert(std::string_view member, double score);
  void lp_delete(listpack::pos p);

  listpack lp_;
  zskiplist* zsl_ = nullptr;  ///< non-null in the skiplist encoding (then lp_ is empty)
};

}  // namespace kvd::store
