// A chained hash table keyed by byte strings, modelled on Redis's dict (src/dict.c):
// power-of-two bucket array, singly linked nodes that carry the key inline, and the
// reverse-binary SCAN cursor, which guarantees that every element present for the whole scan
// is returned at least once even when the table grows or shrinks between calls.
// Rehashing is done at once (tables are small: the keyspace is split into shards).
// Not thread-safe: the owning shard's lock protects it.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <string_view>
#include <utility>

#include "kvd/util/hash.hpp"
#include "kvd/util/small_string.hpp"

namespace kvd::store {

/// Hash table from byte-string keys to V. Node addresses are stable until erase.
template <class V>
class dict {
 public:
  /// One entry. `key` and `val` stay at the same address until the entry is erased.
  /// An empty V (sets: dict<std::monostate>-like) takes no space: the node is 32 bytes.
  struct node {
    node* next;
    util::small_string key;
    [[no_unique_address]] V val;
  };

  dict() = default;
  dict(const dict&) = delete;
  dict& operator=(const dict&) = delete;
  dict(dict&& o) noexcept { swap(o); }
  dict& operator=(dict&& o) noexcept {
    if (this != &o) {
      clear();
      swap(o);
    }
    return *this;
  }
  ~dict() { clear(); }

  /// Exchanges contents with `o` in O(1) (SWAPDB swaps shard by shard).
  void swap(dict& o) noexcept {
    std::swap(buckets_, o.buckets_);
    std::swap(mask_, o.mask_);
    std::swap(size_, o.size_);
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Number of buckets (0 when nothing was ever inserted).
  [[nodiscard]] std::size_t bucket_count() const noexcept { return buckets_ ? mask_ + 1 : 0; }

  /// Returns the node for `key` (hash `h` = util::hash_bytes(key)), or nullptr.
  [[nodiscard]] node* find(std::string_view key, std::uint64_t h) const noexcept {
    if (!buckets_) return nullptr;
    for (node* n = buckets_[h & mask_]; n; n = n->next)
      if (n->key.view() == key) return n;
    return nullptr;
  }
  [[nodiscard]] node* find(std::string_view key) const noexcept { return find(key, util::hash_bytes(key)); }

  /// Inserts `key` → `v`. Precondition: key is absent (find() returned nullptr).
  node* insert_new(std::string_view key, std::uint64_t h, V v) {
    if (size_ + 1 > bucket_count()) resize(bucket_count() ? bucket_count() * 2 : 4);
    node* n = new node{nullptr, util::small_string(key), std::move(v)};
    node*& head = buckets_[h & mask_];
    n->next = head;
    head = n;
    ++size_;
    return n;
  }

  /// Removes `key`; returns true when it was present.
  bool erase(std::string_view key, std::uint64_t h) noexcept {
    if (!buckets_) return false;
    node** link = &buckets_[h & mask_];
    for (node* n = *link; n; link = &n->next, n = n->next) {
      if (n->key.view() == key) {
        *link = n->next;
        delete n;
        --size_;
        maybe_shrink();
        return true;
      }
    }
    return false;
  }
  bool erase(std::string_view key) noexcept { return erase(key, util::hash_bytes(key)); }

  /// Detaches the node for `key` without freeing it (RENAME moves nodes). Caller owns it.
  node* extract(std::string_view key, std::uint64_t h) noexcept {
    if (!buckets_) return nullptr;
    node** link = &buckets_[h & mask_];
    for (node* n = *link; n; link = &n->next, n = n->next) {
      if (n->key.view() == key) {
        *link = n->next;
        --size_;
        n->next = nullptr;
        return n;
      }
    }
    return nullptr;
  }

  /// Removes every entry and frees the bucket array.
  void clear() noexcept {
    if (!buckets_) return;
    for (std::size_t i = 0; i <= mask_; ++i) {
      node* n = buckets_[i];
      while (n) {
        node* next = n->next;
        delete n;
        n = next;
      }
    }
    std::free(buckets_);
    buckets_ = nullptr;
    mask_ = 0;
    size_ = 0;
  }

  /// Calls f(node&) for every entry. f must not insert or erase.
  template <class F>
  void for_each(F&& f) const {
    if (!buckets_) return;
    for (std::size_t i = 0; i <= mask_; ++i)
      for (node* n = buckets_[i]; n; n = n->next) f(*n);
  }

  /// Visits one bucket chain at `cursor` and returns the next cursor (0 when done).
  /// Redis's dictScan reverse-binary increment: elements present throughout are seen.
  template <class F>
  std::uint64_t scan(std::uint64_t cursor, F&& f) const {
    if (!buckets_) return 0;
    for (node* n = buckets_[cursor & mask_]; n; n = n->next) f(*n);
    cursor |= ~static_cast<std::uint64_t>(mask_);
    cursor = reverse_bits(cursor);
    ++cursor;
    cursor = reverse_bits(cursor);
    return cursor;
  }

  /// A random entry, or nullptr when empty. Picks a random non-empty bucket, then a random
  /// node of its chain (Redis's dictGetRandomKey; not perfectly uniform).
  template <class Rng>
  node* random_node(Rng& rng) const {
    if (size_ == 0) return nullptr;
    std::uniform_int_distribution<std::size_t> pick(0, mask_);
    node* head;
    do head = buckets_[pick(rng)];
    while (!head);
    std::size_t len = 0;
    for (node* n = head; n; n = n->next) ++len;
    std::size_t k = std::uniform_int_distribution<std::size_t>(0, len - 1)(rng);
    while (k--) head = head->next;
    return head;
  }

  /// Heap bytes of the bucket array (nodes are counted by the caller).
  [[nodiscard]] std::size_t bucket_bytes() const noexcept { return bucket_count() * sizeof(node*); }

 private:
  static std::uint64_t reverse_bits(std::uint64_t v) noexcept {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }

  void maybe_shrink() noexcept {
    // Redis shrinks below 10% fill; the minimum table has 4 buckets.
    if (bucket_count() > 4 && size_ * 10 < bucket_count()) {
      std::size_t n = 4;
      while (n < size_) n *= 2;
      try {
        resize(n);
      } catch (const std::bad_alloc&) {
        // Keeping the larger table is always correct.
      }
    }
  }

  void resize(std::size_t n) {
    auto** nb = static_cast<node**>(std::calloc(n, sizeof(node*)));
    if (!nb) throw std::bad_alloc();
    std::size_t nmask = n - 1;
    if (buckets_) {
      for (std::size_t i = 0; i <= mask_; ++i) {
        node* e = buckets_[i];
        while (e) {
          node* next = e->next;
          node*& head = nb[util::hash_bytes(e->key.view()) & nmask];
          e->next = head;
          head = e;
          e = next;
        }
      }
      std::free(buckets_);
    }
    buckets_ = nb;
    mask_ = nmask;
  }

  node** buckets_ = nullptr;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace kvd::store
