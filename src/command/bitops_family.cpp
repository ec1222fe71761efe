// The bitmap command family, Redis 7.0 semantics (src/bitops.c): SETBIT GETBIT BITCOUNT BITPOS
// BITOP BITFIELD BITFIELD_RO. Layout per STYLE.md "A family file": bit helpers and store ops
// (reply-agnostic), then the cmd_* handlers, then the registration rows.
//
// Bit numbering follows Redis: bit 0 is the most significant bit of byte 0, so bit N lives in
// byte N >> 3 at mask 0x80 >> (N & 7). Strings grow with zero bytes up to proto-max-bulk-len.
// Every op runs with the shard locks of its keys held by the dispatcher; string_views an op
// returns point into the stored value and stay valid until the handler returns or the key is
// written again.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvd/command/client_context.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/notify.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

using store::database;
using store::value;

inline constexpr std::string_view err_bit_offset = "ERR bit offset is not an integer or out of range";
inline constexpr std::string_view err_bit_value = "ERR bit is not an integer or out of range";
inline constexpr std::string_view err_bit_arg = "ERR The bit argument must be 1 or 0.";
inline constexpr std::string_view err_bitop_not = "ERR BITOP NOT must be called with a single source key.";
inline constexpr std::string_view err_bf_type =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
inline constexpr std::string_view err_bf_overflow = "ERR Invalid OVERFLOW type specified";
inline constexpr std::string_view err_bf_ro = "ERR BITFIELD_RO only supports the GET subcommand";

// ============================================================================================
// (1) Bit helpers and store ops
// ============================================================================================

const unsigned char* bytes_of(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

// The popcnt clone is picked at load time (an ifunc) when the CPU has the instruction (the
// build does not assume it). Sanitizer builds get the plain function: an ifunc resolver runs
// before the sanitizer runtime is set up and crashes under ThreadSanitizer.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define KVD_POPCNT_CLONES
#else
#define KVD_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#endif

/// Number of set bits in p[0..n). Word-wise.
KVD_POPCNT_CLONES std::uint64_t popcount(const unsigned char* p, std::size_t n) noexcept {
  std::uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    std::uint64_t w[4];
    std::memcpy(w, p + i, 32);
    c0 += static_cast<std::uint64_t>(__builtin_popcountll(w[0]));
    c1 += static_cast<std::uint64_t>(__builtin_popcountll(w[1]));
    c2 += static_cast<std::uint64_t>(__builtin_popcountll(w[2]));
    c3 += static_cast<std::uint64_t>(__builtin_popcountll(w[3]));
  }
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    c0 += static_cast<std::uint64_t>(__builtin_popcountll(w));
  }
  for (; i < n; ++i) c0 += static_cast<std::uint64_t>(__builtin_popcount(p[i]));
  return c0 + c1 + c2 + c3;
}

/// Position of the first bit equal to `bit` in p[0..n) (Redis redisBitpos): when there is
/// none, -1 for a set bit and n * 8 (the first bit past the end) for a clear bit.
std::int64_t find_bit(const unsigned char* p, std::size_t n, int bit) noexcept {
  const std::uint64_t skip = bit ? 0 : ~std::uint64_t{0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {  // whole words of all 0 (looking for 1) or all 1 (looking for 0)
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w != skip) break;
  }
  for (; i < n; ++i) {
    auto b = static_cast<unsigned char>(bit ? p[i] : ~p[i]);
    if (b) return static_cast<std::int64_t>(i * 8) + std::countl_zero(b);
  }
  return bit ? -1 : static_cast<std::int64_t>(n * 8);
}

/// An integer argument as Redis's getLongLongFromObject reads it.
std::optional<std::int64_t> parse_ll(std::string_view s) noexcept { return util::parse_int64(s); }

/// A word as Redis's strcasecmp on C strings sees it: up to the first NUL byte.
std::string_view c_word(std::string_view arg) noexcept { return arg.substr(0, arg.find('\0')); }

/// A bit offset argument (Redis getBitOffsetFromArgument): a non-negative integer whose byte
/// (offset >> 3) is below `max_bytes` (proto-max-bulk-len; not checked for `obey`, the AOF
/// loader). With `bits` > 0 (BITFIELD) the form "#N" means N * bits. Error: bit offset text.
std::optional<std::uint64_t> parse_bit_offset(std::string_view s, int bits, std::int64_t max_bytes, bool obey) noexcept {
  bool hash = bits > 0 && !s.empty() && s[0] == '#';
  auto v = util::parse_int64(hash ? s.substr(1) : s);
  if (!v) return std::nullopt;
  std::int64_t off = *v;
  // Redis multiplies in long long; wrap as it does on two's complement machines.
  if (hash) off = static_cast<std::int64_t>(static_cast<std::uint64_t>(off) * static_cast<std::uint64_t>(bits));
  if (off < 0 || (!obey && (off >> 3) >= max_bytes)) return std::nullopt;
  return static_cast<std::uint64_t>(off);
}

/// A BITFIELD type "i<1..64>" or "u<1..63>" (Redis getBitfieldTypeFromArgument).
struct bf_type {
  bool sign = false;
  int bits = 0;
};

std::optional<bf_type> parse_bf_type(std::string_view s) noexcept {
  s = c_word(s);  // Redis reads the digits with strlen
  if (s.empty() || (s[0] != 'i' && s[0] != 'u')) return std::nullopt;
  bool sign = s[0] == 'i';
  auto n = util::parse_int64(s.substr(1));
  if (!n || *n < 1 || *n > (sign ? 64 : 63)) return std::nullopt;
  return bf_type{sign, static_cast<int>(*n)};
}

/// The `bits`-wide unsigned field at bit `offset` of `s`, big-endian in Redis's bit order;
/// bytes past the end read as zero (BITFIELD GET on a short or missing string).
std::uint64_t get_unsigned_field(std::string_view s, std::uint64_t offset, int bits) noexcept {
  const unsigned char* p = bytes_of(s);
  std::uint64_t v = 0;
  for (int i = 0; i < bits; ++i, ++offset) {
    std::uint64_t byte = offset >> 3;
    unsigned bit = byte < s.size() ? (p[byte] >> (7 - (offset & 7))) & 1u : 0u;
    v = (v << 1) | bit;
  }
  return v;
}

/// As get_unsigned_field, sign-extended from the field's top bit (two's complement).
std::int64_t get_signed_field(std::string_view s, std::uint64_t offset, int bits) noexcept {
  std::uint64_t u = get_unsigned_field(s, offset, bits);
  if (bits < 64 && (u & (std::uint64_t{1} << (bits - 1)))) u |= ~std::uint64_t{0} << bits;
  return static_cast<std::int64_t>(u);
}

/// Writes the low `bits` bits of `v` at bit `offset` of p (which holds them).
void set_field(char* p, std::uint64_t offset, int bits, std::uint64_t v) noexcept {
  for (int i = bits - 1; i >= 0; --i, ++offset) {
    auto mask = static_cast<unsigned char>(0x80u >> (offset & 7));
    auto& b = reinterpret_cast<unsigned char&>(p[offset >> 3]);
    if ((v >> i) & 1u) b = static_cast<unsigned char>(b | mask);
    else b = static_cast<unsigned char>(b & ~mask);
  }
}

/// BITFIELD OVERFLOW behaviours (Redis BFOVERFLOW_*).
enum class bf_overflow : std::uint8_t { wrap, sat, fail };

/// Redis checkUnsignedBitfieldOverflow: 1 when value + incr overflows a `bits`-wide unsigned
/// field, -1 when it underflows, else 0; on overflow *limit is the wrapped or saturated value
/// (untouched for FAIL).
int check_unsigned_overflow(std::uint64_t value, std::int64_t incr, int bits, bf_overflow ow, std::uint64_t* limit) {
  std::uint64_t max = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  auto maxincr = static_cast<std::int64_t>(max - value);
  auto minincr = static_cast<std::int64_t>(std::uint64_t{0} - value);
  auto wrap = [&] {
    std::uint64_t mask = bits == 64 ? 0 : ~std::uint64_t{0} << bits;
    *limit = (value + static_cast<std::uint64_t>(incr)) & ~mask;
  };
  if (value > max || (incr > 0 && incr > maxincr)) {
    if (ow == bf_overflow::wrap) wrap();
    else if (ow == bf_overflow::sat) *limit = max;
    return 1;
  }
  if (incr < 0 && incr < minincr) {
    if (ow == bf_overflow::wrap) wrap();
    else if (ow == bf_overflow::sat) *limit = 0;
    return -1;
  }
  return 0;
}

/// Redis checkSignedBitfieldOverflow: as check_unsigned_overflow for a signed field; WRAP
/// wraps towards the most negative value, SAT clamps to the field's min or max.
int check_signed_overflow(std::int64_t value, std::int64_t incr, int bits, bf_overflow ow, std::int64_t* limit) {
  std::int64_t max = bits == 64 ? INT64_MAX : (std::int64_t{1} << (bits - 1)) - 1;
  std::int64_t min = -max - 1;
  // maxincr/minincr may wrap; they are only used once value is known to be in range.
  auto maxincr = static_cast<std::int64_t>(static_cast<std::uint64_t>(max) - static_cast<std::uint64_t>(value));
  auto minincr = static_cast<std::int64_t>(static_cast<std::uint64_t>(min) - static_cast<std::uint64_t>(value));
  auto wrap = [&] {
    std::uint64_t c = static_cast<std::uint64_t>(value) + static_cast<std::uint64_t>(incr);
    if (bits < 64) {
      std::uint64_t mask = ~std::uint64_t{0} << bits;
      if (c & (std::uint64_t{1} << (bits - 1))) c |= mask;
      else c &= ~mask;
    }
    *limit = static_cast<std::int64_t>(c);
  };
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    if (ow == bf_overflow::wrap) wrap();
    else if (ow == bf_overflow::sat) *limit = max;
    return 1;
  }
  if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) {
    if (ow == bf_overflow::wrap) wrap();
    else if (ow == bf_overflow::sat) *limit = min;
    return -1;
  }
  return 0;
}

/// GETBIT, BITCOUNT, BITPOS, BITFIELD_RO, BITFIELD with only GETs: the string at `key`
/// (nullopt when absent), counting a keyspace hit or miss. Error: WRONGTYPE.
op_result<std::optional<std::string_view>> op_read_string(database& db, std::string_view key) {
  const value* v = db.lookup_read(key);
  if (!v) return std::optional<std::string_view>{};
  if (!v->is_string()) return op_status::wrong_type;
  return std::optional<std::string_view>{v->str()};
}

/// SETBIT, BITFIELD (Redis lookupStringForBitCommand): the string at `key`, created or padded
/// with zero bytes so that bit `maxbit` exists; `grew` says whether it was created or
/// lengthened. The value becomes "raw" as Redis's dbUnshareStringValue makes it. Error:
/// WRONGTYPE.
op_result<value*> op_string_for_bit_write(database& db, std::string_view key, std::uint64_t maxbit, bool& grew) {
  grew = false;
  std::size_t need = static_cast<std::size_t>(maxbit >> 3) + 1;
  value* v = db.lookup_write(key);
  if (v && !v->is_string()) return op_status::wrong_type;
  if (!v) {
    // Exact size like Redis's sdsnewlen; past 1 MB resize()'s slack is small and a zeroed
    // temporary of the full size would double the peak.
    if (need < 1024 * 1024) {
      std::string zeros(need, '\0');
      v = &db.add(key, value::make_string(zeros));
      v->mutable_str();
    } else {
      v = &db.add(key, value::make_string(std::string_view("", 0)));
      v->mutable_str().resize(need);
    }
    grew = true;
  } else {
    auto& s = v->mutable_str();
    if (s.size() < need) {
      s.resize(need);
      grew = true;
    }
  }
  return v;
}

/// GETBIT: the bit at `offset` of the string at `key` (0 past the end or when absent).
/// Error: WRONGTYPE.
op_result<int> op_getbit(database& db, std::string_view key, std::uint64_t offset) {
  auto r = op_read_string(db, key);
  if (!r.ok()) return op_result<int>::failure(r.error());
  if (!r.value()) return 0;
  std::string_view s = *r.value();
  std::uint64_t byte = offset >> 3;
  if (byte >= s.size()) return 0;
  return (bytes_of(s)[byte] >> (7 - (offset & 7))) & 1;
}

/// SETBIT's outcome: the bit's old value, and whether the string changed (created, grown, or
/// the bit flipped): Redis counts the write (and propagates it) only then.
struct setbit_out {
  int old = 0;
  bool changed = false;
};

/// SETBIT: sets bit `offset` of the string at `key` to `on` (0 or 1), growing it with zero
/// bytes; returns the old bit. Error: WRONGTYPE.
op_result<setbit_out> op_setbit(database& db, std::string_view key, std::uint64_t offset, int on) {
  bool grew = false;
  auto r = op_string_for_bit_write(db, key, offset, grew);
  if (!r.ok()) return op_result<setbit_out>::failure(r.error());
  auto& s = r.value()->mutable_str();
  auto& b = reinterpret_cast<unsigned char&>(s.data()[offset >> 3]);
  auto mask = static_cast<unsigned char>(0x80u >> (offset & 7));
  int old = (b & mask) ? 1 : 0;
  setbit_out out{old, grew || old != on};
  if (out.changed) b = static_cast<unsigned char>(on ? (b | mask) : (b & ~mask));
  return out;
}

/// An index range of BITCOUNT/BITPOS after Redis's negative-index conversion: inclusive
/// [start, end] in bytes, with the bits outside a BIT-unit range masked off at both edges.
struct bit_range {
  std::int64_t start = 0, end = -1;       ///< bytes, inclusive; empty when start > end
  unsigned char first_mask = 0;           ///< bits of byte `start` before the range
  unsigned char last_mask = 0;            ///< bits of byte `end` after the range
};

/// Redis's conversion of user start/end (negative from the end) over a string of `len` bytes,
/// in bytes or, with `isbit`, in bits.
bit_range normalize_range(std::int64_t start, std::int64_t end, std::int64_t len, bool isbit) {
  std::int64_t total = isbit ? len << 3 : len;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  bit_range r{start, end, 0, 0};
  if (isbit && start <= end) {
    r.first_mask = static_cast<unsigned char>(~((1u << (8 - (start & 7))) - 1) & 0xFF);
    r.last_mask = static_cast<unsigned char>((1u << (7 - (end & 7))) - 1);
    r.start = start >> 3;
    r.end = end >> 3;
  }
  return r;
}

/// BITCOUNT: set bits of `s` within `r`.
std::int64_t count_bits(std::string_view s, const bit_range& r) {
  if (r.start > r.end) return 0;
  const unsigned char* p = bytes_of(s);
  auto n = popcount(p + r.start, static_cast<std::size_t>(r.end - r.start + 1));
  if (r.first_mask) n -= static_cast<std::uint64_t>(std::popcount(static_cast<unsigned char>(p[r.start] & r.first_mask)));
  if (r.last_mask) n -= static_cast<std::uint64_t>(std::popcount(static_cast<unsigned char>(p[r.end] & r.last_mask)));
  return static_cast<std::int64_t>(n);
}

/// BITPOS (Redis 7.0 bitposCommand after its range conversion): the absolute bit position
/// of the first `bit` of `s` within `r`, or -1. Looking for a clear bit in a range of all
/// ones yields the first bit past the range unless `end_given` (then -1): without an end the
/// string counts as padded with zeros on the right.
std::int64_t bit_position(std::string_view s, int bit, bit_range r, bool end_given) {
  if (r.start > r.end) return -1;
  const unsigned char* p = bytes_of(s);
  std::int64_t start = r.start;
  std::int64_t bytes = r.end - r.start + 1;
  std::int64_t pos = -1;
  auto masked = [&](unsigned char c, unsigned char mask) {
    return static_cast<unsigned char>(bit ? (c & ~mask) : (c | mask));
  };
  [&] {
    if (r.first_mask) {
      unsigned char c = masked(p[start], r.first_mask);
      if (r.last_mask && bytes == 1) c = masked(c, r.last_mask);
      pos = find_bit(&c, 1, bit);
      if (bytes == 1 || (pos != -1 && pos != 8)) return;
      ++start;
      --bytes;
    }
    std::int64_t cur = bytes - (r.last_mask ? 1 : 0);  // the last byte is masked separately
    if (cur > 0) {
      pos = find_bit(p + start, static_cast<std::size_t>(cur), bit);
      if (bytes == cur || (pos != -1 && pos != cur << 3)) return;
      start += cur;
      bytes -= cur;
    }
    unsigned char c = masked(p[r.end], r.last_mask);
    pos = find_bit(&c, 1, bit);
  }();
  if (end_given && bit == 0 && pos == bytes << 3) return -1;
  if (pos != -1) pos += start << 3;
  return pos;
}

/// BITOP operations (Redis BITOP_*).
enum class bitop_kind : std::uint8_t { and_, or_, xor_, not_ };

/// BITOP's outcome: the result length in bytes, and whether the keyspace changed (a result
/// was stored, or the destination existed and was deleted).
struct bitop_out {
  std::size_t len = 0;
  bool changed = false;
};

/// BITOP: combines the strings at `srcs` (absent = empty; shorter ones zero-padded) into
/// `dest`, replacing any value and TTL there; an empty result deletes `dest`. Sources may
/// include `dest`. Error: WRONGTYPE when a source is not a string (nothing is written).
op_result<bitop_out> op_bitop(database& db, bitop_kind op, std::string_view dest, std::span<const std::string_view> srcs) {
  std::vector<std::string_view> in;
  in.reserve(srcs.size());
  std::size_t maxlen = 0;
  for (auto k : srcs) {
    const value* v = db.lookup_read(k);
    if (v && !v->is_string()) return op_status::wrong_type;
    in.push_back(v ? v->str() : std::string_view{});
    maxlen = std::max(maxlen, in.back().size());
  }
  if (maxlen == 0) return bitop_out{0, db.del(dest)};
  // The result goes into a new value, so sources may include `dest`. Small results are built
  // in a temporary and copied at their exact size; from 1 MB on they are built in place (a
  // second buffer would double the page faults, and resize()'s slack is then small).
  value nv = value::make_string(std::string_view("", 0));
  std::string tmp;
  unsigned char* out;
  constexpr std::size_t in_place_from = 1024 * 1024;
  if (maxlen >= in_place_from) {
    auto& s = nv.mutable_str();
    s.resize(maxlen);
    out = reinterpret_cast<unsigned char*>(s.data());
  } else {
    tmp.assign(maxlen, '\0');
    out = reinterpret_cast<unsigned char*>(tmp.data());
  }
  if (!in[0].empty()) std::memcpy(out, in[0].data(), in[0].size());
  if (op == bitop_kind::not_) {
    for (std::size_t j = 0; j < maxlen; ++j) out[j] = static_cast<unsigned char>(~out[j]);
  } else {
    for (std::size_t i = 1; i < in.size(); ++i) {
      const unsigned char* p = bytes_of(in[i]);
      std::size_t n = in[i].size();
      switch (op) {
        case bitop_kind::and_:
          for (std::size_t j = 0; j < n; ++j) out[j] &= p[j];
          std::memset(out + n, 0, maxlen - n);  // a shorter source is zero-padded
          break;
        case bitop_kind::or_:
          for (std::size_t j = 0; j < n; ++j) out[j] |= p[j];
          break;
        case bitop_kind::xor_:
          for (std::size_t j = 0; j < n; ++j) out[j] ^= p[j];
          break;
        case bitop_kind::not_:
          break;
      }
    }
  }
  if (maxlen < in_place_from) nv = value::make_string(tmp);
  nv.mutable_str();  // Redis stores the result as a raw string object
  db.set(dest, std::move(nv));
  return bitop_out{maxlen, true};
}

/// One BITFIELD subcommand after parsing (Redis struct bitfieldOp).
struct bf_op {
  enum kind : std::uint8_t { get, set, incrby } opcode = get;
  bf_overflow ow = bf_overflow::wrap;
  bf_type type;
  std::uint64_t offset = 0;  ///< bits
  std::int64_t arg = 0;      ///< SET value or INCRBY increment
};

/// BITFIELD's outcome: one reply per op (nullopt = nil, a write refused by OVERFLOW FAIL),
/// and how many ops changed the string (Redis counts a write only then).
struct bitfield_out {
  std::vector<std::optional<std::int64_t>> replies;
  int changes = 0;
};

/// BITFIELD, BITFIELD_RO: runs `ops` in order on the string at `key`. With any SET/INCRBY
/// the string is first created or grown so that bit `highest` exists (even when every write
/// then fails under OVERFLOW FAIL, as Redis does); with only GETs it is only read. Error:
/// WRONGTYPE.
op_result<bitfield_out> op_bitfield(database& db, std::string_view key, const std::vector<bf_op>& ops, bool writes,
                                    std::uint64_t highest) {
  bitfield_out out;
  out.replies.reserve(ops.size());
  if (!writes) {
    auto r = op_read_string(db, key);
    if (!r.ok()) return op_result<bitfield_out>::failure(r.error());
    std::string_view s = r.value() ? *r.value() : std::string_view{};
    for (const auto& op : ops)
      out.replies.emplace_back(op.type.sign ? get_signed_field(s, op.offset, op.type.bits)
                                            : static_cast<std::int64_t>(get_unsigned_field(s, op.offset, op.type.bits)));
    return out;
  }
  bool grew = false;
  auto r = op_string_for_bit_write(db, key, highest, grew);
  if (!r.ok()) return op_result<bitfield_out>::failure(r.error());
  auto& str = r.value()->mutable_str();
  for (const auto& op : ops) {
    std::string_view s = str.view();
    int bits = op.type.bits;
    if (op.opcode == bf_op::get) {
      out.replies.emplace_back(op.type.sign ? get_signed_field(s, op.offset, bits)
                                            : static_cast<std::int64_t>(get_unsigned_field(s, op.offset, bits)));
      continue;
    }
    std::uint64_t oldbits = 0, newbits = 0;
    std::int64_t reply = 0;
    int overflow = 0;
    if (op.type.sign) {
      std::int64_t oldval = get_signed_field(s, op.offset, bits), newval = 0, wrapped = 0;
      if (op.opcode == bf_op::incrby) {
        overflow = check_signed_overflow(oldval, op.arg, bits, op.ow, &wrapped);
        newval = overflow ? wrapped
                          : static_cast<std::int64_t>(static_cast<std::uint64_t>(oldval) +
                                                      static_cast<std::uint64_t>(op.arg));
        reply = newval;
      } else {
        newval = op.arg;
        overflow = check_signed_overflow(newval, 0, bits, op.ow, &wrapped);
        if (overflow) newval = wrapped;
        reply = oldval;
      }
      oldbits = static_cast<std::uint64_t>(oldval);
      newbits = static_cast<std::uint64_t>(newval);
    } else {
      std::uint64_t oldval = get_unsigned_field(s, op.offset, bits), newval = 0, wrapped = 0;
      if (op.opcode == bf_op::incrby) {
        newval = oldval + static_cast<std::uint64_t>(op.arg);
        overflow = check_unsigned_overflow(oldval, op.arg, bits, op.ow, &wrapped);
        if (overflow) newval = wrapped;
        reply = static_cast<std::int64_t>(newval);
      } else {
        newval = static_cast<std::uint64_t>(op.arg);
        overflow = check_unsigned_overflow(newval, 0, bits, op.ow, &wrapped);
        if (overflow) newval = wrapped;
        reply = static_cast<std::int64_t>(oldval);
      }
      oldbits = oldval;
      newbits = newval;
    }
    if (overflow && op.ow == bf_overflow::fail) {
      out.replies.emplace_back(std::nullopt);
      continue;
    }
    out.replies.emplace_back(reply);
    set_field(str.data(), op.offset, bits, newbits);
    if (grew || oldbits != newbits) ++out.changes;
  }
  return out;
}

// ============================================================================================
// (2) Handlers
// ============================================================================================

/// proto-max-bulk-len in bytes: the limit on bit offsets (Redis checks offset >> 3 against it).
std::int64_t max_bulk(const command_context& c) {
  return c.server.config.proto_max_bulk_len.load(std::memory_order_relaxed);
}

void cmd_setbit(command_context& c) {
  auto offset = parse_bit_offset(c.arg(2), 0, max_bulk(c), c.client.replaying_aof);
  if (!offset) return c.rb.error(err_bit_offset);
  auto on = parse_ll(c.arg(3));
  if (!on || (*on & ~std::int64_t{1})) return c.rb.error(err_bit_value);
  auto r = op_setbit(c.db, c.arg(1), *offset, static_cast<int>(*on));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value().changed) c.prop.none();  // Redis 7.0: no dirty++, nothing propagated
  else notify(c, pubsub::notify_string, "setbit", c.arg(1));
  c.rb.integer(r.value().old);
}

void cmd_getbit(command_context& c) {
  auto offset = parse_bit_offset(c.arg(2), 0, max_bulk(c), c.client.replaying_aof);
  if (!offset) return c.rb.error(err_bit_offset);
  auto r = op_getbit(c.db, c.arg(1), *offset);
  if (!r.ok()) return c.rb.error(r.error());
  c.rb.integer(r.value());
}

/// BIT or BYTE (Redis strcasecmp); nullopt for anything else.
std::optional<bool> parse_unit(std::string_view s) noexcept {
  s = c_word(s);
  if (iequals(s, "bit")) return true;
  if (iequals(s, "byte")) return false;
  return std::nullopt;
}

/// Redis 7.0 looks the key up before parsing the range: a missing key replies 0 even to bad
/// arguments, a wrong type replies WRONGTYPE first.
void cmd_bitcount(command_context& c) {
  auto r = op_read_string(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value()) return c.rb.integer(0);
  std::string_view s = *r.value();
  auto len = static_cast<std::int64_t>(s.size());
  bit_range range{0, len - 1, 0, 0};
  if (c.argc() == 4 || c.argc() == 5) {
    auto start = parse_ll(c.arg(2));
    if (!start) return c.rb.error(err::not_integer);
    auto end = parse_ll(c.arg(3));
    if (!end) return c.rb.error(err::not_integer);
    if (*start < 0 && *end < 0 && *start > *end) return c.rb.integer(0);
    bool isbit = false;
    if (c.argc() == 5) {
      auto unit = parse_unit(c.arg(4));
      if (!unit) return c.rb.error(err::syntax);
      isbit = *unit;
    }
    range = normalize_range(*start, *end, len, isbit);
  } else if (c.argc() != 2) {
    return c.rb.error(err::syntax);
  }
  c.rb.integer(count_bits(s, range));
}

/// BITPOS key bit [start [end [BYTE|BIT]]]. Redis 7.0 order: the bit argument, then the key
/// (missing: 0 when looking for 0, else -1), then start, the unit, end.
void cmd_bitpos(command_context& c) {
  auto bit = parse_ll(c.arg(2));
  if (!bit) return c.rb.error(err::not_integer);
  if (*bit != 0 && *bit != 1) return c.rb.error(err_bit_arg);
  auto r = op_read_string(c.db, c.arg(1));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value()) return c.rb.integer(*bit ? -1 : 0);
  std::string_view s = *r.value();
  auto len = static_cast<std::int64_t>(s.size());
  bit_range range{0, len - 1, 0, 0};
  bool end_given = false;
  if (c.argc() >= 4 && c.argc() <= 6) {
    auto start = parse_ll(c.arg(3));
    if (!start) return c.rb.error(err::not_integer);
    bool isbit = false;
    if (c.argc() == 6) {
      auto unit = parse_unit(c.arg(5));
      if (!unit) return c.rb.error(err::syntax);
      isbit = *unit;
    }
    std::int64_t end = isbit ? (len << 3) + 7 : len - 1;
    if (c.argc() >= 5) {
      auto e = parse_ll(c.arg(4));
      if (!e) return c.rb.error(err::not_integer);
      end = *e;
      end_given = true;
    }
    range = normalize_range(*start, end, len, isbit);
  } else if (c.argc() != 3) {
    return c.rb.error(err::syntax);
  }
  c.rb.integer(bit_position(s, static_cast<int>(*bit), range, end_given));
}

void cmd_bitop(command_context& c) {
  std::string_view name = c_word(c.arg(1));
  bitop_kind op;
  if (iequals(name, "and")) op = bitop_kind::and_;
  else if (iequals(name, "or")) op = bitop_kind::or_;
  else if (iequals(name, "xor")) op = bitop_kind::xor_;
  else if (iequals(name, "not")) op = bitop_kind::not_;
  else return c.rb.error(err::syntax);
  if (op == bitop_kind::not_ && c.argc() != 4) return c.rb.error(err_bitop_not);
  auto r = op_bitop(c.db, op, c.arg(2), c.args.subspan(3));
  if (!r.ok()) return c.rb.error(r.error());
  if (!r.value().changed) c.prop.none();  // empty result and no destination to delete
  else notify(c, r.value().len ? pubsub::notify_string : pubsub::notify_generic, r.value().len ? "set" : "del", c.arg(2));
  c.rb.integer(static_cast<std::int64_t>(r.value().len));
}

/// BITFIELD and BITFIELD_RO (Redis bitfieldGeneric): every subcommand is parsed (and its
/// errors replied) before the key is looked at; BITFIELD_RO then refuses SET/INCRBY.
void bitfield_generic(command_context& c, bool ro) {
  std::vector<bf_op> ops;
  bf_overflow ow = bf_overflow::wrap;
  bool writes = false;
  std::uint64_t highest = 0;
  bool obey = c.client.replaying_aof;
  for (std::size_t j = 2; j < c.argc(); ++j) {
    std::size_t rem = c.argc() - j - 1;
    std::string_view sub = c_word(c.arg(j));
    bf_op op;
    if (iequals(sub, "get") && rem >= 2) {
      op.opcode = bf_op::get;
    } else if (iequals(sub, "set") && rem >= 3) {
      op.opcode = bf_op::set;
    } else if (iequals(sub, "incrby") && rem >= 3) {
      op.opcode = bf_op::incrby;
    } else if (iequals(sub, "overflow") && rem >= 1) {
      std::string_view t = c_word(c.arg(++j));
      if (iequals(t, "wrap")) ow = bf_overflow::wrap;
      else if (iequals(t, "sat")) ow = bf_overflow::sat;
      else if (iequals(t, "fail")) ow = bf_overflow::fail;
      else return c.rb.error(err_bf_overflow);
      continue;
    } else {
      return c.rb.error(err::syntax);
    }
    auto type = parse_bf_type(c.arg(j + 1));
    if (!type) return c.rb.error(err_bf_type);
    auto offset = parse_bit_offset(c.arg(j + 2), type->bits, max_bulk(c), obey);
    if (!offset) return c.rb.error(err_bit_offset);
    op.type = *type;
    op.offset = *offset;
    op.ow = ow;
    if (op.opcode != bf_op::get) {
      writes = true;
      highest = std::max(highest, *offset + static_cast<std::uint64_t>(type->bits) - 1);
      auto v = parse_ll(c.arg(j + 3));
      if (!v) return c.rb.error(err::not_integer);
      op.arg = *v;
    }
    ops.push_back(op);
    j += op.opcode == bf_op::get ? 2 : 3;
  }
  if (writes && ro) return c.rb.error(err_bf_ro);
  auto r = op_bitfield(c.db, c.arg(1), ops, writes, highest);
  if (!r.ok()) return c.rb.error(r.error());
  const auto& out = r.value();
  // Redis 7.0 counts (and propagates) the command only when some op changed the string; a
  // key created for writes that all failed under OVERFLOW FAIL stays unlogged, as in Redis.
  if (out.changes == 0) c.prop.none();
  else notify(c, pubsub::notify_string, "setbit", c.arg(1));
  c.rb.array(out.replies.size());
  for (const auto& v : out.replies) {
    if (v) c.rb.integer(*v);
    else c.rb.null();
  }
}

void cmd_bitfield(command_context& c) { bitfield_generic(c, false); }
void cmd_bitfield_ro(command_context& c) { bitfield_generic(c, true); }

}  // namespace

// ============================================================================================
// (3) Registration: Redis 7.0 COMMAND INFO (arity, flags, first/last/step, ACL categories).
// ============================================================================================

void register_bitops_family(command_table& t) {
  constexpr std::uint32_t w_oom = f_write | f_denyoom;
  t.add({"setbit", 4, w_oom, 1, 1, 1, cmd_setbit, "write bitmap slow"});
  t.add({"getbit", 3, f_readonly | f_fast, 1, 1, 1, cmd_getbit, "read bitmap fast"});
  t.add({"bitcount", -2, f_readonly, 1, 1, 1, cmd_bitcount, "read bitmap slow"});
  t.add({"bitpos", -3, f_readonly, 1, 1, 1, cmd_bitpos, "read bitmap slow"});
  t.add({"bitop", -4, w_oom, 2, -1, 1, cmd_bitop, "write bitmap slow"});
  t.add({"bitfield", -2, w_oom, 1, 1, 1, cmd_bitfield, "write bitmap slow"});
  t.add({"bitfield_ro", -2, f_readonly | f_fast, 1, 1, 1, cmd_bitfield_ro, "read bitmap fast"});
}

}  // namespace kvd::command
