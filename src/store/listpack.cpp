// Redis 7.0 listpack (src/listpack.c), byte for byte: see include/kvd/store/listpack.hpp.
// Entry encodings (first byte):
//   0xxxxxxx 7-bit uint | 10xxxxxx 6-bit len str | 110xxxxx +1 byte 13-bit int
//   1110xxxx +1 byte 12-bit len str | 0xF0 +4 bytes len str | 0xF1..0xF4 16/24/32/64-bit int
//   0xFF end marker. Multi-byte integers and lengths are little endian; integers are two's
//   complement in their width.
// backlen: the entry's encoding+data length in 1..5 bytes, 7 bits per byte, the byte nearest
// the entry's end holds the low 7 bits; every byte but the leftmost has the high bit set.
#include "kvd/store/listpack.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "kvd/util/numbers.hpp"

namespace kvd::store {
namespace {

using uchar = unsigned char;
constexpr std::uint32_t hdr_size = 6;
constexpr std::uint32_t empty_size = hdr_size + 1;
constexpr std::uint16_t count_unknown = 65535;
constexpr uchar lp_eof = 0xFF;

inline std::uint32_t rd_u32(const uchar* p) noexcept {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}
inline void wr_u32(uchar* p, std::uint32_t v) noexcept {
  p[0] = uchar(v);
  p[1] = uchar(v >> 8);
  p[2] = uchar(v >> 16);
  p[3] = uchar(v >> 24);
}
inline std::uint16_t rd_u16(const uchar* p) noexcept {
  return std::uint16_t(p[0] | p[1] << 8);
}
inline void wr_u16(uchar* p, std::uint16_t v) noexcept {
  p[0] = uchar(v);
  p[1] = uchar(v >> 8);
}

/// Little-endian unsigned of `n` bytes at `p`.
inline std::uint64_t rd_le(const uchar* p, unsigned n) noexcept {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= std::uint64_t(p[i]) << (8 * i);
  return v;
}

/// Sign-extends the low `bits` bits of `u`.
inline std::int64_t sext(std::uint64_t u, unsigned bits) noexcept {
  const std::uint64_t m = std::uint64_t(1) << (bits - 1);
  return static_cast<std::int64_t>((u ^ m) - m);
}

/// Bytes of a backlen holding `l` (lpEncodeBacklen; note Redis's strict `<` bounds).
inline std::uint32_t backlen_size(std::uint64_t l) noexcept {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/// Writes the backlen of `l` at `buf` (leftmost byte first), returns its size.
inline std::uint32_t encode_backlen(uchar* buf, std::uint64_t l) noexcept {
  const std::uint32_t n = backlen_size(l);
  // buf[n-1] holds bits 0..6, buf[n-2] bits 7..13, ...; all but buf[0] carry the high bit.
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t shift = 7 * (n - 1 - i);
    uchar b = uchar((l >> shift) & 127);
    if (i != 0) b |= 128;
    buf[i] = b;
  }
  return n;
}

/// Decodes the backlen whose last byte is at `p`, reading at most 5 bytes to the left
/// (lpDecodeBacklen); UINT64_MAX when a 5th byte still says "more".
inline std::uint64_t decode_backlen(const uchar* p) noexcept {
  std::uint64_t val = 0;
  std::uint64_t shift = 0;
  for (;;) {
    val |= std::uint64_t(p[0] & 127) << shift;
    if (!(p[0] & 128)) break;
    shift += 7;
    --p;
    if (shift > 28) return UINT64_MAX;
  }
  return val;
}

/// Encoding + data bytes of the (valid, non-EOF) entry at `e` (lpCurrentEncodedSizeUnsafe).
inline std::uint32_t encoded_size(const uchar* e) noexcept {
  const uchar b = e[0];
  if (b < 0x80) return 1;
  if (b < 0xC0) return 1 + (b & 0x3F);
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 2 + ((std::uint32_t(b & 0x0F) << 8) | e[1]);
  switch (b) {
    case 0xF0: return 5 + rd_u32(e + 1);
    case 0xF1: return 3;
    case 0xF2: return 4;
    case 0xF3: return 5;
    case 0xF4: return 9;
    default: return 0;
  }
}

/// Whole entry size (encoding + data + backlen).
inline std::uint32_t entry_total(const uchar* e) noexcept {
  const std::uint32_t n = encoded_size(e);
  return n + backlen_size(n);
}

/// Decodes the entry at `e`: returns true and sets `v` for integers, false and sets `s` for
/// strings; `size` receives the whole entry size (backlen included).
inline bool decode(const uchar* e, std::int64_t& v, std::string_view& s,
                   std::uint32_t& size) noexcept {
  const uchar b = e[0];
  std::uint32_t n;
  if (b < 0x80) {
    v = b;
    size = 2;
    return true;
  }
  if (b < 0xC0) {
    n = b & 0x3F;
    s = {reinterpret_cast<const char*>(e + 1), n};
    n += 1;
    size = n + backlen_size(n);
    return false;
  }
  if (b < 0xE0) {
    v = sext((std::uint64_t(b & 0x1F) << 8) | e[1], 13);
    size = 3;
    return true;
  }
  if (b < 0xF0) {
    n = (std::uint32_t(b & 0x0F) << 8) | e[1];
    s = {reinterpret_cast<const char*>(e + 2), n};
    n += 2;
    size = n + backlen_size(n);
    return false;
  }
  switch (b) {
    case 0xF0:
      n = rd_u32(e + 1);
      s = {reinterpret_cast<const char*>(e + 5), n};
      n += 5;
      size = n + backlen_size(n);
      return false;
    case 0xF1: v = sext(rd_le(e + 1, 2), 16); size = 4; return true;
    case 0xF2: v = sext(rd_le(e + 1, 3), 24); size = 5; return true;
    case 0xF3: v = sext(rd_le(e + 1, 4), 32); size = 6; return true;
    default:  // 0xF4
      v = static_cast<std::int64_t>(rd_le(e + 1, 8));
      size = 10;
      return true;
  }
}

/// `s` as Redis stores it (lpStringToInt64: canonical int64, at most 20 chars).
inline bool as_int(std::string_view s, std::int64_t& v) noexcept {
  if (s.empty() || s.size() > 20) return false;
  const char c = s[0];
  if (c != '-' && (c < '0' || c > '9')) return false;
  auto r = util::parse_int64(s);
  if (!r) return false;
  v = *r;
  return true;
}

/// An entry ready to be written: header bytes (the whole encoding for integers), then
/// `data_len` string bytes, then the backlen.
struct entry_enc {
  uchar hdr[9];
  std::uint32_t hdr_len;
  std::uint32_t data_len;
  std::uint32_t backlen_len;
  [[nodiscard]] std::uint32_t total() const noexcept { return hdr_len + data_len + backlen_len; }
};

/// Chooses the encoding of `s` (lpEncodeGetType + lpEncodeIntegerGetType).
inline void encode(std::string_view s, entry_enc& e) {
  std::int64_t v;
  e.data_len = 0;
  if (as_int(s, v)) {
    uchar* h = e.hdr;
    if (v >= 0 && v <= 127) {
      h[0] = uchar(v);
      e.hdr_len = 1;
    } else if (v >= -4096 && v <= 4095) {
      const std::uint64_t u = std::uint64_t(v) & 0x1FFF;
      h[0] = uchar((u >> 8) | 0xC0);
      h[1] = uchar(u);
      e.hdr_len = 2;
    } else {
      unsigned w;
      if (v >= -32768 && v <= 32767) {
        h[0] = 0xF1;
        w = 2;
      } else if (v >= -8388608 && v <= 8388607) {
        h[0] = 0xF2;
        w = 3;
      } else if (v >= -2147483648LL && v <= 2147483647LL) {
        h[0] = 0xF3;
        w = 4;
      } else {
        h[0] = 0xF4;
        w = 8;
      }
      const std::uint64_t u = std::uint64_t(v);
      for (unsigned i = 0; i < w; ++i) h[1 + i] = uchar(u >> (8 * i));
      e.hdr_len = 1 + w;
    }
  } else {
    const std::size_t len = s.size();
    if (len < 64) {
      e.hdr[0] = uchar(0x80 | len);
      e.hdr_len = 1;
    } else if (len < 4096) {
      e.hdr[0] = uchar(0xE0 | (len >> 8));
      e.hdr[1] = uchar(len);
      e.hdr_len = 2;
    } else {
      if (len > UINT32_MAX - 16) throw std::length_error("listpack: string too long");
      e.hdr[0] = 0xF0;
      wr_u32(e.hdr + 1, std::uint32_t(len));
      e.hdr_len = 5;
    }
    e.data_len = std::uint32_t(len);
  }
  e.backlen_len = backlen_size(e.hdr_len + e.data_len);
}

inline void write_entry(uchar* dst, const entry_enc& e, std::string_view s) noexcept {
  std::memcpy(dst, e.hdr, e.hdr_len);
  if (e.data_len) std::memcpy(dst + e.hdr_len, s.data(), e.data_len);
  encode_backlen(dst + e.hdr_len + e.data_len, e.hdr_len + e.data_len);
}

/// Replaces `old_len` bytes at offset `off` of `lp` by `new_len` (uninitialized) bytes,
/// resizing the allocation to the exact new size and updating the total-bytes field.
uchar* splice(uchar* lp, std::uint32_t off, std::uint32_t old_len, std::uint64_t new_len) {
  const std::uint32_t total = rd_u32(lp);
  const std::uint64_t nt = std::uint64_t(total) - old_len + new_len;
  if (nt > UINT32_MAX) throw std::length_error("listpack: too large");
  const std::size_t tail = total - off - old_len;
  if (new_len > old_len) {
    auto* q = static_cast<uchar*>(std::realloc(lp, nt));
    if (!q) throw std::bad_alloc();
    lp = q;
    std::memmove(lp + off + new_len, lp + off + old_len, tail);
  } else if (new_len < old_len) {
    std::memmove(lp + off + new_len, lp + off + old_len, tail);
    // A failed shrink leaves the larger block, still valid.
    if (auto* q = static_cast<uchar*>(std::realloc(lp, nt))) lp = q;
  }
  wr_u32(lp, std::uint32_t(nt));
  return lp;
}

inline void count_add(uchar* lp, std::int64_t delta) noexcept {
  const std::uint16_t c = rd_u16(lp + 4);
  if (c == count_unknown) return;  // stays unknown, as Redis
  std::int64_t n = std::int64_t(c) + delta;
  if (n < 0) n = 0;
  if (n > count_unknown) n = count_unknown;
  wr_u16(lp + 4, std::uint16_t(n));
}

uchar* new_empty() {
  auto* p = static_cast<uchar*>(std::malloc(empty_size));
  if (!p) throw std::bad_alloc();
  wr_u32(p, empty_size);
  wr_u16(p + 4, 0);
  p[hdr_size] = lp_eof;
  return p;
}

/// True when `s` points into the `len` bytes at `base` (so a realloc would invalidate it).
inline bool aliases(std::string_view s, const uchar* base, std::size_t len) noexcept {
  const auto a = reinterpret_cast<std::uintptr_t>(s.data());
  const auto b = reinterpret_cast<std::uintptr_t>(base);
  return !s.empty() && a >= b && a < b + len;
}

}  // namespace

listpack::listpack() : p_(new_empty()) {}

listpack listpack::adopt(unsigned char* bytes) noexcept { return listpack(bytes); }

listpack::listpack(listpack&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }

listpack& listpack::operator=(listpack&& o) noexcept {
  std::swap(p_, o.p_);
  return *this;
}

listpack::~listpack() { std::free(p_); }

listpack listpack::clone() const {
  const std::size_t n = bytes();
  auto* q = static_cast<uchar*>(std::malloc(n));
  if (!q) throw std::bad_alloc();
  std::memcpy(q, p_, n);
  return listpack(q);
}

bool listpack::validate(const unsigned char* data, std::size_t len) noexcept {
  // lpValidateIntegrity(deep=1) with lpValidateNext.
  if (!data || len < empty_size || len > UINT32_MAX) return false;
  if (rd_u32(data) != len) return false;
  if (data[len - 1] != lp_eof) return false;
  const std::uint64_t last = len - 1;  // offset of the end marker
  std::uint64_t p = hdr_size;
  std::uint64_t count = 0;
  while (data[p] != lp_eof) {
    const uchar b = data[p];
    std::uint64_t lenbytes;
    if (b < 0xE0) lenbytes = 1;
    else if (b < 0xF0) lenbytes = 2;
    else if (b == 0xF0) lenbytes = 5;
    else if (b <= 0xF4) lenbytes = 1;
    else return false;  // 0xF5..0xFE: no such encoding
    if (p + lenbytes > last) return false;
    std::uint64_t n;
    if (b == 0xF0) n = 5 + std::uint64_t(rd_u32(data + p + 1));
    else n = encoded_size(data + p);
    const std::uint64_t bl = backlen_size(n);
    if (p + n + bl > last) return false;
    p += n + bl;
    // The backlen's last byte is at p-1 >= hdr_size+1, so the <=5 bytes read stay inside.
    if (decode_backlen(data + p - 1) != n) return false;
    ++count;
  }
  if (p != last) return false;
  const std::uint16_t hc = rd_u16(data + 4);
  return hc == count_unknown || hc == count;
}

std::size_t listpack::size() const noexcept {
  const std::uint16_t c = rd_u16(p_ + 4);
  if (c != count_unknown) return c;
  // lpLength walks here (and writes the count back when below 65535); we do not write from
  // a const read, so the header stays "unknown" until the next size-changing write.
  std::size_t n = 0;
  for (const uchar* e = p_ + hdr_size; *e != lp_eof; e += entry_total(e)) ++n;
  return n;
}

std::size_t listpack::bytes() const noexcept { return rd_u32(p_); }

listpack::pos listpack::first() const noexcept {
  return p_[hdr_size] == lp_eof ? npos : hdr_size;
}

listpack::pos listpack::last() const noexcept {
  const pos end = pos(bytes() - 1);
  return end == hdr_size ? npos : prev(end);
}

listpack::pos listpack::next(pos p) const noexcept {
  if (p == npos) return npos;
  const pos q = p + entry_total(p_ + p);
  return p_[q] == lp_eof ? npos : q;
}

listpack::pos listpack::prev(pos p) const noexcept {
  if (p <= hdr_size) return npos;
  const std::uint64_t l = decode_backlen(p_ + p - 1);
  return pos(p - (l + backlen_size(l)));
}

listpack::pos listpack::seek(std::int64_t index) const noexcept {
  // lpSeek: walk from the nearer end when the count is known.
  const std::uint16_t c = rd_u16(p_ + 4);
  bool forward = true;
  if (c != count_unknown) {
    if (index < 0) index += c;
    if (index < 0 || index >= c) return npos;
    if (index > c / 2) {
      forward = false;
      index -= c;
    }
  } else if (index < 0) {
    forward = false;
  }
  if (forward) {
    pos p = first();
    while (index > 0 && p != npos) {
      p = next(p);
      --index;
    }
    return p;
  }
  pos p = last();
  while (index < -1 && p != npos) {
    p = prev(p);
    ++index;
  }
  return p;
}

std::string_view listpack::get(pos p, int_buf& buf) const noexcept {
  std::int64_t v;
  std::string_view s;
  std::uint32_t sz;
  if (!decode(p_ + p, v, s, sz)) return s;
  const auto r = std::to_chars(buf, buf + sizeof(int_buf), v);
  return {buf, std::size_t(r.ptr - buf)};
}

bool listpack::get_int(pos p, std::int64_t& out) const noexcept {
  std::string_view s;
  std::uint32_t sz;
  return decode(p_ + p, out, s, sz);
}

bool listpack::equals(pos p, std::string_view s) const noexcept {
  std::int64_t v;
  std::string_view e;
  std::uint32_t sz;
  if (!decode(p_ + p, v, e, sz)) return e == s;
  std::int64_t sv;
  return as_int(s, sv) && sv == v;
}

listpack::pos listpack::find(pos from, std::string_view s, unsigned skip) const noexcept {
  // lpFind: compare one entry, then jump over `skip` entries; `s` is parsed as an integer
  // only once, and only if an integer entry is met.
  if (from == npos) return npos;
  int s_int = 0;  // 0 not parsed yet, 1 integer (value in sv), -1 not an integer
  std::int64_t sv = 0;
  unsigned skipcnt = 0;
  pos p = from;
  while (p_[p] != lp_eof) {
    if (skipcnt == 0) {
      std::int64_t v;
      std::string_view e;
      std::uint32_t sz;
      if (!decode(p_ + p, v, e, sz)) {
        if (e.size() == s.size() && std::memcmp(e.data(), s.data(), s.size()) == 0) return p;
      } else {
        if (s_int == 0) s_int = as_int(s, sv) ? 1 : -1;
        if (s_int == 1 && v == sv) return p;
      }
      skipcnt = skip;
      p += sz;
    } else {
      --skipcnt;
      p += entry_total(p_ + p);
    }
  }
  return npos;
}

void listpack::push_back(std::string_view s) { insert_before(npos, s); }

void listpack::push_front(std::string_view s) { insert_before(hdr_size, s); }

listpack::pos listpack::insert_before(pos p, std::string_view s) {
  std::string copy;
  if (aliases(s, p_, bytes())) s = copy.assign(s);
  const pos off = p == npos ? pos(bytes() - 1) : p;
  entry_enc e;
  encode(s, e);
  p_ = splice(p_, off, 0, e.total());
  write_entry(p_ + off, e, s);
  count_add(p_, 1);
  return off;
}

listpack::pos listpack::replace(pos p, std::string_view s) {
  std::string copy;
  if (aliases(s, p_, bytes())) s = copy.assign(s);
  entry_enc e;
  encode(s, e);
  p_ = splice(p_, p, entry_total(p_ + p), e.total());
  write_entry(p_ + p, e, s);
  return p;
}

listpack::pos listpack::erase(pos p) {
  if (p == npos) return npos;
  p_ = splice(p_, p, entry_total(p_ + p), 0);
  count_add(p_, -1);
  return p_[p] == lp_eof ? npos : p;
}

listpack::pos listpack::erase_range(pos p, std::size_t count) {
  if (p == npos || count == 0) return p;
  pos q = p;
  std::size_t n = 0;
  while (n < count && p_[q] != lp_eof) {
    q += entry_total(p_ + q);
    ++n;
  }
  p_ = splice(p_, p, q - p, 0);
  count_add(p_, -std::int64_t(n));
  return p_[p] == lp_eof ? npos : p;
}

void listpack::clear() {
  if (bytes() != empty_size) {
    if (auto* q = static_cast<uchar*>(std::realloc(p_, empty_size))) p_ = q;
  }
  wr_u32(p_, empty_size);
  wr_u16(p_ + 4, 0);
  p_[hdr_size] = lp_eof;
}

std::size_t listpack::entry_size(std::string_view s) noexcept {
  std::int64_t v;
  std::size_t n;
  if (as_int(s, v)) {
    if (v >= 0 && v <= 127) n = 1;
    else if (v >= -4096 && v <= 4095) n = 2;
    else if (v >= -32768 && v <= 32767) n = 3;
    else if (v >= -8388608 && v <= 8388607) n = 4;
    else if (v >= -2147483648LL && v <= 2147483647LL) n = 5;
    else n = 9;
  } else {
    const std::size_t len = s.size();
    n = len + (len < 64 ? 1 : len < 4096 ? 2 : 5);
  }
  return n + backlen_size(n);
}

}  // namespace kvd::store
