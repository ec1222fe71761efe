// Transactions: MULTI EXEC DISCARD WATCH UNWATCH (Redis 7.0 multi.c semantics).
//
// How a transaction runs:
// - MULTI sets client_context::in_multi. From then on the dispatcher checks each command as
//   Redis's processCommand does (unknown command, unknown subcommand, arity, no_multi,
//   MISCONF...): a rejected command answers its error and flags the transaction
//   (multi_error), which EXEC then discards with -EXECABORT. Accepted commands are copied
//   into multi_queue and answer +QUEUED. EXEC, DISCARD, MULTI, WATCH, QUIT and RESET run
//   at once instead (is_transaction_control).
// - EXEC (dispatcher::execute, which recognises cmd_exec) locks the union of the queued
//   commands' key shards in the one ascending lock order (every shard when a command is
//   flagged f_global_lock, has no key positions, or is SELECT), checks the watches
//   (watch.hpp) under those locks, then runs the commands one after the other and replies
//   an array of their replies; runtime errors are elements of that array. No other
//   client's command runs in between, on any io thread. Blocking commands inside run as
//   their non-blocking forms (may_block() is false while in_multi).
// - The writes of one EXEC reach the AOF as one contiguous group, framed MULTI ... EXEC when
//   there are several records (Redis 7.0 propagates a lone write bare); the client's
//   aof_seq is the group's end, so under appendfsync always the EXEC reply leaves once the
//   whole group is on disk.
#pragma once
#include "kvd/command/client_context.hpp"
#include "kvd/command/command_table.hpp"

namespace kvd::command {

struct server_state;

/// The EXEC row's handler. The dispatcher runs EXEC itself (it needs the lock set of the
/// queued commands); it recognises the row by this handler. Called directly, it answers
/// "ERR EXEC without MULTI" (it is only reached outside the dispatcher's transaction path).
void cmd_exec(command_context& c);

/// True for the commands that run at once inside MULTI instead of being queued: EXEC,
/// DISCARD, MULTI, WATCH, QUIT, RESET (Redis processCommand).
[[nodiscard]] bool is_transaction_control(const command_spec& cmd) noexcept;

/// Ends `c`'s transaction state (Redis discardTransaction): empties the queue, leaves
/// MULTI, clears the error and dirty flags and forgets every watched key. DISCARD, EXEC,
/// RESET and disconnection call it; harmless when there is no transaction.
void discard_transaction(server_state& s, client_context& c);

}  // namespace kvd::command
