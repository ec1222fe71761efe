// Slow log, latency monitor, latency histograms, errorstats and CLIENT PAUSE state
// (introspection.hpp). Redis 7.0 slowlog.c, latency.c, server.c (call, processCommand).
#include "kvd/command/introspection.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>

#include "kvd/command/command_table.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/util/clock.hpp"

namespace kvd::command {

command_stats::~command_stats() { delete latency.load(std::memory_order_relaxed); }

// ---- slow log ---------------------------------------------------------------------------

namespace {
constexpr std::size_t slowlog_max_argc = 32;     // SLOWLOG_ENTRY_MAX_ARGC
constexpr std::size_t slowlog_max_string = 128;  // SLOWLOG_ENTRY_MAX_STRING
}  // namespace

void slowlog::add(const client_context& c, std::span<const std::string_view> args, std::int64_t duration_us,
                  std::size_t max_len) {
  slowlog_entry e;
  e.time_s = util::now_ms() / 1000;
  e.duration_us = duration_us;
  std::size_t n = std::min(args.size(), slowlog_max_argc);
  e.argv.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (n == slowlog_max_argc && i == n - 1 && args.size() > slowlog_max_argc) {
      e.argv.push_back("... (" + std::to_string(args.size() - n + 1) + " more arguments)");
      break;
    }
    auto a = args[i];
    if (a.size() > slowlog_max_string) {
      std::string s(a.substr(0, slowlog_max_string));
      s += "... (" + std::to_string(a.size() - slowlog_max_string) + " more bytes)";
      e.argv.push_back(std::move(s));
    } else {
      e.argv.emplace_back(a);
    }
  }
  {
    std::lock_guard lk(c.info_mu);
    e.addr = c.addr;
    e.name = c.name;
  }
  std::lock_guard lk(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<slowlog_entry> slowlog::get(std::int64_t count) const {
  std::lock_guard lk(mu_);
  std::size_t n = count < 0 ? entries_.size() : std::min(entries_.size(), static_cast<std::size_t>(count));
  return {entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::size_t slowlog::len() const {
  std::lock_guard lk(mu_);
  return entries_.size();
}

void slowlog::reset() {
  std::lock_guard lk(mu_);
  entries_.clear();
}

void slowlog::trim(std::size_t max_len) {
  std::lock_guard lk(mu_);
  while (entries_.size() > max_len) entries_.pop_back();
}

// ---- latency monitor --------------------------------------------------------------------

void latency_monitor::add(std::string_view event, std::uint32_t ms) {
  std::int64_t now = util::now_ms() / 1000;
  std::lock_guard lk(mu_);
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), series{}).first;
  auto& s = it->second;
  s.max_ms = std::max(s.max_ms, ms);
  // Samples within the same second are merged, keeping the largest (latencyAddSample).
  if (!s.samples.empty() && s.samples.back().time_s == now) {
    s.samples.back().latency_ms = std::max(s.samples.back().latency_ms, ms);
    return;
  }
  s.samples.push_back({now, ms});
  if (s.samples.size() > history_len) s.samples.pop_front();
}

std::map<std::string, latency_monitor::series> latency_monitor::snapshot() const {
  std::lock_guard lk(mu_);
  return {events_.begin(), events_.end()};
}

std::size_t latency_monitor::reset(const std::vector<std::string>& events) {
  std::lock_guard lk(mu_);
  if (events.empty()) {
    auto n = events_.size();
    events_.clear();
    return n;
  }
  std::size_t n = 0;
  for (auto& e : events) n += events_.erase(e);
  return n;
}

// ---- latency histogram ------------------------------------------------------------------

std::size_t latency_histogram::bucket_of(std::uint64_t ns) noexcept {
  if (ns < (1u << sub_bits)) return static_cast<std::size_t>(ns);  // exact below 16 ns
  int msb = 63 - std::countl_zero(ns);                              // >= sub_bits
  std::size_t exp = static_cast<std::size_t>(msb - sub_bits + 1);
  std::size_t sub = static_cast<std::size_t>((ns >> (msb - sub_bits)) & ((1u << sub_bits) - 1));
  std::size_t b = (exp << sub_bits) + sub;
  return std::min(b, bucket_count - 1);
}

std::uint64_t latency_histogram::upper_edge(std::size_t b) noexcept {
  std::size_t exp = b >> sub_bits, sub = b & ((1u << sub_bits) - 1);
  if (exp == 0) return sub;
  int shift = static_cast<int>(exp) - 1;
  return (((std::uint64_t{1} << sub_bits) | sub) << shift) + ((std::uint64_t{1} << shift) - 1);
}

void latency_histogram::record(std::uint64_t ns) noexcept {
  buckets_[bucket_of(ns)].fetch_add(1, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);
}

double latency_histogram::percentile(double p) const noexcept {
  std::uint64_t total = 0;
  for (auto& b : buckets_) total += b.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  auto want = static_cast<std::uint64_t>(std::ceil(static_cast<double>(total) * std::clamp(p, 0.0, 100.0) / 100.0));
  want = std::max<std::uint64_t>(want, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= want) return static_cast<double>(upper_edge(i));
  }
  return static_cast<double>(upper_edge(bucket_count - 1));
}

void latency_histogram::reset() noexcept {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  total_.store(0, std::memory_order_relaxed);
}

// ---- state ------------------------------------------------------------------------------

introspection_state::introspection_state() : startup_allocated(sample_memory().used) {}

std::pair<std::string, std::string> introspection_state::repl_ids() const {
  std::lock_guard lk(err_mu_);
  return {replid_, replid2_};
}

void introspection_state::change_repl_id() {
  std::random_device rd;
  std::mt19937_64 g(rd());
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (auto& ch : id) ch = hex[g() & 15];
  std::lock_guard lk(err_mu_);
  replid_ = id;
  replid2_ = std::string(40, '0');
}

// ---- errorstats -------------------------------------------------------------------------

void introspection_state::count_error(std::string_view code) {
  std::lock_guard lk(err_mu_);
  auto it = errors_.find(std::string(code));
  if (it != errors_.end()) {
    ++it->second;
    return;
  }
  if (errors_.size() >= 128) return;  // Redis ERROR_STATS_NUMBER
  errors_.emplace(std::string(code), 1);
}

std::map<std::string, std::uint64_t> introspection_state::error_counts() const {
  std::lock_guard lk(err_mu_);
  return errors_;
}

void introspection_state::reset_errors() {
  std::lock_guard lk(err_mu_);
  errors_.clear();
}

// ---- hooks ------------------------------------------------------------------------------

void after_command(server_state& s, const client_context& c, const command_spec& cmd,
                   std::span<const std::string_view> args, std::int64_t duration_us) {
  auto& cfg = s.config;
  if (cfg.latency_tracking.load(std::memory_order_relaxed)) {
    auto* h = cmd.stats.latency.load(std::memory_order_acquire);
    if (!h) {
      auto* fresh = new latency_histogram;
      if (cmd.stats.latency.compare_exchange_strong(h, fresh, std::memory_order_acq_rel)) h = fresh;
      else delete fresh;  // another thread installed one; h now holds it
    }
    h->record(static_cast<std::uint64_t>(std::max<std::int64_t>(duration_us, 0)) * 1000);
  }
  auto slower = cfg.slowlog_log_slower_than.load(std::memory_order_relaxed);
  if (slower >= 0 && duration_us >= slower && !cmd.has(f_skip_slowlog) &&
      !(cmd.parent && cmd.parent->has(f_skip_slowlog))) {
    auto max_len = static_cast<std::size_t>(cfg.slowlog_max_len.load(std::memory_order_relaxed));
    // Passwords never reach the log: AUTH's and HELLO ... AUTH user pass's are redacted
    // (Redis redactClientCommandArgument).
    bool auth = cmd.fullname == "auth", hello = cmd.fullname == "hello";
    if (auth || hello) {
      std::vector<std::string_view> v(args.begin(), args.end());
      for (std::size_t i = 1; i < v.size(); ++i) {
        if (auth) v[i] = "(redacted)";
        else if (iequals(v[i], "auth")) {
          if (i + 1 < v.size()) v[i + 1] = "(redacted)";
          if (i + 2 < v.size()) v[i + 2] = "(redacted)";
          i += 2;
        }
      }
      s.introspection.slow.add(c, v, duration_us, max_len);
    } else {
      s.introspection.slow.add(c, args, duration_us, max_len);
    }
  }
  auto threshold = cfg.latency_monitor_threshold.load(std::memory_order_relaxed);
  if (threshold > 0 && duration_us / 1000 >= threshold)
    s.introspection.latency.add(cmd.has(f_fast) ? "fast-command" : "command",
                                static_cast<std::uint32_t>(duration_us / 1000));
}

std::int64_t pause_wait_ms(server_state& s, std::span<const std::string_view> args) {
  int mode = s.introspection.pause.load(std::memory_order_relaxed);
  if (mode == 0) return 0;
  std::int64_t left = s.introspection.pause_end_ms.load(std::memory_order_relaxed) - util::now_ms();
  if (left <= 0) {
    s.introspection.pause.store(0, std::memory_order_relaxed);
    return 0;
  }
  if (mode == static_cast<int>(pause_mode::all)) return left;
  const command_spec* cmd = s.table.find(args[0]);
  if (!cmd) return 0;
  if (!cmd->subcommands.empty() && args.size() >= 2)
    if (auto* sub = cmd->find_sub(args[1])) cmd = sub;
  // PAUSE WRITE holds writes and may-replicate commands (Redis 7.0 processCommand).
  return (cmd->has(f_write) || cmd->has(f_may_replicate)) ? left : 0;
}

std::size_t key_memory_usage(std::string_view key, std::size_t key_heap_bytes, std::size_t value_heap_bytes) {
  // dict node: next pointer + small_string key (24) + value (32) = 64 bytes, one bucket
  // pointer per entry at load factor 1, plus the heap bytes of key and value.
  (void)key;
  return 64 + sizeof(void*) + key_heap_bytes + value_heap_bytes;
}

}  // namespace kvd::command
