// Checking an AOF without loading it (kvd-check-aof; Redis's redis-check-aof is the model):
// every file of a Redis 7.0 multi-part AOF (manifest -> base -> incr files) is scanned with
// the server's own RESP parser (protocol::resp_parser, as load_aof uses), counting the
// records that parse and stopping at the first problem, with its byte offset.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::persist {

/// The outcome of scanning one AOF file.
struct aof_file_check {
  std::string path;           ///< the file's path
  std::uint64_t size = 0;     ///< its size in bytes
  std::uint64_t records = 0;  ///< records that parsed (and named a known command) before any problem
  std::uint64_t valid_upto = 0;  ///< byte offset where the valid prefix ends (== size when ok)
  bool ok = true;
  bool torn_tail = false;     ///< the problem is a record cut short by the end of the file
  bool last = false;          ///< the last file in load order (the only one --fix may cut)
  std::string problem;        ///< the first problem, "" when ok
};

/// What check_aof found.
struct aof_check_report {
  bool ok = true;              ///< every file opened and parsed to its end
  std::string error;           ///< a problem outside the files (manifest unreadable, file missing)
  std::string manifest;        ///< the manifest used, "" when a single file was checked
  std::vector<aof_file_check> files;  ///< in load order
};

/// Scans the records in `data` (the bytes of one AOF file). A record is a RESP array of bulk
/// strings; `known_command(name)` says whether its first element names a command (pass an
/// empty function to accept any name). Stops at the first problem.
aof_file_check check_aof_data(std::string_view data, const std::function<bool(std::string_view)>& known_command);

/// Checks `target`: a manifest file, a directory holding one `*.manifest`, or a single AOF
/// file (then that file alone, counted as the last one). Reads every listed base and incr
/// file (history files are skipped, as the loader skips them). A base in RDB form (it starts
/// with "REDIS": `.base.rdb`, or an RDB preamble followed by records) is checked by loading
/// its RDB part with the server's RDB loader into a scratch keyspace (records then counts its
/// keys), then the records after it. Never modifies anything.
aof_check_report check_aof(const std::string& target, const std::function<bool(std::string_view)>& known_command);

}  // namespace kvd::persist
