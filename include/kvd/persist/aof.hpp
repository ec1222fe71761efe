// Append-only file, Redis 7.0 multi-part layout (aof.c): `<dir>/<appenddirname>/` holds a
// manifest (`<appendfilename>.manifest`), one base file and incremental files; every record
// is a RESP array of bulk strings, with SELECT written where the database changes.
//
// aof_writer: commands append their record to a pending batch under a short mutex and get a
// sequence number (the byte offset of the record's end in the log). A dedicated fsync thread
// owns the file: it takes the whole batch, write()s it, fdatasync()s it (appendfsync always;
// at most once a second for everysec; never for no), publishes the durable sequence and runs
// the completion callbacks of waiters at or below it (group commit: N writers share one
// fsync; while one fsync runs the next batch fills). A failed write or fsync keeps the batch,
// cuts the file back to the last good offset and retries; write_error() is set meanwhile so
// the dispatcher can refuse new writes with -MISCONF.
//
// aof_loader: reads manifest -> base -> incr files and hands every command to a callback.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

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
  /// Writes and fsyncs what is pending, stops the thread, closes the file.
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
  [[nodiscard]] std::uint64_t size() const noexcept { return appended_.load(); }
  /// Bytes queued and not yet written.
  [[nodiscard]] std::uint64_t pending_bytes() const noexcept { return appended_.load() - written_.load(); }
  /// Duration of the last fdatasync in microseconds.
  [[nodiscard]] std::int64_t last_fsync_us() const noexcept { return last_fsync_us_.load(); }
  [[nodiscard]] const aof_paths& paths() const noexcept { return paths_; }
  /// Path of the incr file being appended to.
  [[nodiscard]] const std::string& incr_path() const noexcept { return incr_path_; }

 private:
  void run();
  bool write_all(const std::string& batch);
  /// Takes everything queued and writes it (file_mu_ held by the caller). Returns the
  /// bytes written or -1 on error (nothing is lost: the bytes go back to the queue's front).
  long write_pending();

  aof_paths paths_;
  std::string incr_path_;
  int fd_ = -1;
  std::atomic<fsync_policy> policy_;

  std::mutex file_mu_;           // serializes write()s to fd_ (flush() and the fsync thread)
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
  std::uint64_t base_offset_ = 0;  // file size at open: sequences count from here
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

/// Replays the AOF described by the manifest in `paths`, calling apply(args) for every command
/// in order (SELECT included). apply returns an error text to stop loading, or "" to go on.
/// A torn record at the end of the last file is cut from the file when `load_truncated`
/// (Redis aof-load-truncated yes) and reported in the result; any other parse failure stops
/// with the file, the offset and the repair command. A missing manifest loads nothing.
/// Transactions: the commands between MULTI and EXEC are applied when EXEC is read (MULTI
/// and EXEC themselves are not passed to apply); a transaction left open at the end of
/// the last file, torn or not, is dropped and cut from the file at its MULTI, as Redis's
/// "Revert incomplete MULTI/EXEC transaction" (an error without `load_truncated`, and
/// anywhere before the last file).
load_result load_aof(const aof_paths& paths, bool load_truncated,
                     const std::function<std::string(std::span<const std::string_view>)>& apply);

}  // namespace kvd::persist
