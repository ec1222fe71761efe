#include "kvd/persist/rdb.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

extern "C" {
#include <lzf.h>
}

#include "kvd/store/hash.hpp"
#include "kvd/store/list.hpp"
#include "kvd/config/config.hpp"
#include "kvd/store/listpack.hpp"
#include "kvd/store/lru.hpp"
#include "kvd/store/set.hpp"
#include "kvd/store/zset.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/hash.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::persist {

namespace {

// Record types and opcodes (Redis 7.0 rdb.h).
enum : std::uint8_t {
  t_string = 0,
  t_list = 1,
  t_set = 2,
  t_zset = 3,
  t_hash = 4,
  t_zset2 = 5,
  t_module = 6,
  t_module2 = 7,
  t_hash_zipmap = 9,
  t_list_ziplist = 10,
  t_set_intset = 11,
  t_zset_ziplist = 12,
  t_hash_ziplist = 13,
  t_list_quicklist = 14,
  t_stream_listpacks = 15,
  t_hash_listpack = 16,
  t_zset_listpack = 17,
  t_list_quicklist2 = 18,
  t_stream_listpacks2 = 19,
  t_set_listpack = 20,
  t_stream_listpacks3 = 21,
  op_function2 = 245,
  op_function = 246,
  op_module_aux = 247,
  op_idle = 248,
  op_freq = 249,
  op_aux = 250,
  op_resizedb = 251,
  op_expiretime_ms = 252,
  op_expiretime = 253,
  op_selectdb = 254,
  op_eof = 255,
};

enum : std::uint8_t { enc_int8 = 0, enc_int16 = 1, enc_int32 = 2, enc_lzf = 3 };

// ---------------------------------------------------------------- CRC64 (Jones, reflected)

struct crc_table {
  std::array<std::uint64_t, 256> t{};
  crc_table() {
    constexpr std::uint64_t poly = 0x95ac9329ac4bc9b5ULL;  // 0xad93d23594c935a9 reflected
    for (unsigned i = 0; i < 256; ++i) {
      std::uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
      t[i] = c;
    }
  }
};
const crc_table crc_tab;

std::string errno_text(int e) { return std::strerror(e); }

// ---------------------------------------------------------------- writer

/// Buffered writer to an fd, or to a string in memory (DUMP payloads), that keeps the running
/// CRC64 of everything put.
class out_file {
 public:
  out_file(int fd, bool checksum) : fd_(fd), checksum_(checksum) { buf_.reserve(cap); }
  /// Appends to `mem` instead of a file (flush() moves the buffer there).
  out_file(std::string& mem, bool checksum) : fd_(-1), checksum_(checksum), mem_(&mem) {}
  void put(const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    if (checksum_) crc_ = crc64(crc_, c, n);
    while (n) {
      std::size_t k = std::min(n, cap - buf_.size());
      buf_.append(c, k);
      c += k;
      n -= k;
      if (buf_.size() == cap) flush();
    }
  }
  void byte(std::uint8_t b) { put(&b, 1); }
  void len(std::uint64_t n) {
    unsigned char b[9];
    if (n < (1u << 6)) {
      b[0] = static_cast<unsigned char>(n);
      put(b, 1);
    } else if (n < (1u << 14)) {
      b[0] = static_cast<unsigned char>(0x40 | (n >> 8));
      b[1] = static_cast<unsigned char>(n & 0xff);
      put(b, 2);
    } else if (n <= UINT32_MAX) {
      b[0] = 0x80;
      for (int i = 0; i < 4; ++i) b[1 + i] = static_cast<unsigned char>(n >> (24 - 8 * i));
      put(b, 5);
    } else {
      b[0] = 0x81;
      for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<unsigned char>(n >> (56 - 8 * i));
      put(b, 9);
    }
  }
  /// rdbSaveRawString: integer encoding for short canonical integers, LZF when enabled and
  /// the string is longer than 20 bytes and shrinks, else length + bytes.
  void str(std::string_view s, bool compress) {
    if (s.size() <= 11 && !s.empty()) {
      if (auto v = util::parse_int64(s)) {
        std::int64_t x = *v;
        unsigned char b[5];
        if (x >= INT8_MIN && x <= INT8_MAX) {
          b[0] = 0xC0 | enc_int8;
          b[1] = static_cast<unsigned char>(x & 0xff);
          return put(b, 2);
        }
        if (x >= INT16_MIN && x <= INT16_MAX) {
          b[0] = 0xC0 | enc_int16;
          b[1] = static_cast<unsigned char>(x & 0xff);
          b[2] = static_cast<unsigned char>((x >> 8) & 0xff);
          return put(b, 3);
        }
        if (x >= INT32_MIN && x <= INT32_MAX) {
          b[0] = 0xC0 | enc_int32;
          for (int i = 0; i < 4; ++i) b[1 + i] = static_cast<unsigned char>((x >> (8 * i)) & 0xff);
          return put(b, 5);
        }
      }
    }
    if (compress && s.size() > 20) {
      std::size_t outlen = s.size() - 4;
      if (lzf_buf_.size() < outlen + 1) lzf_buf_.resize(outlen + 1);
      unsigned comp = lzf_compress(s.data(), static_cast<unsigned>(s.size()), lzf_buf_.data(),
                                   static_cast<unsigned>(outlen));
      if (comp != 0) {
        byte(0xC0 | enc_lzf);
        len(comp);
        len(s.size());
        put(lzf_buf_.data(), comp);
        return;
      }
    }
    len(s.size());
    put(s.data(), s.size());
  }
  void u64le(std::uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    put(b, 8);
  }
  void dbl(double d) {
    std::uint64_t v;
    std::memcpy(&v, &d, 8);
    u64le(v);
  }
  bool flush() {
    if (mem_) {
      mem_->append(buf_);
      buf_.clear();
      return true;
    }
    const char* p = buf_.data();
    std::size_t n = buf_.size();
    while (n) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (!err_) err_ = errno;
        break;
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    buf_.clear();
    return err_ == 0;
  }
  [[nodiscard]] std::uint64_t crc() const noexcept { return crc_; }
  [[nodiscard]] int err() const noexcept { return err_; }

 private:
  static constexpr std::size_t cap = 64 * 1024;
  int fd_;
  bool checksum_;
  std::uint64_t crc_ = 0;
  int err_ = 0;
  std::string* mem_ = nullptr;
  std::string buf_;
  std::vector<char> lzf_buf_;
};

void write_aux(out_file& o, std::string_view k, std::string_view v) {
  o.byte(op_aux);
  o.str(k, false);
  o.str(v, false);
}

/// The RDB object type byte `v` is written with (rdbSaveObjectType): the plain encodings,
/// except small hashes, written as their listpack blob.
std::uint8_t object_type(const store::value& v) {
  using store::value_type;
  switch (v.type()) {
    case value_type::string: return t_string;
    case value_type::list: return t_list;
    case value_type::set: return t_set;
    case value_type::hash: return v.has_listpack() ? t_hash_listpack : t_hash;
    case value_type::zset: return t_zset2;
  }
  return t_string;
}

/// Writes the value of `v` without its type byte (rdbSaveObject), in the encoding
/// object_type(v) names. Shared by the RDB file writer and DUMP.
void write_object(out_file& o, const store::value& v, bool comp) {
  using store::value_type;
  switch (v.type()) {
    case value_type::string:
      o.str(v.str(), comp);
      return;
    case value_type::list: {
      auto* l = static_cast<const store::list_value*>(v.obj());
      o.len(l->length());
      store::listpack::int_buf b;
      for (auto it = l->at(0); it.valid(); it.next()) o.str(it.get(b), comp);
      return;
    }
    case value_type::set: {
      auto* s = static_cast<const store::set_object*>(v.obj());
      o.len(s->length());
      s->for_each([&](const store::set_member& m) { o.str(m.view(), comp); });
      return;
    }
    case value_type::hash: {
      if (v.has_listpack()) {
        const auto& lp = v.lp();
        o.str(std::string_view(reinterpret_cast<const char*>(lp.data()), lp.bytes()), comp);
        return;
      }
      store::hash h(v);
      o.len(h.length());
      h.for_each([&](std::string_view f, std::string_view val) {
        o.str(f, comp);
        o.str(val, comp);
      });
      return;
    }
    case value_type::zset: {
      auto* z = static_cast<const store::zset*>(v.obj());
      o.len(z->length());
      // Redis writes from the tail so that loading inserts at the head; any order loads.
      z->walk(0, true, [&](std::string_view m, double s) {
        o.str(m, comp);
        o.dbl(s);
        return true;
      });
      return;
    }
  }
}

/// One key/value record of the file (rdbSaveKeyValuePair without the expire): type, key, value.
void write_value(out_file& o, std::string_view key, const store::value& v, bool comp) {
  o.byte(object_type(v));
  o.str(key, comp);
  write_object(o, v, comp);
}

// ---------------------------------------------------------------- loader

struct load_error {
  std::size_t offset;
  std::string what;
};

/// Reads an in-memory RDB image; throws load_error (offset, cause) on anything malformed.
class reader {
 public:
  explicit reader(std::string_view d) : d_(d) {}
  [[nodiscard]] std::size_t pos() const noexcept { return p_; }
  [[nodiscard]] std::size_t left() const noexcept { return d_.size() - p_; }
  [[noreturn]] void fail(std::string what) const { throw load_error{p_, std::move(what)}; }
  void need(std::uint64_t n) const {
    if (n > left()) fail("unexpected end of file (" + std::to_string(n) + " bytes needed, " + std::to_string(left()) + " left)");
  }
  std::uint8_t byte() {
    need(1);
    return static_cast<std::uint8_t>(d_[p_++]);
  }
  std::string_view bytes(std::uint64_t n) {
    need(n);
    auto s = d_.substr(p_, static_cast<std::size_t>(n));
    p_ += static_cast<std::size_t>(n);
    return s;
  }
  std::uint64_t le(int n) {
    auto s = bytes(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
    return v;
  }
  std::uint64_t be(int n) {
    auto s = bytes(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
    return v;
  }
  /// rdbLoadLenByRef: returns the length, or sets `encoded` and returns the encoding type.
  std::uint64_t len_or_enc(bool& encoded) {
    encoded = false;
    std::uint8_t b = byte();
    switch (b >> 6) {
      case 0: return b & 0x3f;
      case 1: return (static_cast<std::uint64_t>(b & 0x3f) << 8) | byte();
      case 2:
        if (b == 0x80) return be(4);
        if (b == 0x81) return be(8);
        --p_;
        fail("unknown length encoding " + std::to_string(b));
      default:
        encoded = true;
        return b & 0x3f;
    }
  }
  std::uint64_t len() {
    bool enc;
    std::size_t at = p_;
    std::uint64_t n = len_or_enc(enc);
    if (enc) throw load_error{at, "unexpected encoded length"};
    return n;
  }
  /// A count of items that each take at least `min_bytes` in the file.
  std::uint64_t count(std::uint64_t min_bytes = 1) {
    std::size_t at = p_;
    std::uint64_t n = len();
    if (n > left() / min_bytes) throw load_error{at, "length " + std::to_string(n) + " exceeds the bytes left in the file"};
    return n;
  }
  /// rdbGenericLoadStringObject; the result may point into the image or into `tmp`.
  std::string_view str(std::string& tmp) {
    bool enc;
    std::size_t at = p_;
    std::uint64_t n = len_or_enc(enc);
    if (!enc) return bytes(n);
    std::int64_t v;
    switch (n) {
      case enc_int8: v = static_cast<std::int8_t>(byte()); break;
      case enc_int16: v = static_cast<std::int16_t>(le(2)); break;
      case enc_int32: v = static_cast<std::int32_t>(le(4)); break;
      case enc_lzf: {
        std::uint64_t clen = len();
        std::uint64_t ulen = len();
        need(clen);
        if (clen == 0 || ulen > clen * 1024 + 1024) throw load_error{at, "bad LZF lengths"};
        tmp.resize(static_cast<std::size_t>(ulen));
        auto src = bytes(clen);
        unsigned got = ulen ? lzf_decompress(src.data(), static_cast<unsigned>(clen), tmp.data(), static_cast<unsigned>(ulen)) : 0;
        if (got != ulen) throw load_error{at, "invalid LZF compressed string"};
        return tmp;
      }
      default: throw load_error{at, "unknown string encoding " + std::to_string(n)};
    }
    tmp = std::to_string(v);
    return tmp;
  }
  std::string owned_str() {
    std::string tmp;
    auto s = str(tmp);
    return std::string(s);
  }

 private:
  std::string_view d_;
  std::size_t p_ = 0;
};

// ---- ziplist (Redis 7.0 ziplist.c), read only

/// Calls f(entry text) for each entry of the ziplist `zl`; throws via `r` on malformed data.
template <class F>
void ziplist_each(const reader& r, std::string_view zl, F&& f) {
  auto bad = [&](const char* why) { r.fail(std::string("invalid ziplist: ") + why); };
  auto u = [&](std::size_t i) { return static_cast<unsigned char>(zl[i]); };
  if (zl.size() < 11) bad("too short");
  std::uint32_t zlbytes = u(0) | (u(1) << 8) | (u(2) << 16) | (static_cast<std::uint32_t>(u(3)) << 24);
  if (zlbytes != zl.size() || u(zl.size() - 1) != 0xFF) bad("header does not match size");
  std::size_t p = 10, end = zl.size() - 1;
  char buf[24];
  while (p < end) {
    // prevlen
    if (u(p) < 254) p += 1;
    else p += 5;
    if (p >= end) bad("entry past the end");
    unsigned char e = u(p);
    std::size_t hdr = 0, n = 0;
    std::int64_t iv = 0;
    bool is_int = false;
    auto needb = [&](std::size_t k) {
      if (p + k > end) bad("entry past the end");
    };
    switch (e >> 6) {
      case 0: hdr = 1; n = e & 0x3f; break;
      case 1: needb(2); hdr = 2; n = (static_cast<std::size_t>(e & 0x3f) << 8) | u(p + 1); break;
      case 2:
        needb(5);
        hdr = 5;
        n = (static_cast<std::size_t>(u(p + 1)) << 24) | (u(p + 2) << 16) | (u(p + 3) << 8) | u(p + 4);
        break;
      default: {
        is_int = true;
        hdr = 1;
        auto rd = [&](int k) {
          needb(1 + static_cast<std::size_t>(k));
          std::uint64_t v = 0;
          for (int i = k - 1; i >= 0; --i) v = (v << 8) | u(p + 1 + static_cast<std::size_t>(i));
          return v;
        };
        if (e == 0xC0) iv = static_cast<std::int16_t>(rd(2)), n = 2;
        else if (e == 0xD0) iv = static_cast<std::int32_t>(rd(4)), n = 4;
        else if (e == 0xE0) iv = static_cast<std::int64_t>(rd(8)), n = 8;
        else if (e == 0xF0) {
          auto x = static_cast<std::uint32_t>(rd(3)) << 8;
          iv = static_cast<std::int32_t>(x) >> 8;
          n = 3;
        } else if (e == 0xFE) iv = static_cast<std::int8_t>(rd(1)), n = 1;
        else if (e >= 0xF1 && e <= 0xFD) iv = (e & 0x0f) - 1, n = 0;
        else bad("unknown entry encoding");
      }
    }
    if (p + hdr + n > end) bad("entry past the end");
    if (is_int) {
      auto len = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(iv));
      f(std::string_view(buf, static_cast<std::size_t>(len)));
    } else {
      f(zl.substr(p + hdr, n));
    }
    p += hdr + n;
  }
  if (p != end) bad("entries overrun the end marker");
}

/// Calls f(entry text) for each entry of a listpack blob after validating it.
template <class F>
void listpack_each(const reader& r, std::string_view blob, F&& f) {
  auto* data = reinterpret_cast<const unsigned char*>(blob.data());
  if (!store::listpack::validate(data, blob.size())) r.fail("invalid listpack");
  auto* copy = static_cast<unsigned char*>(std::malloc(blob.size()));
  if (!copy) throw std::bad_alloc();
  std::memcpy(copy, data, blob.size());
  store::listpack lp = store::listpack::adopt(copy);
  store::listpack::int_buf b;
  for (auto p = lp.first(); p != store::listpack::npos; p = lp.next(p)) f(lp.get(p, b));
}

/// Calls f(key, value) for each pair of a zipmap blob (Redis 2.x hashes).
template <class F>
void zipmap_each(const reader& r, std::string_view zm, F&& f) {
  auto bad = [&](const char* why) { r.fail(std::string("invalid zipmap: ") + why); };
  auto u = [&](std::size_t i) { return static_cast<unsigned char>(zm[i]); };
  if (zm.size() < 2) bad("too short");
  std::size_t p = 1;
  auto rdlen = [&]() -> std::size_t {
    if (p >= zm.size()) bad("past the end");
    unsigned char b = u(p);
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b == 254) {
      if (p + 5 > zm.size()) bad("past the end");
      std::size_t n = u(p + 1) | (u(p + 2) << 8) | (u(p + 3) << 16) | (static_cast<std::size_t>(u(p + 4)) << 24);
      p += 5;
      return n;
    }
    bad("bad length");
    return 0;  // not reached: bad() throws
  };
  while (true) {
    if (p >= zm.size()) bad("missing end marker");
    if (u(p) == 0xFF) break;
    std::size_t kl = rdlen();
    if (kl > zm.size() - p) bad("key past the end");
    auto k = zm.substr(p, kl);
    p += kl;
    std::size_t vl = rdlen();
    if (p >= zm.size()) bad("past the end");
    std::size_t fr = u(p++);
    if (vl > zm.size() - p || fr > zm.size() - p - vl) bad("value past the end");
    auto v = zm.substr(p, vl);
    p += vl + fr;
    f(k, v);
  }
}

/// Builds kvd values from decoded elements, applying the server's encoding limits.
struct builder {
  const rdb_load_limits& lim;

  store::hash_limits hl() const { return {lim.hash_max_listpack_entries, lim.hash_max_listpack_value}; }
  store::zset_limits zl() const {
    return {static_cast<std::size_t>(lim.zset_max_listpack_entries), static_cast<std::size_t>(lim.zset_max_listpack_value)};
  }
};

double parse_score(const reader& r, std::string_view s) {
  std::string z(s);
  char* end = nullptr;
  double d = std::strtod(z.c_str(), &end);
  if (z.empty() || end != z.c_str() + z.size() || std::isnan(d)) r.fail("invalid zset score '" + z.substr(0, 40) + "'");
  return d;
}

/// Decodes one RDB object (rdbLoadObject) from a reader into a kvd value, applying the
/// encoding limits. Shared by the file loader, RESTORE and kvd-check-rdb.
class object_decoder {
 public:
  object_decoder(reader& r, const rdb_load_limits& lim) : r_(r), lim_(lim) {}

  /// True for the type bytes rdbLoadObjectType accepts (Redis 7.0 rdbIsObjectType).
  static bool is_object_type(std::uint8_t t) noexcept { return t <= t_module2 || (t >= t_hash_zipmap && t <= t_set_listpack); }

  /// The value of type `t` whose record starts at `at` (for error offsets); throws load_error.
  store::value load_value(std::uint8_t t, std::size_t at) {
    using store::value;
    using store::value_type;
    builder b{lim_};
    std::string tmp, tmp2;
    switch (t) {
      case t_string: return value::make_string(r_.str(tmp));
      case t_list: {
        auto l = std::make_unique<store::list_value>(lim_.list_fill);
        for (std::uint64_t n = r_.count(); n--;) l->push(store::list_value::end::tail, r_.str(tmp));
        return checked(value::make_collection(value_type::list, std::move(l)), at);
      }
      case t_list_ziplist: {
        auto l = std::make_unique<store::list_value>(lim_.list_fill);
        ziplist_each(r_, r_.str(tmp), [&](std::string_view e) { l->push(store::list_value::end::tail, e); });
        return checked(value::make_collection(value_type::list, std::move(l)), at);
      }
      case t_list_quicklist:
      case t_list_quicklist2: {
        auto l = std::make_unique<store::list_value>(lim_.list_fill);
        for (std::uint64_t n = r_.count(); n--;) {
          std::uint64_t container = 2;
          if (t == t_list_quicklist2) {
            container = r_.len();
            if (container != 1 && container != 2) r_.fail("bad quicklist node container " + std::to_string(container));
          }
          auto blob = r_.str(tmp);
          if (container == 1) l->push(store::list_value::end::tail, blob);
          else if (t == t_list_quicklist) ziplist_each(r_, blob, [&](std::string_view e) { l->push(store::list_value::end::tail, e); });
          else listpack_each(r_, blob, [&](std::string_view e) { l->push(store::list_value::end::tail, e); });
        }
        return checked(value::make_collection(value_type::list, std::move(l)), at);
      }
      case t_set: {
        std::unique_ptr<store::set_object> s;
        std::uint64_t n = r_.count();
        auto max = static_cast<std::size_t>(lim_.set_max_intset_entries);
        if (n > max) s = std::make_unique<store::set_object>(store::set_object::kind::hashtable);
        while (n--) {
          auto m = r_.str(tmp);
          if (!s) s = store::set_object::create_for(m);
          if (!s->add(m, max)) r_.fail("duplicate set member");
        }
        if (!s) s = std::make_unique<store::set_object>();
        return checked(value::make_collection(value_type::set, std::move(s)), at);
      }
      case t_set_intset: {
        auto blob = r_.str(tmp);
        auto u = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(blob[i])); };
        if (blob.size() < 8) r_.fail("invalid intset: too short");
        std::uint32_t w = static_cast<std::uint32_t>(u(0) | (u(1) << 8) | (u(2) << 16) | (u(3) << 24));
        std::uint32_t cnt = static_cast<std::uint32_t>(u(4) | (u(5) << 8) | (u(6) << 16) | (u(7) << 24));
        if ((w != 2 && w != 4 && w != 8) || 8 + std::uint64_t{w} * cnt != blob.size()) r_.fail("invalid intset");
        auto max = static_cast<std::size_t>(lim_.set_max_intset_entries);
        auto s = std::make_unique<store::set_object>(cnt > max ? store::set_object::kind::hashtable : store::set_object::kind::intset);
        for (std::uint32_t i = 0; i < cnt; ++i) {
          std::uint64_t x = 0;
          for (std::uint32_t k = w; k-- > 0;) x = (x << 8) | u(8 + i * w + k);
          std::int64_t v = w == 2 ? static_cast<std::int16_t>(x) : w == 4 ? static_cast<std::int32_t>(x) : static_cast<std::int64_t>(x);
          if (!s->add(std::to_string(v), max)) r_.fail("invalid intset: duplicate member");
        }
        return checked(value::make_collection(value_type::set, std::move(s)), at);
      }
      case t_set_listpack: {
        auto max = static_cast<std::size_t>(lim_.set_max_intset_entries);
        std::unique_ptr<store::set_object> s;
        listpack_each(r_, r_.str(tmp), [&](std::string_view m) {
          if (!s) s = store::set_object::create_for(m);
          if (!s->add(m, max)) r_.fail("duplicate set member");
        });
        if (!s) s = std::make_unique<store::set_object>();
        return checked(value::make_collection(value_type::set, std::move(s)), at);
      }
      case t_hash: {
        value v = store::hash::make();
        store::hash h(v);
        std::uint64_t n = r_.count(2);
        auto hl = b.hl();
        if (n > static_cast<std::uint64_t>(hl.max_listpack_entries)) h.convert_to_table();
        while (n--) {
          std::string f = r_.owned_str();
          auto val = r_.str(tmp);
          if (!h.set(f, val, hl)) r_.fail("duplicate hash field");
        }
        return checked(std::move(v), at);
      }
      case t_hash_zipmap:
      case t_hash_ziplist:
      case t_hash_listpack: {
        value v = store::hash::make();
        store::hash h(v);
        auto hl = b.hl();
        auto blob = r_.str(tmp);
        std::string field;
        bool have = false;
        auto pair = [&](std::string_view f, std::string_view val) {
          if (!h.set(f, val, hl)) r_.fail("duplicate hash field");
        };
        auto each = [&](std::string_view e) {
          if (!have) {
            field.assign(e);
            have = true;
          } else {
            pair(field, e);
            have = false;
          }
        };
        if (t == t_hash_zipmap) zipmap_each(r_, blob, pair);
        else if (t == t_hash_ziplist) ziplist_each(r_, blob, each);
        else listpack_each(r_, blob, each);
        if (have) r_.fail("hash with an odd number of elements");
        return checked(std::move(v), at);
      }
      case t_zset:
      case t_zset2: {
        auto z = std::make_unique<store::zset>();
        auto zl = b.zl();
        std::uint64_t n = r_.count(2);
        if (n > zl.max_entries) z->convert_to_skiplist();
        while (n--) {
          std::string m = r_.owned_str();
          double sc;
          if (t == t_zset2) {
            std::uint64_t bits = r_.le(8);
            std::memcpy(&sc, &bits, 8);
            if (std::isnan(sc)) r_.fail("zset score is NaN");
          } else {
            std::uint8_t l = r_.byte();
            if (l == 253) r_.fail("zset score is NaN");
            else if (l == 254) sc = std::numeric_limits<double>::infinity();
            else if (l == 255) sc = -std::numeric_limits<double>::infinity();
            else sc = parse_score(r_, r_.bytes(l));
          }
          add_member(*z, m, sc, zl);
        }
        return checked(value::make_collection(value_type::zset, std::move(z)), at);
      }
      case t_zset_ziplist:
      case t_zset_listpack: {
        auto z = std::make_unique<store::zset>();
        auto zl = b.zl();
        std::string member;
        bool have = false;
        auto each = [&](std::string_view e) {
          if (!have) {
            member.assign(e);
            have = true;
          } else {
            add_member(*z, member, parse_score(r_, e), zl);
            have = false;
          }
        };
        auto blob = r_.str(tmp);
        if (t == t_zset_ziplist) ziplist_each(r_, blob, each);
        else listpack_each(r_, blob, each);
        if (have) r_.fail("zset with an odd number of elements");
        return checked(value::make_collection(value_type::zset, std::move(z)), at);
      }
      case t_module:
      case t_module2: throw load_error{at, "the file holds a module value (type " + std::to_string(t) + "), which kvd does not support"};
      case t_stream_listpacks:
      case t_stream_listpacks2:
      case t_stream_listpacks3: throw load_error{at, "the file holds a stream, which kvd does not support yet"};
      default: throw load_error{at, "unknown RDB value type " + std::to_string(t)};
    }
  }

  void add_member(store::zset& z, std::string_view m, double sc, const store::zset_limits& zl) {
    int out = 0;
    double ns;
    if (!z.add(sc, m, store::zset::in_nx, out, ns, zl) || !(out & store::zset::out_added)) r_.fail("duplicate zset member");
  }

  store::value checked(store::value v, std::size_t at) {
    bool empty = v.has_listpack() ? store::hash(v).length() == 0 : v.obj()->length() == 0;
    if (empty) throw load_error{at, "empty collection"};
    return v;
  }

 private:
  reader& r_;
  const rdb_load_limits& lim_;
};

/// Where the loader's records go: the keyspace (rdb_load) or counters (rdb_check). Methods
/// may throw load_error to stop the load.
class record_sink {
 public:
  virtual ~record_sink() = default;
  /// An aux field; `end` is the offset just after it.
  virtual void aux(std::size_t end, std::string_view k, std::string_view v) {}
  /// SELECTDB n; `at` is the record's offset, `end` the offset after it.
  virtual void select_db(std::uint64_t n, std::size_t at, std::size_t end) = 0;
  /// A key read in database `db`; `expire` is absolute Unix ms or -1.
  virtual void key(int db, std::string&& key, store::value&& v, std::int64_t expire) = 0;
  /// The IDLE (seconds) and FREQ opcodes that preceded the next key, -1 when absent; called
  /// just before key() when either was present.
  virtual void access(std::int64_t idle_s, std::int64_t freq) {}
};

/// Walks an RDB image (rdbLoadRioWithLoadingCtx): header, opcodes, key records, EOF, CRC.
class loader {
 public:
  loader(std::string_view data, const rdb_load_limits& lim) : r_(data), dec_(r_, lim), lim_(lim), data_(data) {}

  /// Hands every record to `sink`; returns the file's version and redis-ver aux field (keys
  /// and expired are left 0: the sink counts them). Throws load_error.
  rdb_load_result run(record_sink& sink) {
    rdb_load_result res;
    doing_ = "start";
    auto magic = r_.bytes(9);
    if (magic.substr(0, 5) != "REDIS") throw load_error{0, "wrong signature trying to load DB from file (not an RDB file)"};
    int ver = 0;
    for (char c : magic.substr(5)) {
      if (c < '0' || c > '9') throw load_error{5, "bad RDB version field"};
      ver = ver * 10 + (c - '0');
    }
    if (ver < 1 || ver > 10) throw load_error{5, "can't handle RDB format version " + std::to_string(ver)};
    res.version = ver;
    int db = 0;
    std::int64_t expire = -1;
    std::int64_t idle = -1, freq = -1;  // IDLE / FREQ of the next key (Redis lru_idle, lfu_freq)
    std::size_t reported = 0;
    while (true) {
      if (lim_.progress && r_.pos() - reported >= (1u << 20)) {
        reported = r_.pos();
        lim_.progress->loaded_bytes.store(reported, std::memory_order_relaxed);
      }
      std::size_t at = r_.pos();
      doing_ = "read-type";
      type_ = -1;
      std::uint8_t t = r_.byte();
      switch (t) {
        case op_expiretime:
          doing_ = "read-expire";
          expire = static_cast<std::int64_t>(static_cast<std::int32_t>(r_.le(4))) * 1000;
          continue;
        case op_expiretime_ms:
          doing_ = "read-expire";
          expire = static_cast<std::int64_t>(r_.le(8));
          continue;
        case op_freq:
          doing_ = "read-freq";
          freq = r_.byte();
          continue;
        case op_idle: {
          doing_ = "read-idle";
          std::uint64_t n = r_.len();
          idle = n > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(n);
          continue;
        }
        case op_eof: break;
        case op_selectdb: {
          doing_ = "read-len";
          std::uint64_t n = r_.len();
          sink.select_db(n, at, r_.pos());
          db = static_cast<int>(n);
          continue;
        }
        case op_resizedb:
          doing_ = "read-len";
          r_.len();
          r_.len();
          continue;
        case op_aux: {
          doing_ = "read-aux";
          type_ = t_string;
          std::string k = r_.owned_str();
          std::string v = r_.owned_str();
          if (k == "redis-ver") res.redis_ver = v;
          if (k == "used-mem" && lim_.progress) {
            if (auto m = util::parse_int64(v); m && *m >= 0) lim_.progress->rdb_used_mem.store(static_cast<std::uint64_t>(*m));
          }
          sink.aux(r_.pos(), k, v);
          continue;
        }
        case op_module_aux:
          doing_ = "read-module-aux";
          throw load_error{at, "module auxiliary data is not supported (no modules in kvd)"};
        case op_function:
        case op_function2:
          doing_ = "read-functions";
          throw load_error{at, "the file holds Redis functions (FUNCTION LOAD), which kvd does not support"};
        default: {
          type_ = t;
          doing_ = "read-key";
          std::string key = r_.owned_str();
          doing_ = "read-object-value";
          store::value v = dec_.load_value(t, at);
          if (idle >= 0 || freq >= 0) sink.access(idle, freq);
          sink.key(db, std::move(key), std::move(v), expire);
          expire = idle = freq = -1;
          continue;
        }
      }
      break;  // EOF
    }
    type_ = -1;
    if (ver >= 5) {
      doing_ = "check-sum";
      std::size_t at = r_.pos();
      std::uint64_t stored = r_.le(8);
      crc_stored_ = stored;
      if (stored != 0 && lim_.verify_checksum) {
        std::uint64_t calc = crc64(0, data_.data(), at);
        if (calc != stored) throw load_error{at, "wrong RDB checksum"};
      }
    }
    if (lim_.progress) lim_.progress->loaded_bytes.store(r_.pos(), std::memory_order_relaxed);
    res.consumed = r_.pos();
    return res;
  }

  /// What the loader was doing when it stopped (Redis's rdbCheckState names).
  [[nodiscard]] const char* doing() const noexcept { return doing_; }
  /// The record type being read when it stopped, -1 when none.
  [[nodiscard]] int type() const noexcept { return type_; }
  /// The stored CRC64 (0: written with rdbchecksum no), valid after run().
  [[nodiscard]] std::uint64_t stored_crc() const noexcept { return crc_stored_; }
  [[nodiscard]] std::size_t pos() const noexcept { return r_.pos(); }

 private:
  reader r_;
  object_decoder dec_;
  const rdb_load_limits& lim_;
  std::string_view data_;
  const char* doing_ = "start";
  int type_ = -1;
  std::uint64_t crc_stored_ = 0;
};

/// rdb_load's sink: stores live keys in the keyspace, taking each key's shard lock.
class keyspace_sink : public record_sink {
 public:
  keyspace_sink(store::keyspace& ks, rdb_load_result& res) : ks_(ks), res_(res), now_(util::now_ms()) {}
  void select_db(std::uint64_t n, std::size_t at, std::size_t) override {
    if (n >= static_cast<std::uint64_t>(ks_.databases()))
      throw load_error{at, "DB index " + std::to_string(n) + " is out of range (databases " + std::to_string(ks_.databases()) + ")"};
  }
  void access(std::int64_t idle_s, std::int64_t freq) override {
    idle_ = idle_s;
    freq_ = freq;
  }
  void key(int db, std::string&& key, store::value&& v, std::int64_t expire) override {
    std::int64_t idle = idle_, freq = freq_;
    idle_ = freq_ = -1;
    if (expire >= 0 && expire < now_) {
      ++res_.expired;
      return;
    }
    auto& d = ks_.db(db);
    auto h = util::hash_bytes(key);
    std::lock_guard lk(d.shard_at(store::database::shard_index(h)).mu);
    store::value& stored = d.set(key, std::move(v));
    if (expire >= 0) d.set_expire(key, expire);
    // Redis objectSetLRUOrLFU: FREQ under an LFU policy, else IDLE, sets the access data.
    if (ks_.lfu()) {
      if (freq >= 0) stored.set_lru(store::lfu_from_freq(static_cast<std::uint32_t>(freq), util::now_ms()));
    } else if (idle >= 0) {
      stored.set_lru(store::lru_from_idle(idle, util::now_ms()));
    }
    ++res_.keys;
  }

 private:
  store::keyspace& ks_;
  rdb_load_result& res_;
  std::int64_t now_;
  std::int64_t idle_ = -1, freq_ = -1;
};

}  // namespace

std::uint64_t crc64(std::uint64_t crc, const void* data, std::size_t len) noexcept {
  auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < len; ++i) crc = crc_tab.t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

bool rdb_write_fd(store::keyspace& ks, int fd, const rdb_save_options& opt, std::string& error) {
  out_file o(fd, opt.checksum);
  char magic[16];
  std::snprintf(magic, sizeof magic, "REDIS%04d", rdb_version);
  o.put(magic, 9);
  write_aux(o, "redis-ver", "7.0.15");
  write_aux(o, "redis-bits", sizeof(void*) == 8 ? "64" : "32");
  write_aux(o, "ctime", std::to_string(util::now_ms() / 1000));
  write_aux(o, "used-mem", std::to_string(opt.used_memory));
  write_aux(o, "aof-base", opt.aof_base ? "1" : "0");
  // Redis rdbSaveKeyValuePair: IDLE (seconds) under an LRU policy, FREQ under an LFU one.
  int policy = ks.maxmemory_policy();
  bool save_lru = policy & config::policy_flag_lru, save_lfu = policy & config::policy_flag_lfu;
  int decay = ks.lfu_decay_time();
  std::int64_t now = util::now_ms();
  for (int i = 0; i < ks.databases(); ++i) {
    auto& db = ks.db(i);
    std::size_t keys = 0, expires = 0;
    for (unsigned s = 0; s < store::database::shard_count; ++s) {
      keys += db.shard_at(s).data.size();
      expires += db.shard_at(s).expires.size();
    }
    if (keys == 0) continue;
    o.byte(op_selectdb);
    o.len(static_cast<std::uint64_t>(i));
    o.byte(op_resizedb);
    o.len(keys);
    o.len(expires);
    for (unsigned s = 0; s < store::database::shard_count; ++s) {
      auto& sh = db.shard_at(s);
      sh.data.for_each([&](const auto& n) {
        if (n.val.has_expire()) {
          if (auto* e = sh.expires.find(n.key.view())) {
            o.byte(op_expiretime_ms);
            o.u64le(static_cast<std::uint64_t>(e->val));
          }
        }
        if (save_lru) {
          o.byte(op_idle);
          o.len(store::lru_idle_ms(n.val.lru(), now) / 1000);
        }
        if (save_lfu) {
          o.byte(op_freq);
          o.byte(static_cast<std::uint8_t>(store::lfu_decr_and_return(n.val.lru(), decay, now)));
        }
        write_value(o, n.key.view(), n.val, opt.compression);
      });
    }
  }
  o.byte(op_eof);
  std::uint64_t crc = opt.checksum ? o.crc() : 0;
  o.u64le(crc);
  if (!o.flush()) {
    error = errno_text(o.err());
    return false;
  }
  return true;
}

bool rdb_save(store::keyspace& ks, const std::string& path, const rdb_save_options& opt, std::string& error) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string tmp = dir + "/temp-" + std::to_string(::getpid()) + ".rdb";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot create " + tmp + ": " + errno_text(errno);
    return false;
  }
  std::string werr;
  bool ok = rdb_write_fd(ks, fd, opt, werr);
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    werr = errno_text(errno);
  }
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    error = "cannot write " + tmp + ": " + werr;
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + " to " + path + ": " + errno_text(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

rdb_load_result rdb_load_buffer(store::keyspace& ks, std::string_view data, const std::string& name,
                                const rdb_load_limits& lim) {
  rdb_load_result res;
  loader l(data, lim);
  keyspace_sink sink(ks, res);
  try {
    auto r = l.run(sink);
    res.version = r.version;
    res.redis_ver = std::move(r.redis_ver);
    res.consumed = r.consumed;  // AOF records may follow an RDB preamble
    return res;
  } catch (const load_error& e) {
    res.ok = false;
    res.error = "Bad RDB file " + name + " at offset " + std::to_string(e.offset) + ": " + e.what +
                ". Check the file with 'kvd-check-rdb " + name + "' (or redis-check-rdb); restore a good copy or move it away to start empty.";
    return res;
  } catch (const std::bad_alloc&) {
    res.ok = false;
    res.error = "Out of memory loading RDB file " + name;
    return res;
  }
}

namespace {

/// A read-only mapping of a whole file (empty view for an empty file).
struct mapped_file {
  void* addr = nullptr;
  std::size_t size = 0;
  int err = 0;       ///< errno of the failed step, 0 when mapped
  const char* step = "";
  explicit mapped_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
      step = "open";
      return;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      err = errno;
      step = "stat";
      ::close(fd);
      return;
    }
    size = static_cast<std::size_t>(st.st_size);
    if (size > 0) {
      void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m == MAP_FAILED) {
        err = errno;
        step = "map";
        size = 0;
      } else {
        addr = m;
        ::madvise(m, size, MADV_SEQUENTIAL);
      }
    }
    ::close(fd);
  }
  ~mapped_file() {
    if (addr) ::munmap(addr, size);
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  [[nodiscard]] std::string_view view() const noexcept { return {static_cast<const char*>(addr), size}; }
};

}  // namespace

rdb_load_result rdb_load(store::keyspace& ks, const std::string& path, const rdb_load_limits& lim) {
  rdb_load_result res;
  mapped_file f(path);
  if (f.err) {
    res.ok = f.err == ENOENT;
    res.missing = f.err == ENOENT;
    if (!res.ok) res.error = std::string("cannot ") + f.step + " RDB file " + path + ": " + errno_text(f.err);
    return res;
  }
  if (lim.progress) {
    lim.progress->total_bytes.store(f.size, std::memory_order_relaxed);
    lim.progress->loaded_bytes.store(0, std::memory_order_relaxed);
  }
  return rdb_load_buffer(ks, f.view(), path, lim);
}

// ---------------------------------------------------------------- DUMP / RESTORE

std::string dump_payload(const store::value& v, bool compression) {
  std::string out;
  out_file o(out, true);
  o.byte(object_type(v));
  write_object(o, v, compression);
  unsigned char ver[2] = {static_cast<unsigned char>(rdb_version & 0xff), static_cast<unsigned char>(rdb_version >> 8)};
  o.put(ver, 2);
  o.u64le(o.crc());  // the CRC of everything before it: taken before these 8 bytes are put
  o.flush();
  return out;
}

payload_status check_payload(std::string_view p) noexcept {
  if (p.size() < 10) return payload_status::bad_version_or_checksum;
  auto u = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])); };
  std::size_t f = p.size() - 10;
  std::uint64_t ver = u(f) | (u(f + 1) << 8);
  if (ver > static_cast<std::uint64_t>(rdb_version)) return payload_status::bad_version_or_checksum;
  std::uint64_t stored = 0;
  for (int i = 7; i >= 0; --i) stored = (stored << 8) | u(f + 2 + static_cast<std::size_t>(i));
  if (crc64(0, p.data(), p.size() - 8) != stored) return payload_status::bad_version_or_checksum;
  return payload_status::ok;
}

payload_status restore_payload(std::string_view p, const rdb_load_limits& lim, store::value& out) {
  if (auto st = check_payload(p); st != payload_status::ok) return st;
  // Redis reads the object from the whole payload: a value may run into the footer.
  reader r(p);
  object_decoder dec(r, lim);
  try {
    std::uint8_t t = r.byte();
    if (!object_decoder::is_object_type(t)) return payload_status::bad_format;
    out = dec.load_value(t, 0);
    return payload_status::ok;
  } catch (const load_error&) {
    return payload_status::bad_format;
  } catch (const std::bad_alloc&) {
    return payload_status::bad_format;
  }
}

// ---------------------------------------------------------------- kvd-check-rdb

std::string_view rdb_type_name(int t) noexcept {
  // Redis 7.0 redis-check-rdb.c rdb_type_string.
  static constexpr std::string_view names[] = {
      "string",     "list-linked",  "set-hashtable", "zset-v1",      "hash-hashtable", "zset-v2",      "module-pre-release",
      "module-value", "",           "hash-zipmap",   "list-ziplist", "set-intset",     "zset-ziplist", "hash-ziplist",
      "quicklist",  "stream",       "hash-listpack", "zset-listpack", "quicklist-v2",  "stream-v2",    "set-listpack",
      "stream-v3"};
  if (t < 0 || static_cast<std::size_t>(t) >= std::size(names)) return "unknown";
  return names[t];
}

namespace {

/// rdb_check's sink: counts keys, expires and already-expired keys, reports aux and SELECTDB.
class check_sink : public record_sink {
 public:
  check_sink(rdb_check_report& rep, const std::function<void(std::size_t, const std::string&)>& note)
      : rep_(rep), note_(note), now_(util::now_ms()) {}
  void aux(std::size_t end, std::string_view k, std::string_view v) override {
    if (note_) note_(end, "AUX FIELD " + std::string(k) + " = '" + std::string(v) + "'");
  }
  void select_db(std::uint64_t n, std::size_t, std::size_t end) override {
    if (n > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) throw load_error{end, "DB index " + std::to_string(n) + " is out of range"};
    if (note_) note_(end, "Selecting DB ID " + std::to_string(n));
  }
  void key(int, std::string&&, store::value&&, std::int64_t expire) override {
    ++rep_.keys;
    if (expire >= 0) {
      ++rep_.expires;
      if (expire < now_) ++rep_.already_expired;
    }
  }

 private:
  rdb_check_report& rep_;
  const std::function<void(std::size_t, const std::string&)>& note_;
  std::int64_t now_;
};

}  // namespace

rdb_check_report rdb_check_buffer(std::string_view data, const std::function<void(std::size_t, const std::string&)>& note) {
  rdb_check_report rep;
  rep.size = data.size();
  rdb_load_limits lim;  // default encoding limits: the values are built and dropped
  loader l(data, lim);
  check_sink sink(rep, note);
  try {
    auto r = l.run(sink);
    rep.version = r.version;
    rep.checksum = l.stored_crc() != 0;
    rep.end = l.pos();
  } catch (const load_error& e) {
    rep.ok = false;
    rep.error_offset = e.offset;
    rep.error = e.what;
    rep.doing = l.doing();
    rep.type = l.type();
  } catch (const std::bad_alloc&) {
    rep.ok = false;
    rep.error_offset = l.pos();
    rep.error = "out of memory";
    rep.doing = l.doing();
    rep.type = l.type();
  }
  return rep;
}

rdb_check_report rdb_check_file(const std::string& path, const std::function<void(std::size_t, const std::string&)>& note) {
  mapped_file f(path);
  if (f.err) {
    rdb_check_report rep;
    rep.ok = false;
    rep.doing = "start";
    rep.error = std::string("Cannot ") + f.step + " RDB file '" + path + "': " + errno_text(f.err);
    return rep;
  }
  return rdb_check_buffer(f.view(), note);
}

}  // namespace kvd::persist
