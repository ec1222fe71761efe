// The keyspace: `databases` numbered databases, each split into shards (key hash → shard),
// each shard a main dict (key → value) and an expires dict (key → absolute Unix ms), as Redis
// keeps db->dict and db->expires. Expiry follows Redis 7.0: lazy on access plus an active
// cycle (active_expire_cycle) that samples volatile keys.
//
// Locking: each shard has a mutex. The dispatcher locks the shards of a command's keys, in
// ascending global shard order, before the handler runs; every `database` method below that
// takes a key requires the caller to hold that key's shard lock. Methods that say "locks"
// take locks themselves and must be called with none held.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/store/dict.hpp"
#include "kvd/store/value.hpp"

namespace kvd::config {
struct server_config;
}

namespace kvd::store {

/// Server-wide counters that INFO stats reports (Redis field names in comments).
struct keyspace_stats {
  std::atomic<std::uint64_t> expired_keys{0};     // expired_keys
  std::atomic<std::uint64_t> keyspace_hits{0};    // keyspace_hits
  std::atomic<std::uint64_t> keyspace_misses{0};  // keyspace_misses
  std::atomic<std::uint64_t> expire_cycle_cpu_us{0};
};

/// Receives keys removed by expiry (the AOF logs them as DEL; later issues add notifications).
/// Called with the key's shard lock held; must not call back into the keyspace.
using expired_hook = std::function<void(int db, std::string_view key)>;

/// Key events the keyspace reports itself (keyspace notification classes n and m): a key
/// created ("new", Redis dbAdd: SET of an absent key, the first push, RENAME's and COPY's
/// destination) and a read lookup that found nothing ("keymiss", Redis
/// lookupKeyReadWithFlags). Called with the key's shard lock held; must not call back into the
/// keyspace.
enum class key_event { created, missed };
using key_event_hook = std::function<void(key_event, int db, std::string_view key)>;

/// One shard: a lock and the two dicts it protects.
struct shard {
  std::mutex mu;
  dict<value> data;
  dict<std::int64_t> expires;
};

class keyspace;

/// One numbered database (SELECT n).
class database {
 public:
  static constexpr unsigned shard_bits = 5;
  static constexpr unsigned shard_count = 1u << shard_bits;

  database(keyspace& ks, int index);

  [[nodiscard]] int index() const noexcept { return index_; }
  /// Shard index (0..shard_count-1) for a key hash.
  [[nodiscard]] static unsigned shard_index(std::uint64_t h) noexcept {
    return static_cast<unsigned>(h >> (64 - shard_bits));
  }
  [[nodiscard]] shard& shard_at(unsigned i) noexcept { return *shards_[i]; }

  // ---- Key operations: the caller holds the key's shard lock. ----

  /// Returns the live value of `key`, deleting it first if its expire has passed (lazy
  /// expiry); nullptr when absent. Does not touch stats or LRU (Redis LOOKUP_NOTOUCH).
  value* find(std::string_view key);
  /// As find(), and counts keyspace_hits/misses and records the access in the value's
  /// LRU/LFU field (reads; Redis lookupKeyRead, store/lru.hpp).
  value* lookup_read(std::string_view key);
  /// As find(), and records the access (writes do not count hits/misses).
  value* lookup_write(std::string_view key) { return touch(find(key)); }

  /// Stores `v` at `key`. With keep_ttl false any old expire is removed (SET semantics).
  /// The value's LRU/LFU field is a new object's, except that under an LFU policy an
  /// overwritten key's counter carries over (Redis dbOverwrite). Returns the stored value.
  value& set(std::string_view key, value v, bool keep_ttl = false);
  /// Inserts `v` at `key`, which must be absent (callers checked with find()).
  value& add(std::string_view key, value v);
  /// Deletes `key` and its expire; returns true when it existed (and was live).
  bool del(std::string_view key);

  /// Absolute expire of `key` in Unix ms, or -1 when it has none. Key must exist.
  [[nodiscard]] std::int64_t expire_of(std::string_view key) const;
  /// Sets the absolute expire (Unix ms) of an existing key.
  void set_expire(std::string_view key, std::int64_t when_ms);
  /// Removes the expire of an existing key; returns true when it had one.
  bool persist(std::string_view key);

  /// Moves `from`'s value, expire and LRU/LFU field to `to` (RENAME); `from` must exist.
  /// Replaces `to`.
  void rename(std::string_view from, std::string_view to);
  /// Removes `key` and its expire without an expiry check and returns its value (MOVE
  /// hands it to another database). Precondition: the key exists (find() returned it).
  value take(std::string_view key);

  // ---- Whole-database operations. ----

  /// Number of keys (expired keys not yet reclaimed included, as Redis's DBSIZE). Locks.
  [[nodiscard]] std::size_t size() const;
  /// Number of keys with an expire. Locks.
  [[nodiscard]] std::size_t expires_size() const;
  /// Sum of remaining TTL over a sample, for INFO's avg_ttl (ms). Locks.
  [[nodiscard]] std::int64_t avg_ttl_ms() const;
  /// Removes every key; returns how many were removed. Caller holds all shard locks.
  std::size_t clear();
  /// Swaps contents with `other` (SWAPDB). Caller holds all shard locks of both.
  void swap_contents(database& other) noexcept;

  /// SCAN step: visits keys of one bucket chain and returns the next cursor (0 = done).
  /// The cursor encodes the shard in its low bits. Locks the shard it visits.
  /// f(const std::string& key, const value&) is called for live keys only.
  std::uint64_t scan(std::uint64_t cursor, const std::function<void(std::string_view, const value&)>& f);

  /// As scan(), for callers that already hold every shard lock of this db (SCAN runs
  /// under f_global_lock). Does not lock.
  std::uint64_t scan_nolock(std::uint64_t cursor, const std::function<void(std::string_view, const value&)>& f);

  /// A random live key, or empty optional when the db is empty. Locks.
  bool random_key(std::string& out);
  /// As random_key(), for callers holding every shard lock of this db (RANDOMKEY). Keys
  /// found expired on the way are deleted, as Redis's dbRandomKey does. Does not lock.
  bool random_key_nolock(std::string& out);
  /// Number of keys, expired keys not yet reclaimed included (DBSIZE), for callers holding
  /// every shard lock of this db. Does not lock.
  [[nodiscard]] std::size_t size_nolock() const noexcept;

  /// One active-expire pass over this db (Redis activeExpireCycle, slow mode): per shard,
  /// sample up to 20 volatile keys, delete the expired, repeat while >10% were expired and
  /// `deadline_us` (util::now_us clock) has not passed. Locks. Returns keys expired.
  std::size_t active_expire(std::int64_t deadline_us);

  /// Calls f(key, value, expire_ms or -1) for every live key. Locks shard by shard.
  void for_each(const std::function<void(std::string_view, const value&, std::int64_t)>& f);

 private:
  value* touch(value* v) noexcept;
  bool expire_if_needed(shard& s, std::string_view key, std::uint64_t h, const value& v);
  bool random_key_impl(std::string& out, bool lock);

  keyspace& ks_;
  int index_;
  std::vector<std::unique_ptr<shard>> shards_;
};

/// All databases and the server-wide keyspace state.
class keyspace {
 public:
  /// Builds `databases` empty databases (Redis `databases`, default 16).
  explicit keyspace(int databases);

  [[nodiscard]] int databases() const noexcept { return static_cast<int>(dbs_.size()); }
  [[nodiscard]] database& db(int i) noexcept { return *dbs_[static_cast<std::size_t>(i)]; }

  /// Global lock index of (db, shard): db * shard_count + shard. Locks are taken ascending.
  [[nodiscard]] static std::size_t lock_index(int db, unsigned shard) noexcept {
    return static_cast<std::size_t>(db) * database::shard_count + shard;
  }
  [[nodiscard]] std::mutex& lock_at(std::size_t global) noexcept {
    return db(static_cast<int>(global / database::shard_count))
        .shard_at(static_cast<unsigned>(global % database::shard_count)).mu;
  }
  [[nodiscard]] std::size_t lock_count() const noexcept { return dbs_.size() * database::shard_count; }
  /// True while the calling thread holds every shard lock of every database (set by the
  /// dispatcher's key_locks, e.g. for an EXEC with INFO inside). The methods documented
  /// "Locks" then take no lock: the thread already excludes everyone, and taking a held
  /// std::mutex again would deadlock.
  [[nodiscard]] static bool& thread_holds_all() noexcept {
    thread_local bool held = false;
    return held;
  }

  keyspace_stats& stats() noexcept { return stats_; }

  /// Where accesses read maxmemory-policy, lfu-log-factor and lfu-decay-time to keep values'
  /// LRU/LFU field (store/lru.hpp); null (the default) keeps LRU clocks. `cfg` must outlive
  /// the keyspace (server_state sets it).
  void set_config(const config::server_config* cfg) noexcept { cfg_ = cfg; }
  /// True when values keep LFU counters (an LFU maxmemory-policy is selected).
  [[nodiscard]] bool lfu() const noexcept;
  /// maxmemory-policy as a config::policy_* code (noeviction without a config): the RDB
  /// writer saves IDLE under an LRU policy and FREQ under an LFU one, as Redis.
  [[nodiscard]] int maxmemory_policy() const noexcept;
  /// lfu-decay-time in minutes (1 without a config).
  [[nodiscard]] int lfu_decay_time() const noexcept;
  /// The LRU/LFU field of a new object now (Redis createObject).
  [[nodiscard]] std::uint32_t fresh_lru() const noexcept;
  /// Records an access in `v`'s LRU/LFU field (Redis lookupKey without LOOKUP_NOTOUCH:
  /// LRU clock, or LFU decay + logarithmic increment).
  void touch_value(value& v) const noexcept;

  /// Installs the hook told about every key removed by expiry.
  void set_expired_hook(expired_hook h) { expired_hook_ = std::move(h); }
  /// Installs the key event hook. It runs only while `*mask` (notify-keyspace-events' parsed
  /// classes, read with one relaxed load) has `created_bit` (for key_event::created) or
  /// `missed_bit` (key_event::missed). Set before serving.
  void set_key_event_hook(key_event_hook h, const std::atomic<int>* mask, int created_bit, int missed_bit) {
    key_event_hook_ = std::move(h);
    key_event_mask_ = mask;
    created_bit_ = created_bit;
    missed_bit_ = missed_bit;
  }
  /// When false, lookups do not delete expired keys' data on read (they still read as
  /// absent); the active cycle also stops (DEBUG SET-ACTIVE-EXPIRE 0 stops only the latter).
  void set_active_expire(bool on) noexcept { active_expire_.store(on); }
  [[nodiscard]] bool active_expire_enabled() const noexcept { return active_expire_.load(); }

  /// Runs the active expire cycle over all databases for at most `budget_us` microseconds.
  std::size_t active_expire_cycle(std::int64_t budget_us);

 private:
  friend class database;
  void notify_expired(int db, std::string_view key) {
    stats_.expired_keys.fetch_add(1, std::memory_order_relaxed);
    if (expired_hook_) expired_hook_(db, key);
  }
  void notify_key(key_event e, int db, std::string_view key) const {
    if (!key_event_mask_) return;
    int bit = e == key_event::created ? created_bit_ : missed_bit_;
    if (key_event_mask_->load(std::memory_order_relaxed) & bit) key_event_hook_(e, db, key);
  }

  std::vector<std::unique_ptr<database>> dbs_;
  const config::server_config* cfg_ = nullptr;
  keyspace_stats stats_;
  expired_hook expired_hook_;
  key_event_hook key_event_hook_;
  const std::atomic<int>* key_event_mask_ = nullptr;
  int created_bit_ = 0;
  int missed_bit_ = 0;
  std::atomic<bool> active_expire_{true};
  std::atomic<int> next_db_{0};
};

}  // namespace kvd::store
