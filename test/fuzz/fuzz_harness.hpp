// Shared set-up of the fuzz targets (test/fuzz/*_fuzz.cpp): a keyspace, the real command
// table and a dispatcher, as the server builds them, with files kept in a private temporary
// directory (SAVE and the AOF loader write there, never in the working directory). That
// directory is on /dev/shm (tmpfs) when there is one: on a disk, creating and truncating the
// AOF file of every input made the `aof` target wait for the disk (about 180 inputs a second).
//
// Each target defines LLVMFuzzerTestOneInput (libFuzzer's entry point, llvm.org/docs/LibFuzzer).
// Built with clang and -fsanitize=fuzzer by tools/fuzz; built with the normal compiler and
// replay_main.cpp as a ctest that replays test/fuzz/corpus/<target>/ (regressions included).
#pragma once
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/command/dispatcher.hpp"
#include "kvd/protocol/capture.hpp"

namespace kvd::fuzz {

/// One in-process server: config, keyspace, table with every family, dispatcher, a client.
class server {
 public:
  server() : ks_(16), reg_(cfg_), state_(ks_, cfg_, reg_, table_), disp_(state_) {
    char shm[] = "/dev/shm/kvd-fuzz-XXXXXX";
    char tmp[] = "/tmp/kvd-fuzz-XXXXXX";
    if (char* d = ::mkdtemp(shm)) cfg_.dir = d;
    else if (char* t = ::mkdtemp(tmp)) cfg_.dir = t;
    dir_ = cfg_.dir;
    cfg_.enable_debug_command = "no";  // DEBUG SLEEP/RELOAD would only slow the fuzzer down
    command::register_all_families(table_);
    client_ = std::make_shared<command::client_context>();
    client_->id = state_.clients.next_id();
    state_.clients.add(client_);
    state_.run_id = std::string(40, 'f');
    state_.loading = false;
  }

  /// Runs one command; unknown names and admin commands that fork or stop the process
  /// (SHUTDOWN, BGSAVE, BGREWRITEAOF, DEBUG) are skipped. Returns the reply tree.
  protocol::reply run(std::vector<std::string_view> args) {
    protocol::capture cap(client_->resp);
    if (args.empty() || skipped(args[0])) return cap.take();
    disp_.execute(*client_, args, cap);
    return cap.take();
  }

  /// Puts the server back in its start state between inputs, so each input runs alone: an
  /// open MULTI is discarded and WATCHed keys forgotten (an input ending in MULTI would
  /// otherwise queue the next input's commands), RESP2 and db 0 selected, and FLUSHALL run
  /// through the dispatcher when a database holds keys. Costs a few loads when the last input
  /// left nothing (most inputs): no lock of the 512 shards, no allocation.
  void reset() {
    if (client_->in_multi) execute({"DISCARD"});
    if (client_->watching) execute({"UNWATCH"});
    client_->resp = 2;
    client_->db = 0;
    for (int i = 0; i < ks_.databases(); ++i) {
      if (ks_.db(i).size_nolock() != 0) {
        execute({"FLUSHALL"});
        break;
      }
    }
  }

  static bool skipped(std::string_view name) {
    static constexpr std::string_view denied[] = {"shutdown", "bgsave", "bgrewriteaof", "debug", "save",
                                                  "monitor", "subscribe", "psubscribe", "ssubscribe",
                                                  "client", "config", "sync", "psync", "replicaof", "slaveof"};
    std::string lower(name.size(), '\0');
    for (std::size_t i = 0; i < name.size(); ++i) lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
    for (auto d : denied)
      if (lower == d) return true;
    return false;
  }

  ~server() {
    std::error_code ec;
    if (dir_.find("/kvd-fuzz-") != std::string::npos) std::filesystem::remove_all(dir_, ec);  // the private directory
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  command::dispatcher& dispatcher() { return disp_; }
  command::client_context& client() { return *client_; }
  command::server_state& state() { return state_; }
  store::keyspace& keyspace() { return ks_; }
  config::server_config& config() { return cfg_; }

 private:
  config::server_config cfg_;
  store::keyspace ks_;
  config::registry reg_;
  command::command_table table_;
  command::server_state state_;
  command::dispatcher disp_;
  std::shared_ptr<command::client_context> client_;
  std::string dir_;

  void execute(std::vector<std::string_view> args) {
    protocol::capture cap(client_->resp);
    disp_.execute(*client_, args, cap);
  }
};

/// Aborts with `what` when `ok` is false: a broken invariant is a finding, like a crash.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace kvd::fuzz
