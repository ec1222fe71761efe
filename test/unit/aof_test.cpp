// persist/aof: record encoding, manifest, the group-commit writer and the loader (torn tails,
// corruption). Model: leveldb db/log_test.cc (every truncation offset, bad bytes).
#define BOOST_TEST_MODULE aof
#include <boost/test/unit_test.hpp>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "kvd/persist/aof.hpp"

namespace fs = std::filesystem;
using namespace kvd::persist;

namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/kvd-aof-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { fs::remove_all(path); }
  aof_paths paths() const { return {path, "appendonlydir", "appendonly.aof"}; }
};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::vector<std::string>> load_all(const aof_paths& p, bool truncated, load_result& res) {
  std::vector<std::vector<std::string>> cmds;
  res = load_aof(p, truncated, [&](std::span<const std::string_view> a) {
    cmds.emplace_back(a.begin(), a.end());
    return std::string();
  });
  return cmds;
}

void append(aof_writer& w, int db, std::vector<std::string_view> args) { w.append(db, args); }

}  // namespace

BOOST_AUTO_TEST_CASE(encode_is_resp_array_of_bulks) {
  std::string out;
  std::string_view args[] = {"SET", "k", std::string_view("a\r\nb", 4)};
  encode_command(out, args);
  BOOST_TEST(out == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
}

BOOST_AUTO_TEST_CASE(manifest_round_trip_and_errors) {
  temp_dir d;
  std::string path = d.path + "/m";
  std::string err;
  std::vector<manifest_entry> in = {{"appendonly.aof.1.base.aof", 1, 'b'}, {"appendonly.aof.2.incr.aof", 2, 'i'}};
  BOOST_REQUIRE(write_manifest(path, in, err));
  BOOST_TEST(slurp(path) == "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n");
  std::vector<manifest_entry> out;
  BOOST_REQUIRE(read_manifest(path, out, err));
  BOOST_REQUIRE(out.size() == 2u);
  BOOST_TEST(out[1].name == "appendonly.aof.2.incr.aof");
  BOOST_TEST(out[1].seq == 2);
  BOOST_TEST(out[1].type == 'i');
  std::ofstream(path) << "file x seq 1 type b\ngarbage line\n";
  out.clear();
  BOOST_TEST(!read_manifest(path, out, err));
  BOOST_TEST(err.find("line 2") != std::string::npos);
  BOOST_TEST(!fs::exists(path + ".tmp"));
}

BOOST_AUTO_TEST_CASE(writer_creates_layout_and_logs_select_on_db_change) {
  temp_dir d;
  {
    aof_writer w(d.paths(), fsync_policy::always);
    append(w, 0, {"SET", "a", "1"});
    append(w, 0, {"INCR", "a"});
    append(w, 3, {"SET", "b", "2"});
    auto seq = w.size();
    std::atomic<bool> fired{false};
    w.when_durable(seq, [&] { fired = true; });
    for (int i = 0; i < 500 && !fired; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    BOOST_TEST(fired.load());
    BOOST_TEST(w.durable() >= seq);
  }
  auto folder = d.paths().folder();
  BOOST_TEST(fs::exists(folder + "/appendonly.aof.1.base.aof"));
  BOOST_TEST(slurp(d.paths().manifest()) ==
             "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
  load_result res;
  auto cmds = load_all(d.paths(), true, res);
  BOOST_TEST(res.ok);
  std::vector<std::vector<std::string>> want = {
      {"SELECT", "0"}, {"SET", "a", "1"}, {"INCR", "a"}, {"SELECT", "3"}, {"SET", "b", "2"}};
  BOOST_TEST((cmds == want));
  // Reopening appends to the same incr file.
  {
    aof_writer w(d.paths(), fsync_policy::no);
    append(w, 3, {"DEL", "b"});
  }
  cmds = load_all(d.paths(), true, res);
  BOOST_TEST(cmds.size() == 7u);
  BOOST_TEST(cmds.back() == (std::vector<std::string>{"DEL", "b"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(group_commit_serves_concurrent_writers) {
  temp_dir d;
  std::atomic<int> acked{0};
  {
    aof_writer w(d.paths(), fsync_policy::always);
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; ++t)
      ts.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          std::string k = "k" + std::to_string(t) + ":" + std::to_string(i);
          std::string_view args[] = {"SET", k, "v"};
          auto seq = w.append(0, args);
          std::atomic<bool> done{false};
          w.when_durable(seq, [&] { done = true; });
          while (!done) std::this_thread::yield();
          ++acked;
        }
      });
    for (auto& t : ts) t.join();
  }
  BOOST_TEST(acked.load() == 800);
  load_result res;
  auto cmds = load_all(d.paths(), false, res);
  BOOST_TEST(res.ok);
  BOOST_TEST(cmds.size() == 801u);  // one SELECT, then every SET
}

BOOST_AUTO_TEST_CASE(torn_tail_at_every_offset_keeps_the_complete_prefix) {
  temp_dir d;
  {
    aof_writer w(d.paths(), fsync_policy::no);
    for (int i = 0; i < 10; ++i) append(w, 0, {"SET", "key" + std::to_string(i), "value" + std::to_string(i)});
  }
  std::string incr = d.paths().folder() + "/appendonly.aof.1.incr.aof";
  const std::string full = slurp(incr);
  // Offsets where each record ends (SELECT is the first record).
  std::vector<std::size_t> ends;
  {
    std::size_t pos = 0;
    std::string one;
    std::string_view sel[] = {"SELECT", "0"};
    encode_command(one, sel);
    pos += one.size();
    ends.push_back(pos);
    for (int i = 0; i < 10; ++i) {
      one.clear();
      std::string k = "key" + std::to_string(i), v = "value" + std::to_string(i);
      std::string_view a[] = {"SET", k, v};
      encode_command(one, a);
      pos += one.size();
      ends.push_back(pos);
    }
  }
  BOOST_REQUIRE(ends.back() == full.size());
  std::size_t first = ends[ends.size() - 4];  // start of the last 3 records
  for (std::size_t cut = first; cut < full.size(); ++cut) {
    std::ofstream(incr, std::ios::binary | std::ios::trunc).write(full.data(), static_cast<std::streamsize>(cut));
    std::size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= cut) ++complete;
    load_result strict;
    load_all(d.paths(), false, strict);
    if (cut == ends[complete - 1]) {
      BOOST_TEST(strict.ok, "cut at a record boundary " << cut);
    } else {
      BOOST_TEST(!strict.ok, "cut " << cut);
      BOOST_TEST(strict.error.find("offset " + std::to_string(ends[complete - 1])) != std::string::npos, strict.error);
    }
    load_result res;
    auto cmds = load_all(d.paths(), true, res);
    BOOST_TEST(res.ok, "cut " << cut);
    BOOST_TEST(cmds.size() == complete, "cut " << cut);
    BOOST_TEST(fs::file_size(incr) == ends[complete - 1], "file cut back to the prefix at " << cut);
  }
}

BOOST_AUTO_TEST_CASE(corrupt_record_mid_file_is_refused_with_offset) {
  temp_dir d;
  {
    aof_writer w(d.paths(), fsync_policy::no);
    for (int i = 0; i < 5; ++i) append(w, 0, {"SET", "k" + std::to_string(i), "v"});
  }
  std::string incr = d.paths().folder() + "/appendonly.aof.1.incr.aof";
  std::string data = slurp(incr);
  auto at = data.find("*3", data.size() / 2);
  BOOST_REQUIRE(at != std::string::npos);
  data[at + 5] = '#';  // "$3" of the record's first argument becomes "#3"
  std::ofstream(incr, std::ios::binary | std::ios::trunc) << data;
  load_result res;
  load_all(d.paths(), true, res);
  BOOST_TEST(!res.ok);
  BOOST_TEST(res.error.find(incr) != std::string::npos, res.error);
  BOOST_TEST(res.error.find("offset " + std::to_string(at)) != std::string::npos, res.error);
  BOOST_TEST(res.error.find("redis-check-aof --fix") != std::string::npos, res.error);
}

BOOST_AUTO_TEST_CASE(missing_manifest_loads_nothing_and_missing_file_is_an_error) {
  temp_dir d;
  load_result res;
  BOOST_TEST(load_all(d.paths(), true, res).empty());
  BOOST_TEST(res.ok);
  { aof_writer w(d.paths(), fsync_policy::no); }
  fs::remove(d.paths().folder() + "/appendonly.aof.1.incr.aof");
  load_all(d.paths(), true, res);
  BOOST_TEST(!res.ok);
  BOOST_TEST(res.error.find("appendonly.aof.1.incr.aof") != std::string::npos, res.error);
}

// ---- Rewrite: manifest swap logic, rotation, installing a new base (issue 4) ----

BOOST_AUTO_TEST_CASE(manifest_after_rewrite_keeps_new_incr_files_only) {
  std::vector<manifest_entry> cur = {{"appendonly.aof.3.base.rdb", 3, 'b'},
                                     {"appendonly.aof.2.base.aof", 2, 'h'},
                                     {"appendonly.aof.5.incr.aof", 5, 'i'},
                                     {"appendonly.aof.6.incr.aof", 6, 'i'},
                                     {"appendonly.aof.7.incr.aof", 7, 'i'}};
  BOOST_TEST(manifest_base_seq(cur) == 3);
  BOOST_TEST(manifest_last_incr_seq(cur) == 7);
  std::vector<std::string> removed;
  manifest_entry base{base_file_name("appendonly.aof", 4, true), 4, 'b'};
  BOOST_TEST(base.name == "appendonly.aof.4.base.rdb");
  auto next = manifest_after_rewrite(cur, base, 7, removed);
  BOOST_REQUIRE(next.size() == 2u);
  BOOST_TEST(next[0].name == "appendonly.aof.4.base.rdb");
  BOOST_TEST(next[0].type == 'b');
  BOOST_TEST(next[1].name == "appendonly.aof.7.incr.aof");
  std::vector<std::string> want_removed = {"appendonly.aof.3.base.rdb", "appendonly.aof.2.base.aof",
                                           "appendonly.aof.5.incr.aof", "appendonly.aof.6.incr.aof"};
  BOOST_TEST(removed == want_removed, boost::test_tools::per_element());
  // Two incr files opened since the fork (none here, but the rule is seq >=): both kept.
  removed.clear();
  next = manifest_after_rewrite(cur, base, 6, removed);
  BOOST_TEST(next.size() == 3u);
  // appendonly no: nothing kept but the base.
  removed.clear();
  next = manifest_after_rewrite(cur, base, INT64_MAX, removed);
  BOOST_TEST(next.size() == 1u);
  BOOST_TEST(removed.size() == 5u);
  // An empty manifest (first rewrite ever).
  removed.clear();
  next = manifest_after_rewrite({}, {base_file_name("appendonly.aof", 1, false), 1, 'b'}, INT64_MAX, removed);
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(next[0].name == "appendonly.aof.1.base.aof");
  BOOST_TEST(removed.empty());
}

BOOST_AUTO_TEST_CASE(swap_manifest_without_writer_replaces_files) {
  temp_dir d;
  { aof_writer w(d.paths(), fsync_policy::no); }  // base 1 + incr 1
  auto folder = d.paths().folder();
  std::ofstream(folder + "/appendonly.aof.2.base.rdb") << "REDIS0010";
  std::string err;
  BOOST_REQUIRE(swap_manifest(d.paths(), {"appendonly.aof.2.base.rdb", 2, 'b'}, INT64_MAX, err));
  BOOST_TEST(slurp(d.paths().manifest()) == "file appendonly.aof.2.base.rdb seq 2 type b\n");
  BOOST_TEST(!fs::exists(folder + "/appendonly.aof.1.base.aof"));
  BOOST_TEST(!fs::exists(folder + "/appendonly.aof.1.incr.aof"));
  BOOST_TEST(!fs::exists(d.paths().manifest() + ".tmp"));
  // A manifest that cannot be written leaves everything as it was.
  fs::create_directory(d.paths().manifest() + ".tmp");
  BOOST_TEST(!swap_manifest(d.paths(), {"appendonly.aof.3.base.rdb", 3, 'b'}, INT64_MAX, err));
  BOOST_TEST(slurp(d.paths().manifest()) == "file appendonly.aof.2.base.rdb seq 2 type b\n");
  BOOST_TEST(fs::exists(folder + "/appendonly.aof.2.base.rdb"));
}

BOOST_AUTO_TEST_CASE(rotate_splits_records_and_finish_installs_the_base) {
  temp_dir d;
  auto folder = d.paths().folder();
  {
    aof_writer w(d.paths(), fsync_policy::always);
    append(w, 2, {"SET", "old", "1"});
    std::string err;
    auto iseq = w.rotate(err);
    BOOST_REQUIRE_MESSAGE(iseq == 2, err);
    BOOST_TEST(slurp(d.paths().manifest()) ==
               "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
               "file appendonly.aof.2.incr.aof seq 2 type i\n");
    // The old record is in the old file (fsynced), the new one in the new file, with SELECT.
    BOOST_TEST(slurp(folder + "/appendonly.aof.1.incr.aof") == "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$1\r\n1\r\n");
    append(w, 2, {"SET", "new", "2"});
    auto seq = w.append(2, std::vector<std::string_view>{"INCR", "n"});
    std::atomic<bool> fired{false};
    w.when_durable(seq, [&] { fired = true; });
    for (int i = 0; i < 500 && !fired; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    BOOST_TEST(fired.load());
    BOOST_TEST(slurp(folder + "/appendonly.aof.2.incr.aof").starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$3\r\nnew"));
    // The "child" wrote a base holding the old state.
    std::string base = "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$1\r\n1\r\n";
    std::ofstream(folder + "/appendonly.aof.2.base.aof", std::ios::binary) << base;
    BOOST_REQUIRE_MESSAGE(w.finish_rewrite({"appendonly.aof.2.base.aof", 2, 'b'}, base.size(), iseq, err), err);
    BOOST_TEST(slurp(d.paths().manifest()) ==
               "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n");
    BOOST_TEST(!fs::exists(folder + "/appendonly.aof.1.base.aof"));
    BOOST_TEST(!fs::exists(folder + "/appendonly.aof.1.incr.aof"));
    BOOST_TEST(w.current_size() == base.size() + fs::file_size(folder + "/appendonly.aof.2.incr.aof"));
    append(w, 2, {"SET", "later", "3"});
  }
  load_result res;
  auto cmds = load_all(d.paths(), true, res);
  BOOST_TEST(res.ok);
  std::vector<std::vector<std::string>> want = {{"SELECT", "2"}, {"SET", "old", "1"}, {"SELECT", "2"},
                                                {"SET", "new", "2"}, {"INCR", "n"}, {"SET", "later", "3"}};
  BOOST_TEST((cmds == want));
  // Reopening appends to the kept incr file.
  {
    aof_writer w(d.paths(), fsync_policy::no);
    BOOST_TEST(w.incr_path() == folder + "/appendonly.aof.2.incr.aof");
  }
}

BOOST_AUTO_TEST_CASE(rotate_under_concurrent_appends_loses_and_duplicates_nothing) {
  temp_dir d;
  std::atomic<bool> stop{false};
  std::atomic<int> n{0};
  {
    aof_writer w(d.paths(), fsync_policy::everysec);
    std::thread t([&] {
      while (!stop) {
        std::string k = std::to_string(n.load());
        std::string_view args[] = {"SET", k, "v"};
        w.append(0, args);
        if (n % 7 == 0) w.flush();
        ++n;
      }
    });
    std::string err;
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      BOOST_TEST(w.rotate(err) == i + 2, err);
    }
    stop = true;
    t.join();
  }
  load_result res;
  auto cmds = load_all(d.paths(), true, res);
  BOOST_TEST(res.ok);
  int next = 0;
  bool in_order = true;
  for (auto& c : cmds) {
    if (c[0] == "SELECT") continue;
    if (c[1] != std::to_string(next)) in_order = false;
    ++next;
  }
  BOOST_TEST(in_order);
  BOOST_TEST(next == n.load());
}

BOOST_AUTO_TEST_CASE(prepared_rotate_lists_the_new_file_first_and_syncs_the_old_one_in_the_thread) {
  temp_dir d;
  auto folder = d.paths().folder();
  {
    aof_writer w(d.paths(), fsync_policy::always);
    append(w, 0, {"SET", "a", "1"});
    std::string err;
    BOOST_REQUIRE_MESSAGE(w.prepare_rotate(err), err);
    BOOST_TEST(w.prepare_rotate(err));  // idempotent: one prepared file
    // Listed before the switch, empty; records still go to the current file.
    BOOST_TEST(slurp(d.paths().manifest()) ==
               "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
               "file appendonly.aof.2.incr.aof seq 2 type i\n");
    BOOST_TEST(fs::file_size(folder + "/appendonly.aof.2.incr.aof") == 0u);
    append(w, 0, {"SET", "b", "2"});
    // Queued, not yet durable: the switch writes it to the old file; the fsync thread syncs it.
    auto seq = w.append(0, std::vector<std::string_view>{"SET", "c", "3"});
    std::atomic<bool> fired{false};
    w.when_durable(seq, [&] { fired = true; });
    BOOST_TEST(w.rotate(err) == 2, err);
    append(w, 0, {"SET", "d", "4"});
    for (int i = 0; i < 500 && !fired; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    BOOST_TEST(fired.load());
    BOOST_TEST(slurp(folder + "/appendonly.aof.1.incr.aof").ends_with("$1\r\nc\r\n$1\r\n3\r\n"));
    BOOST_TEST(slurp(folder + "/appendonly.aof.2.incr.aof").starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nd"));
    // A prepared file left unused (the rewrite did not start) is harmless: it loads as nothing.
    BOOST_REQUIRE_MESSAGE(w.prepare_rotate(err), err);
  }
  load_result res;
  auto cmds = load_all(d.paths(), true, res);
  BOOST_TEST(res.ok, res.error);
  std::vector<std::vector<std::string>> want = {{"SELECT", "0"}, {"SET", "a", "1"}, {"SET", "b", "2"},
                                                {"SET", "c", "3"}, {"SELECT", "0"}, {"SET", "d", "4"}};
  BOOST_TEST((cmds == want));
  // Reopening appends to the last listed (prepared, empty) incr file.
  aof_writer w(d.paths(), fsync_policy::no);
  BOOST_TEST(w.incr_path() == folder + "/appendonly.aof.3.incr.aof");
}

BOOST_AUTO_TEST_CASE(prepared_rotate_under_concurrent_appends_loses_and_duplicates_nothing) {
  temp_dir d;
  std::atomic<bool> stop{false};
  std::atomic<int> n{0};
  {
    aof_writer w(d.paths(), fsync_policy::always);
    std::thread t([&] {
      while (!stop) {
        std::string k = std::to_string(n.load());
        std::string_view args[] = {"SET", k, "v"};
        w.append(0, args);
        ++n;
      }
    });
    std::string err;
    for (int i = 0; i < 5; ++i) {
      BOOST_TEST(w.prepare_rotate(err), err);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      BOOST_TEST(w.rotate(err) == i + 2, err);
    }
    stop = true;
    t.join();
  }
  load_result res;
  auto cmds = load_all(d.paths(), true, res);
  BOOST_TEST(res.ok);
  int next = 0;
  bool in_order = true;
  for (auto& c : cmds) {
    if (c[0] == "SELECT") continue;
    if (c[1] != std::to_string(next)) in_order = false;
    ++next;
  }
  BOOST_TEST(in_order);
  BOOST_TEST(next == n.load());
}

BOOST_AUTO_TEST_CASE(wait_rewrite_writer_renames_its_temp_file_on_finish) {
  temp_dir d;
  auto folder = d.paths().folder();
  {
    aof_writer w(d.paths(), fsync_policy::always, aof_writer::wait_rewrite_t{});
    BOOST_TEST(w.waiting_rewrite());
    BOOST_TEST(!fs::exists(d.paths().manifest()));
    append(w, 0, {"SET", "dropped", "1"});  // in the snapshot of the (first, failed) rewrite
    std::string err;
    BOOST_TEST(w.rotate(err) == 0, err);  // a retry starts the temp file over
    append(w, 0, {"SET", "kept", "1"});
    w.flush();
    BOOST_TEST(slurp(folder + "/" + temp_incr_file_name("appendonly.aof")).find("dropped") == std::string::npos);
    std::string base = "REDIS";
    std::ofstream(folder + "/appendonly.aof.1.base.rdb") << base;
    BOOST_REQUIRE_MESSAGE(w.finish_rewrite({"appendonly.aof.1.base.rdb", 1, 'b'}, base.size(), 0, err), err);
    BOOST_TEST(!w.waiting_rewrite());
    BOOST_TEST(slurp(d.paths().manifest()) ==
               "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
    BOOST_TEST(!fs::exists(folder + "/" + temp_incr_file_name("appendonly.aof")));
    append(w, 0, {"SET", "after", "1"});
  }
  std::string incr = slurp(folder + "/appendonly.aof.1.incr.aof");
  BOOST_TEST(incr.find("kept") != std::string::npos);
  BOOST_TEST(incr.find("after") != std::string::npos);
  // The loader hands the RDB base to its callback, then replays the incr file.
  std::vector<std::string> seen;
  auto res = load_aof(
      d.paths(), true,
      [&](std::span<const std::string_view> a) {
        seen.emplace_back(a.size() > 1 ? a[1] : a[0]);
        return std::string();
      },
      [&](std::string_view data, const std::string& path, std::size_t& consumed) {
        seen.push_back("rdb:" + std::string(data));
        consumed = data.size();
        return std::string();
      });
  BOOST_TEST(res.ok, res.error);
  std::vector<std::string> want = {"rdb:REDIS", "0", "kept", "after"};
  BOOST_TEST(seen == want, boost::test_tools::per_element());
  // Without an RDB loader the base is an error naming it.
  load_result res2;
  load_all(d.paths(), true, res2);
  BOOST_TEST(!res2.ok);
  BOOST_TEST(res2.error.find("appendonly.aof.1.base.rdb") != std::string::npos, res2.error);
}

BOOST_AUTO_TEST_CASE(rdb_preamble_followed_by_records_is_replayed) {
  temp_dir d;
  auto folder = d.paths().folder();
  fs::create_directories(folder);
  std::string base = "REDIS0010<rdb>*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n";
  std::ofstream(folder + "/appendonly.aof.1.base.aof", std::ios::binary) << base;
  std::string err;
  BOOST_REQUIRE(write_manifest(d.paths().manifest(), {{"appendonly.aof.1.base.aof", 1, 'b'}}, err));
  std::vector<std::string> seen;
  auto res = load_aof(
      d.paths(), true,
      [&](std::span<const std::string_view> a) {
        seen.emplace_back(a[0]);
        return std::string();
      },
      [&](std::string_view data, const std::string&, std::size_t& consumed) {
        consumed = data.find('*');
        seen.emplace_back(data.substr(0, consumed));
        return std::string();
      });
  BOOST_TEST(res.ok, res.error);
  std::vector<std::string> want = {"REDIS0010<rdb>", "DEL"};
  BOOST_TEST(seen == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(stop_drops_later_appends_and_releases_waiters) {
  temp_dir d;
  aof_writer w(d.paths(), fsync_policy::always);
  append(w, 0, {"SET", "a", "1"});
  w.stop();
  auto seq = w.append(0, std::vector<std::string_view>{"SET", "b", "2"});
  bool fired = false;
  w.when_durable(seq, [&] { fired = true; });
  BOOST_TEST(fired);
  w.stop();  // idempotent
  load_result res;
  auto cmds = load_all(d.paths(), true, res);
  BOOST_TEST(cmds.size() == 2u);  // SELECT, SET a
}
