// Everything a command may reach beyond its keys: the keyspace, configuration, clients,
// counters and the hooks the network layer provides. One instance per server, passed
// explicitly (no global server struct).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "kvd/acl/acl.hpp"
#include "kvd/command/blocking.hpp"
#include "kvd/command/client_context.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/eviction.hpp"
#include "kvd/command/introspection.hpp"
#include "kvd/command/watch.hpp"
#include "kvd/config/config.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/persist/rdb.hpp"
#include "kvd/pubsub/pubsub.hpp"
#include "kvd/store/keyspace.hpp"

namespace kvd::command {

/// INFO stats counters (Redis field names).
struct server_stats {
  std::atomic<std::uint64_t> total_connections_received{0};
  std::atomic<std::uint64_t> total_commands_processed{0};
  std::atomic<std::uint64_t> rejected_connections{0};
  /// TLS connections (RESP and HTTPS) closed because the handshake failed or timed out.
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> total_net_input_bytes{0};
  std::atomic<std::uint64_t> total_net_output_bytes{0};
  std::atomic<std::uint64_t> total_error_replies{0};
  std::atomic<std::uint64_t> unexpected_error_replies{0};
  std::atomic<std::int64_t> connected_clients{0};
  std::atomic<std::uint64_t> instantaneous_ops_per_sec{0};  ///< sampled by the server cron
};

/// Live clients, by id. Sessions add themselves when they start and remove themselves
/// when they end. Thread-safe.
class client_registry {
 public:
  /// Registers a connected client (held weakly: the session owns it).
  void add(const std::shared_ptr<client_context>& c);
  /// Forgets client `id` (called when its connection ends); unknown ids are ignored.
  void remove(std::uint64_t id);
  /// Snapshot of live clients, ordered by id.
  [[nodiscard]] std::vector<std::shared_ptr<client_context>> list() const;
  /// Number of registered clients (some may be closing).
  [[nodiscard]] std::size_t size() const;
  /// Next client id (CLIENT ID), starting at 1.
  std::uint64_t next_id() noexcept { return next_id_.fetch_add(1) + 1; }

 private:
  mutable std::mutex mu_;
  boost::unordered_flat_map<std::uint64_t, std::weak_ptr<client_context>> clients_;
  std::atomic<std::uint64_t> next_id_{0};
};

/// Actions only the network layer can carry out.
struct server_hooks {
  /// SHUTDOWN: stop accepting, finish in-flight commands, exit the process with `code`.
  std::function<void(int code)> shutdown;
};

/// Process memory in bytes, as INFO memory reports it.
struct memory_usage {
  std::int64_t used = 0;  ///< allocated by the allocator (used_memory)
  std::int64_t rss = 0;   ///< resident set size (used_memory_rss)
  std::int64_t peak = 0;  ///< largest `used` seen so far (used_memory_peak)
};

/// Samples used memory and RSS and updates the peak (server_family.cpp). Thread-safe.
[[nodiscard]] memory_usage sample_memory();

struct server_state {
  server_state(store::keyspace& ks, config::server_config& cfg, config::registry& reg, command_table& t)
      : keyspace(ks), config(cfg), options(reg), table(t) {
    notifier.channels = &pubsub;
    notifier.flags = &cfg.notify_keyspace_events;
    ks.set_config(&cfg);  // values keep LRU or LFU data as maxmemory-policy says
  }

  store::keyspace& keyspace;
  config::server_config& config;
  config::registry& options;
  command_table& table;
  client_registry clients;
  blocking_registry blocking;  ///< clients parked by BLPOP, BZPOPMIN...
  pubsub::registry pubsub;        ///< SUBSCRIBE / PSUBSCRIBE channels and patterns
  pubsub::registry pubsub_shard;  ///< SSUBSCRIBE shard channels (Redis 7.0, non-cluster)
  pubsub::monitor_list monitors;  ///< MONITOR clients
  pubsub::notifier notifier;      ///< keyspace notifications: pubsub + notify-keyspace-events
  watch_registry watches;      ///< WATCHed keys (transactions)
  eviction_state eviction;     ///< maxmemory eviction: pool, INFO evicted_keys (eviction.hpp)
  server_stats stats;
  introspection_state introspection;  ///< slow log, latency monitor, errorstats, CLIENT PAUSE
  server_hooks hooks;
  std::string run_id;           ///< 40 hex chars, random per start
  std::int64_t start_ms = 0;    ///< Unix ms at start-up
  std::string executable;       ///< absolute path of kvd-server
  std::atomic<bool> loading{false};
  persist::loading_progress loading_progress;  ///< INFO loading_* while `loading` is true
  /// The AOF writer when `appendonly yes` (set once loading is done, or when CONFIG SET
  /// appendonly yes started the first rewrite), else null.
  std::atomic<persist::aof_writer*> aof{nullptr};
  persist::rdb_status rdb;        ///< snapshots: dirty counter, BGSAVE child, last save
  persist::aof_rewrite_status aofrw;  ///< AOF rewrites (BGREWRITEAOF child) and the writers opened
  std::atomic<int> tcp_port{0};   ///< bound RESP port
  std::atomic<int> http_port{0};  ///< bound HTTP port
  acl::registry acl{table};       ///< users, ACL LOG (acl/acl.hpp)
  /// config.requirepass_version the ACL registry last applied (acl.cpp sync_requirepass).
  std::atomic<std::uint64_t> acl_requirepass_version{0};
};

/// Drops every subscription of `c` (channels, patterns, shard channels) and its MONITOR
/// mode, without replies: RESET and disconnects (pubsub_family.cpp).
void pubsub_reset_client(client_context& c, server_state& s);

}  // namespace kvd::command
