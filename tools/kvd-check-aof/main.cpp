// kvd-check-aof [--fix [-y]] <appendonlydir | manifest | file.aof>
//
// Checks an append-only file as kvd would load it (Redis 7.0 multi-part layout: manifest ->
// base -> incr files) and prints, per file, the number of valid records and the first problem
// with its byte offset. Exit status 0 when every file is valid, 1 otherwise.
// --fix cuts the last file in load order (the last incr file) at its first problem, a record
// torn by a crash, after asking for confirmation unless -y is given; as redis-check-aof, the
// bytes after that offset are lost. Problems in any other file cannot be fixed by cutting.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "kvd/command/command_table.hpp"
#include "kvd/persist/aof_check.hpp"

namespace {

void usage(std::FILE* to) {
  std::fprintf(to,
               "Usage: kvd-check-aof [--fix [-y]] <appendonlydir | file.manifest | file.aof>\n"
               "  Checks every file of the AOF (manifest, base, incr files) and prints per file the number\n"
               "  of valid records and the first problem with its byte offset. Exit 0 when valid, 1 otherwise.\n"
               "  --fix   cut the last incr file at its first problem (a torn tail), after confirmation\n"
               "  -y      do not ask for confirmation\n");
}

}  // namespace

int main(int argc, char** argv) {
  bool fix = false, yes = false;
  std::string target;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--fix") fix = true;
    else if (a == "-y" || a == "--yes") yes = true;
    else if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a == "-v" || a == "--version") {
      std::printf("kvd-check-aof %s\n", KVD_VERSION);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "kvd-check-aof: unknown option %s\n", a.c_str());
      usage(stderr);
      return 1;
    } else if (target.empty()) target = a;
    else {
      usage(stderr);
      return 1;
    }
  }
  if (target.empty()) {
    usage(stderr);
    return 1;
  }

  kvd::command::command_table table;
  kvd::command::register_all_families(table);
  auto known = [&table](std::string_view name) { return table.find(name) != nullptr; };
  auto rep = kvd::persist::check_aof(target, known);
  if (!rep.error.empty()) {
    std::printf("%s\n", rep.error.c_str());
    std::printf("AOF is not valid.\n");
    return 1;
  }
  if (!rep.manifest.empty()) std::printf("Manifest: %s (%zu files)\n", rep.manifest.c_str(), rep.files.size());
  const kvd::persist::aof_file_check* bad = nullptr;
  for (auto& f : rep.files) {
    if (f.ok) {
      std::printf("%s: %llu valid records, %llu bytes: OK\n", f.path.c_str(),
                  static_cast<unsigned long long>(f.records), static_cast<unsigned long long>(f.size));
    } else {
      std::printf("%s: %llu valid records, first problem at byte offset %llu of %llu: %s\n", f.path.c_str(),
                  static_cast<unsigned long long>(f.records), static_cast<unsigned long long>(f.valid_upto),
                  static_cast<unsigned long long>(f.size), f.problem.c_str());
      if (!bad) bad = &f;
    }
  }
  if (!bad) {
    std::printf("AOF is valid.\n");
    return 0;
  }
  if (!fix) {
    std::printf("AOF is not valid.%s\n",
                bad->last && bad->size > 0 ? " Use the --fix option to try fixing it." : "");
    return 1;
  }
  if (!bad->last || bad->size == 0) {
    std::printf("AOF is not valid: the problem is in %s, which is not the last file; --fix only cuts the last "
                "incr file. Restore that file from a backup.\n",
                bad->path.c_str());
    return 1;
  }
  auto lost = bad->size - bad->valid_upto;
  std::printf("This will shrink the AOF file %s from %llu bytes, with %llu bytes, to %llu bytes\n", bad->path.c_str(),
              static_cast<unsigned long long>(bad->size), static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(bad->valid_upto));
  if (!yes) {
    std::printf("Continue? [y/N]: ");
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
      std::printf("Aborting...\n");
      return 1;
    }
  }
  if (::truncate(bad->path.c_str(), static_cast<off_t>(bad->valid_upto)) != 0) {
    std::perror(("kvd-check-aof: cannot truncate " + bad->path).c_str());
    return 1;
  }
  std::printf("Successfully truncated AOF file %s\n", bad->path.c_str());
  return 0;
}
