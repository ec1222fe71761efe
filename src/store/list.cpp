// The list type (see list.hpp): Redis 7.0 src/quicklist.c node sizing on kvd's listpack.
#include "kvd/store/list.hpp"

#include <malloc.h>

#include <algorithm>
#include <utility>

namespace kvd::store {

namespace {

// quicklist.c: optimization_level[], SIZE_SAFETY_LIMIT, SIZE_ESTIMATE_OVERHEAD, FILL_MAX.
constexpr std::size_t optimization_level[] = {4096, 8192, 16384, 32768, 65536};
constexpr std::size_t size_safety_limit = 8192;
constexpr std::size_t size_estimate_overhead = 8;
constexpr int fill_max = (1 << 15) - 1;

/// jemalloc's size class of a small object (16-byte steps up to 128), for the fixed parts.
constexpr std::size_t size_class(std::size_t n) { return (n + 15) / 16 * 16; }

}  // namespace

list_value::list_value(int fill) noexcept
    : fill_(static_cast<std::int16_t>(fill > fill_max ? fill_max : fill < -5 ? -5 : fill)) {}

list_value::~list_value() {
  for (node* n = head_; n;) {
    node* next = n->next;
    delete n;
    n = next;
  }
}

std::size_t list_value::memory_usage() const noexcept {
  std::size_t total = size_class(sizeof(list_value)) + nodes_ * size_class(sizeof(node));
  for (const node* n = head_; n; n = n->next)
    total += malloc_usable_size(const_cast<unsigned char*>(n->lp.data()));
  return total;
}

std::unique_ptr<collection> list_value::clone() const {
  auto out = std::make_unique<list_value>(fill_);
  for (const node* n = head_; n; n = n->next) {
    node* c = out->new_node(out->tail_);
    c->lp = n->lp.clone();
    c->count = n->count;
  }
  out->len_ = len_;
  return out;
}

// ---- iteration ----

std::string_view list_value::iterator::get(listpack::int_buf& buf) const noexcept { return node_->lp.get(pos_, buf); }

bool list_value::iterator::equals(std::string_view s) const noexcept { return node_->lp.equals(pos_, s); }

void list_value::iterator::next() noexcept {
  if (reverse_) {
    pos_ = node_->lp.prev(pos_);
    if (pos_ == listpack::npos) {
      node_ = node_->prev;
      if (node_) pos_ = node_->lp.last();
    }
  } else {
    pos_ = node_->lp.next(pos_);
    if (pos_ == listpack::npos) {
      node_ = node_->next;
      if (node_) pos_ = node_->lp.first();
    }
  }
}

list_value::iterator list_value::at(std::size_t index, bool reverse) const noexcept {
  iterator it;
  it.reverse_ = reverse;
  if (index >= len_) return it;
  std::size_t off = 0;
  node* n = locate(index, off);
  it.node_ = n;
  it.pos_ = n->lp.seek(static_cast<std::int64_t>(off));
  return it;
}

bool list_value::normalize(std::int64_t index, std::size_t& out) const noexcept {
  auto len = static_cast<std::int64_t>(len_);
  if (index < 0) index += len;
  if (index < 0 || index >= len) return false;
  out = static_cast<std::size_t>(index);
  return true;
}

list_value::node* list_value::locate(std::size_t index, std::size_t& offset) const noexcept {
  if (index < len_ / 2) {
    node* n = head_;
    while (index >= n->count) {
      index -= n->count;
      n = n->next;
    }
    offset = index;
    return n;
  }
  std::size_t back = len_ - 1 - index;  // distance from the tail
  node* n = tail_;
  while (back >= n->count) {
    back -= n->count;
    n = n->prev;
  }
  offset = n->count - 1 - back;
  return n;
}

// ---- nodes ----

bool list_value::allow_insert(const node* n, std::size_t sz) const noexcept {
  // quicklist.c _quicklistNodeAllowInsert (7.0).
  if (!n) return false;
  std::size_t new_sz = n->lp.bytes() + sz + size_estimate_overhead;
  if (fill_ < 0) return new_sz <= optimization_level[-fill_ - 1];
  if (new_sz > size_safety_limit) return false;
  return static_cast<int>(n->count) < fill_;
}

list_value::node* list_value::new_node(node* after) {
  node* n = new node;
  n->prev = after;
  n->next = after ? after->next : head_;
  if (n->next) n->next->prev = n;
  else tail_ = n;
  if (after) after->next = n;
  else head_ = n;
  ++nodes_;
  return n;
}

void list_value::unlink(node* n) noexcept {
  if (n->prev) n->prev->next = n->next;
  else head_ = n->next;
  if (n->next) n->next->prev = n->prev;
  else tail_ = n->prev;
  --nodes_;
  delete n;
}

// ---- writes ----

void list_value::push(end e, std::string_view s) {
  if (e == end::head) {
    node* n = allow_insert(head_, s.size()) ? head_ : new_node(nullptr);
    n->lp.push_front(s);
    ++n->count;
  } else {
    node* n = allow_insert(tail_, s.size()) ? tail_ : new_node(tail_);
    n->lp.push_back(s);
    ++n->count;
  }
  ++len_;
}

void list_value::erase(std::size_t start, std::size_t count) noexcept {
  if (start >= len_ || count == 0) return;
  count = std::min(count, len_ - start);
  std::size_t off = 0;
  node* n = locate(start, off);
  len_ -= count;
  while (count > 0) {
    std::size_t here = std::min<std::size_t>(count, n->count - off);
    node* next = n->next;
    if (here == n->count) {
      unlink(n);
    } else {
      n->lp.erase_range(n->lp.seek(static_cast<std::int64_t>(off)), here);
      n->count -= static_cast<std::uint32_t>(here);
    }
    count -= here;
    off = 0;
    n = next;
  }
}

bool list_value::set(std::int64_t index, std::string_view s) {
  std::size_t i = 0;
  if (!normalize(index, i)) return false;
  std::size_t off = 0;
  node* n = locate(i, off);
  n->lp.replace(n->lp.seek(static_cast<std::int64_t>(off)), s);  // in place, as quicklistReplaceEntry
  return true;
}

bool list_value::insert(std::string_view pivot, std::string_view s, bool after) {
  for (node* n = head_; n; n = n->next) {
    for (auto p = n->lp.first(); p != listpack::npos; p = n->lp.next(p)) {
      if (n->lp.equals(p, pivot)) {
        insert_at(n, p, s, after);
        return true;
      }
    }
  }
  return false;
}

void list_value::insert_at(node* n, listpack::pos p, std::string_view s, bool after) {
  // quicklist.c _quicklistInsert: into the node when it has room; at a full node's edge into
  // the neighbour (or a new node); in a full node's middle, split it.
  ++len_;
  const bool at_tail = after && p == n->lp.last();
  const bool at_head = !after && p == n->lp.first();
  if (allow_insert(n, s.size())) {
    n->lp.insert_before(after ? n->lp.next(p) : p, s);
    ++n->count;
    return;
  }
  if (at_tail) {
    node* t = allow_insert(n->next, s.size()) ? n->next : new_node(n);
    t->lp.push_front(s);
    ++t->count;
    return;
  }
  if (at_head) {
    node* t = allow_insert(n->prev, s.size()) ? n->prev : new_node(n->prev);
    t->lp.push_back(s);
    ++t->count;
    return;
  }
  // Split: entries from the insertion point on move to a new node after n.
  std::size_t off = 0;
  for (auto q = n->lp.first(); q != p; q = n->lp.next(q)) ++off;
  if (after) ++off;
  node* right = new_node(n);
  listpack::int_buf buf;
  for (auto q = n->lp.seek(static_cast<std::int64_t>(off)); q != listpack::npos; q = n->lp.next(q)) {
    right->lp.push_back(n->lp.get(q, buf));
    ++right->count;
  }
  n->lp.erase_range(n->lp.seek(static_cast<std::int64_t>(off)), n->count - off);
  n->count = static_cast<std::uint32_t>(off);
  if (allow_insert(n, s.size())) {
    n->lp.push_back(s);
    ++n->count;
  } else if (allow_insert(right, s.size())) {
    right->lp.push_front(s);
    ++right->count;
  } else {
    node* mid = new_node(n);
    mid->lp.push_back(s);
    ++mid->count;
  }
}

std::size_t list_value::remove(std::int64_t count, std::string_view s) noexcept {
  std::size_t removed = 0;
  const std::size_t limit = count == 0 ? SIZE_MAX
                                       : count > 0 ? static_cast<std::size_t>(count)
                                                   : static_cast<std::size_t>(-(count + 1)) + 1;
  if (count >= 0) {
    for (node* n = head_; n && removed < limit;) {
      node* next = n->next;
      for (auto p = n->lp.first(); p != listpack::npos && removed < limit;) {
        if (n->lp.equals(p, s)) {
          p = n->lp.erase(p);
          --n->count;
          ++removed;
        } else {
          p = n->lp.next(p);
        }
      }
      if (n->count == 0) unlink(n);
      n = next;
    }
  } else {
    for (node* n = tail_; n && removed < limit;) {
      node* prev = n->prev;
      for (auto p = n->lp.last(); p != listpack::npos && removed < limit;) {
        auto before = n->lp.prev(p);
        if (n->lp.equals(p, s)) {
          // Erasing p leaves entries before it where they are.
          n->lp.erase(p);
          --n->count;
          ++removed;
        }
        p = before;
      }
      if (n->count == 0) unlink(n);
      n = prev;
    }
  }
  len_ -= removed;
  return removed;
}

}  // namespace kvd::store
