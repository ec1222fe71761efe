#define BOOST_TEST_MODULE bitops_family
#include <boost/test/unit_test.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/store/value.hpp"

// Expected replies were checked against Debian's redis-server 7.0.15. Replies are compared
// via reply::debug_string(): +simple, -error, integer, "bulk", nil, [array], {map}.

namespace {

/// A stand-in collection so that keys can hold a non-string value.
class fake_list final : public kvd::store::collection {
 public:
  std::string_view encoding() const noexcept override { return "quicklist"; }
  std::size_t memory_usage() const noexcept override { return 0; }
  std::unique_ptr<collection> clone() const override { return std::make_unique<fake_list>(); }
  std::size_t length() const noexcept override { return 1; }
};

struct fixture {
  kvd::test::frozen_clock clk;
  kvd::test::harness h;

  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  kvd::store::database& db() { return h.keyspace().db(0); }
  void make_list(const std::string& key) {
    db().set(key, kvd::store::value::make_collection(kvd::store::value_type::list, std::make_unique<fake_list>()));
  }
  void set_max_bulk(std::int64_t n) { h.state().config.proto_max_bulk_len.store(n); }
  /// The raw bytes at `key` ("" when absent).
  std::string bytes(const std::string& key) {
    auto r = h.run({"GET", key});
    return r.str;
  }
  std::int64_t num(std::vector<std::string> args) { return h.run(std::move(args)).num; }
};

const std::string wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value";
const std::string not_int = "-ERR value is not an integer or out of range";
const std::string syntax = "-ERR syntax error";
const std::string bad_offset = "-ERR bit offset is not an integer or out of range";
const std::string bad_bit = "-ERR bit is not an integer or out of range";
const std::string bad_type =
    "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// A binary string from bytes.
std::string B(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

int bit_at(const std::string& s, std::int64_t i) {
  return (static_cast<unsigned char>(s[static_cast<std::size_t>(i >> 3)]) >> (7 - (i & 7))) & 1;
}

/// Reference BITCOUNT/BITPOS range over bits: Redis's index conversion, done naively.
struct ref_range {
  std::int64_t lo, hi;  // bits, inclusive; empty when lo > hi
};
ref_range ref_norm(std::int64_t start, std::int64_t end, std::int64_t len, bool isbit) {
  std::int64_t total = isbit ? len * 8 : len;
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return {1, 0};
  return isbit ? ref_range{start, end} : ref_range{start * 8, end * 8 + 7};
}
std::int64_t ref_count(const std::string& s, ref_range r) {
  std::int64_t n = 0;
  for (auto i = r.lo; i <= r.hi; ++i) n += bit_at(s, i);
  return n;
}
std::int64_t ref_pos(const std::string& s, int bit, ref_range r, bool end_given) {
  if (r.lo > r.hi) return -1;
  for (auto i = r.lo; i <= r.hi; ++i)
    if (bit_at(s, i) == bit) return i;
  return (bit == 0 && !end_given) ? r.hi + 1 : -1;
}

/// A temporary AOF the harness's dispatcher logs to, so tests can see what was propagated.
struct aof_probe {
  std::string dir;
  std::unique_ptr<kvd::persist::aof_writer> w;
  kvd::command::server_state& st;
  explicit aof_probe(kvd::command::server_state& s) : st(s) {
    char tmpl[] = "/tmp/kvd-bitops-aof-XXXXXX";
    dir = ::mkdtemp(tmpl);
    w = std::make_unique<kvd::persist::aof_writer>(paths(), kvd::persist::fsync_policy::no);
    st.aof.store(w.get());
  }
  ~aof_probe() {
    st.aof.store(nullptr);
    w.reset();
    std::filesystem::remove_all(dir);
  }
  kvd::persist::aof_paths paths() const { return {dir, "appendonlydir", "appendonly.aof"}; }
  /// Every logged command (SELECTs dropped), in order.
  std::vector<std::vector<std::string>> logged() {
    w->flush();
    std::vector<std::vector<std::string>> out;
    kvd::persist::load_aof(paths(), true, [&](std::span<const std::string_view> a) {
      if (!(a.size() == 2 && a[0] == "SELECT")) out.emplace_back(a.begin(), a.end());
      return std::string();
    });
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(bitops_family, fixture)

// ---- table rows ----

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  auto& t = h.state().table;
  using row = kvd::test::expected_row;
  using namespace kvd::command;
  const row rows[] = {
      {"setbit", 4, f_write | f_denyoom, 1, 1, 1, "write bitmap slow"},
      {"getbit", 3, f_readonly | f_fast, 1, 1, 1, "read bitmap fast"},
      {"bitcount", -2, f_readonly, 1, 1, 1, "read bitmap slow"},
      {"bitpos", -3, f_readonly, 1, 1, 1, "read bitmap slow"},
      {"bitop", -4, f_write | f_denyoom, 2, -1, 1, "write bitmap slow"},
      {"bitfield", -2, f_write | f_denyoom, 1, 1, 1, "write bitmap slow"},
      {"bitfield_ro", -2, f_readonly | f_fast, 1, 1, 1, "read bitmap fast"},
  };
  kvd::test::check_rows(t, rows);
}

BOOST_AUTO_TEST_CASE(arity_errors) {
  BOOST_TEST(run({"SETBIT", "k", "1"}) == "-ERR wrong number of arguments for 'setbit' command");
  BOOST_TEST(run({"GETBIT", "k"}) == "-ERR wrong number of arguments for 'getbit' command");
  BOOST_TEST(run({"BITCOUNT"}) == "-ERR wrong number of arguments for 'bitcount' command");
  BOOST_TEST(run({"BITPOS", "k"}) == "-ERR wrong number of arguments for 'bitpos' command");
  BOOST_TEST(run({"BITOP", "NOT", "d"}) == "-ERR wrong number of arguments for 'bitop' command");
  BOOST_TEST(run({"BITFIELD"}) == "-ERR wrong number of arguments for 'bitfield' command");
  BOOST_TEST(run({"BITFIELD_RO"}) == "-ERR wrong number of arguments for 'bitfield_ro' command");
}

// ---- SETBIT / GETBIT ----

BOOST_AUTO_TEST_CASE(setbit_getbit_basics) {
  BOOST_TEST(run({"GETBIT", "k", "0"}) == "0");
  BOOST_TEST(run({"SETBIT", "k", "1", "1"}) == "0");
  BOOST_TEST(bytes("k") == B({0x40}));
  BOOST_TEST(run({"SETBIT", "k", "1", "1"}) == "1");
  BOOST_TEST(run({"GETBIT", "k", "1"}) == "1");
  BOOST_TEST(run({"GETBIT", "k", "0"}) == "0");
  BOOST_TEST(run({"GETBIT", "k", "100"}) == "0");  // past the end
  // Growth pads with zero bytes.
  BOOST_TEST(run({"SETBIT", "k", "23", "1"}) == "0");
  BOOST_TEST(bytes("k") == B({0x40, 0x00, 0x01}));
  BOOST_TEST(run({"SETBIT", "k", "1", "0"}) == "1");
  BOOST_TEST(bytes("k") == B({0x00, 0x00, 0x01}));
  // Existing string values are addressed bit by bit ("`" is 0x60).
  BOOST_TEST(run({"SET", "s", "`"}) == "+OK");
  BOOST_TEST(run({"GETBIT", "s", "1"}) == "1");
  BOOST_TEST(run({"GETBIT", "s", "2"}) == "1");
  BOOST_TEST(run({"GETBIT", "s", "3"}) == "0");
  BOOST_TEST(run({"SETBIT", "s", "7", "1"}) == "0");
  BOOST_TEST(bytes("s") == "a");
  // SETBIT makes the value raw, as Redis's dbUnshareStringValue does, even when nothing changes.
  BOOST_TEST(run({"SET", "n", "12"}) == "+OK");
  BOOST_TEST(run({"OBJECT", "ENCODING", "n"}) == "\"int\"");
  BOOST_TEST(run({"SETBIT", "n", "2", "1"}) == "1");
  BOOST_TEST(run({"OBJECT", "ENCODING", "n"}) == "\"raw\"");
  BOOST_TEST(run({"OBJECT", "ENCODING", "k"}) == "\"raw\"");
  // A large grow goes to the heap and keeps the old bytes.
  BOOST_TEST(run({"SETBIT", "s", "80000", "1"}) == "0");
  BOOST_TEST(num({"STRLEN", "s"}) == 10001);
  BOOST_TEST(bytes("s")[0] == 'a');
  BOOST_TEST(run({"GETBIT", "s", "80000"}) == "1");
  BOOST_TEST(run({"BITCOUNT", "s"}) == "4");
}

BOOST_AUTO_TEST_CASE(setbit_keeps_ttl) {
  BOOST_TEST(run({"SET", "k", "a", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"SETBIT", "k", "100", "1"}) == "0");
  BOOST_TEST(run({"TTL", "k"}) == "100");
}

BOOST_AUTO_TEST_CASE(setbit_getbit_errors) {
  make_list("l");
  BOOST_TEST(run({"SETBIT", "l", "0", "1"}) == wrongtype);
  BOOST_TEST(run({"GETBIT", "l", "0"}) == wrongtype);
  // Offset errors come before the key is looked at, then the bit value.
  BOOST_TEST(run({"GETBIT", "l", "-1"}) == bad_offset);
  BOOST_TEST(run({"SETBIT", "l", "-1", "1"}) == bad_offset);
  BOOST_TEST(run({"SETBIT", "l", "0", "2"}) == bad_bit);
  BOOST_TEST(run({"SETBIT", "k", "x", "1"}) == bad_offset);
  BOOST_TEST(run({"SETBIT", "k", "0", "x"}) == bad_bit);
  BOOST_TEST(run({"SETBIT", "k", "0", "-1"}) == bad_bit);
  BOOST_TEST(run({"SETBIT", "k", "0", "01"}) == bad_bit);
  BOOST_TEST(run({"SETBIT", "k", "1.0", "1"}) == bad_offset);
  BOOST_TEST(run({"SETBIT", "k", " 1", "1"}) == bad_offset);
  BOOST_TEST(run({"GETBIT", "k", "99999999999999999999"}) == bad_offset);
  BOOST_TEST(run({"EXISTS", "k"}) == "0");
}

BOOST_AUTO_TEST_CASE(offset_limit_follows_proto_max_bulk_len) {
  // Default 512 MB: the last addressable bit is 2^32 - 1.
  BOOST_TEST(run({"SETBIT", "k", "4294967296", "1"}) == bad_offset);
  BOOST_TEST(run({"GETBIT", "k", "4294967296"}) == bad_offset);
  BOOST_TEST(run({"GETBIT", "k", "4294967295"}) == "0");
  BOOST_TEST(run({"SETBIT", "k", "4294967295", "x"}) == bad_bit);
  // A small limit: bytes 0..9 addressable.
  set_max_bulk(10);
  BOOST_TEST(run({"SETBIT", "k", "80", "1"}) == bad_offset);
  BOOST_TEST(run({"SETBIT", "k", "79", "1"}) == "0");
  BOOST_TEST(num({"STRLEN", "k"}) == 10);
  BOOST_TEST(run({"GETBIT", "k", "80"}) == bad_offset);
  BOOST_TEST(run({"BITFIELD", "k", "GET", "u8", "80"}) == bad_offset);
  BOOST_TEST(run({"BITFIELD", "k", "GET", "u8", "79"}) == "[128]");
  BOOST_TEST(run({"BITFIELD", "k", "GET", "u8", "#10"}) == bad_offset);
  BOOST_TEST(run({"BITFIELD", "k", "GET", "u8", "#9"}) == "[1]");
  // A field starting at the last allowed byte may reach past it (Redis checks the start).
  BOOST_TEST(run({"BITFIELD", "k2", "SET", "i64", "79", "-1"}) == "[0]");
  BOOST_TEST(num({"STRLEN", "k2"}) == 18);
}

BOOST_AUTO_TEST_CASE(aof_replay_ignores_the_offset_limit) {
  // Redis's mustObeyClient: the loader replays what was accepted, whatever the limit now.
  set_max_bulk(10);
  h.client().replaying_aof = true;
  BOOST_TEST(run({"SETBIT", "k", "100", "1"}) == "0");
  BOOST_TEST(run({"BITFIELD", "k", "SET", "u8", "#20", "7"}) == "[0]");
  BOOST_TEST(run({"SETBIT", "k", "-1", "1"}) == bad_offset);
  h.client().replaying_aof = false;
  BOOST_TEST(run({"SETBIT", "k", "100", "1"}) == bad_offset);
  BOOST_TEST(num({"STRLEN", "k"}) == 21);
}

// ---- BITCOUNT ----

BOOST_AUTO_TEST_CASE(bitcount_ranges) {
  BOOST_TEST(run({"SET", "s", "foobar"}) == "+OK");
  BOOST_TEST(run({"BITCOUNT", "s"}) == "26");
  BOOST_TEST(run({"BITCOUNT", "s", "0", "0"}) == "4");
  BOOST_TEST(run({"BITCOUNT", "s", "1", "1"}) == "6");
  BOOST_TEST(run({"BITCOUNT", "s", "1", "1", "BYTE"}) == "6");
  BOOST_TEST(run({"BITCOUNT", "s", "5", "30", "BIT"}) == "17");
  BOOST_TEST(run({"BITCOUNT", "s", "5", "30", "bit"}) == "17");
  BOOST_TEST(run({"BITCOUNT", "s", "0", "-1"}) == "26");
  BOOST_TEST(run({"BITCOUNT", "s", "-2", "-1"}) == "7");
  BOOST_TEST(run({"BITCOUNT", "s", "-100", "100"}) == "26");
  BOOST_TEST(run({"BITCOUNT", "s", "3", "1"}) == "0");
  BOOST_TEST(run({"BITCOUNT", "s", "-1", "-2"}) == "0");
  BOOST_TEST(run({"BITCOUNT", "s", "6", "10"}) == "0");
  BOOST_TEST(run({"BITCOUNT", "s", "1", "1", "BIT"}) == "1");
  BOOST_TEST(run({"BITCOUNT", "s", "0", "0", "BIT"}) == "0");
  BOOST_TEST(run({"BITCOUNT", "s", "-1", "-1", "BIT"}) == "0");
  BOOST_TEST(run({"BITCOUNT", "missing"}) == "0");
  BOOST_TEST(run({"SET", "e", ""}) == "+OK");
  BOOST_TEST(run({"BITCOUNT", "e"}) == "0");
  BOOST_TEST(run({"BITCOUNT", "e", "0", "-1", "BIT"}) == "0");
}

BOOST_AUTO_TEST_CASE(bitcount_errors_and_7_0_order) {
  make_list("l");
  BOOST_TEST(run({"SET", "s", "foobar"}) == "+OK");
  BOOST_TEST(run({"BITCOUNT", "l"}) == wrongtype);
  BOOST_TEST(run({"BITCOUNT", "l", "x"}) == wrongtype);  // type first in 7.0
  BOOST_TEST(run({"BITCOUNT", "s", "1"}) == syntax);
  BOOST_TEST(run({"BITCOUNT", "s", "1", "2", "3", "4"}) == syntax);
  BOOST_TEST(run({"BITCOUNT", "s", "a", "1"}) == not_int);
  BOOST_TEST(run({"BITCOUNT", "s", "1", "a"}) == not_int);
  BOOST_TEST(run({"BITCOUNT", "s", "1", "2", "FOO"}) == syntax);
  BOOST_TEST(run({"BITCOUNT", "s", "-1", "-2", "FOO"}) == "0");  // empty-range shortcut first
  // A missing key answers 0 before any argument is parsed (Redis 7.0; 7.2 changed this).
  BOOST_TEST(run({"BITCOUNT", "missing", "a", "b"}) == "0");
  BOOST_TEST(run({"BITCOUNT", "missing", "1"}) == "0");
  BOOST_TEST(run({"BITCOUNT", "missing", "1", "2", "3", "4"}) == "0");
}

BOOST_AUTO_TEST_CASE(bitcount_matches_reference_on_random_data) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    std::size_t len = rng() % 90;
    std::string s(len, '\0');
    for (auto& ch : s) ch = static_cast<char>(rng() % 4 == 0 ? 0xff : rng());
    h.run({"SET", "r", s});
    auto L = static_cast<std::int64_t>(len);
    std::int64_t span = L * 8 + 20;
    std::int64_t a = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * span + 1)) - span;
    std::int64_t b = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * span + 1)) - span;
    bool isbit = rng() & 1;
    std::int64_t want = (a < 0 && b < 0 && a > b) ? 0 : ref_count(s, ref_norm(a, b, L, isbit));
    if (len == 0) continue;  // SET "" then BITCOUNT: covered above
    BOOST_TEST_CONTEXT("len " << len << " range " << a << " " << b << (isbit ? " BIT" : " BYTE")) {
      BOOST_TEST(num({"BITCOUNT", "r", std::to_string(a), std::to_string(b), isbit ? "BIT" : "BYTE"}) == want);
      BOOST_TEST(num({"BITCOUNT", "r"}) == ref_count(s, {0, L * 8 - 1}));
    }
  }
}

// ---- BITPOS ----

BOOST_AUTO_TEST_CASE(bitpos_basics) {
  BOOST_TEST(run({"SET", "s", B({0xff, 0xf0, 0x00})}) == "+OK");
  BOOST_TEST(run({"BITPOS", "s", "0"}) == "12");
  BOOST_TEST(run({"BITPOS", "s", "1"}) == "0");
  BOOST_TEST(run({"BITPOS", "s", "1", "2"}) == "-1");
  BOOST_TEST(run({"BITPOS", "s", "0", "2"}) == "16");
  BOOST_TEST(run({"BITPOS", "s", "1", "2", "-1", "BYTE"}) == "-1");
  BOOST_TEST(run({"BITPOS", "s", "1", "7", "15", "BIT"}) == "7");
  BOOST_TEST(run({"BITPOS", "s", "0", "7", "15", "BIT"}) == "12");
  BOOST_TEST(run({"BITPOS", "s", "0", "3", "10", "BIT"}) == "-1");
  // Missing key: an infinite run of zeros.
  BOOST_TEST(run({"BITPOS", "missing", "0"}) == "0");
  BOOST_TEST(run({"BITPOS", "missing", "1"}) == "-1");
  BOOST_TEST(run({"BITPOS", "missing", "0", "x"}) == "0");  // 7.0: no argument check
}

BOOST_AUTO_TEST_CASE(bitpos_clear_bit_end_rule) {
  BOOST_TEST(run({"SET", "ones", B({0xff, 0xff, 0xff})}) == "+OK");
  // Without an end, the string counts as padded with zeros on the right.
  BOOST_TEST(run({"BITPOS", "ones", "0"}) == "24");
  BOOST_TEST(run({"BITPOS", "ones", "0", "1"}) == "24");
  BOOST_TEST(run({"BITPOS", "ones", "0", "-1"}) == "24");
  BOOST_TEST(run({"BITPOS", "ones", "0", "3", "BIT"}) == not_int);  // the 5th argument is the end
  // With an end given, no clear bit in range is -1.
  BOOST_TEST(run({"BITPOS", "ones", "0", "0", "-1"}) == "-1");
  BOOST_TEST(run({"BITPOS", "ones", "0", "0", "2"}) == "-1");
  BOOST_TEST(run({"BITPOS", "ones", "0", "0", "23", "BIT"}) == "-1");
  BOOST_TEST(run({"BITPOS", "ones", "0", "5", "9", "BIT"}) == "-1");
  // An empty range (start past the string) is -1 even for clear bits.
  BOOST_TEST(run({"BITPOS", "ones", "0", "3"}) == "-1");
  BOOST_TEST(run({"BITPOS", "ones", "0", "5", "2"}) == "-1");
  BOOST_TEST(run({"BITPOS", "ones", "1", "-1", "-1"}) == "16");
  BOOST_TEST(run({"SET", "zeros", B({0, 0, 0})}) == "+OK");
  BOOST_TEST(run({"BITPOS", "zeros", "1"}) == "-1");
  BOOST_TEST(run({"BITPOS", "zeros", "0"}) == "0");
  BOOST_TEST(run({"BITPOS", "zeros", "1", "0", "-1", "BIT"}) == "-1");
  BOOST_TEST(run({"SET", "e", ""}) == "+OK");
  BOOST_TEST(run({"BITPOS", "e", "0"}) == "-1");
  BOOST_TEST(run({"BITPOS", "e", "1"}) == "-1");
}

BOOST_AUTO_TEST_CASE(bitpos_errors_and_7_0_order) {
  make_list("l");
  BOOST_TEST(run({"SET", "s", "foobar"}) == "+OK");
  BOOST_TEST(run({"BITPOS", "missing", "2"}) == "-ERR The bit argument must be 1 or 0.");
  BOOST_TEST(run({"BITPOS", "l", "2"}) == "-ERR The bit argument must be 1 or 0.");
  BOOST_TEST(run({"BITPOS", "l", "x"}) == not_int);
  BOOST_TEST(run({"BITPOS", "l", "1"}) == wrongtype);
  BOOST_TEST(run({"BITPOS", "l", "1", "x"}) == wrongtype);
  BOOST_TEST(run({"BITPOS", "s", "1", "a"}) == not_int);
  BOOST_TEST(run({"BITPOS", "s", "1", "0", "a"}) == not_int);
  BOOST_TEST(run({"BITPOS", "s", "1", "0", "1", "foo"}) == syntax);
  BOOST_TEST(run({"BITPOS", "s", "1", "a", "1", "foo"}) == not_int);
  BOOST_TEST(run({"BITPOS", "s", "1", "0", "a", "foo"}) == syntax);  // the unit before end
  BOOST_TEST(run({"BITPOS", "s", "1", "0", "1", "BIT", "x"}) == syntax);
  BOOST_TEST(run({"BITPOS", "missing", "1", "0", "1", "BIT", "x"}) == "-1");
}

BOOST_AUTO_TEST_CASE(bitpos_matches_reference_on_random_data) {
  std::mt19937_64 rng(11);
  for (int iter = 0; iter < 2000; ++iter) {
    std::size_t len = 1 + rng() % 40;
    std::string s(len, '\0');
    int mode = static_cast<int>(rng() % 3);  // mostly ones, mostly zeros, random
    for (auto& ch : s) {
      auto r = rng();
      ch = static_cast<char>(mode == 0 ? (r % 50 ? 0xff : r) : mode == 1 ? (r % 50 ? 0 : r) : r);
    }
    h.run({"SET", "r", s});
    auto L = static_cast<std::int64_t>(len);
    int bit = static_cast<int>(rng() & 1);
    int form = static_cast<int>(rng() % 4);  // no range, start only, start+end, start+end+unit
    bool isbit = form == 3 && (rng() & 1);
    std::int64_t span = (isbit ? L * 8 : L) + 5;
    std::int64_t a = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * span + 1)) - span;
    std::int64_t b = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * span + 1)) - span;
    std::vector<std::string> cmd = {"BITPOS", "r", std::to_string(bit)};
    std::int64_t want;
    if (form == 0) {
      want = ref_pos(s, bit, {0, L * 8 - 1}, false);
    } else if (form == 1) {
      cmd.push_back(std::to_string(a));
      want = ref_pos(s, bit, ref_norm(a, L - 1, L, false), false);
    } else {
      cmd.push_back(std::to_string(a));
      cmd.push_back(std::to_string(b));
      if (form == 3) cmd.push_back(isbit ? "BIT" : "BYTE");
      want = ref_pos(s, bit, ref_norm(a, b, L, isbit), true);
    }
    BOOST_TEST_CONTEXT("len " << len << " mode " << mode << " cmd " << cmd[2] << " " << (cmd.size() > 3 ? cmd[3] : "")
                              << " " << (cmd.size() > 4 ? cmd[4] : "") << " " << (cmd.size() > 5 ? cmd[5] : "")) {
      BOOST_TEST(num(cmd) == want);
    }
  }
}

BOOST_AUTO_TEST_CASE(bitpos_and_bitcount_long_strings) {
  // Word-wise paths: a long run of zeros (or ones) with one odd bit near the end.
  std::string z(10000, '\0');
  z[9000] = 0x10;
  BOOST_TEST(run({"SET", "z", z}) == "+OK");
  BOOST_TEST(num({"BITPOS", "z", "1"}) == 9000 * 8 + 3);
  BOOST_TEST(num({"BITCOUNT", "z"}) == 1);
  std::string o(10000, '\xff');
  o[9001] = '\xfe';
  BOOST_TEST(run({"SET", "o", o}) == "+OK");
  BOOST_TEST(num({"BITPOS", "o", "0"}) == 9001 * 8 + 7);
  BOOST_TEST(num({"BITCOUNT", "o"}) == 80000 - 1);
  BOOST_TEST(num({"BITCOUNT", "o", "9001", "9001"}) == 7);
  BOOST_TEST(num({"BITCOUNT", "o", "13", "79990", "BIT"}) == 79990 - 13 + 1 - 1);
}

// ---- BITOP ----

BOOST_AUTO_TEST_CASE(bitop_operations) {
  BOOST_TEST(run({"SET", "a", B({0xf0, 0x0f, 0xaa})}) == "+OK");
  BOOST_TEST(run({"SET", "b", B({0xff, 0x01})}) == "+OK");
  BOOST_TEST(run({"BITOP", "AND", "d", "a", "b"}) == "3");
  BOOST_TEST(bytes("d") == B({0xf0, 0x01, 0x00}));
  BOOST_TEST(run({"BITOP", "or", "d", "a", "b"}) == "3");
  BOOST_TEST(bytes("d") == B({0xff, 0x0f, 0xaa}));
  BOOST_TEST(run({"BITOP", "Xor", "d", "a", "b"}) == "3");
  BOOST_TEST(bytes("d") == B({0x0f, 0x0e, 0xaa}));
  BOOST_TEST(run({"BITOP", "NOT", "d", "b"}) == "2");
  BOOST_TEST(bytes("d") == B({0x00, 0xfe}));
  // Missing sources are empty strings; a single source is copied (AND/OR/XOR).
  BOOST_TEST(run({"BITOP", "AND", "d", "a", "missing"}) == "3");
  BOOST_TEST(bytes("d") == B({0, 0, 0}));
  BOOST_TEST(run({"BITOP", "OR", "d", "missing", "a"}) == "3");
  BOOST_TEST(bytes("d") == B({0xf0, 0x0f, 0xaa}));
  BOOST_TEST(run({"BITOP", "XOR", "d", "a"}) == "3");
  BOOST_TEST(bytes("d") == B({0xf0, 0x0f, 0xaa}));
  // The destination may be a source.
  BOOST_TEST(run({"BITOP", "XOR", "a", "a", "b"}) == "3");
  BOOST_TEST(bytes("a") == B({0x0f, 0x0e, 0xaa}));
  BOOST_TEST(run({"BITOP", "NOT", "a", "a"}) == "3");
  BOOST_TEST(bytes("a") == B({0xf0, 0xf1, 0x55}));
  BOOST_TEST(run({"OBJECT", "ENCODING", "d"}) == "\"raw\"");
  // Long operands (word paths) against a byte-wise reference.
  std::mt19937_64 rng(3);
  std::string x(1000, '\0'), y(777, '\0');
  for (auto& c : x) c = static_cast<char>(rng());
  for (auto& c : y) c = static_cast<char>(rng());
  h.run({"SET", "x", x});
  h.run({"SET", "y", y});
  std::string wand(1000, '\0'), wor(x), wxor(x);
  for (std::size_t i = 0; i < y.size(); ++i) {
    wand[i] = static_cast<char>(x[i] & y[i]);
    wor[i] = static_cast<char>(x[i] | y[i]);
    wxor[i] = static_cast<char>(x[i] ^ y[i]);
  }
  BOOST_TEST(run({"BITOP", "AND", "r", "x", "y"}) == "1000");
  BOOST_TEST((bytes("r") == wand));
  BOOST_TEST(run({"BITOP", "OR", "r", "y", "x"}) == "1000");
  BOOST_TEST((bytes("r") == wor));
  BOOST_TEST(run({"BITOP", "XOR", "r", "x", "y", "missing"}) == "1000");
  BOOST_TEST((bytes("r") == wxor));
}

BOOST_AUTO_TEST_CASE(bitop_results_of_a_megabyte_and_more) {
  // From 1 MB on the result is built in place in the new value.
  BOOST_TEST(run({"SETBIT", "big", "8388608", "1"}) == "0");  // 1 MB + 1 byte
  BOOST_TEST(run({"SET", "s", "ab"}) == "+OK");
  BOOST_TEST(run({"BITOP", "NOT", "nb", "big"}) == "1048577");
  BOOST_TEST(num({"BITCOUNT", "nb"}) == 8 * 1048577 - 1);
  BOOST_TEST(run({"BITOP", "OR", "big", "s", "big"}) == "1048577");  // destination among sources
  BOOST_TEST(bytes("big").substr(0, 3) == std::string("ab\0", 3));
  BOOST_TEST(num({"BITCOUNT", "big"}) == 3 + 3 + 1);
  BOOST_TEST(run({"BITOP", "AND", "a", "nb", "big"}) == "1048577");
  BOOST_TEST(num({"BITCOUNT", "a"}) == 6);
  BOOST_TEST(run({"BITOP", "XOR", "a", "nb", "big", "missing"}) == "1048577");
  BOOST_TEST(num({"BITCOUNT", "a"}) == 8 * 1048577 - 6);
  BOOST_TEST(run({"OBJECT", "ENCODING", "a"}) == "\"raw\"");
}

BOOST_AUTO_TEST_CASE(bitop_destination_rules) {
  BOOST_TEST(run({"SET", "a", "abc"}) == "+OK");
  // The result replaces any value and TTL at the destination.
  BOOST_TEST(run({"SET", "d", "old", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"BITOP", "OR", "d", "a"}) == "3");
  BOOST_TEST(run({"TTL", "d"}) == "-1");
  make_list("l");
  BOOST_TEST(run({"BITOP", "OR", "l", "a"}) == "3");
  BOOST_TEST(run({"TYPE", "l"}) == "+string");
  // An empty result deletes the destination (whatever its type).
  make_list("l");
  BOOST_TEST(run({"BITOP", "AND", "l", "missing1", "missing2"}) == "0");
  BOOST_TEST(run({"EXISTS", "l"}) == "0");
  BOOST_TEST(run({"SET", "e", ""}) == "+OK");
  BOOST_TEST(run({"BITOP", "NOT", "d", "e"}) == "0");
  BOOST_TEST(run({"EXISTS", "d"}) == "0");
  BOOST_TEST(run({"BITOP", "NOT", "d", "missing"}) == "0");
}

BOOST_AUTO_TEST_CASE(bitop_errors) {
  make_list("l");
  BOOST_TEST(run({"SET", "a", "abc"}) == "+OK");
  BOOST_TEST(run({"BITOP", "FOO", "d", "a"}) == syntax);
  BOOST_TEST(run({"BITOP", "ANDX", "d", "a"}) == syntax);
  BOOST_TEST(run({"BITOP", "DIFF", "d", "a", "a"}) == syntax);  // 8.2 operations are not 7.0's
  BOOST_TEST(run({"BITOP", "NOT", "d", "a", "a"}) == "-ERR BITOP NOT must be called with a single source key.");
  BOOST_TEST(run({"BITOP", "AND", "d", "a", "l"}) == wrongtype);
  BOOST_TEST(run({"BITOP", "NOT", "d", "l"}) == wrongtype);
  BOOST_TEST(run({"EXISTS", "d"}) == "0");
  // A wrong-type destination is simply replaced.
  BOOST_TEST(run({"BITOP", "AND", "l", "a"}) == "3");
}

// ---- BITFIELD ----

BOOST_AUTO_TEST_CASE(bitfield_basics) {
  BOOST_TEST(run({"BITFIELD", "k"}) == "[]");
  BOOST_TEST(run({"EXISTS", "k"}) == "0");
  BOOST_TEST(run({"BITFIELD", "k", "GET", "u8", "0"}) == "[0]");
  BOOST_TEST(run({"EXISTS", "k"}) == "0");  // GETs do not create the key
  BOOST_TEST(run({"BITFIELD", "k", "SET", "u8", "0", "255", "GET", "u8", "0"}) == "[0,255]");
  BOOST_TEST(run({"BITFIELD", "k", "SET", "i8", "0", "-100", "GET", "i8", "0", "GET", "u8", "0"}) == "[-1,-100,156]");
  BOOST_TEST(run({"BITFIELD", "k", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "i8", "108", "1"}) ==
             "[1,1]");
  // Unaligned fields and the #N form (N * bits).
  BOOST_TEST(run({"DEL", "k"}) == "1");
  BOOST_TEST(run({"BITFIELD", "k", "SET", "u5", "7", "23"}) == "[0]");
  BOOST_TEST(bytes("k") == B({0x01, 0x70}));
  BOOST_TEST(run({"BITFIELD", "k", "GET", "u5", "7", "GET", "i5", "7", "GET", "u4", "#1"}) == "[23,-9,1]");
  BOOST_TEST(run({"BITFIELD", "k", "SET", "u8", "#2", "65"}) == "[0]");
  BOOST_TEST(bytes("k") == B({0x01, 0x70, 0x41}));
  // GET past the end reads zeros; 64-bit signed fields.
  BOOST_TEST(run({"BITFIELD", "k", "GET", "i64", "20", "GET", "u63", "1000"}) == "[1152921504606846976,0]");
  BOOST_TEST(run({"BITFIELD", "w", "SET", "i64", "3", "-2", "GET", "i64", "3", "GET", "u63", "3"}) ==
             "[0,-2,9223372036854775807]");
  // Case-insensitive subcommands and overflow names.
  BOOST_TEST(run({"BITFIELD", "k", "get", "U8", "0"}) == bad_type);
  BOOST_TEST(run({"BITFIELD", "k", "get", "u8", "0", "overflow", "fail"}) == "[1]");
  // Existing keys keep their TTL; SET/INCRBY make the value raw.
  BOOST_TEST(run({"SET", "t", "7", "EX", "100"}) == "+OK");
  BOOST_TEST(run({"BITFIELD", "t", "GET", "u8", "0"}) == "[55]");
  BOOST_TEST(run({"OBJECT", "ENCODING", "t"}) == "\"int\"");
  BOOST_TEST(run({"BITFIELD", "t", "INCRBY", "u8", "0", "1"}) == "[56]");
  BOOST_TEST(run({"GET", "t"}) == "\"8\"");
  BOOST_TEST(run({"OBJECT", "ENCODING", "t"}) == "\"raw\"");
  BOOST_TEST(run({"TTL", "t"}) == "100");
}

BOOST_AUTO_TEST_CASE(bitfield_errors) {
  make_list("l");
  BOOST_TEST(run({"BITFIELD", "l", "GET", "u8", "0"}) == wrongtype);
  BOOST_TEST(run({"BITFIELD", "l", "SET", "u8", "0", "1"}) == wrongtype);
  BOOST_TEST(run({"BITFIELD", "l", "GET", "x8", "0"}) == bad_type);  // parsing comes first
  BOOST_TEST(run({"BITFIELD", "l", "FOO"}) == syntax);
  for (const char* t : {"u64", "i65", "I8", "i0", "u0", "i08", "i", "u", "", "i-1", "i+8", "x"})
    BOOST_TEST_CONTEXT(t) { BOOST_TEST(run({"BITFIELD", "k", "GET", t, "0"}) == bad_type); }
  for (const char* o : {"-1", "#-1", "#", "x", "1.5", "#x", "4294967296", "#536870912",
                        "#9223372036854775807", "9223372036854775808"})
    BOOST_TEST_CONTEXT(o) { BOOST_TEST(run({"BITFIELD", "k", "GET", "u8", o}) == bad_offset); }
  BOOST_TEST(run({"BITFIELD", "k", "GET", "u8", "4294967288"}) == "[0]");
  BOOST_TEST(run({"BITFIELD", "k", "GET", "u8", "#536870911"}) == "[0]");
  BOOST_TEST(run({"BITFIELD", "k", "GET", "i64", "#67108863"}) == "[0]");
  BOOST_TEST(run({"BITFIELD", "k", "GET", "i64", "#67108864"}) == bad_offset);
  BOOST_TEST(run({"BITFIELD", "k", "GET", "i8", "#1"}) == "[0]");
  BOOST_TEST(run({"BITFIELD", "k", "SET", "i8", "0"}) == syntax);
  BOOST_TEST(run({"BITFIELD", "k", "SET", "i8", "0", "x"}) == not_int);
  BOOST_TEST(run({"BITFIELD", "k", "INCRBY", "i8", "0", "1.5"}) == not_int);
  BOOST_TEST(run({"BITFIELD", "k", "OVERFLOW", "foo"}) == "-ERR Invalid OVERFLOW type specified");
  BOOST_TEST(run({"BITFIELD", "k", "OVERFLOW"}) == syntax);
  BOOST_TEST(run({"BITFIELD", "k", "GET", "i8", "0", "OVERFLOW"}) == syntax);
  BOOST_TEST(run({"BITFIELD", "k", "GET"}) == syntax);
  BOOST_TEST(run({"BITFIELD", "k", "GET", "i8"}) == syntax);
  // A later bad op fails the whole command: nothing was written.
  BOOST_TEST(run({"BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u99", "0"}) == bad_type);
  BOOST_TEST(run({"EXISTS", "k"}) == "0");
}

BOOST_AUTO_TEST_CASE(bitfield_ro) {
  make_list("l");
  BOOST_TEST(run({"SET", "k", "A"}) == "+OK");
  BOOST_TEST(run({"BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "4"}) == "[65,1]");
  BOOST_TEST(run({"BITFIELD_RO", "k"}) == "[]");
  BOOST_TEST(run({"BITFIELD_RO", "k", "OVERFLOW", "SAT"}) == "[]");
  BOOST_TEST(run({"BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"}) == "[65]");
  const std::string ro = "-ERR BITFIELD_RO only supports the GET subcommand";
  BOOST_TEST(run({"BITFIELD_RO", "k", "SET", "u8", "0", "1"}) == ro);
  BOOST_TEST(run({"BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"}) == ro);
  BOOST_TEST(run({"BITFIELD_RO", "l", "SET", "u8", "0", "1"}) == ro);  // before the type check
  BOOST_TEST(run({"BITFIELD_RO", "l", "GET", "u8", "0"}) == wrongtype);
  BOOST_TEST(run({"BITFIELD_RO", "k", "GET", "x", "0", "SET", "u8", "0", "1"}) == bad_type);
  BOOST_TEST(run({"BITFIELD_RO", "missing", "GET", "u8", "0"}) == "[0]");
  BOOST_TEST(run({"GET", "k"}) == "\"A\"");
}

/// Signed and unsigned overflow under WRAP, SAT and FAIL for every width, against 128-bit
/// arithmetic.
BOOST_AUTO_TEST_CASE(bitfield_overflow_every_width) {
  for (int sign = 0; sign < 2; ++sign) {
    int top = sign ? 64 : 63;
    for (int bits = 1; bits <= top; ++bits) {
      std::string type = (sign ? "i" : "u") + std::to_string(bits);
      __int128 max = sign ? ((__int128{1} << (bits - 1)) - 1) : ((__int128{1} << bits) - 1);
      __int128 min = sign ? -max - 1 : 0;
      __int128 range = __int128{1} << bits;
      auto wrap = [&](__int128 v) {
        v = ((v - min) % range + range) % range + min;
        return v;
      };
      auto s = [](__int128 v) { return std::to_string(static_cast<long long>(v)); };
      BOOST_TEST_CONTEXT(type) {
        h.run({"DEL", "f"});
        // At max, +1: WRAP goes to min, SAT stays, FAIL is nil and writes nothing.
        BOOST_TEST(run({"BITFIELD", "f", "SET", type, "3", s(max)}) == "[0]");
        BOOST_TEST(run({"BITFIELD", "f", "INCRBY", type, "3", "1"}) == "[" + s(min) + "]");
        BOOST_TEST(run({"BITFIELD", "f", "SET", type, "3", s(max)}) == "[" + s(min) + "]");
        BOOST_TEST(run({"BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", type, "3", "1"}) == "[" + s(max) + "]");
        BOOST_TEST(run({"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", type, "3", "1"}) == "[nil]");
        BOOST_TEST(run({"BITFIELD", "f", "GET", type, "3"}) == "[" + s(max) + "]");
        // At min, -1.
        BOOST_TEST(run({"BITFIELD", "f", "SET", type, "3", s(min)}) == "[" + s(max) + "]");
        BOOST_TEST(run({"BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", type, "3", "-1"}) == "[" + s(min) + "]");
        BOOST_TEST(run({"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", type, "3", "-1"}) == "[nil]");
        BOOST_TEST(run({"BITFIELD", "f", "INCRBY", type, "3", "-1"}) == "[" + s(max) + "]");
        // Large increments: INT64_MAX and INT64_MIN from the middle.
        for (__int128 incr : {__int128{INT64_MAX}, __int128{INT64_MIN}, __int128{12345}, __int128{-12345}}) {
          __int128 start = sign ? 0 : max / 2;
          BOOST_TEST_CONTEXT("incr " << s(incr)) {
            h.run({"BITFIELD", "f", "SET", type, "3", s(start)});
            __int128 sum = start + incr;
            BOOST_TEST(run({"BITFIELD", "f", "INCRBY", type, "3", s(incr)}) == "[" + s(wrap(sum)) + "]");
            h.run({"BITFIELD", "f", "SET", type, "3", s(start)});
            __int128 sat = sum > max ? max : sum < min ? min : sum;
            BOOST_TEST(run({"BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", type, "3", s(incr)}) == "[" + s(sat) + "]");
            h.run({"BITFIELD", "f", "SET", type, "3", s(start)});
            std::string fail = (sum > max || sum < min) ? "nil" : s(sum);
            BOOST_TEST(run({"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", type, "3", s(incr)}) == "[" + fail + "]");
          }
        }
        // SET of out-of-range values: WRAP keeps the low bits, SAT clamps, FAIL refuses.
        for (__int128 v : {max + 1, min - 1, __int128{INT64_MAX}, __int128{INT64_MIN}, __int128{-1}}) {
          if (v > INT64_MAX || v < INT64_MIN) continue;
          BOOST_TEST_CONTEXT("set " << s(v)) {
            bool over = v > max || v < min;
            // Unsigned SET takes the value as uint64 (Redis): -1 is 2^64-1, above every max.
            __int128 as_field = sign ? v : (v < 0 ? v + (__int128{1} << 64) : v);
            h.run({"BITFIELD", "f", "SET", type, "3", "0"});
            h.run({"BITFIELD", "f", "SET", type, "3", s(v)});
            BOOST_TEST(run({"BITFIELD", "f", "GET", type, "3"}) == "[" + s(wrap(as_field)) + "]");
            h.run({"BITFIELD", "f", "SET", type, "3", "0"});
            h.run({"BITFIELD", "f", "OVERFLOW", "SAT", "SET", type, "3", s(v)});
            __int128 sat = as_field > max ? max : as_field < min ? min : as_field;
            // Redis quirk kept: checkSignedBitfieldOverflow computes max - value in 64 bits;
            // when that wraps (value far below min, bits < 64) it reports an overflow
            // upwards, so SAT stores max (redis-server 7.0.15 does: i56 SET INT64_MIN -> max).
            if (sign && bits < 64 && as_field < min && max - as_field > INT64_MAX) sat = max;
            BOOST_TEST(run({"BITFIELD", "f", "GET", type, "3"}) == "[" + s(sat) + "]");
            h.run({"BITFIELD", "f", "SET", type, "3", "0"});
            BOOST_TEST(run({"BITFIELD", "f", "OVERFLOW", "FAIL", "SET", type, "3", s(v)}) ==
                       (over || as_field > max ? std::string("[nil]") : std::string("[0]")));
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(bitfield_fail_still_creates_the_key) {
  // Redis 7.0 grows the string before running the ops, even when they all fail.
  BOOST_TEST(run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "8", "300"}) == "[nil]");
  BOOST_TEST(bytes("k") == B({0, 0}));
}

// ---- AOF propagation ----

BOOST_AUTO_TEST_CASE(propagation_matches_redis) {
  aof_probe aof(h.state());
  make_list("l");
  run({"SETBIT", "k", "3", "1"});                                         // logged: created
  run({"SETBIT", "k", "3", "1"});                                         // no change
  run({"SETBIT", "k", "4", "0"});                                         // no change
  run({"SETBIT", "k", "20", "0"});                                        // logged: grown
  run({"SETBIT", "k", "3", "0"});                                         // logged: flipped
  run({"SETBIT", "l", "3", "0"});                                         // error
  run({"BITOP", "AND", "d", "m1", "m2"});                                 // empty, no dest
  run({"BITOP", "OR", "d", "k"});                                         // logged
  run({"BITOP", "AND", "d", "m1"});                                       // logged: deletes d
  run({"BITFIELD", "k", "GET", "u8", "0"});                               // read only
  run({"BITFIELD", "k", "SET", "u8", "0", "0"});                          // same value
  run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"});  // failed
  run({"BITFIELD", "n", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"});  // creates n, unlogged
  run({"BITFIELD", "k", "INCRBY", "u8", "0", "1", "GET", "u8", "0"});     // logged
  run({"BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u4", "0", "100"});     // logged (0 -> 15)
  run({"BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u4", "0", "1"});    // saturated, no change
  run({"BITFIELD_RO", "k", "GET", "u8", "0"});
  run({"GETBIT", "k", "0"});
  run({"BITCOUNT", "k"});
  run({"BITPOS", "k", "1"});
  std::vector<std::vector<std::string>> want = {
      {"SETBIT", "k", "3", "1"},
      {"SETBIT", "k", "20", "0"},
      {"SETBIT", "k", "3", "0"},
      {"BITOP", "OR", "d", "k"},
      {"BITOP", "AND", "d", "m1"},
      {"BITFIELD", "k", "INCRBY", "u8", "0", "1", "GET", "u8", "0"},
      {"BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u4", "0", "100"},
  };
  auto got = aof.logged();
  BOOST_TEST(got.size() == want.size());
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i)
    BOOST_TEST(got[i] == want[i], boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
