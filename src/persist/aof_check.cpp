#include "kvd/persist/aof_check.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "kvd/persist/aof.hpp"
#include "kvd/persist/rdb.hpp"
#include "kvd/store/keyspace.hpp"
#include "kvd/protocol/resp_parser.hpp"

namespace kvd::persist {

aof_file_check check_aof_data(std::string_view data, const std::function<bool(std::string_view)>& known_command) {
  aof_file_check r;
  r.size = data.size();
  // Limits as load_aof's parser: a record of the log can be as large as any client command.
  protocol::resp_parser parser({512LL * 1024 * 1024, 1024LL * 1024 * 1024, 64 * 1024});
  std::vector<std::string_view> args;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t consumed = 0;
    if (data[pos] != '*') {
      r.ok = false;
      r.problem = "expected '*' (the start of a RESP array), found byte 0x" + [&] {
        static constexpr char hex[] = "0123456789abcdef";
        auto c = static_cast<unsigned char>(data[pos]);
        return std::string{hex[c >> 4], hex[c & 15]};
      }();
      break;
    }
    auto status = parser.parse(data.data() + pos, data.size() - pos, args, consumed);
    if (status == protocol::parse_status::complete) {
      if (known_command && !known_command(args[0])) {
        r.ok = false;
        r.problem = "unknown command '" + std::string(args[0].substr(0, 64)) + "'";
        break;
      }
      ++r.records;
      pos += consumed;
      continue;
    }
    r.ok = false;
    if (status == protocol::parse_status::incomplete) {
      r.torn_tail = true;
      r.problem = "unexpected end of file: a record cut short (" + std::to_string(data.size() - pos) + " bytes)";
    } else if (status == protocol::parse_status::empty) {
      r.problem = "empty or null array";
    } else {
      r.problem = parser.error().empty() ? std::string("bad record") : parser.error();
    }
    break;
  }
  r.valid_upto = pos;
  return r;
}

namespace {

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = "cannot read " + path;
    return false;
  }
  return true;
}

/// An RDB base (or an RDB preamble followed by AOF records): the RDB part is checked by
/// loading it into a scratch keyspace with the server's own loader (CRC64 included), the
/// records after it as any AOF file.
aof_file_check check_rdb_base(std::string_view data, const std::string& path,
                              const std::function<bool(std::string_view)>& known_command) {
  aof_file_check fc;
  fc.size = data.size();
  store::keyspace scratch(1024);  // any database index a Redis file may use
  rdb_load_limits lim;
  auto r = rdb_load_buffer(scratch, data, path, lim);
  if (!r.ok) {
    fc.ok = false;
    fc.problem = "RDB part: " + r.error;
    return fc;
  }
  fc.records = r.keys + r.expired;
  if (r.consumed < data.size()) {
    auto tail = check_aof_data(data.substr(r.consumed), known_command);
    fc.records += tail.records;
    fc.ok = tail.ok;
    fc.torn_tail = tail.torn_tail;
    fc.problem = tail.problem;
    fc.valid_upto = r.consumed + tail.valid_upto;
  } else {
    fc.valid_upto = data.size();
  }
  return fc;
}

}  // namespace

aof_check_report check_aof(const std::string& target, const std::function<bool(std::string_view)>& known_command) {
  namespace fs = std::filesystem;
  aof_check_report rep;
  std::error_code ec;
  std::string manifest = target;
  if (fs::is_directory(target, ec)) {
    manifest.clear();
    for (auto& ent : fs::directory_iterator(target, ec)) {
      if (ent.path().extension() != ".manifest") continue;
      if (!manifest.empty()) {
        rep.ok = false;
        rep.error = "more than one manifest in " + target + "; name the one to check";
        return rep;
      }
      manifest = ent.path().string();
    }
    if (manifest.empty()) {
      rep.ok = false;
      rep.error = "no *.manifest file in " + target;
      return rep;
    }
  }
  std::vector<std::string> files;
  if (manifest.ends_with(".manifest")) {
    rep.manifest = manifest;
    std::vector<manifest_entry> entries;
    if (!read_manifest(manifest, entries, rep.error)) {
      rep.ok = false;
      return rep;
    }
    auto folder = fs::path(manifest).parent_path().string();
    if (folder.empty()) folder = ".";
    // Load order, as load_aof: the base, then the incr files in manifest order.
    for (auto& e : entries)
      if (e.type == 'b') files.push_back(folder + "/" + e.name);
    for (auto& e : entries)
      if (e.type == 'i') files.push_back(folder + "/" + e.name);
    if (files.empty()) {
      rep.ok = false;
      rep.error = "the manifest " + manifest + " lists no base or incr file";
      return rep;
    }
  } else {
    files.push_back(target);
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::string data;
    aof_file_check fc;
    if (!read_file(files[i], data, fc.problem)) {
      fc.ok = false;
    } else {
      if (std::string_view(data).starts_with("REDIS")) {
        fc = check_rdb_base(data, files[i], known_command);
      } else if (files[i].ends_with(".rdb") && !data.empty()) {
        fc.size = data.size();
        fc.ok = false;
        fc.problem = "an RDB base file that does not start with \"REDIS\"";
      } else {
        fc = check_aof_data(data, known_command);
      }
    }
    fc.path = files[i];
    fc.last = i + 1 == files.size();
    if (!fc.ok) rep.ok = false;
    rep.files.push_back(std::move(fc));
  }
  return rep;
}

}  // namespace kvd::persist
