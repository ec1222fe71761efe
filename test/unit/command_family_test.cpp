// COMMAND family: INFO/DOCS shapes and exact bytes (RESP2 and RESP3, captured from Redis
// 7.0.15), COUNT, LIST filters, GETKEYS/GETKEYSANDFLAGS and their errors, HELP; and a check
// that every table row agrees with Redis's metadata in src/command/command_meta.json.
#define BOOST_TEST_MODULE command_family
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "harness.hpp"

using kvd::protocol::reply;
using kind = kvd::protocol::reply::kind;
BOOST_TEST_DONT_PRINT_LOG_VALUE(kvd::protocol::reply::kind)
namespace cmd = kvd::command;

namespace {

void reply_ok(cmd::command_context& ctx) { ctx.rb.simple("OK"); }

/// A harness with test-only rows for commands other families own (added only when absent,
/// so the real rows win once they exist). Values are Redis 7.0's.
struct fixture {
  kvd::test::harness h;
  fixture() {
    auto& t = h.state().table;
    auto add = [&](const cmd::command_row& r) -> cmd::command_spec* {
      return t.find(r.name) ? nullptr : &t.add(r);
    };
    add({"get", 2, cmd::f_readonly | cmd::f_fast, 1, 1, 1, reply_ok, "read string fast"});
    add({"mset", -3, cmd::f_write | cmd::f_denyoom, 1, -1, 2, reply_ok, "write string slow"});
    add({"ping", -1, cmd::f_fast | cmd::f_sentinel, 0, 0, 0, reply_ok, "fast connection"});
    add({"zunionstore", -4, cmd::f_write | cmd::f_denyoom | cmd::f_movablekeys, 1, 1, 1, reply_ok, "write sortedset slow"});
    if (auto* obj = add({"object", -2, 0, 0, 0, 0, nullptr, "slow"})) {
      h.state().table.add_sub(*obj, {"encoding", 3, cmd::f_readonly, 2, 2, 1, reply_ok, "keyspace read slow"});
      h.state().table.add_sub(*obj, {"help", 2, cmd::f_loading | cmd::f_stale, 0, 0, 0, reply_ok, "keyspace slow"});
    }
  }
  reply run(std::vector<std::string> a) { return h.run(std::move(a)); }
  std::string wire(int resp, std::vector<std::string> a) {
    h.client().resp = resp;
    auto out = h.wire(std::move(a));
    h.client().resp = 2;
    return out;
  }
};

std::vector<std::string> strings(const reply& r) {
  std::vector<std::string> out;
  for (auto& e : r.elems) out.push_back(e.str);
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

boost::json::object load_meta() {
  std::string path = std::string(KVD_SOURCE_DIR) + "/src/command/command_meta.json";
  std::ifstream f(path);
  BOOST_REQUIRE_MESSAGE(f, "cannot open " << path);
  std::stringstream ss;
  ss << f.rdbuf();
  return boost::json::parse(ss.str()).as_object();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(command_family, fixture)

BOOST_AUTO_TEST_CASE(info_get_exact_bytes) {
  // Captured from redis-server 7.0.15: COMMAND INFO get.
  BOOST_TEST(wire(2, {"COMMAND", "INFO", "get"}) ==
             "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n"
             "+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n"
             "*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n"
             "$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\n"
             "limit\r\n:0\r\n*0\r\n");
  BOOST_TEST(wire(3, {"COMMAND", "INFO", "GET"}) ==
             "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n"
             "+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n"
             "%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n"
             "$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\n"
             "limit\r\n:0\r\n~0\r\n");
}

BOOST_AUTO_TEST_CASE(info_mset_tips_and_step_keys) {
  BOOST_TEST(wire(3, {"COMMAND", "INFO", "mset"}) ==
             "*1\r\n*10\r\n$4\r\nmset\r\n:-3\r\n~2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n~3\r\n+@write\r\n"
             "+@string\r\n+@slow\r\n~2\r\n$26\r\nrequest_policy:multi_shard\r\n$29\r\nresponse_policy:all_succeeded\r\n"
             "~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\n"
             "index\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
             "$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:2\r\n$5\r\nlimit\r\n:0\r\n~0\r\n");
}

BOOST_AUTO_TEST_CASE(info_shape_and_unknown) {
  auto r = run({"COMMAND", "INFO", "get", "nosuchcommand", "object|encoding", "object|nope", "get|x", "a|b|c", ""});
  BOOST_REQUIRE(r.k == kind::array);
  BOOST_REQUIRE_EQUAL(r.elems.size(), 7u);
  auto& get = r.elems[0];
  BOOST_REQUIRE(get.k == kind::array);
  BOOST_REQUIRE_EQUAL(get.elems.size(), 10u);
  BOOST_TEST(get.elems[0].str == "get");
  BOOST_TEST(get.elems[1].num == 2);
  BOOST_TEST(get.elems[2].k == kind::set);
  BOOST_TEST(get.elems[6].k == kind::set);
  BOOST_TEST(get.elems[7].k == kind::set);  // tips
  BOOST_TEST(get.elems[8].k == kind::set);  // key specs
  BOOST_TEST(get.elems[8].elems[0].k == kind::map);
  BOOST_TEST(get.elems[9].k == kind::set);  // no subcommands: empty set
  BOOST_TEST(get.elems[9].elems.empty());
  BOOST_TEST(r.elems[1].k == kind::null);
  BOOST_TEST(r.elems[2].elems[0].str == "object|encoding");
  BOOST_TEST(r.elems[2].elems[3].num == 2);
  for (std::size_t i = 3; i < 7; ++i) BOOST_TEST((r.elems[i].k == kind::null), "entry " << i);
  BOOST_TEST(wire(2, {"COMMAND", "INFO", "nope"}) == "*1\r\n$-1\r\n");
  BOOST_TEST(wire(3, {"COMMAND", "INFO", "nope"}) == "*1\r\n_\r\n");
}

BOOST_AUTO_TEST_CASE(info_container_lists_its_subcommands) {
  auto r = run({"COMMAND", "INFO", "command", "object"});
  auto& c = r.elems[0];
  BOOST_TEST(c.elems[0].str == "command");
  BOOST_TEST(c.elems[1].num == -1);
  BOOST_TEST(strings(c.elems[2]) == (std::vector<std::string>{"loading", "stale"}));  // sentinel is hidden
  BOOST_TEST(strings(c.elems[6]) == (std::vector<std::string>{"@slow", "@connection"}));
  BOOST_TEST(strings(c.elems[7]) == (std::vector<std::string>{"nondeterministic_output_order"}));
  BOOST_REQUIRE(c.elems[9].k == kind::array);
  BOOST_TEST(c.elems[9].elems.size() == 7u);
  std::vector<std::string> subs;
  for (auto& s : c.elems[9].elems) subs.push_back(s.elems[0].str);
  BOOST_TEST(contains(subs, "command|getkeysandflags"));
  BOOST_TEST(r.elems[1].elems[9].elems.size() == h.state().table.find("object")->subcommands.size());
}

BOOST_AUTO_TEST_CASE(flags_and_categories) {
  auto r = run({"COMMAND", "INFO", "zunionstore", "ping"});
  // movablekeys comes after the other flags, as Redis orders them.
  BOOST_TEST(strings(r.elems[0].elems[2]) == (std::vector<std::string>{"write", "denyoom", "movablekeys"}));
  BOOST_TEST(strings(r.elems[0].elems[6]) == (std::vector<std::string>{"@write", "@sortedset", "@slow"}));
  BOOST_TEST(strings(r.elems[1].elems[2]) == (std::vector<std::string>{"fast"}));
  BOOST_TEST(strings(r.elems[1].elems[6]) == (std::vector<std::string>{"@fast", "@connection"}));
}

BOOST_AUTO_TEST_CASE(whole_table) {
  auto n = static_cast<std::int64_t>(h.state().table.all().size());
  auto count = run({"COMMAND", "COUNT"});
  BOOST_TEST((count.k == kind::integer));
  BOOST_TEST(count.num == n);
  auto all = run({"COMMAND"});
  BOOST_TEST(static_cast<std::int64_t>(all.elems.size()) == n);
  auto info = run({"COMMAND", "INFO"});
  BOOST_TEST(static_cast<std::int64_t>(info.elems.size()) == n);
  auto docs = run({"COMMAND", "DOCS"});
  BOOST_TEST((docs.k == kind::map));
  BOOST_TEST(static_cast<std::int64_t>(docs.elems.size()) == 2 * n);
}

BOOST_AUTO_TEST_CASE(docs) {
  // Captured from redis-server 7.0.15: COMMAND DOCS get (RESP2).
  BOOST_TEST(wire(2, {"COMMAND", "DOCS", "get", "nosuchcommand"}) ==
             "*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n"
             "1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n*6\r\n"
             "$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n");
  BOOST_TEST(wire(3, {"COMMAND", "DOCS", "nosuchcommand"}) == "%0\r\n");

  auto r = run({"COMMAND", "DOCS", "command"});
  BOOST_REQUIRE(r.k == kind::map);
  BOOST_TEST(r.elems[0].str == "command");
  auto& d = r.elems[1];
  BOOST_REQUIRE(d.k == kind::map);
  const reply* subs = nullptr;
  for (std::size_t i = 0; i + 1 < d.elems.size(); i += 2)
    if (d.elems[i].str == "subcommands") subs = &d.elems[i + 1];
  BOOST_REQUIRE(subs);
  BOOST_TEST((subs->k == kind::map));
  BOOST_TEST(subs->elems.size() == 14u);
  BOOST_TEST(subs->elems[0].str.rfind("command|", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(docs_field_types) {
  auto& t = h.state().table;
  if (!t.find("georadius_ro")) t.add({"georadius_ro", -6, cmd::f_readonly, 1, 1, 1, reply_ok, "read geo slow"});
  auto r = run({"COMMAND", "DOCS", "georadius_ro"});
  auto& d = r.elems.at(1);
  std::vector<std::string> fields;
  for (std::size_t i = 0; i + 1 < d.elems.size(); i += 2) {
    auto& k = d.elems[i].str;
    auto& v = d.elems[i + 1];
    fields.push_back(k);
    if (k == "doc_flags") {  // a set of simple strings
      BOOST_TEST((v.k == kind::set));
      BOOST_TEST((v.elems.at(0).k == kind::simple));
      BOOST_TEST(v.elems[0].str == "deprecated");
    } else if (k == "history") {  // a set of [since, change] arrays
      BOOST_TEST((v.k == kind::set));
      BOOST_TEST((v.elems.at(0).k == kind::array));
      BOOST_TEST(v.elems[0].elems.at(0).str == "6.2.0");
    } else if (k == "arguments") {
      BOOST_TEST((v.k == kind::array));
      BOOST_TEST((v.elems.at(0).k == kind::map));
    } else {
      BOOST_TEST((v.k == kind::bulk), k);
    }
  }
  BOOST_TEST(fields == (std::vector<std::string>{"summary", "since", "group", "complexity", "doc_flags",
                                                 "deprecated_since", "replaced_by", "history", "arguments"}));
}

BOOST_AUTO_TEST_CASE(flags_kvd_has_no_bit_for_come_from_redis) {
  auto& t = h.state().table;
  if (!t.find("restore-asking"))
    t.add({"restore-asking", -4, cmd::f_write | cmd::f_denyoom, 1, 1, 1, reply_ok, "keyspace write slow dangerous"});
  auto r = run({"COMMAND", "INFO", "restore-asking"});
  BOOST_TEST(strings(r.elems.at(0).elems.at(2)) == (std::vector<std::string>{"write", "denyoom", "asking"}));
}

BOOST_AUTO_TEST_CASE(list_and_filters) {
  auto all = strings(run({"COMMAND", "LIST"}));
  BOOST_TEST(contains(all, "command"));
  BOOST_TEST(contains(all, "command|info"));
  BOOST_TEST(contains(all, "object|encoding"));
  std::size_t expected = 0;
  for (auto& c : h.state().table.all()) expected += 1 + c.subcommands.size();
  BOOST_TEST(all.size() == expected);

  auto pat = strings(run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "COMMAND|*"}));
  BOOST_TEST(pat.size() == 7u);
  auto cat = strings(run({"COMMAND", "LIST", "filterby", "aclcat", "STRING"}));
  BOOST_TEST(contains(cat, "get"));
  BOOST_TEST(contains(cat, "mset"));
  BOOST_TEST(!contains(cat, "command"));
  auto slow = strings(run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "slow"}));
  BOOST_TEST(contains(slow, "command|count"));  // implied: not fast
  BOOST_TEST(run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nope"}).elems.empty());
  BOOST_TEST(run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}).elems.empty());
  BOOST_TEST(run({"COMMAND", "LIST", "FILTERBY", "foo", "x"}).str == "ERR syntax error");
  BOOST_TEST(run({"COMMAND", "LIST", "x"}).str == "ERR syntax error");
  BOOST_TEST(run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "x", "y"}).str == "ERR syntax error");
}

BOOST_AUTO_TEST_CASE(getkeys) {
  BOOST_TEST(strings(run({"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"})) == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(strings(run({"COMMAND", "GETKEYS", "MSET", "a", "1", "b"})) == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(strings(run({"COMMAND", "GETKEYS", "get", "k"})) == (std::vector<std::string>{"k"}));
  BOOST_TEST(strings(run({"COMMAND", "GETKEYS", "object", "encoding", "k"})) == (std::vector<std::string>{"k"}));
  // Movable keys come from the key specs: numkeys, then the destination.
  BOOST_TEST(strings(run({"COMMAND", "GETKEYS", "zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"})) ==
             (std::vector<std::string>{"d", "a", "b"}));
  // Redis falls back to atoi() when the key spec cannot parse numkeys: keys without flags,
  // destination last.
  BOOST_TEST(wire(3, {"COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", "2abc", "a", "b"}) ==
             "*3\r\n*2\r\n$1\r\na\r\n~0\r\n*2\r\n$1\r\nb\r\n~0\r\n*2\r\n$1\r\nd\r\n~0\r\n");

  BOOST_TEST(wire(2, {"COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2"}) ==
             "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n");
  BOOST_TEST(wire(3, {"COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2"}) ==
             "*2\r\n*2\r\n$1\r\na\r\n~2\r\n+OW\r\n+update\r\n*2\r\n$1\r\nb\r\n~2\r\n+OW\r\n+update\r\n");
}

BOOST_AUTO_TEST_CASE(getkeys_errors) {
  BOOST_TEST(run({"COMMAND", "GETKEYS", "nosuch", "a"}).str == "ERR Invalid command specified");
  BOOST_TEST(run({"COMMAND", "GETKEYS", "object", "nope", "a"}).str == "ERR Invalid command specified");
  BOOST_TEST(run({"COMMAND", "GETKEYS", "get", "a", "b"}).str == "ERR Invalid number of arguments specified for command");
  BOOST_TEST(run({"COMMAND", "GETKEYS", "ping", "a"}).str == "ERR The command has no key arguments");
  BOOST_TEST(run({"COMMAND", "GETKEYS", "command", "info", "x"}).str == "ERR The command has no key arguments");
  BOOST_TEST(run({"COMMAND", "GETKEYS", "zunionstore", "d", "0", "a"}).str == "ERR Invalid arguments specified for command");
  BOOST_TEST(run({"COMMAND", "GETKEYS", "get"}).str == "ERR wrong number of arguments for 'command|getkeys' command");
  BOOST_TEST(run({"COMMAND", "NOPE"}).str == "ERR unknown subcommand 'NOPE'. Try COMMAND HELP.");
  BOOST_TEST(run({"COMMAND", "COUNT", "x"}).str == "ERR wrong number of arguments for 'command|count' command");
}

BOOST_AUTO_TEST_CASE(help) {
  auto r = run({"COMMAND", "HELP"});
  BOOST_REQUIRE(r.k == kind::array);
  BOOST_REQUIRE_EQUAL(r.elems.size(), 21u);
  BOOST_TEST((r.elems[0].k == kind::simple));
  BOOST_TEST(r.elems[0].str == "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  BOOST_TEST(r.elems[19].str == "HELP");
  BOOST_TEST(r.elems[20].str == "    Prints this help.");
}

/// Each table row (every family's, plus this file's) has Redis's arity, visible flags, key
/// positions and ACL categories; COMMAND INFO prints the row, so compare what it prints with
/// the Redis values stored in command_meta.json.
BOOST_AUTO_TEST_CASE(rows_agree_with_redis_metadata) {
  auto meta = load_meta();
  auto check = [&](const cmd::command_spec& c, const boost::json::object& m) {
    auto r = run({"COMMAND", "INFO", c.fullname});
    auto& e = r.elems.at(0);
    BOOST_REQUIRE_EQUAL(e.elems.size(), 10u);
    BOOST_TEST(e.elems[1].num == m.at("arity").as_int64(), c.fullname << " arity");
    std::vector<std::string> flags, acl;
    for (auto& f : m.at("flags").as_array()) flags.emplace_back(f.as_string());
    for (auto& f : m.at("acl").as_array()) acl.emplace_back(f.as_string());
    BOOST_TEST(strings(e.elems[2]) == flags, c.fullname << " flags");
    auto& keys = m.at("keys").as_array();
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(e.elems[3 + i].num == keys[i].as_int64(), c.fullname << " keys");
    BOOST_TEST(strings(e.elems[6]) == acl, c.fullname << " acl");
  };
  std::size_t checked = 0;
  for (auto& c : h.state().table.all()) {
    auto it = meta.find(c.name);
    if (it == meta.end()) continue;
    check(c, it->value().as_object());
    ++checked;
    for (auto& s : c.subcommands) {
      auto& subs = it->value().as_object().at("subcommands").as_object();
      if (auto sit = subs.find(s.fullname); sit != subs.end()) check(s, sit->value().as_object());
    }
  }
  BOOST_TEST(checked >= 5u);
}

BOOST_AUTO_TEST_SUITE_END()
