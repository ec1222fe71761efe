// A keyspace value: a tagged union of an inline/heap byte string (the "string" type), a
// pointer to a collection object (list, set, hash, zset; their own issues add them), or a
// bare listpack (a small collection in its listpack encoding with no object around it, as
// Redis's robj->ptr points straight at the listpack), plus the per-key metadata Redis keeps
// in robj: the LRU/LFU field (store/lru.hpp) and encoding hints.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "kvd/store/listpack.hpp"
#include "kvd/util/small_string.hpp"

namespace kvd::store {

/// Redis's key types, as TYPE reports them.
enum class value_type : std::uint8_t { string, list, set, hash, zset };

/// Returns the TYPE name ("string", "list", "set", "hash", "zset").
std::string_view type_name(value_type t) noexcept;

/// Base of the collection types stored by pointer. Each collection reports its encoding
/// name for OBJECT ENCODING and its heap bytes for memory accounting.
class collection {
 public:
  virtual ~collection() = default;
  /// Redis's OBJECT ENCODING name: "listpack", "quicklist", "intset", "hashtable", "skiplist".
  [[nodiscard]] virtual std::string_view encoding() const noexcept = 0;
  /// Approximate heap bytes held by the collection (for MEMORY USAGE and INFO).
  [[nodiscard]] virtual std::size_t memory_usage() const noexcept = 0;
  /// Deep copy (COPY command).
  [[nodiscard]] virtual std::unique_ptr<collection> clone() const = 0;
  /// Number of elements; an emptied collection deletes its key.
  [[nodiscard]] virtual std::size_t length() const noexcept = 0;
};

/// One keyspace value, 32 bytes. Move-only. Strings up to 23 bytes are stored inline.
class value {
 public:
  /// Makes a string value holding a copy of `s`.
  static value make_string(std::string_view s) { return value(s); }
  /// Makes a collection value of type `t`, taking ownership of `obj` (non-null).
  static value make_collection(value_type t, std::unique_ptr<collection> obj) {
    value v;
    v.str_.~small_string();
    v.obj_ = obj.release();
    v.type_ = t;
    return v;
  }

  /// Makes a collection value of type `t` held as the bare listpack `lp` (no collection
  /// object: a small hash costs its listpack bytes only). encoding() says "listpack";
  /// obj() must not be called on it: check has_listpack() first.
  static value make_listpack(value_type t, listpack lp) noexcept {
    value v;
    v.str_.~small_string();
    new (&v.lp_) listpack(std::move(lp));
    v.type_ = t;
    v.flags_ = listpack_flag;
    return v;
  }

  value() noexcept : str_() {}
  value(value&& o) noexcept : type_(o.type_), flags_(o.flags_), lru_(o.lru_) {
    if (o.type_ == value_type::string) new (&str_) util::small_string(std::move(o.str_));
    else if (o.flags_ & listpack_flag) {
      new (&lp_) listpack(std::move(o.lp_));
      o.lp_.~listpack();
      o.type_ = value_type::string;
      o.flags_ &= ~listpack_flag;
      new (&o.str_) util::small_string();
    } else {
      obj_ = o.obj_;
      o.obj_ = nullptr;
      o.type_ = value_type::string;
      new (&o.str_) util::small_string();
    }
  }
  value& operator=(value&& o) noexcept {
    if (this != &o) {
      this->~value();
      new (this) value(std::move(o));
    }
    return *this;
  }
  value(const value&) = delete;
  value& operator=(const value&) = delete;
  ~value() {
    if (type_ == value_type::string) str_.~small_string();
    else release_collection();
  }

  /// Deep copy (COPY, and snapshots of collections).
  [[nodiscard]] value clone() const {
    value v = type_ == value_type::string ? value(str_.view())
              : (flags_ & listpack_flag) ? make_listpack(type_, lp_.clone())
                                         : make_collection(type_, obj_->clone());
    v.flags_ |= flags_ & (raw_flag | no_int_flag);
    return v;
  }

  [[nodiscard]] value_type type() const noexcept { return type_; }
  [[nodiscard]] bool is_string() const noexcept { return type_ == value_type::string; }

  /// The string bytes. Precondition: is_string().
  [[nodiscard]] std::string_view str() const noexcept { return str_.view(); }
  /// Mutable string (APPEND, SETRANGE, SETBIT). Marks the value "raw" as Redis does.
  util::small_string& mutable_str() noexcept {
    flags_ |= raw_flag;
    return str_;
  }
  /// Replaces the value with the string `s`, keeping metadata (expire flag, LRU).
  void set_string(std::string_view s) {
    if (type_ != value_type::string) {
      util::small_string fresh(s);  // may throw: build it before giving up the collection
      release_collection();
      new (&str_) util::small_string(std::move(fresh));
      type_ = value_type::string;
    } else {
      str_.assign(s);
    }
    flags_ &= ~(raw_flag | no_int_flag | listpack_flag);
  }

  /// Marks a string that Redis would not int-encode even when it looks like an integer
  /// (INCRBYFLOAT stores its result as embstr). Cleared by set_string().
  void mark_not_int() noexcept { flags_ |= no_int_flag; }

  /// The collection object. Precondition: !is_string() && !has_listpack().
  [[nodiscard]] collection* obj() const noexcept { return obj_; }

  /// True for a collection held as a bare listpack (make_listpack).
  [[nodiscard]] bool has_listpack() const noexcept {
    return type_ != value_type::string && (flags_ & listpack_flag) != 0;
  }
  /// The bare listpack. Precondition: has_listpack().
  [[nodiscard]] listpack& lp() noexcept { return lp_; }
  [[nodiscard]] const listpack& lp() const noexcept { return lp_; }

  /// Replaces a collection's representation (bare listpack or object) by the object `obj`,
  /// keeping type and metadata (expire flag, LRU): encoding conversions such as listpack ->
  /// hashtable. Precondition: !is_string().
  void set_collection(std::unique_ptr<collection> obj) noexcept {
    release_collection();
    obj_ = obj.release();
    flags_ &= ~listpack_flag;
  }

  /// OBJECT ENCODING name (Redis 7.0: int, embstr, raw, or the collection's).
  [[nodiscard]] std::string_view encoding() const noexcept;

  /// Heap bytes beyond the 32 bytes of this struct.
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    if (type_ == value_type::string) return str_.heap_bytes();
    return (flags_ & listpack_flag) ? lp_.bytes() : obj_->memory_usage();
  }

  [[nodiscard]] bool has_expire() const noexcept { return flags_ & expire_flag; }
  void set_has_expire(bool on) noexcept {
    flags_ = on ? (flags_ | expire_flag) : (flags_ & ~expire_flag);
  }

  /// Redis robj->lru (24 bits used): the LRU clock of the last access (seconds mod 2^24) or,
  /// under an LFU policy, minute << 8 | log counter; store/lru.hpp reads and writes it. For
  /// OBJECT IDLETIME / FREQ and eviction.
  [[nodiscard]] std::uint32_t lru() const noexcept { return lru_; }
  void set_lru(std::uint32_t s) noexcept { lru_ = s; }

 private:
  explicit value(std::string_view s) : str_(s) {}

  /// Frees the collection (object or bare listpack). Precondition: !is_string(); the union
  /// is left without an active member.
  void release_collection() noexcept {
    if (flags_ & listpack_flag) lp_.~listpack();
    else delete obj_;
  }

  static constexpr std::uint8_t expire_flag = 1;
  static constexpr std::uint8_t raw_flag = 2;
  static constexpr std::uint8_t no_int_flag = 4;
  static constexpr std::uint8_t listpack_flag = 8;  ///< collection held as a bare listpack

  union {
    util::small_string str_;
    collection* obj_;
    listpack lp_;
  };
  value_type type_ = value_type::string;
  std::uint8_t flags_ = 0;
  std::uint32_t lru_ = 0;
};

static_assert(sizeof(value) == 32);

}  // namespace kvd::store
