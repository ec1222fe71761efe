#include "kvd/command/eviction.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kvd/command/multi.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/store/lru.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/hash.hpp"
#include "kvd/util/memory_meter.hpp"

namespace kvd::command {

// ---- eviction_pool ------------------------------------------------------------------------

void eviction_pool::insert(int db, std::string_view key, std::uint64_t idle) {
  // Redis evictionPoolPopulate: find the first empty slot or the first with a larger idle.
  std::size_t k = 0;
  while (k < capacity && e_[k].db >= 0 && e_[k].idle < idle) ++k;
  if (k == 0 && e_[capacity - 1].db >= 0) return;  // worse than everything in a full pool
  if (k < capacity && e_[k].db < 0) {
    // An empty slot: nothing to shift.
  } else if (e_[capacity - 1].db < 0) {
    // Free space on the right: shift k.. one to the right.
    for (std::size_t j = capacity - 1; j > k; --j) e_[j] = std::move(e_[j - 1]);
  } else {
    // Full: insert at k-1, dropping the leftmost (worst) entry.
    --k;
    for (std::size_t j = 0; j < k; ++j) e_[j] = std::move(e_[j + 1]);
  }
  e_[k].key.assign(key);
  e_[k].idle = idle;
  e_[k].db = db;
}

bool eviction_pool::pop_best(entry& out) {
  for (std::size_t k = capacity; k-- > 0;) {
    if (e_[k].db < 0) continue;
    out = std::move(e_[k]);
    e_[k].key.clear();
    e_[k].idle = 0;
    e_[k].db = -1;
    return true;
  }
  return false;
}

void eviction_pool::clear() noexcept {
  for (auto& e : e_) {
    e.key.clear();
    e.idle = 0;
    e.db = -1;
  }
}

// ---- helpers ------------------------------------------------------------------------------

std::uint64_t eviction_time_limit_us(int tenacity) noexcept {
  if (tenacity <= 10) return 50ULL * static_cast<std::uint64_t>(tenacity < 0 ? 0 : tenacity);
  if (tenacity < 100) return static_cast<std::uint64_t>(500.0 * std::pow(1.15, tenacity - 10.0));
  return std::numeric_limits<std::uint64_t>::max();
}

std::int64_t memory_not_counted_for_evict(server_state& s) noexcept {
  auto* aof = s.aof.load(std::memory_order_acquire);
  return aof ? static_cast<std::int64_t>(aof->pending_bytes()) : 0;
}

namespace {

std::int64_t mono_us() noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

thread_local std::mt19937_64 rng{std::random_device{}()};

/// Redis getMaxmemoryState: bytes over maxmemory (0 when at or under it).
std::int64_t bytes_over(server_state& s, std::int64_t maxmem) noexcept {
  std::int64_t used = util::memory_meter::used_bytes();
  if (used <= maxmem) return 0;
  used -= memory_not_counted_for_evict(s);
  return used > maxmem ? used - maxmem : 0;
}

/// Locks a shard unless this thread already holds every lock (keyspace::thread_holds_all).
std::unique_lock<std::mutex> lock_shard(store::shard& sh) {
  if (store::keyspace::thread_holds_all()) return {};
  return std::unique_lock<std::mutex>(sh.mu);
}

/// Redis's INFO eviction-exceeded bookkeeping at the end of performEvictions.
void update_metrics(eviction_state& e, evict_result r) noexcept {
  if (r == evict_result::ok) {
    std::int64_t since = e.exceeded_since_us.exchange(0);
    if (since) e.total_exceeded_us.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, mono_us() - since)));
  } else {
    std::int64_t zero = 0;
    e.exceeded_since_us.compare_exchange_strong(zero, mono_us());
  }
}

/// One evicting pass; the caller holds e.mu and no shard lock.
class evictor {
 public:
  evictor(server_state& s, int policy) : s_(s), ks_(s.keyspace), policy_(policy) {
    allkeys_ = policy & config::policy_flag_allkeys;
    samples_ = std::max(1, s.config.maxmemory_samples.load(std::memory_order_relaxed));
    decay_ = s.config.lfu_decay_time.load(std::memory_order_relaxed);
    // Which databases hold candidates: counting them takes every shard lock, so the counts
    // are reused for 100 ms (and recounted before giving up).
    auto& e = s.eviction;
    if (e.db_sizes.size() == static_cast<std::size_t>(ks_.databases()) && e.db_sizes_allkeys == allkeys_ &&
        mono_us() - e.db_sizes_at_us < 100'000)
      sizes_ = e.db_sizes;
    else
      count_dbs();
  }
  ~evictor() {
    auto& e = s_.eviction;
    e.db_sizes = sizes_;
    e.db_sizes_allkeys = allkeys_;
    if (counted_) e.db_sizes_at_us = mono_us();
  }
  evictor(const evictor&) = delete;
  evictor& operator=(const evictor&) = delete;

  /// Evicts one key; returns false when there is nothing to evict. `freed` gets the bytes
  /// the deletion released (measured on this thread's meter).
  bool evict_one(std::int64_t& freed) {
    bool pooled = (policy_ & (config::policy_flag_lru | config::policy_flag_lfu)) || policy_ == config::policy_volatile_ttl;
    if (pooled ? evict_from_pool(freed) : evict_random(freed)) return true;
    if (counted_) return false;
    count_dbs();  // keys may have arrived in databases the reused counts called empty
    return pooled ? evict_from_pool(freed) : evict_random(freed);
  }

 private:
  void count_dbs() {
    sizes_.assign(static_cast<std::size_t>(ks_.databases()), 0);
    for (int i = 0; i < ks_.databases(); ++i) {
      auto& db = ks_.db(i);
      std::size_t n = 0;
      for (unsigned sh = 0; sh < store::database::shard_count; ++sh) {
        auto& shard = db.shard_at(sh);
        auto lk = lock_shard(shard);
        n += allkeys_ ? shard.data.size() : shard.expires.size();
      }
      sizes_[static_cast<std::size_t>(i)] = n;
    }
    counted_ = true;
  }

  /// A random non-empty shard of db `i` (random probes, then a linear pass), or -1.
  int pick_shard(int i) {
    auto& db = ks_.db(i);
    std::uniform_int_distribution<unsigned> pick(0, store::database::shard_count - 1);
    auto nonempty = [&](unsigned sh) {
      auto& shard = db.shard_at(sh);
      auto lk = lock_shard(shard);
      return allkeys_ ? !shard.data.empty() : !shard.expires.empty();
    };
    for (int probe = 0; probe < 8; ++probe) {
      unsigned sh = pick(rng);
      if (nonempty(sh)) return static_cast<int>(sh);
    }
    unsigned start = pick(rng);
    for (unsigned k = 0; k < store::database::shard_count; ++k) {
      unsigned sh = (start + k) % store::database::shard_count;
      if (nonempty(sh)) return static_cast<int>(sh);
    }
    return -1;
  }

  /// Redis evictionPoolPopulate for db `i`: samples keys into the pool. Returns false when
  /// the db has no candidate left.
  bool populate(int i) {
    auto& db = ks_.db(i);
    std::uniform_int_distribution<unsigned> pick(0, store::database::shard_count - 1);
    std::int64_t now = util::now_ms();
    bool found = false;
    for (int n = 0; n < samples_; ++n) {
      unsigned sh = pick(rng);
      auto& shard = db.shard_at(sh);
      auto lk = lock_shard(shard);
      if (allkeys_ ? shard.data.empty() : shard.expires.empty()) {
        lk = {};
        int other = pick_shard(i);
        if (other < 0) return found;
        sh = static_cast<unsigned>(other);
        lk = lock_shard(db.shard_at(sh));
      }
      auto& s = db.shard_at(sh);
      std::string_view key;
      const store::value* v = nullptr;
      std::int64_t expire = 0;
      if (allkeys_) {
        auto* node = s.data.random_node(rng);
        if (!node) continue;
        key = node->key.view();
        v = &node->val;
      } else {
        auto* node = s.expires.random_node(rng);
        if (!node) continue;
        key = node->key.view();
        expire = node->val;
        if (policy_ != config::policy_volatile_ttl) {
          auto* dn = s.data.find(key);
          if (!dn) continue;
          v = &dn->val;
        }
      }
      std::uint64_t idle;
      if (policy_ & config::policy_flag_lru) idle = store::lru_idle_ms(v->lru(), now);
      else if (policy_ & config::policy_flag_lfu) idle = 255 - store::lfu_decr_and_return(v->lru(), decay_, now);
      else idle = std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(expire);
      s_.eviction.pool.insert(i, key, idle);
      found = true;
    }
    return found;
  }

  bool evict_from_pool(std::int64_t& freed) {
    auto& pool = s_.eviction.pool;
    // Bounded: each round either evicts, or pops every pooled ghost and samples again; a
    // database whose sampling finds nothing drops out.
    for (int round = 0; round < 64; ++round) {
      bool any = false;
      for (int i = 0; i < ks_.databases(); ++i) {
        auto& n = sizes_[static_cast<std::size_t>(i)];
        if (n == 0) continue;
        if (populate(i)) any = true;
        else n = 0;
      }
      if (!any) return false;
      eviction_pool::entry best;
      while (pool.pop_best(best)) {
        auto& db = ks_.db(best.db);
        auto h = util::hash_bytes(best.key);
        auto& shard = db.shard_at(store::database::shard_index(h));
        auto lk = lock_shard(shard);
        bool exists = allkeys_ ? shard.data.find(best.key, h) != nullptr : shard.expires.find(best.key, h) != nullptr;
        if (!exists) continue;  // a ghost: deleted since it was sampled
        freed = evict_locked(db, best.key);
        return true;
      }
    }
    return false;
  }

  bool evict_random(std::int64_t& freed) {
    auto& e = s_.eviction;
    int dbs = ks_.databases();
    for (int k = 0; k < dbs; ++k) {
      int i = static_cast<int>(++e.next_db % static_cast<unsigned>(dbs));
      auto& n = sizes_[static_cast<std::size_t>(i)];
      if (n == 0) continue;
      int sh = pick_shard(i);
      if (sh < 0) {
        n = 0;
        continue;
      }
      auto& db = ks_.db(i);
      auto& shard = db.shard_at(static_cast<unsigned>(sh));
      auto lk = lock_shard(shard);
      std::string key;
      if (allkeys_) {
        auto* node = shard.data.random_node(rng);
        if (!node) continue;
        key.assign(node->key.view());
      } else {
        auto* node = shard.expires.random_node(rng);
        if (!node) continue;
        key.assign(node->key.view());
      }
      freed = evict_locked(db, key);
      return true;
    }
    return false;
  }

  /// Deletes `key` (present; its shard lock held) as an eviction: DEL to the AOF, WATCHers
  /// touched, `evicted` event, evicted_keys. Returns the bytes freed.
  std::int64_t evict_locked(store::database& db, const std::string& key) {
    std::int64_t before = util::memory_meter::used_bytes();
    { store::value gone = db.take(key); }  // no expiry check: an expired key is evicted too (Redis)
    std::int64_t freed = before - util::memory_meter::used_bytes();
    s_.eviction.evicted_keys.fetch_add(1, std::memory_order_relaxed);
    if (s_.watches.active()) s_.watches.touch(db, key);
    pubsub::notify(s_.notifier, pubsub::notify_evicted, "evicted", key, db.index());
    if (auto* aof = s_.aof.load(std::memory_order_acquire)) {
      std::string_view args[] = {"DEL", key};
      aof->append(db.index(), args);
    }
    return freed;
  }

  server_state& s_;
  store::keyspace& ks_;
  int policy_;
  bool allkeys_;
  int samples_;
  int decay_;
  std::vector<std::size_t> sizes_;  ///< per db: candidate keys (0 = skip), approximate
  bool counted_ = false;            ///< sizes_ counted during this pass
};

}  // namespace

evict_result perform_evictions(server_state& s) {
  auto& e = s.eviction;
  std::int64_t maxmem = s.config.maxmemory.load(std::memory_order_relaxed);
  // CLIENT PAUSE (WRITE or ALL) pauses evictions too (Redis PAUSE_ACTION_EVICT).
  if (maxmem > 0 && s.introspection.pause.load(std::memory_order_relaxed) != 0 &&
      util::now_ms() < s.introspection.pause_end_ms.load(std::memory_order_relaxed))
    return evict_result::ok;
  if (maxmem <= 0 || bytes_over(s, maxmem) == 0) {
    if (e.exceeded_since_us.load(std::memory_order_relaxed)) update_metrics(e, evict_result::ok);
    e.running.store(false, std::memory_order_relaxed);
    return evict_result::ok;
  }
  int policy = s.config.maxmemory_policy_code.load(std::memory_order_relaxed);
  if (policy == config::policy_noeviction) {
    update_metrics(e, evict_result::fail);
    return evict_result::fail;
  }
  std::lock_guard lk(e.mu);
  // Another thread may have evicted while this one waited.
  std::int64_t tofree = bytes_over(s, maxmem);
  if (tofree == 0) {
    update_metrics(e, evict_result::ok);
    e.running.store(false, std::memory_order_relaxed);
    return evict_result::ok;
  }
  std::uint64_t limit = eviction_time_limit_us(s.config.maxmemory_eviction_tenacity.load(std::memory_order_relaxed));
  std::int64_t start = mono_us();
  evictor ev(s, policy);
  std::int64_t freed = 0;
  std::uint64_t keys = 0;
  evict_result result = evict_result::ok;
  while (freed < tofree) {
    std::int64_t delta = 0;
    if (!ev.evict_one(delta)) {
      result = evict_result::fail;  // nothing left to evict
      break;
    }
    freed += delta;
    if (++keys % 16 == 0) {
      // Other threads allocate and free meanwhile: stop as soon as the total is under.
      if (bytes_over(s, maxmem) == 0) break;
      if (static_cast<std::uint64_t>(mono_us() - start) > limit) {
        result = evict_result::running;
        break;
      }
    }
  }
  e.running.store(result == evict_result::running, std::memory_order_relaxed);
  update_metrics(e, result);
  return result;
}

bool reject_for_oom(server_state& s, const client_context& c, const command_spec& cmd) {
  if (s.loading.load(std::memory_order_relaxed)) return false;
  if (perform_evictions(s) != evict_result::fail) return false;
  bool is_exec = cmd.handler == cmd_exec;
  bool deny = cmd.has(f_denyoom);
  if (c.in_multi && is_exec)
    for (auto& q : c.multi_queue)
      if (q.cmd->has(f_denyoom)) deny = true;
  // Queuing inside MULTI may use unbounded memory: refuse everything but these (Redis 7.0).
  if (c.in_multi && !is_exec && !(cmd.parent == nullptr && (cmd.name == "discard" || cmd.name == "quit" || cmd.name == "reset")))
    deny = true;
  return deny;
}

void eviction_cron(server_state& s) {
  if (!s.eviction.running.load(std::memory_order_relaxed) || s.loading.load(std::memory_order_relaxed)) return;
  // Redis's evictionTimeProc runs again on every event-loop turn until done; the cron runs
  // hz times a second, so it may use up to a quarter of its period (as active expire does),
  // one tenacity budget at a time. Client commands keep evicting their budget meanwhile.
  std::int64_t budget_us = 250'000 / std::max(1, s.config.hz.load(std::memory_order_relaxed));
  std::int64_t start = mono_us();
  while (perform_evictions(s) == evict_result::running && mono_us() - start < budget_us) {
  }
}

eviction_exceeded eviction_exceeded_times(const eviction_state& e) noexcept {
  std::int64_t since = e.exceeded_since_us.load(std::memory_order_relaxed);
  std::int64_t current = since ? std::max<std::int64_t>(0, mono_us() - since) : 0;
  eviction_exceeded out;
  out.current_ms = current / 1000;
  out.total_ms = (static_cast<std::int64_t>(e.total_exceeded_us.load(std::memory_order_relaxed)) + current) / 1000;
  return out;
}

void reset_eviction_stats(eviction_state& e) noexcept {
  e.evicted_keys = 0;
  e.total_exceeded_us = 0;
  e.exceeded_since_us = 0;
}

}  // namespace kvd::command
