// RDB snapshots at server level (Redis rdb.c rdbSave/rdbSaveBackground, server.c serverCron
// save rules, prepareForShutdown): SAVE, BGSAVE (fork with every shard lock held, so the child
// holds one point-in-time state), the save rules checked by the cron, the save at shutdown,
// and the start-up load of dir/dbfilename. AOF rewrites (Redis 7.0 aof.c): BGREWRITEAOF, the
// automatic rewrite, CONFIG SET appendonly yes/no, the start-up AOF load with an RDB base.
// Commands: persistence_family.cpp.
#pragma once
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "kvd/command/server_state.hpp"
#include "kvd/persist/rdb.hpp"

namespace kvd::command {

/// `<dir>/<dbfilename>`.
std::string rdb_path(const server_state& s);

/// Writes the snapshot now (SAVE). The caller holds every shard lock. On success resets the
/// dirty counter and sets lastsave. Returns false with `error` on failure.
bool rdb_save_sync(server_state& s, std::string& error);

/// Forks a BGSAVE child; the caller holds every shard lock (released right after this
/// returns). Returns false with `error` when a child is already running or fork fails.
bool rdb_bgsave_start(server_state& s, std::string& error);

/// Cron step (control strand): reaps a finished BGSAVE child (waitpid WNOHANG) and records
/// its status, starts a scheduled BGSAVE, and checks the `save` rules. Takes every shard
/// lock itself when it forks; call with none held.
void persistence_cron(server_state& s);

/// Before exit (SHUTDOWN, SIGTERM): kills a running BGSAVE child, then saves synchronously
/// when `save` is true, or when `save_if_rules` and save rules are configured. Takes every
/// shard lock unless `locks_held`. Returns false (the server must keep running, as Redis)
/// when the save failed, or, unless `force` (SHUTDOWN FORCE), while an AOF switched on at
/// runtime still waits for its first rewrite ("Writing initial AOF, can't exit.": exiting
/// then would lose the dataset; Redis prepareForShutdown).
bool persistence_shutdown(server_state& s, bool save, bool save_if_rules, bool locks_held, bool force = false);

/// Kills a running BGSAVE child (SIGUSR1, as Redis killRDBChild), waits for it and removes
/// its temp file; nothing when none runs.
void kill_rdb_child(server_state& s);

/// True when the `save` option holds at least one rule.
bool has_save_rules(const server_state& s);

/// Loads `<dir>/<dbfilename>` into the keyspace with the configured encoding limits.
persist::rdb_load_result rdb_load_startup(server_state& s);

/// The RDB loader's limits from the configuration (*-max-listpack-*, rdbchecksum).
persist::rdb_load_limits rdb_limits(const server_state& s);

/// `dir`, `appenddirname`, `appendfilename` of the configuration.
persist::aof_paths aof_paths_of(const server_state& s);

/// Start-up replay of the AOF (manifest -> base -> incr files): an RDB base (or preamble) is
/// loaded into the keyspace with rdb_limits(); every command goes to `apply` (see
/// persist::load_aof). Sets INFO aof_base_size to the files' size.
persist::load_result aof_load_startup(server_state& s,
                                      const std::function<std::string(std::span<const std::string_view>)>& apply);

/// Opens the AOF writer after the start-up load (appendonly yes) and publishes it in
/// `s.aof`. Throws std::runtime_error naming the path on failure.
persist::aof_writer& aof_open_startup(server_state& s);

/// Starts an AOF rewrite (Redis rewriteAppendOnlyFileBackground). Call with no shard lock
/// held (or every one, inside EXEC): the next incr file and the manifest listing it are
/// written and fsynced first, then every shard lock is taken for the switch and the fork
/// only. The running writer switches to the new incr file (or, with appendonly yes and
/// no writer yet, one is opened on a temp incr file); a forked child writes the new base
/// (RDB when aof-use-rdb-preamble yes, else commands); persistence_cron() installs it.
/// With appendonly no the rewrite still writes a base and a manifest (as Redis 7.0).
/// Returns false with `error` (a log-worthy cause) when no child is running afterwards.
bool aof_rewrite_start(server_state& s, std::string& error);

/// CONFIG SET appendonly: yes starts the AOF from a rewrite (scheduled when a BGSAVE runs),
/// no kills a running rewrite and stops the writer (Redis startAppendOnly/stopAppendOnly).
/// Takes every shard lock itself; call with none held.
void aof_config_changed(server_state& s);

/// Before exit: kills a running rewrite child (removing its temp file), then writes, fsyncs
/// and closes every AOF writer. `s.aof` is null afterwards.
void aof_shutdown(server_state& s);

/// True while a BGSAVE or AOF rewrite child runs (Redis hasActiveChildProcess).
bool child_active(const server_state& s);

}  // namespace kvd::command
