#define BOOST_TEST_MODULE multi
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <stdlib.h>

#include "harness.hpp"
#include "kvd/command/multi.hpp"
#include "kvd/persist/aof.hpp"

// MULTI EXEC DISCARD WATCH UNWATCH. Expected replies were checked against Debian's
// redis-server 7.0.15 (texts, which errors abort EXEC, which writes dirty a WATCH).
// Replies are compared via reply::debug_string(): +simple, -error, integer, "bulk", nil, [array].

namespace {

namespace fs = std::filesystem;
using namespace kvd;

struct fake_handle final : command::client_handle {
  int woken = 0;
  void close() override {}
  void unblocked() override { ++woken; }
};

struct fixture {
  test::frozen_clock clk;
  test::harness h;
  std::shared_ptr<command::client_context> other = make_client();

  ~fixture() {
    // The registry keeps client pointers: forget the clients before they go.
    command::discard_transaction(h.state(), h.client());
    command::discard_transaction(h.state(), *other);
  }
  std::shared_ptr<command::client_context> make_client() {
    auto c = std::make_shared<command::client_context>();
    c->id = h.state().clients.next_id();
    return c;
  }
  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  std::string run_as(command::client_context& c, std::vector<std::string> args) {
    return h.run_as(c, std::move(args)).debug_string();
  }
  /// WATCH key, let `modify` run, then MULTI / PING / EXEC; returns EXEC's reply.
  template <class F>
  std::string exec_after(std::vector<std::string> watch, F&& modify) {
    watch.insert(watch.begin(), "WATCH");
    BOOST_TEST(run(watch) == "+OK");
    modify();
    BOOST_TEST(run({"MULTI"}) == "+OK");
    BOOST_TEST(run({"PING"}) == "+QUEUED");
    return run({"EXEC"});
  }
};

const std::string aborted = "nil";
const std::string ran = "[+PONG]";

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/kvd-multi-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { fs::remove_all(path); }
  persist::aof_paths paths() const { return {path, "appendonlydir", "appendonly.aof"}; }
};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string resp(std::vector<std::string_view> args) {
  std::string out;
  persist::encode_command(out, args);
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(multi, fixture)

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  using namespace kvd::command;
  constexpr auto fl = f_noscript | f_loading | f_stale | f_fast | f_allow_busy;
  const test::expected_row rows[] = {
      {"multi", 1, fl, 0, 0, 0, "fast transaction"},
      {"exec", 1, f_noscript | f_loading | f_stale | f_skip_slowlog, 0, 0, 0, "slow transaction"},
      {"discard", 1, fl, 0, 0, 0, "fast transaction"},
      {"watch", -2, fl, 1, -1, 1, "fast transaction"},
      {"unwatch", 1, fl, 0, 0, 0, "fast transaction"},
  };
  test::check_rows(h.state().table, rows);
}

BOOST_AUTO_TEST_CASE(queue_and_exec) {
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"SET", "a", "x"}) == "+QUEUED");
  BOOST_TEST(run({"INCR", "a"}) == "+QUEUED");
  BOOST_TEST(run({"GET", "a"}) == "+QUEUED");
  BOOST_TEST(run_as(*other, {"GET", "a"}) == "nil");  // nothing ran yet
  // Runtime errors are elements of the array; the other commands still run.
  BOOST_TEST(run({"EXEC"}) == "[+OK,-ERR value is not an integer or out of range,\"x\"]");
  BOOST_TEST(run({"EXEC"}) == "-ERR EXEC without MULTI");
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"EXEC"}) == "[]");
}

BOOST_AUTO_TEST_CASE(queue_time_errors_abort_exec) {
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"SET", "a", "1"}) == "+QUEUED");
  // These answer errors but do not flag the transaction (Redis replies them from the command).
  BOOST_TEST(run({"MULTI"}) == "-ERR MULTI calls can not be nested");
  BOOST_TEST(run({"WATCH", "x"}) == "-ERR WATCH inside MULTI is not allowed");
  BOOST_TEST(run({"EXEC"}) == "[+OK]");

  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"SET", "b", "1"}) == "+QUEUED");
  BOOST_TEST(run({"FOO"}) == "-ERR unknown command 'FOO', with args beginning with: ");
  BOOST_TEST(run({"GET"}) == "-ERR wrong number of arguments for 'get' command");
  BOOST_TEST(run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.");
  BOOST_TEST(run({"EXISTS", "b"}) == "0");

  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"CLIENT", "FOO"}) == "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.");
  BOOST_TEST(run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.");

  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"SAVE"}) == "-ERR Command not allowed inside a transaction");  // no_multi
  BOOST_TEST(run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.");

  // EXEC itself rejected: the transaction goes with the reason.
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"SET", "c", "1"}) == "+QUEUED");
  BOOST_TEST(run({"EXEC", "x"}) == "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
  BOOST_TEST(run({"EXEC"}) == "-ERR EXEC without MULTI");
  // Redis answers so outside MULTI too (rejectCommand checks the command, not the state).
  BOOST_TEST(run({"EXEC", "x"}) == "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
}

BOOST_AUTO_TEST_CASE(discard_and_reset) {
  BOOST_TEST(run({"DISCARD"}) == "-ERR DISCARD without MULTI");
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"SET", "a", "1"}) == "+QUEUED");
  BOOST_TEST(run({"DISCARD"}) == "+OK");
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"SET", "a", "1"}) == "+QUEUED");
  BOOST_TEST(run({"RESET"}) == "+RESET");
  BOOST_TEST(run({"EXEC"}) == "-ERR EXEC without MULTI");
  BOOST_TEST(run({"EXISTS", "a"}) == "0");
}

BOOST_AUTO_TEST_CASE(select_blocking_and_info_inside_exec) {
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"SELECT", "2"}) == "+QUEUED");
  BOOST_TEST(run({"SET", "q", "1"}) == "+QUEUED");
  BOOST_TEST(run({"SELECT", "99"}) == "+QUEUED");
  BOOST_TEST(run({"LPUSH", "q", "x"}) == "+QUEUED");
  BOOST_TEST(run({"BLPOP", "nolist", "0"}) == "+QUEUED");  // does not block inside EXEC
  BOOST_TEST(run({"DBSIZE"}) == "+QUEUED");
  BOOST_TEST(run({"INFO", "keyspace"}) == "+QUEUED");  // locks shards itself: must not deadlock
  auto r = h.run({"EXEC"});
  BOOST_REQUIRE(r.elems.size() == 7u);
  BOOST_TEST(r.elems[0].debug_string() == "+OK");
  BOOST_TEST(r.elems[1].debug_string() == "+OK");
  BOOST_TEST(r.elems[2].debug_string() == "-ERR DB index is out of range");
  BOOST_TEST(r.elems[3].debug_string() == "-WRONGTYPE Operation against a key holding the wrong kind of value");
  BOOST_TEST(r.elems[4].debug_string() == "nil");
  BOOST_TEST(r.elems[5].debug_string() == "1");
  BOOST_TEST(r.elems[6].str.find("db2:keys=1") != std::string::npos);
  BOOST_TEST(h.client().db == 2);
  BOOST_TEST(!store::keyspace::thread_holds_all());
}

BOOST_AUTO_TEST_CASE(resp3_null_and_wire) {
  h.client().resp = 3;
  BOOST_TEST(h.wire({"WATCH", "k"}) == "+OK\r\n");
  run_as(*other, {"SET", "k", "v"});
  BOOST_TEST(h.wire({"MULTI"}) == "+OK\r\n");
  BOOST_TEST(h.wire({"GET", "k"}) == "+QUEUED\r\n");
  BOOST_TEST(h.wire({"EXEC"}) == "_\r\n");
  h.client().resp = 2;
  BOOST_TEST(h.wire({"WATCH", "k"}) == "+OK\r\n");
  run_as(*other, {"SET", "k", "w"});
  h.wire({"MULTI"});
  h.wire({"GET", "k"});
  BOOST_TEST(h.wire({"EXEC"}) == "*-1\r\n");
  h.wire({"MULTI"});
  h.wire({"GET", "k"});
  BOOST_TEST(h.wire({"EXEC"}) == "*1\r\n$1\r\nw\r\n");
}

BOOST_AUTO_TEST_CASE(watch_detects_writes) {
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"SET", "k", "v"}); }) == aborted);
  BOOST_TEST(h.state().watches.size() == 0u);
  // The same client's own write counts too.
  BOOST_TEST(exec_after({"k"}, [&] { run({"SET", "k", "z"}); }) == aborted);
  // Nothing changed: no touch (c.prop.none()).
  BOOST_TEST(exec_after({"k", "nx", "s"}, [&] {
               run_as(*other, {"SADD", "s", "m"});
             }) == aborted);
  BOOST_TEST(exec_after({"k", "nx", "s"}, [&] {
               run_as(*other, {"DEL", "nx"});
               run_as(*other, {"SADD", "s", "m"});
               run_as(*other, {"EXPIRE", "nx", "10"});
               run_as(*other, {"PERSIST", "k"});
             }) == "[+PONG]");
  // Keys a write only reads are not touched (SUNIONSTORE's sources, COPY's source).
  run({"SADD", "s1", "a"});
  BOOST_TEST(exec_after({"s1"}, [&] { run_as(*other, {"SUNIONSTORE", "d", "s1"}); }) == ran);
  BOOST_TEST(exec_after({"d"}, [&] { run_as(*other, {"SUNIONSTORE", "d", "s1"}); }) == aborted);
  BOOST_TEST(exec_after({"k", "k2"}, [&] { run_as(*other, {"RENAME", "k", "k2"}); }) == aborted);
  // A watched key stays watched in its db whatever the client selects afterwards.
  BOOST_TEST(exec_after({"w"}, [&] {
               run({"SELECT", "1"});
               run_as(*other, {"SET", "w", "1"});
             }) == aborted);
  run({"SELECT", "0"});
}

BOOST_AUTO_TEST_CASE(unwatch_discard_reset_forget_watches) {
  BOOST_TEST(run({"WATCH", "k"}) == "+OK");
  BOOST_TEST(run({"UNWATCH"}) == "+OK");
  run_as(*other, {"SET", "k", "1"});
  BOOST_TEST(run({"MULTI"}) == "+OK");
  run({"PING"});
  BOOST_TEST(run({"EXEC"}) == ran);
  run({"WATCH", "k"});
  run({"MULTI"});
  BOOST_TEST(run({"DISCARD"}) == "+OK");
  run_as(*other, {"SET", "k", "2"});
  run({"MULTI"});
  run({"PING"});
  BOOST_TEST(run({"EXEC"}) == ran);
  run({"WATCH", "k"});
  BOOST_TEST(run({"RESET"}) == "+RESET");
  run_as(*other, {"SET", "k", "3"});
  run({"MULTI"});
  run({"PING"});
  BOOST_TEST(run({"EXEC"}) == ran);
  BOOST_TEST(h.state().watches.size() == 0u);
  BOOST_TEST(!h.state().watches.active());
}

BOOST_AUTO_TEST_CASE(watch_detects_expiry) {
  // Live at WATCH, expired before EXEC (still in the dict): aborts.
  run({"SET", "k", "v", "PX", "100"});
  BOOST_TEST(exec_after({"k"}, [&] { clk.advance(200); }) == aborted);
  // Deleted by a lazy expiry meanwhile: aborts too.
  run({"SET", "k", "v", "PX", "100"});
  BOOST_TEST(exec_after({"k"}, [&] {
               clk.advance(200);
               run_as(*other, {"GET", "k"});
             }) == aborted);
  // Already expired at WATCH: its deletion is no change.
  run({"SET", "k", "v", "PX", "100"});
  clk.advance(200);
  BOOST_TEST(exec_after({"k"}, [] {}) == ran);
  run({"SET", "k", "v", "PX", "100"});
  clk.advance(200);
  BOOST_TEST(exec_after({"k"}, [&] { run({"GET", "k"}); }) == ran);
  // ... but a write to it is.
  run({"SET", "k", "v", "PX", "100"});
  clk.advance(200);
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"SET", "k", "w"}); }) == aborted);
  // A future expire that has not passed: runs.
  run({"SET", "k", "v", "PX", "100000"});
  BOOST_TEST(exec_after({"k"}, [&] { clk.advance(10); }) == ran);
}

BOOST_AUTO_TEST_CASE(watch_flush_swap_move_copy) {
  // FLUSHDB touches watched keys that exist.
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"FLUSHDB"}); }) == ran);
  run({"SET", "k", "1"});
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"FLUSHDB"}); }) == aborted);
  run({"SET", "k", "1"});
  BOOST_TEST(exec_after({"k"}, [&] {
               run_as(*other, {"SELECT", "3"});
               run_as(*other, {"FLUSHALL"});
             }) == aborted);
  run_as(*other, {"SELECT", "0"});
  // Expired at WATCH, then flushed: no change.
  run({"SET", "k", "v", "PX", "100"});
  clk.advance(200);
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"FLUSHDB"}); }) == ran);
  // SWAPDB: the key is in neither db / in the other db / the other db's is expired.
  run({"FLUSHALL"});
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"SWAPDB", "0", "1"}); }) == ran);
  run({"SELECT", "1"});
  run({"SET", "k", "1"});
  run({"SELECT", "0"});
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"SWAPDB", "0", "1"}); }) == aborted);
  run({"FLUSHALL"});
  run({"SELECT", "1"});
  run({"SET", "k", "1", "PX", "100"});
  run({"SELECT", "0"});
  clk.advance(200);
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"SWAPDB", "0", "1"}); }) == ran);
  run({"FLUSHALL"});
  run({"SET", "k", "1"});
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"SWAPDB", "2", "1"}); }) == ran);
  // MOVE and COPY ... DB touch the key in the target db; COPY's source is only read.
  run({"FLUSHALL"});
  run({"SELECT", "1"});
  BOOST_TEST(exec_after({"k"}, [&] {
               run({"SELECT", "0"});
               run_as(*other, {"SET", "k", "1"});
               run_as(*other, {"MOVE", "k", "1"});
             }) == aborted);
  run({"FLUSHALL"});
  run({"SELECT", "1"});
  BOOST_TEST(exec_after({"k"}, [&] {
               run({"SELECT", "0"});
               run_as(*other, {"SET", "k", "1"});
               run_as(*other, {"COPY", "k", "k", "DB", "1"});
             }) == aborted);
  run({"FLUSHALL"});
  run({"SET", "k", "1"});
  BOOST_TEST(exec_after({"k"}, [&] { run_as(*other, {"COPY", "k", "k", "DB", "1"}); }) == ran);
}

BOOST_AUTO_TEST_CASE(client_list_flags_and_stats) {
  auto calls = [&](const char* name) { return h.state().table.find(name)->stats.calls.load(); };
  auto set0 = calls("set"), exec0 = calls("exec"), multi0 = calls("multi");
  auto total0 = h.state().stats.total_commands_processed.load();
  run({"MULTI"});
  run({"SET", "x", "1"});
  run({"PING"});
  auto line = run_as(*other, {"CLIENT", "LIST"});
  BOOST_TEST(line.find("id=1 ") != std::string::npos);
  BOOST_TEST(line.find("flags=x db=0 sub=0 psub=0 ssub=0 multi=2 ") != std::string::npos);
  BOOST_TEST(line.find("cmd=ping ") != std::string::npos);
  run({"CLIENT", "LIST"});
  auto r = h.run({"EXEC"});
  BOOST_REQUIRE(r.elems.size() == 3u);
  BOOST_TEST(r.elems[2].str.find("flags=x db=0 sub=0 psub=0 ssub=0 multi=3 ") != std::string::npos);
  BOOST_TEST(r.elems[2].str.find("cmd=exec ") != std::string::npos);
  line = run_as(*other, {"CLIENT", "LIST"});
  BOOST_TEST(line.find("flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 ") != std::string::npos);
  // Each queued command counts once (commandstats when EXEC runs it), as in Redis.
  BOOST_TEST(calls("set") == set0 + 1);
  BOOST_TEST(calls("exec") == exec0 + 1);
  BOOST_TEST(calls("multi") == multi0 + 1);
  BOOST_TEST(h.state().stats.total_commands_processed.load() == total0 + 7);  // 5 + 2 CLIENT LIST
  // A dirty client shows 'd'.
  run({"WATCH", "k"});
  run_as(*other, {"SET", "k", "1"});
  line = h.run_as(*other, {"CLIENT", "LIST"}).str;
  BOOST_TEST(line.find("id=1 ") != std::string::npos);
  BOOST_TEST(line.find("flags=d ") != std::string::npos);
  run({"UNWATCH"});
}

BOOST_AUTO_TEST_CASE(blocked_client_sees_the_whole_transaction) {
  auto hd = std::make_shared<fake_handle>();
  auto waiter = make_client();
  waiter->handle = hd;
  BOOST_TEST(run_as(*waiter, {"BLPOP", "l", "0"}) == "nil");  // no reply yet: it blocked
  BOOST_REQUIRE(waiter->blocked_on != nullptr);
  run({"MULTI"});
  run({"RPUSH", "l", "a", "b"});
  run({"LPOP", "l"});
  BOOST_TEST(run({"EXEC"}) == "[2,\"a\"]");
  BOOST_TEST(hd->woken == 1);
  BOOST_TEST(waiter->blocked_on->reply == "*2\r\n$1\r\nl\r\n$1\r\nb\r\n");
  BOOST_TEST(run({"EXISTS", "l"}) == "0");
}

BOOST_AUTO_TEST_CASE(aof_group_framing) {
  temp_dir dir;
  {
    persist::aof_writer w(dir.paths(), persist::fsync_policy::always);
    h.state().aof.store(&w);
    run({"MULTI"});
    run({"SET", "a", "1"});
    BOOST_TEST(run({"EXEC"}) == "[+OK]");
    auto one = h.client().aof_seq;
    run({"MULTI"});
    run({"GET", "a"});
    run({"DEL", "nothing"});
    BOOST_TEST(run({"EXEC"}) == "[\"1\",0]");
    BOOST_TEST(h.client().aof_seq == one);  // nothing written, nothing appended
    run({"MULTI"});
    run({"SET", "b", "2"});
    run({"INCR", "a"});
    run({"SELECT", "3"});
    run({"SET", "c", "1"});
    run({"INCR", "c"});
    BOOST_TEST(run({"EXEC"}) == "[+OK,2,+OK,+OK,2]");
    BOOST_TEST(h.client().aof_seq == w.size());
    h.state().aof.store(nullptr);
    w.flush();
  }
  // As Redis 7.0 writes it: a lone write bare, several framed, SELECT where the db changes.
  std::string want = resp({"SELECT", "0"}) + resp({"SET", "a", "1"}) + resp({"MULTI"}) + resp({"SET", "b", "2"}) +
                     resp({"INCR", "a"}) + resp({"SELECT", "3"}) + resp({"SET", "c", "1"}) + resp({"INCR", "c"}) +
                     resp({"EXEC"});
  BOOST_TEST(slurp(dir.path + "/appendonlydir/appendonly.aof.1.incr.aof") == want);
}

BOOST_AUTO_TEST_CASE(aof_loader_applies_and_reverts_transactions) {
  temp_dir dir;
  { persist::aof_writer w(dir.paths(), persist::fsync_policy::always); }
  std::string incr = dir.path + "/appendonlydir/appendonly.aof.1.incr.aof";
  std::string good = resp({"SET", "a", "1"}) + resp({"MULTI"}) + resp({"SET", "b", "2"}) + resp({"EXEC"});
  std::string open_txn = resp({"MULTI"}) + resp({"SET", "c", "3"});
  auto load = [&](const std::string& bytes, bool truncated, persist::load_result& res) {
    std::ofstream(incr, std::ios::binary | std::ios::trunc) << bytes;
    std::vector<std::string> seen;
    res = persist::load_aof(dir.paths(), truncated, [&](std::span<const std::string_view> a) {
      std::string s;
      for (auto x : a) s += std::string(x) + " ";
      seen.push_back(s);
      return std::string();
    });
    return seen;
  };
  persist::load_result res;
  auto seen = load(good, true, res);
  BOOST_TEST(res.ok);
  BOOST_TEST(seen == (std::vector<std::string>{"SET a 1 ", "SET b 2 "}), boost::test_tools::per_element());
  // A MULTI without EXEC at the end: reverted and cut at the MULTI.
  seen = load(good + open_txn, true, res);
  BOOST_TEST(res.ok);
  BOOST_TEST(res.truncated);
  BOOST_TEST(res.warning.find("incomplete MULTI/EXEC") != std::string::npos);
  BOOST_TEST(seen.size() == 2u);
  BOOST_TEST(slurp(incr) == good);
  // A torn record inside the transaction: the same.
  std::string torn = open_txn + resp({"SET", "d", "4"}).substr(0, 9);
  seen = load(good + torn, true, res);
  BOOST_TEST(res.ok);
  BOOST_TEST(res.truncated);
  BOOST_TEST(seen.size() == 2u);
  BOOST_TEST(slurp(incr) == good);
  // Without aof-load-truncated: an error naming the MULTI's offset.
  seen = load(good + open_txn, false, res);
  BOOST_TEST(!res.ok);
  BOOST_TEST(res.error.find("at offset " + std::to_string(good.size()) + " (a MULTI without its EXEC)") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(watch_registry_is_free_when_unused) {
  BOOST_TEST(!h.state().watches.active());
  run({"WATCH", "a", "b", "a"});
  BOOST_TEST(h.state().watches.size() == 2u);
  BOOST_TEST(h.state().watches.active());
  run({"UNWATCH"});
  BOOST_TEST(!h.state().watches.active());
}

BOOST_AUTO_TEST_SUITE_END()
