// kvd-check-rdb <dump.rdb>
//
// Checks an RDB file as kvd would load it (persist::rdb_check_file: the server's own loader,
// every value built and dropped) and reports in redis-check-rdb's (Redis 7.0) format:
//
//   [offset 0] Checking RDB file dump.rdb
//   [offset 27] AUX FIELD redis-ver = '7.0.15'
//   [offset 82] Selecting DB ID 0
//   [offset 196] Checksum OK
//   [offset 196] \o/ RDB looks OK! \o/
//   [info] 7 keys read
//   [info] 1 expires
//   [info] 0 already expired
//
// On a problem: "--- RDB ERROR DETECTED ---", "[offset N] <reason>", what it was doing and
// the record type being read, the counts so far, and exit status 1. Never modifies the file.
#include <cstdio>
#include <string>

#include "kvd/persist/rdb.hpp"

namespace {

void usage(std::FILE* to) {
  std::fprintf(to,
               "Usage: kvd-check-rdb <rdb-file-name>\n"
               "  Checks an RDB file (Redis 7.0 / kvd dump.rdb): every record, value encoding and the CRC64.\n"
               "  Exit 0 when the file loads, 1 otherwise (the offset and the reason are printed).\n");
}

void counts(const kvd::persist::rdb_check_report& rep) {
  std::printf("[info] %llu keys read\n", static_cast<unsigned long long>(rep.keys));
  std::printf("[info] %llu expires\n", static_cast<unsigned long long>(rep.expires));
  std::printf("[info] %llu already expired\n", static_cast<unsigned long long>(rep.already_expired));
}

}  // namespace

int main(int argc, char** argv) {
  std::string target;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    }
    if (a == "-v" || a == "--version") {
      std::printf("kvd-check-rdb %s\n", KVD_VERSION);
      return 0;
    }
    if ((!a.empty() && a[0] == '-' && a != "-") || !target.empty()) {
      usage(stderr);
      return 1;
    }
    target = a;
  }
  if (target.empty()) {
    usage(stderr);
    return 1;
  }

  std::printf("[offset 0] Checking RDB file %s\n", target.c_str());
  auto rep = kvd::persist::rdb_check_file(target, [](std::size_t off, const std::string& text) {
    std::printf("[offset %zu] %s\n", off, text.c_str());
  });
  if (rep.ok) {
    if (rep.version >= 5) {
      if (rep.checksum) std::printf("[offset %zu] Checksum OK\n", rep.end);
      else std::printf("[offset %zu] RDB file was saved with checksum disabled: no check performed.\n", rep.end);
    }
    std::printf("[offset %zu] \\o/ RDB looks OK! \\o/\n", rep.end);
    counts(rep);
    return 0;
  }
  std::printf("--- RDB ERROR DETECTED ---\n");
  std::printf("[offset %zu] %s\n", rep.error_offset, rep.error.c_str());
  if (!rep.doing.empty()) std::printf("[additional info] While doing: %s\n", rep.doing.c_str());
  if (rep.type >= 0)
    std::printf("[additional info] Reading type %d (%s)\n", rep.type,
                std::string(kvd::persist::rdb_type_name(rep.type)).c_str());
  counts(rep);
  return 1;
}
