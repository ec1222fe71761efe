#define BOOST_TEST_MODULE acl
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/acl/acl.hpp"

// Expected replies were checked against Debian's redis-server 7.0.15. Replies are compared
// via reply::debug_string(): +simple, -error, integer, "bulk", nil, [array], {map}.

namespace {

struct fixture {
  kvd::test::harness h;

  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  /// A second connection (not yet authenticated).
  std::shared_ptr<kvd::command::client_context> conn() {
    auto c = std::make_shared<kvd::command::client_context>();
    c->id = h.state().clients.next_id();
    h.state().clients.add(c);
    return c;
  }
  std::string as(kvd::command::client_context& c, std::vector<std::string> args) {
    return h.run_as(c, std::move(args)).debug_string();
  }
  kvd::acl::user rules(std::vector<std::string> r) {
    auto u = kvd::acl::make_user("u");
    for (auto& x : r) {
      auto e = kvd::acl::apply_rule(u, x, h.state().table);
      BOOST_TEST_REQUIRE(!e.has_value(), x << ": " << e.value_or(""));
    }
    return u;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(acl, fixture)

BOOST_AUTO_TEST_CASE(command_rows_match_redis) {
  using namespace kvd::command;
  const kvd::test::expected_row rows[] = {
      {"auth", -2, f_noscript | f_loading | f_stale | f_fast | f_no_auth | f_allow_busy, 0, 0, 0, "fast connection"},
  };
  kvd::test::check_rows(h.state().table, rows);
  auto* acl = h.state().table.find("acl");
  BOOST_TEST_REQUIRE(acl != nullptr);
  BOOST_TEST(acl->subcommands.size() == 13u);
  BOOST_TEST(acl->find_sub("setuser")->acl_categories == "admin slow dangerous");
  BOOST_TEST(acl->find_sub("whoami")->acl_categories == "slow");
}

BOOST_AUTO_TEST_CASE(sha256) {
  BOOST_TEST(kvd::acl::sha256_hex("p1") == "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a");
  BOOST_TEST(kvd::acl::sha256_hex("").size() == 64u);
}

BOOST_AUTO_TEST_CASE(rule_errors_as_redis) {
  BOOST_TEST(run({"ACL", "SETUSER", "x", "foo"}) == "-ERR Error in ACL SETUSER modifier 'foo': Syntax error");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "+nosuch"}) ==
             "-ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "+@nosuch"}) ==
             "-ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "~*", "~a"}) ==
             "-ERR Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) "
             "is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "&*", "&a"}) ==
             "-ERR Error in ACL SETUSER modifier '&a': Adding a pattern after the * pattern (or the 'allchannels' "
             "flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of "
             "channels");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "<nopw"}) ==
             "-ERR Error in ACL SETUSER modifier '<nopw': The password you are trying to remove from the user does "
             "not exist");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "#abc"}) ==
             "-ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain "
             "only lowercase hexadecimal characters");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "!abc"}) ==
             "-ERR Error in ACL SETUSER modifier '!abc': The password hash must be exactly 64 characters and contain "
             "only lowercase hexadecimal characters");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "%X~a"}) == "-ERR Error in ACL SETUSER modifier '%X~a': Syntax error");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "%~a"}) == "-ERR Error in ACL SETUSER modifier '%~a': Syntax error");
  BOOST_TEST(run({"ACL", "SETUSER", "x", "+config|nosuch"}) ==
             "-ERR Error in ACL SETUSER modifier '+config|nosuch': Unknown command or category name in ACL");
  BOOST_TEST(run({"ACL", "SETUSER", "a b", "on"}) == "-ERR Usernames can't contain spaces or null characters");
  // A failed SETUSER creates nothing.
  BOOST_TEST(run({"ACL", "GETUSER", "x"}) == "nil");
  BOOST_TEST(run({"ACL", "USERS"}) == "[\"default\"]");
}

BOOST_AUTO_TEST_CASE(getuser_shape) {
  BOOST_TEST(run({"ACL", "GETUSER", "default"}) ==
             "{\"flags\":[\"on\",\"nopass\"],\"passwords\":[],\"commands\":\"+@all\",\"keys\":\"~*\","
             "\"channels\":\"&*\",\"selectors\":[]}");
  BOOST_TEST(run({"ACL", "SETUSER", "alice", "on", ">p1", "~foo*", "%R~bar*", "&ch*", "+@hash", "-hset", "+get"}) ==
             "+OK");
  BOOST_TEST(run({"ACL", "GETUSER", "alice"}) ==
             "{\"flags\":[\"on\"],\"passwords\":[\"f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a\"],"
             "\"commands\":\"-@all +@hash +get -hset\",\"keys\":\"~foo* %R~bar*\",\"channels\":\"&ch*\","
             "\"selectors\":[]}");
  // >p1 and #sha256(p1) are one password; <p1 and !sha256(p1) remove it.
  const std::string p1 = "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a";
  BOOST_TEST(run({"ACL", "SETUSER", "carol", ">p1", "#" + p1, ">p2"}) == "+OK");
  BOOST_TEST(run({"ACL", "GETUSER", "carol"}).find("\"passwords\":[\"" + p1 + "\",\"") !=
             std::string::npos);
  BOOST_TEST(run({"ACL", "SETUSER", "carol", "!" + p1, "<p2"}) == "+OK");
  BOOST_TEST(run({"ACL", "GETUSER", "carol"}).find("\"passwords\":[]") != std::string::npos);
  BOOST_TEST(run({"ACL", "SETUSER", "carol", "<p1"}) ==
             "-ERR Error in ACL SETUSER modifier '<p1': The password you are trying to remove from the user does "
             "not exist");
  BOOST_TEST(run({"ACL", "DELUSER", "carol"}) == "1");
  BOOST_TEST(run({"ACL", "SETUSER", "bob"}) == "+OK");
  BOOST_TEST(run({"ACL", "GETUSER", "bob"}) ==
             "{\"flags\":[\"off\"],\"passwords\":[],\"commands\":\"-@all\",\"keys\":\"\",\"channels\":\"\","
             "\"selectors\":[]}");
  BOOST_TEST(run({"ACL", "SETUSER", "bob", "reset"}) == "+OK");
  BOOST_TEST(run({"ACL", "GETUSER", "bob"}).starts_with("{\"flags\":[\"off\",\"sanitize-payload\"]"));
  BOOST_TEST(run({"ACL", "LIST"}) ==
             "[\"user alice on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~foo* %R~bar* "
             "resetchannels &ch* -@all +@hash +get -hset\",\"user bob off sanitize-payload resetchannels -@all\","
             "\"user default on nopass ~* &* +@all\"]");
  BOOST_TEST(run({"ACL", "USERS"}) == "[\"alice\",\"bob\",\"default\"]");
  BOOST_TEST(run({"ACL", "SETUSER", "ro", "%R~r*", "%W~w*", "%RW~b*", "~c*", "+@all", "-@dangerous"}) == "+OK");
  BOOST_TEST(run({"ACL", "GETUSER", "ro"}).find("\"commands\":\"+@all -@dangerous\",\"keys\":\"%R~r* %W~w* ~b* ~c*\"") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(command_and_category_checks) {
  auto& t = h.state().table;
  auto u = rules({"+@hash", "-hset", "+get", "+config|get", "~*"});
  auto chk = [&](std::vector<std::string_view> a) {
    const auto* c = t.find(a[0]);
    if (!c->subcommands.empty()) c = c->find_sub(a[1]);
    return kvd::acl::check(u, *c, a).what;
  };
  using kvd::acl::denial;
  BOOST_TEST((chk({"hget", "h", "f"}) == denial::none));
  BOOST_TEST((chk({"hset", "h", "f", "v"}) == denial::command));
  BOOST_TEST((chk({"get", "k"}) == denial::none));
  BOOST_TEST((chk({"set", "k", "v"}) == denial::command));
  BOOST_TEST((chk({"config", "get", "port"}) == denial::none));
  BOOST_TEST((chk({"config", "set", "port", "1"}) == denial::command));
  BOOST_TEST((chk({"auth", "x"}) == denial::none));  // no_auth commands are always allowed
  // First-arg rules: +select|0.
  auto s = rules({"+select|0"});
  BOOST_TEST((kvd::acl::check(s, *t.find("select"), std::vector<std::string_view>{"select", "0"}).what == denial::none));
  BOOST_TEST((kvd::acl::check(s, *t.find("select"), std::vector<std::string_view>{"select", "1"}).what == denial::command));
  BOOST_TEST(kvd::acl::describe_commands(s, t) == "-@all +select|0");
}

BOOST_AUTO_TEST_CASE(key_pattern_checks) {
  BOOST_TEST(run({"ACL", "SETUSER", "ro", "on", "nopass", "%R~r*", "%W~w*", "~b*", "+@all"}) == "+OK");
  auto dry = [&](std::vector<std::string> a) {
    a.insert(a.begin(), {"ACL", "DRYRUN", "ro"});
    return run(a);
  };
  BOOST_TEST(dry({"set", "r1", "v"}) == "\"This user has no permissions to access the 'r1' key\"");
  BOOST_TEST(dry({"get", "r1"}) == "+OK");
  BOOST_TEST(dry({"get", "w1"}) == "\"This user has no permissions to access the 'w1' key\"");
  BOOST_TEST(dry({"set", "w1", "v"}) == "+OK");
  BOOST_TEST(dry({"exists", "w1"}) == "+OK");  // RO without ACCESS: any pattern will do
  BOOST_TEST(dry({"copy", "r1", "w1"}) == "+OK");
  BOOST_TEST(dry({"copy", "w1", "r1"}) == "\"This user has no permissions to access the 'w1' key\"");
  BOOST_TEST(dry({"get", "b"}) == "+OK");
  BOOST_TEST(dry({"get", "zzz"}) == "\"This user has no permissions to access the 'zzz' key\"");
  // Movable keys (numkeys forms) are checked too.
  BOOST_TEST(dry({"lmpop", "2", "w1", "zz", "LEFT"}) == "\"This user has no permissions to access the 'w1' key\"");
  BOOST_TEST(dry({"lmpop", "1", "b1", "LEFT"}) == "+OK");
  BOOST_TEST(run({"ACL", "DRYRUN", "nosuch", "get", "a"}) == "-ERR User 'nosuch' not found");
  BOOST_TEST(run({"ACL", "DRYRUN", "ro", "nosuchcmd"}) == "-ERR Command 'nosuchcmd' not found");
  BOOST_TEST(run({"ACL", "DRYRUN", "ro", "get"}) == "-ERR wrong number of arguments for 'get' command");
}

BOOST_AUTO_TEST_CASE(channel_checks) {
  BOOST_TEST(run({"ACL", "SETUSER", "p", "on", "nopass", "+@all", "&news.*", "&ot*"}) == "+OK");
  auto dry = [&](std::vector<std::string> a) {
    a.insert(a.begin(), {"ACL", "DRYRUN", "p"});
    return run(a);
  };
  BOOST_TEST(dry({"publish", "news.1", "x"}) == "+OK");
  BOOST_TEST(dry({"publish", "other", "x"}) == "+OK");  // "ot*" matches it
  BOOST_TEST(dry({"publish", "chat", "x"}) == "\"This user has no permissions to access the 'chat' channel\"");
  BOOST_TEST(dry({"subscribe", "news.a", "nope"}) == "\"This user has no permissions to access the 'nope' channel\"");
  BOOST_TEST(dry({"psubscribe", "ot*"}) == "+OK");
  BOOST_TEST(dry({"psubscribe", "o*"}) == "\"This user has no permissions to access the 'o*' channel\"");
}

BOOST_AUTO_TEST_CASE(auth_and_noauth) {
  BOOST_TEST(run({"AUTH", "foo"}) ==
             "-ERR AUTH <password> called without any password configured for the default user. Are you sure your "
             "configuration is correct?");
  BOOST_TEST(run({"AUTH", "a", "b"}) == "-WRONGPASS invalid username-password pair or user is disabled.");
  BOOST_TEST(run({"CONFIG", "SET", "requirepass", "sec"}) == "+OK");
  BOOST_TEST(run({"PING"}) == "+PONG");  // authenticated when it connected (nopass then)
  auto c = conn();
  BOOST_TEST(as(*c, {"PING"}) == "-NOAUTH Authentication required.");
  BOOST_TEST(as(*c, {"GET", "k"}) == "-NOAUTH Authentication required.");
  BOOST_TEST(as(*c, {"HELLO", "3"}).starts_with("-NOAUTH HELLO must be called with the client already authenticated"));
  BOOST_TEST(as(*c, {"AUTH", "bad"}) == "-WRONGPASS invalid username-password pair or user is disabled.");
  BOOST_TEST(as(*c, {"AUTH", "sec"}) == "+OK");
  BOOST_TEST(as(*c, {"PING"}) == "+PONG");
  BOOST_TEST(as(*c, {"ACL", "WHOAMI"}) == "\"default\"");
  // HELLO AUTH and the user form.
  BOOST_TEST(run({"ACL", "SETUSER", "alice", "on", ">p1", "~foo*", "+get", "+acl|whoami"}) == "+OK");
  auto d = conn();
  BOOST_TEST(as(*d, {"HELLO", "2", "AUTH", "alice", "bad"}) == "-WRONGPASS invalid username-password pair or user is disabled.");
  BOOST_TEST(as(*d, {"HELLO", "2", "AUTH", "alice", "p1", "SETNAME", "n"}).starts_with("{\"server\":\"redis\""));
  BOOST_TEST(as(*d, {"ACL", "WHOAMI"}) == "\"alice\"");
  BOOST_TEST(as(*d, {"GET", "foo1"}) == "nil");
  BOOST_TEST(as(*d, {"GET", "zzz"}) == "-NOPERM this user has no permissions to access one of the keys used as arguments");
  BOOST_TEST(as(*d, {"SET", "foo1", "v"}) == "-NOPERM this user has no permissions to run the 'set' command");
  BOOST_TEST(as(*d, {"CONFIG", "GET", "port"}) == "-NOPERM this user has no permissions to run the 'config|get' command");
  // RESET goes back to the default user, not authenticated.
  BOOST_TEST(as(*d, {"RESET"}) == "+RESET");
  BOOST_TEST(as(*d, {"GET", "foo1"}) == "-NOAUTH Authentication required.");
  BOOST_TEST(run({"CONFIG", "SET", "requirepass", ""}) == "+OK");
  BOOST_TEST(as(*d, {"AUTH", "x"}).starts_with("-ERR AUTH <password> called without any password"));
}

BOOST_AUTO_TEST_CASE(changes_reach_connected_clients) {
  BOOST_TEST(run({"ACL", "SETUSER", "u1", "on", ">pw", "~*", "+get"}) == "+OK");
  auto c = conn();
  BOOST_TEST(as(*c, {"AUTH", "u1", "pw"}) == "+OK");
  BOOST_TEST(as(*c, {"SET", "k", "v"}) == "-NOPERM this user has no permissions to run the 'set' command");
  BOOST_TEST(run({"ACL", "SETUSER", "u1", "+set"}) == "+OK");
  BOOST_TEST(as(*c, {"SET", "k", "v"}) == "+OK");
  BOOST_TEST(run({"CLIENT", "KILL", "USER", "nosuch"}) == "-ERR No such user 'nosuch'");
  BOOST_TEST(run({"ACL", "DELUSER", "default"}) == "-ERR The 'default' user cannot be removed");
  BOOST_TEST(run({"ACL", "DELUSER", "u1", "nosuch"}) == "1");
  BOOST_TEST(as(*c, {"GET", "k"}) == "-NOPERM this user has no permissions to run the 'get' command");
}

BOOST_AUTO_TEST_CASE(multi_checks_at_queue_time) {
  BOOST_TEST(run({"ACL", "SETUSER", "m", "on", ">pw", "~*", "+multi", "+exec", "+get", "+set"}) == "+OK");
  auto c = conn();
  BOOST_TEST(as(*c, {"AUTH", "m", "pw"}) == "+OK");
  BOOST_TEST(as(*c, {"MULTI"}) == "+OK");
  BOOST_TEST(as(*c, {"DEL", "k"}) == "-NOPERM this user has no permissions to run the 'del' command");
  BOOST_TEST(as(*c, {"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.");
  // Rules changed between queueing and EXEC.
  BOOST_TEST(as(*c, {"MULTI"}) == "+OK");
  BOOST_TEST(as(*c, {"SET", "k", "v"}) == "+QUEUED");
  BOOST_TEST(as(*c, {"GET", "k"}) == "+QUEUED");
  BOOST_TEST(run({"ACL", "SETUSER", "m", "-set"}) == "+OK");
  BOOST_TEST(as(*c, {"EXEC"}) ==
             "[-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This "
             "command is no longer allowed for the following reason: no permission to execute the command or "
             "subcommand,nil]");
  auto log = h.run({"ACL", "LOG"});
  BOOST_TEST_REQUIRE(log.elems.size() == 2u);
  BOOST_TEST(log.elems[0].elems[5].str == "multi");  // context
  BOOST_TEST(log.elems[0].elems[7].str == "set");    // object
}

BOOST_AUTO_TEST_CASE(acl_log) {
  BOOST_TEST(run({"ACL", "SETUSER", "alice", "on", ">p1", "~foo*", "+get"}) == "+OK");
  auto c = conn();
  BOOST_TEST(as(*c, {"AUTH", "alice", "p1"}) == "+OK");
  BOOST_TEST(as(*c, {"GET", "zzz"}).starts_with("-NOPERM"));
  BOOST_TEST(as(*c, {"GET", "zzz"}).starts_with("-NOPERM"));
  BOOST_TEST(as(*c, {"SET", "foo", "v"}).starts_with("-NOPERM"));
  BOOST_TEST(as(*c, {"AUTH", "alice", "bad"}).starts_with("-WRONGPASS"));
  auto log = h.run({"ACL", "LOG"});
  BOOST_TEST_REQUIRE(log.elems.size() == 3u);
  auto& auth = log.elems[0];
  BOOST_TEST_REQUIRE(auth.elems.size() == 14u);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < auth.elems.size(); i += 2) keys.push_back(auth.elems[i].str);
  BOOST_TEST((keys == std::vector<std::string>{"count", "reason", "context", "object", "username", "age-seconds",
                                               "client-info"}));
  BOOST_TEST(auth.elems[3].str == "auth");
  BOOST_TEST(auth.elems[7].str == "auth");
  BOOST_TEST(auth.elems[9].str == "alice");
  BOOST_TEST(auth.elems[13].str.find(" user=alice ") != std::string::npos);
  auto& key = log.elems[2];
  BOOST_TEST(key.elems[1].num == 2);  // two identical denials merged
  BOOST_TEST(key.elems[3].str == "key");
  BOOST_TEST(key.elems[7].str == "zzz");
  BOOST_TEST(key.elems[13].str.find(" cmd=get ") != std::string::npos);
  BOOST_TEST(log.elems[1].elems[3].str == "command");
  BOOST_TEST(h.run({"ACL", "LOG", "1"}).elems.size() == 1u);
  BOOST_TEST(run({"ACL", "LOG", "abc"}) == "-ERR value is not an integer or out of range");
  BOOST_TEST(run({"CONFIG", "SET", "acllog-max-len", "1"}) == "+OK");
  BOOST_TEST(as(*c, {"GET", "other"}).starts_with("-NOPERM"));
  BOOST_TEST(h.run({"ACL", "LOG"}).elems.size() == 1u);
  BOOST_TEST(run({"ACL", "LOG", "RESET"}) == "+OK");
  BOOST_TEST(run({"ACL", "LOG"}) == "[]");
}

BOOST_AUTO_TEST_CASE(cat_genpass_help) {
  BOOST_TEST(h.run({"ACL", "CAT"}).elems.size() == 21u);
  BOOST_TEST(run({"ACL", "CAT", "nosuch"}) == "-ERR Unknown category 'nosuch'");
  auto hash = run({"ACL", "CAT", "hash"});
  BOOST_TEST(hash.find("\"hset\"") != std::string::npos);
  BOOST_TEST(hash.find("\"get\"") == std::string::npos);
  BOOST_TEST(h.run({"ACL", "GENPASS"}).str.size() == 64u);
  BOOST_TEST(h.run({"ACL", "GENPASS", "5"}).str.size() == 2u);
  BOOST_TEST(run({"ACL", "GENPASS", "0"}) ==
             "-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
  BOOST_TEST(run({"ACL", "CAT", "a", "b"}) == "-ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.");
  BOOST_TEST(h.run({"ACL", "HELP"}).elems.size() == 29u);
  BOOST_TEST(run({"ACL", "LOAD"}).starts_with("-ERR This Redis instance is not configured to use an ACL file."));
}

BOOST_AUTO_TEST_CASE(acl_file_parsing) {
  std::string errors;
  auto users = kvd::acl::parse_acl_file("user a on >x ~* +@all\n\n  user b off\n", "f.acl", h.state().table, errors);
  BOOST_TEST_REQUIRE(users.has_value());
  BOOST_TEST(users->size() == 2u);
  BOOST_TEST(kvd::acl::describe_user((*users)[0], h.state().table) ==
             "user a on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~* resetchannels +@all");
  errors.clear();
  BOOST_TEST(!kvd::acl::parse_acl_file("user a on\nfoo\nuser c bad\nuser a\n", "f.acl", h.state().table, errors));
  BOOST_TEST(errors ==
             "f.acl:2 should start with user keyword followed by the username. f.acl:3: Syntax error. WARNING: "
             "Duplicate user 'a' found on line 4. WARNING: ACL errors detected, no change to the previously active "
             "ACL rules was performed");
}

BOOST_AUTO_TEST_CASE(selector_argument_merging) {
  auto merge = [](std::vector<std::string_view> a, std::vector<std::string>& out) {
    return kvd::acl::merge_selector_args(a, out);
  };
  std::vector<std::string> out;
  BOOST_TEST(!merge({"on", "(~a", "+get)", "()", "(~b +set)", "x"}, out).has_value());
  BOOST_TEST((out == std::vector<std::string>{"on", "(~a +get)", "()", "(~b +set)", "x"}));
  BOOST_TEST(merge({"on", "(~a", "+get"}, out).value_or(99) == 1u);
  BOOST_TEST(merge({"(~a", "(~b", "+get"}, out).value_or(99) == 1u);  // an inner "(" restarts, as Redis
  BOOST_TEST(merge({"("}, out).value_or(99) == 0u);
  BOOST_TEST(!merge({")", "x("}, out).has_value());
}

BOOST_AUTO_TEST_CASE(selector_rules_as_redis) {
  BOOST_TEST(run({"ACL", "SETUSER", "s", "(~a", "+get"}) ==
             "-ERR Unmatched parenthesis in acl selector starting at '(~a'.");
  BOOST_TEST(run({"ACL", "SETUSER", "s", "on", "(~a", "(~b", "+get"}) ==
             "-ERR Unmatched parenthesis in acl selector starting at '(~b'.");
  BOOST_TEST(run({"ACL", "SETUSER", "s", "(~x", "on)"}) ==
             "-ERR Error in ACL SETUSER modifier '(~x on)': Syntax error");
  for (std::string r : {"(on)", "(reset)", "(>pw)", "(nopass)", "(clearselectors)", "((~a))", "(\"\")"})
    BOOST_TEST(run({"ACL", "SETUSER", "s", r}) == "-ERR Error in ACL SETUSER modifier '" + r + "': Syntax error");
  BOOST_TEST(run({"ACL", "SETUSER", "s", "(~x +nosuch)"}) ==
             "-ERR Error in ACL SETUSER modifier '(~x +nosuch)': Unknown command or category name in ACL");
  BOOST_TEST(run({"ACL", "SETUSER", "s", "(~* ~a)"}).starts_with(
      "-ERR Error in ACL SETUSER modifier '(~* ~a)': Adding a pattern after the * pattern (or the 'allkeys' flag)"));
  BOOST_TEST(run({"ACL", "GETUSER", "s"}) == "nil");  // nothing was created
  // Quoting inside a selector as sdssplitargs; bad quoting gives an empty selector (Redis).
  BOOST_TEST(run({"ACL", "SETUSER", "s", "(~a \"+get\" %R~b)", "('~c' +set)", "(\"a)"}) == "+OK");
  BOOST_TEST(run({"ACL", "LIST"}) ==
             "[\"user default on nopass ~* &* +@all\",\"user s off resetchannels -@all (~a %R~b resetchannels -@all "
             "+get) (~c resetchannels -@all +set) (resetchannels -@all)\"]");
  BOOST_TEST(run({"ACL", "SETUSER", "s", "clearselectors", "on", "nopass", "~a*", "+set", "(~key* +get)",
                  "(%R~r* &ch* +hget)"}) == "+OK");
  BOOST_TEST(run({"ACL", "GETUSER", "s"}) ==
             "{\"flags\":[\"on\",\"nopass\"],\"passwords\":[],\"commands\":\"-@all +set\",\"keys\":\"~a*\","
             "\"channels\":\"\",\"selectors\":[{\"commands\":\"-@all +get\",\"keys\":\"~key*\",\"channels\":\"\"},"
             "{\"commands\":\"-@all +hget\",\"keys\":\"%R~r*\",\"channels\":\"&ch*\"}]}");
  BOOST_TEST(run({"ACL", "LIST"}) ==
             "[\"user default on nopass ~* &* +@all\",\"user s on nopass ~a* resetchannels -@all +set (~key* "
             "resetchannels -@all +get) (%R~r* resetchannels &ch* -@all +hget)\"]");
  // reset drops the selectors; a new selector gets acl-pubsub-default's channels.
  BOOST_TEST(run({"ACL", "SETUSER", "s", "reset"}) == "+OK");
  BOOST_TEST(run({"ACL", "GETUSER", "s"}).ends_with("\"selectors\":[]}"));
  BOOST_TEST(run({"CONFIG", "SET", "acl-pubsub-default", "allchannels"}) == "+OK");
  BOOST_TEST(run({"ACL", "SETUSER", "p", "(~a +get)"}) == "+OK");
  BOOST_TEST(run({"ACL", "LIST"}).find("\"user p off &* -@all (~a &* -@all +get)\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(selector_checks) {
  BOOST_TEST(run({"ACL", "SETUSER", "s", "on", "nopass", "~a*", "+set", "(~key* +get)", "(%R~r* +@read)",
                  "(&ch* +publish)"}) == "+OK");
  auto dry = [&](std::vector<std::string> a) {
    a.insert(a.begin(), {"ACL", "DRYRUN", "s"});
    return run(a);
  };
  auto key = [](std::string k) { return "\"This user has no permissions to access the '" + k + "' key\""; };
  BOOST_TEST(dry({"get", "key1"}) == "+OK");        // selector 1
  BOOST_TEST(dry({"get", "r1"}) == "+OK");          // selector 2
  BOOST_TEST(dry({"set", "a1", "v"}) == "+OK");     // root
  BOOST_TEST(dry({"publish", "ch1", "x"}) == "+OK");  // selector 3
  BOOST_TEST(dry({"get", "a1"}) == key("a1"));
  BOOST_TEST(dry({"set", "key1", "v"}) == key("key1"));
  BOOST_TEST(dry({"set", "r1", "v"}) == key("r1"));  // %R~ only
  // Commands, keys and channels are checked together per selector: no mixing of two.
  BOOST_TEST(dry({"mget", "key1", "r1", "a1"}) == key("key1"));
  BOOST_TEST(dry({"mget", "zz", "key1"}) == key("zz"));
  BOOST_TEST(dry({"publish", "zz", "x"}) == "\"This user has no permissions to access the 'zz' channel\"");
  BOOST_TEST(dry({"lpush", "x", "1"}) == "\"This user has no permissions to run the 'lpush' command\"");
  // The check itself: the gravest denial, at the highest index among equals.
  auto& t = h.state().table;
  auto u = rules({"~a", "+mget", "(~b +mget)"});
  using kvd::acl::denial;
  auto r = kvd::acl::check(u, *t.find("mget"), std::vector<std::string_view>{"mget", "b", "a"});
  BOOST_TEST((r.what == denial::key && r.pos == 2u));
  r = kvd::acl::check(u, *t.find("mget"), std::vector<std::string_view>{"mget", "a", "a", "b"});
  BOOST_TEST((r.what == denial::key && r.pos == 3u));
  BOOST_TEST((kvd::acl::check(u, *t.find("get"), std::vector<std::string_view>{"get", "a"}).what == denial::command));
  // Over RESP: a denied command fails with NOPERM and is logged; an allowed one runs.
  auto c = conn();
  BOOST_TEST(as(*c, {"AUTH", "s", "x"}) == "+OK");
  BOOST_TEST(as(*c, {"SET", "a1", "v"}) == "+OK");
  BOOST_TEST(as(*c, {"SET", "key1", "v"}) ==
             "-NOPERM this user has no permissions to access one of the keys used as arguments");
  BOOST_TEST(as(*c, {"GET", "key1"}) == "nil");
  BOOST_TEST(as(*c, {"GET", "a1"}) ==
             "-NOPERM this user has no permissions to access one of the keys used as arguments");
}

BOOST_AUTO_TEST_CASE(selector_acl_file) {
  std::string errors;
  auto& t = h.state().table;
  auto users = kvd::acl::parse_acl_file("user a on nopass ~a* +set (~k* resetchannels -@all +get) (&c* +publish)\n",
                                        "f.acl", t, errors);
  BOOST_TEST_REQUIRE(users.has_value());
  BOOST_TEST((*users)[0].selectors.size() == 2u);
  BOOST_TEST(kvd::acl::describe_user((*users)[0], t) ==
             "user a on nopass ~a* resetchannels -@all +set (~k* resetchannels -@all +get) (resetchannels &c* -@all "
             "+publish)");
  errors.clear();
  BOOST_TEST(!kvd::acl::parse_acl_file("user a on (~k* +get\nuser b (on)\n", "f.acl", t, errors));
  BOOST_TEST(errors ==
             "f.acl:1: Unmatched parenthesis in selector declaration. f.acl:2: Syntax error. WARNING: ACL errors "
             "detected, no change to the previously active ACL rules was performed");
}

BOOST_AUTO_TEST_CASE(pubsub_default) {
  BOOST_TEST(run({"CONFIG", "GET", "acl-pubsub-default"}) == "{\"acl-pubsub-default\":\"resetchannels\"}");
  BOOST_TEST(run({"CONFIG", "SET", "acl-pubsub-default", "allchannels"}) == "+OK");
  BOOST_TEST(run({"ACL", "SETUSER", "pa"}) == "+OK");
  BOOST_TEST(run({"ACL", "SETUSER", "pb", "&x"}).starts_with("-ERR Error in ACL SETUSER modifier '&x': Adding a pattern"));
  BOOST_TEST(run({"ACL", "SETUSER", "pb", "resetchannels", "&x", "reset"}) == "+OK");
  BOOST_TEST(run({"ACL", "LIST"}) ==
             "[\"user default on nopass ~* &* +@all\",\"user pa off &* -@all\",\"user pb off sanitize-payload &* -@all\"]");
  BOOST_TEST(run({"CONFIG", "SET", "acl-pubsub-default", "bad"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'acl-pubsub-default') - argument(s) must be one of "
             "the following: allchannels, resetchannels");
}

BOOST_AUTO_TEST_CASE(protected_configs) {
  BOOST_TEST(run({"CONFIG", "SET", "dbfilename", "x.rdb"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config");
  BOOST_TEST(run({"CONFIG", "SET", "dir", "/tmp"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config");
}

BOOST_AUTO_TEST_SUITE_END()
