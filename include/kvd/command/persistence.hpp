// RDB snapshots at server level (Redis rdb.c rdbSave/rdbSaveBackground, server.c serverCron
// save rules, prepareForShutdown): SAVE, BGSAVE (fork with every shard lock held, so the child
// holds one point-in-time state), the save rules checked by the cron, the save at shutdown,
// and the start-up load of dir/dbfilename. Commands: persistence_family.cpp.
#pragma once
#include <string>

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
/// when the save failed.
bool persistence_shutdown(server_state& s, bool save, bool save_if_rules, bool locks_held);

/// True when the `save` option holds at least one rule.
bool has_save_rules(const server_state& s);

/// Loads `<dir>/<dbfilename>` into the keyspace with the configured encoding limits.
persist::rdb_load_result rdb_load_startup(server_state& s);

}  // namespace kvd::command
