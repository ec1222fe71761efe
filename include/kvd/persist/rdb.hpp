// RDB snapshots, version 10, as Redis 7.0 writes and reads them (src/rdb.c, src/rdb.h).
//
// Writer: "REDIS0010", aux fields (redis-ver 7.0.15, redis-bits, ctime, used-mem, aof-base),
// per non-empty database SELECTDB + RESIZEDB, then every live key with EXPIRETIME_MS when it
// has a TTL and its value in a plain encoding: strings with Redis's integer encodings and LZF
// compression (rdbcompression), lists as RDB_TYPE_LIST, sets as RDB_TYPE_SET, small hashes as
// their listpack blob (RDB_TYPE_HASH_LISTPACK) and large ones as RDB_TYPE_HASH, sorted sets as
// RDB_TYPE_ZSET_2 (binary doubles); then EOF and the CRC64 (Jones, Redis crc64.c) of
// everything before it, little-endian (zero when rdbchecksum is off).
//
// Loader: everything above plus what Redis 7.0 writes: 6/14/32/64-bit lengths, integer and
// LZF-compressed strings, quicklist (ziplist nodes) and quicklist 2 (listpack nodes) lists,
// ziplist lists, intset and listpack sets, zipmap/ziplist/listpack hashes, ziplist/listpack
// zsets and text-score zsets, EXPIRETIME (seconds), IDLE, FREQ. Module, function and stream
// records are rejected with a clear error. Every length is bounded by the bytes left in the
// file; a corrupt or truncated file yields an error naming the file, the byte offset and the
// tool that checks it, never a crash.
//
// DUMP/RESTORE payloads (Redis cluster.c createDumpPayload, verifyDumpPayload) use the same
// per-value codec: the object's type byte and value as in the file, then the RDB version (2
// bytes, little-endian) and the CRC64 of everything before it (8 bytes, little-endian).
// kvd-check-rdb walks a file with the loader and reports as redis-check-rdb does.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "kvd/store/keyspace.hpp"

namespace kvd::persist {

/// Redis's crc64 (Jones polynomial, reflected, init `crc`, no final xor): crc64(0,
/// "123456789", 9) == 0xe9c6d914c4b8d9ca. Chain calls by passing the previous result.
std::uint64_t crc64(std::uint64_t crc, const void* data, std::size_t len) noexcept;

/// The RDB version this code writes (Redis 7.0: 10).
inline constexpr int rdb_version = 10;

/// Writer options (redis.conf rdbcompression, rdbchecksum).
struct rdb_save_options {
  bool compression = true;  ///< LZF-compress strings longer than 20 bytes when it saves space
  bool checksum = true;     ///< false writes a zero CRC64
  std::int64_t used_memory = 0;  ///< value of the used-mem aux field (bytes)
  bool aof_base = false;    ///< aof-base aux field 1: the file is the base of a rewritten AOF
};

/// Writes a snapshot of every database of `ks` to the open file descriptor `fd` (not
/// closed). Reads the shard dicts directly: the caller holds every shard lock, or is a
/// forked child that alone owns its copy of memory. Returns false and sets `error` on a
/// write failure (errno text). Does not allocate locks or log.
bool rdb_write_fd(store::keyspace& ks, int fd, const rdb_save_options& opt, std::string& error);

/// Writes a snapshot to `path` atomically: `<dir of path>/temp-<pid>.rdb`, fsync, rename,
/// fsync of the directory (Redis rdbSave). Same locking precondition as rdb_write_fd.
/// Returns false with `error` ("cannot ... <path>: <errno text>") on failure; the old file
/// is then untouched.
bool rdb_save(store::keyspace& ks, const std::string& path, const rdb_save_options& opt, std::string& error);

/// Start-up loading progress, as INFO persistence reports it while `loading:1` (Redis
/// server.loading_* fields). Written by the loading thread, read by INFO.
struct loading_progress {
  std::atomic<std::int64_t> start_time{0};       ///< Unix s when loading began (loading_start_time)
  std::atomic<std::uint64_t> total_bytes{0};     ///< size of the file(s) being loaded (loading_total_bytes)
  std::atomic<std::uint64_t> loaded_bytes{0};    ///< bytes processed so far (loading_loaded_bytes)
  std::atomic<std::uint64_t> rdb_used_mem{0};    ///< used-mem aux field of the RDB, 0 for an AOF
};

/// Encoding limits the loader applies when it rebuilds values (Redis applies the server's
/// *-max-listpack-* settings on load too).
struct rdb_load_limits {
  int list_fill = -2;                        ///< list-max-listpack-size
  std::int64_t hash_max_listpack_entries = 512;
  std::int64_t hash_max_listpack_value = 64;
  std::int64_t set_max_intset_entries = 512;
  std::int64_t zset_max_listpack_entries = 128;
  std::int64_t zset_max_listpack_value = 64;
  bool verify_checksum = true;               ///< rdbchecksum (a zero stored CRC is never checked)
  /// When set, rdb_load stores the file size in total_bytes, the bytes read so far in
  /// loaded_bytes (every MB and at the end) and the used-mem aux field in rdb_used_mem.
  /// Must outlive the load.
  loading_progress* progress = nullptr;
};

/// What the loader found.
struct rdb_load_result {
  bool ok = true;
  bool missing = false;       ///< the file does not exist (not an error at start-up)
  std::string error;          ///< when !ok: file, byte offset, cause, and how to check it
  std::uint64_t keys = 0;     ///< keys loaded
  std::uint64_t expired = 0;  ///< keys skipped because their expire had passed
  std::string redis_ver;      ///< the redis-ver aux field, when present
  int version = 0;            ///< RDB version of the file
  std::size_t consumed = 0;   ///< bytes read up to the end of the CRC64 trailer (AOF records may follow)
};

/// Snapshot state the server keeps (INFO persistence, LASTSAVE, the save rules). Atomics: the
/// dispatcher counts writes from every thread; the cron and SAVE/BGSAVE update the rest.
struct rdb_status {
  std::atomic<std::uint64_t> dirty{0};            ///< writes since the last successful save
  std::atomic<std::uint64_t> dirty_at_fork{0};    ///< `dirty` when the running BGSAVE forked
  std::atomic<std::int64_t> lastsave{0};          ///< Unix s of the last successful save (0: start time)
  std::atomic<std::int64_t> lastbgsave_try{0};    ///< Unix s of the last BGSAVE attempt
  std::atomic<bool> last_bgsave_ok{true};         ///< rdb_last_bgsave_status
  std::atomic<int> child_pid{-1};                 ///< running BGSAVE child, -1 when none
  std::atomic<std::int64_t> child_start_ms{0};    ///< when the running BGSAVE forked
  std::atomic<std::int64_t> last_bgsave_time_sec{-1};  ///< duration of the last BGSAVE
  std::atomic<std::int64_t> last_fork_us{0};      ///< INFO latest_fork_usec: locks held for fork()
  std::atomic<bool> scheduled{false};             ///< BGSAVE SCHEDULE pending
  std::atomic<std::uint64_t> saves{0};            ///< INFO rdb_saves: SAVEs and BGSAVE forks (CONFIG RESETSTAT)
  std::atomic<std::uint64_t> last_load_keys{0};   ///< INFO rdb_last_load_keys_loaded
  std::atomic<std::uint64_t> last_load_expired{0};  ///< INFO rdb_last_load_keys_expired
};

/// Loads the RDB file `path` into `ks` (which should be empty; existing keys are replaced).
/// Takes each key's shard lock itself; call with no shard lock held. Keys whose expire has
/// passed are skipped, as a Redis master does.
rdb_load_result rdb_load(store::keyspace& ks, const std::string& path, const rdb_load_limits& lim);

/// As rdb_load, from `data` in memory; `name` is used in error messages.
rdb_load_result rdb_load_buffer(store::keyspace& ks, std::string_view data, const std::string& name,
                                const rdb_load_limits& lim);

// ---- DUMP and RESTORE ----

/// DUMP's payload for `v` (Redis createDumpPayload): the RDB object type and value (LZF when
/// `compression`, as rdbcompression), the RDB version (10) as 2 little-endian bytes, and the
/// CRC64 of all that as 8 little-endian bytes. Redis 7.0 and kvd RESTORE it.
std::string dump_payload(const store::value& v, bool compression);

/// What RESTORE found in a payload.
enum class payload_status {
  ok,
  bad_version_or_checksum,  ///< "ERR DUMP payload version or checksum are wrong"
  bad_format,               ///< "ERR Bad data format"
};

/// Checks the footer of a DUMP payload (Redis verifyDumpPayload): at least 10 bytes, an RDB
/// version not above 10 and a matching CRC64 (always checked, as Redis).
payload_status check_payload(std::string_view payload) noexcept;

/// Checks `payload` and decodes its value into `out` with the encoding limits `lim` (as the
/// RDB loader builds values; `lim.verify_checksum` is ignored). Returns ok, or why not; `out`
/// is untouched on failure. Types kvd does not hold (streams, modules) are bad_format.
payload_status restore_payload(std::string_view payload, const rdb_load_limits& lim, store::value& out);

// ---- kvd-check-rdb ----

/// What rdb_check found (redis-check-rdb's report).
struct rdb_check_report {
  bool ok = true;
  std::size_t size = 0;          ///< bytes in the file
  int version = 0;               ///< RDB version of the file
  bool checksum = false;         ///< a non-zero CRC64 was stored (and matched)
  std::size_t end = 0;           ///< offset after the CRC64 (or EOF opcode), when ok
  std::uint64_t keys = 0;        ///< keys read (expired ones included, as redis-check-rdb)
  std::uint64_t expires = 0;     ///< keys that had an expire
  std::uint64_t already_expired = 0;  ///< keys whose expire had passed
  std::size_t error_offset = 0;  ///< when !ok: where the problem was found
  std::string error;             ///< when !ok: the cause
  std::string doing;             ///< when !ok: Redis's state name ("read-key", "check-sum", ...)
  int type = -1;                 ///< when !ok: the record type being read, -1 for none
};

/// Walks the RDB image `data` with the loader, building every value (and dropping it) so
/// every check the loader makes applies; calls note(offset, text) for each aux field
/// ("AUX FIELD k = 'v'") and SELECTDB ("Selecting DB ID n") with the offset after it. Never
/// throws for malformed data.
rdb_check_report rdb_check_buffer(std::string_view data, const std::function<void(std::size_t, const std::string&)>& note);

/// As rdb_check_buffer on the file `path` (mapped read-only); an unreadable file is a report
/// with !ok and the errno text.
rdb_check_report rdb_check_file(const std::string& path, const std::function<void(std::size_t, const std::string&)>& note);

/// Redis's name of RDB record type `t` ("string", "set-intset", "quicklist-v2"...), for
/// messages; "unknown" for others.
std::string_view rdb_type_name(int t) noexcept;

}  // namespace kvd::persist
