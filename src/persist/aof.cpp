#include "kvd/persist/aof.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "kvd/protocol/resp_parser.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/memory_meter.hpp"

namespace kvd::persist {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

bool fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

/// Case-insensitive comparison of a command name with `lower` (lower case).
bool is_named(std::string_view name, std::string_view lower) noexcept {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(name[i])) != lower[i]) return false;
  return true;
}

/// Reads `path` into `out` with one read() loop (an istreambuf_iterator copy is several
/// times slower on a large base). False with errno set on failure.
bool read_whole_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return false;
  }
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      errno = e;
      return false;
    }
    if (n == 0) break;  // shrank meanwhile
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  ::close(fd);
  return true;
}

std::string incr_name(const std::string& filename, std::int64_t seq) {
  return filename + "." + std::to_string(seq) + ".incr.aof";
}

}  // namespace

bool parse_fsync_policy(std::string_view s, fsync_policy& out) noexcept {
  std::string l(s);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "always") out = fsync_policy::always;
  else if (l == "everysec") out = fsync_policy::everysec;
  else if (l == "no") out = fsync_policy::no;
  else return false;
  return true;
}

void encode_command(std::string& out, std::span<const std::string_view> args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (auto a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out.append(a);
    out += "\r\n";
  }
}

bool read_manifest(const std::string& path, std::vector<manifest_entry>& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot open " + path + ": " + errno_text(errno);
    return false;
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string key, val;
    manifest_entry e;
    bool has_file = false, has_seq = false, has_type = false;
    while (words >> key >> val) {
      if (key == "file") e.name = val, has_file = true;
      else if (key == "seq") {
        try {
          e.seq = std::stoll(val);
          has_seq = true;
        } catch (...) {
        }
      } else if (key == "type" && val.size() == 1 && (val[0] == 'b' || val[0] == 'h' || val[0] == 'i')) {
        e.type = val[0];
        has_type = true;
      }
    }
    if (!has_file || !has_seq || !has_type || e.name.find('/') != std::string::npos) {
      error = "invalid AOF manifest " + path + " line " + std::to_string(lineno) + ": '" + line + "'";
      return false;
    }
    out.push_back(std::move(e));
  }
  return true;
}

void fsync_histogram::record(std::int64_t us) noexcept {
  if (us < 0) us = 0;
  double sec = static_cast<double>(us) / 1e6;
  std::size_t i = 0;
  while (i < std::size(bounds_seconds) && sec > bounds_seconds[i]) ++i;
  counts[i].fetch_add(1, std::memory_order_relaxed);
  sum_us.fetch_add(static_cast<std::uint64_t>(us), std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_relaxed);
}

fsync_histogram& aof_fsync_histogram() noexcept {
  static fsync_histogram h;
  return h;
}

bool write_manifest(const std::string& path, const std::vector<manifest_entry>& entries, std::string& error) {
  std::string text;
  for (auto& e : entries) text += "file " + e.name + " seq " + std::to_string(e.seq) + " type " + e.type + "\n";
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    error = "cannot create " + tmp + ": " + errno_text(errno);
    return false;
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  int e = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot write " + path + ": " + errno_text(ok ? errno : e);
    ::unlink(tmp.c_str());
    return false;
  }
  auto slash = path.rfind('/');
  if (!fsync_dir(slash == std::string::npos ? "." : path.substr(0, slash))) {
    error = "cannot fsync the directory of " + path + ": " + errno_text(errno);
    return false;
  }
  return true;
}

namespace {

/// Sequences only grow, across incr files and across writers (a connection may still hold
/// the sequence of a write logged by a writer that CONFIG SET appendonly no stopped).
std::atomic<std::uint64_t> seq_origin{0};

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

}  // namespace

std::string base_file_name(const std::string& filename, std::int64_t seq, bool rdb) {
  return filename + "." + std::to_string(seq) + (rdb ? ".base.rdb" : ".base.aof");
}

std::string incr_file_name(const std::string& filename, std::int64_t seq) { return incr_name(filename, seq); }

std::string temp_incr_file_name(const std::string& filename) { return "temp-" + filename + ".incr"; }

std::int64_t manifest_base_seq(const std::vector<manifest_entry>& m) noexcept {
  for (auto& e : m)
    if (e.type == 'b') return e.seq;
  return 0;
}

std::int64_t manifest_last_incr_seq(const std::vector<manifest_entry>& m) noexcept {
  std::int64_t n = 0;
  for (auto& e : m)
    if (e.type == 'i') n = std::max(n, e.seq);
  return n;
}

std::vector<manifest_entry> manifest_after_rewrite(const std::vector<manifest_entry>& cur, const manifest_entry& new_base,
                                                   std::int64_t first_kept_incr_seq, std::vector<std::string>& removed) {
  std::vector<manifest_entry> out{new_base};
  for (auto& e : cur) {
    if (e.type == 'i' && e.seq >= first_kept_incr_seq) out.push_back(e);
    else if (e.name != new_base.name) removed.push_back(e.name);
  }
  return out;
}

namespace {

void remove_files(const std::string& folder, const std::vector<std::string>& names) {
  for (auto& n : names) {
    std::string p = folder + "/" + n;
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) spdlog::warn("AOF: cannot delete {}: {}", p, errno_text(errno));
  }
  if (!names.empty()) fsync_dir(folder);
}

}  // namespace

bool swap_manifest(const aof_paths& paths, const manifest_entry& new_base, std::int64_t first_kept_incr_seq,
                   std::string& error) {
  std::vector<manifest_entry> cur;
  struct stat st {};
  if (::stat(paths.manifest().c_str(), &st) == 0 && !read_manifest(paths.manifest(), cur, error)) return false;
  std::vector<std::string> removed;
  auto next = manifest_after_rewrite(cur, new_base, first_kept_incr_seq, removed);
  if (!write_manifest(paths.manifest(), next, error)) return false;
  remove_files(paths.folder(), removed);
  return true;
}

std::uint64_t aof_files_size(const aof_paths& paths) {
  std::vector<manifest_entry> m;
  std::string err;
  struct stat st {};
  if (::stat(paths.manifest().c_str(), &st) != 0 || !read_manifest(paths.manifest(), m, err)) return 0;
  std::uint64_t n = 0;
  for (auto& e : m)
    if (e.type != 'h') n += file_size(paths.folder() + "/" + e.name);
  return n;
}

void aof_writer::open_incr(const std::string& path, bool truncate) {
  incr_path_ = path;
  fd_ = ::open(incr_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open AOF file " + incr_path_ + ": " + errno_text(errno));
  struct stat fst {};
  ::fstat(fd_, &fst);
  std::uint64_t origin = seq_origin.load();
  incr_initial_ = static_cast<std::uint64_t>(fst.st_size);
  incr_start_seq_ = origin;
  appended_ = written_ = durable_ = origin;
  thread_ = std::thread([this] {
    util::memory_meter::register_thread();  // it frees the batches io threads allocated
    run();
  });
}

aof_writer::aof_writer(aof_paths paths, fsync_policy policy, wait_rewrite_t) : paths_(std::move(paths)), policy_(policy) {
  std::string folder = paths_.folder();
  if (::mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create AOF directory " + folder + ": " + errno_text(errno));
  std::string error;
  struct stat st {};
  if (::stat(paths_.manifest().c_str(), &st) == 0 && !read_manifest(paths_.manifest(), manifest_, error))
    throw std::runtime_error(error);
  waiting_ = true;
  open_incr(folder + "/" + temp_incr_file_name(paths_.filename), true);
}

aof_writer::aof_writer(aof_paths paths, fsync_policy policy) : paths_(std::move(paths)), policy_(policy) {
  std::string folder = paths_.folder();
  if (::mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create AOF directory " + folder + ": " + errno_text(errno));
  std::vector<manifest_entry> entries;
  std::string error;
  struct stat st {};
  if (::stat(paths_.manifest().c_str(), &st) == 0) {
    if (!read_manifest(paths_.manifest(), entries, error)) throw std::runtime_error(error);
  }
  const manifest_entry* incr = nullptr;
  bool has_base = false;
  for (auto& e : entries) {
    if (e.type == 'i') incr = &e;
    if (e.type == 'b') has_base = true;
  }
  if (!incr) {
    // A fresh AOF (Redis 7 creates base + incr + manifest on first start): an empty base
    // in AOF format and the first incremental file.
    if (!has_base) {
      std::int64_t bseq = manifest_base_seq(entries) + 1;
      manifest_entry base{base_file_name(paths_.filename, bseq, false), bseq, 'b'};
      std::string base_path = folder + "/" + base.name;
      int bfd = ::open(base_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (bfd < 0 || ::fsync(bfd) != 0)
        throw std::runtime_error("cannot create AOF base file " + base_path + ": " + errno_text(errno));
      ::close(bfd);
      entries.insert(entries.begin(), base);
    }
    std::int64_t iseq = manifest_last_incr_seq(entries) + 1;
    entries.push_back({incr_name(paths_.filename, iseq), iseq, 'i'});
    incr = &entries.back();
    std::string ipath = folder + "/" + incr->name;
    int ifd = ::open(ipath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (ifd < 0) throw std::runtime_error("cannot create AOF file " + ipath + ": " + errno_text(errno));
    ::close(ifd);
    if (!write_manifest(paths_.manifest(), entries, error)) throw std::runtime_error(error);
  }
  std::string ipath = folder + "/" + incr->name;
  std::uint64_t others = 0;
  for (auto& e : entries)
    if (e.type != 'h' && e.name != incr->name) others += file_size(folder + "/" + e.name);
  others_size_ = others;
  manifest_ = entries;
  open_incr(ipath, false);
}

aof_writer::~aof_writer() { stop(); }

void aof_writer::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopped_.exchange(true)) return;
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::vector<std::function<void()>> rest;
  {
    std::lock_guard lk(mu_);
    for (auto& [seq, fn] : waiters_) rest.push_back(std::move(fn));
    waiters_.clear();
    // Later writers number their records after everything this one ever handed out.
    std::uint64_t cur = seq_origin.load();
    while (cur < appended_.load() && !seq_origin.compare_exchange_weak(cur, appended_.load())) {
    }
    // A connection may still wait for a record this writer dropped: nothing is held now.
    durable_.store(std::max(durable_.load(), appended_.load()));
  }
  for (auto& f : rest) f();
  {
    std::lock_guard rl(rotate_mu_);
    if (prepared_.fd >= 0) ::close(prepared_.fd);  // stays listed, empty: loads as nothing
    prepared_ = {};
  }
  std::lock_guard fl(file_mu_);
  for (int fd : retired_fds_) ::close(fd);
  retired_fds_.clear();
  for (auto& f : old_files_) ::close(f.fd);  // the thread synced them, or gave up on a broken disk
  old_files_.clear();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::vector<manifest_entry> aof_writer::manifest() const {
  std::lock_guard lk(manifest_mu_);
  return manifest_;
}

std::uint64_t aof_writer::current_size() const noexcept {
  return others_size_.load() + incr_initial_.load() + written_.load() - incr_start_seq_.load();
}

bool aof_writer::prepare_rotate(std::string& error) {
  std::lock_guard rl(rotate_mu_);
  if (waiting_.load() || prepared_.fd >= 0) return true;
  std::vector<manifest_entry> next;
  {
    std::lock_guard lk(manifest_mu_);
    next = manifest_;
  }
  std::int64_t iseq = manifest_last_incr_seq(next) + 1;
  next.push_back({incr_name(paths_.filename, iseq), iseq, 'i'});
  std::string path = paths_.folder() + "/" + next.back().name;
  int nfd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (nfd < 0) {
    error = "cannot create AOF file " + path + ": " + errno_text(errno);
    return false;
  }
  // The manifest lists the new, empty file after the current one before any record goes
  // there: a crash from here on loads the current file and then the empty one.
  if (!write_manifest(paths_.manifest(), next, error)) {
    ::close(nfd);
    ::unlink(path.c_str());
    return false;
  }
  {
    std::lock_guard lk(manifest_mu_);
    manifest_ = next;
  }
  prepared_ = {nfd, path, iseq};
  return true;
}

std::int64_t aof_writer::rotate(std::string& error) {
  std::lock_guard rl(rotate_mu_);
  std::string folder = paths_.folder();
  bool waiting = waiting_.load();
  if (!waiting && prepared_.fd >= 0) return switch_prepared(error);
  std::vector<manifest_entry> next;
  std::int64_t iseq = 0;
  std::string path;
  {
    std::lock_guard lk(manifest_mu_);
    next = manifest_;
  }
  if (waiting) {
    path = folder + "/" + temp_incr_file_name(paths_.filename) + ".new";
  } else {
    iseq = manifest_last_incr_seq(next) + 1;
    next.push_back({incr_name(paths_.filename, iseq), iseq, 'i'});
    path = folder + "/" + next.back().name;
  }
  int nfd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (nfd < 0) {
    error = "cannot create AOF file " + path + ": " + errno_text(errno);
    return -1;
  }
  auto undo = [&] {
    ::close(nfd);
    ::unlink(path.c_str());
  };
  std::lock_guard fl(file_mu_);
  // Everything queued so far belongs to the old file: write it and make it durable there.
  std::string batch;
  std::uint64_t end;
  {
    std::lock_guard lk(mu_);
    if (stopped_.load()) {
      undo();
      error = "the AOF is stopped";
      return -1;
    }
    batch.swap(pending_);
    end = appended_.load();
    last_db_ = -1;  // the new file starts with SELECT
  }
  auto put_back = [&] {
    std::lock_guard lk(mu_);
    batch += pending_;
    pending_.swap(batch);
  };
  if (!batch.empty() && !write_all(batch)) {
    put_back();
    undo();
    error = "cannot write " + incr_path_ + ": " + errno_text(write_errno_.load());
    return -1;
  }
  written_.store(end, std::memory_order_release);
  if (policy_.load() != fsync_policy::no) unsynced_ += batch;
  if (!unsynced_.empty() && ::fdatasync(fd_) != 0) {
    // The fsync thread retries (rewriting unsynced_ into this same file).
    int e = errno;
    undo();
    error = "cannot fsync " + incr_path_ + ": " + errno_text(e);
    return -1;
  }
  unsynced_.clear();
  if (!waiting) {
    if (!write_manifest(paths_.manifest(), next, error)) {
      undo();
      return -1;
    }
    std::lock_guard lk(manifest_mu_);
    manifest_ = next;
  } else {
    // The temp incr file starts over: the next base holds all it had.
    std::string temp = folder + "/" + temp_incr_file_name(paths_.filename);
    if (::rename(path.c_str(), temp.c_str()) != 0) {
      error = "cannot rename " + path + " to " + temp + ": " + errno_text(errno);
      undo();
      return -1;
    }
    path = temp;
  }
  std::uint64_t old_size = incr_initial_.load() + end - incr_start_seq_.load();
  if (!waiting) others_size_.fetch_add(old_size);
  else others_size_ = 0;
  retired_fds_.push_back(fd_);
  fd_ = nfd;
  ++gen_;
  incr_path_ = path;
  incr_initial_ = 0;
  incr_start_seq_ = end;
  return iseq;
}

std::int64_t aof_writer::switch_prepared(std::string& error) {
  std::lock_guard fl(file_mu_);
  std::string batch;
  std::uint64_t end;
  {
    std::lock_guard lk(mu_);
    if (stopped_.load()) {
      error = "the AOF is stopped";
      return -1;
    }
    batch.swap(pending_);
    end = appended_.load();
    last_db_ = -1;  // the new file starts with SELECT
  }
  // The records queued so far belong to the old file: written there now (no fsync: the
  // fsync thread makes the old file durable before it counts any record of the new one).
  if (!batch.empty() && !write_all(batch)) {
    std::lock_guard lk(mu_);
    batch += pending_;
    pending_.swap(batch);
    error = "cannot write " + incr_path_ + ": " + errno_text(write_errno_.load());
    return -1;
  }
  written_.store(end, std::memory_order_release);
  if (policy_.load() != fsync_policy::no) unsynced_ += batch;
  if (unsynced_.empty()) retired_fds_.push_back(fd_);
  else old_files_.push_back({fd_, std::move(unsynced_), incr_path_});
  unsynced_.clear();
  others_size_.fetch_add(incr_initial_.load() + end - incr_start_seq_.load());
  fd_ = prepared_.fd;
  ++gen_;
  incr_path_ = prepared_.path;
  incr_initial_ = 0;
  incr_start_seq_ = end;
  std::int64_t iseq = prepared_.iseq;
  prepared_ = {};
  cv_.notify_one();
  return iseq;
}

bool aof_writer::finish_rewrite(const manifest_entry& new_base, std::uint64_t base_bytes,
                                std::int64_t first_kept_incr_seq, std::string& error) {
  std::lock_guard rl(rotate_mu_);
  std::string folder = paths_.folder();
  std::vector<manifest_entry> cur;
  {
    std::lock_guard lk(manifest_mu_);
    cur = manifest_;
  }
  std::string renamed_from, renamed_to;
  if (waiting_.load()) {
    // The temp incr file becomes the first incr file of the new manifest.
    std::int64_t iseq = manifest_last_incr_seq(cur) + 1;
    manifest_entry incr{incr_name(paths_.filename, iseq), iseq, 'i'};
    std::lock_guard fl(file_mu_);
    renamed_from = incr_path_;
    renamed_to = folder + "/" + incr.name;
    if (::rename(renamed_from.c_str(), renamed_to.c_str()) != 0) {
      error = "cannot rename " + renamed_from + " to " + renamed_to + ": " + errno_text(errno);
      return false;
    }
    cur.push_back(incr);
    first_kept_incr_seq = iseq;
  }
  std::vector<std::string> removed;
  auto next = manifest_after_rewrite(cur, new_base, first_kept_incr_seq, removed);
  if (!write_manifest(paths_.manifest(), next, error)) {
    if (!renamed_from.empty()) ::rename(renamed_to.c_str(), renamed_from.c_str());
    return false;
  }
  {
    std::lock_guard lk(manifest_mu_);
    manifest_ = next;
  }
  if (!renamed_from.empty()) {
    std::lock_guard fl(file_mu_);
    incr_path_ = renamed_to;
    waiting_ = false;
  }
  others_size_ = base_bytes;
  remove_files(folder, removed);
  return true;
}

std::uint64_t aof_writer::append(int db, std::span<const std::string_view> args) {
  std::lock_guard lk(mu_);
  if (stopped_.load(std::memory_order_relaxed)) return appended_.load();
  std::size_t before = pending_.size();
  if (db != last_db_) {
    std::string n = std::to_string(db);
    std::string_view sel[] = {"SELECT", n};
    encode_command(pending_, sel);
    last_db_ = db;
  }
  encode_command(pending_, args);
  auto seq = appended_.fetch_add(pending_.size() - before) + (pending_.size() - before);
  // Only `always` needs the fsync thread at once; otherwise connections flush() themselves
  // and the thread fsyncs once a second.
  if (policy_.load(std::memory_order_relaxed) == fsync_policy::always) cv_.notify_one();
  return seq;
}

std::uint64_t aof_writer::append_all(std::span<const aof_record> records) {
  std::lock_guard lk(mu_);
  std::size_t before = pending_.size();
  for (auto& r : records) {
    if (r.db != last_db_) {
      std::string n = std::to_string(r.db);
      std::string_view sel[] = {"SELECT", n};
      encode_command(pending_, sel);
      last_db_ = r.db;
    }
    encode_command(pending_, r.args);
  }
  auto seq = appended_.fetch_add(pending_.size() - before) + (pending_.size() - before);
  if (policy_.load(std::memory_order_relaxed) == fsync_policy::always) cv_.notify_one();
  return seq;
}

long aof_writer::write_pending() {
  std::string batch;
  std::uint64_t end;
  {
    std::lock_guard lk(mu_);
    batch.swap(pending_);
    end = appended_.load();
  }
  if (batch.empty()) return 0;
  if (!write_all(batch)) {
    std::lock_guard lk(mu_);
    batch += pending_;
    pending_.swap(batch);
    return -1;
  }
  write_errno_.store(0);
  written_.store(end, std::memory_order_release);
  // Bytes not yet fsynced are kept so that a failed fsync can write them again (`no`
  // never fsyncs and keeps nothing).
  if (policy_.load(std::memory_order_relaxed) != fsync_policy::no) unsynced_ += batch;
  return static_cast<long>(batch.size());
}

bool aof_writer::flush() {
  if (written_.load(std::memory_order_acquire) >= appended_.load(std::memory_order_acquire)) return true;
  std::lock_guard fl(file_mu_);
  return write_pending() >= 0;
}

void aof_writer::when_durable(std::uint64_t seq, std::function<void()> fn) {
  {
    std::lock_guard lk(mu_);
    if (durable_.load() < seq) {
      waiters_.emplace(seq, std::move(fn));
      return;
    }
  }
  fn();
}

bool aof_writer::write_all(const std::string& data) { return write_to(fd_, incr_path_, data); }

bool aof_writer::write_to(int fd, const std::string& path, const std::string& data) {
  struct stat st {};
  ::fstat(fd, &st);
  off_t start = st.st_size;
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      write_errno_.store(e);
      // Never leave half a record behind: cut back to where this batch started.
      if (::ftruncate(fd, start) != 0) spdlog::error("AOF: cannot truncate {} after a failed write", path);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool aof_writer::stop_requested() {
  std::lock_guard lk(mu_);
  return stop_;
}

bool aof_writer::sync_old_files(bool& stopping) {
  for (int attempts = 0;;) {
    int fd;
    std::string path;
    {
      std::lock_guard fl(file_mu_);
      if (old_files_.empty()) return true;
      fd = old_files_.front().fd;
      path = old_files_.front().path;
    }
    auto t0 = util::now_us();
    if (::fdatasync(fd) == 0) {
      last_fsync_us_.store(util::now_us() - t0);
      aof_fsync_histogram().record(last_fsync_us_.load());
      std::lock_guard fl(file_mu_);
      retired_fds_.push_back(fd);
      old_files_.erase(old_files_.begin());
      if (attempts > 0) {
        spdlog::info("AOF {} fsync succeeded again", path);
        write_errno_.store(0);
      }
      attempts = 0;
      continue;
    }
    int e = errno;
    write_errno_.store(e);
    if (++attempts == 1) spdlog::error("AOF fsync of {} failed: {}; rewriting and retrying", path, errno_text(e));
    if (!stopping) stopping = stop_requested();
    if (stopping && attempts > 20) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // As for the current file: cut back to the last synced offset and write again.
    std::lock_guard fl(file_mu_);
    auto& f = old_files_.front();
    struct stat st {};
    ::fstat(f.fd, &st);
    if (::ftruncate(f.fd, st.st_size - static_cast<off_t>(f.unsynced.size())) == 0) write_to(f.fd, f.path, f.unsynced);
  }
}

void aof_writer::run() {
  using clock = std::chrono::steady_clock;
  auto last_sync = clock::now();
  std::uint64_t synced_upto = written_.load();
  for (;;) {
    bool stopping;
    {
      std::unique_lock lk(mu_);
      bool always = policy_.load() == fsync_policy::always;
      if ((pending_.empty() || !always) && !stop_) cv_.wait_for(lk, std::chrono::milliseconds(100));
      stopping = stop_;
    }
    auto policy = policy_.load();
    bool gave_up = false;
    {
      // Old incr files left by rotate(): no fsync of ours can be running on them now.
      std::lock_guard fl(file_mu_);
      for (int fd : retired_fds_) ::close(fd);
      retired_fds_.clear();
    }
    // Write what is queued (under `always` this is the group-commit batch; otherwise the
    // records no connection has flushed yet).
    // file_mu_ is not held while waiting between attempts, so that flush() and rotate() see
    // the error (and fail) instead of blocking behind a full disk.
    for (int attempts = 0;;) {
      {
        std::lock_guard fl(file_mu_);
        if (write_pending() >= 0) break;
      }
      if (++attempts == 1) spdlog::error("AOF write to {} failed: {}; retrying", incr_path(), errno_text(write_errno_));
      if (!stopping) stopping = stop_requested();  // stop() may come while we retry
      if (stopping && attempts > 20) {  // shutdown with a broken disk: give up after ~2 s
        gave_up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::uint64_t written = written_.load();
    bool want_sync = written > synced_upto &&
                     (policy == fsync_policy::always || stopping ||
                      (policy == fsync_policy::everysec && clock::now() - last_sync >= std::chrono::seconds(1)));
    if (want_sync) {
      // The fsync covers what was written before it started; connections may go on
      // writing meanwhile (file_mu_ is not held across the fsync).
      // rotate() may switch files meanwhile: it then writes and fsyncs the old file itself
      // (gen_ changes), and the old descriptor stays open until this thread closes it.
      // Old incr files left by rotate() hold records that come before the current file's:
      // they are made durable first, and `written` is read with none of them left.
      std::size_t covered = 0;
      int fd = -1;
      std::uint64_t gen = 0;
      bool rotated = false;
      for (;;) {
        if (!sync_old_files(stopping)) {
          gave_up = true;
          break;
        }
        std::lock_guard fl(file_mu_);
        if (!old_files_.empty()) continue;
        covered = unsynced_.size();
        written = written_.load();
        fd = fd_;
        gen = gen_;
        break;
      }
      int attempts = 0;
      for (; !gave_up;) {
        auto t0 = util::now_us();
        if (::fdatasync(fd) == 0) {
          last_fsync_us_.store(util::now_us() - t0);
      aof_fsync_histogram().record(last_fsync_us_.load());
          std::lock_guard fl(file_mu_);
          if (gen == gen_) unsynced_.erase(0, std::min(covered, unsynced_.size()));
          break;
        }
        int e = errno;
        {
          // rotated: the file is now an old file (or rotate() made it durable); the next
          // round syncs it before counting anything.
          std::lock_guard fl(file_mu_);
          if (gen != gen_) {
            rotated = true;
            break;
          }
        }
        write_errno_.store(e);
        if (++attempts == 1) spdlog::error("AOF fsync of {} failed: {}; rewriting and retrying", incr_path(), errno_text(e));
        if (!stopping) stopping = stop_requested();
        if (stopping && attempts > 20) {
          gave_up = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        // After a failed fsync the page cache cannot be trusted: cut the file back to the
        // last synced offset and write every unsynced byte again.
        std::lock_guard fl(file_mu_);
        fd = fd_;
        gen = gen_;
        struct stat st {};
        ::fstat(fd_, &st);
        if (::ftruncate(fd_, st.st_size - static_cast<off_t>(unsynced_.size())) == 0) {
          std::string again = unsynced_;
          if (write_all(again)) covered = unsynced_.size(), written = written_.load();
        }
      }
      if (!gave_up && !rotated) {
        if (attempts > 0) spdlog::info("AOF {} fsync succeeded again", incr_path());
        if (attempts > 0) write_errno_.store(0);
        synced_upto = written;
        last_sync = clock::now();
      }
    }
    // Under `always` replies wait for the fsync; otherwise a written record counts.
    std::uint64_t durable = policy == fsync_policy::always ? synced_upto : written;
    if (durable > durable_.load()) durable_.store(durable, std::memory_order_release);

    std::vector<std::function<void()>> ready;
    bool done;
    {
      std::lock_guard lk(mu_);
      auto upto = waiters_.upper_bound(durable_.load());
      for (auto it = waiters_.begin(); it != upto; ++it) ready.push_back(std::move(it->second));
      waiters_.erase(waiters_.begin(), upto);
      done = stopping && ((pending_.empty() && synced_upto >= written_.load()) || gave_up);
    }
    for (auto& f : ready) f();
    if (done) break;
  }
}

load_result load_aof(const aof_paths& paths, bool load_truncated,
                     const std::function<std::string(std::span<const std::string_view>)>& apply,
                     const rdb_base_loader& load_rdb) {
  load_result res;
  struct stat st {};
  if (::stat(paths.manifest().c_str(), &st) != 0) return res;  // nothing to load
  std::vector<manifest_entry> entries;
  if (!read_manifest(paths.manifest(), entries, res.error)) {
    res.ok = false;
    return res;
  }
  std::vector<manifest_entry> order;
  for (auto& e : entries)
    if (e.type == 'b') order.push_back(e);
  for (auto& e : entries)
    if (e.type == 'i') order.push_back(e);
  const std::string fix = " Make a backup of the AOF directory, then check and repair it with `kvd-check-aof --fix " +
                          paths.manifest() + "` (Redis's `redis-check-aof --fix " + paths.manifest() + "` works too)" +
                          (load_truncated ? "." : " (or set aof-load-truncated yes to cut a torn last record).");
  protocol::resp_parser parser({512LL * 1024 * 1024, 1024LL * 1024 * 1024, 64 * 1024});
  std::vector<std::string_view> args;
  for (std::size_t fi = 0; fi < order.size(); ++fi) {
    const auto& e = order[fi];
    bool last_file = fi + 1 == order.size();
    std::string path = paths.folder() + "/" + e.name;
    std::string data;
    if (!read_whole_file(path, data)) {
      res.ok = false;
      res.error = "AOF file " + path + " listed in " + paths.manifest() + " cannot be read: " + errno_text(errno);
      return res;
    }
    std::size_t pos = 0;
    if (e.type == 'b' && std::string_view(data).starts_with("REDIS")) {
      // An RDB base (`.base.rdb`, aof-use-rdb-preamble yes) or an RDB preamble followed by
      // AOF records (a single-file AOF of Redis 4..6 turned into a base).
      if (!load_rdb) {
        res.ok = false;
        res.error = "AOF base file " + path + " is in RDB format and no RDB loader was given";
        return res;
      }
      std::string err = load_rdb(data, path, pos);
      if (!err.empty()) {
        res.ok = false;
        res.error = err;
        return res;
      }
    } else if (e.name.ends_with(".rdb") && !data.empty()) {
      res.ok = false;
      res.error = "AOF base file " + path + " should be in RDB format but does not start with \"REDIS\"";
      return res;
    }
    // An open transaction: its commands (views into `data`) and their offsets, applied
    // when its EXEC is read (Redis's loader queues them in its fake client the same way).
    bool in_multi = false;
    std::size_t multi_pos = 0;
    std::vector<std::vector<std::string_view>> txn;
    std::vector<std::size_t> txn_pos;
    auto apply_at = [&](std::span<const std::string_view> a, std::size_t at) {
      std::string err = apply(a);
      if (err.empty()) {
        ++res.commands;
        return true;
      }
      res.ok = false;
      res.error = err + " reading the append only file " + path + " at offset " + std::to_string(at) + "." + fix;
      return false;
    };
    while (pos < data.size()) {
      std::size_t consumed = 0;
      protocol::parse_status status = protocol::parse_status::error;
      if (data[pos] == '*') status = parser.parse(data.data() + pos, data.size() - pos, args, consumed);
      if (status == protocol::parse_status::complete) {
        if (is_named(args[0], "multi")) {
          // A nested MULTI (Redis's fake client answers an error) keeps the one transaction.
          if (!in_multi) multi_pos = pos;
          in_multi = true;
        } else if (in_multi && is_named(args[0], "exec")) {
          for (std::size_t i = 0; i < txn.size(); ++i)
            if (!apply_at(txn[i], txn_pos[i])) return res;
          in_multi = false;
          txn.clear();
          txn_pos.clear();
        } else if (in_multi) {
          txn.push_back(args);
          txn_pos.push_back(pos);
        } else if (!apply_at(args, pos)) {
          return res;
        }
        pos += consumed;
        continue;
      }
      if (status == protocol::parse_status::incomplete && last_file) {
        if (!load_truncated) {
          res.ok = false;
          res.error = "Unexpected end of file reading the append only file " + path + " at offset " +
                      std::to_string(pos) + " (a torn last record)." + fix;
          return res;
        }
        // A torn record inside a transaction drops the whole transaction.
        std::size_t cut = in_multi ? multi_pos : pos;
        if (::truncate(path.c_str(), static_cast<off_t>(cut)) != 0) {
          res.ok = false;
          res.error = "cannot truncate " + path + " at offset " + std::to_string(cut) + ": " + errno_text(errno);
          return res;
        }
        res.truncated = true;
        res.warning = "AOF " + path + ": torn last record (" + std::to_string(data.size() - pos) + " bytes) " +
                      (in_multi ? "inside a MULTI/EXEC transaction; the incomplete transaction (" +
                                      std::to_string(data.size() - cut) + " bytes) was reverted and "
                                : "") +
                      "cut at offset " + std::to_string(cut) + " because aof-load-truncated is yes";
        in_multi = false;
        break;
      }
      res.ok = false;
      res.error = "Bad file format reading the append only file " + path + " at offset " + std::to_string(pos) +
                  (status == protocol::parse_status::incomplete ? " (a torn record before the last file)" : "") + "." +
                  fix;
      return res;
    }
    if (in_multi) {
      // The file ends inside a transaction (Redis: "Revert incomplete MULTI/EXEC transaction").
      if (!last_file || !load_truncated) {
        res.ok = false;
        res.error = "Unexpected end of file reading the append only file " + path + " at offset " +
                    std::to_string(multi_pos) + " (a MULTI without its EXEC" +
                    (last_file ? ")." : " before the last file).") + fix;
        return res;
      }
      if (::truncate(path.c_str(), static_cast<off_t>(multi_pos)) != 0) {
        res.ok = false;
        res.error = "cannot truncate " + path + " at offset " + std::to_string(multi_pos) + ": " + errno_text(errno);
        return res;
      }
      res.truncated = true;
      res.warning = "AOF " + path + ": reverted an incomplete MULTI/EXEC transaction (" +
                    std::to_string(data.size() - multi_pos) + " bytes) cut at offset " + std::to_string(multi_pos) +
                    " because aof-load-truncated is yes";
    }
  }
  return res;
}

}  // namespace kvd::persist
