#define BOOST_TEST_MODULE blocking
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/command/blocking.hpp"
#include "kvd/store/keyspace.hpp"

// The waiter registry and the dispatcher's serve pass (blocking.hpp), driven by a test-only
// blocking command over string keys: TESTBPOP key [key ...] pops (GET + DEL) the first key
// that exists, or blocks on all of them; TESTBMOVE src dst moves src's value to dst.

namespace {

using namespace kvd;

/// Counts wake-ups, as a session would post them to its strand.
struct fake_handle final : command::client_handle {
  int woken = 0;
  void close() override {}
  void unblocked() override { ++woken; }
};

bool pop_into(command::command_context& c, std::string_view key) {
  store::value* v = c.db.find(key);
  if (!v || !v->is_string()) return false;
  c.rb.bulk(v->str());
  c.db.del(key);
  c.prop.replace({"DEL", std::string(key)});
  return true;
}

void cmd_testbpop(command::command_context& c) {
  for (std::size_t i = 1; i < c.argc(); ++i)
    if (pop_into(c, c.arg(i))) return;
  if (!command::may_block(c)) return command::reply_timeout(c, command::block_timeout_reply::null_array);
  std::vector<std::string> keys(c.args.begin() + 1, c.args.end());
  command::block(c, keys, {}, 0, command::block_timeout_reply::null_array,
                 [](command::command_context& cc, std::string_view k) { return pop_into(cc, k); });
}

void cmd_testbmove(command::command_context& c) {
  std::string src(c.arg(1)), dst(c.arg(2));
  auto move = [src, dst](command::command_context& cc, std::string_view) {
    store::value* v = cc.db.find(src);
    if (!v || !v->is_string()) return false;
    std::string val(v->str());
    cc.db.del(src);
    cc.db.set(dst, store::value::make_string(val));
    cc.rb.bulk(val);
    return true;
  };
  if (move(c, src)) return;
  command::block(c, {src}, {dst}, 0, command::block_timeout_reply::null_bulk, move);
}

struct fixture {
  test::harness h;
  std::shared_ptr<fake_handle> handle = std::make_shared<fake_handle>();

  fixture() {
    h.state().table.add({"testbpop", -2, command::f_write | command::f_blocking, 1, -1, 1, cmd_testbpop, "write"});
    h.state().table.add({"testbmove", 3, command::f_write | command::f_blocking, 1, 2, 1, cmd_testbmove, "write"});
  }
  /// A second connected client that can block (it has a handle).
  std::shared_ptr<command::client_context> blocker(std::shared_ptr<fake_handle> hd) {
    auto c = std::make_shared<command::client_context>();
    c->id = h.state().clients.next_id();
    c->handle = hd;
    return c;
  }
  std::string reply_of(const command::client_context& c) { return c.blocked_on ? c.blocked_on->reply : "<none>"; }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(blocking, fixture)

BOOST_AUTO_TEST_CASE(timeout_parsing_matches_redis) {
  auto& st = h.state();
  (void)st;
  BOOST_TEST(h.run({"testbpop", "k"}).debug_string() == "nil");  // harness client cannot block
  // Parsing is exercised through a throwaway context.
  std::vector<std::string_view> args{"x"};
  protocol::capture cap(2);
  command::propagation prop;
  command::command_context c{args, h.client(), cap, h.state(), h.keyspace().db(0), *h.state().table.find("get"), prop};
  BOOST_TEST(*command::parse_block_timeout(c, "1.5") == 1500);
  BOOST_TEST(*command::parse_block_timeout(c, "0") == 0);
  BOOST_TEST(*command::parse_block_timeout(c, "0.0001") == 0);
  BOOST_TEST(!command::parse_block_timeout(c, "-1"));
  BOOST_TEST(!command::parse_block_timeout(c, "abc"));
  BOOST_TEST(!command::parse_block_timeout(c, "1e300"));
  auto r = cap.take();
  BOOST_TEST(r.debug_string().find("timeout is negative") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(write_serves_the_waiter_atomically) {
  auto a = blocker(handle);
  h.run_as(*a, {"testbpop", "k"});  // no reply yet: it comes from the serve
  BOOST_REQUIRE(a->blocked_on);
  BOOST_TEST(h.state().blocking.blocked() == 1u);
  BOOST_TEST(h.run({"set", "k", "v"}).debug_string() == "+OK");
  // Served inside SET's locks: the key is gone before anyone else could read it.
  BOOST_TEST(h.run({"exists", "k"}).debug_string() == "0");
  BOOST_TEST(handle->woken == 1);
  BOOST_TEST(reply_of(*a) == "$1\r\nv\r\n");
  BOOST_TEST(h.state().blocking.blocked() == 0u);
}

BOOST_AUTO_TEST_CASE(waiters_are_served_in_the_order_they_blocked) {
  auto h1 = std::make_shared<fake_handle>(), h2 = std::make_shared<fake_handle>();
  auto a = blocker(h1), b = blocker(h2);
  h.run_as(*a, {"testbpop", "k"});
  h.run_as(*b, {"testbpop", "other", "k"});
  h.run({"set", "k", "1"});
  BOOST_TEST(h1->woken == 1);
  BOOST_TEST(h2->woken == 0);
  BOOST_TEST(reply_of(*a) == "$1\r\n1\r\n");
  h.run({"set", "other", "2"});  // b waits on two keys; the other one serves it
  BOOST_TEST(h2->woken == 1);
  BOOST_TEST(reply_of(*b) == "$1\r\n2\r\n");
  BOOST_TEST(h.state().blocking.blocked() == 0u);
}

BOOST_AUTO_TEST_CASE(cancelled_waiter_is_left_behind_nowhere) {
  auto a = blocker(handle);
  h.run_as(*a, {"testbpop", "k"});
  BOOST_TEST(h.state().blocking.cancel(a->blocked_on));
  BOOST_TEST(!h.state().blocking.cancel(a->blocked_on));  // only once
  BOOST_TEST(h.state().blocking.blocked() == 0u);
  h.run({"set", "k", "v"});
  BOOST_TEST(handle->woken == 0);
  BOOST_TEST(h.run({"get", "k"}).debug_string() == "\"v\"");
}

BOOST_AUTO_TEST_CASE(serve_with_extra_key_and_chained_waiter) {
  auto h1 = std::make_shared<fake_handle>(), h2 = std::make_shared<fake_handle>();
  auto mover = blocker(h1), popper = blocker(h2);
  // Pick keys in different shards so the extra-key lock path is exercised.
  std::string src = "src", dst = "dst";
  h.run_as(*popper, {"testbpop", dst});
  h.run_as(*mover, {"testbmove", src, dst});
  h.run({"set", src, "x"});
  BOOST_TEST(h1->woken == 1);
  BOOST_TEST(h2->woken == 1);  // the move created dst, which served the popper in turn
  BOOST_TEST(reply_of(*mover) == "$1\r\nx\r\n");
  BOOST_TEST(reply_of(*popper) == "$1\r\nx\r\n");
  BOOST_TEST(h.run({"exists", src, dst}).debug_string() == "0");
}

BOOST_AUTO_TEST_CASE(global_write_serves_waiters_in_any_db) {
  auto a = blocker(handle);
  a->db = 1;
  h.run_as(*a, {"testbpop", "k"});
  h.run({"set", "k", "v"});  // db 0: not a's key
  BOOST_TEST(handle->woken == 0);
  h.run({"move", "k", "1"});  // MOVE holds every lock; k now exists in db 1
  BOOST_TEST(handle->woken == 1);
  BOOST_TEST(reply_of(*a) == "$1\r\nv\r\n");
}

BOOST_AUTO_TEST_CASE(http_and_aof_replay_clients_do_not_block) {
  auto a = blocker(handle);
  a->is_http = true;
  BOOST_TEST(h.run_as(*a, {"testbpop", "k"}).debug_string() == "nil");
  BOOST_TEST(!a->blocked_on);
  a->is_http = false;
  // Inside MULTI the command is queued; EXEC runs it without blocking.
  BOOST_TEST(h.run_as(*a, {"multi"}).debug_string() == "+OK");
  BOOST_TEST(h.run_as(*a, {"testbpop", "k"}).debug_string() == "+QUEUED");
  BOOST_TEST(h.run_as(*a, {"exec"}).debug_string() == "[nil]");
  BOOST_TEST(!a->blocked_on);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(client_unblock, fixture)

BOOST_AUTO_TEST_CASE(client_unblock_timeout_and_error) {
  auto a = blocker(handle);
  h.run_as(*a, {"testbpop", "k"});
  auto id = std::to_string(a->id);
  BOOST_TEST(h.state().blocking.is_blocked(a->id));
  BOOST_TEST(h.run({"client", "unblock", id, "maybe"}).debug_string() ==
             "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  BOOST_TEST(h.run({"client", "unblock", id}).debug_string() == "1");
  BOOST_TEST(handle->woken == 1);
  BOOST_TEST(reply_of(*a) == "*-1\r\n");
  BOOST_TEST(!h.state().blocking.is_blocked(a->id));
  BOOST_TEST(h.run({"client", "unblock", id}).debug_string() == "0");

  auto h2 = std::make_shared<fake_handle>();
  auto b = blocker(h2);
  h.run_as(*b, {"testbpop", "k"});
  BOOST_TEST(h.run({"client", "unblock", std::to_string(b->id), "ERROR"}).debug_string() == "1");
  BOOST_TEST(reply_of(*b) == "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
  BOOST_TEST(h.run({"client", "unblock", "abc"}).debug_string() == "-ERR value is not an integer or out of range");
  h.run({"set", "k", "v"});
  BOOST_TEST(h.run({"get", "k"}).debug_string() == "\"v\"");  // nobody waits any more
}

BOOST_AUTO_TEST_SUITE_END()
