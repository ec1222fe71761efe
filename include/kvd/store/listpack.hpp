// Redis's listpack: a list of strings and integers in one contiguous allocation, the compact
// encoding of small lists (quicklist nodes), hashes and sorted sets. The byte layout is
// exactly Redis 7.0's (https://github.com/antirez/listpack/blob/master/listpack.md and
// redis src/listpack.c), so RDB snapshots can store and load it as is:
//   <total-bytes u32 LE> <num-elements u16 LE, 65535 = unknown> <entry>... <0xFF>
//   entry = <encoding+data> <backlen: 1..5 bytes, encoding+data length, read right to left>
// Strings that are canonical 64-bit integers (Redis string2ll) are stored as integers, as
// Redis does; reads return them as decimal text.
//
// Positions are byte offsets of entries; they stay valid until the next modification.
// Not thread-safe (the owning shard's lock protects it).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kvd::store {

/// A Redis 7.0 listpack. Move-only; clone() copies. A moved-from listpack may only be
/// destroyed or assigned to (move assignment swaps, so the source then holds the old value).
class listpack {
 public:
  /// Byte offset of an entry inside the listpack; `npos` means "no entry".
  using pos = std::uint32_t;
  static constexpr pos npos = 0;  ///< offset 0 is the header, never an entry

  /// Buffer for integer entries rendered as text (an int64 needs at most 20 chars).
  using int_buf = char[24];

  /// An empty listpack (7 bytes: header + end marker).
  listpack();
  /// Adopts `bytes` (a malloc'ed, valid listpack of `bytes[0..3]` bytes), e.g. from RDB.
  static listpack adopt(unsigned char* bytes) noexcept;
  /// Checks that `data` (`len` bytes) is a well-formed listpack (every entry decodes, the
  /// back lengths match, the end marker is last). For loaders of untrusted files.
  [[nodiscard]] static bool validate(const unsigned char* data, std::size_t len) noexcept;
  listpack(listpack&& o) noexcept;
  listpack& operator=(listpack&& o) noexcept;
  listpack(const listpack&) = delete;
  listpack& operator=(const listpack&) = delete;
  ~listpack();

  /// Deep copy.
  [[nodiscard]] listpack clone() const;

  /// Number of entries (O(1) below 65535 entries, else a walk, as lpLength).
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return bytes() == 7; }
  /// Total bytes of the encoding (the allocation), header and end marker included.
  [[nodiscard]] std::size_t bytes() const noexcept;
  /// The raw encoding (bytes() long), for RDB and DUMP.
  [[nodiscard]] const unsigned char* data() const noexcept { return p_; }

  // ---- Navigation (npos past either end) ----
  [[nodiscard]] pos first() const noexcept;
  [[nodiscard]] pos last() const noexcept;
  [[nodiscard]] pos next(pos p) const noexcept;
  [[nodiscard]] pos prev(pos p) const noexcept;
  /// Entry at `index` (negative counts from the end: -1 is the last); npos when out of range.
  [[nodiscard]] pos seek(std::int64_t index) const noexcept;

  // ---- Reading ----
  /// The entry at `p` as text; integer entries are rendered into `buf`.
  [[nodiscard]] std::string_view get(pos p, int_buf& buf) const noexcept;
  /// True and the value when the entry at `p` is stored as an integer.
  [[nodiscard]] bool get_int(pos p, std::int64_t& out) const noexcept;
  /// True when the entry at `p` equals `s` byte for byte (an integer entry compares as its
  /// decimal text).
  [[nodiscard]] bool equals(pos p, std::string_view s) const noexcept;
  /// First entry equal to `s`, starting at `from` and then every `skip`+1-th entry (skip 1
  /// visits keys of a field/value listpack); npos when none. As Redis lpFind.
  [[nodiscard]] pos find(pos from, std::string_view s, unsigned skip = 0) const noexcept;

  // ---- Writing (each may move the allocation; positions before the change stay valid
  //      only as returned) ----
  /// Appends `s` at the tail.
  void push_back(std::string_view s);
  /// Inserts `s` at the head.
  void push_front(std::string_view s);
  /// Inserts `s` before the entry at `p` (p == npos appends). Returns the new entry's pos.
  pos insert_before(pos p, std::string_view s);
  /// Replaces the entry at `p` with `s`. Returns the entry's pos.
  pos replace(pos p, std::string_view s);
  /// Deletes the entry at `p` (npos: no-op); returns the position of the entry that
  /// followed (or npos).
  pos erase(pos p);
  /// Deletes `count` entries starting at `p`; returns the position of the entry that followed.
  pos erase_range(pos p, std::size_t count);
  /// Removes every entry (back to 7 bytes).
  void clear();

  /// Bytes an entry holding `s` takes (encoding + data + backlen), for size-based limits.
  [[nodiscard]] static std::size_t entry_size(std::string_view s) noexcept;

 private:
  explicit listpack(unsigned char* p) noexcept : p_(p) {}
  unsigned char* p_;  ///< malloc'ed; null only in a moved-from listpack
};

}  // namespace kvd::store
