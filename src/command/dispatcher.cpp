#include "kvd/command/dispatcher.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include "kvd/protocol/resp_writer.hpp"
#include "kvd/util/clock.hpp"

namespace kvd::command {

key_locks::key_locks(store::keyspace& ks, const command_spec& cmd, args_view args, int db) : ks_(ks) {
  if (cmd.has(f_global_lock)) {
    all_ = true;
    for (std::size_t i = 0; i < ks.lock_count(); ++i) ks.lock_at(i).lock();
    return;
  }
  auto push = [&](std::size_t idx) {
    if (n_ < std::size(small_) && big_.empty()) {
      small_[n_++] = idx;
    } else {
      if (big_.empty()) big_.assign(small_, small_ + n_);
      big_.push_back(idx);
    }
  };
  auto lock_key = [&](std::size_t i) {
    auto h = util::hash_bytes(args[i]);
    push(store::keyspace::lock_index(db, store::database::shard_index(h)));
  };
  if (cmd.has(f_movablekeys)) {
    std::vector<std::size_t> idx;
    movable_key_indexes(cmd, args, idx);
    for (auto i : idx)
      if (i < args.size()) lock_key(i);
  } else {
    for_each_key_index(cmd, args.size(), lock_key);
  }
  std::size_t* b = big_.empty() ? small_ : big_.data();
  std::size_t n = big_.empty() ? n_ : big_.size();
  std::sort(b, b + n);
  n = static_cast<std::size_t>(std::unique(b, b + n) - b);
  if (!big_.empty()) big_.resize(n);
  else n_ = n;
  for (std::size_t i = 0; i < n; ++i) ks.lock_at(b[i]).lock();
}

key_locks::key_locks(store::keyspace& ks) : ks_(ks), all_(true) {
  for (std::size_t i = 0; i < ks.lock_count(); ++i) ks.lock_at(i).lock();
}

bool key_locks::holds(std::size_t idx) const noexcept {
  if (all_) return true;
  const std::size_t* b = big_.empty() ? small_ : big_.data();
  std::size_t n = big_.empty() ? n_ : big_.size();
  return std::binary_search(b, b + n, idx);
}

key_locks::~key_locks() {
  if (all_) {
    for (std::size_t i = ks_.lock_count(); i-- > 0;) ks_.lock_at(i).unlock();
    return;
  }
  if (!big_.empty()) {
    for (auto i : big_) ks_.lock_at(i).unlock();
  } else {
    for (std::size_t i = 0; i < n_; ++i) ks_.lock_at(small_[i]).unlock();
  }
}

namespace {

/// Redis islocalClient: the peer is 127.0.0.1 or ::1 (`addr` is "ip:port").
bool is_local_addr(std::string_view addr) {
  auto colon = addr.rfind(':');
  auto ip = colon == std::string_view::npos ? addr : addr.substr(0, colon);
  return ip == "127.0.0.1" || ip == "::1";
}

bool protected_command_allowed(const std::string& mode, std::string_view addr) {
  return mode == "yes" || (mode == "local" && is_local_addr(addr));
}

/// Forwards replies and notes whether the command answered with an error (then nothing is
/// propagated: Redis propagates only commands that ran).
class error_probe final : public protocol::reply_builder {
 public:
  explicit error_probe(protocol::reply_builder& out) noexcept : out_(out) {}
  void simple(std::string_view s) override { out_.simple(s); }
  void error(std::string_view s) override {
    saw_error = true;
    out_.error(s);
  }
  void integer(std::int64_t v) override { out_.integer(v); }
  void bulk(std::string_view s) override { out_.bulk(s); }
  void null() override { out_.null(); }
  void null_array() override { out_.null_array(); }
  void array(std::size_t n) override { out_.array(n); }
  void map(std::size_t n) override { out_.map(n); }
  void set(std::size_t n) override { out_.set(n); }
  void push(std::size_t n) override { out_.push(n); }
  void dbl(double v) override { out_.dbl(v); }
  void boolean(bool v) override { out_.boolean(v); }
  void verbatim(std::string_view f, std::string_view t) override { out_.verbatim(f, t); }
  void set_protocol(int v) override { out_.set_protocol(v); }
  [[nodiscard]] int protocol() const noexcept override { return out_.protocol(); }
  bool saw_error = false;

 private:
  protocol::reply_builder& out_;
};

void reply_unknown_command(args_view args, protocol::reply_builder& rb) {
  // Redis 7.0 processCommand: up to 128 bytes of the following arguments, quoted.
  std::string begin;
  for (std::size_t i = 1; i < args.size() && begin.size() < 128; ++i) {
    std::size_t room = 128 - begin.size();
    begin += '\'';
    begin.append(args[i].substr(0, room));
    begin += "' ";
  }
  std::string msg = "ERR unknown command '";
  msg.append(args[0].substr(0, 128));
  msg += "', with args beginning with: ";
  msg += begin;
  rb.error(msg);
}

}  // namespace

void dispatcher::execute(client_context& c, args_view args, protocol::reply_builder& rb) {
  const command_spec* cmd = server_.table.find(args[0]);
  server_.stats.total_commands_processed.fetch_add(1, std::memory_order_relaxed);
  if (!cmd) {
    server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    return reply_unknown_command(args, rb);
  }
  if (!cmd->subcommands.empty() && args.size() >= 2) {
    const command_spec* sub = cmd->find_sub(args[1]);
    if (!sub) {
      std::string upper(args[0]);
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      std::string msg = "ERR unknown subcommand '";
      msg.append(args[1].substr(0, 128));
      msg += "'. Try " + upper + " HELP.";
      server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
      cmd->stats.rejected_calls.fetch_add(1, std::memory_order_relaxed);
      return rb.error(msg);
    }
    cmd = sub;
  }
  auto argc = static_cast<int>(args.size());
  if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity || !cmd->handler) {
    cmd->stats.rejected_calls.fetch_add(1, std::memory_order_relaxed);
    server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    return rb.error("ERR wrong number of arguments for '" + cmd->fullname + "' command");
  }
  if (cmd->has(f_protected) && !protected_command_allowed(server_.config.enable_debug_command, c.addr)) {
    cmd->stats.rejected_calls.fetch_add(1, std::memory_order_relaxed);
    server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    return rb.error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it "
        "from a local connection, otherwise you need to set this option in the configuration file, and then "
        "restart the server.");
  }
  if (server_.loading.load(std::memory_order_relaxed) && !cmd->has(f_loading) && !c.replaying_aof) {
    server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    return rb.error("LOADING Redis is loading the dataset in memory");
  }
  persist::aof_writer* aof = c.replaying_aof ? nullptr : server_.aof.load(std::memory_order_acquire);
  bool is_write = cmd->has(f_write);
  if (is_write && aof) {
    if (int e = aof->write_error()) {
      server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
      cmd->stats.rejected_calls.fetch_add(1, std::memory_order_relaxed);
      return rb.error(std::string("MISCONF Errors writing to the AOF file: ") + std::strerror(e));
    }
  }
  {
    std::lock_guard lk(c.info_mu);
    c.last_command = cmd->fullname;
  }
  std::int64_t start = util::now_us();
  std::vector<std::pair<int, std::string>> retry;
  {
    key_locks locks(server_.keyspace, *cmd, args, c.db);
    // Read again under the locks: CONFIG SET appendonly yes/no switches the writer with
    // every shard lock held, so a write is either in the rewrite's snapshot or in the log.
    if (!c.replaying_aof) aof = server_.aof.load(std::memory_order_acquire);
    propagation prop;
    error_probe probe(rb);
    command_context ctx{args, c, probe, server_, server_.keyspace.db(c.db), *cmd, prop};
    cmd->handler(ctx);
    if (probe.saw_error) {
      // INFO total_error_replies and commandstats failed_calls count handler errors too.
      server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
      cmd->stats.failed_calls.fetch_add(1, std::memory_order_relaxed);
    } else if (is_write && !prop.suppress && !c.replaying_aof) {
      server_.rdb.dirty.fetch_add(1, std::memory_order_relaxed);  // save rules (Redis server.dirty)
    }
    if (!probe.saw_error && is_write && aof && !prop.suppress) {
      // The record is appended while the key locks are held, so the log order is the
      // execution order for every key (DESIGN.md, durability contract).
      if (prop.replacement.empty()) {
        c.aof_seq = aof->append(c.db, args);
      } else {
        std::vector<std::string_view> v;
        for (auto& argv : prop.replacement) {
          v.assign(argv.begin(), argv.end());
          c.aof_seq = aof->append(c.db, v);
        }
      }
    }
    // A write may have created a key clients are blocked on: serve them before the locks
    // go, so the value is never visible to anyone else in between.
    if (is_write && !probe.saw_error && server_.blocking.blocked() > 0) serve_blocked(c, *cmd, args, locks, retry);
  }
  if (!retry.empty()) serve_retries(retry);
  cmd->stats.calls.fetch_add(1, std::memory_order_relaxed);
  cmd->stats.usec.fetch_add(static_cast<std::uint64_t>(util::now_us() - start), std::memory_order_relaxed);
}

void dispatcher::serve_blocked(client_context& c, const command_spec& cmd, args_view args, key_locks& locks,
                               std::vector<std::pair<int, std::string>>& retry) {
  std::vector<std::pair<int, std::string>> ready;
  if (locks.all()) {
    ready = server_.blocking.all_keys();
  } else {
    auto add = [&](std::size_t i) { ready.emplace_back(c.db, std::string(args[i])); };
    if (cmd.has(f_movablekeys)) {
      std::vector<std::size_t> idx;
      movable_key_indexes(cmd, args, idx);
      for (auto i : idx)
        if (i < args.size()) add(i);
    } else {
      for_each_key_index(cmd, args.size(), add);
    }
  }
  serve_ready(std::move(ready), locks, retry);
}

void dispatcher::serve_ready(std::vector<std::pair<int, std::string>> ready, key_locks& locks,
                             std::vector<std::pair<int, std::string>>& retry) {
  auto& ks = server_.keyspace;
  // Locks taken for waiters' extra keys (BLMOVE's destination), held to the end so that
  // chained waiters on those keys are served under them too.
  std::vector<std::size_t> extra;
  auto held = [&](std::size_t idx) { return locks.holds(idx) || std::find(extra.begin(), extra.end(), idx) != extra.end(); };
  persist::aof_writer* aof = server_.aof.load(std::memory_order_acquire);
  // Bounded: each served waiter may make its extra keys ready (BLMOVE chains).
  for (std::size_t n = 0; n < ready.size() && n < 4096; ++n) {
    auto [db, key] = ready[n];
    auto& d = ks.db(db);
    if (!d.find(key)) continue;
    server_.blocking.serve_key(db, key, [&](waiter& w) -> bool {
      for (auto& k : w.extra_keys) {
        auto idx = store::keyspace::lock_index(w.db, store::database::shard_index(util::hash_bytes(k)));
        if (held(idx)) continue;
        // Taking it in any order could deadlock with a writer that holds it and waits for
        // ours; try, and serve after our locks are released when it is busy.
        if (!ks.lock_at(idx).try_lock()) {
          retry.emplace_back(db, key);
          return false;
        }
        extra.push_back(idx);
      }
      propagation prop;
      w.reply.clear();
      protocol::resp_writer rw(&w.reply, w.resp);
      error_probe probe(rw);
      std::vector<std::string_view> argv(w.args.begin(), w.args.end());
      command_context ctx{argv, *w.client, probe, server_, d, *w.cmd, prop};
      if (!w.serve(ctx, key)) {
        w.reply.clear();
        return false;
      }
      if (!probe.saw_error && !prop.suppress) server_.rdb.dirty.fetch_add(1, std::memory_order_relaxed);
      if (!probe.saw_error && aof && !prop.suppress) {
        if (prop.replacement.empty()) {
          w.aof_seq = aof->append(w.db, argv);
        } else {
          std::vector<std::string_view> v;
          for (auto& a : prop.replacement) {
            v.assign(a.begin(), a.end());
            w.aof_seq = aof->append(w.db, v);
          }
        }
      }
      w.cmd->stats.calls.fetch_add(1, std::memory_order_relaxed);
      for (auto& k : w.extra_keys) ready.emplace_back(w.db, k);
      return true;
    });
  }
  for (auto idx : extra) ks.lock_at(idx).unlock();
}

void dispatcher::serve_retries(std::vector<std::pair<int, std::string>>& retry) {
  // Rare: a waiter's extra key was locked by another writer. Serve under every lock (the
  // value may have been taken by someone else meanwhile; then the waiter keeps waiting).
  key_locks all(server_.keyspace);
  std::vector<std::pair<int, std::string>> none;
  serve_ready(std::move(retry), all, none);
  retry.clear();
}

void client_registry::add(const std::shared_ptr<client_context>& c) {
  std::lock_guard lk(mu_);
  clients_[c->id] = c;
}

void client_registry::remove(std::uint64_t id) {
  std::lock_guard lk(mu_);
  clients_.erase(id);
}

std::vector<std::shared_ptr<client_context>> client_registry::list() const {
  std::vector<std::shared_ptr<client_context>> out;
  {
    std::lock_guard lk(mu_);
    out.reserve(clients_.size());
    for (auto& [id, w] : clients_)
      if (auto p = w.lock()) out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a->id < b->id; });
  return out;
}

std::size_t client_registry::size() const {
  std::lock_guard lk(mu_);
  return clients_.size();
}

}  // namespace kvd::command
