// Fuzz target: the RDB loader (src/persist/rdb.cpp, Redis 7.0 RDB v10 and the older encodings
// it reads). The input is a whole RDB file; the CRC64 check is off so mutations reach the
// value decoders. Invariants: no crash, and whatever loads saves again and reloads to the
// same keys (writer and loader agree).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_harness.hpp"
#include "kvd/persist/rdb.hpp"
#include "kvd/store/keyspace.hpp"

namespace {

/// Empties `ks` as FLUSHALL does, visiting only the databases that hold keys.
void clear(kvd::store::keyspace& ks) {
  for (int i = 0; i < ks.databases(); ++i)
    if (ks.db(i).size_nolock() != 0) ks.db(i).clear();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Built once and emptied after each input (16 databases of 32 shards: building two per
  // input was a third of the time); the round-trip file is one memfd, rewound each time.
  static kvd::store::keyspace ks(16), again(16);
  static const int fd = ::memfd_create("kvd-fuzz-rdb", 0);
  kvd::fuzz::check(fd >= 0, "memfd_create");
  struct cleanup {
    ~cleanup() {
      clear(ks);
      clear(again);
    }
  } emptied_on_return;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  kvd::persist::rdb_load_limits lim;
  lim.verify_checksum = false;
  auto res = kvd::persist::rdb_load_buffer(ks, input, "fuzz.rdb", lim);
  if (!res.ok) {
    kvd::fuzz::check(!res.error.empty(), "failed load without an error text");
    return 0;
  }
  // Round trip: save what loaded (single-threaded here: no other lock holder) and load it.
  kvd::fuzz::check(::ftruncate(fd, 0) == 0 && ::lseek(fd, 0, SEEK_SET) == 0, "rewinding the memfd");
  std::string error;
  kvd::persist::rdb_save_options opt;
  kvd::fuzz::check(kvd::persist::rdb_write_fd(ks, fd, opt, error), "saving a loaded keyspace failed");
  off_t len = ::lseek(fd, 0, SEEK_END);
  std::string copy(static_cast<std::size_t>(len), '\0');
  kvd::fuzz::check(::pread(fd, copy.data(), copy.size(), 0) == len, "pread");
  kvd::persist::rdb_load_limits strict;  // the written file carries a valid CRC64
  auto res2 = kvd::persist::rdb_load_buffer(again, copy, "fuzz-roundtrip.rdb", strict);
  if (!res2.ok) std::fprintf(stderr, "%s\n", res2.error.c_str());
  kvd::fuzz::check(res2.ok, "kvd cannot load the RDB it wrote");
  // Keys whose expire passes between the two loads are skipped by the second one.
  std::size_t before = 0, after = 0, volatile_keys = 0;
  for (int i = 0; i < ks.databases(); ++i) {
    before += ks.db(i).size();
    volatile_keys += ks.db(i).expires_size();
    after += again.db(i).size();
  }
  kvd::fuzz::check(after <= before && after + volatile_keys >= before, "round trip changed the number of keys");
  return 0;
}
