// Server configuration: one registry of options with Redis 7.0 names, read from the config
// file (`name = value`, or `name value` as in redis.conf), then command-line flags (`--name
// value`), then `KVD_<NAME>` environment variables (NAME upper-case, '-' as '_'); the later
// source wins. CONFIG GET / CONFIG SET use the same registry: one setter checks each option.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::config {

/// A string option that CONFIG SET may change while other threads read it.
class locked_string {
 public:
  locked_string(const char* v = "") : v_(v) {}  // NOLINT: implicit, for defaults
  /// A copy of the current value.
  [[nodiscard]] std::string get() const {
    std::lock_guard lk(mu_);
    return v_;
  }
  locked_string(const locked_string&) = delete;
  locked_string& operator=(const locked_string&) = delete;
  locked_string& operator=(std::string v) {
    std::lock_guard lk(mu_);
    v_ = std::move(v);
    return *this;
  }
  locked_string& operator=(const char* v) { return *this = std::string(v); }

 private:
  mutable std::mutex mu_;
  std::string v_;
};

/// One class of client-output-buffer-limit (Redis clientBufferLimitsConfig): a client of
/// the class whose pending output exceeds `hard` bytes, or stays above `soft` bytes for more
/// than `soft_seconds`, is disconnected. 0 disables a limit.
struct output_buffer_limit {
  std::atomic<std::int64_t> hard{0}, soft{0}, soft_seconds{0};
};

/// client-output-buffer-limit classes, in Redis's order.
enum class client_class { normal = 0, replica = 1, pubsub = 2 };

/// maxmemory-policy codes: Redis's MAXMEMORY_* values (server.h), flag bits in the low byte.
inline constexpr int policy_flag_lru = 1 << 0;
inline constexpr int policy_flag_lfu = 1 << 1;
inline constexpr int policy_flag_allkeys = 1 << 2;
inline constexpr int policy_volatile_lru = (0 << 8) | policy_flag_lru;
inline constexpr int policy_volatile_lfu = (1 << 8) | policy_flag_lfu;
inline constexpr int policy_volatile_ttl = 2 << 8;
inline constexpr int policy_volatile_random = 3 << 8;
inline constexpr int policy_allkeys_lru = (4 << 8) | policy_flag_lru | policy_flag_allkeys;
inline constexpr int policy_allkeys_lfu = (5 << 8) | policy_flag_lfu | policy_flag_allkeys;
inline constexpr int policy_allkeys_random = (6 << 8) | policy_flag_allkeys;
inline constexpr int policy_noeviction = 7 << 8;

/// The policy_* code of a maxmemory-policy name (lower case, as CONFIG SET stores it), or
/// -1 for an unknown name.
int maxmemory_policy_code(std::string_view name) noexcept;

/// Values of all options. Fields read on hot paths by other threads are atomics.
struct server_config {
  std::string config_file;            ///< path given with --config ("" = none)
  int port = 6379;                    ///< RESP TCP port (0 = disabled)
  std::string bind = "127.0.0.1";     ///< space-separated addresses for RESP
  int http_port = 8080;               ///< HTTP port (0 = disabled)
  std::string http_bind = "127.0.0.1";
  // TLS (Redis 7.0 tls-* names and defaults; src/net/tls.cpp). The file options and the
  // protocol/cipher/session options may be changed by CONFIG SET, which reloads the context.
  int tls_port = 0;                   ///< RESP over TLS on `bind` (0 = disabled), start-up only
  locked_string tls_cert_file;        ///< server certificate chain, PEM
  locked_string tls_key_file;         ///< server private key, PEM
  locked_string tls_key_file_pass;    ///< passphrase of tls_key_file ("" = none)
  locked_string tls_ca_cert_file;     ///< CA bundle that signs client certificates, PEM
  locked_string tls_ca_cert_dir;      ///< directory of CA certificates (c_rehash layout)
  locked_string tls_dh_params_file;   ///< DH parameters, PEM ("" = OpenSSL's automatic groups)
  locked_string tls_auth_clients = "yes";  ///< yes | no | optional: client certificates on tls-port
  locked_string tls_protocols;        ///< e.g. "TLSv1.2 TLSv1.3" ("" = that default)
  locked_string tls_ciphers;          ///< OpenSSL cipher list for TLSv1.2 and below ("" = OpenSSL's)
  locked_string tls_ciphersuites;     ///< OpenSSL TLSv1.3 ciphersuites ("" = OpenSSL's)
  std::atomic<bool> tls_prefer_server_ciphers{false};
  std::atomic<bool> tls_session_caching{true};
  std::atomic<std::int64_t> tls_session_cache_size{20 * 1024};  ///< sessions
  std::atomic<std::int64_t> tls_session_cache_timeout{300};     ///< seconds
  /// Redis's certificate for outgoing TLS connections; kvd makes none (accepted for compatibility).
  locked_string tls_client_cert_file, tls_client_key_file, tls_client_key_file_pass;
  bool http_tls = false;              ///< http-port speaks HTTPS, start-up only
  int http_tls_port = 0;              ///< an HTTPS listener on `http-bind` besides http-port (0 = none)
  locked_string http_tls_auth_clients = "no";  ///< yes | no | optional: client certificates over HTTPS
  int io_threads = 2;                 ///< threads running the io_context
  int databases = 16;
  locked_string loglevel = "info";    ///< debug | info | warning | error (Redis names accepted)
  std::string logfile;                ///< "" = stdout
  std::string log_format = "text";    ///< text | json (one JSON object per line), start-up only
  bool syslog_enabled = false;        ///< also log to syslog(3), start-up only
  std::string syslog_ident = "kvd";   ///< syslog identity, start-up only
  std::string syslog_facility = "local0";  ///< user | local0..local7 (Redis names), start-up only
  std::string supervised = "no";      ///< no | systemd | auto: sd_notify READY=1/STOPPING=1 (start-up only)
  std::atomic<int> maxclients{10000};
  std::atomic<int> timeout{0};        ///< idle client timeout, seconds (0 = never)
  std::atomic<bool> protected_mode{true};
  std::atomic<std::int64_t> proto_max_bulk_len{512LL * 1024 * 1024};        ///< bytes
  std::atomic<std::int64_t> client_query_buffer_limit{1024LL * 1024 * 1024};  ///< bytes
  /// client-output-buffer-limit by client_class; defaults as Redis 7.0.
  output_buffer_limit client_output_buffer_limit[3];
  /// notify-keyspace-events, parsed (pubsub::notify_flag bits; 0 = off).
  std::atomic<int> notify_keyspace_events{0};
  std::atomic<int> hz{10};            ///< background tasks per second (active expire)
  std::atomic<bool> active_expire_enabled{true};
  std::string dir = ".";              ///< working directory for files
  std::atomic<std::int64_t> maxmemory{0};  ///< bytes; 0 = no limit (eviction.hpp)
  locked_string maxmemory_policy = "noeviction";
  /// maxmemory-policy as a policy_* code, kept in step with the name for hot-path reads.
  std::atomic<int> maxmemory_policy_code{policy_noeviction};
  std::atomic<int> maxmemory_samples{5};             ///< keys sampled per db per eviction round
  std::atomic<int> maxmemory_eviction_tenacity{10};  ///< 0..100: eviction time budget per command
  std::atomic<int> lfu_log_factor{10};               ///< LFU counter growth: higher = slower
  std::atomic<int> lfu_decay_time{1};                ///< minutes per LFU counter decrement (0 = never)
  std::string enable_debug_command = "no";  ///< no | local | yes (Redis 7.0, immutable)
  std::atomic<bool> appendonly{false};       ///< AOF on (CONFIG SET starts it with a rewrite)
  locked_string appendfsync = "everysec";    ///< always | everysec | no
  std::string appenddirname = "appendonlydir";
  std::string appendfilename = "appendonly.aof";
  std::atomic<bool> aof_load_truncated{true};
  std::atomic<bool> aof_use_rdb_preamble{true};  ///< rewrite base as RDB (.base.rdb) or commands (.base.aof)
  std::atomic<int> auto_aof_rewrite_percentage{100};  ///< growth over aof_base_size that starts a rewrite (0 = off)
  std::atomic<std::int64_t> auto_aof_rewrite_min_size{64LL * 1024 * 1024};  ///< bytes; no auto rewrite below
  locked_string save = "";                   ///< snapshot rules "<seconds> <changes> ..." ("" = none)
  locked_string dbfilename = "dump.rdb";     ///< RDB file name inside `dir`
  std::atomic<bool> rdbcompression{true};    ///< LZF-compress strings in RDB files
  /// With save rules set and the last BGSAVE failed, writes (and PING) get -MISCONF.
  std::atomic<bool> stop_writes_on_bgsave_error{true};
  bool rdbchecksum = true;                   ///< CRC64 trailer written and checked (start-up only)
  std::atomic<std::int64_t> http_max_body_size{512LL * 1024 * 1024};  ///< bytes
  std::atomic<bool> http_compat_routes{true};  ///< serve the seed stores' HTTP routes
  /// Seconds an HTTP request may take to arrive whole, and an idle keep-alive connection may
  /// wait for the next one; a slower client (slowloris) is disconnected.
  std::atomic<int> http_request_timeout{30};
  /// Requests served on one HTTP connection (keep-alive or pipelined); the last gets
  /// `Connection: close` and requests already sent after it are not answered. 0: no limit.
  std::atomic<int> http_max_requests_per_connection{10000};
  // Compact encodings of small collections (Redis 7.0 names; the *-ziplist-* names are aliases).
  std::atomic<int> list_max_listpack_size{-2};  ///< >0: entries per quicklist node; -1..-5: 4..64 KB per node
  std::atomic<int> list_compress_depth{0};      ///< accepted for compatibility; kvd does not compress nodes
  std::atomic<std::int64_t> hash_max_listpack_entries{512};  ///< fields; more converts to hashtable
  std::atomic<std::int64_t> hash_max_listpack_value{64};     ///< bytes per field or value
  std::atomic<std::int64_t> set_max_intset_entries{512};     ///< integers; more converts to hashtable
  std::atomic<std::int64_t> zset_max_listpack_entries{128};  ///< members; more converts to skiplist
  std::atomic<std::int64_t> zset_max_listpack_value{64};     ///< bytes per member
  // Introspection (Redis 7.0 names and defaults).
  std::atomic<std::int64_t> slowlog_log_slower_than{10000};  ///< us; -1 = off, 0 = log every command
  std::atomic<std::int64_t> slowlog_max_len{128};            ///< entries kept by the slow log
  std::atomic<std::int64_t> latency_monitor_threshold{0};    ///< ms; 0 = latency monitor off
  std::atomic<bool> latency_tracking{true};                  ///< per-command histograms (INFO latencystats)
  locked_string latency_tracking_info_percentiles = "50 99 99.9";  ///< percentiles INFO latencystats shows
  // Security (Redis 7.0 names; acl/acl.hpp applies them).
  locked_string requirepass = "";   ///< the default user's password ("" = nopass)
  /// Bumped by every requirepass change; the ACL registry applies the new value on the next
  /// command when it differs from the version it applied.
  std::atomic<std::uint64_t> requirepass_version{0};
  std::string aclfile;              ///< users file (start-up, ACL LOAD, ACL SAVE); "" = none
  std::vector<std::string> users;   ///< `user <name> <rules...>` config-file directives (start-up)
  std::atomic<std::int64_t> acllog_max_len{128};  ///< ACL LOG entries kept
  /// acl-pubsub-default: new (and reset) users get every channel (allchannels) or none
  /// (resetchannels, Redis 7.0's default).
  std::atomic<bool> acl_pubsub_allchannels{false};
  /// Who may CONFIG SET protected options (dir, dbfilename): no | local | yes (start-up only).
  std::string enable_protected_configs = "no";
  std::atomic<bool> http_health_auth{false};   ///< /health and /v1/health need credentials
  std::atomic<bool> http_metrics_auth{true};   ///< /metrics needs credentials
};

/// One option: its redis.conf name, help text, and how to read and write it as text.
struct option {
  std::string name;
  std::string help;
  bool runtime_mutable = true;  ///< CONFIG SET allowed
  bool protected_config = false;  ///< Redis PROTECTED_CONFIG: CONFIG SET as enable-protected-configs says
  std::string default_value;    ///< get() when the registry was built (CONFIG REWRITE skips defaults)
  std::function<std::string()> get;
  /// Parses and applies `v`; returns an error message (without "ERR") on bad input.
  std::function<std::optional<std::string>(std::string_view v)> set;
};

/// Thrown by load() for an unknown or malformed option; what() names it.
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The option registry bound to one server_config.
class registry {
 public:
  /// Registers every option of `cfg`. `cfg` must outlive the registry.
  explicit registry(server_config& cfg);

  /// Reads file (from --config), command line, environment, in that order.
  /// Throws config_error naming the option on unknown or malformed input.
  void load(int argc, const char* const* argv);

  /// The option called `name` (case-insensitive), or nullptr.
  [[nodiscard]] option* find(std::string_view name);
  /// All options, sorted by name.
  [[nodiscard]] const std::map<std::string, option>& all() const noexcept { return options_; }

  /// CONFIG REWRITE (Redis config.c rewriteConfig): rewrites `path` keeping its comments,
  /// blank lines and order; lines of known options get the current value in place (the first
  /// occurrence; later duplicates are dropped), and options not in the file whose value
  /// differs from the default are appended after "# Generated by CONFIG REWRITE". Written to
  /// a temporary file, fsynced, renamed over `path`. Returns an error text (errno's) on failure.
  /// `users` (Redis rewriteConfigUserOption), when given: the `user` lines' values ("<name>
  /// <rules...>", as ACL LIST without "user "), which replace the file's `user` lines in
  /// order (extra ones appended, left-over ones dropped; empty = no user lines, as with an
  /// aclfile); null leaves the file's `user` lines as they are.
  [[nodiscard]] std::optional<std::string> rewrite(const std::string& path,
                                                   const std::vector<std::string>* users = nullptr) const;

  /// Called by CONFIG SET for each option it changed, once all new values are stored and
  /// before on_change: applies the change where that can fail (the server reloads the TLS
  /// files). An error text rolls every value of the command back and fails it
  /// ("ERR CONFIG SET failed (possibly related to argument '<name>') - <text>"), as Redis's
  /// apply functions.
  std::function<std::optional<std::string>(const std::string& name)> on_apply;
  /// Called after a successful CONFIG SET of `name` (the server re-applies log level...).
  std::function<void(const std::string& name)> on_change;

 private:
  void add(option o);
  void add_security_options();  ///< requirepass, aclfile, acllog-max-len, http-*-auth...
  server_config& cfg_;
  std::map<std::string, option> options_;
};

/// Parses a Redis memory value ("1gb", "512mb", "100k", "42") into bytes; nullopt if bad.
std::optional<std::int64_t> parse_memory(std::string_view v);

}  // namespace kvd::config
