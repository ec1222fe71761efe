#define BOOST_TEST_MODULE connection_server_family
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

using kvd::test::harness;

BOOST_AUTO_TEST_CASE(ping_echo_quit) {
  harness h;
  BOOST_TEST(h.wire({"PING"}) == "+PONG\r\n");
  BOOST_TEST(h.wire({"ping", "hi"}) == "$2\r\nhi\r\n");
  BOOST_TEST(h.wire({"PING", "a", "b"}) == "-ERR wrong number of arguments for 'ping' command\r\n");
  BOOST_TEST(h.wire({"ECHO"}) == "-ERR wrong number of arguments for 'echo' command\r\n");
  BOOST_TEST(h.wire({"ECHO", ""}) == "$0\r\n\r\n");
  BOOST_TEST(h.wire({"QUIT"}) == "+OK\r\n");
  BOOST_TEST(h.client().close_after_reply);
}

BOOST_AUTO_TEST_CASE(unknown_command_and_subcommand_texts) {
  harness h;
  BOOST_TEST(h.wire({"FOO"}) == "-ERR unknown command 'FOO', with args beginning with: \r\n");
  BOOST_TEST(h.wire({"foo", "a", "b"}) == "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
  BOOST_TEST(h.wire({"client", "nope"}) == "-ERR unknown subcommand 'nope'. Try CLIENT HELP.\r\n");
  BOOST_TEST(h.wire({"CLIENT"}) == "-ERR wrong number of arguments for 'client' command\r\n");
  BOOST_TEST(h.wire({"CLIENT", "SETNAME"}) == "-ERR wrong number of arguments for 'client|setname' command\r\n");
}

BOOST_AUTO_TEST_CASE(select_bounds) {
  harness h;
  BOOST_TEST(h.wire({"SELECT", "15"}) == "+OK\r\n");
  BOOST_TEST(h.client().db == 15);
  BOOST_TEST(h.wire({"SELECT", "16"}) == "-ERR DB index is out of range\r\n");
  BOOST_TEST(h.wire({"SELECT", "-1"}) == "-ERR DB index is out of range\r\n");
  BOOST_TEST(h.wire({"SELECT", "x"}) == "-ERR value is not an integer or out of range\r\n");
}

BOOST_AUTO_TEST_CASE(hello_switches_protocol_and_validates) {
  harness h;
  BOOST_TEST(h.wire({"HELLO", "4"}) == "-NOPROTO unsupported protocol version\r\n");
  BOOST_TEST(h.wire({"HELLO", "x"}) == "-ERR Protocol version is not an integer or out of range\r\n");
  BOOST_TEST(h.wire({"HELLO", "3", "BOGUS"}) == "-ERR Syntax error in HELLO option 'BOGUS'\r\n");
  auto out = h.wire({"HELLO", "3", "SETNAME", "app"});
  BOOST_TEST(out.rfind("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 0) == 0u);
  BOOST_TEST(h.client().resp == 3);
  BOOST_TEST(h.wire({"CLIENT", "GETNAME"}) == "$3\r\napp\r\n");
  BOOST_TEST(h.wire({"HELLO", "2"}).rfind("*14\r\n", 0) == 0u);
  BOOST_TEST(h.client().resp == 2);
}

BOOST_AUTO_TEST_CASE(client_name_info_and_reset) {
  harness h;
  BOOST_TEST(h.wire({"CLIENT", "GETNAME"}) == "$-1\r\n");
  BOOST_TEST(h.wire({"CLIENT", "SETNAME", "a b"}) ==
             "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  BOOST_TEST(h.wire({"CLIENT", "SETNAME", "worker-1"}) == "+OK\r\n");
  auto id = h.run({"CLIENT", "ID"});
  BOOST_TEST(id.num == static_cast<std::int64_t>(h.client().id));
  auto list = h.run({"CLIENT", "LIST"});
  BOOST_TEST(list.str.find("name=worker-1") != std::string::npos);
  BOOST_TEST(list.str.find("cmd=client|list") != std::string::npos);
  BOOST_TEST(h.wire({"CLIENT", "SETINFO", "lib-name", "redis-py"}) == "+OK\r\n");
  BOOST_TEST(h.wire({"CLIENT", "SETINFO", "bogus", "x"}) == "-ERR Unrecognized option 'bogus'\r\n");
  BOOST_TEST(h.run({"CLIENT", "INFO"}).str.find("lib-name=redis-py") != std::string::npos);
  h.wire({"SELECT", "3"});
  BOOST_TEST(h.wire({"RESET"}) == "+RESET\r\n");
  BOOST_TEST(h.client().db == 0);
  BOOST_TEST(h.wire({"CLIENT", "GETNAME"}) == "$-1\r\n");
  BOOST_TEST(h.wire({"CLIENT", "KILL", "1.2.3.4:5"}) == "-ERR No such client\r\n");
  BOOST_TEST(h.wire({"CLIENT", "KILL", "ID", "999"}) == ":0\r\n");
}

BOOST_AUTO_TEST_CASE(info_sections_and_fields) {
  harness h;
  auto info = h.run({"INFO"}).str;
  for (std::string field : std::vector<std::string>{"# Server\r\n", "redis_version:", "run_id:" + std::string(40, 'a'), "# Clients\r\n",
                     "# Memory\r\n", "used_memory:", "# Persistence\r\n", "loading:0", "# Stats\r\n",
                     "# Replication\r\n", "role:master", "# CPU\r\n", "# Keyspace\r\n"})
    BOOST_TEST(info.find(field) != std::string::npos, field);
  auto only = h.run({"INFO", "replication"}).str;
  BOOST_TEST(only.rfind("# Replication\r\n", 0) == 0u);
  BOOST_TEST(only.find("# Server") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(config_get_set) {
  harness h;
  BOOST_TEST(h.run({"CONFIG", "GET", "maxclients"}).debug_string() == "{\"maxclients\":\"10000\"}");
  BOOST_TEST(h.wire({"CONFIG", "SET", "maxclients", "500", "timeout", "30"}) == "+OK\r\n");
  BOOST_TEST(h.state().config.maxclients.load() == 500);
  BOOST_TEST(h.wire({"CONFIG", "SET", "nope", "1"}) ==
             "-ERR Unknown option or number of arguments for CONFIG SET - 'nope'\r\n");
  BOOST_TEST(h.wire({"CONFIG", "SET", "timeout", "5", "maxclients", "abc"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer\r\n");
  BOOST_TEST(h.state().config.timeout.load() == 30);  // nothing applied on failure
  BOOST_TEST(h.wire({"CONFIG", "SET", "port", "1"}).find("can't set immutable config") != std::string::npos);
  auto all = h.run({"CONFIG", "GET", "*"});
  BOOST_TEST(all.elems.size() == 2 * h.state().options.all().size());
}

BOOST_AUTO_TEST_CASE(debug_is_refused_unless_enabled) {
  harness h;
  const std::string refused =
      "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from "
      "a local connection, otherwise you need to set this option in the configuration file, and then restart the "
      "server.\r\n";
  h.state().config.enable_debug_command = "no";
  BOOST_TEST(h.wire({"DEBUG", "SLEEP", "0"}) == refused);
  h.state().config.enable_debug_command = "local";
  h.client().addr = "10.0.0.1:4000";
  BOOST_TEST(h.wire({"DEBUG", "SLEEP", "0"}) == refused);
  h.client().addr = "127.0.0.1:4000";
  BOOST_TEST(h.wire({"DEBUG", "SLEEP", "0"}) == "+OK\r\n");
  BOOST_TEST(h.wire({"DEBUG"}) == "-ERR wrong number of arguments for 'debug' command\r\n");
}

BOOST_AUTO_TEST_CASE(time_and_debug) {
  harness h;
  kvd::test::frozen_clock clk(1'700'000'000'123);
  BOOST_TEST(h.run({"TIME"}).debug_string() == "[\"1700000000\",\"123000\"]");
  BOOST_TEST(h.wire({"DEBUG", "SLEEP", "0"}) == "+OK\r\n");
  BOOST_TEST(h.wire({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}) == "+OK\r\n");
  BOOST_TEST(!h.state().config.active_expire_enabled.load());
  BOOST_TEST(h.wire({"DEBUG", "NOPE"}) ==
             "-ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try DEBUG HELP.\r\n");
}

BOOST_AUTO_TEST_CASE(client_list_filters_as_redis) {
  harness h;
  BOOST_TEST(h.wire({"CLIENT", "LIST", "ID"}) == "-ERR syntax error\r\n");
  BOOST_TEST(h.wire({"CLIENT", "LIST", "TYPE", "normal", "ID", "1"}) == "-ERR syntax error\r\n");
  BOOST_TEST(h.wire({"CLIENT", "LIST", "FOO"}) == "-ERR syntax error\r\n");
  BOOST_TEST(h.wire({"CLIENT", "LIST", "TYPE", "bogus"}) == "-ERR Unknown client type 'bogus'\r\n");
  BOOST_TEST(h.wire({"CLIENT", "LIST", "ID", "abc"}) == "-ERR Invalid client ID\r\n");
  BOOST_TEST(h.wire({"CLIENT", "LIST", "ID", "0", "-5"}) == "$0\r\n\r\n");
  BOOST_TEST(h.wire({"CLIENT", "LIST", "TYPE", "pubsub"}) == "$0\r\n\r\n");
  auto mine = h.run({"CLIENT", "LIST", "ID", std::to_string(h.client().id)}).str;
  BOOST_TEST(mine.rfind("id=" + std::to_string(h.client().id) + " ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(client_kill_self_closes_after_reply) {
  harness h;
  BOOST_TEST(h.wire({"CLIENT", "KILL", "ID", std::to_string(h.client().id), "SKIPME", "no"}) == ":1\r\n");
  BOOST_TEST(h.client().close_after_reply);
  harness h2;
  BOOST_TEST(h2.wire({"CLIENT", "KILL", "ID", std::to_string(h2.client().id)}) == ":0\r\n");  // SKIPME yes
  BOOST_TEST(!h2.client().close_after_reply);
}

BOOST_AUTO_TEST_CASE(config_bounds_and_clamps_as_redis) {
  harness h;
  BOOST_TEST(h.wire({"CONFIG", "SET", "hz", "0"}) == "+OK\r\n");
  BOOST_TEST(h.run({"CONFIG", "GET", "hz"}).debug_string() == "{\"hz\":\"1\"}");
  BOOST_TEST(h.wire({"CONFIG", "SET", "hz", "1000"}) == "+OK\r\n");
  BOOST_TEST(h.run({"CONFIG", "GET", "hz"}).debug_string() == "{\"hz\":\"500\"}");
  BOOST_TEST(h.wire({"CONFIG", "SET", "proto-max-bulk-len", "10"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between "
             "1048576 and 9223372036854775807 inclusive\r\n");
  BOOST_TEST(h.wire({"CONFIG", "SET", "maxmemory-policy", "x"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of "
             "the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
             "allkeys-random, noeviction\r\n");
  BOOST_TEST(h.wire({"CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU"}) == "+OK\r\n");
  BOOST_TEST(h.run({"CONFIG", "GET", "maxmemory-policy"}).debug_string() == "{\"maxmemory-policy\":\"allkeys-lru\"}");
}

BOOST_AUTO_TEST_CASE(handler_errors_are_counted) {
  harness h;
  auto before = h.state().stats.total_error_replies.load();
  h.run({"SET", "s", "abc"});
  BOOST_TEST(h.run({"INCR", "s"}).str == "ERR value is not an integer or out of range");
  BOOST_TEST((h.run({"NOPE"}).k == kvd::protocol::reply::kind::error));
  BOOST_TEST(h.state().stats.total_error_replies.load() == before + 2);
  BOOST_TEST(h.state().table.find("incr")->stats.failed_calls.load() == 1u);
  BOOST_TEST(h.state().table.find("set")->stats.failed_calls.load() == 0u);
}
