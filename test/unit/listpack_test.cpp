#define BOOST_TEST_MODULE listpack
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kvd/store/listpack.hpp"

using kvd::store::listpack;
using bytes_t = std::vector<unsigned char>;

namespace {

bytes_t all_bytes(const listpack& lp) { return bytes_t(lp.data(), lp.data() + lp.bytes()); }

/// The bytes of the single entry a listpack holding only `s` has (between header and end).
bytes_t entry_bytes(std::string_view s) {
  listpack lp;
  lp.push_back(s);
  BOOST_TEST_REQUIRE(lp.bytes() == 7 + listpack::entry_size(s));
  return bytes_t(lp.data() + 6, lp.data() + lp.bytes() - 1);
}

bytes_t hex(std::string_view h) {
  bytes_t out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<unsigned char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string text(const listpack& lp, listpack::pos p) {
  listpack::int_buf b;
  return std::string(lp.get(p, b));
}

std::vector<std::string> forward(const listpack& lp) {
  std::vector<std::string> out;
  for (auto p = lp.first(); p != listpack::npos; p = lp.next(p)) out.push_back(text(lp, p));
  return out;
}

std::vector<std::string> backward(const listpack& lp) {
  std::vector<std::string> out;
  for (auto p = lp.last(); p != listpack::npos; p = lp.prev(p)) out.insert(out.begin(), text(lp, p));
  return out;
}

listpack make(const std::vector<std::string>& v) {
  listpack lp;
  for (auto& s : v) lp.push_back(s);
  return lp;
}

void check_consistent(const listpack& lp, const std::vector<std::string>& want) {
  BOOST_TEST(lp.size() == want.size());
  BOOST_TEST(forward(lp) == want, boost::test_tools::per_element());
  BOOST_TEST(backward(lp) == want, boost::test_tools::per_element());
  BOOST_TEST(listpack::validate(lp.data(), lp.bytes()));
  std::size_t sum = 7;
  for (auto& s : want) sum += listpack::entry_size(s);
  BOOST_TEST(lp.bytes() == sum);
}

}  // namespace

BOOST_AUTO_TEST_CASE(empty_is_seven_bytes) {
  listpack lp;
  BOOST_TEST(lp.bytes() == 7u);
  BOOST_TEST(lp.size() == 0u);
  BOOST_TEST(lp.empty());
  BOOST_TEST(all_bytes(lp) == hex("07000000" "0000" "ff"), boost::test_tools::per_element());
  BOOST_TEST(lp.first() == listpack::npos);
  BOOST_TEST(lp.last() == listpack::npos);
  BOOST_TEST(lp.seek(0) == listpack::npos);
  BOOST_TEST(lp.seek(-1) == listpack::npos);
  BOOST_TEST(lp.find(lp.first(), "x") == listpack::npos);
  BOOST_TEST(listpack::validate(lp.data(), lp.bytes()));
}

BOOST_AUTO_TEST_CASE(hand_computed_sizes) {
  listpack lp;
  lp.push_back("hello");  // 0x85 'hello' backlen 6
  BOOST_TEST(lp.bytes() == 14u);
  lp.push_back("1");  // 0x01 backlen 1
  BOOST_TEST(lp.bytes() == 16u);
  BOOST_TEST(all_bytes(lp) == hex("10000000" "0200" "8568656c6c6f06" "0101" "ff"),
             boost::test_tools::per_element());
  BOOST_TEST(!lp.empty());
}

BOOST_AUTO_TEST_CASE(matches_redis_dump_bytes) {
  // redis-server 7.0.15: RPUSH l2 a 1 hello 300 -1 -4097 2147483648 007; DUMP l2 holds
  // this listpack (quicklist node, rdbcompression no).
  auto lp = make({"a", "1", "hello", "300", "-1", "-4097", "2147483648", "007"});
  BOOST_TEST(all_bytes(lp) ==
                 hex("2c000000080081610201018568656c6c6f06c12c02dfff02f1ffef03f400000080000000"
                     "00098330303704ff"),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(integer_encoding_boundaries) {
  auto eq = [](std::string_view s, std::string_view h) {
    BOOST_TEST_CONTEXT(s) { BOOST_TEST(entry_bytes(s) == hex(h), boost::test_tools::per_element()); }
  };
  eq("0", "0001");
  eq("127", "7f01");
  eq("128", "c08002");
  eq("-1", "dfff02");
  eq("-4096", "d00002");
  eq("4095", "cfff02");
  eq("4096", "f1001003");
  eq("-4097", "f1ffef03");
  eq("32767", "f1ff7f03");
  eq("-32768", "f1008003");
  eq("32768", "f200800004");
  eq("-32769", "f2ff7fff04");
  eq("8388607", "f2ffff7f04");
  eq("8388608", "f30000800005");
  eq("-8388608", "f200008004");
  eq("-8388609", "f3ffff7fff05");
  eq("2147483647", "f3ffffff7f05");
  eq("-2147483648", "f30000008005");
  eq("2147483648", "f4000000800000000009");
  eq("-2147483649", "f4ffffff7fffffffff09");
  eq("9223372036854775807", "f4ffffffffffffff7f09");
  eq("-9223372036854775808", "f4000000000000008009");
  // Out of int64 range: a 19/20-char string.
  eq("9223372036854775808", "93" "39323233333732303336383534373735383038" "14");

  for (std::int64_t v : {std::int64_t(0), std::int64_t(127), std::int64_t(128), std::int64_t(-4096),
                         std::int64_t(4095), std::int64_t(4096), std::int64_t(32767), std::int64_t(32768),
                         std::int64_t(1) << 23, std::int64_t(1) << 31, -(std::int64_t(1) << 31) - 1,
                         INT64_MIN, INT64_MAX}) {
    listpack lp;
    auto s = std::to_string(v);
    lp.push_back(s);
    std::int64_t got = 0;
    BOOST_TEST(lp.get_int(lp.first(), got));
    BOOST_TEST(got == v);
    BOOST_TEST(text(lp, lp.first()) == s);
    BOOST_TEST(lp.equals(lp.first(), s));
  }
}

BOOST_AUTO_TEST_CASE(non_canonical_integers_are_strings) {
  for (std::string s : {"007", "-0", " 1", "+1", "1 ", "01", "-", "1.0", "0x10", "-01",
                        "99999999999999999999", "-9223372036854775809", "", "1a"}) {
    BOOST_TEST_CONTEXT(s) {
      listpack lp;
      lp.push_back(s);
      std::int64_t v;
      BOOST_TEST(!lp.get_int(lp.first(), v));
      BOOST_TEST(text(lp, lp.first()) == s);
      BOOST_TEST(lp.data()[6] == (0x80 | s.size()));  // 6-bit string encoding
      BOOST_TEST(lp.equals(lp.first(), s));
    }
  }
  // An integer entry never equals a non-canonical spelling of its value.
  auto lp = make({"7", "0", "1"});
  BOOST_TEST(!lp.equals(lp.seek(0), "007"));
  BOOST_TEST(!lp.equals(lp.seek(1), "-0"));
  BOOST_TEST(!lp.equals(lp.seek(2), "+1"));
  BOOST_TEST(lp.find(lp.first(), "007") == listpack::npos);
  BOOST_TEST(lp.find(lp.first(), "1") == lp.seek(2));
}

BOOST_AUTO_TEST_CASE(string_encoding_boundaries) {
  struct row {
    std::size_t len;
    std::string hdr;      // encoding bytes
    std::string backlen;  // backlen bytes
  };
  for (const row& r : std::vector<row>{
           {0, "80", "01"},
           {63, "bf", "40"},
           {64, "e040", "42"},
           {125, "e07d", "7f"},
           {126, "e07e", "0180"},  // encoded 128 bytes: 2-byte backlen
           {4095, "efff", "2081"},
           {4096, "f000100000", "2085"},
           {16377, "f0f93f0000", "7ffe"},     // encoded 16382
           {16378, "f0fa3f0000", "00ffff"},  // encoded 16383: 3 bytes (Redis's `<` bound)
           {70000, "f070110100", "04a2f5"},
       }) {
    BOOST_TEST_CONTEXT(r.len) {
      std::string s(r.len, 'q');
      auto e = entry_bytes(s);
      auto h = hex(r.hdr);
      auto b = hex(r.backlen);
      BOOST_TEST_REQUIRE(e.size() == h.size() + r.len + b.size());
      BOOST_TEST(bytes_t(e.begin(), e.begin() + h.size()) == h, boost::test_tools::per_element());
      BOOST_TEST(bytes_t(e.end() - b.size(), e.end()) == b, boost::test_tools::per_element());
      listpack lp;
      lp.push_back("x");
      lp.push_back(s);
      lp.push_back("y");
      check_consistent(lp, {"x", s, "y"});
      BOOST_TEST(lp.equals(lp.seek(1), s));
      BOOST_TEST(lp.find(lp.first(), s) == lp.seek(1));
    }
  }
}

BOOST_AUTO_TEST_CASE(push_insert_replace_erase) {
  listpack lp;
  lp.push_back("b");
  lp.push_front("a");
  lp.push_back("300");
  check_consistent(lp, {"a", "b", "300"});

  auto p = lp.insert_before(lp.seek(1), "mid");
  BOOST_TEST(p == lp.seek(1));
  check_consistent(lp, {"a", "mid", "b", "300"});
  p = lp.insert_before(listpack::npos, "end");
  BOOST_TEST(p == lp.last());
  check_consistent(lp, {"a", "mid", "b", "300", "end"});

  p = lp.replace(lp.seek(1), std::string(5000, 'L'));  // grows
  BOOST_TEST(p == lp.seek(1));
  check_consistent(lp, {"a", std::string(5000, 'L'), "b", "300", "end"});
  p = lp.replace(lp.seek(1), "-12345");  // shrinks, becomes an integer
  check_consistent(lp, {"a", "-12345", "b", "300", "end"});
  std::int64_t v = 0;
  BOOST_TEST(lp.get_int(p, v));
  BOOST_TEST(v == -12345);
  lp.replace(lp.seek(-1), "END");
  check_consistent(lp, {"a", "-12345", "b", "300", "END"});

  p = lp.erase(lp.seek(1));
  BOOST_TEST(text(lp, p) == "b");
  check_consistent(lp, {"a", "b", "300", "END"});
  p = lp.erase(lp.last());
  BOOST_TEST(p == listpack::npos);
  check_consistent(lp, {"a", "b", "300"});
  BOOST_TEST(lp.erase(listpack::npos) == listpack::npos);

  lp = make({"0", "1", "2", "3", "4", "5", "6"});
  p = lp.erase_range(lp.seek(2), 3);
  BOOST_TEST(text(lp, p) == "5");
  check_consistent(lp, {"0", "1", "5", "6"});
  p = lp.erase_range(lp.seek(2), 100);  // past the end: stops at the end
  BOOST_TEST(p == listpack::npos);
  check_consistent(lp, {"0", "1"});
  p = lp.erase_range(lp.first(), 0);
  BOOST_TEST(p == lp.first());
  check_consistent(lp, {"0", "1"});
  lp.erase_range(lp.first(), 2);
  check_consistent(lp, {});
  BOOST_TEST(lp.bytes() == 7u);

  lp = make({"x", "y"});
  lp.clear();
  check_consistent(lp, {});
  lp.push_back("z");
  check_consistent(lp, {"z"});
}

BOOST_AUTO_TEST_CASE(values_aliasing_the_listpack_are_safe) {
  auto lp = make({std::string(100, 'a'), "b"});
  listpack::int_buf b;
  for (int i = 0; i < 20; ++i) lp.push_front(lp.get(lp.last(), b));  // realloc moves the block
  lp.push_back(lp.get(lp.first(), b));
  lp.replace(lp.first(), lp.get(lp.seek(20), b));
  lp.insert_before(lp.seek(1), lp.get(lp.seek(20), b));
  // [b x20, A, b] -> push_back b -> first replaced by A -> A inserted at 1.
  const std::string a(100, 'a');
  std::vector<std::string> want{a, a};
  for (int i = 0; i < 19; ++i) want.push_back("b");
  want.insert(want.end(), {a, "b", "b"});
  check_consistent(lp, want);
}

BOOST_AUTO_TEST_CASE(seek_both_signs_and_walks) {
  std::vector<std::string> v;
  for (int i = 0; i < 41; ++i) v.push_back(i % 3 ? std::to_string(i * 1000003) : std::string(i * 7, 's'));
  auto lp = make(v);
  check_consistent(lp, v);
  const auto n = static_cast<std::int64_t>(v.size());
  for (std::int64_t i = 0; i < n; ++i) {
    BOOST_TEST(text(lp, lp.seek(i)) == v[i]);
    BOOST_TEST(lp.seek(i - n) == lp.seek(i));
  }
  BOOST_TEST(lp.seek(n) == listpack::npos);
  BOOST_TEST(lp.seek(-n - 1) == listpack::npos);
  BOOST_TEST(lp.seek(INT64_MAX) == listpack::npos);
  BOOST_TEST(lp.seek(INT64_MIN) == listpack::npos);
  BOOST_TEST(lp.seek(0) == lp.first());
  BOOST_TEST(lp.seek(-1) == lp.last());
  BOOST_TEST(lp.prev(lp.first()) == listpack::npos);
  BOOST_TEST(lp.next(lp.last()) == listpack::npos);
  BOOST_TEST(lp.next(listpack::npos) == listpack::npos);
  BOOST_TEST(lp.prev(listpack::npos) == listpack::npos);
}

BOOST_AUTO_TEST_CASE(find_with_skip) {
  // field/value pairs: skip 1 visits fields only.
  auto lp = make({"a", "1", "b", "2", "1", "x", "c", "b"});
  BOOST_TEST(lp.find(lp.first(), "1", 1) == lp.seek(4));
  BOOST_TEST(lp.find(lp.first(), "1") == lp.seek(1));
  BOOST_TEST(lp.find(lp.first(), "b", 1) == lp.seek(2));
  BOOST_TEST(lp.find(lp.seek(1), "b", 1) == lp.seek(7));  // from a value: visits values
  BOOST_TEST(lp.find(lp.first(), "2", 1) == listpack::npos);
  BOOST_TEST(lp.find(lp.first(), "x", 1) == listpack::npos);
  BOOST_TEST(lp.find(lp.first(), "x") == lp.seek(5));
  BOOST_TEST(lp.find(lp.first(), "c", 2) == lp.seek(6));
  BOOST_TEST(lp.find(lp.first(), "zz") == listpack::npos);
  BOOST_TEST(lp.find(listpack::npos, "a") == listpack::npos);
}

BOOST_AUTO_TEST_CASE(count_past_65535_is_unknown) {
  listpack lp;
  const int n = 70000;
  for (int i = 0; i < n; ++i) lp.push_back(std::to_string(i % 100));
  BOOST_TEST(lp.data()[4] == 0xff);
  BOOST_TEST(lp.data()[5] == 0xff);
  BOOST_TEST(lp.size() == std::size_t(n));
  BOOST_TEST(text(lp, lp.seek(0)) == "0");
  BOOST_TEST(text(lp, lp.seek(n - 1)) == std::to_string((n - 1) % 100));
  BOOST_TEST(text(lp, lp.seek(-1)) == std::to_string((n - 1) % 100));
  BOOST_TEST(text(lp, lp.seek(-n)) == "0");
  BOOST_TEST(lp.seek(n) == listpack::npos);
  BOOST_TEST(lp.seek(-n - 1) == listpack::npos);
  BOOST_TEST(listpack::validate(lp.data(), lp.bytes()));
  lp.erase_range(lp.first(), 10000);  // still "unknown" in the header, as Redis
  BOOST_TEST(lp.data()[4] == 0xff);
  BOOST_TEST(lp.size() == std::size_t(n - 10000));
  BOOST_TEST(listpack::validate(lp.data(), lp.bytes()));

  listpack at;  // 65534 entries keep an exact count; the 65535th makes it unknown
  for (int i = 0; i < 65534; ++i) at.push_back("1");
  BOOST_TEST(at.data()[4] == 0xfe);
  BOOST_TEST(at.data()[5] == 0xff);
  at.push_back("1");
  BOOST_TEST(at.data()[4] == 0xff);
  BOOST_TEST(at.size() == 65535u);
}

BOOST_AUTO_TEST_CASE(clone_and_adopt) {
  auto lp = make({"a", "12", std::string(300, 'z')});
  auto c = lp.clone();
  BOOST_TEST(all_bytes(c) == all_bytes(lp), boost::test_tools::per_element());
  c.push_back("more");
  BOOST_TEST(lp.size() == 3u);
  BOOST_TEST(c.size() == 4u);

  auto* raw = static_cast<unsigned char*>(std::malloc(lp.bytes()));
  std::memcpy(raw, lp.data(), lp.bytes());
  auto ad = listpack::adopt(raw);
  BOOST_TEST(forward(ad) == forward(lp), boost::test_tools::per_element());
  ad.push_front("head");
  BOOST_TEST(text(ad, ad.first()) == "head");

  listpack moved(std::move(ad));
  BOOST_TEST(moved.size() == 4u);
  listpack other;
  other = std::move(moved);
  BOOST_TEST(other.size() == 4u);
}

BOOST_AUTO_TEST_CASE(validate_rejects_truncated_and_corrupted) {
  auto lp = make({"a", "1", "hello", "-300", std::string(200, 'b'), "9223372036854775807", std::string(5000, 'c')});
  const bytes_t good = all_bytes(lp);
  BOOST_TEST(listpack::validate(good.data(), good.size()));
  BOOST_TEST(!listpack::validate(nullptr, 0));

  // Truncated: as given, and with the total-bytes field patched to the shorter length.
  for (std::size_t len = 0; len < good.size(); ++len) {
    std::vector<unsigned char> t(good.begin(), good.begin() + len);
    BOOST_TEST(!listpack::validate(t.data(), t.size()));
    if (len >= 7) {
      t[0] = static_cast<unsigned char>(len);
      t[1] = static_cast<unsigned char>(len >> 8);
      t[2] = t[3] = 0;
      t.back() = 0xff;
      BOOST_TEST(!listpack::validate(t.data(), t.size()));
    }
  }

  auto corrupt = [&](std::size_t at, unsigned char v) {
    bytes_t b = good;
    b[at] = v;
    return listpack::validate(b.data(), b.size());
  };
  BOOST_TEST(!corrupt(4, 6));        // wrong count
  BOOST_TEST(!corrupt(6, 0xf5));     // no such encoding
  BOOST_TEST(!corrupt(6, 0xff));     // end marker in the middle
  BOOST_TEST(!corrupt(8, 0x03));     // backlen of "a" says 3
  BOOST_TEST(!corrupt(good.size() - 1, 0x00));
  BOOST_TEST(!corrupt(0, good[0] + 1));

  // Unknown count (65535) is accepted.
  bytes_t u = good;
  u[4] = u[5] = 0xff;
  BOOST_TEST(listpack::validate(u.data(), u.size()));

  // A 32-bit string length far past the buffer.
  listpack big;
  big.push_back(std::string(5000, 'x'));
  bytes_t b = all_bytes(big);
  b[7] = b[8] = b[9] = b[10] = 0xff;
  BOOST_TEST(!listpack::validate(b.data(), b.size()));
}

BOOST_AUTO_TEST_CASE(validate_fuzz_never_overreads) {
  // Mutated valid listpacks: whatever validate() accepts must walk cleanly both ways.
  std::mt19937_64 rng(42);
  auto base = make({"a", "1", "hello", "-300", std::string(70, 'b'), "70000", "", "x", "-9"});
  const bytes_t good = all_bytes(base);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    bytes_t b = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) b[6 + rng() % (b.size() - 7)] = static_cast<unsigned char>(rng());
    if (rng() % 4 == 0) b.resize(7 + rng() % (b.size() - 6));
    // Exact-size heap copy so sanitizers catch any overread.
    std::unique_ptr<unsigned char[]> buf(new unsigned char[b.size()]);
    std::memcpy(buf.get(), b.data(), b.size());
    if (!listpack::validate(buf.get(), b.size())) continue;
    ++accepted;
    auto* raw = static_cast<unsigned char*>(std::malloc(b.size()));
    std::memcpy(raw, b.data(), b.size());
    auto lp = listpack::adopt(raw);
    auto f = forward(lp);
    auto r = backward(lp);
    BOOST_TEST_REQUIRE(f == r);
    BOOST_TEST_REQUIRE(f.size() == lp.size());
  }
  BOOST_TEST(accepted > 0);

  // Random garbage with a plausible header.
  for (int iter = 0; iter < 20000; ++iter) {
    std::size_t len = 7 + rng() % 40;
    std::unique_ptr<unsigned char[]> buf(new unsigned char[len]);
    for (std::size_t i = 0; i < len; ++i) buf[i] = static_cast<unsigned char>(rng());
    buf[0] = static_cast<unsigned char>(len);
    buf[1] = buf[2] = buf[3] = 0;
    buf[len - 1] = 0xff;
    (void)listpack::validate(buf.get(), len);
  }
}

BOOST_AUTO_TEST_CASE(entry_size_matches_growth) {
  for (std::string s : std::vector<std::string>{"", "0", "-1", "128", "4096", "70000", "2147483648", "abc", std::string(64, 'a'),
                        std::string(4096, 'b'), "007"}) {
    listpack lp;
    lp.push_back("pad");
    const auto before = lp.bytes();
    lp.push_back(s);
    BOOST_TEST(lp.bytes() - before == listpack::entry_size(s));
  }
}
