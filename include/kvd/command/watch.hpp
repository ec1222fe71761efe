// The WATCH registry: which clients watch which (db, key), and the "touch" that makes them
// dirty when a watched key is modified, so that their EXEC answers a null reply (Redis 7.0
// multi.c: watchForKey, touchWatchedKey, touchAllWatchedKeysInDb, isWatchedKeyExpired).
//
// Cost when nobody watches: active() is one relaxed atomic load, checked by the dispatcher
// after every write (it is on the hot path); nothing else runs.
//
// Expiry without hooks: WATCH records the key's expire. A key that was live at WATCH time
// and whose expire has passed at EXEC has expired in between (whether or not lazy or active
// expiry deleted it since), which is what Redis decides with signalModifiedKey on the
// expiry deletion plus isWatchedKeyExpired at EXEC. Any write that changes the expire
// touches the key anyway. A key already logically expired at WATCH time is flagged
// `expired`: its deletion by expiry is no change (Redis's wk->expired).
//
// Locking: every method that takes a database requires the caller to hold the shard locks
// of the keys it names (or all of the database's, for touch_flushed/touch_swapped); the
// registry's own mutex is taken after shard locks, never before.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

namespace kvd::store {
class database;
}

namespace kvd::command {

struct client_context;

class watch_registry {
 public:
  /// True when some client watches some key. One relaxed load: call it before anything else.
  [[nodiscard]] bool active() const noexcept { return watched_.load(std::memory_order_relaxed) != 0; }
  /// Number of (client, key) watches (tests, INFO-like introspection).
  [[nodiscard]] std::size_t size() const noexcept { return watched_.load(std::memory_order_relaxed); }

  /// WATCH: client `c` watches `key` of `db` (its shard lock held). Watching the same key
  /// twice is one watch. Records the key's expire now, so that EXEC sees it passed.
  void watch(client_context& c, store::database& db, std::string_view key);
  /// UNWATCH, EXEC, DISCARD, RESET and disconnection: forgets every watch of `c`. Cheap
  /// when `c` watches nothing. Does not clear c.dirty_cas (EXEC/DISCARD do).
  void unwatch_all(client_context& c);
  /// Redis signalModifiedKey: `key` of `db` was modified (shard lock held); every client
  /// watching it becomes dirty (c.dirty_cas) and its watches are dropped.
  void touch(store::database& db, std::string_view key);
  /// FLUSHDB/FLUSHALL, before `db` is emptied (all its shard locks held): every watched key
  /// of `db` that exists in it is touched (Redis touchAllWatchedKeysInDb(db, NULL)).
  void touch_flushed(store::database& db);
  /// SWAPDB, before `a` and `b` swap contents (all their shard locks held): watched keys of
  /// each that exist in either are touched, with Redis 7.0's rules for expired keys.
  void touch_swapped(store::database& a, store::database& b);
  /// EXEC: true when `c` must abort because a watched key was modified (c.dirty_cas) or one
  /// that was live at WATCH has an expire at or before `now_ms` (Unix ms).
  [[nodiscard]] bool exec_aborts(client_context& c, std::int64_t now_ms);

 private:
  /// One client's watch of one key.
  struct watcher {
    client_context* client;
    std::int64_t expire_ms;  ///< the key's expire at WATCH (-1: none or absent)
    bool expired;            ///< logically expired at WATCH (Redis wk->expired)
  };
  struct key_id {
    int db;
    std::string key;
  };
  struct key_ref {
    int db;
    std::string_view key;
  };
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(const key_ref& k) const noexcept {
      return std::hash<std::string_view>{}(k.key) * 31 + static_cast<std::size_t>(k.db);
    }
    std::size_t operator()(const key_id& k) const noexcept { return (*this)(key_ref{k.db, k.key}); }
  };
  struct key_eq {
    using is_transparent = void;
    static key_ref ref(const key_id& k) noexcept { return {k.db, k.key}; }
    static key_ref ref(const key_ref& k) noexcept { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      auto x = ref(a), y = ref(b);
      return x.db == y.db && x.key == y.key;
    }
  };
  using key_map = boost::unordered_flat_map<key_id, std::vector<watcher>, key_hash, key_eq>;

  /// Marks `c` dirty and drops its watches after the caller's iteration (mu_ held).
  void mark_dirty(client_context* c, std::vector<client_context*>& dirty);
  void drop_locked(client_context& c);
  void touch_all_in_db(store::database& emptied, store::database* replaced_with,
                       std::vector<client_context*>& dirty);

  std::mutex mu_;
  key_map by_key_;
  boost::unordered_flat_map<client_context*, std::vector<key_id>> by_client_;
  std::atomic<std::size_t> watched_{0};
};

}  // namespace kvd::command
