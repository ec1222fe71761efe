// Server commands: INFO, CONFIG GET|SET|RESETSTAT|REWRITE|HELP, TIME, DEBUG (SLEEP,
// SET-ACTIVE-EXPIRE, OBJECT, RELOAD, CHANGE-REPL-ID), SHUTDOWN. INFO field names are Redis 7.0's (server.c genRedisInfoString).
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <malloc.h>
#include <set>
#include <sstream>
#include <thread>

#include "kvd/command/arg_parser.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/command/introspection.hpp"
#include "kvd/command/persistence.hpp"
#include "kvd/server/supervise.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/glob.hpp"
#include "kvd/util/memory_meter.hpp"
#include "kvd/store/lru.hpp"

// jemalloc's control interface, present when kvd-server links jemalloc (weak otherwise).
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp, std::size_t newlen)
    __attribute__((weak));

namespace kvd::command {
namespace {

std::atomic<std::int64_t> peak_memory{0};

/// Bytes currently allocated (Redis used_memory): the per-thread jemalloc counters summed
/// by util/memory_meter.hpp, the same figure the maxmemory check uses.
std::int64_t used_memory() { return util::memory_meter::used_bytes(); }

/// Resident set size in bytes, from /proc/self/statm.
std::int64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

std::string human_bytes(std::int64_t n) {
  // Redis bytesToHuman: B, K, M, G with two decimals.
  char buf[64];
  double d = static_cast<double>(n);
  if (n < 1024) std::snprintf(buf, sizeof buf, "%lldB", static_cast<long long>(n));
  else if (n < 1024LL * 1024) std::snprintf(buf, sizeof buf, "%.2fK", d / 1024);
  else if (n < 1024LL * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2fM", d / (1024 * 1024));
  else std::snprintf(buf, sizeof buf, "%.2fG", d / (1024.0 * 1024 * 1024));
  return buf;
}

struct info_writer {
  std::string out;
  bool first = true;
  void section(std::string_view name) {
    if (!first) out += "\r\n";
    first = false;
    out += "# ";
    out += name;
    out += "\r\n";
  }
  template <class T>
  void field(std::string_view k, const T& v) {
    out += k;
    out += ':';
    if constexpr (std::is_convertible_v<T, std::string_view>) out += std::string_view(v);
    else out += std::to_string(v);
    out += "\r\n";
  }
  void fixed(std::string_view k, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    field(k, std::string_view(buf));
  }
};

void info_server(info_writer& w, server_state& s) {
  struct utsname u;
  uname(&u);
  std::int64_t now = util::now_ms();
  std::int64_t up = (now - s.start_ms) / 1000;
  w.section("Server");
  w.field("redis_version", "7.0.15");
  w.field("redis_git_sha1", "00000000");
  w.field("redis_git_dirty", 0);
  w.field("redis_build_id", "0");
  w.field("redis_mode", "standalone");
  w.field("kvd_version", KVD_VERSION);
  w.field("os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  w.field("arch_bits", 64);
  w.field("monotonic_clock", "POSIX clock_gettime");
  w.field("multiplexing_api", "epoll");
  w.field("atomicvar_api", "c11-builtin");
  w.field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
  w.field("process_id", static_cast<std::int64_t>(getpid()));
  w.field("process_supervised", server::supervise::mode(s.config));
  w.field("run_id", s.run_id);
  w.field("tcp_port", s.tcp_port.load());
  w.field("http_port", s.http_port.load());
  w.field("server_time_usec", util::now_us());
  w.field("uptime_in_seconds", up);
  w.field("uptime_in_days", up / 86400);
  w.field("hz", s.config.hz.load());
  w.field("configured_hz", s.config.hz.load());
  w.field("lru_clock", (now / 1000) & ((1 << 24) - 1));
  w.field("executable", s.executable);
  w.field("config_file", s.config.config_file);
  w.field("io_threads_active", s.config.io_threads > 1 ? 1 : 0);
}

void info_clients(info_writer& w, server_state& s) {
  w.section("Clients");
  w.field("connected_clients", s.stats.connected_clients.load());
  w.field("cluster_connections", 0);
  w.field("maxclients", s.config.maxclients.load());
  // kvd: the largest buffers of the clients connected now (Redis: of the last few seconds).
  std::size_t max_in = 0, max_out = 0;
  for (auto& cl : s.clients.list()) {
    max_in = std::max(max_in, cl->query_buffer_bytes.load(std::memory_order_relaxed));
    max_out = std::max(max_out, cl->output_buffer_bytes.load(std::memory_order_relaxed));
  }
  w.field("client_recent_max_input_buffer", max_in);
  w.field("client_recent_max_output_buffer", max_out);
  w.field("blocked_clients", static_cast<std::int64_t>(s.blocking.blocked()));
  w.field("tracking_clients", 0);
  w.field("clients_in_timeout_table", 0);
}

std::string perc(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string allocator_name() {
  if (!mallctl) return "libc";
  const char* v = nullptr;
  std::size_t sz = sizeof v;
  if (mallctl("version", &v, &sz, nullptr, 0) == 0 && v) {
    std::string ver(v);
    return "jemalloc-" + ver.substr(0, ver.find('-'));
  }
  return "jemalloc";
}

void info_memory(info_writer& w, server_state& s) {
  auto m = compute_memory_overhead(s, false);
  std::int64_t used = m.used, rss = m.rss, peak = m.peak;
  long pages = sysconf(_SC_PHYS_PAGES);
  std::int64_t total = static_cast<std::int64_t>(pages) * sysconf(_SC_PAGESIZE);
  std::int64_t maxmem = s.config.maxmemory.load();
  auto ratio = [](std::int64_t a, std::int64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  w.section("Memory");
  w.field("used_memory", used);
  w.field("used_memory_human", human_bytes(used));
  w.field("used_memory_rss", rss);
  w.field("used_memory_rss_human", human_bytes(rss));
  w.field("used_memory_peak", peak);
  w.field("used_memory_peak_human", human_bytes(peak));
  w.field("used_memory_peak_perc", perc(100.0 * ratio(used, peak)));
  w.field("used_memory_overhead", m.total_overhead);
  w.field("used_memory_startup", m.startup);
  w.field("used_memory_dataset", m.dataset);
  w.field("used_memory_dataset_perc", perc(used > m.startup ? 100.0 * ratio(m.dataset, used - m.startup) : 0.0));
  w.field("allocator_allocated", m.allocator_allocated);
  w.field("allocator_active", m.allocator_active);
  w.field("allocator_resident", m.allocator_resident);
  w.field("total_system_memory", total);
  w.field("total_system_memory_human", human_bytes(total));
  // No scripting engine: the Lua / function memory is truly zero.
  w.field("used_memory_lua", 0);
  w.field("used_memory_vm_eval", 0);
  w.field("used_memory_lua_human", "0B");
  w.field("used_memory_scripts_eval", 0);
  w.field("number_of_cached_scripts", 0);
  w.field("number_of_functions", 0);
  w.field("number_of_libraries", 0);
  w.field("used_memory_vm_functions", 0);
  w.field("used_memory_vm_total", 0);
  w.field("used_memory_vm_total_human", "0B");
  w.field("used_memory_functions", 0);
  w.field("used_memory_scripts", 0);
  w.field("used_memory_scripts_human", "0B");
  w.field("maxmemory", maxmem);
  w.field("maxmemory_human", human_bytes(maxmem));
  w.field("maxmemory_policy", s.config.maxmemory_policy.get());
  w.field("allocator_frag_ratio", fixed2(ratio(m.allocator_active, m.allocator_allocated)));
  w.field("allocator_frag_bytes", m.allocator_active - m.allocator_allocated);
  w.field("allocator_rss_ratio", fixed2(ratio(m.allocator_resident, m.allocator_active)));
  w.field("allocator_rss_bytes", m.allocator_resident - m.allocator_active);
  w.field("rss_overhead_ratio", fixed2(ratio(rss, m.allocator_resident)));
  w.field("rss_overhead_bytes", rss - m.allocator_resident);
  w.field("mem_fragmentation_ratio", fixed2(ratio(rss, used)));
  w.field("mem_fragmentation_bytes", rss - used);
  w.field("mem_not_counted_for_evict", memory_not_counted_for_evict(s));
  w.field("mem_replication_backlog", 0);
  w.field("mem_total_replication_buffers", 0);
  w.field("mem_clients_slaves", 0);
  w.field("mem_clients_normal", m.clients_normal);
  w.field("mem_cluster_links", 0);
  w.field("mem_aof_buffer", m.aof_buffer);
  w.field("mem_allocator", allocator_name());
  w.field("active_defrag_running", 0);
  w.field("lazyfree_pending_objects", 0);
  w.field("lazyfreed_objects", 0);
}

void info_persistence(info_writer& w, server_state& s) {
  w.section("Persistence");
  w.field("loading", s.loading.load() ? 1 : 0);
  w.field("async_loading", 0);
  w.field("current_cow_peak", 0);
  w.field("current_cow_size", 0);
  w.field("current_cow_size_age", 0);
  w.field("current_fork_perc", "0.00");
  w.field("current_save_keys_processed", 0);
  w.field("current_save_keys_total", 0);
  auto& rdb = s.rdb;
  bool child = rdb.child_pid.load() != -1;
  w.field("rdb_changes_since_last_save", rdb.dirty.load());
  w.field("rdb_bgsave_in_progress", child ? 1 : 0);
  w.field("rdb_last_save_time", rdb.lastsave.load() ? rdb.lastsave.load() : s.start_ms / 1000);
  w.field("rdb_last_bgsave_status", rdb.last_bgsave_ok.load() ? "ok" : "err");
  w.field("rdb_last_bgsave_time_sec", rdb.last_bgsave_time_sec.load());
  w.field("rdb_current_bgsave_time_sec", child ? (util::now_ms() - rdb.child_start_ms.load()) / 1000 : -1);
  w.field("rdb_saves", rdb.saves.load());
  w.field("rdb_last_cow_size", 0);
  w.field("rdb_last_load_keys_expired", rdb.last_load_expired.load());
  w.field("rdb_last_load_keys_loaded", rdb.last_load_keys.load());
  auto* aof = s.aof.load();
  auto& rw = s.aofrw;
  bool rewriting = rw.child_pid.load() != -1;
  w.field("aof_enabled", s.config.appendonly.load() ? 1 : 0);
  w.field("aof_rewrite_in_progress", rewriting ? 1 : 0);
  w.field("aof_rewrite_scheduled", rw.scheduled.load() ? 1 : 0);
  w.field("aof_last_rewrite_time_sec", rw.last_time_sec.load());
  w.field("aof_current_rewrite_time_sec", rewriting ? (util::now_ms() - rw.child_start_ms.load()) / 1000 : -1);
  w.field("aof_last_bgrewrite_status", rw.last_ok.load() ? "ok" : "err");
  w.field("aof_rewrites", rw.rewrites.load());
  w.field("aof_rewrites_consecutive_failures", rw.consecutive_failures.load());
  w.field("aof_last_write_status", aof && aof->write_error() ? "err" : "ok");
  w.field("aof_last_cow_size", 0);
  w.field("module_fork_in_progress", 0);
  w.field("module_fork_last_cow_size", 0);
  if (aof) {
    // Redis prints these only while the AOF is on.
    w.field("aof_current_size", aof->current_size());
    w.field("aof_base_size", rw.base_size.load());
    w.field("aof_pending_rewrite", 0);
    w.field("aof_buffer_length", aof->pending_bytes());
    w.field("aof_pending_bio_fsync", 0);
    w.field("aof_delayed_fsync", 0);
    w.field("aof_last_fsync_usec", aof->last_fsync_us());  // kvd: duration of the last fdatasync
  }
  if (s.loading.load()) {
    // Redis prints these only while loading (genRedisInfoString).
    auto& lp = s.loading_progress;
    auto total = lp.total_bytes.load(), loaded = lp.loaded_bytes.load();
    std::int64_t start = lp.start_time.load();
    double perc = total ? 100.0 * static_cast<double>(loaded) / static_cast<double>(total) : 0.0;
    std::int64_t elapsed = util::now_ms() / 1000 - start;
    std::uint64_t remaining = total > loaded ? total - loaded : 0;
    std::int64_t eta = elapsed <= 0 ? 1 : static_cast<std::int64_t>(static_cast<double>(elapsed) * static_cast<double>(remaining) /
                                                                     static_cast<double>(loaded + 1));
    char pbuf[32];
    std::snprintf(pbuf, sizeof pbuf, "%.2f", perc);
    w.field("loading_start_time", start);
    w.field("loading_total_bytes", total);
    w.field("loading_rdb_used_mem", lp.rdb_used_mem.load());
    w.field("loading_loaded_bytes", loaded);
    w.field("loading_loaded_perc", std::string_view(pbuf));
    w.field("loading_eta_seconds", eta);
  }
}

void info_stats(info_writer& w, server_state& s) {
  auto& st = s.stats;
  auto& ks = s.keyspace.stats();
  w.section("Stats");
  w.field("total_connections_received", st.total_connections_received.load());
  w.field("total_commands_processed", st.total_commands_processed.load());
  w.field("instantaneous_ops_per_sec", st.instantaneous_ops_per_sec.load());
  w.field("total_net_input_bytes", st.total_net_input_bytes.load());
  w.field("total_net_output_bytes", st.total_net_output_bytes.load());
  w.field("total_net_repl_input_bytes", 0);
  w.field("total_net_repl_output_bytes", 0);
  w.field("instantaneous_input_kbps", "0.00");
  w.field("instantaneous_output_kbps", "0.00");
  w.field("instantaneous_input_repl_kbps", "0.00");
  w.field("instantaneous_output_repl_kbps", "0.00");
  w.field("rejected_connections", st.rejected_connections.load());
  w.field("sync_full", 0);
  w.field("sync_partial_ok", 0);
  w.field("sync_partial_err", 0);
  w.field("expired_keys", ks.expired_keys.load());
  w.field("expired_stale_perc", "0.00");
  w.field("expired_time_cap_reached_count", 0);
  w.field("expire_cycle_cpu_milliseconds", ks.expire_cycle_cpu_us.load() / 1000);
  w.field("evicted_keys", s.eviction.evicted_keys.load());
  w.field("evicted_clients", 0);
  auto exceeded = eviction_exceeded_times(s.eviction);
  w.field("total_eviction_exceeded_time", exceeded.total_ms);
  w.field("current_eviction_exceeded_time", exceeded.current_ms);
  w.field("keyspace_hits", ks.keyspace_hits.load());
  w.field("keyspace_misses", ks.keyspace_misses.load());
  w.field("pubsub_channels", s.pubsub.numchannels());
  w.field("pubsub_patterns", s.pubsub.numpat());
  w.field("pubsubshard_channels", s.pubsub_shard.numchannels());
  w.field("latest_fork_usec", s.rdb.last_fork_us.load());
  w.field("total_forks", 0);
  w.field("migrate_cached_sockets", 0);
  w.field("slave_expires_tracked_keys", 0);
  w.field("active_defrag_hits", 0);
  w.field("active_defrag_misses", 0);
  w.field("active_defrag_key_hits", 0);
  w.field("active_defrag_key_misses", 0);
  w.field("total_active_defrag_time", 0);
  w.field("current_active_defrag_time", 0);
  w.field("tracking_total_keys", 0);
  w.field("tracking_total_items", 0);
  w.field("tracking_total_prefixes", 0);
  w.field("unexpected_error_replies", st.unexpected_error_replies.load());
  w.field("total_error_replies", st.total_error_replies.load());
  w.field("dump_payload_sanitizations", 0);
  w.field("io_threaded_reads_processed", 0);
  w.field("io_threaded_writes_processed", 0);
}

void info_replication(info_writer& w, server_state& s) {
  w.section("Replication");
  w.field("role", "master");
  w.field("connected_slaves", 0);
  w.field("master_failover_state", "no-failover");
  auto [replid, replid2] = s.introspection.repl_ids();
  w.field("master_replid", replid.empty() ? s.run_id : replid);
  w.field("master_replid2", replid2.empty() ? std::string(40, '0') : replid2);
  w.field("master_repl_offset", 0);
  w.field("second_repl_offset", -1);
  w.field("repl_backlog_active", 0);
  w.field("repl_backlog_size", 1048576);
  w.field("repl_backlog_first_byte_offset", 0);
  w.field("repl_backlog_histlen", 0);
}

void info_cpu(info_writer& w, server_state&) {
  struct rusage self {}, children {};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  w.section("CPU");
  w.fixed("used_cpu_sys", secs(self.ru_stime));
  w.fixed("used_cpu_user", secs(self.ru_utime));
  w.fixed("used_cpu_sys_children", secs(children.ru_stime));
  w.fixed("used_cpu_user_children", secs(children.ru_utime));
}

void info_keyspace(info_writer& w, server_state& s) {
  w.section("Keyspace");
  for (int i = 0; i < s.keyspace.databases(); ++i) {
    auto& db = s.keyspace.db(i);
    auto keys = db.size();
    if (keys == 0) continue;
    w.field("db" + std::to_string(i), "keys=" + std::to_string(keys) + ",expires=" + std::to_string(db.expires_size()) +
                                          ",avg_ttl=" + std::to_string(db.avg_ttl_ms()));
  }
}

/// Calls f(spec) for every command and subcommand row.
template <class F>
void for_each_row(server_state& s, F&& f) {
  for (auto& cmd : s.table.all()) {
    f(cmd);
    for (auto& sub : cmd.subcommands) f(sub);
  }
}

void info_commandstats(info_writer& w, server_state& s) {
  w.section("Commandstats");
  for_each_row(s, [&](const command_spec& c) {
    auto calls = c.stats.calls.load(), usec = c.stats.usec.load();
    auto rejected = c.stats.rejected_calls.load(), failed = c.stats.failed_calls.load();
    if (!calls && !rejected && !failed) return;
    char buf[256];
    std::snprintf(buf, sizeof buf, "calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
                  static_cast<unsigned long long>(calls), static_cast<unsigned long long>(usec),
                  calls ? static_cast<double>(usec) / static_cast<double>(calls) : 0.0,
                  static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(failed));
    w.field("cmdstat_" + c.fullname, std::string_view(buf));
  });
}

void info_errorstats(info_writer& w, server_state& s) {
  w.section("Errorstats");
  for (auto& [code, n] : s.introspection.error_counts()) w.field("errorstat_" + code, "count=" + std::to_string(n));
}

void info_latencystats(info_writer& w, server_state& s) {
  w.section("Latencystats");
  std::vector<double> ps;
  std::vector<std::string> names;
  {
    std::istringstream in{s.config.latency_tracking_info_percentiles.get()};
    for (std::string t; in >> t;) {
      ps.push_back(std::strtod(t.c_str(), nullptr));
      names.push_back("p" + t);
    }
  }
  if (ps.empty()) return;
  for_each_row(s, [&](const command_spec& c) {
    auto* h = c.stats.latency.load(std::memory_order_acquire);
    if (!h || h->count() == 0) return;
    std::string v;
    for (std::size_t i = 0; i < ps.size(); ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s=%.3f", names[i].c_str(), h->percentile(ps[i]) / 1000.0);
      if (i) v += ',';
      v += buf;
    }
    w.field("latency_percentiles_usec_" + c.fullname, v);
  });
}

void info_modules(info_writer& w, server_state&) { w.section("Modules"); }

void info_cluster(info_writer& w, server_state&) {
  w.section("Cluster");
  w.field("cluster_enabled", 0);
}

using section_fn = void (*)(info_writer&, server_state&);
struct section_row {
  std::string_view name;
  section_fn fn;
  bool in_default;
};
// Redis 7.0 genRedisInfoString order; "default" leaves out commandstats and latencystats.
constexpr section_row sections[] = {
    {"server", info_server, true},           {"clients", info_clients, true},
    {"memory", info_memory, true},           {"persistence", info_persistence, true},
    {"stats", info_stats, true},             {"replication", info_replication, true},
    {"cpu", info_cpu, true},                 {"modules", info_modules, true},
    {"commandstats", info_commandstats, false}, {"errorstats", info_errorstats, true},
    {"latencystats", info_latencystats, false}, {"cluster", info_cluster, true},
    {"keyspace", info_keyspace, true},
};

void cmd_info(command_context& c) {
  std::set<std::string_view> want;
  bool all = false, dflt = c.argc() == 1;
  for (std::size_t i = 1; i < c.argc(); ++i) {
    auto a = c.arg(i);
    if (iequals(a, "all") || iequals(a, "everything")) all = true;
    else if (iequals(a, "default")) dflt = true;
    else
      for (auto& r : sections)
        if (iequals(r.name, a)) want.insert(r.name);
  }
  info_writer w;
  for (auto& r : sections)
    if (all || (dflt && r.in_default) || want.count(r.name)) r.fn(w, c.server);
  c.rb.verbatim("txt", w.out);
}

void cmd_config_get(command_context& c) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (std::size_t i = 2; i < c.argc(); ++i) {
    for (auto& [name, o] : c.server.options.all()) {
      if (seen.count(name) || !util::glob_match(c.arg(i), name, true)) continue;
      seen.insert(name);
      out.emplace_back(name, o.get());
    }
  }
  c.rb.map(out.size());
  for (auto& [k, v] : out) {
    c.rb.bulk(k);
    c.rb.bulk(v);
  }
}

void cmd_config_set(command_context& c) {
  if (c.argc() % 2 != 0) return c.rb.error("ERR wrong number of arguments for 'config|set' command");
  // Validate everything first so that a failing pair applies nothing (Redis 7.0 is atomic).
  std::vector<std::pair<config::option*, std::string_view>> todo;
  for (std::size_t i = 2; i + 1 < c.argc(); i += 2) {
    auto* o = c.server.options.find(c.arg(i));
    if (!o) return c.rb.error("ERR Unknown option or number of arguments for CONFIG SET - '" + std::string(c.arg(i)) + "'");
    for (auto& [prev, v] : todo)
      if (prev == o)
        return c.rb.error("ERR CONFIG SET failed (possibly related to argument '" + std::string(c.arg(i)) +
                          "') - duplicate parameter");
    if (o->protected_config) {
      // Redis 7.0 allowProtectedAction: enable-protected-configs yes, or local and a loopback peer.
      const auto& mode = c.server.config.enable_protected_configs;
      auto addr = std::string_view(c.client.addr);
      auto ip = addr.substr(0, addr.rfind(':'));
      bool local = ip == "127.0.0.1" || ip == "::1";
      if (!(mode == "yes" || (mode == "local" && local)))
        return c.rb.error("ERR CONFIG SET failed (possibly related to argument '" + std::string(c.arg(i)) +
                          "') - can't set protected config");
    }
    if (!o->runtime_mutable)
      return c.rb.error("ERR CONFIG SET failed (possibly related to argument '" + std::string(c.arg(i)) +
                        "') - can't set immutable config");
    todo.emplace_back(o, c.arg(i + 1));
  }
  std::vector<std::pair<config::option*, std::string>> old;
  for (auto& [o, v] : todo) {
    old.emplace_back(o, o->get());
    if (auto e = o->set(v)) {
      for (auto& [po, pv] : old) po->set(pv);  // roll back, as Redis restores old values
      return c.rb.error("ERR CONFIG SET failed (possibly related to argument '" + o->name + "') - " + *e);
    }
  }
  if (c.server.options.on_apply)  // e.g. the TLS files reload; a failure undoes the whole command
    for (auto& [o, v] : todo)
      if (auto e = c.server.options.on_apply(o->name)) {
        for (auto& [po, pv] : old) po->set(pv);
        return c.rb.error("ERR CONFIG SET failed (possibly related to argument '" + o->name + "') - " + *e);
      }
  if (c.server.options.on_change)
    for (auto& [o, v] : todo) c.server.options.on_change(o->name);
  c.rb.simple("OK");
}

void cmd_config_resetstat(command_context& c) {
  auto& st = c.server.stats;
  st.total_connections_received = 0;
  st.total_commands_processed = 0;
  st.rejected_connections = 0;
  st.total_net_input_bytes = 0;
  st.total_net_output_bytes = 0;
  st.total_error_replies = 0;
  st.unexpected_error_replies = 0;
  auto& ks = c.server.keyspace.stats();
  ks.expired_keys = 0;
  reset_eviction_stats(c.server.eviction);
  ks.keyspace_hits = 0;
  ks.keyspace_misses = 0;
  c.server.rdb.saves = 0;
  for_each_row(c.server, [](const command_spec& cmd) {
    cmd.stats.calls = 0;
    cmd.stats.usec = 0;
    cmd.stats.rejected_calls = 0;
    cmd.stats.failed_calls = 0;
    if (auto* h = cmd.stats.latency.load()) h->reset();
  });
  c.server.introspection.reset_errors();
  c.rb.simple("OK");
}

/// CONFIG REWRITE: the config file kvd was started with, comments and order kept
/// (config::registry::rewrite); every ACL user as a `user` line unless an aclfile is set
/// (Redis rewriteConfigUserOption).
void cmd_config_rewrite(command_context& c) {
  if (c.server.config.config_file.empty()) return c.rb.error("ERR The server is running without a config file");
  std::vector<std::string> users;
  if (c.server.config.aclfile.empty())
    for (auto& u : c.server.acl.all()) users.push_back(acl::describe_user(*u, c.server.table).substr(5));  // "user "
  if (auto e = c.server.options.rewrite(c.server.config.config_file, &users)) return c.rb.error("ERR " + *e);
  c.rb.simple("OK");
}

void cmd_config_help(command_context& c) {
  static constexpr std::string_view lines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Print this help.",
  };
  reply_help(c.rb, lines);
}

void cmd_time(command_context& c) {
  auto us = util::now_us();
  c.rb.array(2);
  std::string s;
  util::append_int(s, us / 1000000);
  c.rb.bulk(s);
  s.clear();
  util::append_int(s, us % 1000000);
  c.rb.bulk(s);
}

/// DEBUG OBJECT key: Redis's line (debug.c). `serializedlength` is the RDB string length for
/// strings and the in-memory bytes for collections (kvd does not serialize per key here).
void debug_object(command_context& c) {
  auto key = c.arg(2);
  auto& ks = c.server.keyspace;
  // DEBUG has no key positions in its row: lock this key's shard here. Bounded wait: inside a
  // transaction this thread may already hold it (then the answer is an error, not a deadlock).
  std::unique_lock lk(ks.lock_at(store::keyspace::lock_index(c.client.db, store::database::shard_index(util::hash_bytes(key)))),
                      std::defer_lock);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!lk.try_lock()) {
    if (std::chrono::steady_clock::now() > deadline) return c.rb.error("ERR DEBUG OBJECT: the key's shard stayed locked");
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  const store::value* v = c.db.find(key);
  if (!v) return c.rb.error(err::no_such_key);
  std::size_t serialized = 0;
  if (v->is_string()) {
    auto str = v->str();
    if (util::parse_int64(str) && str.size() <= 11) serialized = str.size() <= 3 ? 2 : (str.size() <= 5 ? 3 : 5);
    else serialized = str.size() + (str.size() < 64 ? 1 : str.size() < 16384 ? 2 : 5);
  } else {
    serialized = v->heap_bytes();
  }
  std::uint32_t lru = v->lru();
  auto idle = static_cast<std::int64_t>(store::lru_idle_ms(lru, util::now_ms()) / 1000);
  char buf[256];
  std::snprintf(buf, sizeof buf, "Value at:%p refcount:1 encoding:%.*s serializedlength:%zu lru:%u lru_seconds_idle:%lld",
                static_cast<const void*>(v), static_cast<int>(v->encoding().size()), v->encoding().data(), serialized,
                lru & ((1u << 24) - 1), static_cast<long long>(idle));
  c.rb.simple(buf);
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: SAVE, empty the keyspace, load dump.rdb (debug.c).
/// Takes every shard lock for save + flush; the load takes each key's lock itself.
void debug_reload(command_context& c) {
  bool flush = true, save = true;
  for (std::size_t i = 2; i < c.argc(); ++i) {
    auto o = c.arg(i);
    if (iequals(o, "merge")) continue;  // the loader replaces existing keys anyway
    else if (iequals(o, "noflush")) flush = false;
    else if (iequals(o, "nosave")) save = false;
    else return c.rb.error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
  }
  auto& s = c.server;
  {
    key_locks all(s.keyspace);
    if (save) {
      std::string e;
      if (!rdb_save_sync(s, e)) return c.rb.error("ERR Error trying to save the DB: " + e);
    }
    if (flush)
      for (int i = 0; i < s.keyspace.databases(); ++i) s.keyspace.db(i).clear();
  }
  auto r = rdb_load_startup(s);
  if (!r.ok) return c.rb.error("ERR Error trying to load the RDB dump, check server logs.");
  c.rb.simple("OK");
}

void cmd_debug(command_context& c) {
  auto sub = c.arg(1);
  if (iequals(sub, "sleep") && c.argc() == 3) {
    auto secs = util::parse_long_double(c.arg(2));
    if (!secs) return c.rb.error(err::not_float);
    // Clamp to [0, 1 day]: the conversion below must stay in range (Redis itself overflows).
    *secs = std::clamp(*secs, 0.0L, 86400.0L);
    // Like Redis, DEBUG SLEEP blocks: here the calling io thread (other threads keep serving).
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<std::int64_t>(*secs * 1e6L)));
    return c.rb.simple("OK");
  }
  if (iequals(sub, "set-active-expire") && c.argc() == 3) {
    auto v = util::parse_int64(c.arg(2));
    if (!v) return c.rb.error(err::not_integer);
    c.server.config.active_expire_enabled = *v != 0;
    return c.rb.simple("OK");
  }
  if (iequals(sub, "object") && c.argc() == 3) return debug_object(c);
  if (iequals(sub, "reload")) return debug_reload(c);
  if (iequals(sub, "change-repl-id") && c.argc() == 2) {
    c.server.introspection.change_repl_id();
    return c.rb.simple("OK");
  }
  if (iequals(sub, "help")) {
    static constexpr std::string_view lines[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c.rb, lines);
    return;
  }
  // kvd implements the subcommands above; any other (DIGEST, POPULATE...) is refused by name.
  c.rb.error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) + "'. Try DEBUG HELP.");
}

void cmd_shutdown(command_context& c) {
  bool nosave = false, save = false, force = false;
  for (std::size_t i = 1; i < c.argc(); ++i) {
    auto a = c.arg(i);
    if (!iequals(a, "nosave") && !iequals(a, "save") && !iequals(a, "now") && !iequals(a, "force") &&
        !iequals(a, "abort"))
      return c.rb.error(err::syntax);
    if (iequals(a, "abort")) return c.rb.error("ERR No shutdown in progress.");
    nosave |= iequals(a, "nosave");
    save |= iequals(a, "save");
    force |= iequals(a, "force");
  }
  if (nosave && save) return c.rb.error(err::syntax);
  if (!c.server.hooks.shutdown) return c.rb.error("ERR Errors trying to SHUTDOWN. Check logs.");
  // SAVE, or the save rules unless NOSAVE (Redis prepareForShutdown); every shard lock is held
  // (f_global_lock). A failed save keeps the server up unless FORCE.
  if (!persistence_shutdown(c.server, save, !nosave, true, force) && !force)
    return c.rb.error("ERR Errors trying to SHUTDOWN. Check logs.");
  // Redis sends no reply on success: the connection just closes as the server exits.
  c.client.close_after_reply = true;
  c.server.hooks.shutdown(0);
}

}  // namespace

memory_usage sample_memory() {
  memory_usage m;
  m.used = used_memory();
  m.rss = rss_bytes();
  // fetch_max by compare-exchange: concurrent INFO and /metrics never lower the peak.
  std::int64_t peak = peak_memory.load();
  while (peak < m.used && !peak_memory.compare_exchange_weak(peak, m.used)) {
  }
  m.peak = std::max(peak, m.used);
  return m;
}

void register_server_family(command_table& t) {
  t.add({"info", -1, f_loading | f_stale, 0, 0, 0, cmd_info, "slow dangerous"});
  auto& config = t.add({"config", -2, 0, 0, 0, 0, nullptr, "slow"});
  constexpr auto adm = f_admin | f_noscript | f_loading | f_stale;
  t.add_sub(config, {"get", -3, adm, 0, 0, 0, cmd_config_get, "admin slow dangerous"});
  t.add_sub(config, {"set", -4, adm, 0, 0, 0, cmd_config_set, "admin slow dangerous"});
  t.add_sub(config, {"resetstat", 2, adm, 0, 0, 0, cmd_config_resetstat, "admin slow dangerous"});
  t.add_sub(config, {"rewrite", 2, adm, 0, 0, 0, cmd_config_rewrite, "admin slow dangerous"});
  t.add_sub(config, {"help", 2, f_loading | f_stale, 0, 0, 0, cmd_config_help, "slow"});
  t.add({"time", 1, f_loading | f_stale | f_fast, 0, 0, 0, cmd_time, "fast"});
  t.add({"debug", -2, adm | f_protected, 0, 0, 0, cmd_debug, "admin slow dangerous"});
  t.add({"shutdown", -1, f_admin | f_noscript | f_loading | f_stale | f_no_multi | f_allow_busy | f_global_lock, 0, 0, 0,
         cmd_shutdown, "admin slow dangerous"});
}

}  // namespace kvd::command
