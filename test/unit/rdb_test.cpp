// persist/rdb: CRC64 check value, round trip of every type and encoding through a file, the
// loader's errors (with offsets) on every truncation and on corrupt bytes.
#define BOOST_TEST_MODULE rdb
#include <boost/test/unit_test.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "kvd/persist/rdb.hpp"
#include "kvd/store/hash.hpp"
#include "kvd/store/list.hpp"
#include "kvd/store/set.hpp"
#include "kvd/store/zset.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/hash.hpp"

namespace fs = std::filesystem;
using namespace kvd;
using namespace kvd::persist;

namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/kvd-rdb-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { fs::remove_all(path); }
};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A canonical text of the whole keyspace: db, key, type, encoding, sorted elements, expire.
std::string dump(store::keyspace& ks) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < ks.databases(); ++i) {
    ks.db(i).for_each([&](std::string_view k, const store::value& v, std::int64_t exp) {
      std::vector<std::string> el;
      store::listpack::int_buf b;
      switch (v.type()) {
        case store::value_type::string: el.emplace_back(v.str()); break;
        case store::value_type::list: {
          auto* l = static_cast<const store::list_value*>(v.obj());
          int n = 0;
          for (auto it = l->at(0); it.valid(); it.next()) el.push_back(std::to_string(n++) + ":" + std::string(it.get(b)));
          break;
        }
        case store::value_type::set:
          static_cast<const store::set_object*>(v.obj())->for_each([&](const store::set_member& m) { el.emplace_back(m.view()); });
          break;
        case store::value_type::hash:
          store::hash(v).for_each([&](std::string_view f, std::string_view x) { el.push_back(std::string(f) + "=" + std::string(x)); });
          break;
        case store::value_type::zset:
          static_cast<const store::zset*>(v.obj())->walk(0, false, [&](std::string_view m, double s) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", s);
            el.push_back(std::string(m) + "@" + buf);
            return true;
          });
          break;
      }
      std::sort(el.begin(), el.end());
      std::string s = std::string(store::type_name(v.type())) + "/" + std::string(v.encoding()) + " exp=" + std::to_string(exp) + " [";
      for (auto& e : el) s += e + ",";
      out[std::to_string(i) + ":" + std::string(k)] = s + "]";
    });
  }
  std::string all;
  for (auto& [k, v] : out) all += k + " " + v + "\n";
  return all;
}

void put(store::keyspace& ks, int db, const std::string& key, store::value v, std::int64_t exp = -1) {
  auto& d = ks.db(db);
  std::lock_guard lk(d.shard_at(store::database::shard_index(util::hash_bytes(key))).mu);
  d.set(key, std::move(v));
  if (exp >= 0) d.set_expire(key, exp);
}

void fill(store::keyspace& ks) {
  using store::value;
  using store::value_type;
  put(ks, 0, "s:small", value::make_string("hello"));
  put(ks, 0, "s:int8", value::make_string("-12"));
  put(ks, 0, "s:int16", value::make_string("30000"));
  put(ks, 0, "s:int32", value::make_string("-2000000000"));
  put(ks, 0, "s:int64", value::make_string("9223372036854775807"));
  put(ks, 0, "s:notint", value::make_string("012"));
  put(ks, 0, "s:empty", value::make_string(""));
  put(ks, 0, "s:long", value::make_string(std::string(5000, 'a') + "xyz"), util::now_ms() + 3'600'000);
  std::string bin;
  for (int i = 0; i < 300; ++i) bin.push_back(static_cast<char>(i * 7));
  put(ks, 1, "s:bin", value::make_string(bin));

  auto small_list = std::make_unique<store::list_value>(-2);
  for (int i = 0; i < 5; ++i) small_list->push(store::list_value::end::tail, i % 2 ? std::to_string(i) : "e" + std::to_string(i));
  put(ks, 0, "l:small", value::make_collection(value_type::list, std::move(small_list)));
  auto big_list = std::make_unique<store::list_value>(-2);
  for (int i = 0; i < 5000; ++i) big_list->push(store::list_value::end::tail, "element-" + std::to_string(i));
  put(ks, 2, "l:big", value::make_collection(value_type::list, std::move(big_list)), util::now_ms() + 100'000);

  auto is = store::set_object::create_for("1");
  for (int i = -5; i < 50; ++i) is->add(std::to_string(i * 1000003), 512);
  put(ks, 0, "set:int", value::make_collection(value_type::set, std::move(is)));
  auto hs = store::set_object::create_for("a");
  for (int i = 0; i < 1000; ++i) hs->add("m" + std::to_string(i), 512);
  put(ks, 0, "set:str", value::make_collection(value_type::set, std::move(hs)));
  auto bigint = store::set_object::create_for("1");
  for (int i = 0; i < 600; ++i) bigint->add(std::to_string(i), 512);
  put(ks, 3, "set:bigint", value::make_collection(value_type::set, std::move(bigint)));

  store::hash_limits hl;
  auto h1 = store::hash::make();
  store::hash(h1).set("f1", "v1", hl);
  store::hash(h1).set("n", "42", hl);
  put(ks, 0, "h:small", std::move(h1), util::now_ms() + 50'000);
  auto h2 = store::hash::make();
  for (int i = 0; i < 1000; ++i) store::hash(h2).set("field:" + std::to_string(i), std::to_string(i * 3), hl);
  put(ks, 0, "h:big", std::move(h2));
  auto h3 = store::hash::make();
  store::hash(h3).set("k", std::string(100, 'z'), hl);
  put(ks, 0, "h:longval", std::move(h3));

  store::zset_limits zl;
  int out;
  double ns;
  auto z1 = std::make_unique<store::zset>();
  z1->add(1.5, "a", 0, out, ns, zl);
  z1->add(-3, "b", 0, out, ns, zl);
  z1->add(std::numeric_limits<double>::infinity(), "c", 0, out, ns, zl);
  z1->add(0.1, "d", 0, out, ns, zl);
  put(ks, 0, "z:small", value::make_collection(value_type::zset, std::move(z1)));
  auto z2 = std::make_unique<store::zset>();
  for (int i = 0; i < 500; ++i) z2->add(i * 0.25 - 7, "member-" + std::to_string(i), 0, out, ns, zl);
  put(ks, 5, "z:big", value::make_collection(value_type::zset, std::move(z2)));
}

std::string save_to(store::keyspace& ks, const temp_dir& d, rdb_save_options opt = {}) {
  std::string path = d.path + "/dump.rdb";
  std::string err;
  BOOST_REQUIRE_MESSAGE(rdb_save(ks, path, opt, err), err);
  return path;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rdb)

BOOST_AUTO_TEST_CASE(crc64_check_value) {
  BOOST_TEST(crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
  // Chained calls equal one call.
  BOOST_TEST(crc64(crc64(0, "1234", 4), "56789", 5) == 0xe9c6d914c4b8d9caULL);
}

BOOST_AUTO_TEST_CASE(round_trip_every_type) {
  temp_dir d;
  for (bool comp : {true, false}) {
    store::keyspace a(16);
    fill(a);
    rdb_save_options opt;
    opt.compression = comp;
    auto path = save_to(a, d, opt);
    auto bytes = slurp(path);
    BOOST_TEST(bytes.substr(0, 9) == "REDIS0010");
    BOOST_TEST(!fs::exists(d.path + "/temp-" + std::to_string(::getpid()) + ".rdb"));
    store::keyspace b(16);
    auto res = rdb_load(b, path, {});
    BOOST_TEST_REQUIRE(res.ok, res.error);
    BOOST_TEST(res.redis_ver == "7.0.15");
    BOOST_TEST(res.version == 10);
    BOOST_TEST(dump(a) == dump(b));
    BOOST_TEST(res.keys == 19u);
  }
}

BOOST_AUTO_TEST_CASE(compression_shrinks_and_expired_keys_skipped) {
  temp_dir d;
  store::keyspace a(16);
  put(a, 0, "big", store::value::make_string(std::string(100000, 'q')));
  put(a, 0, "gone", store::value::make_string("x"), util::now_ms() - 10);
  auto path = save_to(a, d);
  BOOST_TEST(fs::file_size(path) < 5000u);
  store::keyspace b(16);
  auto res = rdb_load(b, path, {});
  BOOST_TEST_REQUIRE(res.ok, res.error);
  BOOST_TEST(res.keys == 1u);
  BOOST_TEST(res.expired == 1u);
}

BOOST_AUTO_TEST_CASE(missing_file_is_not_an_error) {
  store::keyspace b(16);
  auto res = rdb_load(b, "/nonexistent/dir/dump.rdb", {});
  BOOST_TEST(res.ok);
  BOOST_TEST(res.missing);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error_with_offset) {
  temp_dir d;
  store::keyspace a(16);
  fill(a);
  auto bytes = slurp(save_to(a, d));
  // 500 prefixes spread over the file, plus the last 16 bytes one by one: each fails cleanly.
  std::vector<std::size_t> cuts;
  for (std::size_t n = 0; n < bytes.size(); n += bytes.size() / 500 + 1) cuts.push_back(n);
  for (std::size_t n = bytes.size() > 16 ? bytes.size() - 16 : 0; n < bytes.size(); ++n) cuts.push_back(n);
  for (auto n : cuts) {
    store::keyspace b(16);
    auto res = rdb_load_buffer(b, std::string_view(bytes).substr(0, n), "cut.rdb", {});
    BOOST_TEST_REQUIRE(!res.ok, "prefix " << n << " loaded");
    BOOST_TEST(res.error.find("cut.rdb at offset ") != std::string::npos);
    BOOST_TEST(res.error.find("redis-check-rdb") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(corrupt_bytes_are_errors_never_crashes) {
  temp_dir d;
  store::keyspace a(16);
  fill(a);
  auto bytes = slurp(save_to(a, d));
  // With the checksum verified, any flipped byte is an error.
  for (std::size_t i = 9; i < bytes.size(); i += bytes.size() / 400 + 1) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    store::keyspace b(16);
    auto res = rdb_load_buffer(b, bad, "bad.rdb", {});
    BOOST_TEST_REQUIRE(!res.ok, "flip at " << i << " loaded");
    BOOST_TEST(res.error.find("at offset") != std::string::npos);
  }
  // Without verification the parser alone must fail cleanly or load (never crash).
  rdb_load_limits nock;
  nock.verify_checksum = false;
  for (std::size_t i = 9; i < bytes.size(); i += bytes.size() / 400 + 1) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0xff);
    store::keyspace b(16);
    (void)rdb_load_buffer(b, bad, "bad.rdb", nock);
  }
  // A wrong checksum names the cause.
  std::string bad = bytes;
  bad[bad.size() - 1] ^= 1;
  store::keyspace b(16);
  auto res = rdb_load_buffer(b, bad, "bad.rdb", {});
  BOOST_TEST(!res.ok);
  BOOST_TEST(res.error.find("wrong RDB checksum") != std::string::npos);
  BOOST_TEST(res.error.find("offset " + std::to_string(bytes.size() - 8)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(checksum_off_writes_zero) {
  temp_dir d;
  store::keyspace a(16);
  fill(a);
  rdb_save_options opt;
  opt.checksum = false;
  auto bytes = slurp(save_to(a, d, opt));
  BOOST_TEST(bytes.substr(bytes.size() - 8) == std::string(8, '\0'));
  store::keyspace b(16);
  auto res = rdb_load_buffer(b, bytes, "x", {});
  BOOST_TEST_REQUIRE(res.ok, res.error);
  BOOST_TEST(dump(a) == dump(b));
}

BOOST_AUTO_TEST_CASE(rejects_modules_functions_and_bad_headers) {
  auto with_crc = [](std::string s) {
    auto c = crc64(0, s.data(), s.size());
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(c >> (8 * i)));
    return s;
  };
  store::keyspace b(16);
  auto r1 = rdb_load_buffer(b, with_crc(std::string("REDIS0010") + char(246)), "f.rdb", {});
  BOOST_TEST(!r1.ok);
  BOOST_TEST(r1.error.find("functions") != std::string::npos);
  auto r2 = rdb_load_buffer(b, with_crc(std::string("REDIS0010") + char(247)), "m.rdb", {});
  BOOST_TEST(!r2.ok);
  BOOST_TEST(r2.error.find("module") != std::string::npos);
  auto r3 = rdb_load_buffer(b, "NOTREDIS0", "n.rdb", {});
  BOOST_TEST(!r3.ok);
  BOOST_TEST(r3.error.find("offset 0") != std::string::npos);
  auto r4 = rdb_load_buffer(b, with_crc(std::string("REDIS0011") + char(255)), "v.rdb", {});
  BOOST_TEST(!r4.ok);
  // A length that claims more than the file holds.
  auto r5 = rdb_load_buffer(b, with_crc(std::string("REDIS0010") + char(2) + char(1) + "k" + char(0x80) + "\x7f\xff\xff\xff"), "l.rdb", {});
  BOOST_TEST(!r5.ok);
  BOOST_TEST(r5.error.find("exceeds the bytes left") != std::string::npos);
  // An empty file with just the header and EOF loads nothing.
  auto r6 = rdb_load_buffer(b, with_crc(std::string("REDIS0010") + char(255)), "e.rdb", {});
  BOOST_TEST(r6.ok, r6.error);
}


namespace {

/// A ziplist (Redis <= 6.2 encoding) of `entries`, each already encoded (encoding byte(s) + data).
std::string ziplist(const std::vector<std::string>& entries) {
  std::string body;
  std::size_t prev = 0, tail = 10;
  for (auto& e : entries) {
    tail = 10 + body.size();
    body.push_back(static_cast<char>(prev));
    body += e;
    prev = 1 + e.size();
  }
  std::string zl(10, '\0');
  zl += body;
  zl.push_back('\xff');
  auto put32 = [&](std::size_t at, std::size_t v) {
    for (int i = 0; i < 4; ++i) zl[at + i] = static_cast<char>(v >> (8 * i));
  };
  put32(0, zl.size());
  put32(4, tail);
  zl[8] = static_cast<char>(entries.size());
  return zl;
}
std::string zl_str(std::string_view s) { return std::string(1, static_cast<char>(s.size())) + std::string(s); }
std::string rdb_str(std::string_view s) { return std::string(1, static_cast<char>(s.size())) + std::string(s); }

std::string rdb_file(int version, const std::string& body) {
  std::string f = "REDIS000" + std::to_string(version) + body + "\xff";
  auto c = crc64(0, f.data(), f.size());
  for (int i = 0; i < 8; ++i) f.push_back(static_cast<char>(c >> (8 * i)));
  return f;
}

}  // namespace

BOOST_AUTO_TEST_CASE(loads_old_compact_encodings) {
  // Ziplist entries: "a", immediate 5, int16 300, "hello".
  std::string zl = ziplist({zl_str("a"), "\xf6", std::string("\xc0\x2c\x01", 3), zl_str("hello")});
  std::string body;
  body += std::string("\x0a") + rdb_str("l_zl") + rdb_str(zl);                       // list ziplist
  body += std::string("\x0e") + rdb_str("l_ql") + "\x01" + rdb_str(zl);               // quicklist v1
  body += std::string("\x0d") + rdb_str("h_zl") + rdb_str(ziplist({zl_str("f"), zl_str("v"), zl_str("n"), "\xf8"}));
  std::string zm = std::string("\x02\x01") + "f" + "\x01" + std::string(1, '\0') + "v" + "\x02" + "nn" + "\x01" +
                   std::string(1, '\0') + "7" + "\xff";
  body += std::string("\x09") + rdb_str("h_zm") + rdb_str(zm);                        // zipmap
  body += std::string("\x0c") + rdb_str("z_zl") + rdb_str(ziplist({zl_str("m"), zl_str("1.5"), zl_str("k"), "\xf4"}));
  body += std::string("\x03") + rdb_str("z_txt") + "\x02" + rdb_str("a") + "\x03" + "2.5" + rdb_str("b") + "\xfe";
  // Intset of width 2: -1, 7.
  std::string is = std::string("\x02\0\0\0\x02\0\0\0", 8) + std::string("\xff\xff\x07\x00", 4);
  body += std::string("\x0b") + rdb_str("s_is") + rdb_str(is);
  // EXPIRETIME (seconds) far in the future, then a string.
  body += std::string("\xfd") + std::string("\x00\x00\x00\x7f", 4) + std::string(1, '\0') + rdb_str("s_exp") + rdb_str("x");
  store::keyspace b(16);
  auto res = rdb_load_buffer(b, rdb_file(9, body), "old.rdb", {});
  BOOST_TEST_REQUIRE(res.ok, res.error);
  BOOST_TEST(res.keys == 8u);
  auto d = dump(b);
  BOOST_TEST(d.find("0:l_zl list/quicklist exp=-1 [0:a,1:5,2:300,3:hello,]") != std::string::npos, d);
  BOOST_TEST(d.find("0:l_ql list/quicklist exp=-1 [0:a,1:5,2:300,3:hello,]") != std::string::npos, d);
  BOOST_TEST(d.find("0:h_zl hash/listpack exp=-1 [f=v,n=7,]") != std::string::npos, d);
  BOOST_TEST(d.find("0:h_zm hash/listpack exp=-1 [f=v,nn=7,]") != std::string::npos, d);
  BOOST_TEST(d.find("0:z_zl zset/listpack exp=-1 [k@3,m@1.5,]") != std::string::npos, d);
  BOOST_TEST(d.find("0:z_txt zset/listpack exp=-1 [a@2.5,b@inf,]") != std::string::npos, d);
  BOOST_TEST(d.find("0:s_is set/intset exp=-1 [-1,7,]") != std::string::npos, d);
  BOOST_TEST(d.find("0:s_exp string/embstr exp=2130706432000 [x,]") != std::string::npos, d);
  // A ziplist whose entry runs past its end is an error, not a crash.
  std::string badzl = zl;
  badzl[10 + 1] = 0x30;  // first entry claims 48 bytes
  auto r2 = rdb_load_buffer(b, rdb_file(9, std::string("\x0a") + rdb_str("x") + rdb_str(badzl)), "bad.rdb", {});
  BOOST_TEST(!r2.ok);
  BOOST_TEST(r2.error.find("ziplist") != std::string::npos, r2.error);
}

// ---- DUMP payloads (one codec with the file) ----

BOOST_AUTO_TEST_CASE(dump_payload_round_trip_every_value) {
  store::keyspace a(16), b(16);
  fill(a);
  int n = 0;
  for (int i = 0; i < a.databases(); ++i) {
    a.db(i).for_each([&](std::string_view k, const store::value& v, std::int64_t exp) {
      std::string p = dump_payload(v, true);
      BOOST_TEST_CONTEXT(k) {
        // Footer: version 10 little-endian, then the CRC64 of everything before it.
        BOOST_TEST_REQUIRE(p.size() > 10u);
        BOOST_TEST(p[p.size() - 10] == '\x0a');
        BOOST_TEST(p[p.size() - 9] == '\0');
        std::uint64_t crc = 0;
        for (int j = 7; j >= 0; --j) crc = (crc << 8) | static_cast<unsigned char>(p[p.size() - 8 + static_cast<std::size_t>(j)]);
        BOOST_TEST(crc == crc64(0, p.data(), p.size() - 8));
        BOOST_TEST((check_payload(p) == payload_status::ok));
        store::value out;
        BOOST_TEST_REQUIRE((restore_payload(p, {}, out) == payload_status::ok));
        // Same bytes again, except for hashtables, whose iteration order depends on their history.
        if (out.encoding() != "hashtable") BOOST_TEST(dump_payload(out, true) == p);
        put(b, i, std::string(k), std::move(out), exp);
        ++n;
      }
    });
  }
  BOOST_TEST(n > 10);
  BOOST_TEST(dump(a) == dump(b));
  // Uncompressed payloads load the same values.
  store::value big = store::value::make_string(std::string(5000, 'a'));
  auto pc = dump_payload(big, true), pu = dump_payload(big, false);
  BOOST_TEST(pc.size() < 200u);
  BOOST_TEST(pu.size() > 5000u);
  store::value o1, o2;
  BOOST_TEST((restore_payload(pc, {}, o1) == payload_status::ok));
  BOOST_TEST((restore_payload(pu, {}, o2) == payload_status::ok));
  BOOST_TEST(o1.str() == o2.str());
}

BOOST_AUTO_TEST_CASE(dump_payload_corruption) {
  store::keyspace a(16);
  fill(a);
  std::vector<std::string> payloads;
  for (int i = 0; i < a.databases(); ++i)
    a.db(i).for_each([&](std::string_view, const store::value& v, std::int64_t) { payloads.push_back(dump_payload(v, true)); });
  for (auto& p : payloads) {
    // Any flipped bit and any truncation fails the footer check, before decoding.
    for (std::size_t i = 0; i < p.size(); i += p.size() / 64 + 1) {
      std::string bad = p;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      store::value out;
      BOOST_TEST((restore_payload(bad, {}, out) == payload_status::bad_version_or_checksum));
      BOOST_TEST((restore_payload(std::string_view(p).substr(0, i), {}, out) == payload_status::bad_version_or_checksum));
    }
  }
  auto refooter = [](std::string body, int ver) {
    body.push_back(static_cast<char>(ver & 0xff));
    body.push_back(static_cast<char>(ver >> 8));
    auto c = crc64(0, body.data(), body.size());
    for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(c >> (8 * i)));
    return body;
  };
  store::value out;
  std::string body("\x00\x05hello", 7);
  BOOST_TEST((restore_payload(refooter(body, 11), {}, out) == payload_status::bad_version_or_checksum));
  BOOST_TEST((restore_payload(refooter(body, 0x100 + 10), {}, out) == payload_status::bad_version_or_checksum));
  BOOST_TEST((restore_payload(refooter(body, 6), {}, out) == payload_status::ok));
  BOOST_TEST(out.str() == "hello");
  BOOST_TEST((check_payload("short") == payload_status::bad_version_or_checksum));
  // A valid footer around contents that do not decode: every prefix of every body, and bytes
  // flipped inside bodies, are bad_format or decode (never crash).
  for (auto& p : payloads) {
    std::string_view b(p.data(), p.size() - 10);
    for (std::size_t n = 0; n < b.size(); n += b.size() / 50 + 1) {
      auto r = restore_payload(refooter(std::string(b.substr(0, n)), 10), {}, out);
      BOOST_TEST((r == payload_status::bad_format || r == payload_status::ok));
    }
    for (std::size_t i = 0; i < b.size(); i += b.size() / 50 + 1) {
      std::string x(b);
      x[i] = static_cast<char>(x[i] ^ 0xff);
      auto r = restore_payload(refooter(x, 10), {}, out);
      BOOST_TEST((r == payload_status::bad_format || r == payload_status::ok));
    }
  }
  BOOST_TEST((restore_payload(refooter(std::string("\x02\x00", 2), 10), {}, out) == payload_status::bad_format));  // empty set
  BOOST_TEST((restore_payload(refooter(std::string("\x15\x00", 2), 10), {}, out) == payload_status::bad_format));  // stream
  BOOST_TEST((restore_payload(refooter(std::string("\xfe\x00", 2), 10), {}, out) == payload_status::bad_format));  // an opcode
}

// ---- kvd-check-rdb's walker ----

BOOST_AUTO_TEST_CASE(check_reports_counts_and_offsets) {
  temp_dir d;
  store::keyspace a(16);
  fill(a);
  put(a, 0, "expired", store::value::make_string("x"), util::now_ms() - 1000);  // written, counted
  auto bytes = slurp(save_to(a, d));
  std::vector<std::pair<std::size_t, std::string>> notes;
  auto rep = rdb_check_buffer(bytes, [&](std::size_t off, const std::string& t) { notes.emplace_back(off, t); });
  BOOST_TEST_REQUIRE(rep.ok, rep.error);
  BOOST_TEST(rep.version == 10);
  BOOST_TEST(rep.checksum);
  BOOST_TEST(rep.end == bytes.size());
  BOOST_TEST(rep.already_expired == 1u);  // the writer keeps an expired key not reclaimed yet
  BOOST_TEST(rep.keys - rep.already_expired == 19u);
  BOOST_TEST(rep.expires - rep.already_expired == 3u);
  BOOST_TEST_REQUIRE(notes.size() >= 6u);
  BOOST_TEST(notes[0].second == "AUX FIELD redis-ver = '7.0.15'");
  BOOST_TEST(notes[0].first == 27u);  // as redis-check-rdb: the offset after the field
  bool sel = false;
  for (auto& [off, t] : notes) sel |= t == "Selecting DB ID 5";
  BOOST_TEST(sel);

  // Truncations and flipped bytes: an error with an offset inside the file, never a crash.
  for (std::size_t n = 0; n < bytes.size(); n += bytes.size() / 200 + 1) {
    auto r = rdb_check_buffer(std::string_view(bytes).substr(0, n), {});
    BOOST_TEST_REQUIRE(!r.ok, "prefix " << n);
    BOOST_TEST(r.error_offset <= n);
    BOOST_TEST(!r.doing.empty());
  }
  std::string bad = bytes;
  bad[bad.size() - 3] ^= 0x10;
  auto r = rdb_check_buffer(bad, {});
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.doing == "check-sum");
  BOOST_TEST(r.error_offset == bytes.size() - 8);
  BOOST_TEST(r.keys == rep.keys);

  rdb_save_options nock;
  nock.checksum = false;
  auto r2 = rdb_check_buffer(slurp(save_to(a, d, nock)), {});
  BOOST_TEST(r2.ok);
  BOOST_TEST(!r2.checksum);
  BOOST_TEST(rdb_type_name(11) == "set-intset");
  BOOST_TEST(rdb_type_name(99) == "unknown");
  auto r3 = rdb_check_file(d.path + "/nonexistent.rdb", {});
  BOOST_TEST(!r3.ok);
  BOOST_TEST(r3.error.find("nonexistent.rdb") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(load_progress_is_reported) {
  temp_dir d;
  store::keyspace a(16);
  fill(a);
  auto path = save_to(a, d);
  loading_progress prog;
  rdb_load_limits lim;
  lim.progress = &prog;
  store::keyspace b(16);
  auto res = rdb_load(b, path, lim);
  BOOST_TEST_REQUIRE(res.ok, res.error);
  BOOST_TEST(prog.total_bytes.load() == fs::file_size(path));
  BOOST_TEST(prog.loaded_bytes.load() == fs::file_size(path));
  BOOST_TEST(prog.rdb_used_mem.load() == 0u);  // rdb_save_options::used_memory default
}

BOOST_AUTO_TEST_SUITE_END()
