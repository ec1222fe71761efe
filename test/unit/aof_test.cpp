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
