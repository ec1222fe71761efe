// kvd-server: reads the configuration, builds the keyspace and command table, and serves
// RESP and HTTP until SIGINT/SIGTERM or SHUTDOWN.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <random>

#include <boost/program_options.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "kvd/command/dispatcher.hpp"
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
    std::shared_ptr<spdlog::logger> logger;
    if (cfg.logfile.empty()) logger = spdlog::stdout_logger_mt("kvd");
    else logger = spdlog::basic_logger_mt("kvd", cfg.logfile);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(log_level(cfg.loglevel.get()));
    spdlog::flush_on(spdlog::level::info);
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
  options.on_change = [&cfg, &state](const std::string& name) {
    if (name == "loglevel") spdlog::set_level(log_level(cfg.loglevel.get()));
    persist::fsync_policy p;
    if (name == "appendfsync" && persist::parse_fsync_policy(cfg.appendfsync.get(), p))
      if (auto* aof = state.aof.load()) aof->set_policy(p);
  };
  // Keys removed by expiry are logged as DEL (Redis propagates expires the same way).
  ks.set_expired_hook([&state](int db, std::string_view key) {
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
