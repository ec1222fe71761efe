// The list type: Redis 7.0's quicklist (src/quicklist.c), a doubly linked list of listpack
// nodes. Each node is bounded by `list-max-listpack-size` (the list's "fill"), read when the
// list is created, as Redis's createQuicklistObject does:
//   fill > 0      at most `fill` entries per node (and at most 8 KB, SIZE_SAFETY_LIMIT);
//   fill -1..-5   at most 4, 8, 16, 32, 64 KB per node (fill < -5 counts as -5);
//   fill 0        one entry per node.
// The size test is Redis's _quicklistNodeAllowInsert: node bytes + element length + 8.
// Redis 7.0 reports every list as "quicklist" in OBJECT ENCODING (the single-listpack list
// encoding is Redis 7.2's), so this type does too; a small list is a quicklist of one node.
// Nodes are not compressed (list-compress-depth is accepted and ignored).
//
// Indexes are 0-based from the head. Not thread-safe: the owning shard's lock protects it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "kvd/store/listpack.hpp"
#include "kvd/store/value.hpp"

namespace kvd::store {

/// A Redis 7.0 list (quicklist of listpacks). Never empty while stored in a keyspace (an
/// emptied list deletes its key; callers check length()).
class list_value final : public collection {
  struct node;

 public:
  /// Which end of the list (Redis LIST_HEAD / LIST_TAIL; LEFT / RIGHT in commands).
  enum class end : std::uint8_t { head, tail };

  /// An empty list whose nodes are bounded by `fill` (list-max-listpack-size; clamped to
  /// -5..32767 as quicklistSetFill does).
  explicit list_value(int fill) noexcept;
  ~list_value() override;
  list_value(const list_value&) = delete;
  list_value& operator=(const list_value&) = delete;

  /// "quicklist", as Redis 7.0 reports for every list.
  [[nodiscard]] std::string_view encoding() const noexcept override { return "quicklist"; }
  /// Bytes allocated: this object, the nodes and the listpacks (their malloc'ed sizes).
  [[nodiscard]] std::size_t memory_usage() const noexcept override;
  /// Deep copy with the same fill and node layout.
  [[nodiscard]] std::unique_ptr<collection> clone() const override;
  /// Number of elements.
  [[nodiscard]] std::size_t length() const noexcept override { return len_; }

  /// The fill this list was created with.
  [[nodiscard]] int fill() const noexcept { return fill_; }
  /// Number of quicklist nodes (for tests and DEBUG-like introspection).
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_; }

  /// A read position that walks the list towards the tail (or the head when reverse).
  /// Valid until the list is modified.
  class iterator {
   public:
    /// False once the walk passed the end.
    [[nodiscard]] bool valid() const noexcept { return node_ != nullptr; }
    /// The element as text; integer entries are rendered into `buf`.
    [[nodiscard]] std::string_view get(listpack::int_buf& buf) const noexcept;
    /// True when the element equals `s` byte for byte.
    [[nodiscard]] bool equals(std::string_view s) const noexcept;
    /// Moves one element in the walk's direction.
    void next() noexcept;

   private:
    friend class list_value;
    const node* node_ = nullptr;
    listpack::pos pos_ = listpack::npos;
    bool reverse_ = false;
  };

  /// An iterator at element `index` (0 <= index < length(); otherwise an invalid one),
  /// walking towards the tail, or towards the head when `reverse`.
  [[nodiscard]] iterator at(std::size_t index, bool reverse = false) const noexcept;

  /// Normalizes a Redis index (negative counts from the tail: -1 is the last element) to
  /// 0..length()-1; returns false when out of range.
  [[nodiscard]] bool normalize(std::int64_t index, std::size_t& out) const noexcept;

  /// LPUSH/RPUSH: adds `s` at end `e`.
  void push(end e, std::string_view s);
  /// Removes `count` elements starting at normalized index `start` (clamped to the end).
  void erase(std::size_t start, std::size_t count) noexcept;
  /// LPOP/RPOP after reading the element: removes one element at end `e` (non-empty list).
  void pop(end e) noexcept { erase(e == end::head ? 0 : len_ - 1, 1); }

  /// LSET: replaces the element at Redis index `index`; false when out of range.
  bool set(std::int64_t index, std::string_view s);
  /// LINSERT: inserts `s` before (or after) the first element equal to `pivot`, searching
  /// from the head; false when no element equals `pivot`.
  bool insert(std::string_view pivot, std::string_view s, bool after);
  /// LREM: removes up to |count| elements equal to `s`, from the head when count > 0, from
  /// the tail when count < 0, every one when count == 0. Returns how many it removed.
  std::size_t remove(std::int64_t count, std::string_view s) noexcept;

 private:
  struct node {
    node* prev = nullptr;
    node* next = nullptr;
    listpack lp;
    std::uint32_t count = 0;  ///< entries in lp
  };

  [[nodiscard]] bool allow_insert(const node* n, std::size_t sz) const noexcept;
  node* new_node(node* after);            ///< links a new empty node after `after` (nullptr: at head)
  void unlink(node* n) noexcept;           ///< unlinks and frees `n`
  /// The node holding element `index` (< len_) and the index inside it.
  node* locate(std::size_t index, std::size_t& offset) const noexcept;
  /// Inserts `s` next to the entry `p` of node `n` (after it, or before it).
  void insert_at(node* n, listpack::pos p, std::string_view s, bool after);

  node* head_ = nullptr;
  node* tail_ = nullptr;
  std::size_t len_ = 0;
  std::uint32_t nodes_ = 0;
  std::int16_t fill_;
};

}  // namespace kvd::store
