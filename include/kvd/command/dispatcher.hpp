// The dispatcher: looks a command up in the table, checks arity (and, in later issues, auth
// and write rules), locks the keyspace shards of its keys in ascending order, runs the
// handler into a reply_builder, and counts it. RESP and HTTP both call execute().
#pragma once
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kvd/command/client_context.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/protocol/reply_builder.hpp"

namespace kvd::command {

class key_locks;

class dispatcher {
 public:
  explicit dispatcher(server_state& s) noexcept : server_(s) {}

  /// Runs one command (`args[0]` is its name; args non-empty) for client `c`, writing
  /// exactly one reply to `rb`. Errors (unknown command, arity) are replies, with Redis
  /// 7.0's texts; nothing throws except std::bad_alloc. Inside MULTI, commands are checked
  /// and queued (+QUEUED) and EXEC runs the queue atomically (multi.hpp).
  void execute(client_context& c, args_view args, protocol::reply_builder& rb);
  /// After a write: serves clients blocked on the keys it may have created (blocking.hpp).
  /// `locks` are the writer's; keys whose waiters need locks it could not take are queued
  /// in `retry` and served by serve_retries() once the writer's locks are released.
  void serve_blocked(client_context& c, const command_spec& cmd, args_view args, key_locks& locks,
                     std::vector<std::pair<int, std::string>>& retry);
  void serve_retries(std::vector<std::pair<int, std::string>>& retry);

 private:
  struct exec_effects;
  /// Runs one command whose locks are held: handler, counters, AOF record (queued in `fx`
  /// inside EXEC, else appended), WATCH touches, blocked clients (collected in `fx` inside
  /// EXEC, else served now).
  void run_locked(client_context& c, const command_spec& cmd, args_view args, protocol::reply_builder& rb,
                  persist::aof_writer* aof, key_locks& locks, exec_effects* fx,
                  std::vector<std::pair<int, std::string>>& retry);
  /// EXEC: EXECABORT, null (a watched key changed) or the array of the queued replies.
  void exec(client_context& c, const command_spec& cmd, protocol::reply_builder& rb);
  /// Sends one executed command to the MONITOR clients (Redis 7.0 replicationFeedMonitors).
  void feed_monitors(const client_context& c, const command_spec& cmd, args_view args, int db);
  /// Appends one EXEC's records contiguously (MULTI ... EXEC around several); returns the
  /// sequence to wait for.
  static std::uint64_t append_group(persist::aof_writer& aof,
                                    const std::vector<std::pair<int, std::vector<std::string>>>& records);
  /// Touches the keys a successful write modified (its written key specs; COPY ... DB and
  /// MOVE also in the target db).
  void touch_watched(const command_spec& cmd, args_view args, store::database& db);
  /// Keys of a write that may wake blocked clients: its keys, or every awaited key for
  /// f_global_lock commands (FLUSHALL, SWAPDB, MOVE...).
  void ready_keys(const command_spec& cmd, args_view args, int db, std::vector<std::pair<int, std::string>>& out);
  /// Serves waiters on each (db, key) of `ready` (which grows with chained keys), with
  /// `locks` held; see serve_blocked.
  void serve_ready(std::vector<std::pair<int, std::string>> ready, key_locks& locks,
                   std::vector<std::pair<int, std::string>>& retry);

 public:
  [[nodiscard]] server_state& server() noexcept { return server_; }

 private:
  server_state& server_;
};

/// Lock set for one command or one EXEC: the global shard lock indices of its keys,
/// ascending, unique. Holds them from construction to destruction. While a set holds every
/// shard, store::keyspace::thread_holds_all() is true on its thread: sets built meanwhile on
/// that thread (nested) take nothing, and the keyspace's self-locking methods lock nothing.
class key_locks {
 public:
  /// Locks the shards of `cmd`'s keys in `args` for database `db` (or all shards when the
  /// command is flagged f_global_lock).
  key_locks(store::keyspace& ks, const command_spec& cmd, args_view args, int db);
  /// EXEC: locks the union of the queued commands' key shards in database `db`, or every
  /// shard when one of them is flagged f_global_lock or has no key positions (SELECT,
  /// INFO...), all in the one ascending order.
  key_locks(store::keyspace& ks, std::span<const queued_command> cmds, int db);
  /// Locks every shard of every database.
  explicit key_locks(store::keyspace& ks);
  ~key_locks();
  key_locks(const key_locks&) = delete;
  key_locks& operator=(const key_locks&) = delete;
  /// True when global lock index `idx` is held by this set.
  [[nodiscard]] bool holds(std::size_t idx) const noexcept;
  /// True when every shard of every database is held.
  [[nodiscard]] bool all() const noexcept { return all_; }

 private:
  void lock_all();
  void add_keys(const command_spec& cmd, args_view args, int db);
  void lock_added();

  store::keyspace& ks_;
  bool all_ = false;
  bool nested_ = false;  ///< took nothing: this thread already held every lock
  std::size_t n_ = 0;
  std::size_t small_[16];
  std::vector<std::size_t> big_;
};

/// Positions of `cmd`'s keys in `args` (1-based first/last/step from the table); calls
/// f(index) for each. Used for locking, COMMAND GETKEYS, and later ACL key checks.
/// Key positions of a command flagged f_movablekeys (LMPOP, ZUNIONSTORE, SINTERCARD, SORT
/// ... STORE): Redis 7.0's key specs or getkeys procedure for these arguments
/// (command_family.cpp, the same code as COMMAND GETKEYS). Appends to `out`; malformed
/// arguments (a bad numkeys) give no keys, and the handler then replies the error without
/// touching the keyspace.
void movable_key_indexes(const command_spec& cmd, args_view args, std::vector<std::size_t>& out);

/// Positions of the keys a write command modifies (Redis key specs flagged RW, OW or RM;
/// every key position for commands without Redis metadata): WATCH touches these, not the
/// keys it only reads (SUNIONSTORE's sources, COPY's source). Appends to `out`
/// (command_family.cpp, from the same key specs as COMMAND GETKEYSANDFLAGS).
void written_key_indexes(const command_spec& cmd, args_view args, std::vector<std::size_t>& out);

/// Positions of `cmd`'s keys with the permissions an ACL key pattern must grant for each
/// (bit 1 read, bit 2 write, from the key specs' access/insert/delete/update flags; 0 =
/// any pattern matches), as Redis 7.0 ACLSelectorCheckCmd (command_family.cpp).
void acl_key_positions(const command_spec& cmd, args_view args, std::vector<std::pair<std::size_t, std::uint8_t>>& out);

template <class F>
void for_each_key_index(const command_spec& cmd, std::size_t argc, F&& f) {
  if (cmd.first_key <= 0) return;
  long last = cmd.last_key < 0 ? static_cast<long>(argc) + cmd.last_key : cmd.last_key;
  long step = cmd.key_step > 0 ? cmd.key_step : 1;
  for (long i = cmd.first_key; i <= last && i < static_cast<long>(argc); i += step) f(static_cast<std::size_t>(i));
}

}  // namespace kvd::command
