#include "kvd/store/set.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <random>

#include "kvd/util/hash.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::store {

namespace {

/// The width Redis's _intsetValueEncoding picks for `v`.
std::uint8_t width_for(std::int64_t v) noexcept {
  if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max()) return 8;
  if (v < std::numeric_limits<std::int16_t>::min() || v > std::numeric_limits<std::int16_t>::max()) return 4;
  return 2;
}

std::int64_t read_at(const char* data, unsigned width, std::size_t i) noexcept {
  const char* p = data + i * width;
  switch (width) {
    case 2: {
      std::int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      std::int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      std::int64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

std::mt19937_64& rng() {
  thread_local std::mt19937_64 r{std::random_device{}()};
  return r;
}

/// Heap bytes small_string uses for a member of `n` bytes (exact allocation above 23).
std::size_t member_heap_bytes(std::size_t n) noexcept { return n > util::small_string::inline_capacity ? n : 0; }

}  // namespace

// ---- intset ----

intset::intset(const intset& o) : len_(0), width_(o.width_) {
  if (o.len_) {
    data_ = static_cast<char*>(std::malloc(o.data_bytes()));
    if (!data_) throw std::bad_alloc();
    std::memcpy(data_, o.data_, o.data_bytes());
    len_ = o.len_;
  }
}

intset::intset(intset&& o) noexcept : data_(o.data_), len_(o.len_), width_(o.width_) {
  o.data_ = nullptr;
  o.len_ = 0;
  o.width_ = 2;
}

intset& intset::operator=(intset&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = o.data_;
    len_ = o.len_;
    width_ = o.width_;
    o.data_ = nullptr;
    o.len_ = 0;
    o.width_ = 2;
  }
  return *this;
}

intset::~intset() { std::free(data_); }

std::int64_t intset::at(std::size_t i) const noexcept { return read_at(data_, width_, i); }

void intset::put(std::size_t i, std::int64_t v) noexcept {
  char* p = data_ + i * width_;
  switch (width_) {
    case 2: {
      auto x = static_cast<std::int16_t>(v);
      std::memcpy(p, &x, 2);
      break;
    }
    case 4: {
      auto x = static_cast<std::int32_t>(v);
      std::memcpy(p, &x, 4);
      break;
    }
    default:
      std::memcpy(p, &v, 8);
  }
}

void intset::resize(std::size_t n) {
  if (n == 0) {
    std::free(data_);
    data_ = nullptr;
    return;
  }
  auto* p = static_cast<char*>(std::realloc(data_, n * width_));
  if (!p) throw std::bad_alloc();
  data_ = p;
}

bool intset::search(std::int64_t v, std::size_t& pos) const noexcept {
  if (len_ == 0) {
    pos = 0;
    return false;
  }
  // Fast paths for appends and prepends, as Redis's intsetSearch.
  if (v > at(len_ - 1)) {
    pos = len_;
    return false;
  }
  if (v < at(0)) {
    pos = 0;
    return false;
  }
  std::size_t lo = 0, hi = len_;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    std::int64_t cur = at(mid);
    if (cur == v) {
      pos = mid;
      return true;
    }
    if (cur < v) lo = mid + 1;
    else hi = mid;
  }
  pos = lo;
  return false;
}

bool intset::contains(std::int64_t v) const noexcept {
  std::size_t pos;
  return width_for(v) <= width_ && search(v, pos);
}

bool intset::insert(std::int64_t v) {
  std::uint8_t w = width_for(v);
  if (w > width_) {
    // Upgrade (Redis intsetUpgradeAndAdd): a wider value is below or above every member.
    std::uint8_t old = width_;
    std::size_t n = len_;
    auto* p = static_cast<char*>(std::malloc((n + 1) * w));
    if (!p) throw std::bad_alloc();
    char* old_data = data_;
    data_ = p;
    width_ = w;
    bool front = v < 0;
    for (std::size_t i = 0; i < n; ++i) put(i + (front ? 1 : 0), read_at(old_data, old, i));
    put(front ? 0 : n, v);
    std::free(old_data);
    ++len_;
    return true;
  }
  std::size_t pos;
  if (search(v, pos)) return false;
  resize(len_ + 1);
  std::memmove(data_ + (pos + 1) * width_, data_ + pos * width_, (len_ - pos) * width_);
  put(pos, v);
  ++len_;
  return true;
}

bool intset::erase(std::int64_t v) noexcept {
  std::size_t pos;
  if (width_for(v) > width_ || !search(v, pos)) return false;
  std::memmove(data_ + pos * width_, data_ + (pos + 1) * width_, (len_ - pos - 1) * width_);
  --len_;
  try {
    resize(len_);
  } catch (const std::bad_alloc&) {
    // Shrinking in place failed; the larger block stays correct.
  }
  return true;
}

// ---- set_object ----

std::unique_ptr<set_object> set_object::create_for(std::string_view first) {
  return std::make_unique<set_object>(util::parse_int64(first) ? kind::intset : kind::hashtable);
}

set_object::set_object(kind k) {
  if (k == kind::hashtable) rep_.emplace<table>();
}

std::string_view set_object::encoding() const noexcept { return is_intset() ? "intset" : "hashtable"; }

std::size_t set_object::length() const noexcept {
  if (auto* is = std::get_if<intset>(&rep_)) return is->size();
  return std::get<table>(rep_).size();
}

std::size_t set_object::memory_usage() const noexcept {
  static_assert(sizeof(table::node) == 32, "a set node is next + inline member, no value");
  std::size_t n = sizeof(*this);
  if (auto* is = std::get_if<intset>(&rep_)) return n + is->data_bytes();
  const auto& t = std::get<table>(rep_);
  return n + t.bucket_bytes() + t.size() * sizeof(table::node) + long_bytes_;
}

std::unique_ptr<collection> set_object::clone() const {
  auto out = std::make_unique<set_object>(enc());
  if (auto* is = std::get_if<intset>(&rep_)) {
    out->rep_.emplace<intset>(*is);
  } else {
    auto& dst = std::get<table>(out->rep_);
    std::get<table>(rep_).for_each([&](const auto& n) {
      auto k = n.key.view();
      dst.insert_new(k, util::hash_bytes(k), none{});
    });
    out->long_bytes_ = long_bytes_;
  }
  return out;
}

void set_object::convert_to_hashtable() {
  auto* is = std::get_if<intset>(&rep_);
  if (!is) return;
  table t;
  for (std::size_t i = 0, n = is->size(); i < n; ++i) {
    auto m = set_member::of_int(is->at(i));
    t.insert_new(m.view(), util::hash_bytes(m.view()), none{});
  }
  rep_.emplace<table>(std::move(t));
  long_bytes_ = 0;  // decimal int64 texts are at most 20 bytes: all inline
  max_chain_stale_ = true;
}

bool set_object::add(std::string_view m, std::size_t max_intset_entries) {
  if (auto* is = std::get_if<intset>(&rep_)) {
    if (auto v = util::parse_int64(m)) {
      if (!is->insert(*v)) return false;
      std::size_t limit = max_intset_entries < (std::size_t{1} << 30) ? max_intset_entries : std::size_t{1} << 30;
      if (is->size() > limit) convert_to_hashtable();
      return true;
    }
    convert_to_hashtable();
  }
  auto& t = std::get<table>(rep_);
  std::uint64_t h = util::hash_bytes(m);
  if (t.find(m, h)) return false;
  std::size_t buckets = t.bucket_count();
  t.insert_new(m, h, none{});
  long_bytes_ += member_heap_bytes(m.size());
  if (t.bucket_count() != buckets) {
    max_chain_stale_ = true;
  } else if (!max_chain_stale_) {
    std::uint32_t len = 0;
    t.scan(h, [&](const auto&) { ++len; });
    if (len > max_chain_) max_chain_ = len;
  }
  return true;
}

bool set_object::remove(std::string_view m) noexcept {
  if (auto* is = std::get_if<intset>(&rep_)) {
    auto v = util::parse_int64(m);
    return v && is->erase(*v);
  }
  auto& t = std::get<table>(rep_);
  std::size_t buckets = t.bucket_count();
  if (!t.erase(m)) return false;
  long_bytes_ -= member_heap_bytes(m.size());
  if (t.bucket_count() != buckets) max_chain_stale_ = true;
  return true;
}

bool set_object::contains(std::string_view m) const noexcept {
  if (auto* is = std::get_if<intset>(&rep_)) {
    auto v = util::parse_int64(m);
    return v && is->contains(*v);
  }
  return std::get<table>(rep_).find(m) != nullptr;
}

bool set_object::contains(const set_member& m) const noexcept {
  if (m.is_int())
    if (auto* is = std::get_if<intset>(&rep_)) return is->contains(m.int_value());
  return contains(m.view());
}

void set_object::recompute_max_chain() const noexcept {
  const auto& t = std::get<table>(rep_);
  std::uint32_t best = 0;
  for (std::size_t b = 0, n = t.bucket_count(); b < n; ++b) {
    std::uint32_t len = 0;
    t.scan(b, [&](const auto&) { ++len; });
    if (len > best) best = len;
  }
  max_chain_ = best;
  max_chain_stale_ = false;
}

set_member set_object::random_member() const {
  if (auto* is = std::get_if<intset>(&rep_)) {
    std::uniform_int_distribution<std::size_t> pick(0, is->size() - 1);
    return set_member::of_int(is->at(pick(rng())));
  }
  const auto& t = std::get<table>(rep_);
  if (max_chain_stale_) recompute_max_chain();
  // Every (bucket, position < max_chain_) pair is equally likely; pairs past the end of
  // their chain are rejected, so every member is picked with probability 1/size.
  std::uniform_int_distribution<std::size_t> bucket(0, t.bucket_count() - 1);
  std::uniform_int_distribution<std::uint32_t> slot(0, max_chain_ - 1);
  for (;;) {
    std::size_t b = bucket(rng());
    std::uint32_t k = slot(rng());
    const table::node* hit = nullptr;
    std::uint32_t i = 0;
    t.scan(b, [&](const auto& n) {
      if (i++ == k) hit = &n;
    });
    if (hit) return set_member::of_str(hit->key.view());
  }
}

void set_object::swap(set_object& o) noexcept {
  std::swap(rep_, o.rep_);
  std::swap(long_bytes_, o.long_bytes_);
  std::swap(max_chain_, o.max_chain_);
  std::swap(max_chain_stale_, o.max_chain_stale_);
}

}  // namespace kvd::store
