#define BOOST_TEST_MODULE introspection
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <unistd.h>

#include <filesystem>
#include <iterator>
#include <fstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/command/introspection.hpp"

// SLOWLOG, LATENCY, MEMORY, INFO commandstats/errorstats/latencystats, CONFIG REWRITE, DEBUG
// and CLIENT PAUSE/REPLY/NO-EVICT state. Replies checked against redis-server 7.0.15; rendered
// via reply::debug_string(): +simple, -error, integer, "bulk", nil, [array], {map}.

namespace {

struct fixture {
  kvd::test::harness h;
  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  std::string info(const std::string& section) {
    auto r = h.run({"INFO", section});
    return r.debug_string();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(introspection, fixture)

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  using namespace kvd::command;
  auto& t = h.state().table;
  auto sub = [&](const char* parent, const char* name) { return t.find(parent)->find_sub(name); };
  BOOST_TEST_REQUIRE(sub("slowlog", "get") != nullptr);
  BOOST_TEST(sub("slowlog", "get")->arity == -2);
  BOOST_TEST(sub("slowlog", "len")->flags == (f_admin | f_loading | f_stale));
  BOOST_TEST(sub("latency", "reset")->arity == -2);
  BOOST_TEST(sub("memory", "usage")->first_key == 2);
  BOOST_TEST(sub("memory", "usage")->acl_categories == "read slow");
  BOOST_TEST(sub("config", "rewrite")->arity == 2);
  BOOST_TEST(sub("client", "pause")->arity == -3);
  BOOST_TEST(sub("client", "reply")->arity == 3);
  BOOST_TEST(sub("client", "no-evict")->arity == 3);
}

BOOST_AUTO_TEST_CASE(slowlog_records_and_truncates) {
  BOOST_TEST(run({"CONFIG", "SET", "slowlog-log-slower-than", "0"}) == "+OK");
  std::vector<std::string> rpush{"RPUSH", "l"};
  for (int i = 1; i <= 40; ++i) rpush.push_back(std::to_string(i));
  run(rpush);
  run({"SET", "k", std::string(200, 'x')});
  auto r = h.run({"SLOWLOG", "GET", "2"});
  BOOST_TEST_REQUIRE(r.elems.size() == 2u);
  auto& set = r.elems[0];  // newest first
  BOOST_TEST(set.elems.size() == 6u);
  auto& argv = set.elems[3];
  BOOST_TEST(argv.elems.size() == 3u);
  BOOST_TEST(argv.elems[2].str == std::string(128, 'x') + "... (72 more bytes)");
  auto& push_argv = r.elems[1].elems[3];
  BOOST_TEST(push_argv.elems.size() == 32u);
  BOOST_TEST(push_argv.elems[31].str == "... (11 more arguments)");
  BOOST_TEST(push_argv.elems[30].str == "29");
  BOOST_TEST(r.elems[0].elems[0].num > r.elems[1].elems[0].num);
  BOOST_TEST(run({"SLOWLOG", "GET", "-2"}) == "-ERR count should be greater than or equal to -1");
  BOOST_TEST(run({"SLOWLOG", "GET", "abc"}) == "-ERR count should be greater than or equal to -1");
  BOOST_TEST(run({"SLOWLOG", "GET", "0"}) == "[]");
  BOOST_TEST(run({"SLOWLOG", "RESET"}) == "+OK");
  BOOST_TEST(run({"SLOWLOG", "LEN"}) == "1");  // the RESET itself was logged after it ran
  BOOST_TEST(run({"CONFIG", "SET", "slowlog-log-slower-than", "-1"}) == "+OK");
  run({"SLOWLOG", "RESET"});
  run({"PING"});
  BOOST_TEST(run({"SLOWLOG", "LEN"}) == "0");
  BOOST_TEST(run({"CONFIG", "SET", "slowlog-log-slower-than", "-2"}).find("-ERR CONFIG SET failed") == 0u);
}

BOOST_AUTO_TEST_CASE(slowlog_max_len) {
  run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  run({"CONFIG", "SET", "slowlog-max-len", "3"});
  for (int i = 0; i < 10; ++i) run({"PING"});
  BOOST_TEST(run({"SLOWLOG", "LEN"}) == "3");
}

BOOST_AUTO_TEST_CASE(latency_monitor) {
  BOOST_TEST(run({"LATENCY", "LATEST"}) == "[]");
  BOOST_TEST(run({"CONFIG", "SET", "latency-monitor-threshold", "1"}) == "+OK");
  run({"DEBUG", "SLEEP", "0.01"});
  auto r = h.run({"LATENCY", "LATEST"});
  BOOST_TEST_REQUIRE(r.elems.size() == 1u);
  BOOST_TEST(r.elems[0].elems[0].str == "command");
  BOOST_TEST(r.elems[0].elems[2].num >= 10);
  auto hist = h.run({"LATENCY", "HISTORY", "command"});
  BOOST_TEST(hist.elems.size() == 1u);
  BOOST_TEST(run({"LATENCY", "HISTORY", "nope"}) == "[]");
  BOOST_TEST(run({"LATENCY", "GRAPH", "nope"}) == "-ERR No samples available for event 'nope'");
  BOOST_TEST(run({"LATENCY", "RESET", "command", "nope"}) == "1");
  BOOST_TEST(run({"LATENCY", "RESET"}) == "0");
  BOOST_TEST(run({"LATENCY", "FOO"}) == "-ERR unknown subcommand 'FOO'. Try LATENCY HELP.");
}

BOOST_AUTO_TEST_CASE(info_commandstats_errorstats_latencystats) {
  run({"SET", "a", "b"});
  run({"GET", "a"});
  run({"NOSUCH"});
  run({"INCR", "a"});
  run({"CONFIG", "GET", "maxmemory"});
  auto cs = info("commandstats");
  BOOST_TEST(cs.find("cmdstat_set:calls=1,usec=") != std::string::npos);
  BOOST_TEST(cs.find("cmdstat_incr:calls=1,") != std::string::npos);
  BOOST_TEST(cs.find("rejected_calls=0,failed_calls=1") != std::string::npos);
  BOOST_TEST(cs.find("cmdstat_config|get:calls=1") != std::string::npos);
  auto es = info("errorstats");
  BOOST_TEST(es.find("errorstat_ERR:count=2") != std::string::npos);
  auto ls = info("latencystats");
  BOOST_TEST(ls.find("latency_percentiles_usec_set:p50=") != std::string::npos);
  BOOST_TEST(ls.find(",p99=") != std::string::npos);
  BOOST_TEST(ls.find(",p99.9=") != std::string::npos);
  BOOST_TEST(run({"CONFIG", "SET", "latency-tracking-info-percentiles", "50.0 99.99"}) == "+OK");
  BOOST_TEST(run({"CONFIG", "GET", "latency-tracking-info-percentiles"}).find("\"50 99.99\"") != std::string::npos);
  BOOST_TEST(info("latencystats").find("latency_percentiles_usec_set:p50=") != std::string::npos);
  BOOST_TEST(run({"CONFIG", "RESETSTAT"}) == "+OK");
  BOOST_TEST(info("commandstats").find("cmdstat_set:") == std::string::npos);
  BOOST_TEST(info("errorstats").find("errorstat_ERR") == std::string::npos);
  BOOST_TEST(info("latencystats").find("usec_set:") == std::string::npos);
  auto def = info("default");
  BOOST_TEST(def.find("# Errorstats") != std::string::npos);
  BOOST_TEST(def.find("# Commandstats") == std::string::npos);
  BOOST_TEST(def.find("used_memory_dataset:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(latency_histogram_percentiles) {
  kvd::command::latency_histogram hist;
  for (int i = 1; i <= 100; ++i) hist.record(static_cast<std::uint64_t>(i) * 1000);
  double p50 = hist.percentile(50), p99 = hist.percentile(99);
  BOOST_TEST(p50 >= 50000);
  BOOST_TEST(p50 <= 50000 * 1.07);
  BOOST_TEST(p99 >= 99000);
  BOOST_TEST(p99 <= 99000 * 1.07);
  BOOST_TEST(hist.count() == 100u);
}

BOOST_AUTO_TEST_CASE(memory_usage) {
  run({"SET", "k", std::string(200, 'x')});
  auto r = h.run({"MEMORY", "USAGE", "k"});
  BOOST_TEST(r.num >= 200);
  BOOST_TEST(r.num < 400);
  BOOST_TEST(run({"MEMORY", "USAGE", "nokey"}) == "nil");
  BOOST_TEST(run({"MEMORY", "USAGE", "k", "samples"}) == "-ERR syntax error");
  BOOST_TEST(run({"MEMORY", "USAGE", "k", "samples", "x"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"MEMORY", "USAGE", "k", "foo", "1"}) == "-ERR syntax error");
  BOOST_TEST(h.run({"MEMORY", "USAGE", "k", "SAMPLES", "0"}).num == r.num);
  auto stats = run({"MEMORY", "STATS"});
  BOOST_TEST(stats.find("\"keys.count\"") != std::string::npos);
  BOOST_TEST(stats.find("\"db.0\"") != std::string::npos);
  BOOST_TEST(stats.find("\"overhead.hashtable.main\"") != std::string::npos);
  BOOST_TEST(run({"MEMORY", "PURGE"}) == "+OK");
}

BOOST_AUTO_TEST_CASE(config_rewrite) {
  BOOST_TEST(run({"CONFIG", "REWRITE"}) == "-ERR The server is running without a config file");
  auto dir = std::filesystem::temp_directory_path() / ("kvd-rewrite-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "kvd.conf").string();
  {
    std::ofstream f(path);
    f << "# top comment\nport = 6379\n\n# slow log\nslowlog-max-len = 128\nmaxmemory = 1gb\nunknown-thing = 1\n"
         "slowlog-max-len = 5\n";
  }
  h.state().config.config_file = path;  // the harness set enable-debug-command yes: not a default
  run({"CONFIG", "SET", "slowlog-max-len", "77"});
  run({"CONFIG", "SET", "latency-monitor-threshold", "5"});
  run({"CONFIG", "SET", "save", ""});
  BOOST_TEST(run({"CONFIG", "REWRITE"}) == "+OK");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(text ==
             "# top comment\nport = 6379\n\n# slow log\nslowlog-max-len = 77\nmaxmemory = 0\nunknown-thing = 1\n"
             "\n# Generated by CONFIG REWRITE\nenable-debug-command = yes\nlatency-monitor-threshold = 5\n"
             "user = default on nopass ~* &* +@all\n");  // every user, as Redis rewriteConfigUserOption
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(debug_subcommands) {
  run({"SET", "k", "hello"});
  auto obj = run({"DEBUG", "OBJECT", "k"});
  BOOST_TEST(obj.find("+Value at:") == 0u);
  BOOST_TEST(obj.find(" refcount:1 encoding:embstr serializedlength:") != std::string::npos);
  BOOST_TEST(run({"DEBUG", "OBJECT", "nokey"}) == "-ERR no such key");
  BOOST_TEST(run({"DEBUG", "CHANGE-REPL-ID"}) == "+OK");
  BOOST_TEST(info("replication").find("master_replid:" + std::string(40, 'a')) == std::string::npos);
  BOOST_TEST(run({"DEBUG", "DIGEST"}) == "-ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP.");
  BOOST_TEST(run({"DEBUG", "RELOAD", "bogus"}) == "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
}

BOOST_AUTO_TEST_CASE(client_pause_state) {
  using namespace kvd::command;
  std::vector<std::string_view> set{"SET", "k", "v"}, get{"GET", "k"};
  BOOST_TEST(pause_wait_ms(h.state(), set) == 0);
  BOOST_TEST(run({"CLIENT", "PAUSE", "abc"}) == "-ERR timeout is not an integer or out of range");
  BOOST_TEST(run({"CLIENT", "PAUSE", "-1"}) == "-ERR timeout is negative");
  BOOST_TEST(run({"CLIENT", "PAUSE", "10", "foo"}) == "-ERR CLIENT PAUSE mode must be WRITE or ALL");
  BOOST_TEST(run({"CLIENT", "PAUSE", "100000", "WRITE"}) == "+OK");
  BOOST_TEST(pause_wait_ms(h.state(), set) > 0);
  BOOST_TEST(pause_wait_ms(h.state(), get) == 0);
  BOOST_TEST(run({"CLIENT", "UNPAUSE"}) == "+OK");
  BOOST_TEST(pause_wait_ms(h.state(), set) == 0);
  BOOST_TEST(run({"CLIENT", "PAUSE", "100000"}) == "+OK");
  BOOST_TEST(pause_wait_ms(h.state(), get) > 0);
  run({"CLIENT", "UNPAUSE"});
}

BOOST_AUTO_TEST_CASE(client_reply_and_no_evict_flags) {
  BOOST_TEST(run({"CLIENT", "REPLY", "foo"}) == "-ERR syntax error");
  run({"CLIENT", "REPLY", "SKIP"});
  BOOST_TEST(h.client().reply_skip_next);
  h.client().reply_skip_next = false;
  run({"CLIENT", "REPLY", "OFF"});
  BOOST_TEST(h.client().reply_off);
  BOOST_TEST(run({"CLIENT", "REPLY", "ON"}) == "+OK");
  BOOST_TEST(!h.client().reply_off);
  BOOST_TEST(run({"CLIENT", "NO-EVICT", "maybe"}) == "-ERR syntax error");
  BOOST_TEST(run({"CLIENT", "NO-EVICT", "on"}) == "+OK");
  BOOST_TEST(run({"CLIENT", "INFO"}).find(" flags=e ") != std::string::npos);
  BOOST_TEST(run({"CLIENT", "TRACKING", "on"}).find("-ERR CLIENT TRACKING is not supported") == 0u);
  BOOST_TEST(run({"CLIENT", "KILL", "USER", "nobody"}) == "-ERR No such user 'nobody'");
  BOOST_TEST(run({"CLIENT", "KILL", "ID", "999"}) == "0");
}

BOOST_AUTO_TEST_SUITE_END()
