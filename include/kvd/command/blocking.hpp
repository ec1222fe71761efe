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
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/command/command_table.hpp"

namespace kvd::command {

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

}  // namespace kvd::command
