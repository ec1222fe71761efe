#include "kvd/http/metrics.hpp"

#include <cstdio>
#include <type_traits>

#include "kvd/util/clock.hpp"

namespace kvd::http {

namespace {

// Writes the text format: one "# HELP" and "# TYPE" per family, then its samples.
class exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;  // no backslash or newline in our help texts
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(std::string_view name, std::string_view labels, double v) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", v);
    out_ += buf;
  }

  /// An integer sample (std::int64_t or std::uint64_t), printed exactly.
  template <class Int>
    requires std::is_integral_v<Int>
  void sample(std::string_view name, std::string_view labels, Int v) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += std::to_string(v);
    out_ += '\n';
  }

  /// One family with a single unlabelled sample.
  template <class T>
  void single(std::string_view name, std::string_view type, std::string_view help, T v) {
    family(name, type, help);
    sample(name, "", v);
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

template <class F>
void for_each_command(const command::command_table& t, F&& f) {
  for (auto& c : t.all()) {
    f(c);
    for (auto& sub : c.subcommands) f(sub);
  }
}

std::string cmd_label(const command::command_spec& c) {
  return "cmd=\"" + escape_label_value(c.fullname.empty() ? c.name : c.fullname) + "\"";
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char ch : v) {
    if (ch == '\\') out += "\\\\";
    else if (ch == '"') out += "\\\"";
    else if (ch == '\n') out += "\\n";
    else out += ch;
  }
  return out;
}

std::string render_metrics(command::server_state& s) {
  exposition e;
  auto& st = s.stats;
  auto& ks = s.keyspace.stats();

  // Commands that were called at least once, as Redis's INFO commandstats.
  e.family("kvd_commands_total", "counter", "Calls of each command (subcommands as parent|sub).");
  for_each_command(s.table, [&](const command::command_spec& c) {
    if (auto n = c.stats.calls.load(std::memory_order_relaxed)) e.sample("kvd_commands_total", cmd_label(c), n);
  });
  e.family("kvd_commands_duration_seconds_total", "counter", "Time spent executing each command, seconds.");
  for_each_command(s.table, [&](const command::command_spec& c) {
    if (c.stats.calls.load(std::memory_order_relaxed))
      e.sample("kvd_commands_duration_seconds_total", cmd_label(c),
               static_cast<double>(c.stats.usec.load(std::memory_order_relaxed)) / 1e6);
  });
  e.family("kvd_commands_failed_total", "counter", "Calls of each command that replied with an error.");
  for_each_command(s.table, [&](const command::command_spec& c) {
    if (c.stats.calls.load(std::memory_order_relaxed) || c.stats.failed_calls.load(std::memory_order_relaxed))
      e.sample("kvd_commands_failed_total", cmd_label(c), c.stats.failed_calls.load(std::memory_order_relaxed));
  });
  e.family("kvd_commands_rejected_total", "counter",
           "Calls of each command rejected before execution (arity, auth, state).");
  for_each_command(s.table, [&](const command::command_spec& c) {
    if (c.stats.calls.load(std::memory_order_relaxed) || c.stats.rejected_calls.load(std::memory_order_relaxed))
      e.sample("kvd_commands_rejected_total", cmd_label(c), c.stats.rejected_calls.load(std::memory_order_relaxed));
  });

  e.single("kvd_commands_processed_total", "counter", "Commands processed (INFO total_commands_processed).",
           st.total_commands_processed.load());
  e.single("kvd_error_replies_total", "counter", "Error replies sent (INFO total_error_replies).",
           st.total_error_replies.load());
  // By error code, the first word of the reply (ERR, WRONGTYPE, NOAUTH...), as INFO errorstats.
  e.family("kvd_errors_total", "counter", "Error replies by error code (INFO errorstats).");
  for (auto& [code, n] : s.introspection.error_counts())
    e.sample("kvd_errors_total", "type=\"" + escape_label_value(code) + "\"", n);
  e.single("kvd_connected_clients", "gauge", "Connected clients, RESP and HTTP.",
           static_cast<std::int64_t>(st.connected_clients.load()));
  e.single("kvd_blocked_clients", "gauge", "Clients waiting in a blocking command (BLPOP, BZPOPMIN...).",
           static_cast<std::int64_t>(s.blocking.blocked()));
  e.single("kvd_connections_received_total", "counter", "Connections accepted, RESP and HTTP.",
           st.total_connections_received.load());
  e.single("kvd_rejected_connections_total", "counter", "Connections refused because of maxclients.",
           st.rejected_connections.load());
  e.single("kvd_tls_handshake_failures_total", "counter", "TLS handshakes that failed (RESP tls-port and HTTPS).",
           st.tls_handshake_failures.load());
  e.single("kvd_net_input_bytes_total", "counter", "Bytes read from clients, RESP and HTTP.",
           st.total_net_input_bytes.load());
  e.single("kvd_net_output_bytes_total", "counter", "Bytes written to clients, RESP and HTTP.",
           st.total_net_output_bytes.load());

  // Databases with keys, as INFO keyspace.
  std::vector<std::pair<int, std::pair<std::size_t, std::size_t>>> dbs;
  for (int i = 0; i < s.keyspace.databases(); ++i) {
    auto& db = s.keyspace.db(i);
    auto keys = db.size();
    if (keys == 0 && i != 0) continue;
    dbs.push_back({i, {keys, db.expires_size()}});
  }
  e.family("kvd_db_keys", "gauge", "Keys in each database (expired keys not yet reclaimed included).");
  for (auto& [i, n] : dbs) e.sample("kvd_db_keys", "db=\"" + std::to_string(i) + "\"", static_cast<std::uint64_t>(n.first));
  e.family("kvd_db_keys_expiring", "gauge", "Keys with an expire in each database.");
  for (auto& [i, n] : dbs)
    e.sample("kvd_db_keys_expiring", "db=\"" + std::to_string(i) + "\"", static_cast<std::uint64_t>(n.second));

  e.single("kvd_expired_keys_total", "counter", "Keys deleted because their expire passed.", ks.expired_keys.load());
  e.single("kvd_evicted_keys_total", "counter", "Keys evicted to stay under maxmemory (INFO evicted_keys).",
           s.eviction.evicted_keys.load());
  e.single("kvd_maxmemory_bytes", "gauge", "The maxmemory limit, bytes (0: none).",
           static_cast<std::int64_t>(s.config.maxmemory.load()));
  e.single("kvd_keyspace_hits_total", "counter", "Key lookups by read commands that found the key.",
           ks.keyspace_hits.load());
  e.single("kvd_keyspace_misses_total", "counter", "Key lookups by read commands that did not find the key.",
           ks.keyspace_misses.load());

  auto mem = command::sample_memory();
  e.single("kvd_memory_used_bytes", "gauge", "Bytes allocated by the allocator (INFO used_memory).", mem.used);
  e.single("kvd_memory_rss_bytes", "gauge", "Resident set size of the process, bytes.", mem.rss);
  e.single("kvd_memory_peak_bytes", "gauge", "Largest used memory seen, bytes (INFO used_memory_peak).", mem.peak);

  // AOF (INFO persistence aof_*).
  auto* aof = s.aof.load();
  auto& rw = s.aofrw;
  e.single("kvd_aof_enabled", "gauge", "1 when appendonly is yes (INFO aof_enabled).",
           static_cast<std::int64_t>(s.config.appendonly.load() ? 1 : 0));
  e.single("kvd_aof_size_bytes", "gauge", "Bytes of the AOF files the manifest lists (INFO aof_current_size).",
           aof ? aof->current_size() : std::uint64_t{0});
  e.single("kvd_aof_base_size_bytes", "gauge", "Size of the AOF after the last rewrite or start-up (INFO aof_base_size).",
           aof ? rw.base_size.load() : std::uint64_t{0});
  e.single("kvd_aof_pending_bytes", "gauge", "AOF bytes queued and not yet written (INFO aof_buffer_length).",
           aof ? aof->pending_bytes() : std::uint64_t{0});
  e.single("kvd_aof_last_write_ok", "gauge", "0 while AOF writes or fsyncs fail (INFO aof_last_write_status), else 1.",
           static_cast<std::int64_t>(aof && aof->write_error() ? 0 : 1));
  e.single("kvd_aof_last_fsync_seconds", "gauge", "Duration of the last fdatasync of the AOF, seconds.",
           aof ? static_cast<double>(aof->last_fsync_us()) / 1e6 : 0.0);
  {
    auto& h = persist::aof_fsync_histogram();
    e.family("kvd_aof_fsync_duration_seconds", "histogram", "Durations of the AOF fdatasync calls, seconds.");
    std::uint64_t cum = 0;
    char le[32];
    for (std::size_t i = 0; i < persist::fsync_histogram::buckets; ++i) {
      cum += h.counts[i].load(std::memory_order_relaxed);
      if (i < std::size(persist::fsync_histogram::bounds_seconds))
        std::snprintf(le, sizeof le, "le=\"%g\"", persist::fsync_histogram::bounds_seconds[i]);
      else
        std::snprintf(le, sizeof le, "le=\"+Inf\"");
      e.sample("kvd_aof_fsync_duration_seconds_bucket", le, cum);
    }
    e.sample("kvd_aof_fsync_duration_seconds_sum", "", static_cast<double>(h.sum_us.load()) / 1e6);
    e.sample("kvd_aof_fsync_duration_seconds_count", "", cum);
  }
  e.single("kvd_aof_rewrites_total", "counter", "AOF rewrites started (INFO aof_rewrites).", rw.rewrites.load());
  e.single("kvd_aof_rewrite_in_progress", "gauge", "1 while an AOF rewrite child runs.",
           static_cast<std::int64_t>(rw.child_pid.load() != -1 ? 1 : 0));
  e.single("kvd_aof_last_rewrite_ok", "gauge", "1 when the last AOF rewrite succeeded (INFO aof_last_bgrewrite_status).",
           static_cast<std::int64_t>(rw.last_ok.load() ? 1 : 0));
  e.single("kvd_aof_last_rewrite_duration_seconds", "gauge",
           "Duration of the last AOF rewrite, seconds (-1: none yet; INFO aof_last_rewrite_time_sec).",
           rw.last_time_sec.load());

  // RDB snapshots (INFO persistence rdb_*).
  auto& rdb = s.rdb;
  e.single("kvd_rdb_changes_since_last_save", "gauge", "Writes since the last successful snapshot.", rdb.dirty.load());
  e.single("kvd_rdb_saves_total", "counter", "Snapshots started: SAVE and BGSAVE (INFO rdb_saves).", rdb.saves.load());
  e.single("kvd_rdb_bgsave_in_progress", "gauge", "1 while a BGSAVE child runs.",
           static_cast<std::int64_t>(rdb.child_pid.load() != -1 ? 1 : 0));
  e.single("kvd_rdb_last_save_timestamp_seconds", "gauge", "Unix time of the last successful snapshot (LASTSAVE).",
           rdb.lastsave.load() ? rdb.lastsave.load() : s.start_ms / 1000);
  e.single("kvd_rdb_last_bgsave_ok", "gauge", "1 when the last snapshot succeeded (INFO rdb_last_bgsave_status).",
           static_cast<std::int64_t>(rdb.last_bgsave_ok.load() ? 1 : 0));
  e.single("kvd_rdb_last_bgsave_duration_seconds", "gauge",
           "Duration of the last BGSAVE, seconds (-1: none yet; INFO rdb_last_bgsave_time_sec).",
           rdb.last_bgsave_time_sec.load());
  e.single("kvd_fork_duration_seconds", "gauge", "Time the last fork() took, seconds (INFO latest_fork_usec).",
           static_cast<double>(rdb.last_fork_us.load()) / 1e6);
  e.single("kvd_replication_offset_bytes", "gauge",
           "Replication offset (INFO master_repl_offset; 0: kvd has no replication yet).", std::int64_t{0});

  auto now = util::now_ms();
  e.single("kvd_uptime_seconds", "gauge", "Seconds since the server started.",
           static_cast<double>(now - s.start_ms) / 1000.0);
  e.single("kvd_start_time_seconds", "gauge", "Start time of the server, seconds since the Unix epoch.",
           static_cast<double>(s.start_ms) / 1000.0);
  return e.take();
}

}  // namespace kvd::http
