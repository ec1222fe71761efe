// persist/aof_check (kvd-check-aof's engine): record counts, the first problem and its offset
// at every truncation point and for bad bytes, and the manifest walk.
#define BOOST_TEST_MODULE aof_check
#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "kvd/persist/aof.hpp"
#include "kvd/persist/aof_check.hpp"

namespace fs = std::filesystem;
using namespace kvd::persist;

namespace {

std::string records() {
  std::string s;
  std::string_view a[] = {"SELECT", "0"};
  std::string_view b[] = {"SET", "k", "v\r\n\"x"};
  std::string_view c[] = {"DEL", "k"};
  encode_command(s, a);
  encode_command(s, b);
  encode_command(s, c);
  return s;
}

bool known(std::string_view n) { return n == "SELECT" || n == "SET" || n == "DEL"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(aof_check)

BOOST_AUTO_TEST_CASE(valid_data_counts_records) {
  auto s = records();
  auto r = check_aof_data(s, known);
  BOOST_TEST(r.ok);
  BOOST_TEST(r.records == 3u);
  BOOST_TEST(r.valid_upto == s.size());
  BOOST_TEST(check_aof_data("", known).ok);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_a_torn_tail_at_the_last_record_start) {
  auto s = records();
  std::string first;
  std::string_view a[] = {"SELECT", "0"};
  encode_command(first, a);
  std::string two = first;
  std::string_view b[] = {"SET", "k", "v\r\n\"x"};
  encode_command(two, b);
  for (std::size_t cut = 1; cut < s.size(); ++cut) {
    auto r = check_aof_data(std::string_view(s).substr(0, cut), known);
    std::size_t expect = cut >= two.size() ? two.size() : cut >= first.size() ? first.size() : 0;
    if (cut == first.size() || cut == two.size()) {
      BOOST_TEST(r.ok, "cut " << cut);
      continue;
    }
    BOOST_TEST(!r.ok, "cut " << cut);
    BOOST_TEST(r.torn_tail, "cut " << cut);
    BOOST_TEST(r.valid_upto == expect, "cut " << cut);
  }
}

BOOST_AUTO_TEST_CASE(bad_bytes_and_unknown_commands) {
  auto s = records();
  std::string first;
  std::string_view a[] = {"SELECT", "0"};
  encode_command(first, a);
  auto bad = s;
  bad[first.size() + 4] = '#';  // the SET record's first "$3" header
  auto r = check_aof_data(bad, known);
  BOOST_TEST(!r.ok);
  BOOST_TEST(!r.torn_tail);
  BOOST_TEST(r.records == 1u);
  BOOST_TEST(r.valid_upto == first.size());
  BOOST_TEST(r.problem.find("Protocol error") != std::string::npos, r.problem);

  auto inl = first + "SET k v\r\n";
  r = check_aof_data(inl, known);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.valid_upto == first.size());

  r = check_aof_data(s, [](std::string_view n) { return n != "DEL"; });
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.records == 2u);
  BOOST_TEST(r.problem == "unknown command 'DEL'");
}

BOOST_AUTO_TEST_CASE(manifest_walk_marks_the_last_file) {
  char tmpl[] = "/tmp/kvd-aof-check-XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  {
    std::ofstream(dir / "a.aof.1.base.aof") << records();
    std::ofstream(dir / "a.aof.1.incr.aof") << records();
    std::ofstream(dir / "a.aof.2.incr.aof") << records().substr(0, 10);
    std::string err;
    BOOST_REQUIRE(write_manifest((dir / "a.aof.manifest").string(),
                                 {{"a.aof.1.base.aof", 1, 'b'}, {"a.aof.1.incr.aof", 1, 'i'}, {"a.aof.2.incr.aof", 2, 'i'}},
                                 err));
  }
  for (auto target : {dir.string(), (dir / "a.aof.manifest").string()}) {
    auto rep = check_aof(target, known);
    BOOST_TEST(!rep.ok);
    BOOST_TEST(rep.error.empty(), rep.error);
    BOOST_REQUIRE(rep.files.size() == 3u);
    BOOST_TEST(rep.files[0].ok);
    BOOST_TEST(rep.files[1].ok);
    BOOST_TEST(!rep.files[2].ok);
    BOOST_TEST(rep.files[2].last);
    BOOST_TEST(rep.files[2].torn_tail);
  }
  auto missing = check_aof((dir / "nope.manifest").string(), known);
  BOOST_TEST(!missing.ok);
  BOOST_TEST(!missing.error.empty());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
