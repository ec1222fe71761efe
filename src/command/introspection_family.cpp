// Introspection commands: SLOWLOG GET|LEN|RESET|HELP, LATENCY LATEST|HISTORY|RESET|DOCTOR|
// GRAPH|HISTOGRAM|HELP, MEMORY USAGE|STATS|DOCTOR|MALLOC-STATS|PURGE|HELP. Redis 7.0 slowlog.c,
// latency.c, object.c (memoryCommand, getMemoryOverheadData). State: introspection.hpp.
#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "kvd/command/arg_parser.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/introspection.hpp"
#include "kvd/util/numbers.hpp"

extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp, std::size_t newlen)
    __attribute__((weak));
extern "C" void malloc_stats_print(void (*write_cb)(void*, const char*), void* cbopaque, const char* opts)
    __attribute__((weak));

namespace kvd::command {

// ---- memory accounting (shared with INFO memory) ------------------------------------------

std::size_t jemalloc_stat(const char* name) {
  if (!mallctl) return 0;
  std::uint64_t epoch = 1;
  std::size_t sz = sizeof epoch;
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  std::size_t v = 0;
  sz = sizeof v;
  if (mallctl(name, &v, &sz, nullptr, 0) != 0) return 0;
  return v;
}

memory_overhead compute_memory_overhead(server_state& s, bool locks_held) {
  memory_overhead m;
  auto mem = sample_memory();
  m.used = mem.used;
  m.rss = mem.rss;
  m.peak = mem.peak;
  m.startup = s.introspection.startup_allocated;
  for (auto& cl : s.clients.list())
    m.clients_normal += static_cast<std::int64_t>(cl->query_buffer_bytes.load() + cl->output_buffer_bytes.load());
  if (auto* aof = s.aof.load()) m.aof_buffer = static_cast<std::int64_t>(aof->pending_bytes());
  for (int i = 0; i < s.keyspace.databases(); ++i) {
    auto& db = s.keyspace.db(i);
    db_overhead o;
    o.index = i;
    for (unsigned sh = 0; sh < store::database::shard_count; ++sh) {
      auto& shard = db.shard_at(sh);
      // Without the command's locks (INFO), one shard at a time. try_lock: INFO queued in a
      // transaction may run while this thread holds shard locks; a busy shard is left out.
      std::unique_lock lk(shard.mu, std::defer_lock);
      if (!locks_held && !lk.try_lock()) continue;
      o.keys += shard.data.size();
      o.expires += shard.expires.size();
      // dict node of a key: next + small_string + value = 64; of an expire: next + key + int64 = 40.
      o.main += static_cast<std::int64_t>(shard.data.size() * 64 + shard.data.bucket_bytes());
      o.expires_bytes += static_cast<std::int64_t>(shard.expires.size() * 40 + shard.expires.bucket_bytes());
    }
    if (o.keys == 0 && o.main == 0 && o.expires_bytes == 0) continue;
    m.keys += o.keys;
    m.dbs.push_back(o);
  }
  m.total_overhead = m.startup + m.clients_normal + m.aof_buffer;
  for (auto& d : m.dbs) m.total_overhead += d.main + d.expires_bytes;
  m.dataset = std::max<std::int64_t>(m.used - m.total_overhead, 0);
  m.allocator_allocated = static_cast<std::int64_t>(jemalloc_stat("stats.allocated"));
  m.allocator_active = static_cast<std::int64_t>(jemalloc_stat("stats.active"));
  m.allocator_resident = static_cast<std::int64_t>(jemalloc_stat("stats.resident"));
  if (!mallctl) m.allocator_allocated = m.allocator_active = m.allocator_resident = m.used;
  return m;
}

namespace {

// ---- SLOWLOG ----------------------------------------------------------------------------

void cmd_slowlog_get(command_context& c) {
  std::int64_t count = 10;
  if (c.argc() > 3)
    return c.rb.error("ERR unknown subcommand or wrong number of arguments for '" + std::string(c.arg(1)) +
                      "'. Try SLOWLOG HELP.");
  if (c.argc() == 3) {
    auto n = util::parse_int64(c.arg(2));
    if (!n || *n < -1) return c.rb.error("ERR count should be greater than or equal to -1");
    count = *n;
  }
  auto entries = c.server.introspection.slow.get(count);
  c.rb.array(entries.size());
  for (auto& e : entries) {
    c.rb.array(6);
    c.rb.integer(static_cast<std::int64_t>(e.id));
    c.rb.integer(e.time_s);
    c.rb.integer(e.duration_us);
    c.rb.array(e.argv.size());
    for (auto& a : e.argv) c.rb.bulk(a);
    c.rb.bulk(e.addr);
    c.rb.bulk(e.name);
  }
}

void cmd_slowlog_len(command_context& c) {
  c.rb.integer(static_cast<std::int64_t>(c.server.introspection.slow.len()));
}

void cmd_slowlog_reset(command_context& c) {
  c.server.introspection.slow.reset();
  c.rb.simple("OK");
}

void cmd_slowlog_help(command_context& c) {
  static constexpr std::string_view lines[] = {
      "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
      "HELP",
      "    Prints this help.",
  };
  reply_help(c.rb, lines);
}

// ---- LATENCY ----------------------------------------------------------------------------

void cmd_latency_latest(command_context& c) {
  auto events = c.server.introspection.latency.snapshot();
  c.rb.array(events.size());
  for (auto& [name, s] : events) {
    c.rb.array(4);
    c.rb.bulk(name);
    c.rb.integer(s.samples.empty() ? 0 : s.samples.back().time_s);
    c.rb.integer(s.samples.empty() ? 0 : s.samples.back().latency_ms);
    c.rb.integer(s.max_ms);
  }
}

void cmd_latency_history(command_context& c) {
  auto events = c.server.introspection.latency.snapshot();
  auto it = events.find(std::string(c.arg(2)));
  if (it == events.end()) return c.rb.array(0);
  c.rb.array(it->second.samples.size());
  for (auto& s : it->second.samples) {
    c.rb.array(2);
    c.rb.integer(s.time_s);
    c.rb.integer(s.latency_ms);
  }
}

void cmd_latency_reset(command_context& c) {
  std::vector<std::string> names;
  for (std::size_t i = 2; i < c.argc(); ++i) names.emplace_back(c.arg(i));
  c.rb.integer(static_cast<std::int64_t>(c.server.introspection.latency.reset(names)));
}

void cmd_latency_doctor(command_context& c) {
  auto events = c.server.introspection.latency.snapshot();
  std::string out;
  if (c.server.config.latency_monitor_threshold.load() == 0 && events.empty()) {
    out =
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "
        "\"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep "
        "space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
  } else if (events.empty()) {
    out =
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. "
        "I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
  } else {
    out = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you "
          "Dave?\n\n";
    int n = 1;
    for (auto& [name, s] : events) {
      std::uint64_t sum = 0;
      for (auto& x : s.samples) sum += x.latency_ms;
      out += std::to_string(n++) + ". " + name + ": " + std::to_string(s.samples.size()) +
             " latency spikes (average " + std::to_string(s.samples.empty() ? 0 : sum / s.samples.size()) +
             "ms). Worst all time event " + std::to_string(s.max_ms) + "ms.\n";
    }
    out += "\nI have a few advices for you:\n\n- Check slow commands with SLOWLOG GET; kvd runs commands on "
           "several threads, so a slow command delays only its own connection and the keys it locks.\n";
  }
  c.rb.verbatim("txt", out);
}

void cmd_latency_graph(command_context& c) {
  auto events = c.server.introspection.latency.snapshot();
  auto it = events.find(std::string(c.arg(2)));
  if (it == events.end())
    return c.rb.error("ERR No samples available for event '" + std::string(c.arg(2)) + "'");
  auto& s = it->second;
  std::uint32_t hi = 0, lo = UINT32_MAX;
  for (auto& x : s.samples) hi = std::max(hi, x.latency_ms), lo = std::min(lo, x.latency_ms);
  if (s.samples.empty()) lo = 0;
  // kvd answers the header line of Redis's graph (the ASCII art is left out).
  std::string out = it->first + " - high " + std::to_string(hi) + " ms, low " + std::to_string(lo) +
                    " ms (all time high " + std::to_string(s.max_ms) + " ms)\n" + std::string(80, '-') + "\n";
  c.rb.verbatim("txt", out);
}

/// LATENCY HISTOGRAM [command ...]: per command, calls and a cumulative distribution over
/// power-of-two microsecond buckets (Redis fillCommandCDF).
void cmd_latency_histogram(command_context& c) {
  std::vector<const command_spec*> cmds;
  auto consider = [&](const command_spec& cmd) {
    auto* h = cmd.stats.latency.load(std::memory_order_acquire);
    if (h && h->count() > 0) cmds.push_back(&cmd);
  };
  if (c.argc() == 2) {
    for (auto& cmd : c.server.table.all()) {
      consider(cmd);
      for (auto& sub : cmd.subcommands) consider(sub);
    }
  } else {
    for (std::size_t i = 2; i < c.argc(); ++i) {
      auto name = c.arg(i);
      auto bar = name.find('|');
      const command_spec* cmd = c.server.table.find(name.substr(0, bar));
      if (cmd && bar != std::string_view::npos) cmd = cmd->find_sub(name.substr(bar + 1));
      if (cmd && std::find(cmds.begin(), cmds.end(), cmd) == cmds.end()) consider(*cmd);
    }
  }
  c.rb.map(cmds.size());
  for (auto* cmd : cmds) {
    auto* h = cmd->stats.latency.load(std::memory_order_acquire);
    c.rb.bulk(cmd->fullname);
    c.rb.map(2);
    c.rb.bulk("calls");
    c.rb.integer(static_cast<std::int64_t>(h->count()));
    c.rb.bulk("histogram_usec");
    // Cumulative counts at 1, 2, 4 ... us until every call is covered.
    std::vector<std::pair<std::int64_t, std::int64_t>> rows;
    std::uint64_t total = h->count();
    for (std::int64_t us = 1; us <= (1LL << 30); us *= 2) {
      // Fraction of calls at or below `us`: the largest percentile whose value fits.
      double lo = 0, hi = 100;
      for (int k = 0; k < 30; ++k) {
        double mid = (lo + hi) / 2;
        if (h->percentile(mid) <= static_cast<double>(us) * 1000) lo = mid;
        else hi = mid;
      }
      auto n = static_cast<std::int64_t>(std::floor(lo / 100 * static_cast<double>(total) + 0.5));
      if (n > 0 && (rows.empty() || rows.back().second != n)) rows.emplace_back(us, n);
      if (static_cast<std::uint64_t>(n) >= total) break;
    }
    c.rb.map(rows.size());
    for (auto& [us, n] : rows) {
      c.rb.integer(us);
      c.rb.integer(n);
    }
  }
}

void cmd_latency_help(command_context& c) {
  static constexpr std::string_view lines[] = {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the specified command "
      "names.",
      "    If no commands are specified then all histograms are replied.",
      "HELP",
      "    Prints this help.",
  };
  reply_help(c.rb, lines);
}

// ---- MEMORY -----------------------------------------------------------------------------

void cmd_memory_usage(command_context& c) {
  for (std::size_t i = 3; i < c.argc(); ++i) {
    if (iequals(c.arg(i), "samples") && i + 1 < c.argc()) {
      auto n = util::parse_int64(c.arg(i + 1));
      if (!n) return c.rb.error(err::not_integer);
      if (*n < 0) return c.rb.error(err::syntax);
      ++i;  // kvd sizes every element: sampling is not needed
    } else {
      return c.rb.error(err::syntax);
    }
  }
  auto key = c.arg(2);
  const store::value* v = c.db.find(key);
  if (!v) return c.rb.null();
  std::size_t key_heap = key.size() > 23 ? (key.size() + 15) / 16 * 16 : 0;  // small_string heap block
  c.rb.integer(static_cast<std::int64_t>(key_memory_usage(key, key_heap, v->heap_bytes())));
}

void cmd_memory_stats(command_context& c) {
  auto m = compute_memory_overhead(c.server, true);
  auto ratio = [](std::int64_t a, std::int64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  c.rb.map(25 + m.dbs.size());
  auto kv = [&](std::string_view k, std::int64_t v) {
    c.rb.bulk(k);
    c.rb.integer(v);
  };
  auto kd = [&](std::string_view k, double v) {
    c.rb.bulk(k);
    c.rb.dbl(v);
  };
  kv("peak.allocated", m.peak);
  kv("total.allocated", m.used);
  kv("startup.allocated", m.startup);
  kv("replication.backlog", 0);
  kv("clients.slaves", 0);
  kv("clients.normal", m.clients_normal);
  kv("cluster.links", 0);
  kv("aof.buffer", m.aof_buffer);
  kv("lua.caches", 0);
  kv("functions.caches", 0);
  for (auto& d : m.dbs) {
    c.rb.bulk("db." + std::to_string(d.index));
    c.rb.map(3);
    kv("overhead.hashtable.main", d.main);
    kv("overhead.hashtable.expires", d.expires_bytes);
    kv("overhead.hashtable.slot-to-keys", 0);
  }
  kv("overhead.total", m.total_overhead);
  kv("keys.count", static_cast<std::int64_t>(m.keys));
  kv("keys.bytes-per-key", m.keys ? (m.used - m.startup) / static_cast<std::int64_t>(m.keys) : 0);
  kv("dataset.bytes", m.dataset);
  kd("dataset.percentage", m.used > m.startup ? 100.0 * ratio(m.dataset, m.used - m.startup) : 0.0);
  kd("peak.percentage", 100.0 * ratio(m.used, m.peak));
  kv("allocator.allocated", m.allocator_allocated);
  kv("allocator.active", m.allocator_active);
  kv("allocator.resident", m.allocator_resident);
  kd("allocator-fragmentation.ratio", ratio(m.allocator_active, m.allocator_allocated));
  kv("allocator-fragmentation.bytes", m.allocator_active - m.allocator_allocated);
  kd("allocator-rss.ratio", ratio(m.allocator_resident, m.allocator_active));
  kv("allocator-rss.bytes", m.allocator_resident - m.allocator_active);
  kd("rss-overhead.ratio", ratio(m.rss, m.allocator_resident));
  kv("rss-overhead.bytes", m.rss - m.allocator_resident);
  kd("fragmentation", ratio(m.rss, m.used));
  kv("fragmentation.bytes", m.rss - m.used);
}

void cmd_memory_doctor(command_context& c) {
  auto m = compute_memory_overhead(c.server, false);
  std::string out;
  if (m.used < 1024 * 1024 * 5) {
    out =
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these "
        "conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be "
        "back to our programming as soon as I finished rebooting.\n";
  } else {
    bool high_frag = m.used && static_cast<double>(m.rss) / static_cast<double>(m.used) > 1.4;
    bool peak = m.peak && static_cast<double>(m.peak) / static_cast<double>(m.used) > 1.5;
    if (!high_frag && !peak) {
      out = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this "
            "base.\n";
    } else {
      out = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
      if (peak)
        out += " * Peak memory: In the past this instance used more than 150% the memory that is currently using. "
               "The allocator is normally not able to release memory after a peak, so you can expect to see a big "
               "fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if "
               "the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be "
               "used as soon as you fill the Redis instance with more data. If the memory peak was only "
               "occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise "
               "the only other option is to shutdown and restart the instance.\n\n";
      if (high_frag)
        out += " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this "
               "means that the Resident Set Size of the Redis process is much larger than the sum of the logical "
               "allocations Redis performed). This problem is usually due either to a large peak memory (check if "
               "there is a peak memory entry above in the report) or may result from a workload that causes the "
               "allocator to fragment memory a lot. You can try the MEMORY PURGE command to reclaim it.\n\n";
      out += "I'm here to keep you safe, Sam. I want to help you.\n";
    }
  }
  c.rb.verbatim("txt", out);
}

void cmd_memory_malloc_stats(command_context& c) {
  if (!malloc_stats_print) return c.rb.verbatim("txt", "Stats not supported for the current allocator");
  std::string out;
  malloc_stats_print([](void* p, const char* s) { static_cast<std::string*>(p)->append(s); }, &out, nullptr);
  c.rb.verbatim("txt", out);
}

void cmd_memory_purge(command_context& c) {
  if (mallctl) {
    // arena.<MALLCTL_ARENAS_ALL>.purge (jemalloc 5: 4096), as Redis jemalloc_purge().
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
  } else {
    malloc_trim(0);
  }
  c.rb.simple("OK");
}

void cmd_memory_help(command_context& c) {
  static constexpr std::string_view lines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
      "HELP",
      "    Prints this help.",
  };
  reply_help(c.rb, lines);
}

}  // namespace

void register_introspection_family(command_table& t) {
  constexpr auto als = f_admin | f_loading | f_stale;
  constexpr auto anls = f_admin | f_noscript | f_loading | f_stale;
  constexpr auto ls = f_loading | f_stale;
  auto& slowlog = t.add({"slowlog", -2, 0, 0, 0, 0, nullptr, "slow"});
  t.add_sub(slowlog, {"get", -2, als, 0, 0, 0, cmd_slowlog_get, "admin slow dangerous"});
  t.add_sub(slowlog, {"len", 2, als, 0, 0, 0, cmd_slowlog_len, "admin slow dangerous"});
  t.add_sub(slowlog, {"reset", 2, als, 0, 0, 0, cmd_slowlog_reset, "admin slow dangerous"});
  t.add_sub(slowlog, {"help", 2, ls, 0, 0, 0, cmd_slowlog_help, "slow"});
  auto& latency = t.add({"latency", -2, 0, 0, 0, 0, nullptr, "slow"});
  t.add_sub(latency, {"latest", 2, anls, 0, 0, 0, cmd_latency_latest, "admin slow dangerous"});
  t.add_sub(latency, {"history", 3, anls, 0, 0, 0, cmd_latency_history, "admin slow dangerous"});
  t.add_sub(latency, {"reset", -2, anls, 0, 0, 0, cmd_latency_reset, "admin slow dangerous"});
  t.add_sub(latency, {"doctor", 2, anls, 0, 0, 0, cmd_latency_doctor, "admin slow dangerous"});
  t.add_sub(latency, {"graph", 3, anls, 0, 0, 0, cmd_latency_graph, "admin slow dangerous"});
  t.add_sub(latency, {"histogram", -2, anls, 0, 0, 0, cmd_latency_histogram, "admin slow dangerous"});
  t.add_sub(latency, {"help", 2, ls, 0, 0, 0, cmd_latency_help, "slow"});
  auto& memory = t.add({"memory", -2, 0, 0, 0, 0, nullptr, "slow"});
  t.add_sub(memory, {"usage", -3, f_readonly, 2, 2, 1, cmd_memory_usage, "read slow"});
  // f_global_lock: the per-database dict overheads are read under every shard lock.
  t.add_sub(memory, {"stats", 2, f_global_lock, 0, 0, 0, cmd_memory_stats, "slow"});
  t.add_sub(memory, {"doctor", 2, 0, 0, 0, 0, cmd_memory_doctor, "slow"});
  t.add_sub(memory, {"malloc-stats", 2, 0, 0, 0, 0, cmd_memory_malloc_stats, "slow"});
  t.add_sub(memory, {"purge", 2, 0, 0, 0, 0, cmd_memory_purge, "slow"});
  t.add_sub(memory, {"help", 2, ls, 0, 0, 0, cmd_memory_help, "slow"});
}

}  // namespace kvd::command
