#define BOOST_TEST_MODULE keyspace_store
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include "kvd/store/keyspace.hpp"
#include "kvd/util/clock.hpp"

using namespace kvd;

namespace {
struct clock_fixture {
  clock_fixture() { util::set_clock_for_test(1'700'000'000'000); }
  ~clock_fixture() { util::clear_clock_for_test(); }
};
}  // namespace

BOOST_FIXTURE_TEST_CASE(lazy_expiry_hides_and_reclaims, clock_fixture) {
  store::keyspace ks(2);
  std::vector<std::string> expired;
  ks.set_expired_hook([&](int db, std::string_view k) { expired.emplace_back(k); });
  auto& db = ks.db(0);
  db.set("a", store::value::make_string("1"));
  db.set_expire("a", util::now_ms() + 1000);
  BOOST_TEST(db.find("a") != nullptr);
  util::advance_clock_for_test(1000);
  BOOST_TEST(db.find("a") == nullptr);
  BOOST_TEST(expired == std::vector<std::string>{"a"}, boost::test_tools::per_element());
  BOOST_TEST(db.size() == 0u);
  BOOST_TEST(ks.stats().expired_keys.load() == 1u);
}

BOOST_FIXTURE_TEST_CASE(active_expire_removes_unread_keys, clock_fixture) {
  store::keyspace ks(1);
  auto& db = ks.db(0);
  for (int i = 0; i < 2000; ++i) {
    auto k = "k" + std::to_string(i);
    db.set(k, store::value::make_string("v"));
    if (i % 2 == 0) db.set_expire(k, util::now_ms() + 10);
  }
  util::advance_clock_for_test(20);
  for (int round = 0; round < 100 && db.size() > 1000; ++round) ks.active_expire_cycle(1'000'000);
  BOOST_TEST(db.size() == 1000u);
  BOOST_TEST(db.expires_size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(set_clears_ttl_unless_keep_ttl, clock_fixture) {
  store::keyspace ks(1);
  auto& db = ks.db(0);
  db.set("k", store::value::make_string("1"));
  db.set_expire("k", util::now_ms() + 5000);
  db.set("k", store::value::make_string("2"), true);
  BOOST_TEST(db.expire_of("k") == util::now_ms() + 5000);
  db.set("k", store::value::make_string("3"));
  BOOST_TEST(db.expire_of("k") == -1);
  BOOST_TEST(db.find("k")->str() == "3");
}

BOOST_FIXTURE_TEST_CASE(rename_moves_value_and_expire, clock_fixture) {
  store::keyspace ks(1);
  auto& db = ks.db(0);
  db.set("a", store::value::make_string(std::string(100, 'x')));
  db.set_expire("a", util::now_ms() + 5000);
  db.rename("a", "b");
  BOOST_TEST(db.find("a") == nullptr);
  BOOST_TEST(db.find("b")->str().size() == 100u);
  BOOST_TEST(db.expire_of("b") == util::now_ms() + 5000);
}

BOOST_AUTO_TEST_CASE(scan_sees_every_key_across_growth) {
  store::keyspace ks(1);
  auto& db = ks.db(0);
  for (int i = 0; i < 500; ++i) db.set("k" + std::to_string(i), store::value::make_string("v"));
  std::set<std::string> seen;
  std::uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = db.scan(cursor, [&](std::string_view k, const store::value&) { seen.emplace(k); });
    // Grow the table mid-scan: keys present throughout must still be returned.
    if (++steps == 10)
      for (int i = 500; i < 3000; ++i) db.set("k" + std::to_string(i), store::value::make_string("v"));
  } while (cursor != 0 && steps < 100000);
  for (int i = 0; i < 500; ++i) BOOST_TEST(seen.count("k" + std::to_string(i)) == 1u);
}

BOOST_AUTO_TEST_CASE(value_encodings) {
  BOOST_TEST(store::value::make_string("12345").encoding() == "int");
  BOOST_TEST(store::value::make_string("hello").encoding() == "embstr");
  BOOST_TEST(store::value::make_string(std::string(45, 'a')).encoding() == "raw");
  auto v = store::value::make_string("ab");
  v.mutable_str().append("c");
  BOOST_TEST(v.encoding() == "raw");
  BOOST_TEST(sizeof(store::value) == 32u);
}
