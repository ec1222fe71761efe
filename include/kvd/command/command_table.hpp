// The command table: one row per Redis command with its arity, flags, key positions and
// handler, used by the RESP and HTTP front ends alike and by COMMAND. Values are Redis 7.0's
// (src/commands/<name>.json); see DESIGN.md "The command table".
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "kvd/protocol/reply_builder.hpp"

namespace kvd::store {
class database;
}

namespace kvd::command {

struct client_context;
struct server_state;

/// Arguments of one command, name first; views into the connection's read buffer.
using args_view = std::span<const std::string_view>;

/// What a write command logs to the AOF (Redis's propagate): by default its own arguments
/// when it replied without an error. Handlers call none() when nothing changed, replace()
/// to log other commands instead (relative expiries become absolute: SET ... PXAT,
/// PEXPIREAT), and also() to log several.
struct propagation {
  bool suppress = false;
  std::vector<std::vector<std::string>> replacement;

  void none() noexcept { suppress = true; }
  void replace(std::vector<std::string> argv) {
    replacement.clear();
    replacement.push_back(std::move(argv));
  }
  void also(std::vector<std::string> argv) { replacement.push_back(std::move(argv)); }
};

/// What a handler gets: its arguments, the client, the reply sink, the server and the
/// client's selected database (shard locks of its keys are held for the call).
struct command_context {
  args_view args;
  client_context& client;
  protocol::reply_builder& rb;
  server_state& server;
  store::database& db;
  const struct command_spec& cmd;
  propagation& prop;  ///< what a write logs to the AOF (see propagation)

  [[nodiscard]] std::string_view arg(std::size_t i) const noexcept { return args[i]; }
  [[nodiscard]] std::size_t argc() const noexcept { return args.size(); }
};

using handler_fn = void (*)(command_context&);

/// Redis 7.0 command flags (COMMAND INFO names in comments) plus kvd's locking flags.
enum cmd_flag : std::uint32_t {
  f_write = 1u << 0,          // write
  f_readonly = 1u << 1,       // readonly
  f_denyoom = 1u << 2,        // denyoom
  f_admin = 1u << 3,          // admin
  f_pubsub = 1u << 4,         // pubsub
  f_noscript = 1u << 5,       // noscript
  f_blocking = 1u << 6,       // blocking
  f_loading = 1u << 7,        // loading
  f_stale = 1u << 8,          // stale
  f_skip_monitor = 1u << 9,   // skip_monitor
  f_skip_slowlog = 1u << 10,  // skip_slowlog
  f_fast = 1u << 11,          // fast
  f_no_auth = 1u << 12,       // no_auth
  f_may_replicate = 1u << 13, // may_replicate
  f_no_mandatory_keys = 1u << 14,  // no_mandatory_keys
  f_no_multi = 1u << 15,      // no_multi
  f_allow_busy = 1u << 16,    // allow_busy
  f_sentinel = 1u << 17,      // sentinel
  f_only_sentinel = 1u << 18, // only_sentinel
  f_movablekeys = 1u << 19,   // movablekeys (COMMAND INFO only)
  /// kvd: lock every shard of every database (FLUSHALL, SWAPDB, KEYS, MOVE...).
  f_global_lock = 1u << 24,
  /// kvd: Redis's CMD_PROTECTED (DEBUG): allowed only as `enable-debug-command` says.
  f_protected = 1u << 25,
  /// kvd: key positions are not first/last/step; lock globally (MSET-like are fine).
};

class latency_histogram;

/// Per-command counters for INFO commandstats and latencystats (relaxed atomics: lock-free).
struct command_stats {
  std::atomic<std::uint64_t> calls{0}, usec{0}, rejected_calls{0}, failed_calls{0};
  /// Created on the first sample (latency-tracking yes), then kept; introspection.cpp.
  std::atomic<latency_histogram*> latency{nullptr};
  command_stats() = default;
  command_stats(const command_stats&) = delete;
  command_stats& operator=(const command_stats&) = delete;
  ~command_stats();
};

/// One row. `name` is lower case; `container` commands (CONFIG, CLIENT, OBJECT, COMMAND)
/// have `subcommands` and no handler of their own.
struct command_spec {
  std::string name;
  int arity = 0;              ///< Redis convention: -N means at least N, counting the name
  std::uint32_t flags = 0;
  int first_key = 0, last_key = 0, key_step = 0;  ///< 1-based; last -1 = last arg
  handler_fn handler = nullptr;
  std::string acl_categories;  ///< space-separated without '@', e.g. "write string slow"
  std::string fullname;        ///< "config|get" for subcommands, else name
  std::size_t id = 0;          ///< dense, unique over commands and subcommands (ACL bitmaps)
  const command_spec* parent = nullptr;
  std::deque<command_spec> subcommands;
  mutable command_stats stats;

  /// Subcommand by case-insensitive name, or nullptr.
  [[nodiscard]] const command_spec* find_sub(std::string_view sub) const noexcept;
  [[nodiscard]] bool has(cmd_flag f) const noexcept { return (flags & f) != 0; }
};

/// Row initializer used by the family files: {name, arity, flags, first, last, step, handler, acl}.
struct command_row {
  std::string_view name;
  int arity;
  std::uint32_t flags;
  int first_key, last_key, key_step;
  handler_fn handler;
  std::string_view acl_categories;
};

/// All commands, looked up by case-insensitive name without allocating.
class command_table {
 public:
  /// Adds a top-level command. Returns it, so subcommands can be added.
  command_spec& add(const command_row& row);
  /// Adds a subcommand `row` (name without the parent, e.g. "get") to `parent`.
  command_spec& add_sub(command_spec& parent, const command_row& row);

  /// Finds a top-level command by name, case-insensitively; nullptr when unknown.
  [[nodiscard]] const command_spec* find(std::string_view name) const noexcept;
  /// Every top-level command, in registration order.
  [[nodiscard]] const std::deque<command_spec>& all() const noexcept { return commands_; }
  /// Number of ids handed out (commands plus subcommands).
  [[nodiscard]] std::size_t id_count() const noexcept { return next_id_; }

 private:
  struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::deque<command_spec> commands_;
  std::size_t next_id_ = 0;
  boost::unordered_flat_map<std::string, command_spec*, name_hash, std::equal_to<>> by_name_;
};

/// Registers every command family (the one place that lists them; like dragonfly
/// command_families.h). Each family file defines its register_* function.
void register_all_families(command_table& t);
void register_connection_family(command_table& t);
void register_string_family(command_table& t);
void register_keyspace_family(command_table& t);
void register_server_family(command_table& t);
void register_command_family(command_table& t);
void register_list_family(command_table& t);    ///< list_family.cpp: L*, R*, BL*, BR*, LMPOP
void register_set_family(command_table& t);     ///< set_family.cpp: S*
void register_hash_family(command_table& t);    ///< hash_family.cpp: H*
void register_zset_family(command_table& t);    ///< zset_family.cpp: Z*, BZ*
void register_persistence_family(command_table& t);  ///< persistence_family.cpp: SAVE, BGSAVE, LASTSAVE
void register_dump_family(command_table& t);  ///< dump_family.cpp: DUMP, RESTORE
void register_bitops_family(command_table& t);  ///< bitops_family.cpp: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD*
void register_sort_family(command_table& t);    ///< sort_family.cpp: SORT SORT_RO
void register_pubsub_family(command_table& t);  ///< pubsub_family.cpp: (P|S)(UN)SUBSCRIBE (S)PUBLISH PUBSUB MONITOR
void register_introspection_family(command_table& t);  ///< introspection_family.cpp: SLOWLOG LATENCY MEMORY
void register_multi_family(command_table& t);   ///< multi_family.cpp: MULTI EXEC DISCARD WATCH UNWATCH
void register_acl_family(command_table& t);     ///< acl_family.cpp: AUTH ACL

/// ACL category bits of a row: its own categories plus those Redis implies from its flags
/// (server.c setImplicitACLCategories); bit i is acl::categories()[i] (command_family.cpp).
std::uint32_t acl_category_mask(const command_spec& c);

/// Lower-cases ASCII into `buf` (capacity `cap`); returns the view, or empty if too long.
std::string_view to_lower(std::string_view s, char* buf, std::size_t cap) noexcept;
/// True when a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace kvd::command
