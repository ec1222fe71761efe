// Connection commands: PING ECHO QUIT HELLO SELECT RESET and CLIENT's subcommands
// (ID SETNAME GETNAME LIST INFO KILL SETINFO UNBLOCK PAUSE UNPAUSE NO-EVICT REPLY TRACKING HELP). Source: Redis 7.0 networking.c, server.c.
#include <climits>
#include <sstream>

#include "kvd/acl/acl.hpp"
#include "kvd/command/arg_parser.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/command/introspection.hpp"
#include "kvd/command/multi.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/glob.hpp"

namespace kvd::command {
namespace {

/// The Redis version kvd reports to clients (HELLO, INFO redis_version): the Redis release
/// whose behaviour it follows, so client libraries enable the right features.
constexpr std::string_view compat_redis_version = "7.0.15";

// ---- helpers --------------------------------------------------------------------------

/// Redis validateClientAttr / clientSetName: only printable ASCII without spaces.
bool valid_client_attr(std::string_view s) {
  for (char ch : s)
    if (ch < '!' || ch > '~') return false;
  return true;
}

/// Redis getClientType: "pubsub" while subscribed, else "normal" (no replicas yet).
bool is_pubsub_client(const client_context& c) {
  return c.subs.n_channels.load() + c.subs.n_patterns.load() + c.subs.n_shard.load() > 0;
}

/// One CLIENT LIST / CLIENT INFO line with Redis 7.0's fields (networking.c catClientInfoString),
/// then 7.2's lib-name and lib-ver (CLIENT SETINFO). Buffers kvd does not keep per client
/// (qbuf-free, argv-mem: arguments are views into the read buffer, rbs/rbp, obl/oll: replies
/// are one string) read 0.
std::string client_line(const client_context& c, bool blocked) {
  std::int64_t now = util::now_ms();
  std::lock_guard lk(c.info_mu);
  auto qbuf = c.query_buffer_bytes.load(), omem = c.output_buffer_bytes.load();
  std::ostringstream o;
  int sub = c.subs.n_channels.load(), psub = c.subs.n_patterns.load(), ssub = c.subs.n_shard.load();
  // Flags in Redis's order (networking.c catClientInfoString).
  std::string flags;
  if (c.subs.monitor.load()) flags += 'O';
  if (sub + psub + ssub > 0) flags += 'P';
  if (c.multi_count.load(std::memory_order_relaxed) >= 0) flags += 'x';
  if (blocked) flags += 'b';
  if (c.dirty_cas.load(std::memory_order_relaxed)) flags += 'd';
  if (c.no_evict.load(std::memory_order_relaxed)) flags += 'e';
  if (flags.empty()) flags.push_back('N');
  o << "id=" << c.id << " addr=" << c.addr << " laddr=" << c.laddr << " fd=" << c.fd << " name=" << c.name
    << " age=" << (now - c.created_ms) / 1000 << " idle=" << (now - c.last_interaction_ms.load()) / 1000
    << " flags=" << flags << " db=" << c.db << " sub=" << sub << " psub=" << psub << " ssub=" << ssub
    << " multi=" << c.multi_count.load() << " qbuf=" << qbuf
    << " qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=" << omem
    << " tot-mem=" << qbuf + omem + sizeof(client_context) << " events=" << (omem ? "rw" : "r")
    << " cmd=" << c.last_command << " user=" << (c.user ? c.user->name : std::string("default"))
    << " redir=-1 resp=" << c.resp << " lib-name=" << c.lib_name
    << " lib-ver=" << c.lib_ver << "\n";
  return o.str();
}

}  // namespace

std::string client_info_line(const client_context& c) { return client_line(c, false); }

namespace {

// ---- handlers -------------------------------------------------------------------------

void cmd_ping(command_context& c) {
  if (c.argc() > 2) return c.rb.error("ERR wrong number of arguments for 'ping' command");
  if (c.client.subs.pubsub_mode && c.client.resp == 2) {
    // Redis: a subscribed RESP2 client gets ["pong", <argument or "">].
    c.rb.array(2);
    c.rb.bulk("pong");
    return c.rb.bulk(c.argc() == 2 ? c.arg(1) : std::string_view());
  }
  if (c.argc() == 2) return c.rb.bulk(c.arg(1));
  c.rb.simple("PONG");
}

void cmd_echo(command_context& c) { c.rb.bulk(c.arg(1)); }

void cmd_quit(command_context& c) {
  c.client.close_after_reply = true;
  c.rb.simple("OK");
}

void cmd_select(command_context& c) {
  auto n = util::parse_int64(c.arg(1));
  if (!n) return c.rb.error(err::not_integer);
  // Redis reads the index with getIntFromObjectOrReply: outside int range is its own error.
  if (*n < INT_MIN || *n > INT_MAX)
    return c.rb.error("ERR value is out of range, value must between -2147483648 and 2147483647");
  if (*n < 0 || *n >= c.server.keyspace.databases()) return c.rb.error(err::db_index);
  std::lock_guard lk(c.client.info_mu);
  c.client.db = static_cast<int>(*n);
  c.rb.simple("OK");
}

void cmd_hello(command_context& c) {
  int ver = c.client.resp;
  std::size_t i = 1;
  if (c.argc() >= 2) {
    auto v = util::parse_int64(c.arg(1));
    if (!v) return c.rb.error("ERR Protocol version is not an integer or out of range");
    if (*v < 2 || *v > 3) return c.rb.error("NOPROTO unsupported protocol version");
    ver = static_cast<int>(*v);
    i = 2;
  }
  std::string_view setname, user, pass;
  bool has_setname = false, has_auth = false;
  for (; i < c.argc(); ++i) {
    bool more = i + 1 < c.argc();
    if (iequals(c.arg(i), "AUTH") && i + 2 < c.argc()) {
      user = c.arg(i + 1);
      pass = c.arg(i + 2);
      has_auth = true;
      i += 2;
    } else if (iequals(c.arg(i), "SETNAME") && more) {
      setname = c.arg(++i);
      has_setname = true;
      if (!valid_client_attr(setname))
        return c.rb.error("ERR Client names cannot contain spaces, newlines or special characters.");
    } else {
      return c.rb.error("ERR Syntax error in HELLO option '" + std::string(c.arg(i)) + "'");
    }
  }
  // Redis 7.0 helloCommand: AUTH first, then the client must be authenticated.
  if (has_auth && !acl::authenticate_client(c.server, c.client, user, pass, "hello"))
    return c.rb.error("WRONGPASS invalid username-password pair or user is disabled.");
  acl::client_user(c.server, c.client);
  if (c.server.acl.auth_required() && !c.client.authenticated)
    return c.rb.error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH "
        "<user> <pass> option can be used to authenticate the client and select the RESP protocol version at "
        "the same time");
  {
    std::lock_guard lk(c.client.info_mu);
    if (has_setname) c.client.name = setname;
    c.client.resp = ver;
  }
  c.rb.set_protocol(ver);  // Redis replies to HELLO in the protocol it switches to
  c.rb.map(7);
  c.rb.bulk("server");
  c.rb.bulk("redis");
  c.rb.bulk("version");
  c.rb.bulk(compat_redis_version);
  c.rb.bulk("proto");
  c.rb.integer(ver);
  c.rb.bulk("id");
  c.rb.integer(static_cast<std::int64_t>(c.client.id));
  c.rb.bulk("mode");
  c.rb.bulk("standalone");
  c.rb.bulk("role");
  c.rb.bulk("master");
  c.rb.bulk("modules");
  c.rb.array(0);
}

void cmd_reset(command_context& c) {
  discard_transaction(c.server, c.client);  // Redis clearClientConnectionState: MULTI and WATCH go
  pubsub_reset_client(c.client, c.server);  // unsubscribes everything, leaves MONITOR
  {
    std::lock_guard lk(c.client.info_mu);
    c.client.db = 0;
    c.client.name.clear();
    c.client.resp = 2;
    // Redis clientSetDefaultAuth: back to the default user, authenticated if it needs no password.
    c.client.acl_ready = false;
  }
  acl::client_user(c.server, c.client);
  c.rb.simple("RESET");
}

void cmd_client_id(command_context& c) { c.rb.integer(static_cast<std::int64_t>(c.client.id)); }

void cmd_client_setname(command_context& c) {
  if (!valid_client_attr(c.arg(2)))
    return c.rb.error("ERR Client names cannot contain spaces, newlines or special characters.");
  std::lock_guard lk(c.client.info_mu);
  c.client.name = c.arg(2);
  c.rb.simple("OK");
}

void cmd_client_getname(command_context& c) {
  std::string name;
  {
    std::lock_guard lk(c.client.info_mu);
    name = c.client.name;
  }
  if (name.empty()) return c.rb.null();
  c.rb.bulk(name);
}

void cmd_client_setinfo(command_context& c) {
  std::string_view attr = c.arg(2), v = c.arg(3);
  bool is_name = iequals(attr, "lib-name"), is_ver = iequals(attr, "lib-ver");
  if (!is_name && !is_ver) return c.rb.error("ERR Unrecognized option '" + std::string(attr) + "'");
  if (!valid_client_attr(v))
    return c.rb.error("ERR " + std::string(is_name ? "lib-name" : "lib-ver") +
                      " cannot contain spaces, newlines or special characters.");
  std::lock_guard lk(c.client.info_mu);
  (is_name ? c.client.lib_name : c.client.lib_ver) = v;
  c.rb.simple("OK");
}

void cmd_client_info(command_context& c) {
  auto line = client_line(c.client, false);
  c.rb.verbatim("txt", line);
}

void cmd_client_list(command_context& c) {
  // Redis 7.0 accepts exactly one filter: `TYPE <type>` or `ID <id> [<id> ...]`.
  std::vector<std::uint64_t> ids;
  bool filter_ids = false, only_other_types = false;
  int want_pubsub = -1;  // -1: any, 0: normal, 1: pubsub
  if (c.argc() == 4 && iequals(c.arg(2), "TYPE")) {
    auto t = c.arg(3);
    if (!iequals(t, "normal") && !iequals(t, "master") && !iequals(t, "replica") && !iequals(t, "slave") &&
        !iequals(t, "pubsub"))
      return c.rb.error("ERR Unknown client type '" + std::string(t) + "'");
    only_other_types = !iequals(t, "normal") && !iequals(t, "pubsub");  // no replicas exist yet
    want_pubsub = iequals(t, "pubsub") ? 1 : 0;
  } else if (c.argc() > 3 && iequals(c.arg(2), "ID")) {
    filter_ids = true;
    for (std::size_t i = 3; i < c.argc(); ++i) {
      auto v = util::parse_int64(c.arg(i));
      if (!v) return c.rb.error("ERR Invalid client ID");
      if (*v > 0) ids.push_back(static_cast<std::uint64_t>(*v));
    }
  } else if (c.argc() != 2) {
    return c.rb.error(err::syntax);
  }
  std::string out;
  if (!only_other_types)
    for (auto& cl : c.server.clients.list()) {
      if (filter_ids && std::find(ids.begin(), ids.end(), cl->id) == ids.end()) continue;
      if (want_pubsub >= 0 && is_pubsub_client(*cl) != (want_pubsub == 1)) continue;
      out += client_line(*cl, c.server.blocking.is_blocked(cl->id));
    }
  c.rb.verbatim("txt", out);
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking command with its
/// timeout reply or the UNBLOCKED error; 1 when it was blocked, else 0 (Redis 7.0).
void cmd_client_unblock(command_context& c) {
  auto id = util::parse_int64(c.arg(2));
  if (!id) return c.rb.error(err::not_integer);
  bool as_error = false;
  if (c.argc() == 4) {
    if (iequals(c.arg(3), "error")) as_error = true;
    else if (!iequals(c.arg(3), "timeout")) return c.rb.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  } else if (c.argc() > 4) {
    return c.rb.error(err::syntax);
  }
  c.rb.integer(*id > 0 && c.server.blocking.unblock(static_cast<std::uint64_t>(*id), as_error) ? 1 : 0);
}

void cmd_client_kill(command_context& c) {
  auto clients = c.server.clients.list();
  if (c.argc() == 3) {  // old form: CLIENT KILL addr:port
    for (auto& cl : clients) {
      if (cl->is_http) continue;
      if (cl->addr == c.arg(2)) {
        if (cl->id == c.client.id) c.client.close_after_reply = true;
        else if (auto h = cl->handle.lock()) h->close();
        return c.rb.simple("OK");
      }
    }
    return c.rb.error("ERR No such client");
  }
  std::optional<std::uint64_t> id;
  std::optional<std::string> addr, laddr, type, user;
  bool skipme = true;
  for (std::size_t i = 2; i < c.argc(); i += 2) {
    if (i + 1 >= c.argc()) return c.rb.error(err::syntax);
    auto opt = c.arg(i);
    auto v = c.arg(i + 1);
    if (iequals(opt, "ID")) {
      auto n = util::parse_int64(v);
      if (!n || *n <= 0) return c.rb.error("ERR client-id should be greater than 0");
      id = static_cast<std::uint64_t>(*n);
    } else if (iequals(opt, "ADDR")) {
      addr = v;
    } else if (iequals(opt, "LADDR")) {
      laddr = v;
    } else if (iequals(opt, "TYPE")) {
      if (!iequals(v, "normal") && !iequals(v, "master") && !iequals(v, "replica") && !iequals(v, "slave") &&
          !iequals(v, "pubsub"))
        return c.rb.error("ERR Unknown client type '" + std::string(v) + "'");
      type = v;
    } else if (iequals(opt, "USER")) {
      if (!c.server.acl.find(v)) return c.rb.error("ERR No such user '" + std::string(v) + "'");
      user = v;
    } else if (iequals(opt, "SKIPME")) {
      if (iequals(v, "yes")) skipme = true;
      else if (iequals(v, "no")) skipme = false;
      else return c.rb.error(err::syntax);
    } else if (iequals(opt, "MAXAGE")) {
      return c.rb.error(err::syntax);
    } else {
      return c.rb.error(err::syntax);
    }
  }
  std::int64_t killed = 0;
  for (auto& cl : clients) {
    if (id && cl->id != *id) continue;
    if (addr && cl->addr != *addr) continue;
    if (laddr && cl->laddr != *laddr) continue;
    if (type && !iequals(*type, "normal") && !iequals(*type, "pubsub")) continue;
    if (type && is_pubsub_client(*cl) != iequals(*type, "pubsub")) continue;
    if (user) {
      std::lock_guard lk(cl->info_mu);
      if ((cl->user ? cl->user->name : std::string("default")) != *user) continue;
    }
    if (cl->is_http) continue;  // HTTP requests are not Redis connections
    if (skipme && cl->id == c.client.id) continue;
    // Killing oneself stops this connection right after the reply: later pipelined
    // commands do not run (Redis CLIENT_CLOSE_AFTER_COMMAND).
    if (cl->id == c.client.id) c.client.close_after_reply = true;
    else if (auto h = cl->handle.lock()) h->close();
    ++killed;
  }
  c.rb.integer(killed);
}

/// CLIENT PAUSE timeout [WRITE|ALL]: commands (ALL) or writes (WRITE) of every client wait
/// until the timeout (ms) or CLIENT UNPAUSE; the session holds them (pause_wait_ms). A pause
/// never shortens a longer one already running; ALL wins over WRITE (Redis pauseClients).
void cmd_client_pause(command_context& c) {
  auto ms = util::parse_int64(c.arg(2));
  if (!ms) return c.rb.error("ERR timeout is not an integer or out of range");
  if (*ms < 0) return c.rb.error("ERR timeout is negative");
  auto mode = pause_mode::all;
  if (c.argc() == 4) {
    if (iequals(c.arg(3), "write")) mode = pause_mode::write;
    else if (!iequals(c.arg(3), "all")) return c.rb.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
  } else if (c.argc() > 4) {
    return c.rb.error("ERR unknown subcommand or wrong number of arguments for '" + std::string(c.arg(1)) +
                      "'. Try CLIENT HELP.");
  }
  auto& st = c.server.introspection;
  std::int64_t end = util::now_ms() + std::min<std::int64_t>(*ms, INT64_MAX / 4);
  int cur = st.pause.load();
  bool active = cur != 0 && st.pause_end_ms.load() > util::now_ms();
  if (!active || end > st.pause_end_ms.load()) st.pause_end_ms.store(end);
  if (!active || static_cast<int>(mode) > cur) st.pause.store(static_cast<int>(mode));
  c.rb.simple("OK");
}

void cmd_client_unpause(command_context& c) {
  c.server.introspection.pause.store(0);
  c.server.introspection.pause_end_ms.store(0);
  c.rb.simple("OK");
}

void cmd_client_no_evict(command_context& c) {
  if (iequals(c.arg(2), "on")) c.client.no_evict = true;
  else if (iequals(c.arg(2), "off")) c.client.no_evict = false;
  else return c.rb.error(err::syntax);
  c.rb.simple("OK");
}

/// CLIENT REPLY ON|OFF|SKIP: the session drops replies while OFF, and the next command's
/// reply after SKIP; OFF and SKIP themselves get no reply (resp_session::process_input).
void cmd_client_reply(command_context& c) {
  auto m = c.arg(2);
  if (iequals(m, "on")) {
    c.client.reply_off = false;
    c.client.reply_skip_next = false;
    return c.rb.simple("OK");
  }
  if (iequals(m, "off")) {
    c.client.reply_off = true;
  } else if (iequals(m, "skip")) {
    if (!c.client.reply_off) c.client.reply_skip_next = true;
  } else {
    return c.rb.error(err::syntax);
  }
  c.rb.simple("OK");  // dropped by the session
}

/// Client-side caching (CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO) is not built.
void cmd_client_tracking(command_context& c) {
  c.rb.error("ERR CLIENT TRACKING is not supported by this server (no client-side caching invalidation)");
}

void cmd_client_help(command_context& c) {
  static constexpr std::string_view lines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "    * ID <client-id>",
      "      Kill connections by client id.",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "SETINFO <option> <value>",
      "    Set client meta attr. Options are:",
      "    * LIB-NAME: the client lib name.",
      "    * LIB-VER: the client lib version.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
      "HELP",
      "    Prints this help.",
  };
  reply_help(c.rb, lines);
}

}  // namespace

void register_connection_family(command_table& t) {
  constexpr auto fast_conn = f_fast | f_loading | f_stale;
  t.add({"ping", -1, f_fast, 0, 0, 0, cmd_ping, "fast connection"});
  t.add({"echo", 2, fast_conn, 0, 0, 0, cmd_echo, "fast connection"});
  t.add({"quit", -1, f_allow_busy | f_noscript | f_loading | f_stale | f_fast | f_no_auth, 0, 0, 0, cmd_quit,
         "fast connection"});
  t.add({"select", 2, f_loading | f_stale | f_fast, 0, 0, 0, cmd_select, "fast connection"});
  t.add({"hello", -1, f_noscript | f_loading | f_stale | f_fast | f_no_auth | f_allow_busy, 0, 0, 0,
         cmd_hello, "fast connection"});
  t.add({"reset", 1, f_noscript | f_loading | f_stale | f_fast | f_no_auth | f_allow_busy, 0, 0, 0, cmd_reset,
         "fast connection"});
  auto& client = t.add({"client", -2, 0, 0, 0, 0, nullptr, "slow"});
  constexpr auto cl = f_noscript | f_loading | f_stale;
  t.add_sub(client, {"id", 2, cl, 0, 0, 0, cmd_client_id, "slow connection"});
  t.add_sub(client, {"setname", 3, cl, 0, 0, 0, cmd_client_setname, "slow connection"});
  t.add_sub(client, {"getname", 2, cl, 0, 0, 0, cmd_client_getname, "slow connection"});
  t.add_sub(client, {"setinfo", 4, cl, 0, 0, 0, cmd_client_setinfo, "slow connection"});
  t.add_sub(client, {"info", 2, cl, 0, 0, 0, cmd_client_info, "slow connection"});
  t.add_sub(client, {"list", -2, f_admin | cl, 0, 0, 0, cmd_client_list, "admin slow dangerous connection"});
  t.add_sub(client, {"kill", -3, f_admin | cl, 0, 0, 0, cmd_client_kill, "admin slow dangerous connection"});
  t.add_sub(client, {"unblock", -3, f_admin | f_noscript | f_loading | f_stale, 0, 0, 0, cmd_client_unblock,
                      "admin slow dangerous connection"});
  t.add_sub(client, {"help", 2, f_loading | f_stale, 0, 0, 0, cmd_client_help, "slow connection"});
  constexpr auto acl = f_admin | f_noscript | f_loading | f_stale;
  t.add_sub(client, {"pause", -3, acl, 0, 0, 0, cmd_client_pause, "admin slow dangerous connection"});
  t.add_sub(client, {"unpause", 2, acl, 0, 0, 0, cmd_client_unpause, "admin slow dangerous connection"});
  t.add_sub(client, {"no-evict", 3, acl, 0, 0, 0, cmd_client_no_evict, "admin slow dangerous connection"});
  t.add_sub(client, {"reply", 3, cl, 0, 0, 0, cmd_client_reply, "slow connection"});
  t.add_sub(client, {"tracking", -3, cl, 0, 0, 0, cmd_client_tracking, "slow connection"});
}

}  // namespace kvd::command
