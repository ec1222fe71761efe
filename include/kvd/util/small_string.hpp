// A 24-byte byte string with inline storage for up to 23 bytes (keys and short values stay
// inside the hash-table node: no second allocation, the main lever for bytes per key).
// Longer strings live in one heap block; capacity is tracked for APPEND/SETRANGE growth.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace kvd::util {

/// Owning byte string: inline when size() <= 23, heap otherwise. Not thread-safe.
class small_string {
 public:
  static constexpr std::size_t inline_capacity = 23;

  small_string() noexcept { set_inline_size(0); }
  explicit small_string(std::string_view s) { init(s.data(), s.size()); }
  small_string(const small_string& o) { init(o.data(), o.size()); }
  small_string(small_string&& o) noexcept {
    std::memcpy(raw_, o.raw_, sizeof raw_);
    o.set_inline_size(0);
  }
  small_string& operator=(const small_string& o) {
    if (this != &o) assign(o.view());
    return *this;
  }
  small_string& operator=(small_string&& o) noexcept {
    if (this != &o) {
      release();
      std::memcpy(raw_, o.raw_, sizeof raw_);
      o.set_inline_size(0);
    }
    return *this;
  }
  ~small_string() { release(); }

  /// Replaces the contents with `s` (may alias this string's own bytes).
  void assign(std::string_view s) {
    small_string tmp(s);
    *this = std::move(tmp);
  }

  [[nodiscard]] bool is_inline() const noexcept { return (raw_[23] & 0x80) == 0; }
  [[nodiscard]] std::size_t size() const noexcept {
    return is_inline() ? static_cast<std::size_t>(inline_capacity - raw_[23]) : heap().size;
  }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] const char* data() const noexcept { return is_inline() ? raw_ : heap().ptr; }
  [[nodiscard]] char* data() noexcept { return is_inline() ? raw_ : heap().ptr; }
  [[nodiscard]] std::string_view view() const noexcept { return {data(), size()}; }
  operator std::string_view() const noexcept { return view(); }

  /// Bytes allocated on the heap for this string (0 when inline). Used for memory accounting.
  [[nodiscard]] std::size_t heap_bytes() const noexcept { return is_inline() ? 0 : heap().cap; }

  /// Resizes to `n` bytes; new bytes are zero. Keeps existing bytes.
  void resize(std::size_t n) {
    std::size_t old = size();
    if (n <= old) {
      if (is_inline()) set_inline_size(n);
      else set_heap_size(n);
      return;
    }
    reserve(n);
    std::memset(data() + old, 0, n - old);
    if (is_inline()) set_inline_size(n);
    else set_heap_size(n);
  }

  /// Appends `s` (must not alias this string), growing geometrically like Redis's sds.
  void append(std::string_view s) {
    std::size_t old = size();
    reserve(old + s.size());
    std::memcpy(data() + old, s.data(), s.size());
    if (is_inline()) set_inline_size(old + s.size());
    else set_heap_size(old + s.size());
  }

  friend bool operator==(const small_string& a, std::string_view b) noexcept { return a.view() == b; }

 private:
  struct heap_rep {
    char* ptr;
    std::uint64_t size;
    std::uint64_t cap;  // top bit of the last byte is the heap marker (little-endian)
  };
  static constexpr std::uint64_t heap_flag = 1ULL << 63;

  [[nodiscard]] heap_rep heap() const noexcept {
    heap_rep h;
    std::memcpy(&h, raw_, sizeof h);
    h.cap &= ~heap_flag;
    return h;
  }
  void set_heap_size(std::uint64_t n) noexcept { std::memcpy(raw_ + 8, &n, 8); }

  void set_inline_size(std::size_t n) noexcept { raw_[23] = static_cast<char>(inline_capacity - n); }

  void init(const char* p, std::size_t n) {
    if (n <= inline_capacity) {
      if (n) std::memcpy(raw_, p, n);
      set_inline_size(n);
    } else {
      make_heap(n, n);
      std::memcpy(heap().ptr, p, n);
    }
  }
  void make_heap(std::size_t size, std::size_t cap) {
    char* ptr = static_cast<char*>(std::malloc(cap ? cap : 1));
    if (!ptr) throw std::bad_alloc();
    heap_rep h{ptr, size, cap | heap_flag};
    std::memcpy(raw_, &h, sizeof h);
  }
  void reserve(std::size_t n) {
    if (is_inline()) {
      if (n <= inline_capacity) return;
      std::size_t cur = size();
      char tmp[inline_capacity];
      std::memcpy(tmp, raw_, cur);
      std::size_t cap = n < 1024 * 1024 ? n * 2 : n + 1024 * 1024;
      make_heap(cur, cap);
      std::memcpy(heap().ptr, tmp, cur);
      return;
    }
    heap_rep h = heap();
    if (n <= h.cap) return;
    std::size_t cap = n < 1024 * 1024 ? n * 2 : n + 1024 * 1024;
    char* ptr = static_cast<char*>(std::realloc(h.ptr, cap));
    if (!ptr) throw std::bad_alloc();
    heap_rep nh{ptr, h.size, cap | heap_flag};
    std::memcpy(raw_, &nh, sizeof nh);
  }
  void release() noexcept {
    if (!is_inline()) std::free(heap().ptr);
  }

  char raw_[24];
};

static_assert(sizeof(small_string) == 24);

}  // namespace kvd::util
