// Fuzz target: the AOF loader (persist::load_aof, Redis 7.0 multi-part AOF) and replay. The
// input is the content of one incr file behind a fixed manifest, written to a private
// directory; every command it holds is replayed through the real dispatcher, as start-up does
// (src/server/server.cpp). Invariants: no crash; a failed load names the file and an offset;
// with aof-load-truncated yes a torn tail is cut and the load succeeds.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_harness.hpp"
#include "kvd/persist/aof.hpp"

namespace {

void write_file(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  kvd::fuzz::check(fd >= 0, "cannot create the fuzz AOF file");
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    kvd::fuzz::check(n > 0, "cannot write the fuzz AOF file");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static kvd::fuzz::server srv;
  static const kvd::persist::aof_paths paths{srv.config().dir, "appendonlydir", "appendonly.aof"};
  static bool ready = [] {
    ::mkdir(paths.folder().c_str(), 0755);
    write_file(paths.manifest(), "file appendonly.aof.1.incr.aof seq 1 type i\n");
    return true;
  }();
  (void)ready;
  srv.reset();
  if (size == 0) return 0;
  // The first byte picks aof-load-truncated; the rest is the incr file.
  bool load_truncated = data[0] & 1;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  write_file(paths.folder() + "/appendonly.aof.1.incr.aof", body);
  auto res = kvd::persist::load_aof(paths, load_truncated, [&](std::span<const std::string_view> args) {
    kvd::fuzz::check(!args.empty(), "empty command from the loader");
    if (!srv.state().table.find(args[0])) return "Unknown command '" + std::string(args[0].substr(0, 128)) + "'";
    srv.client().replaying_aof = true;
    srv.run(std::vector<std::string_view>(args.begin(), args.end()));
    return std::string();
  });
  if (!res.ok) {
    kvd::fuzz::check(res.error.find("appendonly.aof.1.incr.aof") != std::string::npos || res.error.find("Unknown command") != std::string::npos,
                     "load error does not name the file");
  }
  return 0;
}
