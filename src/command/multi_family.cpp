// Transaction commands: MULTI EXEC DISCARD WATCH UNWATCH (Redis 7.0 multi.c). Queuing and
// EXEC itself live in the dispatcher (dispatcher.cpp), which owns the lock order; see
// multi.hpp for the whole picture and watch.hpp for WATCH.
#include "kvd/command/multi.hpp"

#include "kvd/command/server_state.hpp"

namespace kvd::command {

bool is_transaction_control(const command_spec& cmd) noexcept {
  // Redis processCommand: these run at once inside MULTI; everything else is queued.
  const auto& n = cmd.parent ? cmd.parent->name : cmd.name;
  return n == "exec" || n == "discard" || n == "multi" || n == "watch" || n == "quit" || n == "reset";
}

void discard_transaction(server_state& s, client_context& c) {
  c.multi_queue.clear();
  if (c.multi_queue.capacity() > 1024) std::vector<queued_command>().swap(c.multi_queue);
  c.in_multi = false;
  c.multi_error = false;
  c.multi_count.store(-1, std::memory_order_relaxed);
  s.watches.unwatch_all(c);
  c.dirty_cas.store(false, std::memory_order_relaxed);
}

namespace {

void cmd_multi(command_context& c) {
  if (c.client.in_multi) return c.rb.error("ERR MULTI calls can not be nested");
  c.client.in_multi = true;
  c.client.multi_count.store(0, std::memory_order_relaxed);
  c.rb.simple("OK");
}

void cmd_discard(command_context& c) {
  if (!c.client.in_multi) return c.rb.error("ERR DISCARD without MULTI");
  discard_transaction(c.server, c.client);
  c.rb.simple("OK");
}

/// WATCH key [key ...]: the dispatcher holds the keys' shard locks.
void cmd_watch(command_context& c) {
  if (c.client.in_multi) return c.rb.error("ERR WATCH inside MULTI is not allowed");
  // No point in watching when EXEC will fail anyway (Redis watchCommand).
  if (!c.client.dirty_cas.load(std::memory_order_relaxed))
    for (std::size_t i = 1; i < c.argc(); ++i) c.server.watches.watch(c.client, c.db, c.arg(i));
  c.rb.simple("OK");
}

void cmd_unwatch(command_context& c) {
  c.server.watches.unwatch_all(c.client);
  c.client.dirty_cas.store(false, std::memory_order_relaxed);
  c.rb.simple("OK");
}

}  // namespace

void cmd_exec(command_context& c) { c.rb.error("ERR EXEC without MULTI"); }

void register_multi_family(command_table& t) {
  constexpr auto fl = f_noscript | f_loading | f_stale | f_fast | f_allow_busy;
  t.add({"discard", 1, fl, 0, 0, 0, cmd_discard, "fast transaction"});
  t.add({"exec", 1, f_noscript | f_loading | f_stale | f_skip_slowlog, 0, 0, 0, cmd_exec, "slow transaction"});
  t.add({"multi", 1, fl, 0, 0, 0, cmd_multi, "fast transaction"});
  t.add({"unwatch", 1, fl, 0, 0, 0, cmd_unwatch, "fast transaction"});
  t.add({"watch", -2, fl, 1, -1, 1, cmd_watch, "fast transaction"});
}

}  // namespace kvd::command
