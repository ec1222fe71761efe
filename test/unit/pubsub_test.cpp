#define BOOST_TEST_MODULE pubsub
#include <boost/test/unit_test.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/pubsub/pubsub.hpp"

// Pub/Sub commands, the registry, keyspace notifications and MONITOR lines. Expected replies
// were checked against Debian's redis-server 7.0.15. Replies are compared via
// reply::debug_string(): +simple, -error, integer, "bulk", nil, [array].

namespace {

using kvd::pubsub::message;

/// A receiver that records what it is given (the sessions post to their strand instead).
class recorder final : public kvd::pubsub::subscriber {
 public:
  void deliver(std::shared_ptr<const message> m) override {
    std::lock_guard lk(mu);
    std::string line;
    switch (m->type) {
      case message::kind::message: line = "message " + m->channel + " " + m->payload; break;
      case message::kind::pmessage: line = "pmessage " + m->pattern + " " + m->channel + " " + m->payload; break;
      case message::kind::smessage: line = "smessage " + m->channel + " " + m->payload; break;
      case message::kind::monitor: line = "monitor " + m->payload; break;
    }
    got.push_back(line);
  }
  std::vector<std::string> take() {
    std::lock_guard lk(mu);
    return std::exchange(got, {});
  }
  std::mutex mu;
  std::vector<std::string> got;
};

struct fixture {
  kvd::test::harness h;
  std::shared_ptr<recorder> rec = std::make_shared<recorder>();
  fixture() { h.client().subscriber = rec; }

  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  /// Runs a command for a second client (no subscriber unless given).
  std::string run_as(kvd::command::client_context& c, std::vector<std::string> args) {
    return h.run_as(c, std::move(args)).debug_string();
  }
  std::string wire(std::vector<std::string> args) { return h.wire(std::move(args)); }
};

using strings = std::vector<std::string>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(pubsub, fixture)

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  using namespace kvd::command;
  using row = kvd::test::expected_row;
  constexpr auto sub = f_pubsub | f_noscript | f_loading | f_stale;
  const row rows[] = {
      {"subscribe", -2, sub, 0, 0, 0, "pubsub slow"},
      {"unsubscribe", -1, sub, 0, 0, 0, "pubsub slow"},
      {"psubscribe", -2, sub, 0, 0, 0, "pubsub slow"},
      {"punsubscribe", -1, sub, 0, 0, 0, "pubsub slow"},
      {"ssubscribe", -2, sub, 1, -1, 1, "pubsub slow"},
      {"sunsubscribe", -1, sub, 1, -1, 1, "pubsub slow"},
      {"publish", 3, f_pubsub | f_loading | f_stale | f_fast, 0, 0, 0, "pubsub fast"},
      {"spublish", 3, f_pubsub | f_loading | f_stale | f_fast, 1, 1, 1, "pubsub fast"},
      {"monitor", 1, f_admin | f_noscript | f_loading | f_stale, 0, 0, 0, "admin slow dangerous"},
  };
  kvd::test::check_rows(h.state().table, rows);
}

BOOST_AUTO_TEST_CASE(subscribe_publish_unsubscribe) {
  BOOST_TEST(wire({"SUBSCRIBE", "a", "b"}) ==
             "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
  BOOST_TEST(run({"SUBSCRIBE", "a"}) == R"(["subscribe","a",2])");  // already there: count unchanged
  kvd::command::client_context other;
  other.id = 99;
  BOOST_TEST(run_as(other, {"PUBLISH", "a", "hello"}) == "1");
  BOOST_TEST(run_as(other, {"PUBLISH", "nobody", "x"}) == "0");
  BOOST_TEST(rec->take() == strings{"message a hello"});
  BOOST_TEST(run_as(other, {"PUBSUB", "NUMSUB", "a", "zz"}) == R"(["a",1,"zz",0])");
  BOOST_TEST(run_as(other, {"PUBSUB", "CHANNELS", "b*"}) == R"(["b"])");
  BOOST_TEST(run_as(other, {"PUBSUB", "CHANNELS", "a", "b"}) ==
             "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.");
  BOOST_TEST(h.state().pubsub.numchannels() == 2);
  BOOST_TEST(run({"UNSUBSCRIBE", "a"}) == R"(["unsubscribe","a",1])");
  BOOST_TEST(run({"UNSUBSCRIBE"}) == R"(["unsubscribe","b",0])");
  BOOST_TEST(run({"UNSUBSCRIBE"}) == R"(["unsubscribe",nil,0])");
  BOOST_TEST(h.state().pubsub.numchannels() == 0);
  BOOST_TEST(run({"GET", "x"}) == "nil");  // out of pub/sub mode
}

BOOST_AUTO_TEST_CASE(patterns_and_shard_channels) {
  BOOST_TEST(run({"PSUBSCRIBE", "news.*"}) == R"(["psubscribe","news.*",1])");
  BOOST_TEST(run({"SUBSCRIBE", "news.a"}) == R"(["subscribe","news.a",2])");
  kvd::command::client_context other;
  other.id = 99;
  BOOST_TEST(run_as(other, {"PUBSUB", "NUMPAT"}) == "1");
  BOOST_TEST(run_as(other, {"PUBLISH", "news.a", "m1"}) == "2");  // channel + pattern
  BOOST_TEST(run_as(other, {"PUBLISH", "news.b", "m2"}) == "1");
  BOOST_TEST(rec->take() == (strings{"message news.a m1", "pmessage news.* news.a m1", "pmessage news.* news.b m2"}));
  BOOST_TEST(run({"SSUBSCRIBE", "s1"}) == R"(["ssubscribe","s1",1])");
  BOOST_TEST(run_as(other, {"SPUBLISH", "s1", "x"}) == "1");
  BOOST_TEST(run_as(other, {"PUBLISH", "s1", "x"}) == "0");  // shard channels are separate
  BOOST_TEST(run_as(other, {"PUBSUB", "SHARDNUMSUB", "s1"}) == R"(["s1",1])");
  BOOST_TEST(rec->take() == strings{"smessage s1 x"});
  BOOST_TEST(run({"PUNSUBSCRIBE"}) == R"(["punsubscribe","news.*",1])");
  BOOST_TEST(run_as(other, {"PUBSUB", "NUMPAT"}) == "0");
  BOOST_TEST(run({"RESET"}) == "+RESET");
  BOOST_TEST(run_as(other, {"PUBSUB", "NUMSUB", "news.a"}) == R"(["news.a",0])");
  BOOST_TEST(run_as(other, {"PUBSUB", "SHARDCHANNELS"}) == "[]");
}

BOOST_AUTO_TEST_CASE(resp2_subscribed_context) {
  run({"SUBSCRIBE", "a"});
  BOOST_TEST(run({"GET", "x"}) ==
             "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
             "in this context");
  BOOST_TEST(run({"CLIENT", "LIST"}) ==
             "-ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
             "allowed in this context");
  BOOST_TEST(run({"GET"}) == "-ERR wrong number of arguments for 'get' command");  // arity first
  BOOST_TEST(run({"PING"}) == R"(["pong",""])");
  BOOST_TEST(run({"PING", "hi"}) == R"(["pong","hi"])");
  // RESP3: any command, PING as usual, push frames.
  h.client().resp = 3;
  BOOST_TEST(run({"GET", "x"}) == "nil");
  BOOST_TEST(run({"PING"}) == "+PONG");
  BOOST_TEST(wire({"SUBSCRIBE", "b"}) == ">3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
}

// SUBSCRIBE checked against the user's old rules while ACL SETUSER ran on another thread:
// SETUSER's scan saw no subscription, so SUBSCRIBE itself must notice the new rules and close
// the client when they deny what it just subscribed to (Redis, single-threaded, either
// refuses the command or kills the client in ACLKillPubsubClientsIfNeeded).
BOOST_AUTO_TEST_CASE(subscribe_racing_acl_setuser_closes_the_client) {
  kvd::command::client_context admin;
  admin.id = 98;
  BOOST_TEST(run_as(admin, {"ACL", "SETUSER", "u", "on", "nopass", "+@all", "resetchannels", "&a", "&b", "&p*"}) ==
             "+OK");
  BOOST_TEST(run({"AUTH", "u", "any"}) == "+OK");
  BOOST_TEST(run_as(admin, {"ACL", "SETUSER", "u", "resetchannels", "&b", "&q*"}) == "+OK");
  // The dispatcher's check ran before SETUSER: keep the client's user as it read it.
  auto& c = h.client();
  c.acl_gen = h.state().acl.generation();
  BOOST_TEST(run({"SUBSCRIBE", "b"}) == R"(["subscribe","b",1])");
  BOOST_TEST(!c.close_after_reply);  // still allowed by the new rules
  BOOST_TEST(run({"PSUBSCRIBE", "p*"}) == R"(["psubscribe","p*",2])");
  BOOST_TEST(c.close_after_reply);  // "p*" is no longer one of its patterns
  c.close_after_reply = false;
  BOOST_TEST(run({"SUBSCRIBE", "a"}) == R"(["subscribe","a",3])");
  BOOST_TEST(c.close_after_reply);
  // Once the client reads its user again the dispatcher refuses, as usual.
  c.acl_gen = 0;
  BOOST_TEST(run({"SUBSCRIBE", "a"}) ==
             "-NOPERM this user has no permissions to access one of the channels used as arguments");
}

BOOST_AUTO_TEST_CASE(clients_without_a_connection_cannot_subscribe) {
  kvd::command::client_context http;
  http.id = 7;
  http.is_http = true;
  BOOST_TEST(run_as(http, {"SUBSCRIBE", "a"}) == "-SUBSCRIBE isn't allowed for a DENY BLOCKING client");
  BOOST_TEST(run_as(http, {"PSUBSCRIBE", "a"}) == "-PSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  BOOST_TEST(run_as(http, {"MONITOR"}) == "-MONITOR isn't allowed for DENY BLOCKING client");
}

BOOST_AUTO_TEST_CASE(notify_flags_as_redis) {
  using kvd::pubsub::format_notify_flags;
  using kvd::pubsub::parse_notify_flags;
  BOOST_TEST(format_notify_flags(parse_notify_flags("KEA")) == "AKE");
  BOOST_TEST(format_notify_flags(parse_notify_flags("KEAn")) == "AKE");
  BOOST_TEST(format_notify_flags(parse_notify_flags("Kgn")) == "gnK");
  BOOST_TEST(format_notify_flags(parse_notify_flags("Ex$lm")) == "$lxEm");
  BOOST_TEST(format_notify_flags(parse_notify_flags("")) == "");
  BOOST_TEST(parse_notify_flags("Kq") == -1);
  BOOST_TEST(run({"CONFIG", "SET", "notify-keyspace-events", "Kq"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class "
             "character. Use 'Ag$lshzxeKEtmdn'.");
  BOOST_TEST(run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}) == "+OK");
  BOOST_TEST(run({"CONFIG", "GET", "notify-keyspace-events"}) == R"({"notify-keyspace-events":"AKE"})");
}

BOOST_AUTO_TEST_CASE(output_buffer_limit_config) {
  BOOST_TEST(run({"CONFIG", "GET", "client-output-buffer-limit"}) ==
             R"({"client-output-buffer-limit":"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"})");
  BOOST_TEST(run({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1kb 1k 10"}) == "+OK");
  BOOST_TEST(run({"CONFIG", "GET", "client-output-buffer-limit"}) ==
             R"({"client-output-buffer-limit":"normal 0 0 0 slave 268435456 67108864 60 pubsub 1024 1000 10"})");
  BOOST_TEST(run({"CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 0 0"}) == "+OK");
  BOOST_TEST(h.state().config.client_output_buffer_limit[1].hard.load() == 1024 * 1024);
  BOOST_TEST(run({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of "
             "arguments in buffer limit configuration.");
  BOOST_TEST(run({"CONFIG", "SET", "client-output-buffer-limit", "foo 1 1 1"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client "
             "class specified in buffer limit configuration.");
  BOOST_TEST(run({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 1 -1"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, "
             "soft or soft_seconds setting in buffer limit configuration.");
}

BOOST_AUTO_TEST_CASE(keyspace_notifications) {
  kvd::command::client_context writer;
  writer.id = 50;
  run({"CONFIG", "SET", "notify-keyspace-events", "KEA"});
  run({"PSUBSCRIBE", "__key*__:*"});
  rec->take();
  run_as(writer, {"SET", "k", "v"});
  BOOST_TEST(rec->take() == (strings{"pmessage __key*__:* __keyspace@0__:k set",
                                     "pmessage __key*__:* __keyevent@0__:set k"}));
  run({"PUNSUBSCRIBE"});
  run({"SUBSCRIBE", "__keyevent@0__:del", "__keyevent@0__:expire", "__keyevent@0__:lpush",
       "__keyevent@0__:rpop", "__keyevent@0__:rename_from", "__keyevent@0__:rename_to", "__keyevent@0__:sadd",
       "__keyevent@0__:srem", "__keyevent@0__:hset", "__keyevent@0__:hincrby", "__keyevent@0__:zadd",
       "__keyevent@0__:zincr", "__keyevent@0__:zrem", "__keyevent@0__:incrby", "__keyevent@0__:append",
       "__keyevent@0__:persist", "__keyevent@0__:move_to", "__keyevent@0__:copy_to"});
  rec->take();
  auto events = [&](std::vector<std::string> cmd) {
    run_as(writer, std::move(cmd));
    std::vector<std::string> out;
    for (auto& m : rec->take()) out.push_back(m.substr(m.find(':') + 1));  // "del k"-style
    return out;
  };
  BOOST_TEST(events({"EXPIRE", "k", "100"}) == strings{"expire k"});
  BOOST_TEST(events({"PERSIST", "k"}) == strings{"persist k"});
  BOOST_TEST(events({"RENAME", "k", "k2"}) == (strings{"rename_from k", "rename_to k2"}));
  BOOST_TEST(events({"DEL", "k2", "nokey"}) == strings{"del k2"});
  BOOST_TEST(events({"LPUSH", "l", "a"}) == strings{"lpush l"});
  BOOST_TEST(events({"RPOP", "l"}) == (strings{"rpop l", "del l"}));  // the emptied key goes too
  BOOST_TEST(events({"SADD", "s", "a", "b"}) == strings{"sadd s"});
  BOOST_TEST(events({"SADD", "s", "a"}) == strings{});  // nothing added: no event
  BOOST_TEST(events({"SREM", "s", "a"}) == strings{"srem s"});
  BOOST_TEST(events({"HSET", "h", "f", "1"}) == strings{"hset h"});
  BOOST_TEST(events({"HINCRBY", "h", "f", "2"}) == strings{"hincrby h"});
  BOOST_TEST(events({"ZADD", "z", "1", "m"}) == strings{"zadd z"});
  BOOST_TEST(events({"ZADD", "z", "INCR", "1", "m"}) == strings{"zincr z"});
  BOOST_TEST(events({"ZREM", "z", "m"}) == (strings{"zrem z", "del z"}));
  BOOST_TEST(events({"INCR", "n"}) == strings{"incrby n"});
  BOOST_TEST(events({"APPEND", "n", "0"}) == strings{"append n"});
  BOOST_TEST(events({"COPY", "n", "n2", "DB", "0"}) == strings{"copy_to n2"});
  BOOST_TEST(events({"SET", "e", "v", "EX", "100"}) == strings{"expire e"});  // "set" is not subscribed
  // Classes off: nothing, and MOVE's move_to goes to the target db's channel.
  run_as(writer, {"CONFIG", "SET", "notify-keyspace-events", "Kl"});
  BOOST_TEST(events({"DEL", "n"}) == strings{});
  run_as(writer, {"CONFIG", "SET", "notify-keyspace-events", "Eg"});
  BOOST_TEST(events({"MOVE", "n2", "1"}) == strings{});  // move_from in db 0 unsubscribed; move_to is db 1
}

BOOST_AUTO_TEST_CASE(monitor_lines) {
  std::string_view args[] = {"set", "k", "a\"b\\c\n\x01 \xff"};
  BOOST_TEST(kvd::pubsub::monitor_line(1'700'000'000'123'456, 3, "127.0.0.1:5000", args, 3) ==
             R"(1700000000.123456 [3 127.0.0.1:5000] "set" "k" "a\"b\\c\n\x01 \xff")");
  BOOST_TEST(run({"MONITOR"}) == "+OK");
  kvd::command::client_context other;
  other.id = 77;
  other.addr = "127.0.0.1:6000";
  run_as(other, {"SET", "k", "v"});
  run_as(other, {"CONFIG", "SET", "hz", "10"});  // admin: not shown
  auto got = rec->take();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].ends_with(R"( [0 127.0.0.1:6000] "SET" "k" "v")"));
  BOOST_TEST(got[0].starts_with("monitor "));
  BOOST_TEST(run({"RESET"}) == "+RESET");
  run_as(other, {"GET", "k"});
  BOOST_TEST(rec->take().empty());
}

BOOST_AUTO_TEST_CASE(info_and_client_list_fields) {
  run({"SUBSCRIBE", "a", "b"});
  run({"PSUBSCRIBE", "p*"});
  kvd::command::client_context other;
  other.id = 99;
  auto info = h.run_as(other, {"INFO", "stats"});
  BOOST_TEST(info.str.find("pubsub_channels:2\r\npubsub_patterns:1\r\npubsubshard_channels:0\r\n") != std::string::npos);
  auto list = h.run_as(other, {"CLIENT", "LIST"}).str;
  BOOST_TEST(list.find("flags=P db=0 sub=2 psub=1 ssub=0 ") != std::string::npos, list);
  auto typed = h.run_as(other, {"CLIENT", "LIST", "TYPE", "pubsub"}).str;
  BOOST_TEST(typed.find("id=" + std::to_string(h.client().id) + " ") != std::string::npos);
  BOOST_TEST(h.run_as(other, {"CLIENT", "LIST", "TYPE", "normal"}).str.find("sub=2") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
