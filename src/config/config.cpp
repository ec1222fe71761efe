#include "kvd/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/program_options.hpp>

#include "kvd/pubsub/pubsub.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::config {
namespace po = boost::program_options;

std::optional<std::int64_t> parse_memory(std::string_view v) {
  // Redis memtoull: digits with an optional unit b, k, kb, m, mb, g, gb (case-insensitive).
  std::string s(v);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::int64_t mul = 1;
  auto ends = [&](std::string_view suf) { return s.size() > suf.size() && s.ends_with(suf); };
  if (ends("gb")) mul = 1024LL * 1024 * 1024, s.resize(s.size() - 2);
  else if (ends("mb")) mul = 1024LL * 1024, s.resize(s.size() - 2);
  else if (ends("kb")) mul = 1024, s.resize(s.size() - 2);
  else if (ends("g")) mul = 1000LL * 1000 * 1000, s.resize(s.size() - 1);
  else if (ends("m")) mul = 1000LL * 1000, s.resize(s.size() - 1);
  else if (ends("k")) mul = 1000, s.resize(s.size() - 1);
  else if (ends("b")) s.resize(s.size() - 1);
  auto n = util::parse_int64(s);
  if (!n || *n < 0 || *n > INT64_MAX / mul) return std::nullopt;
  return *n * mul;
}

int maxmemory_policy_code(std::string_view name) noexcept {
  static constexpr std::pair<std::string_view, int> codes[] = {
      {"volatile-lru", policy_volatile_lru},       {"volatile-lfu", policy_volatile_lfu},
      {"volatile-random", policy_volatile_random}, {"volatile-ttl", policy_volatile_ttl},
      {"allkeys-lru", policy_allkeys_lru},         {"allkeys-lfu", policy_allkeys_lfu},
      {"allkeys-random", policy_allkeys_random},   {"noeviction", policy_noeviction},
  };
  for (auto& [n, code] : codes)
    if (n == name) return code;
  return -1;
}

namespace {

template <class T>
struct plain {
  using type = T;
};
template <class T>
struct plain<std::atomic<T>> {
  using type = T;
};

std::string string_of(const std::string& s) { return s; }
std::string string_of(const locked_string& s) { return s.get(); }

std::string yesno(bool b) { return b ? "yes" : "no"; }
std::optional<bool> parse_bool(std::string_view v) {
  std::string s(v);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "yes") return true;
  if (s == "no") return false;
  return std::nullopt;
}

template <class T>
option int_option(std::string name, std::string help, T& field, std::int64_t lo, std::int64_t hi, bool mut) {
  option o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.runtime_mutable = mut;
  o.get = [&field] { return std::to_string(static_cast<std::int64_t>(field)); };
  o.set = [&field, lo, hi](std::string_view v) -> std::optional<std::string> {
    auto n = util::parse_int64(v);
    if (!n) return "argument couldn't be parsed into an integer";
    if (*n < lo || *n > hi)
      return "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " inclusive";
    field = static_cast<typename plain<T>::type>(*n);
    return std::nullopt;
  };
  return o;
}

template <class T>
option memory_option(std::string name, std::string help, T& field, bool mut, std::int64_t min = 0) {
  option o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.runtime_mutable = mut;
  o.get = [&field] { return std::to_string(static_cast<std::int64_t>(field)); };
  o.set = [&field, min](std::string_view v) -> std::optional<std::string> {
    auto n = parse_memory(v);
    if (!n) return "argument must be a memory value";
    if (*n < min) return "argument must be between " + std::to_string(min) + " and " + std::to_string(INT64_MAX) + " inclusive";
    field = *n;
    return std::nullopt;
  };
  return o;
}

template <class T>
option bool_option(std::string name, std::string help, T& field, bool mut) {
  option o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.runtime_mutable = mut;
  o.get = [&field] { return yesno(field); };
  o.set = [&field](std::string_view v) -> std::optional<std::string> {
    auto b = parse_bool(v);
    if (!b) return "argument must be 'yes' or 'no'";
    field = *b;
    return std::nullopt;
  };
  return o;
}

template <class Field>
option string_option(std::string name, std::string help, Field& field, bool mut,
                     std::vector<std::string> allowed = {}) {
  option o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.runtime_mutable = mut;
  o.get = [&field] { return string_of(field); };
  o.set = [&field, allowed](std::string_view v) -> std::optional<std::string> {
    std::string s(v);
    if (!allowed.empty()) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) return "argument(s) must be one of the following: " + [&] {
          std::string j;
          for (auto& a : allowed) j += (j.empty() ? "" : ", ") + a;
          return j;
        }();
    }
    field = s;
    return std::nullopt;
  };
  return o;
}

/// An option with one accepted value (a feature not built yet): CONFIG GET answers the
/// truth, anything else is refused with `why`.
option fixed_option(std::string name, std::string help, std::string value, std::string why) {
  option o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.get = [value] { return value; };
  o.set = [value, why](std::string_view v) -> std::optional<std::string> {
    if (v == value) return std::nullopt;
    return why;
  };
  return o;
}

}  // namespace

registry::registry(server_config& c) : cfg_(c) {
  add(int_option("port", "RESP TCP port on `bind` (0 disables the RESP listener).", c.port, 0, 65535, false));
  add(string_option("bind", "Space-separated addresses the RESP listener binds to.", c.bind, false));
  add(int_option("http-port", "HTTP port on `http-bind` (0 disables the HTTP listener).", c.http_port, 0, 65535, false));
  add(string_option("http-bind", "Address the HTTP listener binds to.", c.http_bind, false));
  // TLS (Redis 7.0 names; tls-* values other than tls-port may change at runtime: CONFIG SET
  // reloads the certificates, as Redis's applyTlsCfg).
  add(int_option("tls-port", "RESP over TLS on `bind` (0 disables it). Start-up only.", c.tls_port, 0, 65535, false));
  add(string_option("tls-cert-file", "Server certificate (chain), PEM.", c.tls_cert_file, true));
  add(string_option("tls-key-file", "Server private key, PEM.", c.tls_key_file, true));
  add(string_option("tls-key-file-pass", "Passphrase of tls-key-file, if it is encrypted.", c.tls_key_file_pass, true));
  add(string_option("tls-ca-cert-file", "CA certificate(s) that sign client certificates, PEM.", c.tls_ca_cert_file, true));
  add(string_option("tls-ca-cert-dir", "Directory of CA certificates (OpenSSL c_rehash layout).", c.tls_ca_cert_dir, true));
  add(string_option("tls-dh-params-file", "DH parameters, PEM (empty: OpenSSL's automatic choice).", c.tls_dh_params_file,
                    true));
  add(string_option("tls-auth-clients",
                    "Client certificates on tls-port: yes (required, signed by the CA), no, or optional "
                    "(verified when sent).",
                    c.tls_auth_clients, true, {"no", "yes", "optional"}));
  add(string_option("tls-protocols",
                    "TLS versions accepted: any of TLSv1 TLSv1.1 TLSv1.2 TLSv1.3 (empty: \"TLSv1.2 TLSv1.3\").",
                    c.tls_protocols, true));
  add(string_option("tls-ciphers", "OpenSSL cipher list for TLSv1.2 and below (empty: OpenSSL's default).",
                    c.tls_ciphers, true));
  add(string_option("tls-ciphersuites", "OpenSSL TLSv1.3 ciphersuites (empty: OpenSSL's default).", c.tls_ciphersuites,
                    true));
  add(bool_option("tls-prefer-server-ciphers", "Choose the cipher by the server's order, not the client's.",
                  c.tls_prefer_server_ciphers, true));
  add(bool_option("tls-session-caching", "Cache TLS sessions so that clients may resume them.", c.tls_session_caching,
                  true));
  add(int_option("tls-session-cache-size", "Sessions kept in the TLS session cache.", c.tls_session_cache_size, 0,
                 INT32_MAX, true));
  add(int_option("tls-session-cache-timeout", "Seconds a cached TLS session may be resumed.",
                 c.tls_session_cache_timeout, 0, INT32_MAX, true));
  // Redis's options for outgoing TLS (replication, cluster bus): kvd has neither, so the
  // switches stay no and the client certificate options are accepted for compatibility.
  add(fixed_option("tls-replication", "TLS for replication links (kvd has no replication: no).", "no",
                   "kvd has no replication; tls-replication must stay no"));
  add(fixed_option("tls-cluster", "TLS for the cluster bus (kvd has no cluster mode: no).", "no",
                   "kvd has no cluster mode; tls-cluster must stay no"));
  add(string_option("tls-client-cert-file",
                    "Client certificate for outgoing TLS connections (accepted for compatibility; kvd makes none).",
                    c.tls_client_cert_file, true));
  add(string_option("tls-client-key-file", "Key of tls-client-cert-file (accepted for compatibility).",
                    c.tls_client_key_file, true));
  add(string_option("tls-client-key-file-pass", "Passphrase of tls-client-key-file (accepted for compatibility).",
                    c.tls_client_key_file_pass, true));
  add(bool_option("http-tls", "Serve HTTPS instead of HTTP on http-port (tls-cert-file...). Start-up only.", c.http_tls,
                  false));
  add(int_option("http-tls-port", "An HTTPS listener on `http-bind` besides http-port (0: none). Start-up only.",
                 c.http_tls_port, 0, 65535, false));
  add(string_option("http-tls-auth-clients",
                    "Client certificates over HTTPS: no (the default), yes (required, signed by the CA) or optional.",
                    c.http_tls_auth_clients, true, {"no", "yes", "optional"}));
  add(int_option("io-threads", "Threads running the network event loop.", c.io_threads, 1, 128, false));
  add(int_option("databases", "Number of databases (SELECT 0..databases-1).", c.databases, 1, 1024, false));
  add(string_option("loglevel", "Log level: debug, info, warning, error (Redis's verbose/notice/warning/nothing accepted).",
                    c.loglevel, true, {"debug", "verbose", "info", "notice", "warning", "error", "nothing"}));
  add(string_option("logfile", "Log file path; empty logs to stdout.", c.logfile, false));
  add(string_option("log-format", "Log line format: text, or json (one JSON object per line).", c.log_format, false,
                    {"text", "json"}));
  add(bool_option("syslog-enabled", "Also send log lines to syslog.", c.syslog_enabled, false));
  add(string_option("syslog-ident", "Syslog identity.", c.syslog_ident, false));
  add(string_option("syslog-facility", "Syslog facility: user, local0..local7.", c.syslog_facility, false,
                    {"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}));
  add(string_option("supervised",
                    "Service-manager supervision: no, systemd (notify READY=1 over $NOTIFY_SOCKET when ready, "
                    "STOPPING=1 at shutdown; for Type=notify units) or auto (systemd when $NOTIFY_SOCKET is set).",
                    c.supervised, false, {"no", "systemd", "auto"}));
  add(int_option("maxclients", "Maximum connected clients (RESP and HTTP).", c.maxclients, 1, 1000000, true));
  add(int_option("timeout", "Close a client idle for this many seconds (0 = never).", c.timeout, 0, INT32_MAX, true));
  add(bool_option("protected-mode", "With no password set, serve only loopback clients.", c.protected_mode, true));
  add(memory_option("proto-max-bulk-len", "Largest bulk string a client may send, bytes.", c.proto_max_bulk_len, true,
                    1024 * 1024));
  add(memory_option("client-query-buffer-limit", "Largest unparsed input per client, bytes; past it the client is closed.",
                    c.client_query_buffer_limit, true, 1024 * 1024));
  {
    // Redis 7.0 defaults; CONFIG SET takes any number of "<class> <hard> <soft> <seconds>"
    // groups and changes only the classes named (setConfigClientOutputBufferLimitOption).
    auto& lim = c.client_output_buffer_limit;
    lim[1].hard = 256LL * 1024 * 1024, lim[1].soft = 64LL * 1024 * 1024, lim[1].soft_seconds = 60;
    lim[2].hard = 32LL * 1024 * 1024, lim[2].soft = 8LL * 1024 * 1024, lim[2].soft_seconds = 60;
    option o;
    o.name = "client-output-buffer-limit";
    o.help = "Output buffer limits per client class: \"<class> <hard> <soft> <soft-seconds>\" groups, class "
             "normal, replica (slave) or pubsub. A client over <hard> bytes of pending replies, or over <soft> "
             "for <soft-seconds>, is disconnected; 0 disables a limit.";
    o.get = [&lim] {
      static constexpr const char* names[] = {"normal", "slave", "pubsub"};
      std::string r;
      for (int i = 0; i < 3; ++i) {
        if (i) r += ' ';
        r += names[i];
        r += ' ' + std::to_string(lim[i].hard.load()) + ' ' + std::to_string(lim[i].soft.load()) + ' ' +
             std::to_string(lim[i].soft_seconds.load());
      }
      return r;
    };
    o.set = [&lim](std::string_view v) -> std::optional<std::string> {
      std::istringstream in{std::string(v)};
      std::vector<std::string> w;
      for (std::string t; in >> t;) w.push_back(t);
      if (w.size() % 4) return "Wrong number of arguments in buffer limit configuration.";
      struct group {
        int cls;
        std::int64_t hard, soft, secs;
      };
      std::vector<group> groups;
      for (std::size_t i = 0; i < w.size(); i += 4) {
        std::string cls = w[i];
        for (auto& ch : cls) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        int k = cls == "normal" ? 0 : (cls == "slave" || cls == "replica") ? 1 : cls == "pubsub" ? 2 : -1;
        if (k < 0) return "Invalid client class specified in buffer limit configuration.";
        auto hard = parse_memory(w[i + 1]), soft = parse_memory(w[i + 2]);
        auto secs = util::parse_int64(w[i + 3]);
        if (!hard || !soft || !secs || *secs < 0)
          return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        groups.push_back({k, *hard, *soft, *secs});
      }
      for (auto& g : groups) {
        lim[g.cls].hard = g.hard;
        lim[g.cls].soft = g.soft;
        lim[g.cls].soft_seconds = g.secs;
      }
      return std::nullopt;
    };
    add(std::move(o));
  }
  {
    option o;
    o.name = "notify-keyspace-events";
    o.help = "Keyspace notification classes (Redis letters K E g $ l s h z x e t m d n A; \"\" = off): events "
             "are published to __keyspace@<db>__:<key> (K) and __keyevent@<db>__:<event> (E).";
    o.get = [&c] { return pubsub::format_notify_flags(c.notify_keyspace_events.load()); };
    o.set = [&c](std::string_view v) -> std::optional<std::string> {
      int f = pubsub::parse_notify_flags(v);
      if (f < 0) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
      c.notify_keyspace_events = f;
      return std::nullopt;
    };
    add(std::move(o));
  }
  {
    // Redis accepts any hz >= 0 and clamps it to 1..500 (updateHZ).
    option hz = int_option("hz", "Background task frequency (active expire cycles per second).", c.hz, 0, INT32_MAX, true);
    hz.set = [&c, inner = hz.set](std::string_view v) -> std::optional<std::string> {
      if (auto e = inner(v)) return e;
      c.hz = std::clamp(c.hz.load(), 1, 500);
      return std::nullopt;
    };
    add(std::move(hz));
  }
  add(string_option("enable-debug-command",
                    "Who may run DEBUG: no, local (loopback clients) or yes. Not changeable at runtime.",
                    c.enable_debug_command, false, {"no", "local", "yes"}));
  {
    option o = string_option("dir", "Working directory for data files.", c.dir, false);
    o.protected_config = true;
    add(std::move(o));
  }
  add(memory_option("maxmemory",
                    "Memory limit in bytes (0 = none). Above it, keys are evicted by maxmemory-policy before "
                    "each command; with nothing to evict, commands that may grow memory get -OOM.",
                    c.maxmemory, true));
  {
    option o = string_option("maxmemory-policy",
                             "Which keys to evict above maxmemory: volatile-lru, volatile-lfu, volatile-random, "
                             "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random or noeviction.",
                             c.maxmemory_policy, true,
                             {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
                              "allkeys-lfu", "allkeys-random", "noeviction"});
    // Keep the numeric code (read before every command) in step with the name.
    o.set = [&c, inner = o.set](std::string_view v) -> std::optional<std::string> {
      if (auto e = inner(v)) return e;
      c.maxmemory_policy_code = maxmemory_policy_code(c.maxmemory_policy.get());
      return std::nullopt;
    };
    add(std::move(o));
  }
  add(int_option("maxmemory-samples", "Keys sampled per database to pick an LRU, LFU or TTL eviction candidate.",
                 c.maxmemory_samples, 1, INT32_MAX, true));
  add(int_option("maxmemory-eviction-tenacity",
                 "Eviction effort per command, 0..100: 10 = 500 us, then +15% per step; 100 = no limit.",
                 c.maxmemory_eviction_tenacity, 0, 100, true));
  add(int_option("lfu-log-factor", "LFU counter growth: the higher, the more accesses a counter increment needs.",
                 c.lfu_log_factor, 0, INT32_MAX, true));
  add(int_option("lfu-decay-time", "Minutes after which an idle key's LFU counter is decremented (0 = never).",
                 c.lfu_decay_time, 0, INT32_MAX, true));
  {
    // Redis 7.0: "<seconds> <changes>" pairs, "" for none; CONFIG GET prints the parsed pairs.
    option o = string_option("save",
                             "Snapshot rules: \"<seconds> <changes> ...\" pairs; a BGSAVE starts when at least "
                             "<changes> writes happened and <seconds> passed since the last save. \"\" disables them.",
                             c.save, true);
    o.set = [&c](std::string_view v) -> std::optional<std::string> {
      std::istringstream in{std::string(v)};
      std::vector<std::string> parts;
      for (std::string w; in >> w;) parts.push_back(w);
      if (parts.size() % 2) return "Invalid save parameters";
      std::string norm;
      for (auto& w : parts) {
        char* end = nullptr;
        errno = 0;
        long long n = std::strtoll(w.c_str(), &end, 10);
        if (errno || *end || n < 0) return "Invalid save parameters";
        if (!norm.empty()) norm += ' ';
        norm += std::to_string(n);
      }
      c.save = norm;
      return std::nullopt;
    };
    add(std::move(o));
  }
  {
    option o = string_option("dbfilename", "Name of the RDB snapshot file inside `dir`.", c.dbfilename, true);
    o.set = [&c](std::string_view v) -> std::optional<std::string> {
      if (v.find('/') != std::string_view::npos) return "dbfilename can't be a path, just a filename";
      if (v.empty()) return "dbfilename can't be empty";
      c.dbfilename = std::string(v);
      return std::nullopt;
    };
    o.protected_config = true;
    add(std::move(o));
  }
  add(bool_option("stop-writes-on-bgsave-error",
                  "When save rules are set and the last background save failed, refuse writes (and PING) "
                  "with -MISCONF until a save succeeds.",
                  c.stop_writes_on_bgsave_error, true));
  add(bool_option("rdbcompression", "LZF-compress strings longer than 20 bytes in RDB snapshots.", c.rdbcompression, true));
  add(bool_option("rdbchecksum",
                  "Write a CRC64 at the end of RDB snapshots and check it when loading (no: a zero checksum, "
                  "not checked). Start-up only.",
                  c.rdbchecksum, false));
  // CONFIG SET appendonly yes starts the AOF from a rewrite, no stops it (the server's
  // on_change hook does both, as Redis's updateAppendonly).
  add(bool_option("appendonly",
                  "Log every write to the append-only file (multi-part, in dir/appenddirname) and replay it "
                  "at start-up. CONFIG SET yes starts it from a rewrite; no stops it.",
                  c.appendonly, true));
  add(string_option("appendfsync",
                    "When the AOF is forced to disk: always (a write is acknowledged after its fsync; "
                    "concurrent writes share one fsync), everysec, or no (the OS decides).",
                    c.appendfsync, true, {"always", "everysec", "no"}));
  add(string_option("appenddirname", "Folder (inside dir) holding the AOF files and manifest.", c.appenddirname, false));
  add(string_option("appendfilename", "Base name of the AOF files.", c.appendfilename, false));
  add(bool_option("aof-load-truncated",
                  "At start-up, cut a torn last AOF record with a warning (yes) or refuse to start (no).",
                  c.aof_load_truncated, true));
  add(bool_option("aof-use-rdb-preamble",
                  "AOF rewrites write the new base as an RDB file (<appendfilename>.<n>.base.rdb, yes) or as "
                  "commands (.base.aof, no).",
                  c.aof_use_rdb_preamble, true));
  add(int_option("auto-aof-rewrite-percentage",
                 "Start an AOF rewrite when the AOF grew by this percentage over its size after the last "
                 "rewrite or start-up (0 disables automatic rewrites).",
                 c.auto_aof_rewrite_percentage, 0, INT32_MAX, true));
  add(memory_option("auto-aof-rewrite-min-size", "No automatic AOF rewrite while the AOF is smaller than this (bytes).",
                    c.auto_aof_rewrite_min_size, true));
  add(memory_option("http-max-body-size", "Largest HTTP request body, bytes.", c.http_max_body_size, true));
  add(int_option("http-request-timeout",
                 "Seconds an HTTP request may take to arrive whole (headers and body), and an idle "
                 "keep-alive connection may wait for the next one; slower clients are disconnected.",
                 c.http_request_timeout, 1, 3600, true));
  add(int_option("http-max-requests-per-connection",
                 "Requests served on one HTTP connection (keep-alive or pipelined); the last response "
                 "carries Connection: close. 0: no limit.",
                 c.http_max_requests_per_connection, 0, INT32_MAX, true));
  add(bool_option("http-compat-routes",
                  "Serve the HTTP routes of the stores kvd replaces (/api/v0/..., /db/{key}, /blobs/{key}, "
                  "/blobs) next to kvd's own.",
                  c.http_compat_routes, true));
  // Compact encodings of small collections. Redis 7.0 still accepts the *-ziplist-* names:
  // each alias is a second option bound to the same field, as CONFIG GET shows both.
  auto with_alias = [this](option o, std::string alias) {
    option a = o;
    a.name = std::move(alias);
    add(std::move(o));
    add(std::move(a));
  };
  with_alias(int_option("list-max-listpack-size",
                        "Quicklist node size: positive = entries per node; -1..-5 = 4, 8, 16, 32, 64 KB per node.",
                        c.list_max_listpack_size, INT32_MIN, INT32_MAX, true),
             "list-max-ziplist-size");
  add(int_option("list-compress-depth", "Accepted for compatibility (kvd does not compress list nodes).",
                 c.list_compress_depth, 0, INT32_MAX, true));
  with_alias(int_option("hash-max-listpack-entries", "Hashes with more fields than this use a hashtable.",
                        c.hash_max_listpack_entries, 0, INT64_MAX, true),
             "hash-max-ziplist-entries");
  with_alias(int_option("hash-max-listpack-value", "Hashes with a field or value longer than this (bytes) use a hashtable.",
                        c.hash_max_listpack_value, 0, INT64_MAX, true),
             "hash-max-ziplist-value");
  add(int_option("set-max-intset-entries", "Sets of integers with more members than this use a hashtable.",
                 c.set_max_intset_entries, 0, INT64_MAX, true));
  with_alias(int_option("zset-max-listpack-entries", "Sorted sets with more members than this use a skiplist.",
                        c.zset_max_listpack_entries, 0, INT64_MAX, true),
             "zset-max-ziplist-entries");
  with_alias(int_option("zset-max-listpack-value", "Sorted sets with a member longer than this (bytes) use a skiplist.",
                        c.zset_max_listpack_value, 0, INT64_MAX, true),
             "zset-max-ziplist-value");
  // Introspection: the slow log, the latency monitor, per-command latency histograms.
  add(int_option("slowlog-log-slower-than",
                 "Log commands slower than this many microseconds in the slow log (-1 disables it, 0 logs every "
                 "command).",
                 c.slowlog_log_slower_than, -1, INT64_MAX, true));
  {
    option o = int_option("slowlog-max-len", "Entries the slow log keeps (the oldest are dropped).", c.slowlog_max_len, 0,
                          INT64_MAX, true);
    add(std::move(o));
  }
  add(int_option("latency-monitor-threshold",
                 "Record events (commands) taking at least this many milliseconds for LATENCY LATEST/HISTORY "
                 "(0 disables the latency monitor).",
                 c.latency_monitor_threshold, 0, INT64_MAX, true));
  add(bool_option("latency-tracking", "Keep per-command latency histograms for INFO latencystats.", c.latency_tracking,
                  true));
  {
    option o = string_option("latency-tracking-info-percentiles",
                             "Percentiles (0..100, space-separated) INFO latencystats reports.",
                             c.latency_tracking_info_percentiles, true);
    o.set = [&c](std::string_view v) -> std::optional<std::string> {
      std::istringstream in{std::string(v)};
      std::string norm;
      for (std::string w; in >> w;) {
        char* end = nullptr;
        errno = 0;
        double d = std::strtod(w.c_str(), &end);
        if (errno || *end) return "Invalid latency-tracking-info-percentiles parameters";
        if (!(d >= 0 && d <= 100)) return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
        char buf[64];
        std::snprintf(buf, sizeof buf, "%f", d);  // as Redis: %f without trailing zeros, "99.9"
        std::string t(buf);
        t.erase(t.find_last_not_of('0') + 1);
        if (t.back() == '.') t.pop_back();
        if (!norm.empty()) norm += ' ';
        norm += t;
      }
      c.latency_tracking_info_percentiles = norm;
      return std::nullopt;
    };
    add(std::move(o));
  }
  add_security_options();
}

void registry::add_security_options() {
  auto& c = cfg_;
  {
    option o;
    o.name = "requirepass";
    o.help = "Password of the default user (AUTH <password>, HTTP Bearer); empty = no password.";
    o.get = [&c] { return c.requirepass.get(); };
    o.set = [&c](std::string_view v) -> std::optional<std::string> {
      c.requirepass = std::string(v);
      c.requirepass_version.fetch_add(1);
      return std::nullopt;
    };
    add(std::move(o));
  }
  add(string_option("aclfile", "File of ACL users (\"user <name> <rules>\" lines) loaded at start-up, ACL LOAD and ACL SAVE.",
                    c.aclfile, false));
  add(int_option("acllog-max-len", "Entries ACL LOG keeps.", c.acllog_max_len, 0, INT64_MAX, true));
  {
    option o;
    o.name = "acl-pubsub-default";
    o.help = "Channels of new and reset ACL users: resetchannels (none) or allchannels.";
    o.get = [&c] { return std::string(c.acl_pubsub_allchannels.load() ? "allchannels" : "resetchannels"); };
    o.set = [&c](std::string_view v) -> std::optional<std::string> {
      std::string s(v);
      for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (s != "allchannels" && s != "resetchannels")
        return "argument(s) must be one of the following: allchannels, resetchannels";
      c.acl_pubsub_allchannels = s == "allchannels";
      return std::nullopt;
    };
    add(std::move(o));
  }
  add(string_option("enable-protected-configs",
                    "Who may CONFIG SET protected options (dir, dbfilename): no, local (loopback clients) or yes.",
                    c.enable_protected_configs, false, {"no", "local", "yes"}));
  add(bool_option("http-health-auth", "/health and /v1/health need credentials like every other route.",
                  c.http_health_auth, true));
  add(bool_option("http-metrics-auth", "/metrics needs credentials (when the default user has a password).",
                  c.http_metrics_auth, true));
}

void registry::add(option o) {
  auto name = o.name;
  o.default_value = o.get();  // the registry is built before any source is applied
  options_.emplace(std::move(name), std::move(o));
}

option* registry::find(std::string_view name) {
  std::string low(name);
  for (auto& ch : low) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto it = options_.find(low);
  return it == options_.end() ? nullptr : &it->second;
}

namespace {
std::string line_option(const std::string& line);
}  // namespace

void registry::load(int argc, const char* const* argv) {
  po::options_description desc("kvd-server options");
  desc.add_options()("config", po::value<std::string>(), "configuration file (name = value, or name value as in redis.conf)");
  desc.add_options()("help", "print the options and exit");
  desc.add_options()("version", "print the version and exit");
  // Redis `user <name> <rules...>` lines (several allowed): kept as text for the ACL module.
  desc.add_options()("user", po::value<std::vector<std::string>>()->composing(), "an ACL user: \"<name> <rules...>\"");
  for (auto& [name, o] : options_) desc.add_options()(name.c_str(), po::value<std::string>(), o.help.c_str());

  auto apply = [&](const po::variables_map& vm, const char* source) {
    for (auto& [name, o] : options_) {
      if (!vm.count(name)) continue;
      std::string v = vm[name].as<std::string>();
      // As in redis.conf, a value may be double-quoted ("" is the empty string).
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      if (auto e = o.set(v))
        throw config_error(std::string("invalid value for option '") + name + "' (" + source + "): " + *e);
    }
    if (vm.count("user"))
      for (auto v : vm["user"].as<std::vector<std::string>>()) {
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        cfg_.users.push_back(v);
      }
  };
  auto guard = [](auto&& fn) {
    try {
      fn();
    } catch (const po::unknown_option& e) {
      throw config_error("unknown option '" + e.get_option_name() + "'");
    } catch (const po::error& e) {
      throw config_error(e.what());
    }
  };

  po::variables_map cli;
  guard([&] { po::store(po::parse_command_line(argc, argv, desc), cli); });
  if (cli.count("config")) {
    std::string path = cli["config"].as<std::string>();
    std::vector<std::string> file_users;
    std::error_code fec;
    auto abs = std::filesystem::absolute(path, fec);  // CONFIG REWRITE and INFO config_file, as Redis
    cfg_.config_file = fec ? path : abs.lexically_normal().string();
    std::ifstream raw(path);
    if (!raw) throw config_error("cannot open config file '" + path + "'");
    // Lines are "name = value" or, as in redis.conf, "name value...". Comments are whole
    // lines starting with '#' (or ';'); a '#' inside a value is part of it, as in Redis
    // (passwords, `user` rules with #<sha256>). program_options checks and stores the pairs.
    po::parsed_options parsed(&desc);
    int line_no = 0;
    for (std::string l; std::getline(raw, l);) {
      ++line_no;
      auto name = line_option(l);
      if (name.empty()) continue;
      if (!desc.find_nothrow(name, false))
        throw config_error(path + ":" + std::to_string(line_no) + ": unknown option '" + name + "'");
      std::size_t i = l.find_first_not_of(" \t");
      std::size_t j = l.find_first_not_of(" \t", l.find_first_of(" \t=", i));
      if (j != std::string::npos && l[j] == '=') j = l.find_first_not_of(" \t", j + 1);
      std::string v = j == std::string::npos ? "" : l.substr(j);
      v.erase(v.find_last_not_of(" \t\r") + 1);
      if (name == "user") {  // kept apart: "user" may appear on many lines
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        file_users.push_back(std::move(v));
        continue;
      }
      po::option o(name, {v});
      o.original_tokens = {l};
      parsed.options.push_back(std::move(o));
    }
    po::variables_map file;
    guard([&] { po::store(parsed, file); });
    apply(file, path.c_str());
    cfg_.users.insert(cfg_.users.end(), file_users.begin(), file_users.end());
  }
  apply(cli, "command line");
  po::variables_map env;
  guard([&] {
    po::store(po::parse_environment(desc,
                                    [this](const std::string& var) -> std::string {
                                      if (var.rfind("KVD_", 0) != 0) return "";
                                      std::string n = var.substr(4);
                                      for (auto& ch : n) ch = ch == '_' ? '-' : static_cast<char>(std::tolower(ch));
                                      return options_.count(n) ? n : "";
                                    }),
              env);
  });
  apply(env, "environment");
}

namespace {

/// The option name a config file line sets ("name = value", "name value"), or "" for
/// comments, blank lines and anything else.
std::string line_option(const std::string& line) {
  std::size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line[i] == '#' || line[i] == ';' || line[i] == '[') return "";
  std::size_t j = line.find_first_of(" \t=", i);
  std::string name = line.substr(i, j == std::string::npos ? std::string::npos : j - i);
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return name;
}

/// Options Redis 7.0 declares EMPTY_STRING_IS_NULL: set to "", CONFIG REWRITE removes their
/// line rather than writing an empty value (rewriteConfigStringOption / SdsOption, NULL).
bool empty_is_unset(std::string_view name) {
  static constexpr std::string_view names[] = {
      "requirepass",       "tls-cert-file",        "tls-key-file",          "tls-key-file-pass",
      "tls-ca-cert-file",  "tls-ca-cert-dir",      "tls-dh-params-file",    "tls-protocols",
      "tls-ciphers",       "tls-ciphersuites",     "tls-client-cert-file",  "tls-client-key-file",
      "tls-client-key-file-pass"};
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

/// Value text for the file: quoted when empty or holding spaces (the loader strips the quotes).
std::string file_value(const std::string& v) {
  if (v.empty() || v.find_first_of(" \t#") != std::string::npos) return "\"" + v + "\"";
  return v;
}

}  // namespace

std::optional<std::string> registry::rewrite(const std::string& path, const std::vector<std::string>* users) const {
  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    if (!in && errno != ENOENT) return std::string("Rewriting config file: ") + std::strerror(errno);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  std::vector<std::string> out;
  std::vector<std::string> seen;
  std::size_t next_user = 0;
  for (auto& l : lines) {
    auto name = line_option(l);
    if (users && name == "user") {
      // Redis rewriteConfigUserOption: the users in order take the places of the file's
      // `user` lines, in the line's own layout; lines left over are dropped.
      if (next_user < users->size()) {
        std::size_t i = l.find_first_not_of(" \t");
        std::size_t j = l.find_first_not_of(" \t", i + 4);
        if (j != std::string::npos && l[j] == '=') j = l.find_first_not_of(" \t", j + 1);
        std::string head = j == std::string::npos ? l.substr(0, i + 4) + " = " : l.substr(0, j);
        out.push_back(head + (*users)[next_user++]);
      }
      continue;
    }
    auto it = name.empty() ? options_.end() : options_.find(name);
    if (it == options_.end()) {  // comments, blank lines, lines kvd does not know: kept
      out.push_back(l);
      continue;
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;  // duplicate: dropped
    seen.push_back(name);
    if (empty_is_unset(name) && it->second.get().empty()) continue;
    {
      // Unchanged (also "512mb" for 536870912, "\"\"" for ""): the line stays as written.
      std::size_t eq = l.find_first_of(" \t=", l.find_first_not_of(" \t"));
      std::string old = eq == std::string::npos ? "" : l.substr(eq);
      old.erase(0, old.find_first_not_of(" \t="));
      old.erase(old.find_last_not_of(" \t\r") + 1);
      if (old.size() >= 2 && old.front() == '"' && old.back() == '"') old = old.substr(1, old.size() - 2);
      auto cur = it->second.get();
      auto mem = parse_memory(old);
      if (old == cur || (mem && std::to_string(*mem) == cur)) {
        out.push_back(l);
        continue;
      }
    }
    // Keep the line's own layout: indentation, the name as written and the separator.
    std::size_t i = l.find_first_not_of(" \t");
    std::size_t j = l.find_first_of(" \t=", i);
    std::string head = l.substr(0, j == std::string::npos ? l.size() : j);
    std::string sep = " = ";
    if (j != std::string::npos) {
      std::size_t k = l.find_first_not_of(" \t=", j);
      sep = l.substr(j, (k == std::string::npos ? l.size() : k) - j);
      if (sep.find('=') == std::string::npos && sep.empty()) sep = " = ";
    }
    out.push_back(head + sep + file_value(it->second.get()));
  }
  bool header = false;
  for (auto& [name, o] : options_) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    auto v = o.get();
    if (v == o.default_value) continue;
    // An alias bound to the same field as an option already written (list-max-ziplist-size).
    bool alias_done = false;
    for (auto& [n2, o2] : options_)
      if (&o2 != &o && std::find(seen.begin(), seen.end(), n2) != seen.end() && o2.help == o.help) alias_done = true;
    if (alias_done) continue;
    if (!header) {
      // Redis: "# Generated by CONFIG REWRITE" before the appended options.
      if (!out.empty() && !out.back().empty()) out.emplace_back();
      out.emplace_back("# Generated by CONFIG REWRITE");
      header = true;
    }
    seen.push_back(name);
    out.push_back(name + " = " + file_value(v));
  }
  for (; users && next_user < users->size(); ++next_user) {
    if (!header) {
      if (!out.empty() && !out.back().empty()) out.emplace_back();
      out.emplace_back("# Generated by CONFIG REWRITE");
      header = true;
    }
    out.push_back("user = " + (*users)[next_user]);
  }
  std::string text;
  for (auto& l : out) text += l + "\n";
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  {
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) return std::string("Rewriting config file: ") + std::strerror(errno);
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    std::fclose(f);
    if (!ok) {
      std::remove(tmp.c_str());
      return std::string("Rewriting config file: ") + std::strerror(e);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    return std::string("Rewriting config file: ") + std::strerror(e);
  }
  return std::nullopt;
}

}  // namespace kvd::config
