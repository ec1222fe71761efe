#include "kvd/server/server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include "kvd/command/eviction.hpp"
#include "kvd/command/persistence.hpp"
#include "kvd/net/tls.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/server/resp_session.hpp"
#include "kvd/server/supervise.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/memory_meter.hpp"

#if __has_include("kvd/http/http_listener.hpp")
#include "kvd/http/http_listener.hpp"
#define KVD_HAVE_HTTP 1
#endif

namespace kvd::server {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

/// Descriptors kept free beside the clients' own: listeners, AOF and RDB files, fork pipes,
/// the log (Redis CONFIG_MIN_RESERVED_FDS).
constexpr rlim_t reserved_fds = 32;

/// Redis adjustOpenFilesLimit (server.c): `maxclients` clients need maxclients + 32
/// descriptors. When RLIMIT_NOFILE's soft limit is lower, raises it (the hard limit too when
/// allowed); when the OS refuses, takes the highest limit it grants (16 fewer per try, never
/// below the current one) and logs Redis's warnings. Returns the maxclients that fits: the
/// requested value, or less (0 when not even one client fits).
int fit_open_files_limit(int maxclients) {
  const rlim_t want = static_cast<rlim_t>(maxclients) + reserved_fds;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    spdlog::warn("Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients "
                 "configuration accordingly.", std::strerror(errno));
    return static_cast<int>(std::min<rlim_t>(want, 1024) - reserved_fds);
  }
  const rlim_t old = lim.rlim_cur;
  if (old >= want) return maxclients;
  rlim_t best = want;
  int error = 0;
  while (best > old) {
    rlimit next{best, std::max(best, lim.rlim_max)};
    if (::setrlimit(RLIMIT_NOFILE, &next) == 0) break;
    error = errno;
    best = best < 16 ? old : best - 16;
  }
  best = std::max(best, old);
  if (best >= want) {
    spdlog::info("Increased maximum number of open files to {} (it was originally set to {}).", want, old);
    return maxclients;
  }
  int fits = best > reserved_fds ? static_cast<int>(best - reserved_fds) : 0;
  if (fits > 0) {
    spdlog::warn("You requested maxclients of {} requiring at least {} max file descriptors.", maxclients, want);
    spdlog::warn("Server can't set maximum open files to {} because of OS error: {}.", want, std::strerror(error));
    spdlog::warn("Current maximum open files is {}. maxclients has been reduced to {} to compensate for low "
                 "ulimit. If you need higher maxclients increase 'ulimit -n'.", best, fits);
  }
  return fits;
}

/// A reply sink that drops everything (AOF replay produces no replies).
class discard_sink final : public protocol::reply_builder {
 public:
  void simple(std::string_view) override {}
  void error(std::string_view) override {}
  void integer(std::int64_t) override {}
  void bulk(std::string_view) override {}
  void null() override {}
  void null_array() override {}
  void array(std::size_t) override {}
  void map(std::size_t) override {}
  void set(std::size_t) override {}
  void push(std::size_t) override {}
  void dbl(double) override {}
  void boolean(bool) override {}
  void verbatim(std::string_view, std::string_view) override {}
};

/// Accepts RESP connections; each gets its own strand. Backs off on EMFILE/ENFILE. With
/// `tls` (tls-port) every connection speaks TLS with the holder's current context.
class resp_listener : public std::enable_shared_from_this<resp_listener> {
 public:
  resp_listener(asio::io_context& ioc, const tcp::endpoint& ep, command::dispatcher& d,
                const net::context_holder* tls = nullptr)
      : ioc_(ioc), acceptor_(asio::make_strand(ioc)), backoff_(acceptor_.get_executor()), disp_(d), tls_(tls) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }
  void start() { do_accept(); }
  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      error_code ec;
      self->acceptor_.close(ec);
      self->backoff_.cancel();
    });
  }
  [[nodiscard]] unsigned short port() const { return acceptor_.local_endpoint().port(); }

 private:
  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [self = shared_from_this()](const error_code& ec, tcp::socket s) { self->on_accept(ec, std::move(s)); });
  }
  void on_accept(const error_code& ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
          ec == asio::error::no_memory) {
        // Out of descriptors or memory: accepting again at once would spin. New clients wait
        // in the listen backlog; one line per streak, not one per retry.
        if (accept_failures_++ == 0)
          spdlog::warn("Accepting client connection: {}; retrying every 100 ms", ec.message());
        backoff_.expires_after(std::chrono::milliseconds(100));
        backoff_.async_wait([self = shared_from_this()](const error_code& e) {
          if (!e) self->do_accept();
        });
        return;
      }
      spdlog::warn("Accepting client connection: {}", ec.message());
      return do_accept();
    }
    if (accept_failures_ > 0) {
      spdlog::warn("Accepting client connections again after {} failed attempts", accept_failures_);
      accept_failures_ = 0;
    }
    auto& st = disp_.server();
    auto session = std::make_shared<resp_session>(std::move(s), disp_, tls_ ? tls_->get() : nullptr);
    if (st.stats.connected_clients.load() >= st.config.maxclients.load()) {
      st.stats.rejected_connections.fetch_add(1);
      session->refuse("-ERR max number of clients reached\r\n");
    } else {
      session->start();
    }
    do_accept();
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  int accept_failures_ = 0;  ///< accepts failed in a row for lack of descriptors or memory
  command::dispatcher& disp_;
  const net::context_holder* tls_;  ///< null: plain RESP
};

/// Bytes of a command as a RESP array of bulk strings (an AOF record's size).
std::uint64_t resp_size(std::span<const std::string_view> args) {
  auto digits = [](std::size_t n) { return std::to_string(n).size(); };
  std::uint64_t n = 1 + digits(args.size()) + 2;
  for (auto a : args) n += 1 + digits(a.size()) + 2 + a.size() + 2;
  return n;
}

/// Total size of the AOF files in `folder` (everything but the manifest): INFO
/// loading_total_bytes while they load.
std::uint64_t aof_files_size(const std::string& folder) {
  std::error_code ec;
  std::uint64_t total = 0;
  for (auto& e : std::filesystem::directory_iterator(folder, ec))
    if (e.is_regular_file(ec) && e.path().extension() != ".manifest") total += e.file_size(ec);
  return total;
}

}  // namespace

struct server::impl {
  command::server_state& state;
  command::dispatcher& disp;
  asio::io_context ioc;
  /// The cron, signals and the stop sequence run on this one strand, so the timers are never
  /// used from two threads at once (Asio timers are not thread-safe objects).
  asio::strand<asio::io_context::executor_type> control{asio::make_strand(ioc)};
  asio::signal_set signals{control, SIGINT, SIGTERM};
  asio::steady_timer cron{control};
  asio::steady_timer stop_deadline{control};
  std::vector<std::shared_ptr<resp_listener>> resp_listeners;
#ifdef KVD_HAVE_HTTP
  std::shared_ptr<http::listener> http_listener;
  std::shared_ptr<http::listener> https_listener;  ///< http-tls-port
#endif
  /// The TLS context of tls-port, http-tls and http-tls-port (CONFIG SET tls-* replaces it).
  net::context_holder tls;
  std::atomic<int> exit_code{0};
  std::atomic<bool> stopping{false};

  /// Replays the AOF (when appendonly yes) and opens the writer; runs on its own thread
  /// while the listeners answer -LOADING. A corrupt file stops the server with exit code 1.
  void load_then_open_aof() {
    auto& cfg = state.config;
    persist::aof_paths paths{cfg.dir, cfg.appenddirname, cfg.appendfilename};
    auto t0 = util::now_ms();
    command::client_context loader;
    loader.replaying_aof = true;
    discard_sink sink;
    auto& progress = state.loading_progress;
    auto res = command::aof_load_startup(state, [&](std::span<const std::string_view> args) {
      if (!state.table.find(args[0])) return "Unknown command '" + std::string(args[0].substr(0, 128)) + "'";
      disp.execute(loader, args, sink);
      progress.loaded_bytes.fetch_add(resp_size(args), std::memory_order_relaxed);  // INFO loading_loaded_bytes
      return std::string();
    });
    if (!res.ok) {
      spdlog::critical("{}", res.error);
      std::fprintf(stderr, "kvd-server: %s\n", res.error.c_str());
      return begin_stop(1);
    }
    if (res.truncated) spdlog::warn("{}", res.warning);
    persist::aof_writer* aof = nullptr;
    try {
      aof = &command::aof_open_startup(state);
    } catch (const std::exception& e) {
      spdlog::critical("{}", e.what());
      std::fprintf(stderr, "kvd-server: %s\n", e.what());
      return begin_stop(1);
    }
    state.loading = false;
    supervise::ready(cfg);
    spdlog::info("DB loaded from append only file {}: {} commands in {:.3f} seconds; appending to {} (appendfsync {})",
                 paths.manifest(), res.commands, static_cast<double>(util::now_ms() - t0) / 1000.0, aof->incr_path(),
                 cfg.appendfsync.get());
  }

  /// Loads dir/dbfilename (when appendonly no) on its own thread while the listeners answer
  /// -LOADING. A corrupt file stops the server with exit code 1.
  void load_rdb() {
    auto t0 = util::now_ms();
    auto res = command::rdb_load_startup(state);
    if (!res.ok) {
      spdlog::critical("{}", res.error);
      std::fprintf(stderr, "kvd-server: %s\n", res.error.c_str());
      return begin_stop(1);
    }
    state.loading = false;
    supervise::ready(state.config);  // listeners are up and the snapshot (if any) is loaded
    if (!res.missing)
      spdlog::info("DB loaded from disk: {} keys ({} expired skipped) from {} (RDB v{}, redis-ver {}) in {:.3f} seconds",
                   res.keys, res.expired, command::rdb_path(state), res.version, res.redis_ver,
                   static_cast<double>(util::now_ms() - t0) / 1000.0);
  }

  /// SIGINT/SIGTERM: save when save rules are set (Redis prepareForShutdown), then stop; a
  /// failed save keeps the server running, as Redis does.
  void wait_signals() {
    signals.async_wait([this](const error_code& ec, int sig) {
      if (ec) return;
      const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
      spdlog::info("received {}, shutting down", name);
      if (!command::persistence_shutdown(state, false, true, false)) {
        spdlog::warn("{} received but errors trying to shut down the server, check the logs for more information", name);
        return wait_signals();
      }
      begin_stop(0);
    });
  }

  impl(command::server_state& s, command::dispatcher& d) : state(s), disp(d), ioc(s.config.io_threads) {}

  void schedule_cron() {
    int hz = std::max(1, state.config.hz.load());
    cron.expires_after(std::chrono::milliseconds(1000 / hz));
    cron.async_wait([this](const error_code& ec) {
      if (ec || stopping) return;
      run_cron();
      schedule_cron();
    });
  }

  // Redis's instantaneous_ops_per_sec: the mean rate over the last 16 cron samples.
  std::int64_t last_sample_ms = 0;
  std::uint64_t last_sample_cmds = 0;
  std::array<double, 16> ops_samples{};
  std::size_t ops_idx = 0;

  void sample_ops() {
    std::int64_t now = util::now_ms();
    std::uint64_t cmds = state.stats.total_commands_processed.load();
    if (last_sample_ms > 0 && now > last_sample_ms) {
      ops_samples[ops_idx++ % ops_samples.size()] =
          static_cast<double>(cmds - last_sample_cmds) * 1000.0 / static_cast<double>(now - last_sample_ms);
      double sum = 0;
      for (double v : ops_samples) sum += v;
      state.stats.instantaneous_ops_per_sec = static_cast<std::uint64_t>(sum / ops_samples.size());
    }
    last_sample_ms = now;
    last_sample_cmds = cmds;
  }

  void run_cron() {
    sample_ops();
    command::persistence_cron(state);  // BGSAVE child reaping, save rules
    command::eviction_cron(state);     // an eviction that ran out of time budget goes on
    // Active expire: Redis's slow cycle may use 25% of each cron period.
    int hz = std::max(1, state.config.hz.load());
    if (state.config.active_expire_enabled.load())
      state.keyspace.active_expire_cycle(static_cast<std::int64_t>(250'000 / hz));
    // Idle clients (`timeout` seconds).
    if (int t = state.config.timeout.load(); t > 0) {
      std::int64_t now = util::now_ms();
      for (auto& c : state.clients.list()) {
        if (c->is_http) continue;
        // Redis clientsCronHandleTimeout: subscribers, MONITOR clients and blocked clients
        // (their command has its own timeout) are never closed for being idle.
        if (c->subs.n_channels.load() + c->subs.n_patterns.load() + c->subs.n_shard.load() > 0 ||
            c->subs.monitor.load() || state.blocking.is_blocked(c->id))
          continue;
        if (now - c->last_interaction_ms.load() > static_cast<std::int64_t>(t) * 1000)
          if (auto h = c->handle.lock()) h->close();
      }
    }
  }

  void wait_for_clients(int polls_left) {
    if (state.clients.size() == 0 || polls_left == 0) return ioc.stop();
    stop_deadline.expires_after(std::chrono::milliseconds(20));
    stop_deadline.async_wait([this, polls_left](const error_code& ec) {
      if (!ec) wait_for_clients(polls_left - 1);
    });
  }

  void begin_stop(int code) {
    if (stopping.exchange(true)) return;
    exit_code = code;
    supervise::stopping(state.config);
    asio::post(control, [this] {
      spdlog::info("shutting down: closing listeners and clients");
      for (auto& l : resp_listeners) l->stop();
#ifdef KVD_HAVE_HTTP
      if (http_listener) http_listener->stop();
      if (https_listener) https_listener->stop();
#endif
      signals.cancel();
      cron.cancel();
      for (auto& c : state.clients.list())
        if (auto h = c->handle.lock()) h->close();
      // Clients with replies still in flight get a bounded grace period (500 ms); the loop
      // ends as soon as every connection is gone.
      wait_for_clients(25);
    });
  }
};

server::server(command::server_state& state, command::dispatcher& disp) : impl_(std::make_unique<impl>(state, disp)) {
  state.hooks.shutdown = [this](int code) { stop(code); };
  // CONFIG SET of a tls-* file or parameter reloads the context while TLS is in use, as
  // Redis's applyTlsCfg; a context that cannot be built fails the command, nothing changes.
  // Connections already open keep theirs.
  state.options.on_apply = [this](const std::string& name) -> std::optional<std::string> {
    // Redis updateMaxclients: more clients than the descriptor limit allows fail the command.
    if (name == "maxclients") {
      int want = impl_->state.config.maxclients.load();
      int fits = fit_open_files_limit(want);
      if (fits < want)
        return "The operating system is not able to handle the specified number of clients, try with " +
               std::to_string(fits);
      return std::nullopt;
    }
    if (!name.starts_with("tls-") || name == "tls-auth-clients") return std::nullopt;
    if (!net::tls_enabled(impl_->state.config)) return std::nullopt;
    try {
      impl_->tls.set(net::make_server_context(impl_->state.config));
    } catch (const std::exception& e) {
      spdlog::warn("CONFIG SET {}: {}", name, e.what());
      return "Unable to update TLS configuration. Check server logs.";
    }
    spdlog::info("TLS configuration reloaded (CONFIG SET {})", name);
    return std::nullopt;
  };
}

server::~server() { impl_->state.options.on_apply = nullptr; }

void server::stop(int code) { impl_->begin_stop(code); }

int server::run() {
  auto& s = *impl_;
  auto& cfg = s.state.config;
  // The certificates first: a bad tls-* file stops start-up (the message names it).
  if (net::tls_enabled(cfg)) s.tls.set(net::make_server_context(cfg));
  // OpenSSL writes to TLS clients' descriptors itself (net::fd_tls_stream): a client gone
  // must give EPIPE, not kill the process (Redis ignores SIGPIPE too).
  std::signal(SIGPIPE, SIG_IGN);
  // Descriptors for maxclients (Redis adjustOpenFilesLimit): too few lowers maxclients.
  if (int want = cfg.maxclients.load(), fits = fit_open_files_limit(want); fits < want) {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (fits < 1)
      throw std::runtime_error("Your current 'ulimit -n' of " + std::to_string(lim.rlim_cur) +
                               " is not enough for the server to start. Please increase your open file limit to at least " +
                               std::to_string(want + reserved_fds) + ".");
    cfg.maxclients = fits;
  }
  auto listen_resp = [&](int port, const net::context_holder* tls) {
    std::istringstream binds(cfg.bind);
    std::string addr;
    const char* what = tls ? "RESP over TLS" : "RESP";
    while (binds >> addr) {
      tcp::endpoint ep;
      try {
        ep = tcp::endpoint(asio::ip::make_address(addr), static_cast<unsigned short>(port));
        auto l = std::make_shared<resp_listener>(s.ioc, ep, s.disp, tls);
        if (!tls) s.state.tcp_port = l->port();
        l->start();
        s.resp_listeners.push_back(std::move(l));
        if (tls) spdlog::info("{} listening on {}:{}", what, addr, port);
      } catch (const std::exception& e) {
        throw std::runtime_error("cannot listen on " + addr + ":" + std::to_string(port) + " (" + what + "): " + e.what());
      }
    }
  };
  if (cfg.port > 0) listen_resp(cfg.port, nullptr);
  if (cfg.tls_port > 0) listen_resp(cfg.tls_port, &s.tls);
#ifdef KVD_HAVE_HTTP
  auto listen_http = [&](int port, const net::context_holder* tls) {
    try {
      tcp::endpoint ep(asio::ip::make_address(cfg.http_bind), static_cast<unsigned short>(port));
      return http::start_http_listener(s.ioc, ep, s.disp, tls);
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot listen on " + cfg.http_bind + ":" + std::to_string(port) +
                               (tls ? " (HTTPS): " : " (HTTP): ") + e.what());
    }
  };
  if (cfg.http_port > 0) {
    s.http_listener = listen_http(cfg.http_port, cfg.http_tls ? &s.tls : nullptr);
    s.state.http_port = cfg.http_port;
  }
  if (cfg.http_tls_port > 0) s.https_listener = listen_http(cfg.http_tls_port, &s.tls);
#endif
  s.wait_signals();
  s.schedule_cron();

  std::thread loader;
  supervise::check(cfg);
  // INFO loading_* (set before the loader starts, so the first INFO sees the total).
  auto& progress = s.state.loading_progress;
  progress.start_time = util::now_ms() / 1000;
  std::error_code size_ec;
  progress.total_bytes = cfg.appendonly ? aof_files_size(persist::aof_paths{cfg.dir, cfg.appenddirname, cfg.appendfilename}.folder())
                                        : std::filesystem::file_size(command::rdb_path(s.state), size_ec);
  if (size_ec) progress.total_bytes = 0;
  if (cfg.appendonly) {
    s.state.loading = true;
    supervise::status(cfg, "Loading the append only file");
    loader = std::thread([&s] {
      util::memory_meter::register_thread();
      s.load_then_open_aof();
    });
  } else {
    s.state.loading = true;  // the AOF has priority when on (Redis loadDataFromDisk)
    supervise::status(cfg, "Loading the RDB snapshot");
    loader = std::thread([&s] {
      util::memory_meter::register_thread();
      s.load_rdb();
    });
  }

  int n = std::max(1, cfg.io_threads);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(n - 1));
  for (int i = 1; i < n; ++i)
    threads.emplace_back([&s] {
      util::memory_meter::register_thread();
      s.ioc.run();
    });
  // Every thread kvd starts registers with the used-memory meter (INFO used_memory, maxmemory).
  util::memory_meter::register_thread();
  s.ioc.run();
  for (auto& t : threads) t.join();
  if (loader.joinable()) loader.join();
  // Everything acknowledged is written and fsynced before the process exits.
  command::aof_shutdown(s.state);
  spdlog::info("kvd stopped");
  return s.exit_code;
}

}  // namespace kvd::server
