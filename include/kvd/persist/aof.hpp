// Append-only file, Redis 7.0 multi-part layout (aof.c): `<dir>/<appenddirname>/` holds a
// manifest (`<appendfilename>.manifest`), one base file and incremental files; every record
// is a RESP array of bulk strings, with SELECT written where the database changes.
//
// aof_writer: commands append their record to a pending batch under a short mutex and get a
// sequence number (a byte count that only grows, across incr files and writers). A dedicated fsync thread
// owns the file: it takes the whole batch, write()s it, fdatasync()s it (appendfsync always;
// at most once a second for everysec; never for no), publishes the durable sequence and runs
// the completion callbacks of waiters at or below it (group commit: N writers share one
// fsync; while one fsync runs the next batch fills). A failed write or fsync keeps the batch,
// cuts the file back to the last good offset and retries; write_error() is set meanwhile so
// the dispatcher can refuse new writes with -MISCONF.
//
// Rewrite (BGREWRITEAOF, Redis 7.0 aof.c rewriteAppendOnlyFileBackground): the next incr file
// is created and listed in the manifest first, with no lock held (prepare_rotate()); then,
// with every shard lock held, the writer switches to it (rotate(): no fsync under the locks)
// and a forked child writes the new base from its copy of memory; when the child succeeded,
// finish_rewrite() (or swap_manifest() with the AOF off) writes the manifest naming the new
// base and the incr files opened since the fork, atomically, then deletes the old files.
//
// aof_loader: reads manifest -> base (RDB or AOF) -> incr files and hands every command to a
// callback.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kvd::store {
class keyspace;
}

namespace kvd::persist {

/// `appendfsync`: when the log is forced to disk.
enum class fsync_policy { always, everysec, no };

/// Parses "always" | "everysec" | "no" (case-insensitive); false when not one of them.
bool parse_fsync_policy(std::string_view s, fsync_policy& out) noexcept;

/// Where the AOF lives: `<dir>/<dirname>/<filename>.manifest`, `<filename>.<seq>.base.aof`,
/// `<filename>.<seq>.incr.aof` (Redis 7.0 names).
struct aof_paths {
  std::string dir = ".";
  std::string dirname = "appendonlydir";
  std::string filename = "appendonly.aof";

  [[nodiscard]] std::string folder() const { return dir + "/" + dirname; }
  [[nodiscard]] std::string manifest() const { return folder() + "/" + filename + ".manifest"; }
};

/// One line of the manifest: `file <name> seq <n> type <b|h|i>`.
struct manifest_entry {
  std::string name;
  std::int64_t seq = 0;
  char type = 'i';  ///< 'b' base, 'h' history, 'i' incremental
};

/// `<filename>.<seq>.base.rdb` (rdb) or `<filename>.<seq>.base.aof` (Redis 7.0 names).
std::string base_file_name(const std::string& filename, std::int64_t seq, bool rdb);
/// `<filename>.<seq>.incr.aof`.
std::string incr_file_name(const std::string& filename, std::int64_t seq);
/// `temp-<filename>.incr`: the incr file of an AOF switched on at runtime, until its first
/// rewrite finishes (Redis AOF_WAIT_REWRITE); never listed in the manifest.
std::string temp_incr_file_name(const std::string& filename);

/// Sequence of the base entry of `m` (0 when there is none). Redis names the next base
/// `<seq+1>`.
std::int64_t manifest_base_seq(const std::vector<manifest_entry>& m) noexcept;
/// Largest sequence of an incr entry of `m` (0 when there is none).
std::int64_t manifest_last_incr_seq(const std::vector<manifest_entry>& m) noexcept;

/// The manifest after a successful rewrite: `new_base` first, then the incr entries of `cur`
/// whose seq is >= `first_kept_incr_seq` (the files opened when the rewrite started, whose
/// records the new base does not hold), in order. Every other file of `cur` (the old base,
/// older incr files, history entries) is appended to `removed` (names, to delete after the
/// swap).
std::vector<manifest_entry> manifest_after_rewrite(const std::vector<manifest_entry>& cur, const manifest_entry& new_base,
                                                   std::int64_t first_kept_incr_seq, std::vector<std::string>& removed);

/// Installs a rewritten base with no writer running (appendonly no, as Redis 7.0 allows):
/// reads the manifest of `paths` (none: empty), writes `manifest_after_rewrite(cur, new_base,
/// first_kept_incr_seq)` atomically, then deletes the removed files from the folder. Returns
/// false with `error` (the old manifest and files untouched).
bool swap_manifest(const aof_paths& paths, const manifest_entry& new_base, std::int64_t first_kept_incr_seq,
                   std::string& error);

/// Reads a manifest. Returns false and sets `error` (with the line number) when malformed.
bool read_manifest(const std::string& path, std::vector<manifest_entry>& out, std::string& error);

/// Writes a manifest atomically: temp file, fsync, rename, fsync of the directory.
/// Returns false and sets `error` on any failure (the old manifest is then untouched).
bool write_manifest(const std::string& path, const std::vector<manifest_entry>& entries, std::string& error);

/// Appends the RESP array encoding of `args` to `out`.
void encode_command(std::string& out, std::span<const std::string_view> args);

/// One record of a group for aof_writer::append_all: the database it ran in and its arguments.
struct aof_record {
  int db = 0;
  std::span<const std::string_view> args;
};

/// Owner of the open incremental file and its fsync thread. Thread-safe.
class aof_writer {
 public:
  /// Opens (creating if needed) the AOF in `paths`: when no manifest exists, creates the
  /// directory, an empty base file, the first incr file and the manifest. Appends to the last
  /// incr file otherwise. Throws std::runtime_error naming the path on failure.
  aof_writer(aof_paths paths, fsync_policy policy);
  /// Tag for the constructor of an AOF switched on at runtime.
  struct wait_rewrite_t {};
  /// Opens a writer for an AOF switched on at runtime (CONFIG SET appendonly yes, Redis's
  /// AOF_WAIT_REWRITE): appends to a fresh `temp_incr_file_name()` in the folder (created
  /// with the folder), and reads but never writes the manifest until finish_rewrite().
  /// Throws std::runtime_error naming the path on failure.
  aof_writer(aof_paths paths, fsync_policy policy, wait_rewrite_t);
  /// Writes and fsyncs what is pending, stops the thread, closes the file (stop()).
  ~aof_writer();
  aof_writer(const aof_writer&) = delete;
  aof_writer& operator=(const aof_writer&) = delete;

  /// Queues the record of one command executed on database `db` (SELECT is added when the
  /// database differs from the previous record's). Returns the sequence to wait for.
  std::uint64_t append(int db, std::span<const std::string_view> args);
  /// Queues `records` back to back, no other record in between (a transaction's group:
  /// MULTI ... EXEC), with SELECT where the database changes. Returns the sequence of the
  /// group's end.
  std::uint64_t append_all(std::span<const aof_record> records);

  /// Writes every queued record to the file now (one write()), on the caller's thread.
  /// Under everysec/no a connection calls it before its replies leave, as Redis writes the
  /// AOF buffer before replying: a process crash then loses nothing acknowledged. Returns
  /// false on a write error (the records stay queued for the fsync thread to retry).
  bool flush();
  /// Sequence up to which records have been written to the file (not necessarily fsynced).
  [[nodiscard]] std::uint64_t written() const noexcept { return written_.load(std::memory_order_acquire); }

  /// Sequence up to which records are on disk (always) or handed to the OS (everysec/no).
  [[nodiscard]] std::uint64_t durable() const noexcept { return durable_.load(std::memory_order_acquire); }
  /// Runs `fn` on the fsync thread once durable() >= seq (at once, on this thread, if it
  /// already is). `fn` must be quick and must not call back into the writer.
  void when_durable(std::uint64_t seq, std::function<void()> fn);

  /// First half of rotate(), for a caller that holds no shard lock: creates the next incr
  /// file `<filename>.<last incr seq + 1>.incr.aof`, empty, and writes the manifest listing
  /// it after the current one (temp file, fsync, rename, fsync of the directory). Records
  /// keep going to the current file until rotate(). Idempotent (a prepared file waits for
  /// the next rotate()); nothing to do in waiting mode. False with `error` when the file or
  /// the manifest cannot be written (nothing changed).
  bool prepare_rotate(std::string& error);

  /// Switches to a new incr file (BGREWRITEAOF; the caller holds every shard lock, so the
  /// switch is the rewrite's point in time). Records queued before the call go to the old
  /// file; later ones go to the new file, which starts with SELECT.
  /// After prepare_rotate() the switch only writes the queued records and swaps descriptors:
  /// no fsync runs under the caller's locks; the fsync thread makes the old file durable
  /// before it counts any record of the new one. Without it (normal mode) the old file is
  /// fsynced and the manifest written here, as prepare_rotate() does. Waiting mode
  /// (wait_rewrite_t): starts the temp incr file over, empty (the next base holds everything
  /// it had). Returns the new incr file's manifest seq (0 in waiting mode), or -1 with
  /// `error` (the writer then goes on appending to the old file).
  std::int64_t rotate(std::string& error);

  /// Installs a rewritten base (the child wrote it; it is in the folder under its final name
  /// `new_base.name`, `base_bytes` long): writes the manifest `new_base` + the incr files
  /// with seq >= `first_kept_incr_seq` atomically, then deletes the files it no longer lists.
  /// In waiting mode the temp incr file is first renamed to the next incr name and becomes
  /// the only incr entry; the writer is in normal mode afterwards. Returns false with `error`
  /// when the manifest cannot be written (the old manifest and files are then untouched).
  bool finish_rewrite(const manifest_entry& new_base, std::uint64_t base_bytes, std::int64_t first_kept_incr_seq,
                      std::string& error);

  /// True while an AOF switched on at runtime waits for its first rewrite.
  [[nodiscard]] bool waiting_rewrite() const noexcept { return waiting_.load(); }
  /// A copy of the manifest as the writer knows it.
  [[nodiscard]] std::vector<manifest_entry> manifest() const;
  /// Bytes of the base and incr files listed in the manifest, plus what the current incr file
  /// received since (INFO aof_current_size; in waiting mode: the temp incr file's size).
  [[nodiscard]] std::uint64_t current_size() const noexcept;

  /// Writes and fsyncs what is queued, stops the fsync thread, runs every waiter, closes the
  /// file (CONFIG SET appendonly no, shutdown). Later append()s are dropped; idempotent.
  void stop();

  [[nodiscard]] fsync_policy policy() const noexcept { return policy_.load(); }
  /// CONFIG SET appendfsync: takes effect from the next batch.
  void set_policy(fsync_policy p) noexcept {
    policy_.store(p);
    cv_.notify_one();
  }

  /// errno of the last failed write/fsync, or 0 once a retry succeeded (INFO
  /// aof_last_write_status, -MISCONF).
  [[nodiscard]] int write_error() const noexcept { return write_errno_.load(); }
  /// Bytes in the current incr file plus bytes queued.
  [[nodiscard]] std::uint64_t size() const noexcept {
    return incr_initial_.load() + appended_.load() - incr_start_seq_.load();
  }
  /// Bytes queued and not yet written.
  [[nodiscard]] std::uint64_t pending_bytes() const noexcept { return appended_.load() - written_.load(); }
  /// Duration of the last fdatasync in microseconds.
  [[nodiscard]] std::int64_t last_fsync_us() const noexcept { return last_fsync_us_.load(); }
  [[nodiscard]] const aof_paths& paths() const noexcept { return paths_; }
  /// Path of the incr file being appended to.
  [[nodiscard]] std::string incr_path() const {
    std::lock_guard lk(file_mu_);
    return incr_path_;
  }

 private:
  void open_incr(const std::string& path, bool truncate);
  bool stop_requested();
  void run();
  bool write_all(const std::string& batch);
  /// Writes `data` at the end of `fd` (file `path`), cutting a partial write back off.
  bool write_to(int fd, const std::string& path, const std::string& data);
  /// rotate() after prepare_rotate() (rotate_mu_ held).
  std::int64_t switch_prepared(std::string& error);
  /// Fsync thread: fdatasyncs the old files rotate() left, oldest first, retrying as for
  /// the current file. False when it gave up (stopping with a broken disk).
  bool sync_old_files(bool& stopping);
  /// Takes everything queued and writes it (file_mu_ held by the caller). Returns the
  /// bytes written or -1 on error (nothing is lost: the bytes go back to the queue's front).
  long write_pending();

  aof_paths paths_;
  std::string incr_path_;
  int fd_ = -1;
  std::atomic<fsync_policy> policy_;

  mutable std::mutex file_mu_;   // serializes write()s to fd_ (flush(), rotate(), the fsync thread)
  std::uint64_t gen_ = 0;        // bumped when fd_ changes (file_mu_)
  std::vector<int> retired_fds_; // old incr files, closed by the fsync thread (file_mu_)
  /// An old incr file with records not yet fsynced, left by rotate() for the fsync thread.
  struct old_file {
    int fd;
    std::string unsynced;  ///< bytes written since its last successful fsync
    std::string path;
  };
  std::vector<old_file> old_files_;  // (file_mu_)
  /// The next incr file made by prepare_rotate(), listed in the manifest, not yet switched to.
  struct prepared_file {
    int fd = -1;
    std::string path;
    std::int64_t iseq = 0;
  };
  std::mutex rotate_mu_;   // serializes prepare_rotate(), rotate(), finish_rewrite(); before file_mu_
  prepared_file prepared_;  // (rotate_mu_)
  mutable std::mutex manifest_mu_;
  std::vector<manifest_entry> manifest_;  // (manifest_mu_)
  std::atomic<bool> waiting_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> others_size_{0};   // bytes of the listed files before the current incr
  std::atomic<std::uint64_t> incr_initial_{0};  // size of the current incr file when opened
  std::atomic<std::uint64_t> incr_start_seq_{0};  // sequence when the current incr file was opened
  std::string unsynced_;         // written since the last successful fsync (file_mu_)
  std::mutex mu_;                // guards pending_, last_db_, waiters_, stop_
  std::condition_variable cv_;
  std::string pending_;
  int last_db_ = -1;
  bool stop_ = false;
  std::multimap<std::uint64_t, std::function<void()>> waiters_;

  std::atomic<std::uint64_t> appended_{0};  // sequence of the last queued byte
  std::atomic<std::uint64_t> written_{0};   // bytes written to the file
  std::atomic<std::uint64_t> durable_{0};
  std::atomic<int> write_errno_{0};
  std::atomic<std::int64_t> last_fsync_us_{0};
  std::thread thread_;
};

/// What the loader found.
struct load_result {
  bool ok = true;
  std::string error;          ///< set when !ok: file, byte offset, cause and the repair command
  std::uint64_t commands = 0;
  bool truncated = false;     ///< a torn last record was cut (aof-load-truncated yes)
  std::string warning;        ///< what was cut, for the log
};

/// Loads an RDB base (or the RDB preamble of a base file that starts with "REDIS"): gets the
/// file's bytes and path, returns an error text ("" on success) and sets `consumed` to the
/// bytes the RDB part took (AOF records may follow a preamble).
using rdb_base_loader = std::function<std::string(std::string_view data, const std::string& path, std::size_t& consumed)>;

/// Replays the AOF described by the manifest in `paths`, calling apply(args) for every command
/// in order (SELECT included). apply returns an error text to stop loading, or "" to go on.
/// A base file that starts with "REDIS" goes to `load_rdb` (when empty: an error naming it).
/// A torn record at the end of the last file is cut from the file when `load_truncated`
/// (Redis aof-load-truncated yes) and reported in the result; any other parse failure stops
/// with the file, the offset and the repair command. A missing manifest loads nothing.
/// Transactions: the commands between MULTI and EXEC are applied when EXEC is read (MULTI
/// and EXEC themselves are not passed to apply); a transaction left open at the end of
/// the last file, torn or not, is dropped and cut from the file at its MULTI, as Redis's
/// "Revert incomplete MULTI/EXEC transaction" (an error without `load_truncated`, and
/// anywhere before the last file).
load_result load_aof(const aof_paths& paths, bool load_truncated,
                     const std::function<std::string(std::span<const std::string_view>)>& apply,
                     const rdb_base_loader& load_rdb = {});

/// Total bytes of the base and incr files listed in the manifest of `paths` (0 when there is
/// no manifest): INFO aof_base_size after start-up.
std::uint64_t aof_files_size(const aof_paths& paths);

/// State of AOF rewrites at server level (INFO persistence aof_* fields, BGREWRITEAOF). The
/// running rewrite's plan fields are written before child_pid is set and read after it.
/// Durations of the AOF writer's fdatasync calls since start-up (every writer, the old incr
/// files' syncs included), for /metrics `kvd_aof_fsync_duration_seconds` (a Prometheus
/// histogram). Lock-free: the fsync thread adds, scrapes read.
struct fsync_histogram {
  /// Upper bounds of the buckets, seconds; a last implicit bucket is +Inf.
  static constexpr double bounds_seconds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                              0.025,  0.05,    0.1,    0.25,  0.5,    1.0,  2.5};
  static constexpr std::size_t buckets = std::size(bounds_seconds) + 1;
  std::atomic<std::uint64_t> counts[buckets] = {};  ///< per bucket, not cumulative
  std::atomic<std::uint64_t> sum_us{0};             ///< total duration, microseconds
  std::atomic<std::uint64_t> count{0};
  /// Records one fdatasync that took `us` microseconds.
  void record(std::int64_t us) noexcept;
};

/// The process-wide fsync histogram.
fsync_histogram& aof_fsync_histogram() noexcept;

struct aof_rewrite_status {
  std::atomic<int> child_pid{-1};                 ///< running rewrite child, -1 when none
  std::atomic<bool> scheduled{false};             ///< aof_rewrite_scheduled
  std::atomic<std::int64_t> child_start_ms{0};    ///< when the running rewrite forked
  std::atomic<std::int64_t> last_time_sec{-1};    ///< aof_last_rewrite_time_sec
  std::atomic<bool> last_ok{true};                ///< aof_last_bgrewrite_status
  std::atomic<std::uint64_t> rewrites{0};         ///< aof_rewrites (started)
  std::atomic<std::uint64_t> consecutive_failures{0};  ///< aof_rewrites_consecutive_failures
  std::atomic<std::uint64_t> base_size{0};        ///< aof_base_size: size after start-up / last rewrite
  std::atomic<std::int64_t> last_failure_ms{0};   ///< when the last rewrite failed (retry pacing)
  std::string temp_path;                          ///< the child's output file
  manifest_entry new_base;                        ///< its name once installed
  std::int64_t first_kept_incr_seq = 0;           ///< incr files kept by the swap (seq >=)
  bool with_writer = false;                       ///< an AOF writer was running at the fork
  /// Every writer opened since start-up; stopped ones stay (other threads may still hold a
  /// pointer to them) until exit.
  std::mutex writers_mu;
  std::vector<std::unique_ptr<aof_writer>> writers;
};

/// Writes the rewrite base in AOF form (aof-use-rdb-preamble no), as Redis 7.0's
/// rewriteAppendOnlyFileRio: per non-empty database SELECT, then per key SET / RPUSH / SADD /
/// ZADD / HMSET (at most 64 elements per command) and PEXPIREAT for keys with a TTL, to the
/// open `fd` (not closed). Same locking precondition as rdb_write_fd (a forked child). Returns
/// false with the errno text in `error`.
bool write_aof_base_fd(store::keyspace& ks, int fd, std::string& error);

}  // namespace kvd::persist
