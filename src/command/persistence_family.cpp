// RDB snapshots at server level: SAVE, BGSAVE [SCHEDULE], LASTSAVE, the save rules (cron),
// the save at shutdown and the start-up load (Redis 7.0 rdb.c, server.c).
//
// BGSAVE is a point-in-time snapshot by fork(): the command holds every shard lock
// (f_global_lock), so no write is half-done when the process is copied; the parent releases
// the locks as soon as fork() returns (the stall is the fork duration, INFO latest_fork_usec).
// The child writes temp-<pid>.rdb, fsyncs, renames it over dbfilename and _exit()s without
// logging or locking. The parent reaps it from the cron (waitpid WNOHANG).
//
// BGREWRITEAOF (Redis 7.0 multi-part AOF) works the same way: under every shard lock the AOF
// writer switches to a new incr file (listed in the manifest at once) and the forked child
// writes the new base into <appenddirname>/temp-rewriteaof-bg-<pid>.aof (an RDB file, or
// commands when aof-use-rdb-preamble is no). The cron reaps it, renames the file to its base
// name and swaps the manifest (new base + the incr files opened since the fork); the old
// base and incr files are deleted after the swap. One child at a time, as Redis.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <sstream>
#include <vector>

#include <spdlog/spdlog.h>

#include "kvd/command/command_table.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/persistence.hpp"
#include "kvd/util/clock.hpp"

namespace kvd::command {

namespace {

persist::rdb_save_options save_options(server_state& s) {
  persist::rdb_save_options o;
  o.compression = s.config.rdbcompression.load();
  o.checksum = s.config.rdbchecksum;
  o.used_memory = sample_memory().used;
  return o;
}

std::int64_t now_s() { return util::now_ms() / 1000; }

std::vector<std::pair<std::int64_t, std::int64_t>> save_rules(const server_state& s) {
  std::vector<std::pair<std::int64_t, std::int64_t>> r;
  std::istringstream in(s.config.save.get());
  std::int64_t sec, changes;
  while (in >> sec >> changes) r.emplace_back(sec, changes);
  return r;
}

}  // namespace

std::string rdb_path(const server_state& s) { return s.config.dir + "/" + s.config.dbfilename.get(); }

bool has_save_rules(const server_state& s) { return !save_rules(s).empty(); }

bool rdb_save_sync(server_state& s, std::string& error) {
  if (s.rdb.child_pid.load() != -1) {
    error = "ERR Background save already in progress";
    return false;
  }
  std::uint64_t dirty = s.rdb.dirty.load();
  std::string path = rdb_path(s);
  s.rdb.saves.fetch_add(1);
  if (!persist::rdb_save(s.keyspace, path, save_options(s), error)) {
    spdlog::warn("Failed saving the DB: {}", error);
    error = "ERR";
    return false;
  }
  s.rdb.dirty.fetch_sub(std::min(dirty, s.rdb.dirty.load()));
  s.rdb.lastsave = now_s();
  s.rdb.last_bgsave_ok = true;
  spdlog::info("DB saved on disk: {}", path);
  return true;
}

namespace {

/// First thing in a forked BGSAVE or rewrite child (Redis closeChildUnusedResourceAfterFork):
/// default signal actions, and every inherited descriptor above stderr closed, listening
/// sockets included, so that a child outliving the server never holds its ports. The child
/// opens its own output file afterwards.
void child_after_fork() {
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGUSR1, SIG_DFL);
  if (::close_range(3, ~0U, 0) != 0)
    for (int fd = 3; fd < 65536; ++fd) ::close(fd);
}

}  // namespace

bool child_active(const server_state& s) { return s.rdb.child_pid.load() != -1 || s.aofrw.child_pid.load() != -1; }

bool rdb_bgsave_start(server_state& s, std::string& error) {
  if (s.rdb.child_pid.load() != -1) {
    error = "ERR Background save already in progress";
    return false;
  }
  if (s.aofrw.child_pid.load() != -1) {
    error =
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to "
        "schedule a BGSAVE whenever possible.";
    return false;
  }
  auto opt = save_options(s);
  std::string path = rdb_path(s);
  s.rdb.lastbgsave_try = now_s();
  s.rdb.dirty_at_fork = s.rdb.dirty.load();
  std::int64_t t0 = util::now_us();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: one thread, a private copy of memory. No logging, no locks, no atexit handlers.
    child_after_fork();
    std::string err;
    bool ok = persist::rdb_save(s.keyspace, path, opt, err);
    if (!ok) {
      std::string msg = "kvd BGSAVE child: " + err + "\n";
      (void)!::write(2, msg.data(), msg.size());
    }
    ::_exit(ok ? 0 : 1);
  }
  std::int64_t fork_us = util::now_us() - t0;
  s.rdb.last_fork_us = fork_us;
  if (pid < 0) {
    int e = errno;
    s.rdb.last_bgsave_ok = false;
    spdlog::warn("Can't save in background: fork: {}", std::strerror(e));
    error = "ERR";
    return false;
  }
  s.rdb.child_start_ms = util::now_ms();
  s.rdb.saves.fetch_add(1);
  s.rdb.child_pid = pid;
  spdlog::info("Background saving started by pid {} (fork took {} us)", pid, fork_us);
  return true;
}

// ------------------------------------------------------------------ AOF rewrite

namespace {

/// Serializes starting, reaping and killing the rewrite child (the cron, BGREWRITEAOF and
/// CONFIG SET appendonly run on different threads). Taken after the shard locks, never before.
std::mutex aof_child_mu;

persist::fsync_policy configured_policy(const server_state& s) {
  persist::fsync_policy p = persist::fsync_policy::everysec;
  persist::parse_fsync_policy(s.config.appendfsync.get(), p);
  return p;
}

persist::aof_writer* keep_writer(server_state& s, std::unique_ptr<persist::aof_writer> w) {
  auto* raw = w.get();
  std::lock_guard lk(s.aofrw.writers_mu);
  s.aofrw.writers.push_back(std::move(w));
  return raw;
}

/// aof_rewrite_start with aof_child_mu held.
bool rewrite_start_locked(server_state& s, std::string& error) {
  auto& rw = s.aofrw;
  if (rw.child_pid.load() != -1) {
    error = "a rewrite is already in progress";
    return false;
  }
  if (s.rdb.child_pid.load() != -1) {
    error = "a BGSAVE child is running";
    return false;
  }
  auto paths = aof_paths_of(s);
  auto fail = [&](std::string why) {
    rw.last_ok = false;
    rw.last_failure_ms = util::now_ms();
    rw.consecutive_failures.fetch_add(1);
    error = std::move(why);
    spdlog::warn("Can't rewrite the append only file: {}", error);
    return false;
  };
  if (::mkdir(paths.folder().c_str(), 0755) != 0 && errno != EEXIST)
    return fail("cannot create " + paths.folder() + ": " + std::strerror(errno));
  persist::aof_writer* w = s.aof.load();
  std::vector<persist::manifest_entry> cur;
  std::int64_t first_kept = LLONG_MAX;  // appendonly no: the new base alone
  if (w) {
    std::int64_t iseq = w->rotate(error);
    if (iseq < 0) return fail(error);
    first_kept = iseq;
    cur = w->manifest();
  } else if (s.config.appendonly.load()) {
    // CONFIG SET appendonly yes: writes from now on go to a temp incr file until the first
    // base is installed (Redis AOF_WAIT_REWRITE).
    try {
      w = keep_writer(s, std::make_unique<persist::aof_writer>(paths, configured_policy(s),
                                                                persist::aof_writer::wait_rewrite_t{}));
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    s.aof.store(w, std::memory_order_release);
    cur = w->manifest();
  } else {
    struct stat st {};
    if (::stat(paths.manifest().c_str(), &st) == 0 && !persist::read_manifest(paths.manifest(), cur, error))
      return fail(error);
  }
  bool rdb = s.config.aof_use_rdb_preamble.load();
  std::int64_t bseq = persist::manifest_base_seq(cur) + 1;
  persist::rdb_save_options opt;
  opt.compression = s.config.rdbcompression.load();
  opt.checksum = s.config.rdbchecksum;
  opt.used_memory = sample_memory().used;
  opt.aof_base = true;
  std::string folder = paths.folder();
  std::int64_t t0 = util::now_us();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: one thread, a private copy of memory. No logging, no locks, no atexit handlers.
    child_after_fork();
    std::string tmp = folder + "/temp-rewriteaof-bg-" + std::to_string(::getpid()) + ".aof";
    std::string err;
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0;
    if (!ok) err = "cannot create " + tmp + ": " + std::strerror(errno);
    if (ok) ok = rdb ? persist::rdb_write_fd(s.keyspace, fd, opt, err) : persist::write_aof_base_fd(s.keyspace, fd, err);
    if (ok && ::fsync(fd) != 0) ok = false, err = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    if (!ok) {
      std::string msg = "kvd AOF rewrite child: " + tmp + ": " + err + "\n";
      (void)!::write(2, msg.data(), msg.size());
    }
    ::_exit(ok ? 0 : 1);
  }
  std::int64_t fork_us = util::now_us() - t0;
  s.rdb.last_fork_us = fork_us;
  if (pid < 0) return fail(std::string("fork: ") + std::strerror(errno));
  rw.temp_path = folder + "/temp-rewriteaof-bg-" + std::to_string(pid) + ".aof";
  rw.new_base = {persist::base_file_name(paths.filename, bseq, rdb), bseq, 'b'};
  rw.first_kept_incr_seq = first_kept;
  rw.with_writer = w != nullptr;
  rw.child_start_ms = util::now_ms();
  rw.rewrites.fetch_add(1);
  rw.scheduled = false;
  rw.child_pid.store(pid, std::memory_order_release);
  spdlog::info("Background append only file rewriting started by pid {} (fork took {} us)", pid, fork_us);
  return true;
}

/// Installs the base the child wrote; false (old manifest and files untouched) on failure.
bool rewrite_install(server_state& s, std::string& error) {
  auto& rw = s.aofrw;
  auto paths = aof_paths_of(s);
  std::string base_path = paths.folder() + "/" + rw.new_base.name;
  if (::rename(rw.temp_path.c_str(), base_path.c_str()) != 0) {
    error = "cannot rename " + rw.temp_path + " to " + base_path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  std::uint64_t base_bytes = ::stat(base_path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  persist::aof_writer* w = s.aof.load();
  bool ok = rw.with_writer && w ? w->finish_rewrite(rw.new_base, base_bytes, rw.first_kept_incr_seq, error)
                                : persist::swap_manifest(paths, rw.new_base, LLONG_MAX, error);
  if (!ok) {
    ::unlink(base_path.c_str());
    return false;
  }
  rw.base_size = w && rw.with_writer ? w->current_size() : base_bytes;
  return true;
}

void reap_aof_child(server_state& s) {
  std::lock_guard lk(aof_child_mu);
  auto& rw = s.aofrw;
  int pid = rw.child_pid.load(std::memory_order_acquire);
  if (pid == -1) return;
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == 0) return;
  bool ok = r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::string error;
  if (ok) {
    ok = rewrite_install(s, error);
    if (ok) spdlog::info("Background AOF rewrite finished successfully: base {}", rw.new_base.name);
    else spdlog::warn("Background AOF rewrite: installing the new base failed: {}", error);
  } else {
    if (r < 0) spdlog::warn("waitpid({}) of the AOF rewrite child: {}", pid, std::strerror(errno));
    else if (WIFSIGNALED(status)) spdlog::warn("Background AOF rewrite terminated by signal {}", WTERMSIG(status));
    else spdlog::warn("Background AOF rewrite terminated with error");
    ::unlink(rw.temp_path.c_str());
  }
  rw.last_ok = ok;
  if (ok) {
    rw.consecutive_failures = 0;
  } else {
    rw.consecutive_failures.fetch_add(1);
    rw.last_failure_ms = util::now_ms();
    // An AOF switched on at runtime has no base yet: try again (paced by the cron).
    if (auto* w = s.aof.load(); w && w->waiting_rewrite() && s.config.appendonly.load()) rw.scheduled = true;
  }
  rw.last_time_sec = (util::now_ms() - rw.child_start_ms.load()) / 1000;
  rw.child_pid.store(-1, std::memory_order_release);
}

/// Kills a running rewrite child and removes its temp file (aof_child_mu held).
void kill_aof_child(server_state& s) {
  int pid = s.aofrw.child_pid.load();
  if (pid == -1) return;
  spdlog::warn("Killing running AOF rewrite child: {}", pid);
  ::kill(pid, SIGUSR1);
  int st;
  ::waitpid(pid, &st, 0);
  ::unlink(s.aofrw.temp_path.c_str());
  s.aofrw.child_pid = -1;
}

bool aof_start_all_locked(server_state& s) {
  std::string err;
  return aof_rewrite_start(s, err);
}

/// Redis aofRewriteLimited: after 3 failures in a row, wait 1 minute, doubling up to an hour.
bool rewrite_limited(const server_state& s) {
  auto n = s.aofrw.consecutive_failures.load();
  if (n < 3) return false;
  std::int64_t delay_ms = 60'000LL << std::min<std::uint64_t>(n - 3, 6);
  return util::now_ms() - s.aofrw.last_failure_ms.load() < std::min<std::int64_t>(delay_ms, 3'600'000);
}

}  // namespace

persist::aof_paths aof_paths_of(const server_state& s) {
  return {s.config.dir, s.config.appenddirname, s.config.appendfilename};
}

bool aof_rewrite_start(server_state& s, std::string& error) {
  // The fsyncs of the switch (next incr file, manifest) run before the shard locks are
  // taken; under them only the switch and the fork remain (the rewrite's point in time).
  if (auto* w = s.aof.load(); w && s.aofrw.child_pid.load() == -1 && s.rdb.child_pid.load() == -1) {
    std::string err;
    if (!w->prepare_rotate(err)) spdlog::warn("AOF rewrite: preparing the next incr file failed: {}", err);
  }
  key_locks all(s.keyspace);
  std::lock_guard lk(aof_child_mu);
  return rewrite_start_locked(s, error);
}

persist::load_result aof_load_startup(server_state& s,
                                      const std::function<std::string(std::span<const std::string_view>)>& apply) {
  auto lim = rdb_limits(s);
  lim.progress = &s.loading_progress;  // an RDB base counts in INFO loading_loaded_bytes
  auto paths = aof_paths_of(s);
  auto res = persist::load_aof(paths, s.config.aof_load_truncated.load(), apply,
                               [&](std::string_view data, const std::string& path, std::size_t& consumed) {
                                 auto r = persist::rdb_load_buffer(s.keyspace, data, path, lim);
                                 if (!r.ok) return r.error;
                                 s.rdb.last_load_keys = r.keys;  // an RDB preamble counts, as in Redis
                                 s.rdb.last_load_expired = r.expired;
                                 consumed = r.consumed;
                                 return std::string();
                               });
  s.aofrw.base_size = persist::aof_files_size(paths);
  return res;
}

persist::aof_writer& aof_open_startup(server_state& s) {
  auto* w = keep_writer(s, std::make_unique<persist::aof_writer>(aof_paths_of(s), configured_policy(s)));
  s.aofrw.base_size = w->current_size();
  s.aof.store(w, std::memory_order_release);
  return *w;
}

void aof_config_changed(server_state& s) {
  key_locks all(s.keyspace);
  std::lock_guard lk(aof_child_mu);
  bool on = s.config.appendonly.load();
  auto* w = s.aof.load();
  if (!on) {
    kill_aof_child(s);
    s.aofrw.scheduled = false;
    if (w) {
      s.aof.store(nullptr, std::memory_order_release);
      bool waiting = w->waiting_rewrite();
      std::string path = w->incr_path();
      w->stop();
      if (waiting) ::unlink(path.c_str());  // a log no manifest lists (no base was installed)
      spdlog::info("AOF stopped (CONFIG SET appendonly no)");
    }
    return;
  }
  if (w) return;  // already on
  if (child_active(s)) {
    // Redis startAppendOnly: another child runs; the rewrite starts when it is done.
    s.aofrw.scheduled = true;
    spdlog::info("AOF was enabled but there is already another background operation. An AOF background was "
                 "scheduled to start when possible.");
    return;
  }
  std::string err;
  if (rewrite_start_locked(s, err)) {
    spdlog::info("AOF enabled: the first rewrite is writing the base");
  } else {
    spdlog::warn("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation: {}; "
                 "retrying from the cron",
                 err);
    s.aofrw.scheduled = true;
  }
}

void aof_shutdown(server_state& s) {
  {
    std::lock_guard lk(aof_child_mu);
    if (s.aofrw.child_pid.load() != -1) {
      spdlog::warn("There is a child rewriting the AOF. Killing it!");
      kill_aof_child(s);
    }
  }
  s.aof.store(nullptr, std::memory_order_release);
  std::lock_guard lk(s.aofrw.writers_mu);
  for (auto& w : s.aofrw.writers) w->stop();
}

namespace {

void reap_child(server_state& s) {
  int pid = s.rdb.child_pid.load();
  if (pid == -1) return;
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == 0) return;
  std::int64_t took = (util::now_ms() - s.rdb.child_start_ms.load()) / 1000;
  if (r < 0) {
    spdlog::warn("waitpid({}) of the BGSAVE child: {}", pid, std::strerror(errno));
    s.rdb.last_bgsave_ok = false;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    std::uint64_t before = s.rdb.dirty_at_fork.load();
    std::uint64_t cur = s.rdb.dirty.load();
    while (!s.rdb.dirty.compare_exchange_weak(cur, cur - std::min(cur, before))) {
    }
    s.rdb.lastsave = now_s();
    s.rdb.last_bgsave_ok = true;
    spdlog::info("Background saving terminated with success");
  } else {
    s.rdb.last_bgsave_ok = false;
    if (WIFSIGNALED(status)) {
      spdlog::warn("Background saving terminated by signal {}", WTERMSIG(status));
      // A child killed before its rename leaves its temp file behind.
      std::string tmp = s.config.dir + "/temp-" + std::to_string(pid) + ".rdb";
      ::unlink(tmp.c_str());
      if (WTERMSIG(status) == SIGUSR1) s.rdb.last_bgsave_ok = true;  // killed on purpose, as Redis
    } else {
      spdlog::warn("Background saving error");
    }
  }
  s.rdb.last_bgsave_time_sec = took;
  s.rdb.child_pid = -1;
}

bool start_locked(server_state& s) {
  std::string err;
  key_locks all(s.keyspace);
  return rdb_bgsave_start(s, err);
}

}  // namespace

void persistence_cron(server_state& s) {
  if (s.rdb.lastsave.load() == 0) s.rdb.lastsave = s.start_ms / 1000;
  reap_child(s);
  reap_aof_child(s);
  if (child_active(s) || s.loading.load()) return;
  // A rewrite asked for while another child ran (BGREWRITEAOF, CONFIG SET appendonly yes),
  // or the retry of a failed first rewrite (paced: at most once a second).
  if (s.aofrw.scheduled.load() && !rewrite_limited(s) && util::now_ms() - s.aofrw.last_failure_ms.load() >= 1000) {
    aof_start_all_locked(s);
    return;
  }
  if (s.rdb.scheduled.load()) {
    if (start_locked(s)) s.rdb.scheduled = false;
    return;
  }
  std::int64_t now = now_s();
  for (auto [sec, changes] : save_rules(s)) {
    // Redis serverCron: enough changes, enough time, and not retrying a failed save too fast.
    if (s.rdb.dirty.load() >= static_cast<std::uint64_t>(changes) && now - s.rdb.lastsave.load() > sec &&
        (now - s.rdb.lastbgsave_try.load() > 5 || s.rdb.last_bgsave_ok.load())) {
      spdlog::info("{} changes in {} seconds. Saving...", changes, sec);
      start_locked(s);
      return;
    }
  }
  // Automatic AOF rewrite (Redis serverCron): the AOF grew by auto-aof-rewrite-percentage
  // over its size after the last rewrite or start-up, and is past auto-aof-rewrite-min-size.
  auto* w = s.aof.load();
  int perc = s.config.auto_aof_rewrite_percentage.load();
  if (w && !w->waiting_rewrite() && perc > 0 && !rewrite_limited(s)) {
    std::uint64_t cur = w->current_size();
    if (cur > static_cast<std::uint64_t>(s.config.auto_aof_rewrite_min_size.load())) {
      std::uint64_t base = s.aofrw.base_size.load();
      if (base == 0) base = 1;
      auto growth = static_cast<std::int64_t>(cur * 100 / base) - 100;
      if (growth >= perc) {
        spdlog::info("Starting automatic rewriting of AOF on {}% growth", growth);
        aof_start_all_locked(s);
      }
    }
  }
}

void kill_rdb_child(server_state& s) {
  if (int pid = s.rdb.child_pid.load(); pid != -1) {
    spdlog::warn("There is a child saving an .rdb. Killing it!");
    ::kill(pid, SIGUSR1);
    int st;
    ::waitpid(pid, &st, 0);
    std::string tmp = s.config.dir + "/temp-" + std::to_string(pid) + ".rdb";
    ::unlink(tmp.c_str());
    s.rdb.child_pid = -1;
  }
}

bool persistence_shutdown(server_state& s, bool save, bool save_if_rules, bool locks_held, bool force) {
  // appendonly yes with no base yet: the first rewrite is scheduled (no writer) or running
  // (a writer in waiting mode). Not while loading: the AOF is on and complete then.
  if (auto* w = s.aof.load(); s.config.appendonly.load() && !s.loading.load() && (!w || w->waiting_rewrite())) {
    if (!force) {
      spdlog::warn("Writing initial AOF, can't exit.");
      return false;
    }
    spdlog::warn("Writing initial AOF. Exit anyway.");
  }
  {
    std::lock_guard lk(aof_child_mu);
    if (s.aofrw.child_pid.load() != -1) {
      spdlog::warn("There is a child rewriting the AOF. Killing it!");
      kill_aof_child(s);
    }
  }
  kill_rdb_child(s);
  if (!save && !(save_if_rules && has_save_rules(s))) return true;
  spdlog::info("Saving the final RDB snapshot before exiting.");
  std::string err;
  bool ok;
  if (locks_held) {
    ok = rdb_save_sync(s, err);
  } else {
    key_locks all(s.keyspace);
    ok = rdb_save_sync(s, err);
  }
  if (!ok) spdlog::warn("Error trying to save the DB, can't exit.");
  return ok;
}

persist::rdb_load_result rdb_load_startup(server_state& s) {
  auto lim = rdb_limits(s);
  lim.progress = &s.loading_progress;  // INFO loading_* fields
  auto r = persist::rdb_load(s.keyspace, rdb_path(s), lim);
  if (r.ok && !r.missing) {
    s.rdb.last_load_keys = r.keys;
    s.rdb.last_load_expired = r.expired;
  }
  return r;
}

persist::rdb_load_limits rdb_limits(const server_state& s) {
  persist::rdb_load_limits lim;
  auto& c = s.config;
  lim.list_fill = c.list_max_listpack_size.load();
  lim.hash_max_listpack_entries = c.hash_max_listpack_entries.load();
  lim.hash_max_listpack_value = c.hash_max_listpack_value.load();
  lim.set_max_intset_entries = c.set_max_intset_entries.load();
  lim.zset_max_listpack_entries = c.zset_max_listpack_entries.load();
  lim.zset_max_listpack_value = c.zset_max_listpack_value.load();
  lim.verify_checksum = c.rdbchecksum;
  return lim;
}

namespace {

void cmd_save(command_context& c) {
  std::string err;
  if (!rdb_save_sync(c.server, err)) return c.rb.error(err);
  c.rb.simple("OK");
}

void cmd_bgsave(command_context& c) {
  bool schedule = false;
  if (c.argc() > 1) {
    if (c.argc() == 2 && iequals(c.arg(1), "schedule")) schedule = true;
    else return c.rb.error(err::syntax);
  }
  if (c.server.rdb.child_pid.load() == -1 && c.server.aofrw.child_pid.load() != -1 && schedule) {
    c.server.rdb.scheduled = true;
    return c.rb.simple("Background saving scheduled");
  }
  std::string err;
  if (!rdb_bgsave_start(c.server, err)) return c.rb.error(err);
  c.rb.simple("Background saving started");
}

void cmd_bgrewriteaof(command_context& c) {
  auto& s = c.server;
  if (s.aofrw.child_pid.load() != -1) return c.rb.error("ERR Background append only file rewriting already in progress");
  if (child_active(s)) {
    s.aofrw.scheduled = true;
    return c.rb.simple("Background append only file rewriting scheduled");
  }
  std::string err;
  if (!aof_rewrite_start(s, err))
    return c.rb.error(
        "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.");
  c.rb.simple("Background append only file rewriting started");
}

void cmd_lastsave(command_context& c) {
  auto t = c.server.rdb.lastsave.load();
  c.rb.integer(t ? t : c.server.start_ms / 1000);
}

}  // namespace

void register_persistence_family(command_table& t) {
  t.add({"save", 1, f_admin | f_noscript | f_no_multi | f_global_lock, 0, 0, 0, cmd_save, "admin slow dangerous"});
  t.add({"bgsave", -1, f_admin | f_noscript | f_global_lock, 0, 0, 0, cmd_bgsave, "admin slow dangerous"});
  // No f_global_lock: aof_rewrite_start() takes every shard lock itself, after the fsyncs.
  t.add({"bgrewriteaof", 1, f_admin | f_noscript, 0, 0, 0, cmd_bgrewriteaof, "admin slow dangerous"});
  t.add({"lastsave", 1, f_loading | f_stale | f_fast, 0, 0, 0, cmd_lastsave, "admin fast dangerous"});
}

}  // namespace kvd::command
