// Blocking commands: timeout parsing and the waiter registry (see blocking.hpp). Serving
// waiters when a key is created is done by the dispatcher (dispatcher.cpp, serve_blocked),
// which holds the shard locks of the writing command.
#include "kvd/command/blocking.hpp"

#include <algorithm>
#include <cmath>

#include "kvd/command/client_context.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/protocol/resp_writer.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {

std::optional<std::int64_t> parse_block_timeout(command_context& c, std::string_view arg) {
  // Redis getTimeoutFromObjectOrReply(UNIT_SECONDS): string2ld, times 1000, truncated.
  auto f = util::parse_long_double(arg);
  if (!f || std::isnan(*f)) return c.rb.error("ERR timeout is not a float or out of range"), std::nullopt;
  long double ms = *f * 1000.0L;
  if (ms < 0) return c.rb.error("ERR timeout is negative"), std::nullopt;
  if (ms >= static_cast<long double>(INT64_MAX - util::now_ms()))
    return c.rb.error("ERR timeout is out of range"), std::nullopt;
  return static_cast<std::int64_t>(ms);
}

bool may_block(const command_context& c) noexcept {
  return !c.client.is_http && !c.client.replaying_aof && !c.client.in_multi && !c.client.handle.expired();
}

void reply_timeout(command_context& c, block_timeout_reply r) {
  if (r == block_timeout_reply::null_array) c.rb.null_array();
  else c.rb.null();
}

void block(command_context& c, std::vector<std::string> keys, std::vector<std::string> extra_keys,
           std::int64_t timeout_ms, block_timeout_reply on_timeout, serve_fn serve) {
  auto w = std::make_shared<waiter>();
  w->client = &c.client;
  w->handle = c.client.handle;
  w->cmd = &c.cmd;
  w->db = c.client.db;
  w->resp = c.rb.protocol();
  w->args.assign(c.args.begin(), c.args.end());
  w->keys = std::move(keys);
  w->extra_keys = std::move(extra_keys);
  w->timeout_ms = timeout_ms;
  w->on_timeout = on_timeout;
  w->serve = std::move(serve);
  // Nothing is propagated for the blocking call itself; the served pop is (dispatcher).
  c.prop.none();
  c.server.blocking.add(w);
  c.client.blocked_on = std::move(w);
}

void blocking_registry::add(const std::shared_ptr<waiter>& w) {
  std::lock_guard lk(mu_);
  for (auto& k : w->keys) {
    auto& q = by_key_[{w->db, k}];
    if (std::find(q.begin(), q.end(), w) == q.end()) q.push_back(w);  // BLPOP k k waits once
  }
  by_client_[w->client->id] = w;
  blocked_.fetch_add(1, std::memory_order_release);
}

void blocking_registry::unlink(const std::shared_ptr<waiter>& w) {
  for (auto& k : w->keys) {
    auto it = by_key_.find(std::pair<int, std::string>{w->db, k});
    if (it == by_key_.end()) continue;
    auto& q = it->second;
    q.erase(std::remove(q.begin(), q.end(), w), q.end());
    if (q.empty()) by_key_.erase(it);
  }
  if (auto it = by_client_.find(w->client->id); it != by_client_.end() && it->second == w) by_client_.erase(it);
  w->done = true;
  blocked_.fetch_sub(1, std::memory_order_release);
}

bool blocking_registry::cancel(const std::shared_ptr<waiter>& w) {
  std::lock_guard lk(mu_);
  if (w->done) return false;
  unlink(w);
  return true;
}

bool blocking_registry::is_blocked(std::uint64_t id) {
  std::lock_guard lk(mu_);
  return by_client_.contains(id);
}

bool blocking_registry::unblock(std::uint64_t id, bool as_error) {
  std::shared_ptr<waiter> w;
  {
    std::lock_guard lk(mu_);
    auto it = by_client_.find(id);
    if (it == by_client_.end()) return false;
    w = it->second;
    unlink(w);
    w->reply.clear();
    protocol::resp_writer rw(&w->reply, w->resp);
    if (as_error) rw.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else if (w->on_timeout == block_timeout_reply::null_array) rw.null_array();
    else rw.null();
  }
  if (auto h = w->handle.lock()) h->unblocked();
  return true;
}

bool blocking_registry::has_waiters(int db, std::string_view key) {
  std::lock_guard lk(mu_);
  return by_key_.contains(std::pair<int, std::string>{db, std::string(key)});
}

void blocking_registry::serve_key(int db, std::string_view key, const std::function<bool(waiter&)>& try_serve) {
  std::vector<std::shared_ptr<waiter>> served;
  {
    std::lock_guard lk(mu_);
    auto it = by_key_.find(std::pair<int, std::string>{db, std::string(key)});
    if (it == by_key_.end()) return;
    auto queue = it->second;  // copy: unlink() edits the deque
    for (auto& w : queue) {
      if (w->done || !try_serve(*w)) continue;
      unlink(w);
      served.push_back(w);
    }
  }
  for (auto& w : served)
    if (auto h = w->handle.lock()) h->unblocked();
}

std::vector<std::pair<int, std::string>> blocking_registry::all_keys() {
  std::lock_guard lk(mu_);
  std::vector<std::pair<int, std::string>> out;
  out.reserve(by_key_.size());
  for (auto& [k, q] : by_key_) out.push_back(k);
  return out;
}

}  // namespace kvd::command
