// RDB snapshots at server level: SAVE, BGSAVE [SCHEDULE], LASTSAVE, the save rules (cron),
// the save at shutdown and the start-up load (Redis 7.0 rdb.c, server.c).
//
// BGSAVE is a point-in-time snapshot by fork(): the command holds every shard lock
// (f_global_lock), so no write is half-done when the process is copied; the parent releases
// the locks as soon as fork() returns (the stall is the fork duration, INFO latest_fork_usec).
// The child writes temp-<pid>.rdb, fsyncs, renames it over dbfilename and _exit()s without
// logging or locking. The parent reaps it from the cron (waitpid WNOHANG).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

bool rdb_bgsave_start(server_state& s, std::string& error) {
  if (s.rdb.child_pid.load() != -1) {
    error = "ERR Background save already in progress";
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
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGUSR1, SIG_DFL);
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
  s.rdb.child_pid = pid;
  spdlog::info("Background saving started by pid {} (fork took {} us)", pid, fork_us);
  return true;
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
  if (s.rdb.child_pid.load() != -1 || s.loading.load()) return;
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
      break;
    }
  }
}

bool persistence_shutdown(server_state& s, bool save, bool save_if_rules, bool locks_held) {
  if (int pid = s.rdb.child_pid.load(); pid != -1) {
    spdlog::warn("There is a child saving an .rdb. Killing it!");
    ::kill(pid, SIGUSR1);
    int st;
    ::waitpid(pid, &st, 0);
    std::string tmp = s.config.dir + "/temp-" + std::to_string(pid) + ".rdb";
    ::unlink(tmp.c_str());
    s.rdb.child_pid = -1;
  }
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
  persist::rdb_load_limits lim;
  auto& c = s.config;
  lim.list_fill = c.list_max_listpack_size.load();
  lim.hash_max_listpack_entries = c.hash_max_listpack_entries.load();
  lim.hash_max_listpack_value = c.hash_max_listpack_value.load();
  lim.set_max_intset_entries = c.set_max_intset_entries.load();
  lim.zset_max_listpack_entries = c.zset_max_listpack_entries.load();
  lim.zset_max_listpack_value = c.zset_max_listpack_value.load();
  lim.verify_checksum = c.rdbchecksum;
  lim.progress = &s.loading_progress;
  return persist::rdb_load(s.keyspace, rdb_path(s), lim);
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
  (void)schedule;  // no other kind of child exists yet: SCHEDULE starts at once, as Redis then does
  std::string err;
  if (!rdb_bgsave_start(c.server, err)) return c.rb.error(err);
  c.rb.simple("Background saving started");
}

void cmd_lastsave(command_context& c) {
  auto t = c.server.rdb.lastsave.load();
  c.rb.integer(t ? t : c.server.start_ms / 1000);
}

}  // namespace

void register_persistence_family(command_table& t) {
  t.add({"save", 1, f_admin | f_noscript | f_no_multi | f_global_lock, 0, 0, 0, cmd_save, "admin slow dangerous"});
  t.add({"bgsave", -1, f_admin | f_noscript | f_global_lock, 0, 0, 0, cmd_bgsave, "admin slow dangerous"});
  t.add({"lastsave", 1, f_loading | f_stale | f_fast, 0, 0, 0, cmd_lastsave, "admin fast dangerous"});
}

}  // namespace kvd::command
