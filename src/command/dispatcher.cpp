#include "kvd/command/dispatcher.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include "kvd/acl/acl.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/eviction.hpp"
#include "kvd/command/multi.hpp"
#include "kvd/protocol/resp_writer.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {

key_locks::key_locks(store::keyspace& ks, const command_spec& cmd, args_view args, int db) : ks_(ks) {
  if (store::keyspace::thread_holds_all()) {
    nested_ = all_ = true;  // inside EXEC holding every lock: nothing more to take
    return;
  }
  if (cmd.has(f_global_lock)) {
    lock_all();
    return;
  }
  add_keys(cmd, args, db);
  lock_added();
}

key_locks::key_locks(store::keyspace& ks, std::span<const queued_command> cmds, int db) : ks_(ks) {
  if (store::keyspace::thread_holds_all()) {
    nested_ = all_ = true;
    return;
  }
  // Every shard when a command may reach beyond its key positions: f_global_lock, or no
  // key positions at all (SELECT changes the db of what follows; INFO and the like lock
  // shards themselves, which they skip while this thread holds them all).
  for (auto& q : cmds)
    if (q.cmd->has(f_global_lock) || (q.cmd->first_key <= 0 && !q.cmd->has(f_movablekeys))) {
      lock_all();
      return;
    }
  std::vector<std::string_view> argv;
  for (auto& q : cmds) {
    argv.assign(q.argv.begin(), q.argv.end());
    add_keys(*q.cmd, argv, db);
  }
  lock_added();
}

key_locks::key_locks(store::keyspace& ks) : ks_(ks) {
  if (store::keyspace::thread_holds_all()) {
    nested_ = all_ = true;
    return;
  }
  lock_all();
}

void key_locks::lock_all() {
  all_ = true;
  for (std::size_t i = 0; i < ks_.lock_count(); ++i) ks_.lock_at(i).lock();
  store::keyspace::thread_holds_all() = true;
}

void key_locks::add_keys(const command_spec& cmd, args_view args, int db) {
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
}

void key_locks::lock_added() {
  std::size_t* b = big_.empty() ? small_ : big_.data();
  std::size_t n = big_.empty() ? n_ : big_.size();
  std::sort(b, b + n);
  n = static_cast<std::size_t>(std::unique(b, b + n) - b);
  if (!big_.empty()) big_.resize(n);
  else n_ = n;
  for (std::size_t i = 0; i < n; ++i) ks_.lock_at(b[i]).lock();
}

bool key_locks::holds(std::size_t idx) const noexcept {
  if (all_) return true;
  const std::size_t* b = big_.empty() ? small_ : big_.data();
  std::size_t n = big_.empty() ? n_ : big_.size();
  return std::binary_search(b, b + n, idx);
}

key_locks::~key_locks() {
  if (nested_) return;
  if (all_) {
    store::keyspace::thread_holds_all() = false;
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
  error_probe(const error_probe&) = delete;  // error_probe(probe) must wrap it, not copy it
  void simple(std::string_view s) override { out_.simple(s); }
  void error(std::string_view s) override {
    if (!saw_error) code.assign(s.substr(0, s.find(' ')));  // errorstats: "ERR", "WRONGTYPE"...
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
  std::string code;  ///< first word of the first error

 private:
  protocol::reply_builder& out_;
};

/// The commands a RESP2 client in pub/sub mode may run (Redis 7.0 processCommand).
bool allowed_in_pubsub(const command_spec& cmd) {
  if (cmd.parent) return false;
  static constexpr std::string_view ok[] = {"ping",        "subscribe",  "ssubscribe",   "unsubscribe", "sunsubscribe",
                                            "psubscribe", "punsubscribe", "quit",       "reset"};
  for (auto n : ok)
    if (cmd.name == n) return true;
  return false;
}
/// Counts the command's error reply in INFO errorstats on every return path.
struct errorstat_guard {
  server_state& s;
  const error_probe& p;
  ~errorstat_guard() {
    if (p.saw_error) s.introspection.count_error(p.code);
  }
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

namespace {

/// Redis flagTransaction: a command rejected while queuing makes EXEC fail with EXECABORT.
void flag_transaction(client_context& c) noexcept {
  if (c.in_multi) c.multi_error = true;
}

/// Whether `cmd` writes (EXEC counts as a write when a queued command does, for MISCONF).
bool writes(const client_context& c, const command_spec& cmd) {
  if (cmd.has(f_write)) return true;
  if (c.in_multi && cmd.handler == cmd_exec)
    for (auto& q : c.multi_queue)
      if (q.cmd->has(f_write)) return true;
  return false;
}

}  // namespace

/// The writes of one EXEC: AOF records to append as one group and keys to serve waiters on.
struct dispatcher::exec_effects {
  std::vector<std::pair<int, std::vector<std::string>>> records;
  std::vector<std::pair<int, std::string>> ready;
};

void dispatcher::execute(client_context& c, args_view args, protocol::reply_builder& out) {
  error_probe rb(out);
  errorstat_guard errorstats{server_, rb};
  const command_spec* cmd = server_.table.find(args[0]);
  server_.stats.total_commands_processed.fetch_add(1, std::memory_order_relaxed);
  if (!cmd) {
    server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    flag_transaction(c);
    return reply_unknown_command(args, rb);
  }
  // Redis rejectCommand: counts, flags the transaction, and when the rejected command is
  // EXEC itself discards the transaction with the reason (execCommandAbort; Redis answers
  // so even outside MULTI: "EXEC x" is an EXECABORT).
  auto reject = [&](const command_spec* which, std::string_view msg) {
    server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    if (which) which->stats.rejected_calls.fetch_add(1, std::memory_order_relaxed);
    if (which && which->handler == cmd_exec) {
      discard_transaction(server_, c);
      if (msg.starts_with("ERR ")) msg.remove_prefix(4);
      return rb.error("EXECABORT Transaction discarded because of: " + std::string(msg));
    }
    flag_transaction(c);
    rb.error(msg);
  };
  if (!cmd->subcommands.empty() && args.size() >= 2) {
    const command_spec* sub = cmd->find_sub(args[1]);
    if (!sub) {
      std::string upper(args[0]);
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      std::string msg = "ERR unknown subcommand '";
      msg.append(args[1].substr(0, 128));
      msg += "'. Try " + upper + " HELP.";
      return reject(cmd, msg);
    }
    cmd = sub;
  }
  auto argc = static_cast<int>(args.size());
  if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity || !cmd->handler)
    return reject(cmd, "ERR wrong number of arguments for '" + cmd->fullname + "' command");
  {
    std::lock_guard lk(c.info_mu);  // Redis sets c->lastcmd at lookup: rejected commands show too
    c.last_command = cmd->fullname;
  }
  if (cmd->has(f_protected) && !protected_command_allowed(server_.config.enable_debug_command, c.addr)) {
    return reject(cmd,
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it "
        "from a local connection, otherwise you need to set this option in the configuration file, and then "
        "restart the server.");
  }
  // Redis 7.0 processCommand: NOAUTH before authentication, then the ACL (inside MULTI at
  // queue time, and again at EXEC).
  if (auto denied = acl::check_command(server_, c, *cmd, args)) return reject(cmd, *denied);
  if (c.subs.pubsub_mode && c.resp == 2 && !allowed_in_pubsub(*cmd)) {
    // Redis 7.0 processCommand: a RESP2 connection in pub/sub mode runs only these.
    return reject(cmd, "ERR Can't execute '" + cmd->fullname +
                           "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
  }
  if (server_.loading.load(std::memory_order_relaxed) && !cmd->has(f_loading) && !c.replaying_aof)
    return reject(nullptr, "LOADING Redis is loading the dataset in memory");
  // Redis processCommand: above maxmemory, evict before taking the command's locks; with
  // nothing to evict, refuse commands that may grow memory (eviction.hpp).
  if (!c.replaying_aof && server_.config.maxmemory.load(std::memory_order_relaxed) > 0 &&
      reject_for_oom(server_, c, *cmd))
    return reject(cmd, err::oom);
  persist::aof_writer* aof = c.replaying_aof ? nullptr : server_.aof.load(std::memory_order_acquire);
  // Redis writeCommandsDeniedByDiskError: a failed BGSAVE under save rules
  // (stop-writes-on-bgsave-error), then a failing AOF, refuse writes and PING.
  if (!c.replaying_aof && (writes(c, *cmd) || cmd->name == "ping")) {
    if (server_.config.stop_writes_on_bgsave_error.load(std::memory_order_relaxed) &&
        !server_.rdb.last_bgsave_ok.load(std::memory_order_relaxed) && !server_.config.save.get().empty())
      return reject(cmd,
                    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
                    "Commands that may modify the data set are disabled, because this instance is configured to "
                    "report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). "
                    "Please check the Redis logs for details about the RDB error.");
    if (aof) {
      if (int e = aof->write_error())
        return reject(cmd, std::string("MISCONF Errors writing to the AOF file: ") + std::strerror(e));
    }
  }
  if (c.in_multi && !is_transaction_control(*cmd)) {
    if (cmd->has(f_no_multi)) return reject(cmd, "ERR Command not allowed inside a transaction");
    c.multi_queue.push_back({cmd, std::vector<std::string>(args.begin(), args.end())});
    c.multi_count.store(static_cast<int>(c.multi_queue.size()), std::memory_order_relaxed);
    return rb.simple("QUEUED");
  }
  if (cmd->handler == cmd_exec) return exec(c, *cmd, rb);
  std::vector<std::pair<int, std::string>> retry;
  {
    key_locks locks(server_.keyspace, *cmd, args, c.db);
    // Read again under the locks: CONFIG SET appendonly yes/no switches the writer with
    // every shard lock held, so a write is either in the rewrite's snapshot or in the log.
    if (!c.replaying_aof) aof = server_.aof.load(std::memory_order_acquire);
    run_locked(c, *cmd, args, rb, aof, locks, nullptr, retry);
  }
  if (!retry.empty()) serve_retries(retry);
}

void dispatcher::run_locked(client_context& c, const command_spec& cmd, args_view args, protocol::reply_builder& rb,
                            persist::aof_writer* aof, key_locks& locks, exec_effects* fx,
                            std::vector<std::pair<int, std::string>>& retry) {
  std::int64_t start = util::now_us();
  bool is_write = cmd.has(f_write);
  int db_index = c.db;  // SELECT inside EXEC changes c.db for what follows, not for itself
  auto& db = server_.keyspace.db(db_index);
  propagation prop;
  error_probe probe(rb);
  command_context ctx{args, c, probe, server_, db, cmd, prop};
  cmd.handler(ctx);
  bool changed = is_write && !probe.saw_error && !prop.suppress;
  if (probe.saw_error) {
    // INFO total_error_replies and commandstats failed_calls count handler errors too.
    server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    cmd.stats.failed_calls.fetch_add(1, std::memory_order_relaxed);
  } else if (changed && !c.replaying_aof) {
    server_.rdb.dirty.fetch_add(1, std::memory_order_relaxed);  // save rules (Redis server.dirty)
  }
  if (changed && aof) {
    // The record is appended while the key locks are held, so the log order is the
    // execution order for every key (DESIGN.md, durability contract). Inside EXEC the
    // records wait for the whole transaction and go as one group.
    if (fx) {
      if (prop.replacement.empty()) fx->records.emplace_back(db_index, std::vector<std::string>(args.begin(), args.end()));
      for (auto& argv : prop.replacement) fx->records.emplace_back(db_index, std::move(argv));
    } else if (prop.replacement.empty()) {
      c.aof_seq = aof->append(db_index, args);
    } else {
      std::vector<std::string_view> v;
      for (auto& argv : prop.replacement) {
        v.assign(argv.begin(), argv.end());
        c.aof_seq = aof->append(db_index, v);
      }
    }
  }
  // Redis signalModifiedKey: clients watching a modified key see their EXEC fail.
  if (changed && server_.watches.active()) touch_watched(cmd, args, db);
  // A write may have created a key clients are blocked on: serve them before the locks
  // go, so the value is never visible to anyone else in between (after the whole
  // transaction for EXEC, as Redis serves them once EXEC is done).
  if (is_write && !probe.saw_error && server_.blocking.blocked() > 0) {
    if (fx) ready_keys(cmd, args, db_index, fx->ready);
    else serve_blocked(c, cmd, args, locks, retry);
  }
  auto duration = util::now_us() - start;
  cmd.stats.calls.fetch_add(1, std::memory_order_relaxed);
  cmd.stats.usec.fetch_add(static_cast<std::uint64_t>(duration), std::memory_order_relaxed);
  after_command(server_, c, cmd, args, duration);  // latencystats, slow log, latency monitor
  feed_monitors(c, cmd, args, db_index);
}

void dispatcher::feed_monitors(const client_context& c, const command_spec& cmd, args_view args, int db) {
  // MONITOR: every executed command but admin and skip_monitor ones (Redis 7.0 call()).
  if (server_.monitors.count() > 0 && !cmd.has(f_admin) && !cmd.has(f_skip_monitor) && !c.replaying_aof) {
    // Redis 7.0 redactClientCommandArgument: passwords of AUTH and HELLO ... AUTH never show.
    if (cmd.name == "auth" || cmd.name == "hello") {
      std::vector<std::string_view> red(args.begin(), args.end());
      for (std::size_t i = 1; i < red.size(); ++i) {
        if (cmd.name == "auth") {
          red[i] = "(redacted)";
        } else if (iequals(red[i], "auth") && i + 2 < red.size()) {
          red[i + 1] = red[i + 2] = "(redacted)";
          i += 2;
        }
      }
      server_.monitors.feed(pubsub::monitor_line(util::now_us(), db, c.addr, red.data(), red.size()));
      return;
    }
    server_.monitors.feed(pubsub::monitor_line(util::now_us(), db, c.addr, args.data(), args.size()));
  }
}

void dispatcher::exec(client_context& c, const command_spec& cmd, protocol::reply_builder& rb) {
  std::int64_t start = util::now_us();
  int db_at_exec = c.db;
  auto count = [&](bool failed) {
    if (failed) {
      server_.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
      cmd.stats.failed_calls.fetch_add(1, std::memory_order_relaxed);
    }
    auto duration = util::now_us() - start;
    cmd.stats.calls.fetch_add(1, std::memory_order_relaxed);
    cmd.stats.usec.fetch_add(static_cast<std::uint64_t>(duration), std::memory_order_relaxed);
    std::string_view exec_argv[] = {"EXEC"};
    after_command(server_, c, cmd, args_view(exec_argv, 1), duration);
    feed_monitors(c, cmd, args_view(exec_argv, 1), db_at_exec);
  };
  if (!c.in_multi) {
    rb.error("ERR EXEC without MULTI");
    return count(true);
  }
  if (c.multi_error) {
    discard_transaction(server_, c);
    rb.error("EXECABORT Transaction discarded because of previous errors.");
    return count(true);
  }
  persist::aof_writer* aof = c.replaying_aof ? nullptr : server_.aof.load(std::memory_order_acquire);
  std::vector<std::pair<int, std::string>> retry;
  {
    key_locks locks(server_.keyspace, c.multi_queue, c.db);
    if (!c.replaying_aof) aof = server_.aof.load(std::memory_order_acquire);  // as in execute()
    // Checked under the locks: a write to a watched key either touched it before, or runs
    // after the whole transaction.
    if (server_.watches.exec_aborts(c, util::now_ms())) {
      discard_transaction(server_, c);
      rb.null_array();
      return count(false);
    }
    // Unwatch first (Redis execCommand): the transaction's own writes need not touch them.
    server_.watches.unwatch_all(c);
    exec_effects fx;
    rb.array(c.multi_queue.size());
    std::vector<std::string_view> argv;
    for (auto& q : c.multi_queue) {
      argv.assign(q.argv.begin(), q.argv.end());
      // Redis 7.0 execCommand: ACL rules are checked again at EXEC.
      if (auto denied = acl::recheck_queued(server_, c, *q.cmd, argv)) {
        rb.error(*denied);
        continue;
      }
      run_locked(c, *q.cmd, argv, rb, aof, locks, &fx, retry);
    }
    if (aof && !fx.records.empty()) c.aof_seq = append_group(*aof, fx.records);
    if (!fx.ready.empty()) serve_ready(std::move(fx.ready), locks, retry);
  }
  discard_transaction(server_, c);
  if (!retry.empty()) serve_retries(retry);
  count(false);
}

std::uint64_t dispatcher::append_group(persist::aof_writer& aof,
                                       const std::vector<std::pair<int, std::vector<std::string>>>& records) {
  // Redis 7.0 propagatePendingCommands: several records are wrapped in MULTI ... EXEC (the
  // MULTI in the first record's db); a lone one goes bare, being atomic by itself.
  static const std::vector<std::string> multi{"MULTI"}, exec{"EXEC"};
  bool wrap = records.size() > 1;
  std::vector<std::vector<std::string_view>> views;
  views.reserve(records.size() + 2);  // no reallocation: `group` holds spans of these
  std::vector<persist::aof_record> group;
  group.reserve(records.size() + 2);
  auto add = [&](int db, const std::vector<std::string>& argv) {
    views.emplace_back(argv.begin(), argv.end());
    group.push_back({db, views.back()});
  };
  if (wrap) add(records.front().first, multi);
  for (auto& [db, argv] : records) add(db, argv);
  if (wrap) add(records.back().first, exec);
  return aof.append_all(group);
}

void dispatcher::touch_watched(const command_spec& cmd, args_view args, store::database& db) {
  std::vector<std::size_t> idx;
  written_key_indexes(cmd, args, idx);
  auto& ks = server_.keyspace;
  // The two writes whose keys may live in another database (Redis signals those dbs).
  if (cmd.name == "copy") {
    int dst = db.index();
    for (std::size_t j = 3; j + 1 < args.size(); ++j)
      if (iequals(args[j], "db")) {
        if (auto n = util::parse_int64(args[j + 1]); n && *n >= 0 && *n < ks.databases()) dst = static_cast<int>(*n);
        ++j;
      }
    if (args.size() > 2) server_.watches.touch(ks.db(dst), args[2]);
    return;
  }
  if (cmd.name == "move" && args.size() > 2) {
    if (auto n = util::parse_int64(args[2]); n && *n >= 0 && *n < ks.databases())
      server_.watches.touch(ks.db(static_cast<int>(*n)), args[1]);
  }
  for (auto i : idx)
    if (i < args.size()) server_.watches.touch(db, args[i]);
}

void dispatcher::ready_keys(const command_spec& cmd, args_view args, int db,
                            std::vector<std::pair<int, std::string>>& out) {
  if (cmd.has(f_global_lock)) {
    auto all = server_.blocking.all_keys();
    out.insert(out.end(), all.begin(), all.end());
    return;
  }
  auto add = [&](std::size_t i) { out.emplace_back(db, std::string(args[i])); };
  if (cmd.has(f_movablekeys)) {
    std::vector<std::size_t> idx;
    movable_key_indexes(cmd, args, idx);
    for (auto i : idx)
      if (i < args.size()) add(i);
  } else {
    for_each_key_index(cmd, args.size(), add);
  }
}

void dispatcher::serve_blocked(client_context& c, const command_spec& cmd, args_view args, key_locks& locks,
                               std::vector<std::pair<int, std::string>>& retry) {
  std::vector<std::pair<int, std::string>> ready;
  ready_keys(cmd, args, c.db, ready);
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
    int db = ready[n].first;  // not a structured binding: clang 14 cannot capture those (tools/fuzz)
    auto key = ready[n].second;
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
      if (!probe.saw_error && !prop.suppress) {
        server_.rdb.dirty.fetch_add(1, std::memory_order_relaxed);
        if (server_.watches.active()) {
          server_.watches.touch(d, key);
          for (auto& k : w.extra_keys) server_.watches.touch(ks.db(w.db), k);
        }
      }
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
