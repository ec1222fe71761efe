// Key eviction above `maxmemory` (Redis 7.0 src/evict.c performEvictions and the maxmemory
// check of server.c processCommand).
//
// Before each command (dispatcher::execute, not during AOF replay or loading), when
// maxmemory is set, perform_evictions() compares used memory (util/memory_meter.hpp, minus
// the AOF buffer: mem_not_counted_for_evict) with maxmemory and, above it, deletes keys
// chosen by maxmemory-policy until enough bytes are freed:
// - *-lru, *-lfu, volatile-ttl: Redis's eviction pool. Each round samples maxmemory-samples
//   keys of every database (from the main dict for allkeys-*, the expires dict for
//   volatile-*) into a pool of the 16 best candidates (largest idle time, 255 - LFU counter,
//   or nearest expire), then evicts the best one that still exists;
// - *-random: a random key of the next non-empty database, round robin.
// An evicted key is deleted, logged to the AOF as DEL, touches WATCHers, publishes the
// `evicted` keyspace event (class 'e') and counts in INFO evicted_keys, as expiry does.
// CLIENT PAUSE (WRITE or ALL) pauses evictions, as Redis's PAUSE_ACTION_EVICT.
// The work per command is bounded by maxmemory-eviction-tenacity (Redis evictionTimeLimitUs);
// when the bound is hit the command runs anyway and the server cron continues (eviction_cron).
// When nothing can be evicted (noeviction, or no candidate keys), commands flagged denyoom, an
// EXEC with such a command queued, and anything queued inside MULTI but EXEC, DISCARD, QUIT,
// RESET are refused with -OOM (reject_for_oom).
//
// Locking: perform_evictions() must be called with no shard lock held. One evicting thread at
// a time (eviction_state::mu, taken before any shard lock and never while holding one); it
// takes one shard lock at a time, to sample or to delete, so it cannot deadlock with commands,
// which take their shard locks in ascending order and never wait for eviction_state::mu.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::command {

struct server_state;
struct client_context;
struct command_spec;

/// Redis's eviction pool (evictionPoolEntry[EVPOOL_SIZE]): up to 16 candidates, ascending by
/// `idle` (the larger, the better to evict). Not thread-safe (eviction_state::mu guards it).
class eviction_pool {
 public:
  static constexpr std::size_t capacity = 16;  ///< Redis EVPOOL_SIZE
  /// One candidate: a key of database `db` and how good it is to evict.
  struct entry {
    std::uint64_t idle = 0;  ///< idle ms (LRU), 255 - counter (LFU), or ULLONG_MAX - expire ms (TTL)
    std::string key;
    int db = -1;  ///< -1: empty slot
  };

  /// Redis evictionPoolPopulate's insertion of one sampled key: dropped when the pool is full
  /// and `idle` is below every entry; else inserted in order, shifting right into free space
  /// or dropping the worst (leftmost) entry when full. Duplicates are kept, as Redis keeps them
  /// (the second pop finds the key gone and skips it).
  void insert(int db, std::string_view key, std::uint64_t idle);
  /// Removes the best entry (rightmost: largest idle) into `out`; false when empty.
  bool pop_best(entry& out);
  /// Empties the pool (FLUSHALL-like resets are not needed: ghosts are skipped on pop).
  void clear() noexcept;
  /// The slots, left (worst) to right (best); empty slots have db -1 (tests).
  [[nodiscard]] const std::array<entry, capacity>& entries() const noexcept { return e_; }

 private:
  std::array<entry, capacity> e_;
};

/// Outcome of perform_evictions (Redis EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
enum class evict_result {
  ok,       ///< under the limit (or freed enough)
  running,  ///< over the limit, time budget used up: the cron continues; commands run
  fail,     ///< over the limit and nothing evictable: denyoom commands get -OOM
};

/// Eviction state and INFO counters (one per server).
struct eviction_state {
  std::mutex mu;            ///< one evicting thread; guards pool and next_db
  eviction_pool pool;
  unsigned next_db = 0;     ///< random policies: the database to try next
  std::vector<std::size_t> db_sizes;  ///< candidate keys per db at db_sizes_at_us (guarded by mu)
  bool db_sizes_allkeys = false;      ///< db_sizes counts the main dicts (else the expires dicts)
  std::int64_t db_sizes_at_us = 0;    ///< steady-clock us of the count
  std::atomic<std::uint64_t> evicted_keys{0};            ///< INFO stats evicted_keys
  std::atomic<std::int64_t> exceeded_since_us{0};        ///< util::now_us() when it went over; 0 = not over
  std::atomic<std::uint64_t> total_exceeded_us{0};       ///< ended over-limit periods, us
  std::atomic<bool> running{false};                      ///< time budget hit: cron keeps evicting
};

/// Redis performEvictions: evicts keys until used memory (minus the AOF buffer) is at most
/// maxmemory, within the tenacity time budget. Call with no shard lock held. Thread-safe.
evict_result perform_evictions(server_state& s);

/// Redis processCommand's maxmemory check, run by the dispatcher before a command when
/// maxmemory is set: evicts (perform_evictions) and returns true when `cmd` must be refused
/// with err::oom (see the header comment for which commands).
[[nodiscard]] bool reject_for_oom(server_state& s, const client_context& c, const command_spec& cmd);

/// Called by the server cron: continues an eviction whose time budget ran out (Redis
/// evictionTimeProc). Call with no shard lock held.
void eviction_cron(server_state& s);

/// Redis evictionTimeLimitUs: the eviction time budget per call, in microseconds, for
/// maxmemory-eviction-tenacity 0..100 (linear to 500 us at 10, then +15% per step; 100 = no limit).
[[nodiscard]] std::uint64_t eviction_time_limit_us(int tenacity) noexcept;

/// Bytes not counted against maxmemory (INFO mem_not_counted_for_evict): the AOF buffer.
[[nodiscard]] std::int64_t memory_not_counted_for_evict(server_state& s) noexcept;

/// INFO stats total_eviction_exceeded_time and current_eviction_exceeded_time, in ms.
struct eviction_exceeded {
  std::int64_t total_ms = 0;    ///< all time over the limit (ended periods + the current one)
  std::int64_t current_ms = 0;  ///< the current period over the limit, 0 when under it
};
/// The times above for INFO stats (Redis genRedisInfoString). Thread-safe.
[[nodiscard]] eviction_exceeded eviction_exceeded_times(const eviction_state& e) noexcept;

/// CONFIG RESETSTAT: clears evicted_keys and the exceeded times (Redis resetServerStats).
void reset_eviction_stats(eviction_state& e) noexcept;

}  // namespace kvd::command
