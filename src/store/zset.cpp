// Sorted set encodings: Redis 7.0 t_zset.c's listpack (zzl*) and skiplist (zsl*) algorithms.
#include "kvd/store/zset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <random>

#include "kvd/util/hash.hpp"

namespace kvd::store {

// ============================================================================================
// Helpers
// ============================================================================================

std::size_t zset_format_score(double value, char* buf) noexcept {
  // Redis 7.0 zzlInsertAt: double2ll() first (integral values within +-LLONG_MAX/2 are stored
  // as integers, so -0 becomes 0), else d2string().
  constexpr long long half = std::numeric_limits<long long>::max() / 2;
  if (!std::isnan(value) && value >= static_cast<double>(-half) && value <= static_cast<double>(half)) {
    auto ll = static_cast<long long>(value);
    if (static_cast<double>(ll) == value) return static_cast<std::size_t>(std::snprintf(buf, 32, "%lld", ll));
  }
  if (std::isnan(value)) return std::memcpy(buf, "nan", 3), 3;
  if (std::isinf(value)) {
    if (value < 0) return std::memcpy(buf, "-inf", 4), 4;
    return std::memcpy(buf, "inf", 3), 3;
  }
  return static_cast<std::size_t>(std::snprintf(buf, 32, "%.17g", value));
}

int zlex_compare(std::string_view m, const zlex_bound& b) noexcept {
  if (b.kind == zlex_bound::minus_inf) return 1;
  if (b.kind == zlex_bound::plus_inf) return -1;
  int c = m.compare(b.text);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool zlex_gte_min(std::string_view m, const zlex_bound& b) noexcept {
  int c = zlex_compare(m, b);
  return b.exclusive || b.kind != zlex_bound::value ? c > 0 : c >= 0;
}
bool zlex_lte_max(std::string_view m, const zlex_bound& b) noexcept {
  int c = zlex_compare(m, b);
  return b.exclusive || b.kind != zlex_bound::value ? c < 0 : c <= 0;
}

namespace {

/// Parses a listpack score entry (Redis zzlStrtod).
double parse_score(std::string_view s) noexcept {
  char buf[128];
  std::size_t n = std::min(s.size(), sizeof buf - 1);
  std::memcpy(buf, s.data(), n);
  buf[n] = '\0';
  return std::strtod(buf, nullptr);
}

double lp_score_at(const listpack& lp, listpack::pos p) noexcept {
  std::int64_t iv;
  if (lp.get_int(p, iv)) return static_cast<double>(iv);
  listpack::int_buf b;
  return parse_score(lp.get(p, b));
}

/// (s1, m1) < (s2, m2) in zset order.
bool less(double s1, std::string_view m1, double s2, std::string_view m2) noexcept {
  return s1 < s2 || (s1 == s2 && m1.compare(m2) < 0);
}

std::uint32_t random_level() {
  // Redis zslRandomLevel: P = 1/4, at most 32 levels.
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uint32_t level = 1;
  while ((rng() & 0xFFFF) < (0xFFFF / 4) && level < 32) ++level;
  return level;
}

}  // namespace

// ============================================================================================
// The skiplist encoding
// ============================================================================================

/// A skiplist node: header, `level` {forward, span} pairs, then the member bytes, in one
/// allocation. Spans count the level-0 steps a forward link skips (Redis zskiplistNode).
struct znode {
  double score;
  znode* backward;
  std::uint32_t len;
  std::uint32_t level;
  struct link {
    znode* forward;
    std::size_t span;
  };
  link* links() noexcept { return reinterpret_cast<link*>(this + 1); }
  const link* links() const noexcept { return reinterpret_cast<const link*>(this + 1); }
  [[nodiscard]] std::string_view member() const noexcept {
    return {reinterpret_cast<const char*>(links() + level), len};
  }
  static std::size_t alloc_size(std::uint32_t level, std::size_t len) noexcept {
    return sizeof(znode) + level * sizeof(link) + len;
  }
  static znode* make(std::uint32_t level, double score, std::string_view m) {
    void* p = std::malloc(alloc_size(level, m.size()));
    if (!p) throw std::bad_alloc();
    auto* n = static_cast<znode*>(p);
    n->score = score;
    n->backward = nullptr;
    n->len = static_cast<std::uint32_t>(m.size());
    n->level = level;
    for (std::uint32_t i = 0; i < level; ++i) n->links()[i] = {nullptr, 0};
    if (!m.empty()) std::memcpy(const_cast<char*>(n->member().data()), m.data(), m.size());
    return n;
  }
};
static_assert(sizeof(znode) == 24);

/// Skiplist ordered by (score, member) plus an open-addressing (linear probing) index from
/// member to node. Index slots hold the node pointer with the top 16 bits of the member's
/// hash in the pointer's unused high bits, so most mismatching probes need no node access.
class zskiplist {
 public:
  static constexpr std::uint32_t max_level = 32;

  zskiplist() : header_(znode::make(max_level, 0, {})) {}
  ~zskiplist() {
    znode* x = header_->links()[0].forward;
    while (x) {
      znode* next = x->links()[0].forward;
      std::free(x);
      x = next;
    }
    std::free(header_);
    std::free(slots_);
  }
  zskiplist(const zskiplist&) = delete;
  zskiplist& operator=(const zskiplist&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return length_; }
  [[nodiscard]] znode* first() const noexcept { return header_->links()[0].forward; }
  [[nodiscard]] znode* last() const noexcept { return tail_; }
  [[nodiscard]] std::size_t bytes() const noexcept {
    return node_bytes_ + (mask_ + (slots_ ? 1 : 0)) * sizeof(std::uintptr_t) +
           znode::alloc_size(max_level, 0) + sizeof(*this);
  }

  // ---- index ----
  [[nodiscard]] znode* find(std::string_view m) const noexcept {
    if (!slots_) return nullptr;
    std::uint64_t h = util::hash_bytes(m);
    std::uintptr_t tag = tag_of(h);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      std::uintptr_t s = slots_[i];
      if (!s) return nullptr;
      if ((s & tag_mask) == tag) {
        znode* n = node_of(s);
        if (n->member() == m) return n;
      }
    }
  }

  /// Inserts a new member (absent). Returns its node.
  znode* insert(double score, std::string_view m) {
    if ((length_ + 1) * 5 > capacity() * 4) rehash(capacity() ? capacity() * 2 : 8);
    znode* n = znode::make(random_level(), score, m);
    node_bytes_ += round16(znode::alloc_size(n->level, n->len));
    link_node(n);
    index_put(n, util::hash_bytes(m));
    return n;
  }

  /// Removes `n` (a node of this list) and frees it.
  void erase(znode* n) noexcept {
    unlink_node(n);
    index_remove(n);
    node_bytes_ -= round16(znode::alloc_size(n->level, n->len));
    std::free(n);
    maybe_shrink();
  }

  /// Redis zslUpdateScore: moves `n` to `score`, in place when its position is unchanged.
  void update_score(znode* n, double score) noexcept {
    znode* back = n->backward;
    znode* fwd = n->links()[0].forward;
    if ((back == nullptr || back->score < score || (back->score == score && back->member() < n->member())) &&
        (fwd == nullptr || score < fwd->score || (fwd->score == score && n->member() < fwd->member()))) {
      n->score = score;
      return;
    }
    unlink_node(n);
    n->score = score;
    link_node(n);
  }

  /// 1-based rank of node (score, m) (Redis zslGetRank); 0 when absent.
  [[nodiscard]] std::size_t rank_of(double score, std::string_view m) const noexcept {
    std::size_t rank = 0;
    const znode* x = header_;
    for (int i = level_ - 1; i >= 0; --i) {
      while (const znode* f = x->links()[i].forward) {
        if (!(less(f->score, f->member(), score, m) || (f->score == score && f->member() == m))) break;
        rank += x->links()[i].span;
        x = f;
      }
      if (x != header_ && x->score == score && x->member() == m) return rank;
    }
    return 0;
  }

  /// Node at 1-based rank (Redis zslGetElementByRank); nullptr when out of range.
  [[nodiscard]] znode* at_rank(std::size_t rank) const noexcept {
    std::size_t traversed = 0;
    znode* x = header_;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->links()[i].forward && traversed + x->links()[i].span <= rank) {
        traversed += x->links()[i].span;
        x = x->links()[i].forward;
      }
      if (traversed == rank) return x == header_ ? nullptr : x;
    }
    return nullptr;
  }

  /// Number of leading nodes satisfying `pred` (monotone: true then false).
  template <class P>
  [[nodiscard]] std::size_t count_while(P&& pred) const noexcept {
    std::size_t rank = 0;
    const znode* x = header_;
    for (int i = level_ - 1; i >= 0; --i) {
      while (const znode* f = x->links()[i].forward) {
        if (!pred(f)) break;
        rank += x->links()[i].span;
        x = f;
      }
    }
    return rank;
  }

  /// Deletes 1-based ranks [start, end] (Redis zslDeleteRangeByRank). Returns the count.
  std::size_t erase_ranks(std::size_t start, std::size_t end) noexcept {
    znode* update[max_level];
    std::size_t traversed = 0;
    znode* x = header_;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->links()[i].forward && traversed + x->links()[i].span < start) {
        traversed += x->links()[i].span;
        x = x->links()[i].forward;
      }
      update[i] = x;
    }
    ++traversed;
    x = x->links()[0].forward;
    std::size_t removed = 0;
    while (x && traversed <= end) {
      znode* next = x->links()[0].forward;
      delete_links(x, update);
      index_remove(x);
      node_bytes_ -= round16(znode::alloc_size(x->level, x->len));
      std::free(x);
      ++removed;
      ++traversed;
      x = next;
    }
    maybe_shrink();
    return removed;
  }

  /// One dictScan-like step over the index (home slot = the bucket).
  template <class F>
  std::uint64_t scan(std::uint64_t cursor, F&& f) const {
    if (!slots_) return 0;
    std::size_t home = cursor & mask_;
    for (std::size_t i = home;; i = (i + 1) & mask_) {
      std::uintptr_t s = slots_[i];
      if (!s) break;
      znode* n = node_of(s);
      if ((util::hash_bytes(n->member()) & mask_) == home) f(n);
    }
    cursor |= ~static_cast<std::uint64_t>(mask_);
    cursor = reverse_bits(cursor);
    ++cursor;
    return reverse_bits(cursor);
  }

 private:
  static constexpr std::uintptr_t tag_mask = 0xFFFFull << 48;
  static std::uintptr_t tag_of(std::uint64_t h) noexcept { return static_cast<std::uintptr_t>(h) & tag_mask; }
  static znode* node_of(std::uintptr_t s) noexcept { return reinterpret_cast<znode*>(s & ~tag_mask); }
  static std::size_t round16(std::size_t n) noexcept { return (n + 8 + 15) & ~std::size_t{15}; }
  static std::uint64_t reverse_bits(std::uint64_t v) noexcept {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_ ? mask_ + 1 : 0; }

  void index_put(znode* n, std::uint64_t h) noexcept {
    std::size_t i = h & mask_;
    while (slots_[i]) i = (i + 1) & mask_;
    slots_[i] = reinterpret_cast<std::uintptr_t>(n) | tag_of(h);
  }

  void index_remove(znode* n) noexcept {
    std::uint64_t h = util::hash_bytes(n->member());
    std::size_t i = h & mask_;
    while (node_of(slots_[i]) != n) i = (i + 1) & mask_;
    // Backward-shift deletion keeps every probe chain unbroken.
    slots_[i] = 0;
    std::size_t j = i;
    for (;;) {
      j = (j + 1) & mask_;
      std::uintptr_t s = slots_[j];
      if (!s) break;
      std::size_t k = util::hash_bytes(node_of(s)->member()) & mask_;
      // Move s into the hole at i unless its home k lies cyclically in (i, j].
      bool k_in = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!k_in) {
        slots_[i] = s;
        slots_[j] = 0;
        i = j;
      }
    }
  }

  void rehash(std::size_t cap) {
    auto* ns = static_cast<std::uintptr_t*>(std::calloc(cap, sizeof(std::uintptr_t)));
    if (!ns) throw std::bad_alloc();
    std::uintptr_t* old = slots_;
    std::size_t old_cap = capacity();
    slots_ = ns;
    mask_ = cap - 1;
    for (std::size_t i = 0; i < old_cap; ++i)
      if (old[i]) index_put(node_of(old[i]), util::hash_bytes(node_of(old[i])->member()));
    std::free(old);
  }

  void maybe_shrink() noexcept {
    std::size_t cap = capacity();
    if (cap > 8 && length_ * 10 < cap) {
      std::size_t n = 8;
      while (n * 4 < (length_ + 1) * 5 * 2) n *= 2;  // leave room: load <= 0.4 after shrink
      if (n < cap) {
        try {
          rehash(n);
        } catch (const std::bad_alloc&) {
        }
      }
    }
  }

  /// Links `n` (its level and score set) at its (score, member) position (Redis zslInsert).
  void link_node(znode* n) noexcept {
    znode* update[max_level];
    std::size_t rank[max_level];
    znode* x = header_;
    std::string_view m = n->member();
    for (int i = level_ - 1; i >= 0; --i) {
      rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
      while (znode* f = x->links()[i].forward) {
        if (!less(f->score, f->member(), n->score, m)) break;
        rank[i] += x->links()[i].span;
        x = f;
      }
      update[i] = x;
    }
    int lvl = static_cast<int>(n->level);
    if (lvl > level_) {
      for (int i = level_; i < lvl; ++i) {
        rank[i] = 0;
        update[i] = header_;
        update[i]->links()[i].span = length_;
      }
      level_ = lvl;
    }
    for (int i = 0; i < lvl; ++i) {
      n->links()[i].forward = update[i]->links()[i].forward;
      update[i]->links()[i].forward = n;
      n->links()[i].span = update[i]->links()[i].span - (rank[0] - rank[i]);
      update[i]->links()[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = lvl; i < level_; ++i) update[i]->links()[i].span++;
    n->backward = update[0] == header_ ? nullptr : update[0];
    if (n->links()[0].forward) n->links()[0].forward->backward = n;
    else tail_ = n;
    ++length_;
  }

  /// Unlinks `n` from the list without freeing it.
  void unlink_node(znode* n) noexcept {
    znode* update[max_level];
    znode* x = header_;
    std::string_view m = n->member();
    for (int i = level_ - 1; i >= 0; --i) {
      while (znode* f = x->links()[i].forward) {
        if (!less(f->score, f->member(), n->score, m)) break;
        x = f;
      }
      update[i] = x;
    }
    delete_links(n, update);
  }

  /// Redis zslDeleteNode.
  void delete_links(znode* x, znode** update) noexcept {
    for (int i = 0; i < level_; ++i) {
      if (update[i]->links()[i].forward == x) {
        update[i]->links()[i].span += x->links()[i].span - 1;
        update[i]->links()[i].forward = x->links()[i].forward;
      } else {
        update[i]->links()[i].span -= 1;
      }
    }
    if (x->links()[0].forward) x->links()[0].forward->backward = x->backward;
    else tail_ = x->backward;
    while (level_ > 1 && header_->links()[level_ - 1].forward == nullptr) --level_;
    --length_;
  }

  znode* header_;
  znode* tail_ = nullptr;
  std::size_t length_ = 0;
  int level_ = 1;
  std::uintptr_t* slots_ = nullptr;
  std::size_t mask_ = 0;
  std::size_t node_bytes_ = 0;
};

// ============================================================================================
// zset
// ============================================================================================

zset::zset() = default;
zset::~zset() { delete zsl_; }

std::unique_ptr<zset> zset::create(std::size_t size_hint, std::size_t len_hint, const zset_limits& l) {
  auto z = std::make_unique<zset>();
  if (size_hint > l.max_entries || len_hint > l.max_value) z->convert_to_skiplist();
  return z;
}

std::unique_ptr<zset> zset::build(const std::vector<std::pair<std::string, double>>& items,
                                  const zset_limits& l) {
  std::size_t maxlen = 0;
  for (auto& [m, s] : items) maxlen = std::max(maxlen, m.size());
  auto z = std::make_unique<zset>();
  if (items.size() <= l.max_entries && maxlen <= l.max_value) {
    char buf[32];
    for (auto& [m, s] : items) {
      z->lp_.push_back(m);
      z->lp_.push_back({buf, zset_format_score(s, buf)});
    }
  } else {
    z->convert_to_skiplist();
    for (auto& [m, s] : items) z->zsl_->insert(s, m);
  }
  return z;
}

std::string_view zset::encoding() const noexcept { return zsl_ ? "skiplist" : "listpack"; }

std::size_t zset::memory_usage() const noexcept {
  return sizeof(zset) + (zsl_ ? zsl_->bytes() : lp_.bytes());
}

std::unique_ptr<collection> zset::clone() const {
  auto z = std::make_unique<zset>();
  if (!zsl_) {
    z->lp_ = lp_.clone();
  } else {
    z->convert_to_skiplist();
    for (znode* n = zsl_->first(); n; n = n->links()[0].forward) z->zsl_->insert(n->score, n->member());
  }
  return z;
}

std::size_t zset::length() const noexcept { return zsl_ ? zsl_->size() : lp_.size() / 2; }

listpack::pos zset::lp_find(std::string_view member, double* score) const {
  for (auto p = lp_.first(); p != listpack::npos;) {
    auto sp = lp_.next(p);
    if (lp_.equals(p, member)) {
      if (score) *score = lp_score_at(lp_, sp);
      return p;
    }
    p = lp_.next(sp);
  }
  return listpack::npos;
}

void zset::lp_insert(std::string_view member, double score) {
  // Redis zzlInsert: before the first element greater than (score, member).
  listpack::int_buf b;
  auto p = lp_.first();
  while (p != listpack::npos) {
    auto sp = lp_.next(p);
    double s = lp_score_at(lp_, sp);
    if (less(score, member, s, lp_.get(p, b))) break;
    p = lp_.next(sp);
  }
  char buf[32];
  std::string_view st{buf, zset_format_score(score, buf)};
  if (p == listpack::npos) {
    lp_.push_back(member);
    lp_.push_back(st);
  } else {
    auto mp = lp_.insert_before(p, member);
    lp_.insert_before(lp_.next(mp), st);
  }
}

void zset::lp_delete(listpack::pos p) { lp_.erase_range(p, 2); }

std::optional<double> zset::score(std::string_view member) const {
  if (zsl_) {
    znode* n = zsl_->find(member);
    if (!n) return std::nullopt;
    return n->score;
  }
  double s;
  if (lp_find(member, &s) == listpack::npos) return std::nullopt;
  return s;
}

bool zset::add(double score, std::string_view member, int in, int& out, double& newscore, const zset_limits& l) {
  // Redis zsetAdd.
  const bool incr = in & in_incr, nx = in & in_nx, xx = in & in_xx, gt = in & in_gt, lt = in & in_lt;
  out = 0;
  if (std::isnan(score)) return out = out_nan, false;
  if (!zsl_) {
    double cur;
    auto p = lp_find(member, &cur);
    if (p != listpack::npos) {
      if (nx) return out |= out_nop, true;
      if (incr) {
        score += cur;
        if (std::isnan(score)) return out |= out_nan, false;
      }
      if ((lt && score >= cur) || (gt && score <= cur)) return out |= out_nop, true;
      newscore = score;
      if (score != cur) {
        lp_delete(p);
        lp_insert(member, score);
        out |= out_updated;
      }
      return true;
    }
    if (xx) return out |= out_nop, true;
    if (length() + 1 > l.max_entries || member.size() > l.max_value) {
      convert_to_skiplist();
    } else {
      lp_insert(member, score);
      newscore = score;
      out |= out_added;
      return true;
    }
  }
  znode* n = zsl_->find(member);
  if (n) {
    if (nx) return out |= out_nop, true;
    double cur = n->score;
    if (incr) {
      score += cur;
      if (std::isnan(score)) return out |= out_nan, false;
    }
    if ((lt && score >= cur) || (gt && score <= cur)) return out |= out_nop, true;
    newscore = score;
    if (score != cur) {
      zsl_->update_score(n, score);
      out |= out_updated;
    }
    return true;
  }
  if (xx) return out |= out_nop, true;
  zsl_->insert(score, member);
  newscore = score;
  out |= out_added;
  return true;
}

bool zset::remove(std::string_view member) {
  if (zsl_) {
    znode* n = zsl_->find(member);
    if (!n) return false;
    zsl_->erase(n);
    return true;
  }
  auto p = lp_find(member, nullptr);
  if (p == listpack::npos) return false;
  lp_delete(p);
  return true;
}

std::optional<std::size_t> zset::rank(std::string_view member, bool reverse) const {
  std::size_t len = length();
  std::size_t r;
  if (zsl_) {
    znode* n = zsl_->find(member);
    if (!n) return std::nullopt;
    r = zsl_->rank_of(n->score, member) - 1;
  } else {
    r = 0;
    auto p = lp_.first();
    for (; p != listpack::npos; p = lp_.next(lp_.next(p)), ++r)
      if (lp_.equals(p, member)) break;
    if (p == listpack::npos) return std::nullopt;
  }
  return reverse ? len - 1 - r : r;
}

std::size_t zset::count_below(double x, bool inclusive) const {
  if (zsl_)
    return zsl_->count_while([&](const znode* f) { return inclusive ? f->score <= x : f->score < x; });
  std::size_t n = 0;
  for (auto p = lp_.first(); p != listpack::npos; p = lp_.next(lp_.next(p)), ++n) {
    double s = lp_score_at(lp_, lp_.next(p));
    if (!(inclusive ? s <= x : s < x)) break;
  }
  return n;
}

std::size_t zset::count_lex_below(const zlex_bound& b, bool as_max) const {
  if (zsl_) {
    if (as_max) return zsl_->count_while([&](const znode* f) { return zlex_lte_max(f->member(), b); });
    return zsl_->count_while([&](const znode* f) { return !zlex_gte_min(f->member(), b); });
  }
  listpack::int_buf buf;
  if (as_max) {
    // Redis zzlLastInLexRange walks from the tail to the last element <= max.
    std::size_t n = length();
    for (auto p = lp_.last(); p != listpack::npos; --n) {
      auto mp = lp_.prev(p);
      if (zlex_lte_max(lp_.get(mp, buf), b)) return n;
      p = lp_.prev(mp);
    }
    return 0;
  }
  std::size_t n = 0;
  for (auto p = lp_.first(); p != listpack::npos; p = lp_.next(lp_.next(p)), ++n)
    if (zlex_gte_min(lp_.get(p, buf), b)) break;
  return n;
}

void zset::walk_impl(std::size_t start, bool reverse, walk_fn f, void* ctx) const {
  std::size_t len = length();
  if (start >= len) return;
  if (zsl_) {
    znode* n = zsl_->at_rank(reverse ? len - start : start + 1);
    while (n) {
      if (!f(ctx, n->member(), n->score)) return;
      n = reverse ? n->backward : n->links()[0].forward;
    }
    return;
  }
  std::size_t idx = reverse ? len - 1 - start : start;
  auto p = lp_.seek(static_cast<std::int64_t>(2 * idx));
  listpack::int_buf buf;
  while (p != listpack::npos) {
    auto sp = lp_.next(p);
    if (!f(ctx, lp_.get(p, buf), lp_score_at(lp_, sp))) return;
    if (reverse) {
      p = lp_.prev(p);
      if (p != listpack::npos) p = lp_.prev(p);
    } else {
      p = lp_.next(sp);
    }
  }
}

std::size_t zset::erase_ranks(std::size_t start, std::size_t end) {
  std::size_t len = length();
  if (start > end || start >= len) return 0;
  end = std::min(end, len - 1);
  if (zsl_) return zsl_->erase_ranks(start + 1, end + 1);
  auto p = lp_.seek(static_cast<std::int64_t>(2 * start));
  lp_.erase_range(p, 2 * (end - start + 1));
  return end - start + 1;
}

std::uint64_t zset::scan(std::uint64_t cursor, void (*f)(void*, std::string_view, double), void* ctx) const {
  return zsl_->scan(cursor, [&](const znode* n) { f(ctx, n->member(), n->score); });
}

void zset::convert_to_skiplist() {
  if (zsl_) return;
  auto* z = new zskiplist();
  try {
    listpack::int_buf buf;
    for (auto p = lp_.first(); p != listpack::npos;) {
      auto sp = lp_.next(p);
      z->insert(lp_score_at(lp_, sp), lp_.get(p, buf));
      p = lp_.next(sp);
    }
  } catch (...) {
    delete z;
    throw;
  }
  zsl_ = z;
  lp_.clear();
}

}  // namespace kvd::store
