// AUTH and ACL's subcommands (CAT DELUSER DRYRUN GENPASS GETUSER HELP LIST LOAD LOG SAVE
// SETUSER USERS WHOAMI), as Redis 7.0 src/acl.c (authCommand, aclCommand). The users, rules
// and checks are in acl/acl.hpp.
#include <openssl/rand.h>

#include "kvd/acl/acl.hpp"
#include "kvd/command/command_table.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

constexpr std::string_view wrongpass = "WRONGPASS invalid username-password pair or user is disabled.";

/// Redis addReplySubcommandSyntaxError: names the subcommand as the client typed it.
void subcommand_syntax_error(command_context& c) {
  c.rb.error("ERR unknown subcommand or wrong number of arguments for '" + std::string(c.arg(1).substr(0, 128)) +
             "'. Try ACL HELP.");
}

// ---- handlers -------------------------------------------------------------------------

/// AUTH [username] password (Redis 7.0 authCommand).
void cmd_auth(command_context& c) {
  if (c.argc() > 3) return c.rb.error(err::syntax);
  std::string_view user = "default", pass;
  if (c.argc() == 2) {
    acl::client_user(c.server, c.client);
    auto d = c.server.acl.default_user();
    if (d && d->nopass)
      return c.rb.error(
          "ERR AUTH <password> called without any password configured for the default user. Are you sure your "
          "configuration is correct?");
    pass = c.arg(1);
  } else {
    user = c.arg(1);
    pass = c.arg(2);
  }
  if (!acl::authenticate_client(c.server, c.client, user, pass, "auth")) return c.rb.error(wrongpass);
  c.rb.simple("OK");
}

void cmd_acl_cat(command_context& c) {
  if (c.argc() > 3) return subcommand_syntax_error(c);
  if (c.argc() == 2) {
    auto& cats = acl::categories();
    c.rb.array(cats.size());
    for (auto n : cats) c.rb.bulk(n);
    return;
  }
  auto bit = acl::category_bit(c.arg(2));
  if (!bit) return c.rb.error("ERR Unknown category '" + std::string(c.arg(2)) + "'");
  std::vector<const std::string*> names;
  for (auto& cmd : c.server.table.all()) {
    if (acl_category_mask(cmd) & bit) names.push_back(&cmd.fullname);
    for (auto& s : cmd.subcommands)
      if (acl_category_mask(s) & bit) names.push_back(&s.fullname);
  }
  c.rb.array(names.size());
  for (auto* n : names) c.rb.bulk(*n);
}

void cmd_acl_deluser(command_context& c) {
  for (std::size_t i = 2; i < c.argc(); ++i)
    if (c.arg(i) == "default") return c.rb.error("ERR The 'default' user cannot be removed");
  std::int64_t n = 0;
  for (std::size_t i = 2; i < c.argc(); ++i) {
    if (!c.server.acl.remove(c.arg(i))) continue;
    ++n;
    acl::kill_clients_of(c.server, c.client, c.arg(i));  // Redis ACLFreeUserAndKillClients
  }
  c.rb.integer(n);
}

/// ACL DRYRUN username command [arg ...]: whether the user could run it (nothing runs, nothing logged).
void cmd_acl_dryrun(command_context& c) {
  auto u = c.server.acl.find(c.arg(2));
  if (!u) return c.rb.error("ERR User '" + std::string(c.arg(2)) + "' not found");
  args_view argv = c.args.subspan(3);
  const command_spec* cmd = c.server.table.find(argv[0]);
  if (cmd && !cmd->subcommands.empty()) cmd = argv.size() >= 2 ? cmd->find_sub(argv[1]) : nullptr;
  if (!cmd) return c.rb.error("ERR Command '" + std::string(argv[0]) + "' not found");
  auto argc = static_cast<int>(argv.size());
  if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity)
    return c.rb.error("ERR wrong number of arguments for '" + cmd->fullname + "' command");
  auto r = acl::check(*u, *cmd, argv);
  switch (r.what) {
    case acl::denial::none: return c.rb.simple("OK");
    case acl::denial::key:
      return c.rb.bulk("This user has no permissions to access the '" + std::string(argv[r.pos]) + "' key");
    case acl::denial::channel:
      return c.rb.bulk("This user has no permissions to access the '" + std::string(argv[r.pos]) + "' channel");
    default: return c.rb.bulk("This user has no permissions to run the '" + cmd->fullname + "' command");
  }
}

/// ACL GENPASS [bits]: (bits+3)/4 random hex digits (default 256 bits).
void cmd_acl_genpass(command_context& c) {
  std::int64_t bits = 256;
  if (c.argc() > 3) return subcommand_syntax_error(c);
  if (c.argc() == 3) {
    auto n = util::parse_int64(c.arg(2));
    if (!n) return c.rb.error(err::not_integer);
    if (*n <= 0 || *n > 4096)
      return c.rb.error(
          "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
    bits = *n;
  }
  std::size_t chars = static_cast<std::size_t>((bits + 3) / 4);
  std::vector<unsigned char> raw((chars + 1) / 2);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) return c.rb.error("ERR random bytes unavailable");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (auto b : raw) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  out.resize(chars);
  c.rb.bulk(out);
}

/// ACL GETUSER username: flags, passwords, commands, keys, channels, selectors (Redis 7.0).
void cmd_acl_getuser(command_context& c) {
  auto u = c.server.acl.find(c.arg(2));
  if (!u) return c.rb.null();
  c.rb.map(6);
  c.rb.bulk("flags");
  auto flags = acl::flags_of(*u);
  c.rb.array(flags.size());
  for (auto& f : flags) c.rb.bulk(f);
  c.rb.bulk("passwords");
  c.rb.array(u->passwords.size());
  for (auto& p : u->passwords) c.rb.bulk(p);
  c.rb.bulk("commands");
  c.rb.bulk(acl::describe_commands(*u, c.server.table));
  c.rb.bulk("keys");
  c.rb.bulk(acl::describe_keys(*u));
  c.rb.bulk("channels");
  c.rb.bulk(acl::describe_channels(*u));
  c.rb.bulk("selectors");
  c.rb.array(u->selectors.size());
  for (auto& sel : u->selectors) {  // Redis aclAddReplySelectorDescription
    c.rb.map(3);
    c.rb.bulk("commands");
    c.rb.bulk(acl::describe_commands(sel, c.server.table));
    c.rb.bulk("keys");
    c.rb.bulk(acl::describe_keys(sel));
    c.rb.bulk("channels");
    c.rb.bulk(acl::describe_channels(sel));
  }
}

void cmd_acl_list(command_context& c) {
  auto users = c.server.acl.all();
  c.rb.array(users.size());
  for (auto& u : users) c.rb.bulk(acl::describe_user(*u, c.server.table));
}

void cmd_acl_users(command_context& c) {
  auto users = c.server.acl.all();
  c.rb.array(users.size());
  for (auto& u : users) c.rb.bulk(u->name);
}

void cmd_acl_whoami(command_context& c) {
  auto* u = acl::client_user(c.server, c.client);
  if (!u) return c.rb.null();
  c.rb.bulk(u->name);
}

void cmd_acl_setuser(command_context& c) {
  std::vector<std::string_view> rules(c.args.begin() + 3, c.args.end());
  if (auto e = c.server.acl.setuser(c.arg(2), rules, c.server.config.acl_pubsub_allchannels.load()))
    return c.rb.error(*e);
  acl::kill_pubsub_clients_if_needed(c.server, c.client, c.arg(2));
  c.rb.simple("OK");
}

void cmd_acl_load(command_context& c) {
  if (auto e = acl::load_file(c.server, c.client)) return c.rb.error(*e);
  c.rb.simple("OK");
}

void cmd_acl_save(command_context& c) {
  if (auto e = acl::save_file(c.server)) return c.rb.error(*e);
  c.rb.simple("OK");
}

/// ACL LOG [count | RESET]: the newest entries first (default 10).
void cmd_acl_log(command_context& c) {
  std::int64_t count = 10;
  if (c.argc() > 3) return subcommand_syntax_error(c);
  if (c.argc() == 3) {
    if (iequals(c.arg(2), "reset")) {
      c.server.acl.log_reset();
      return c.rb.simple("OK");
    }
    auto n = util::parse_int64(c.arg(2));
    if (!n) return c.rb.error(err::not_integer);
    count = std::max<std::int64_t>(*n, 0);
  }
  auto entries = c.server.acl.log_entries(static_cast<std::size_t>(count));
  std::int64_t now = util::now_ms();
  c.rb.array(entries.size());
  for (auto& e : entries) {
    c.rb.map(7);
    c.rb.bulk("count");
    c.rb.integer(static_cast<std::int64_t>(e.count));
    c.rb.bulk("reason");
    c.rb.bulk(e.reason);
    c.rb.bulk("context");
    c.rb.bulk(e.context);
    c.rb.bulk("object");
    c.rb.bulk(e.object);
    c.rb.bulk("username");
    c.rb.bulk(e.username);
    c.rb.bulk("age-seconds");
    c.rb.dbl(static_cast<double>(now - e.created_ms) / 1000.0);
    c.rb.bulk("client-info");
    c.rb.bulk(e.client_info);
  }
}

void cmd_acl_help(command_context& c) {
  static constexpr std::string_view lines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Prints this help.",
  };
  reply_help(c.rb, lines);
}

}  // namespace

// {name, arity, flags, first_key, last_key, key_step, handler, acl} from Redis 7.0 COMMAND INFO.
void register_acl_family(command_table& t) {
  t.add({"auth", -2, f_noscript | f_loading | f_stale | f_fast | f_no_auth | f_allow_busy, 0, 0, 0, cmd_auth,
         "fast connection"});
  auto& acl = t.add({"acl", -2, 0, 0, 0, 0, nullptr, "slow"});
  constexpr auto adm = f_admin | f_noscript | f_loading | f_stale;
  constexpr auto plain = f_noscript | f_loading | f_stale;
  constexpr std::string_view dangerous = "admin slow dangerous";
  t.add_sub(acl, {"cat", -2, plain, 0, 0, 0, cmd_acl_cat, "slow"});
  t.add_sub(acl, {"deluser", -3, adm, 0, 0, 0, cmd_acl_deluser, dangerous});
  t.add_sub(acl, {"dryrun", -4, adm, 0, 0, 0, cmd_acl_dryrun, dangerous});
  t.add_sub(acl, {"genpass", -2, plain, 0, 0, 0, cmd_acl_genpass, "slow"});
  t.add_sub(acl, {"getuser", 3, adm, 0, 0, 0, cmd_acl_getuser, dangerous});
  t.add_sub(acl, {"help", 2, f_loading | f_stale, 0, 0, 0, cmd_acl_help, "slow"});
  t.add_sub(acl, {"list", 2, adm, 0, 0, 0, cmd_acl_list, dangerous});
  t.add_sub(acl, {"load", 2, adm, 0, 0, 0, cmd_acl_load, dangerous});
  t.add_sub(acl, {"log", -2, adm, 0, 0, 0, cmd_acl_log, dangerous});
  t.add_sub(acl, {"save", 2, adm, 0, 0, 0, cmd_acl_save, dangerous});
  t.add_sub(acl, {"setuser", -3, adm, 0, 0, 0, cmd_acl_setuser, dangerous});
  t.add_sub(acl, {"users", 2, adm, 0, 0, 0, cmd_acl_users, dangerous});
  t.add_sub(acl, {"whoami", 2, plain, 0, 0, 0, cmd_acl_whoami, "slow"});
}

}  // namespace kvd::command
