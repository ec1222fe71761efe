// kvd-server: reads the configuration, builds the keyspace and command table, and serves
// RESP and HTTP until SIGINT/SIGTERM or SHUTDOWN.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <random>

#include <syslog.h>

#include <chrono>
#include <ctime>

#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include "kvd/command/dispatcher.hpp"
#include "kvd/command/persistence.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/server/server.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/hash.hpp"

namespace {

spdlog::level::level_enum log_level(const std::string& name) {
  if (name == "debug" || name == "verbose") return spdlog::level::debug;
  if (name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "nothing") return spdlog::level::off;
  return spdlog::level::info;
}

/// `log-format json`: one JSON object per line, {"time","level","pid","thread","msg"}, time in
/// ISO 8601 UTC with milliseconds. Boost.JSON escapes quotes, backslashes and control bytes;
/// bytes that are not valid UTF-8 become U+FFFD so every line stays valid JSON.
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(msg.time.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char when[64];  // room for any int year: no -Wformat-truncation
    std::snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    auto level = spdlog::level::to_string_view(msg.level);
    boost::json::object o;
    o["time"] = when;
    o["level"] = std::string_view(level.data(), level.size());
    o["pid"] = static_cast<std::int64_t>(pid_);
    o["thread"] = static_cast<std::uint64_t>(msg.thread_id);
    o["msg"] = valid_utf8(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line = boost::json::serialize(o);
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<json_formatter>(); }

 private:
  static std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
      auto c = static_cast<unsigned char>(s[i]);
      std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      bool ok = n > 0 && i + n <= s.size();
      for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      if (ok && n == 2) ok = c >= 0xC2;  // no overlong forms
      if (ok && n == 3) {
        auto c1 = static_cast<unsigned char>(s[i + 1]);
        ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogates
      }
      if (ok && n == 4) {
        auto c1 = static_cast<unsigned char>(s[i + 1]);
        ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90) && c <= 0xF4;
      }
      if (ok) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
    }
    return out;
  }
  int pid_ = ::getpid();
};

int syslog_facility(const std::string& name) {
  static constexpr int local[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                                  LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
  if (name.size() == 6 && name.starts_with("local") && name[5] >= '0' && name[5] <= '7') return local[name[5] - '0'];
  return LOG_USER;
}

std::string random_hex(std::size_t n) {
  std::random_device rd;
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(n, '0');
  for (auto& c : s) c = digits[rd() % 16];
  return s;
}

}  // namespace

#ifdef KVD_WITH_JEMALLOC
// Read by jemalloc when the process starts: freed pages are purged by a background thread
// (as Redis's `jemalloc-bg-thread yes`), so RSS follows the memory in use instead of keeping
// freed dirty pages for jemalloc's default 10 s (pipelined loads churn the input buffers).
extern "C" const char* malloc_conf;
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000";
#endif

int main(int argc, char** argv) {
  using namespace kvd;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--version" || a == "-v") {
      std::printf("kvd-server %s\n", KVD_VERSION);
      return 0;
    }
    if (a == "--help" || a == "-h") {
      config::server_config c;
      config::registry r(c);
      std::printf("Usage: kvd-server [--config FILE] [--<option> VALUE ...]\n"
                  "Options are read from FILE, then the command line, then KVD_<OPTION> environment variables.\n\n");
      for (auto& [name, o] : r.all()) std::printf("  --%-28s %s (default: %s)\n", name.c_str(), o.help.c_str(), o.get().c_str());
      return 0;
    }
  }

  config::server_config cfg;
  config::registry options(cfg);
  try {
    options.load(argc, argv);
  } catch (const config::config_error& e) {
    std::fprintf(stderr, "kvd-server: %s\n", e.what());
    return 1;
  }

  try {
    // Every line carries time and level: text "<UTC time> <level> [<thread>] <msg>", or one
    // JSON object per line (log-format json); syslog gets the message (syslogd adds the time,
    // the priority carries the level).
    spdlog::sink_ptr main_sink;
    if (cfg.logfile.empty()) main_sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    else main_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(cfg.logfile);
    if (cfg.log_format == "json") main_sink->set_formatter(std::make_unique<json_formatter>());
    else
      main_sink->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %l [%t] %v",
                                                                           spdlog::pattern_time_type::utc));
    std::vector<spdlog::sink_ptr> sinks{main_sink};
    if (cfg.syslog_enabled) {
      auto sys = std::make_shared<spdlog::sinks::syslog_sink_mt>(cfg.syslog_ident, LOG_PID | LOG_NDELAY,
                                                                 syslog_facility(cfg.syslog_facility), false);
      sinks.push_back(sys);
    }
    auto logger = std::make_shared<spdlog::logger>("kvd", sinks.begin(), sinks.end());
    spdlog::register_logger(logger);
    spdlog::set_default_logger(logger);
    spdlog::set_level(log_level(cfg.loglevel.get()));
    spdlog::flush_on(spdlog::level::trace);  // every line reaches the file at once (no logging on hot paths)
  } catch (const spdlog::spdlog_ex& e) {
    std::fprintf(stderr, "kvd-server: cannot open log file '%s': %s\n", cfg.logfile.c_str(), e.what());
    return 1;
  }


  util::init_hash_seed();
  store::keyspace ks(cfg.databases);
  command::command_table table;
  command::register_all_families(table);
  command::server_state state(ks, cfg, options, table);
  state.run_id = random_hex(40);
  state.start_ms = util::now_ms();
  char exe[4096];
  if (auto n = ::readlink("/proc/self/exe", exe, sizeof exe - 1); n > 0) state.executable.assign(exe, static_cast<std::size_t>(n));
  command::dispatcher disp(state);
  // Users from `user` directives or `aclfile`, then requirepass (Redis ACLLoadUsersAtStartup).
  if (auto err = acl::load_at_startup(state)) {
    spdlog::critical("Aborting startup because of ACL errors: {}", *err);
    std::fprintf(stderr, "kvd-server: Aborting startup because of ACL errors: %s\n", err->c_str());
    return 1;
  }
  options.on_change = [&cfg, &state](const std::string& name) {
    if (name == "loglevel") {
      // Logged at info under whichever of the old and new levels lets it through.
      auto level = log_level(cfg.loglevel.get());
      if (level > spdlog::level::info) spdlog::info("loglevel set to {}", cfg.loglevel.get());
      spdlog::set_level(level);
      if (level <= spdlog::level::info) spdlog::info("loglevel set to {}", cfg.loglevel.get());
    }
    if (name == "appendonly") command::aof_config_changed(state);  // starts (rewrite) or stops the AOF
    // Redis updateMaxmemory: a new limit starts evicting at once (the cron), not at the next command.
    if (name == "maxmemory") state.eviction.running = true;
    persist::fsync_policy p;
    if (name == "appendfsync" && persist::parse_fsync_policy(cfg.appendfsync.get(), p))
      if (auto* aof = state.aof.load()) aof->set_policy(p);
  };
  // Keyspace notifications the keyspace raises itself: "new" (class n) and "keymiss" (m).
  ks.set_key_event_hook(
      [&state](store::key_event e, int db, std::string_view key) {
        if (e == store::key_event::created) pubsub::notify(state.notifier, pubsub::notify_new, "new", key, db);
        else pubsub::notify(state.notifier, pubsub::notify_key_miss, "keymiss", key, db);
      },
      state.notifier.flags, pubsub::notify_new, pubsub::notify_key_miss);
  // Keys removed by expiry are logged as DEL (Redis propagates expires the same way).
  ks.set_expired_hook([&state](int db, std::string_view key) {
    pubsub::notify(state.notifier, pubsub::notify_expired, "expired", key, db);
    if (auto* aof = state.aof.load(std::memory_order_acquire)) {
      std::string_view args[] = {"DEL", key};
      aof->append(db, args);
    }
  });

  try {
    server::server srv(state, disp);
    spdlog::info("kvd {} starting: pid={} resp={}:{} http={}:{} io-threads={} config={}", KVD_VERSION, ::getpid(),
                 cfg.bind, cfg.port, cfg.http_bind, cfg.http_port, cfg.io_threads,
                 cfg.config_file.empty() ? "(none)" : cfg.config_file);
    int code = srv.run();
    spdlog::default_logger()->flush();
    return code;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    std::fprintf(stderr, "kvd-server: %s\n", e.what());
    return 1;
  }
}
