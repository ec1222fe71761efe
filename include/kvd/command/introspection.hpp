// Introspection state: the slow log (Redis 7.0 slowlog.c), the latency monitor (latency.c:
// per-event time series of samples over `latency-monitor-threshold`), per-command latency
// histograms for INFO latencystats (server.c, HdrHistogram there; log-linear buckets here),
// INFO errorstats counters and the CLIENT PAUSE state. Commands: introspection_family.cpp
// (SLOWLOG, LATENCY, MEMORY), server_family.cpp (INFO), connection_family.cpp (CLIENT PAUSE).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/command/client_context.hpp"

namespace kvd::command {

struct command_spec;
struct server_state;

/// One slow log entry (SLOWLOG GET: id, Unix time s, duration us, argv, client addr, name).
struct slowlog_entry {
  std::uint64_t id = 0;
  std::int64_t time_s = 0;
  std::int64_t duration_us = 0;
  std::vector<std::string> argv;  ///< at most 32 (the last says "... (N more arguments)")
  std::string addr, name;
};

/// The slow log: newest first, bounded by slowlog-max-len. Thread-safe (one mutex, taken only
/// when a command was slower than slowlog-log-slower-than).
class slowlog {
 public:
  /// Records `args` (truncated as Redis: 32 arguments, 128 bytes each with "... (N more
  /// bytes)") run by `c` for `duration_us`; keeps at most `max_len` entries.
  void add(const client_context& c, std::span<const std::string_view> args, std::int64_t duration_us,
           std::size_t max_len);
  /// The newest `count` entries (all when count < 0), newest first.
  [[nodiscard]] std::vector<slowlog_entry> get(std::int64_t count) const;
  [[nodiscard]] std::size_t len() const;
  void reset();
  /// Drops the oldest entries beyond `max_len` (CONFIG SET slowlog-max-len).
  void trim(std::size_t max_len);

 private:
  mutable std::mutex mu_;
  std::deque<slowlog_entry> entries_;
  std::uint64_t next_id_ = 0;
};

/// The latency monitor (LATENCY LATEST/HISTORY/RESET): per event, the last 160 samples
/// (Unix s, ms; samples in the same second keep the max) and the all-time max. Thread-safe.
class latency_monitor {
 public:
  struct sample {
    std::int64_t time_s = 0;
    std::uint32_t latency_ms = 0;
  };
  struct series {
    std::deque<sample> samples;  ///< oldest first, at most history_len
    std::uint32_t max_ms = 0;
  };
  static constexpr std::size_t history_len = 160;  ///< Redis LATENCY_TS_LEN

  /// Adds a sample of `ms` for `event` at the current time (the caller compared it with the
  /// threshold).
  void add(std::string_view event, std::uint32_t ms);
  /// A copy of every event's series, by name.
  [[nodiscard]] std::map<std::string, series> snapshot() const;
  /// Clears the named events (all when `events` is empty); returns how many existed.
  std::size_t reset(const std::vector<std::string>& events);

 private:
  mutable std::mutex mu_;
  std::map<std::string, series, std::less<>> events_;
};

/// Latency histogram of one command (INFO latencystats): nanoseconds in log-linear buckets
/// (16 per power of two, about 6% wide) from 1 ns to ~1 s, relaxed atomics (lock-free).
class latency_histogram {
 public:
  static constexpr int sub_bits = 4;
  static constexpr int exponents = 31;
  static constexpr std::size_t bucket_count = std::size_t(exponents) << sub_bits;

  void record(std::uint64_t ns) noexcept;
  /// The value (ns, the upper edge of its bucket) at percentile `p` (0..100); 0 when empty.
  [[nodiscard]] double percentile(double p) const noexcept;
  [[nodiscard]] std::uint64_t count() const noexcept { return total_.load(std::memory_order_relaxed); }
  void reset() noexcept;

 private:
  static std::size_t bucket_of(std::uint64_t ns) noexcept;
  static std::uint64_t upper_edge(std::size_t b) noexcept;
  std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
  std::atomic<std::uint64_t> total_{0};
};

/// CLIENT PAUSE: none, WRITE (writes and may-replicate commands wait) or ALL.
enum class pause_mode : int { none = 0, write = 1, all = 2 };

/// Everything above, one per server (a member of server_state).
struct introspection_state {
  slowlog slow;
  latency_monitor latency;
  /// INFO errorstats: count per error code (the first word of the error reply). Redis caps
  /// the distinct codes at 128; so does kvd.
  void count_error(std::string_view code);
  [[nodiscard]] std::map<std::string, std::uint64_t> error_counts() const;
  void reset_errors();

  std::atomic<int> pause{0};                 ///< pause_mode
  std::atomic<std::int64_t> pause_end_ms{0};  ///< Unix ms when the pause ends
  std::int64_t startup_allocated = 0;         ///< used_memory when the server state was built

  introspection_state();
  /// Replication ids (INFO master_replid, master_replid2); "" until DEBUG CHANGE-REPL-ID,
  /// when INFO shows the run id.
  [[nodiscard]] std::pair<std::string, std::string> repl_ids() const;
  /// DEBUG CHANGE-REPL-ID: a new random 40-hex-char replid, replid2 cleared.
  void change_repl_id();

 private:
  mutable std::mutex err_mu_;
  std::map<std::string, std::uint64_t> errors_;
  std::string replid_, replid2_;  ///< guarded by err_mu_
};

/// Called by the dispatcher after each command ran (not for rejected ones): records the
/// latency histogram (latency-tracking), the slow log entry (slowlog-log-slower-than) and the
/// latency monitor's "command" / "fast-command" sample (latency-monitor-threshold). A few
/// atomic loads when all are off.
void after_command(server_state& s, const client_context& c, const command_spec& cmd,
                   std::span<const std::string_view> args, std::int64_t duration_us);

/// Milliseconds the command in `args` must wait because of CLIENT PAUSE (0: run it now).
/// `args[0]` names a command; unknown commands never wait.
std::int64_t pause_wait_ms(server_state& s, std::span<const std::string_view> args);

/// Hash table overhead of one non-empty database (MEMORY STATS db.N, INFO memory).
struct db_overhead {
  int index = 0;
  std::size_t keys = 0, expires = 0;
  std::int64_t main = 0;           ///< dict nodes and buckets of the keys, bytes
  std::int64_t expires_bytes = 0;  ///< dict nodes and buckets of the expires, bytes
};

/// Memory breakdown shared by MEMORY STATS and INFO memory (Redis getMemoryOverheadData).
/// Bytes unless named a ratio.
struct memory_overhead {
  std::int64_t used = 0, rss = 0, peak = 0, startup = 0;
  std::int64_t clients_normal = 0;  ///< query and output buffers of connected clients
  std::int64_t aof_buffer = 0;      ///< AOF bytes not yet written
  std::vector<db_overhead> dbs;
  std::size_t keys = 0;
  std::int64_t total_overhead = 0;  ///< startup + clients + AOF buffer + dict overheads
  std::int64_t dataset = 0;         ///< used - total_overhead
  std::int64_t allocator_allocated = 0, allocator_active = 0, allocator_resident = 0;  ///< jemalloc stats.*
};

/// Computes the breakdown. `locks_held`: the caller holds every shard lock (MEMORY STATS);
/// otherwise each shard is try-locked in turn and a busy one is left out of the sums.
memory_overhead compute_memory_overhead(server_state& s, bool locks_held);

/// A jemalloc `stats.*` value after refreshing the epoch; 0 without jemalloc.
std::size_t jemalloc_stat(const char* name);

/// Bytes used by key `key` holding `v` (MEMORY USAGE): the dict entry, the key's heap bytes,
/// the value struct and its heap bytes, and the bucket pointer (Redis objectComputeSize +
/// key + dictEntry).
std::size_t key_memory_usage(std::string_view key, std::size_t key_heap_bytes, std::size_t value_heap_bytes);

}  // namespace kvd::command
