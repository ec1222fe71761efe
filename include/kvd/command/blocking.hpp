// Blocking commands (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP): a client
// whose keys are all empty is parked on those keys, costing no thread and no polling, and is
// served in the order clients blocked, per key (Redis 7.0 src/blocked.c semantics).
//
// How a handler uses it:
//   1. Parse the timeout with parse_block_timeout() (it replies the error itself).
//   2. Try the non-blocking operation; if some key was ready, reply as usual.
//   3. Otherwise, if may_block(c) is false (HTTP, MULTI, AOF replay), reply the timeout reply
//      (null) right away. Else call block(...) and do not reply: the client's reply comes
//      later from `serve` (run when a key is created by another client's write) or, when the
//      timeout passes, the null reply `on_timeout`. Do not set c.prop; `serve` sets it.
//
// Atomicity: a write that creates a key some client is blocked on serves that client before
// its shard locks are released, so the pushed value is never visible to anyone else in
// between. `serve` runs with the locks of the ready key and of the waiter's `extra_keys`
// (e.g. BLMOVE's destination) held, in the waiter's database, with a reply builder for the
// waiter's protocol and a propagation that says what the served pop logs to the AOF (for
// example `LPOP key` or `LMOVE src dst LEFT RIGHT`); with nothing set it logs its own argv.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "kvd/command/command_table.hpp"

namespace kvd::command {

struct client_context;
class client_handle;

/// What a blocked client receives when its timeout passes: a null array (BLPOP BRPOP
/// BLMPOP BZPOPMIN BZPOPMAX BZMPOP; RESP2 `*-1`, RESP3 `_`) or a null bulk (BLMOVE
/// BRPOPLPUSH; RESP2 `$-1`, RESP3 `_`).
enum class block_timeout_reply { null_array, null_bulk };

/// Serves a blocked client once `ready_key` (one of its keys) exists again. Called with the
/// shard locks of ready_key and of the waiter's extra_keys held; `c.db` is the waiter's
/// database, `c.rb` writes to the waiter, `c.args` are the waiter's original arguments.
/// Returns true when it replied (the client is unblocked), false to keep waiting (the key
/// holds the wrong type or is empty again).
using serve_fn = std::function<bool(command_context& c, std::string_view ready_key)>;

/// Parses a blocking timeout argument: seconds, decimals allowed, 0 = wait forever (Redis
/// getTimeoutFromObjectOrReply). On a bad value replies Redis's error ("ERR timeout is not a
/// float or out of range", "ERR timeout is negative", "ERR timeout is out of range") and
/// returns nullopt. Returns milliseconds.
std::optional<std::int64_t> parse_block_timeout(command_context& c, std::string_view arg);

/// True when this client may block now; false for HTTP requests, commands inside MULTI and
/// the AOF loader, where a blocking command answers its timeout reply at once (Redis
/// semantics: blocking commands in MULTI behave as their non-blocking forms with timeout).
[[nodiscard]] bool may_block(const command_context& c) noexcept;

/// Replies the timeout reply `r` (a null of the right shape for the client's protocol).
void reply_timeout(command_context& c, block_timeout_reply r);

/// Parks the client on `keys` (in c.db) until one is served, `timeout_ms` passes (0 =
/// forever) or the client disconnects (then no waiter is left behind). `extra_keys` are
/// other keys `serve` writes (BLMOVE's destination); their locks are held when it runs.
/// Precondition: may_block(c). The handler must not reply after calling it.
void block(command_context& c, std::vector<std::string> keys, std::vector<std::string> extra_keys,
           std::int64_t timeout_ms, block_timeout_reply on_timeout, serve_fn serve);

/// One blocked client (Redis's bpop state). Created by block(); the session owns the timer,
/// the registry owns the queue positions. Fields after `serve` are guarded by the registry.
struct waiter {
  /// The blocked client. Valid while the waiter is queued: sessions cancel() their waiter
  /// before their client_context goes, and cancel() waits for a serve in progress.
  client_context* client = nullptr;
  std::weak_ptr<client_handle> handle;  ///< woken with client_handle::unblocked()
  const command_spec* cmd = nullptr;
  int db = 0;
  int resp = 2;                       ///< protocol the reply is written in
  std::vector<std::string> args;      ///< the blocking command's own arguments
  std::vector<std::string> keys;      ///< keys it waits on, in c.db
  std::vector<std::string> extra_keys;
  std::int64_t timeout_ms = 0;        ///< relative; 0 = forever
  block_timeout_reply on_timeout = block_timeout_reply::null_array;
  serve_fn serve;
  bool done = false;                  ///< served, timed out or cancelled
  std::string reply;                  ///< RESP bytes produced by serve
  std::uint64_t aof_seq = 0;          ///< AOF sequence of the served pop's record
};

/// Every blocked client, per (db, key) in the order they blocked. Thread-safe.
/// Lock order: shard locks, then the registry's mutex (never the other way round).
class blocking_registry {
 public:
  /// Number of blocked clients (INFO blocked_clients); cheap, read before every write.
  [[nodiscard]] std::size_t blocked() const noexcept { return blocked_.load(std::memory_order_acquire); }

  /// Queues `w` on each of its keys. Called by block() with the keys' shard locks held.
  void add(const std::shared_ptr<waiter>& w);
  /// Removes `w` if it is still waiting; returns true when it was (the caller then replies
  /// the timeout reply or drops it), false when it was already served.
  bool cancel(const std::shared_ptr<waiter>& w);
  /// True when client `id` is blocked (CLIENT LIST flags=b).
  [[nodiscard]] bool is_blocked(std::uint64_t id);
  /// CLIENT UNBLOCK: ends client `id`'s wait with its timeout reply, or with
  /// `-UNBLOCKED client unblocked via CLIENT UNBLOCK` when `as_error`; false if not blocked.
  bool unblock(std::uint64_t id, bool as_error);
  /// True when some client waits on (db, key).
  [[nodiscard]] bool has_waiters(int db, std::string_view key);
  /// Calls try_serve(w) for each waiter on (db, key), oldest first, holding the registry's
  /// mutex (so a timeout cannot race a serve); each waiter for which it returns true is
  /// marked done and removed from all its queues, and its handle is woken afterwards.
  /// Called with the shard lock of `key` held.
  void serve_key(int db, std::string_view key, const std::function<bool(waiter&)>& try_serve);
  /// Every (db, key) some client waits on (for writes that hold every lock: FLUSHALL, SWAPDB, MOVE).
  [[nodiscard]] std::vector<std::pair<int, std::string>> all_keys();

 private:
  void unlink(const std::shared_ptr<waiter>& w);
  struct key_hash {
    std::size_t operator()(const std::pair<int, std::string>& k) const noexcept {
      return std::hash<std::string>{}(k.second) * 31 + static_cast<std::size_t>(k.first);
    }
  };
  std::mutex mu_;
  boost::unordered_flat_map<std::uint64_t, std::shared_ptr<waiter>> by_client_;
  boost::unordered_flat_map<std::pair<int, std::string>, std::deque<std::shared_ptr<waiter>>, key_hash> by_key_;
  std::atomic<std::size_t> blocked_{0};
};

}  // namespace kvd::command
