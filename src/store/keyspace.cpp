#include "kvd/store/keyspace.hpp"

#include <algorithm>

#include "kvd/config/config.hpp"
#include "kvd/store/lru.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::store {

std::string_view type_name(value_type t) noexcept {
  switch (t) {
    case value_type::string: return "string";
    case value_type::list: return "list";
    case value_type::set: return "set";
    case value_type::hash: return "hash";
    case value_type::zset: return "zset";
  }
  return "none";
}

std::string_view value::encoding() const noexcept {
  if (type_ != value_type::string) return (flags_ & listpack_flag) ? "listpack" : obj_->encoding();
  // Redis 7.0 (object.c tryObjectEncoding): integers that fit a long are "int", strings up
  // to 44 bytes are "embstr", others (and strings modified in place) are "raw".
  // APPEND/SETRANGE leave Redis's value "raw" even when it looks like an integer.
  auto s = str_.view();
  if (flags_ & raw_flag) return "raw";
  if (!(flags_ & no_int_flag) && s.size() <= 20 && util::parse_int64(s)) return "int";
  return s.size() <= 44 ? "embstr" : "raw";
}

namespace {
thread_local std::mt19937_64 rng{std::random_device{}()};
/// Locks a shard for the methods documented "Locks", unless this thread already holds every
/// shard lock (an EXEC that needs them all; keyspace::thread_holds_all).
class shard_guard {
 public:
  explicit shard_guard(std::mutex& m) : m_(keyspace::thread_holds_all() ? nullptr : &m) {
    if (m_) m_->lock();
  }
  ~shard_guard() {
    if (m_) m_->unlock();
  }
  shard_guard(const shard_guard&) = delete;
  shard_guard& operator=(const shard_guard&) = delete;

 private:
  std::mutex* m_;
};
}  // namespace

bool keyspace::lfu() const noexcept {
  return cfg_ && (cfg_->maxmemory_policy_code.load(std::memory_order_relaxed) & config::policy_flag_lfu);
}

int keyspace::maxmemory_policy() const noexcept {
  return cfg_ ? cfg_->maxmemory_policy_code.load(std::memory_order_relaxed) : config::policy_noeviction;
}

int keyspace::lfu_decay_time() const noexcept {
  return cfg_ ? cfg_->lfu_decay_time.load(std::memory_order_relaxed) : 1;
}

std::uint32_t keyspace::fresh_lru() const noexcept { return store::fresh_lru(lfu(), util::now_ms()); }

void keyspace::touch_value(value& v) const noexcept {
  std::int64_t now = util::now_ms();
  if (!lfu()) return v.set_lru(lru_clock(now));
  double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  v.set_lru(lfu_touch(v.lru(), cfg_->lfu_log_factor.load(std::memory_order_relaxed),
                      cfg_->lfu_decay_time.load(std::memory_order_relaxed), now, r));
}

database::database(keyspace& ks, int index) : ks_(ks), index_(index) {
  shards_.reserve(shard_count);
  for (unsigned i = 0; i < shard_count; ++i) shards_.push_back(std::make_unique<shard>());
}

value* database::touch(value* v) noexcept {
  if (v) ks_.touch_value(*v);
  return v;
}

bool database::expire_if_needed(shard& s, std::string_view key, std::uint64_t h, const value& v) {
  if (!v.has_expire()) return false;
  auto* e = s.expires.find(key, h);
  if (!e || e->val > util::now_ms()) return false;
  ks_.notify_expired(index_, key);
  s.expires.erase(key, h);
  s.data.erase(key, h);
  return true;
}

value* database::find(std::string_view key) {
  auto h = util::hash_bytes(key);
  auto& s = *shards_[shard_index(h)];
  auto* n = s.data.find(key, h);
  if (!n) return nullptr;
  if (expire_if_needed(s, key, h, n->val)) return nullptr;
  return &n->val;
}

value* database::lookup_read(std::string_view key) {
  value* v = find(key);
  (v ? ks_.stats_.keyspace_hits : ks_.stats_.keyspace_misses).fetch_add(1, std::memory_order_relaxed);
  if (!v) ks_.notify_key(key_event::missed, index_, key);
  return touch(v);
}

value& database::set(std::string_view key, value v, bool keep_ttl) {
  auto h = util::hash_bytes(key);
  auto& s = *shards_[shard_index(h)];
  v.set_lru(ks_.fresh_lru());
  if (auto* n = s.data.find(key, h)) {
    if (ks_.lfu()) v.set_lru(n->val.lru());  // Redis dbOverwrite keeps the LFU counter
    bool had_expire = n->val.has_expire();
    if (had_expire && !keep_ttl) {
      s.expires.erase(key, h);
      had_expire = false;
    }
    v.set_has_expire(had_expire);
    n->val = std::move(v);
    return n->val;
  }
  v.set_has_expire(false);
  auto& stored = s.data.insert_new(key, h, std::move(v))->val;
  ks_.notify_key(key_event::created, index_, key);
  return stored;
}

value& database::add(std::string_view key, value v) {
  auto h = util::hash_bytes(key);
  v.set_lru(ks_.fresh_lru());
  v.set_has_expire(false);
  auto& stored = shards_[shard_index(h)]->data.insert_new(key, h, std::move(v))->val;
  ks_.notify_key(key_event::created, index_, key);
  return stored;
}

bool database::del(std::string_view key) {
  auto h = util::hash_bytes(key);
  auto& s = *shards_[shard_index(h)];
  auto* n = s.data.find(key, h);
  if (!n) return false;
  if (expire_if_needed(s, key, h, n->val)) return false;
  if (n->val.has_expire()) s.expires.erase(key, h);
  s.data.erase(key, h);
  return true;
}

std::int64_t database::expire_of(std::string_view key) const {
  auto h = util::hash_bytes(key);
  auto& s = *shards_[shard_index(h)];
  auto* e = s.expires.find(key, h);
  return e ? e->val : -1;
}

void database::set_expire(std::string_view key, std::int64_t when_ms) {
  auto h = util::hash_bytes(key);
  auto& s = *shards_[shard_index(h)];
  auto* n = s.data.find(key, h);
  if (!n) return;
  if (auto* e = s.expires.find(key, h)) e->val = when_ms;
  else s.expires.insert_new(key, h, when_ms);
  n->val.set_has_expire(true);
}

bool database::persist(std::string_view key) {
  auto h = util::hash_bytes(key);
  auto& s = *shards_[shard_index(h)];
  auto* n = s.data.find(key, h);
  if (!n || !n->val.has_expire()) return false;
  s.expires.erase(key, h);
  n->val.set_has_expire(false);
  return true;
}

void database::rename(std::string_view from, std::string_view to) {
  if (from == to) return;
  std::int64_t when = expire_of(from);
  auto h = util::hash_bytes(from);
  auto& s = *shards_[shard_index(h)];
  auto* n = s.data.find(from, h);
  if (!n) return;
  value v = std::move(n->val);
  std::uint32_t lru = v.lru();  // the same object moves (Redis renameGenericCommand)
  if (when >= 0) s.expires.erase(from, h);
  s.data.erase(from, h);
  // Redis deletes an existing destination and dbAdd()s: "new" fires even when it overwrites.
  bool existed = find(to) != nullptr;
  set(to, std::move(v), false).set_lru(lru);
  if (existed) ks_.notify_key(key_event::created, index_, to);
  if (when >= 0) set_expire(to, when);
}

std::size_t database::size() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    shard_guard lk(s->mu);
    n += s->data.size();
  }
  return n;
}

std::size_t database::expires_size() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    shard_guard lk(s->mu);
    n += s->expires.size();
  }
  return n;
}

std::int64_t database::avg_ttl_ms() const {
  // Redis estimates avg_ttl from the active cycle's samples; an exact mean over a bounded
  // sample per shard is as informative and deterministic enough for INFO.
  std::int64_t now = util::now_ms(), sum = 0, count = 0;
  for (auto& s : shards_) {
    shard_guard lk(s->mu);
    std::uint64_t c = 0;
    int budget = 64;
    do {
      c = s->expires.scan(c, [&](auto& n) {
        if (n.val > now) {
          sum += n.val - now;
          ++count;
        }
      });
    } while (c != 0 && --budget > 0);
  }
  return count ? sum / count : 0;
}

std::size_t database::clear() {
  std::size_t n = 0;
  for (auto& s : shards_) {
    n += s->data.size();
    s->data.clear();
    s->expires.clear();
  }
  return n;
}

void database::swap_contents(database& other) noexcept {
  for (unsigned i = 0; i < shard_count; ++i) {
    shards_[i]->data.swap(other.shards_[i]->data);
    shards_[i]->expires.swap(other.shards_[i]->expires);
  }
}

value database::take(std::string_view key) {
  auto h = util::hash_bytes(key);
  auto& s = *shards_[shard_index(h)];
  auto* n = s.data.extract(key, h);
  if (n->val.has_expire()) s.expires.erase(key, h);
  value v = std::move(n->val);
  delete n;
  v.set_has_expire(false);
  return v;
}

std::size_t database::size_nolock() const noexcept {
  std::size_t n = 0;
  for (auto& s : shards_) n += s->data.size();
  return n;
}

std::uint64_t database::scan(std::uint64_t cursor, const std::function<void(std::string_view, const value&)>& f) {
  shard_guard lk(shards_[cursor & (shard_count - 1)]->mu);
  return scan_nolock(cursor, f);
}

std::uint64_t database::scan_nolock(std::uint64_t cursor, const std::function<void(std::string_view, const value&)>& f) {
  unsigned si = static_cast<unsigned>(cursor & (shard_count - 1));
  std::uint64_t dc = cursor >> shard_bits;
  auto& s = *shards_[si];
  std::int64_t now = util::now_ms();
  std::uint64_t next = s.data.scan(dc, [&](auto& n) {
    if (n.val.has_expire()) {
      auto* e = s.expires.find(n.key.view());
      if (e && e->val <= now) return;
    }
    f(n.key.view(), n.val);
  });
  if (next == 0) {
    if (si + 1 == shard_count) return 0;
    return si + 1;
  }
  return (next << shard_bits) | si;
}

bool database::random_key(std::string& out) { return random_key_impl(out, true); }

bool database::random_key_nolock(std::string& out) { return random_key_impl(out, false); }

bool database::random_key_impl(std::string& out, bool lock) {
  // Like Redis's dbRandomKey on a master: keep drawing until a live key turns up, deleting
  // the expired keys drawn. Every round either returns or removes one key, so it ends.
  // Shards are tried from a random start so that empty shards are skipped.
  std::uniform_int_distribution<unsigned> pick(0, shard_count - 1);
  for (;;) {
    unsigned start = pick(rng);
    bool found_any = false;
    for (unsigned k = 0; k < shard_count; ++k) {
      auto& s = *shards_[(start + k) % shard_count];
      std::unique_lock lk(s.mu, std::defer_lock);
      if (lock && !keyspace::thread_holds_all()) lk.lock();
      auto* n = s.data.random_node(rng);
      if (!n) continue;
      found_any = true;
      auto key = n->key.view();
      if (expire_if_needed(s, key, util::hash_bytes(key), n->val)) break;  // draw again
      out.assign(key);
      return true;
    }
    if (!found_any) return false;
  }
}

std::size_t database::active_expire(std::int64_t deadline_us) {
  std::size_t expired = 0;
  std::int64_t now = util::now_ms();
  for (auto& sp : shards_) {
    auto& s = *sp;
    for (;;) {
      std::lock_guard lk(s.mu);
      if (s.expires.empty()) break;
      int sampled = 0, hit = 0;
      std::vector<std::string> dead;
      for (; sampled < 20 && sampled < static_cast<int>(s.expires.size()); ++sampled) {
        auto* e = s.expires.random_node(rng);
        if (e->val <= now) dead.emplace_back(e->key.view());
      }
      std::sort(dead.begin(), dead.end());
      dead.erase(std::unique(dead.begin(), dead.end()), dead.end());
      for (auto& k : dead) {
        auto h = util::hash_bytes(k);
        ks_.notify_expired(index_, k);
        s.expires.erase(k, h);
        s.data.erase(k, h);
        ++hit;
      }
      expired += static_cast<std::size_t>(hit);
      if (hit * 10 <= sampled || util::now_us() > deadline_us) break;
    }
    if (util::now_us() > deadline_us) break;
  }
  return expired;
}

void database::for_each(const std::function<void(std::string_view, const value&, std::int64_t)>& f) {
  std::int64_t now = util::now_ms();
  for (auto& sp : shards_) {
    shard_guard lk(sp->mu);
    sp->data.for_each([&](auto& n) {
      std::int64_t when = -1;
      if (n.val.has_expire()) {
        if (auto* e = sp->expires.find(n.key.view())) when = e->val;
        if (when >= 0 && when <= now) return;
      }
      f(n.key.view(), n.val, when);
    });
  }
}

keyspace::keyspace(int databases) {
  dbs_.reserve(static_cast<std::size_t>(databases));
  for (int i = 0; i < databases; ++i) dbs_.push_back(std::make_unique<database>(*this, i));
}

std::size_t keyspace::active_expire_cycle(std::int64_t budget_us) {
  if (!active_expire_.load()) return 0;
  std::int64_t start = util::now_us();
  std::int64_t deadline = start + budget_us;
  std::size_t n = 0;
  // Resume from where the last cycle stopped, as Redis does with current_db.
  int dbs = databases();
  int first = next_db_.load() % dbs;
  for (int k = 0; k < dbs; ++k) {
    int i = (first + k) % dbs;
    n += db(i).active_expire(deadline);
    if (util::now_us() > deadline) {
      next_db_.store(i + 1);
      break;
    }
  }
  stats_.expire_cycle_cpu_us.fetch_add(static_cast<std::uint64_t>(util::now_us() - start));
  return n;
}

}  // namespace kvd::store
