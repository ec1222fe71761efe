#include "kvd/acl/acl.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kvd/command/client_context.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/glob.hpp"

namespace kvd::acl {

using command::command_spec;
using command::command_table;

// ---------------------------------------------------------------------------------------------
// Basics

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

const std::vector<std::string_view>& categories() {
  // Redis 7.0 ACLCommandCategories order; the same bits as command_family.cpp's acl_mask.
  static const std::vector<std::string_view> names = {
      "keyspace", "read",   "write",       "set",    "sortedset", "list",       "hash",
      "string",   "bitmap", "hyperloglog", "geo",    "stream",    "pubsub",     "admin",
      "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
  return names;
}

std::uint32_t category_bit(std::string_view name) {
  auto& c = categories();
  for (std::size_t i = 0; i < c.size(); ++i)
    if (command::iequals(c[i], name)) return 1u << i;
  return 0;
}

namespace {

template <class F>
void for_each_command(const command_table& t, F&& f) {
  for (auto& c : t.all()) {
    f(c);
    for (auto& s : c.subcommands) f(s);
  }
}

void set_bit(selector& u, std::size_t id, bool v) {
  if (id >= future_bit) return;
  u.allowed.set(id, v);
  if (!v) u.allcommands = false;
}

/// Redis ACLChangeSelectorPerm: the command, its first-arg rules, and all its subcommands.
void change_perm(selector& u, const command_spec& cmd, bool allow) {
  set_bit(u, cmd.id, allow);
  u.firstargs.erase(cmd.id);
  for (auto& s : cmd.subcommands) set_bit(u, s.id, allow);
}

void set_category(selector& u, const command_table& t, std::uint32_t bit, bool allow) {
  for (auto& c : t.all()) {
    if (command::acl_category_mask(c) & bit) change_perm(u, c, allow);
    for (auto& s : c.subcommands)
      if (command::acl_category_mask(s) & bit) change_perm(u, s, allow);
  }
}

/// Redis ACLLookupCommand: "name" or "name|sub".
const command_spec* lookup(const command_table& t, std::string_view name) {
  auto bar = name.find('|');
  if (bar == std::string_view::npos) return t.find(name);
  auto* base = t.find(name.substr(0, bar));
  if (!base || base->subcommands.empty()) return nullptr;
  auto sub = name.substr(bar + 1);
  if (sub.find('|') != std::string_view::npos) return nullptr;
  return base->find_sub(sub);
}

bool is_hex_sha(std::string_view h) {
  if (h.size() != 64) return false;
  for (char ch : h)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

constexpr const char* err_syntax = "Syntax error";
constexpr const char* err_unknown = "Unknown command or category name in ACL";

int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

bool is_space(char ch) { return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t' || ch == '\v' || ch == '\f'; }

/// Redis sdssplitargs: space-separated arguments, "double quoted" (with \n \r \t \b \a
/// \xHH escapes) or 'single quoted'; nullopt on unbalanced quotes or a closing quote not
/// followed by a space.
std::optional<std::vector<std::string>> split_args(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0, n = line.size();
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i >= n) return out;
    bool inq = false, insq = false, done = false;
    std::string cur;
    while (!done) {
      if (inq) {
        if (i >= n) return std::nullopt;
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && hex_digit(line[i + 2]) >= 0 &&
            hex_digit(line[i + 3]) >= 0) {
          cur += static_cast<char>(hex_digit(line[i + 2]) * 16 + hex_digit(line[i + 3]));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < n) {
          ++i;
          switch (line[i]) {
            case 'n': cur += '\n'; break;
            case 'r': cur += '\r'; break;
            case 't': cur += '\t'; break;
            case 'b': cur += '\b'; break;
            case 'a': cur += '\a'; break;
            default: cur += line[i];
          }
        } else if (line[i] == '"') {
          if (i + 1 < n && !is_space(line[i + 1])) return std::nullopt;
          done = true;
        } else {
          cur += line[i];
        }
      } else if (insq) {
        if (i >= n) return std::nullopt;
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          cur += '\'';
        } else if (line[i] == '\'') {
          if (i + 1 < n && !is_space(line[i + 1])) return std::nullopt;
          done = true;
        } else {
          cur += line[i];
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        switch (line[i]) {
          case ' ': case '\n': case '\r': case '\t': case '\0': done = true; break;
          case '"': inq = true; break;
          case '\'': insq = true; break;
          default: cur += line[i];
        }
      }
      if (i < n) ++i;
    }
    out.push_back(std::move(cur));
  }
}

/// Redis 7.0 ACLSetSelector: the rules a selector (the root one or a "(...)" one) takes.
std::optional<std::string> apply_selector_rule(selector& u, std::string_view op, const command_table& table) {
  auto is = [&](std::string_view w) { return command::iequals(op, w); };
  auto has_space = [](std::string_view p) { return p.find_first_of(std::string_view(" \0", 2)) != std::string_view::npos; };
  if (is("allkeys") || op == "~*") {
    u.allkeys = true;
    u.keys.clear();
  } else if (is("resetkeys")) {
    u.allkeys = false;
    u.keys.clear();
  } else if (is("allchannels") || op == "&*") {
    u.allchannels = true;
    u.channels.clear();
  } else if (is("resetchannels")) {
    u.allchannels = false;
    u.channels.clear();
  } else if (is("allcommands") || is("+@all")) {
    u.allowed.set();
    u.allcommands = true;
    u.firstargs.clear();
  } else if (is("nocommands") || is("-@all")) {
    u.allowed.reset();
    u.allcommands = false;
    u.firstargs.clear();
  } else if (!op.empty() && (op[0] == '~' || op[0] == '%')) {
    if (u.allkeys)
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any "
             "effect. Try 'resetkeys' to start with an empty list of patterns";
    std::uint8_t perms = 0;
    std::size_t off = 1;
    if (op[0] == '%') {
      // As Redis: "%R" without '~' is a pattern "" (read); no permission letter is an error.
      for (; off < op.size(); ++off) {
        char ch = static_cast<char>(std::toupper(static_cast<unsigned char>(op[off])));
        if (ch == 'R' && !(perms & perm_read)) {
          perms |= perm_read;
        } else if (ch == 'W' && !(perms & perm_write)) {
          perms |= perm_write;
        } else if (op[off] == '~') {
          ++off;
          break;
        } else {
          return std::string(err_syntax);
        }
      }
      if (perms == 0) return std::string(err_syntax);
    } else {
      perms = perm_all;
    }
    std::string pat(op.substr(off));
    if (has_space(pat)) return std::string(err_syntax);
    auto it = std::find_if(u.keys.begin(), u.keys.end(), [&](auto& k) { return k.pattern == pat; });
    if (it == u.keys.end()) u.keys.push_back({pat, perms});
    else it->perms |= perms;
  } else if (!op.empty() && op[0] == '&') {
    if (u.allchannels)
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any "
             "effect. Try 'resetchannels' to start with an empty list of channels";
    std::string pat(op.substr(1));
    if (has_space(pat)) return std::string(err_syntax);
    if (std::find(u.channels.begin(), u.channels.end(), pat) == u.channels.end()) u.channels.push_back(pat);
  } else if (op.size() >= 2 && (op[0] == '+' || op[0] == '-') && op[1] == '@') {
    auto bit = category_bit(op.substr(2));
    if (!bit) return std::string(err_unknown);
    set_category(u, table, bit, op[0] == '+');
  } else if (!op.empty() && op[0] == '+') {
    auto name = op.substr(1);
    auto bar = name.rfind('|');
    if (bar == std::string_view::npos) {
      auto* cmd = table.find(name);
      if (!cmd) return std::string(err_unknown);
      change_perm(u, *cmd, true);
    } else {
      auto* cmd = lookup(table, name.substr(0, bar));
      if (!cmd) return std::string(err_unknown);
      if (cmd->parent) return "Allowing first-arg of a subcommand is not supported";
      auto sub = name.substr(bar + 1);
      if (sub.empty()) return std::string(err_syntax);
      if (!cmd->subcommands.empty()) {
        auto* s = lookup(table, name);
        if (!s) return std::string(err_unknown);
        change_perm(u, *s, true);
      } else {
        // Redis's deprecated first-arg rule (+select|0): allowed first arguments of a command.
        auto& v = u.firstargs[cmd->id];
        std::string low(sub);
        for (auto& ch : low) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (std::find(v.begin(), v.end(), low) == v.end()) v.push_back(low);
      }
    }
  } else if (!op.empty() && op[0] == '-') {
    auto* cmd = lookup(table, op.substr(1));
    if (!cmd) return std::string(err_unknown);
    change_perm(u, *cmd, false);
  } else {
    return std::string(err_syntax);
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Rules (Redis 7.0 ACLSetSelector / ACLSetUser)

user make_user(std::string name, bool pubsub_all) {
  user u;
  u.name = std::move(name);
  u.allchannels = pubsub_all;
  return u;
}

user make_default_user(const command_table& table) {
  user u = make_user("default");
  for (auto r : {"+@all", "~*", "&*", "on", "nopass"}) (void)apply_rule(u, r, table);
  return u;
}

std::optional<std::string> apply_rule(user& u, std::string_view op, const command_table& table, bool pubsub_all) {
  auto is = [&](std::string_view w) { return command::iequals(op, w); };
  if (op.empty()) {
    // Redis: an empty rule is a no-op.
  } else if (is("on")) {
    u.enabled = true;
  } else if (is("off")) {
    u.enabled = false;
  } else if (is("skip-sanitize-payload")) {
    u.sanitize = 2;
  } else if (is("sanitize-payload")) {
    u.sanitize = 1;
  } else if (is("nopass")) {
    u.nopass = true;
    u.passwords.clear();
  } else if (is("resetpass")) {
    u.nopass = false;
    u.passwords.clear();
  } else if (op[0] == '>' || op[0] == '#' || op[0] == '<' || op[0] == '!') {
    // >password and #hash add a password, <password and !hash remove one.
    std::string h;
    if (op[0] == '>' || op[0] == '<') {
      h = sha256_hex(op.substr(1));
    } else {
      if (!is_hex_sha(op.substr(1)))
        return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
      h = op.substr(1);
    }
    auto it = std::find(u.passwords.begin(), u.passwords.end(), h);
    if (op[0] == '>' || op[0] == '#') {
      if (it == u.passwords.end()) u.passwords.push_back(h);
      u.nopass = false;
    } else {
      if (it == u.passwords.end()) return "The password you are trying to remove from the user does not exist";
      u.passwords.erase(it);
    }
  } else if (op[0] == '(' && op.back() == ')') {
    // Redis aclCreateSelectorFromOpSet: the rules inside, split as sdssplitargs does (bad
    // quoting gives no rules: an empty selector, as Redis).
    selector sel;
    sel.allchannels = pubsub_all;  // Redis ACLCreateSelector: flags | acl_pubsub_default
    auto inner = op.substr(1, op.size() - 2);
    if (auto args = split_args(inner))
      for (auto& a : *args)
        if (auto e = apply_selector_rule(sel, a, table)) return e;
    u.selectors.push_back(std::move(sel));
  } else if (is("clearselectors")) {
    u.selectors.clear();
  } else if (is("reset")) {
    for (auto r : {"resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload", "clearselectors", "-@all"})
      (void)apply_rule(u, r, table);
    if (pubsub_all) (void)apply_rule(u, "allchannels", table);
  } else {
    return apply_selector_rule(u, op, table);
  }
  return std::nullopt;
}

std::optional<std::size_t> merge_selector_args(std::span<const std::string_view> args, std::vector<std::string>& out) {
  out.clear();
  std::optional<std::size_t> open;
  std::string sel;
  for (std::size_t j = 0; j < args.size(); ++j) {
    auto op = args[j];
    if (!op.empty() && op[0] == '(' && op.back() != ')') {  // (also inside an open one, as Redis)
      sel = std::string(op);
      open = j;
      continue;
    }
    if (open) {
      sel += ' ';
      sel += op;
      if (!op.empty() && op.back() == ')') {
        out.push_back(std::move(sel));
        sel.clear();
        open.reset();
      }
      continue;
    }
    out.emplace_back(op);
  }
  return open;
}

// ---------------------------------------------------------------------------------------------
// Descriptions (ACL GETUSER, ACL LIST, ACL SAVE)

std::string describe_commands(const selector& u, const command_table& table) {
  // Redis 7.0 ACLDescribeSelectorCommandRules: +@all or -@all, then repeatedly the category
  // that fits best (more commands in common than different, fewest differences), replayed
  // on a fake user, then the single commands (and first args) that still differ.
  user fake = make_user("");
  std::string rules;
  bool additive = !u.allowed.test(future_bit);
  (void)apply_rule(fake, additive ? "-@all" : "+@all", table);
  rules += additive ? "-@all " : "+@all ";
  user temp = make_user("");
  temp.allowed = u.allowed;
  auto& cats = categories();
  std::vector<bool> applied(cats.size());
  // Category masks once (each is parsed from the row's text).
  std::vector<std::pair<std::size_t, std::uint32_t>> masks;
  for_each_command(table, [&](const command_spec& c) { masks.emplace_back(c.id, command::acl_category_mask(c)); });
  while (true) {
    int best = -1;
    unsigned long mindiff = ~0ul, maxsame = 0;
    for (std::size_t j = 0; j < cats.size(); ++j) {
      if (applied[j]) continue;
      std::uint32_t bit = 1u << j;
      unsigned long on = 0, off = 0;
      for (auto [id, m] : masks)
        if (m & bit) (temp.allowed.test(id) ? on : off)++;
      unsigned long diff = additive ? off : on, same = additive ? on : off;
      if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
        best = static_cast<int>(j);
        mindiff = diff;
        maxsame = same;
      }
    }
    if (best < 0) break;
    std::string op = std::string(additive ? "+@" : "-@") + std::string(cats[best]);
    std::string inv = std::string(additive ? "-@" : "+@") + std::string(cats[best]);
    (void)apply_rule(fake, op, table);
    (void)apply_rule(temp, inv, table);
    rules += op + " ";
    applied[best] = true;
  }
  auto fix = [&](const command_spec& c) {
    bool ub = u.allowed.test(c.id), fb = fake.allowed.test(c.id);
    if (ub != fb) {
      rules += ub ? "+" : "-";
      rules += c.fullname + " ";
      change_perm(fake, c, ub);
    }
  };
  auto first_args = [&](const command_spec& c) {
    auto it = u.firstargs.find(c.id);
    if (u.allowed.test(c.id) || it == u.firstargs.end()) return;
    for (auto& a : it->second) rules += "+" + c.fullname + "|" + a + " ";
  };
  for (auto& c : table.all()) {
    fix(c);
    for (auto& s : c.subcommands) {
      fix(s);
      first_args(s);
    }
    first_args(c);
  }
  if (!rules.empty()) rules.pop_back();
  return rules;
}

namespace {
std::string pattern_text(const key_pattern& k) {
  if (k.perms == perm_all) return "~" + k.pattern;
  return (k.perms == perm_read ? "%R~" : "%W~") + k.pattern;
}
}  // namespace

std::string describe_keys(const selector& u) {
  if (u.allkeys) return "~*";
  std::string r;
  for (auto& k : u.keys) r += (r.empty() ? "" : " ") + pattern_text(k);
  return r;
}

std::string describe_channels(const selector& u) {
  if (u.allchannels) return "&*";
  std::string r;
  for (auto& c : u.channels) r += (r.empty() ? "&" : " &") + c;
  return r;
}

std::vector<std::string> flags_of(const user& u) {
  std::vector<std::string> f;
  f.emplace_back(u.enabled ? "on" : "off");
  if (u.nopass) f.emplace_back("nopass");
  if (u.sanitize == 2) f.emplace_back("skip-sanitize-payload");
  if (u.sanitize == 1) f.emplace_back("sanitize-payload");
  return f;
}

std::string describe_selector(const selector& u, const command_table& table) {
  // Redis 7.0 ACLDescribeSelector.
  std::string r;
  if (u.allkeys) {
    r += "~* ";
  } else {
    for (auto& k : u.keys) r += pattern_text(k) + " ";
  }
  if (u.allchannels) {
    r += "&* ";
  } else {
    r += "resetchannels ";
    for (auto& c : u.channels) r += "&" + c + " ";
  }
  r += describe_commands(u, table);
  return r;
}

std::string describe_user(const user& u, const command_table& table) {
  // Redis 7.0 ACLDescribeUser: flags, passwords, the root selector, then " (selector)" each.
  std::string r = "user " + u.name + " ";
  for (auto& f : flags_of(u)) r += f + " ";
  for (auto& p : u.passwords) r += "#" + p + " ";
  r += describe_selector(u, table);
  for (auto& s : u.selectors) r += " (" + describe_selector(s, table) + ")";
  return r;
}

// ---------------------------------------------------------------------------------------------
// Checks (Redis 7.0 ACLSelectorCheckCmd)

bool unrestricted(const user& u) noexcept { return u.allcommands && u.allkeys && u.allchannels; }

namespace {

bool key_allowed(const selector& u, std::string_view key, std::uint8_t need) {
  if (u.allkeys) return true;
  for (auto& k : u.keys) {
    if ((k.perms & need) != need) continue;
    if (util::glob_match(k.pattern, key)) return true;
  }
  return false;
}

bool channel_allowed(const selector& u, std::string_view ch, bool is_pattern) {
  if (u.allchannels) return true;
  for (auto& c : u.channels) {
    if (is_pattern) {
      if (c == ch) return true;  // a pattern subscription needs the very same pattern
    } else if (util::glob_match(c, ch)) {
      return true;
    }
  }
  return false;
}

/// The keys of a command with their read/write needs, computed once for all selectors.
struct key_cache {
  bool ready = false;
  std::vector<std::pair<std::size_t, std::uint8_t>> keys;
};

/// Redis 7.0 ACLSelectorCheckCmd: one selector's verdict.
check_result check_selector(const selector& u, const command_spec& cmd, command::args_view args, key_cache& kc) {
  if (!u.allcommands && !cmd.has(command::f_no_auth) && !u.allowed.test(cmd.id)) {
    auto it = u.firstargs.find(cmd.id);
    std::size_t idx = cmd.parent ? 2 : 1;
    if (it == u.firstargs.end() || args.size() <= idx) return {denial::command, 0};
    bool ok = false;
    for (auto& a : it->second)
      if (command::iequals(a, args[idx])) ok = true;
    if (!ok) return {denial::command, 0};
  }
  if (!u.allkeys) {
    if (!kc.ready) {
      command::acl_key_positions(cmd, args, kc.keys);
      kc.ready = true;
    }
    for (auto [pos, need] : kc.keys)
      if (pos < args.size() && !key_allowed(u, args[pos], need)) return {denial::key, pos};
  }
  if (!u.allchannels && cmd.has(command::f_pubsub)) {
    // Redis getChannelsFromCommand: the channels PUBLISH/SPUBLISH publish to and the
    // channels (patterns for PSUBSCRIBE) SUBSCRIBE/SSUBSCRIBE/PSUBSCRIBE subscribe to.
    const auto& n = cmd.fullname;
    if (n == "publish" || n == "spublish") {
      if (args.size() > 1 && !channel_allowed(u, args[1], false)) return {denial::channel, 1};
    } else if (n == "subscribe" || n == "ssubscribe" || n == "psubscribe") {
      for (std::size_t i = 1; i < args.size(); ++i)
        if (!channel_allowed(u, args[i], n == "psubscribe")) return {denial::channel, i};
    }
  }
  return {};
}

}  // namespace

check_result check(const user& u, const command_spec& cmd, command::args_view args) {
  // Redis 7.0 ACLCheckAllUserCommandPerm: the root selector, then each other one; the first
  // that allows wins. Otherwise the gravest denial (command < key < channel), the highest
  // argument index among equals.
  key_cache kc;
  check_result best{denial::command, 0};
  auto allows = [&](const selector& s) {
    auto r = check_selector(s, cmd, args, kc);
    if (r.what == denial::none) return true;
    if (r.what > best.what || (r.what == best.what && r.pos > best.pos)) best = r;
    return false;
  };
  if (allows(u)) return {};
  for (auto& s : u.selectors)
    if (allows(s)) return {};
  return best;
}

// ---------------------------------------------------------------------------------------------
// Registry

registry::registry(const command_table& table) : table_(table) {
  // The table may still be empty here (families registered later): the default user's
  // bitmap is all ones, so it is right whatever gets registered.
  auto d = std::make_shared<user>(make_default_user(table));
  d->allowed.set();
  users_.emplace("default", std::move(d));
}

std::shared_ptr<const user> registry::find(std::string_view name) const {
  std::shared_lock lk(mu_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

std::shared_ptr<const user> registry::default_user() const { return find("default"); }

std::vector<std::shared_ptr<const user>> registry::all() const {
  std::shared_lock lk(mu_);
  std::vector<std::shared_ptr<const user>> v;
  for (auto& [n, u] : users_) v.push_back(u);
  return v;
}

void registry::changed_locked() {
  auto d = users_.find("default");
  bool req = d == users_.end() || !d->second->nopass || !d->second->enabled;
  auth_required_.store(req, std::memory_order_release);
  gen_.fetch_add(1, std::memory_order_acq_rel);
}

void registry::set_user(user u) {
  std::unique_lock lk(mu_);
  auto name = u.name;
  users_[name] = std::make_shared<user>(std::move(u));
  changed_locked();
}

bool registry::remove(std::string_view name) {
  if (name == "default") return false;
  std::unique_lock lk(mu_);
  auto it = users_.find(name);
  if (it == users_.end()) return false;
  users_.erase(it);
  changed_locked();
  return true;
}

void registry::replace_all(std::vector<user> users) {
  std::unique_lock lk(mu_);
  users_.clear();
  for (auto& u : users) {
    auto name = u.name;
    users_[name] = std::make_shared<user>(std::move(u));
  }
  if (!users_.count("default")) users_["default"] = std::make_shared<user>(make_default_user(table_));
  changed_locked();
}

void registry::set_requirepass(std::string_view pw) {
  std::unique_lock lk(mu_);
  auto it = users_.find("default");
  user d = it == users_.end() ? make_default_user(table_) : *it->second;
  (void)apply_rule(d, "resetpass", table_);
  if (pw.empty()) (void)apply_rule(d, "nopass", table_);
  else (void)apply_rule(d, ">" + std::string(pw), table_);
  users_["default"] = std::make_shared<user>(std::move(d));
  changed_locked();
}

std::optional<std::string> registry::setuser(std::string_view name, std::span<const std::string_view> rules,
                                             bool pubsub_all) {
  if (name.find_first_of(std::string_view(" \0", 2)) != std::string_view::npos)
    return std::string("ERR Usernames can't contain spaces or null characters");
  std::vector<std::string> merged;
  if (auto bad = merge_selector_args(rules, merged))
    return "ERR Unmatched parenthesis in acl selector starting at '" + std::string(rules[*bad]) + "'.";
  std::unique_lock lk(mu_);
  auto it = users_.find(name);
  user u = it == users_.end() ? make_user(std::string(name), pubsub_all) : *it->second;
  for (auto& r : merged)
    if (auto e = apply_rule(u, r, table_, pubsub_all)) return "ERR Error in ACL SETUSER modifier '" + r + "': " + *e;
  users_[std::string(name)] = std::make_shared<user>(std::move(u));
  changed_locked();
  return std::nullopt;
}

std::shared_ptr<const user> registry::authenticate(std::string_view name, std::string_view pass) const {
  auto u = find(name);
  if (!u || !u->enabled) return nullptr;
  if (u->nopass) return u;
  auto h = sha256_hex(pass);
  bool match = false;
  for (auto& p : u->passwords)  // constant time per comparison (Redis time_independent_strcmp)
    if (p.size() == h.size() && CRYPTO_memcmp(p.data(), h.data(), h.size()) == 0) match = true;
  return match ? u : nullptr;
}

void registry::log(log_entry e, std::int64_t max_len) {
  std::lock_guard lk(log_mu_);
  // Redis ACLLogMatchEntry: same reason, context, object and user within 60 s: merged.
  for (auto it = log_.begin(); it != log_.end(); ++it) {
    if (it->reason == e.reason && it->context == e.context && it->object == e.object && it->username == e.username &&
        e.created_ms - it->created_ms < 60000) {
      log_entry m = std::move(*it);
      log_.erase(it);
      m.count++;
      m.created_ms = e.created_ms;
      m.client_info = std::move(e.client_info);
      log_.push_front(std::move(m));
      return;
    }
  }
  log_.push_front(std::move(e));
  while (static_cast<std::int64_t>(log_.size()) > std::max<std::int64_t>(max_len, 0)) log_.pop_back();
}

std::vector<log_entry> registry::log_entries(std::size_t count) const {
  std::lock_guard lk(log_mu_);
  std::vector<log_entry> v(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(std::min(count, log_.size())));
  return v;
}

void registry::log_reset() {
  std::lock_guard lk(log_mu_);
  log_.clear();
}

// ---------------------------------------------------------------------------------------------
// The ACL file

std::optional<std::vector<user>> parse_acl_file(std::string_view text, std::string_view file,
                                                const command_table& table, std::string& errors, bool pubsub_all) {
  std::vector<user> users;
  std::size_t linenum = 0;
  std::string f(file);
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++linenum;
    while (!line.empty() && std::strchr(" \t\r", line.front())) line.remove_prefix(1);
    while (!line.empty() && std::strchr(" \t\r", line.back())) line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string_view> argv;
    for (std::size_t i = 0; i < line.size();) {
      auto j = line.find(' ', i);
      if (j == std::string_view::npos) j = line.size();
      if (j > i) argv.push_back(line.substr(i, j - i));
      i = j + 1;
    }
    if (argv.empty()) continue;
    if (argv[0] != "user" || argv.size() < 2) {
      errors += f + ":" + std::to_string(linenum) + " should start with user keyword followed by the username. ";
      continue;
    }
    if (std::any_of(users.begin(), users.end(), [&](auto& u) { return u.name == argv[1]; })) {
      errors += "WARNING: Duplicate user '" + std::string(argv[1]) + "' found on line " + std::to_string(linenum) + ". ";
      continue;
    }
    user u = make_user(std::string(argv[1]), pubsub_all);
    bool ok = true;
    std::vector<std::string> merged;
    if (merge_selector_args(std::span(argv).subspan(2), merged)) {
      errors += f + ":" + std::to_string(linenum) + ": Unmatched parenthesis in selector declaration. ";
      ok = false;
      merged.clear();
    }
    for (auto& m : merged) {
      std::string_view r = m;  // Redis sdstrim(arg, "\t\r\n")
      while (!r.empty() && std::strchr("\t\r\n", r.front())) r.remove_prefix(1);
      while (!r.empty() && std::strchr("\t\r\n", r.back())) r.remove_suffix(1);
      if (auto e = apply_rule(u, r, table, pubsub_all)) {
        errors += f + ":" + std::to_string(linenum) + ": " + *e + ". ";
        ok = false;
      }
    }
    if (ok) users.push_back(std::move(u));
  }
  if (!errors.empty()) {
    errors += "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";
    return std::nullopt;
  }
  return users;
}

// ---------------------------------------------------------------------------------------------
// Server glue

namespace {

/// Applies a requirepass changed by CONFIG SET since the registry last saw it.
void sync_requirepass(command::server_state& s) {
  static std::mutex mu;  // one applier at a time; the check below is the fast path
  auto v = s.config.requirepass_version.load(std::memory_order_acquire);
  if (v == s.acl_requirepass_version.load(std::memory_order_acquire)) return;
  std::lock_guard lk(mu);
  v = s.config.requirepass_version.load(std::memory_order_acquire);
  if (v == s.acl_requirepass_version.load()) return;
  s.acl.set_requirepass(s.config.requirepass.get());
  s.acl_requirepass_version.store(v, std::memory_order_release);
}

void set_user(command::client_context& c, std::shared_ptr<const user> u, std::uint64_t gen) {
  std::lock_guard lk(c.info_mu);
  c.user = std::move(u);
  c.acl_gen = gen;
}

std::string denial_reason(denial d) {
  switch (d) {
    case denial::command: return "command";
    case denial::key: return "key";
    case denial::channel: return "channel";
    case denial::auth: return "auth";
    default: return "unknown";
  }
}

void add_log(command::server_state& s, command::client_context& c, denial d, std::string object, std::string username) {
  log_entry e;
  e.reason = denial_reason(d);
  e.context = c.in_multi ? "multi" : "toplevel";
  e.object = std::move(object);
  e.username = std::move(username);
  e.created_ms = util::now_ms();
  e.client_info = command::client_info_line(c);
  if (!e.client_info.empty() && e.client_info.back() == '\n') e.client_info.pop_back();
  s.acl.log(std::move(e), s.config.acllog_max_len.load(std::memory_order_relaxed));
}

}  // namespace

const user* client_user(command::server_state& s, command::client_context& c) {
  sync_requirepass(s);
  auto gen = s.acl.generation();
  if (!c.acl_ready) {
    auto d = s.acl.default_user();
    c.authenticated = d->nopass && d->enabled;  // Redis createClient
    c.acl_ready = true;
    set_user(c, std::move(d), gen);
  } else if (c.acl_gen != gen) {
    set_user(c, c.user ? s.acl.find(c.user->name) : nullptr, gen);
  }
  return c.user.get();
}

std::optional<std::string> check_command(command::server_state& s, command::client_context& c,
                                         const command_spec& cmd, command::args_view args) {
  if (c.replaying_aof) return std::nullopt;
  const user* u = client_user(s, c);
  if (s.acl.auth_required() && !c.authenticated && !cmd.has(command::f_no_auth))
    return std::string("NOAUTH Authentication required.");
  if (u && unrestricted(*u)) return std::nullopt;
  check_result r = u ? check(*u, cmd, args) : check_result{denial::command, 0};
  if (r.what == denial::none) return std::nullopt;
  std::string object = r.what == denial::command ? cmd.fullname : std::string(args[r.pos]);
  add_log(s, c, r.what, object, u ? u->name : std::string());
  switch (r.what) {
    case denial::key: return std::string("NOPERM this user has no permissions to access one of the keys used as arguments");
    case denial::channel:
      return std::string("NOPERM this user has no permissions to access one of the channels used as arguments");
    default: return "NOPERM this user has no permissions to run the '" + cmd.fullname + "' command";
  }
}

std::optional<std::string> recheck_queued(command::server_state& s, command::client_context& c,
                                          const command_spec& cmd, command::args_view args) {
  if (c.replaying_aof) return std::nullopt;
  const user* u = client_user(s, c);
  if (u && unrestricted(*u)) return std::nullopt;
  check_result r = u ? check(*u, cmd, args) : check_result{denial::command, 0};
  if (r.what == denial::none) return std::nullopt;
  std::string object = r.what == denial::command ? cmd.fullname : std::string(args[r.pos]);
  add_log(s, c, r.what, object, u ? u->name : std::string());
  const char* reason = r.what == denial::key       ? "no permission to touch the specified keys"
                       : r.what == denial::channel ? "no permission to access one of the channels used as arguments"
                                                   : "no permission to execute the command or subcommand";
  return std::string("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
                     "call. This command is no longer allowed for the following reason: ") +
         reason;
}

bool authenticate_client(command::server_state& s, command::client_context& c, std::string_view name,
                         std::string_view pass, std::string_view cmd_name) {
  client_user(s, c);
  auto u = s.acl.authenticate(name, pass);
  if (!u) {
    add_log(s, c, denial::auth, std::string(cmd_name), std::string(name));
    return false;
  }
  c.authenticated = true;
  set_user(c, std::move(u), s.acl.generation());
  return true;
}

void kill_clients_of(command::server_state& s, command::client_context& self, std::string_view name) {
  for (auto& cl : s.clients.list()) {
    std::string un;
    {
      std::lock_guard lk(cl->info_mu);
      if (!cl->user) continue;
      un = cl->user->name;
    }
    bool hit = name.empty() ? un != "default" : un == name;
    if (!hit) continue;
    if (cl.get() == &self) self.close_after_reply = true;
    else if (auto h = cl->handle.lock()) h->close();
  }
}

namespace {

/// Redis ACLCheckChannelAgainstList over the root and every selector: one of them allows
/// `ch` (a pattern subscription needs the very same pattern).
bool any_selector_allows_channel(const user& u, std::string_view ch, bool is_pattern) {
  if (channel_allowed(u, ch, is_pattern)) return true;
  for (auto& sel : u.selectors)
    if (channel_allowed(sel, ch, is_pattern)) return true;
  return false;
}

/// A subscription of `subs` that `u` no longer allows.
bool has_denied_subscription(const user& u, const pubsub::client_subscriptions& subs) {
  std::lock_guard lk(subs.names_mu);
  for (auto& p : subs.patterns)
    if (!any_selector_allows_channel(u, p, true)) return true;
  for (auto* set : {&subs.channels, &subs.shard_channels})
    for (auto& ch : *set)
      if (!any_selector_allows_channel(u, ch, false)) return true;
  return false;
}

}  // namespace

void kill_pubsub_clients_if_needed(command::server_state& s, command::client_context& self, std::string_view name) {
  auto u = s.acl.find(name);
  if (!u) return;
  for (auto& cl : s.clients.list()) {
    auto& subs = cl->subs;
    if (subs.n_channels.load() + subs.n_patterns.load() + subs.n_shard.load() == 0) continue;
    {
      std::lock_guard lk(cl->info_mu);
      if (!cl->user || cl->user->name != name) continue;
    }
    if (!has_denied_subscription(*u, subs)) continue;
    if (cl.get() == &self) self.close_after_reply = true;
    else if (auto h = cl->handle.lock()) h->close();
  }
}

namespace {

std::optional<std::string> read_file(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "Error loading ACLs, opening file '" + path + "': " + std::strerror(errno);
  std::ostringstream ss;
  ss << in.rdbuf();
  text = ss.str();
  return std::nullopt;
}

}  // namespace

std::optional<std::string> load_at_startup(command::server_state& s) {
  auto& cfg = s.config;
  s.acl_requirepass_version.store(~0ull);  // apply requirepass first (the file may redefine default)
  sync_requirepass(s);
  if (!cfg.aclfile.empty() && !cfg.users.empty())
    return std::string(
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. "
        "This setup is very likely to lead to configuration errors and security holes, please define either an "
        "ACL file or declare users directly in your redis.conf, but not both.");
  if (!cfg.users.empty()) {
    std::vector<user> users;
    for (auto& line : cfg.users) {
      // Redis config.c: the line's arguments as sdssplitargs gives them.
      auto args = split_args(line);
      if (!args) return "Error in user declaration: unbalanced quotes in '" + line + "'";
      std::vector<std::string_view> argv(args->begin(), args->end());
      if (argv.empty()) return std::string("Error in user declaration: no user name");
      auto it = std::find_if(users.begin(), users.end(), [&](auto& u) { return u.name == argv[0]; });
      if (it != users.end())
        return "Error in user declaration '" + std::string(argv[0]) +
               "': Duplicate user found. A user can only be defined once in config files";
      std::vector<std::string> merged;
      if (auto bad = merge_selector_args(std::span(argv).subspan(1), merged))
        return "Error in user declaration '" + std::string(argv[0]) +
               "': Unmatched parenthesis in acl selector starting at '" + std::string(argv[1 + *bad]) + "'";
      bool all = cfg.acl_pubsub_allchannels.load();
      // Redis ACLLoadConfiguredUsers: "user default" resets the default user (requirepass
      // included) and applies the line's rules.
      user u = make_user(std::string(argv[0]), all);
      if (argv[0] == "default") {
        if (auto d = s.acl.default_user()) u = *d;
        (void)apply_rule(u, "reset", s.table, all);
      }
      for (auto& r : merged)
        if (auto e = apply_rule(u, r, s.table, all))
          return "Error in user declaration '" + std::string(argv[0]) + "': " + *e;
      users.push_back(std::move(u));
    }
    if (auto d = s.acl.default_user();
        d && std::none_of(users.begin(), users.end(), [](auto& u) { return u.name == "default"; }))
      users.push_back(*d);
    s.acl.replace_all(std::move(users));
  }
  if (!cfg.aclfile.empty()) {
    std::string text;
    if (auto e = read_file(cfg.aclfile, text)) return e;
    std::string errors;
    auto users = parse_acl_file(text, cfg.aclfile, s.table, errors, cfg.acl_pubsub_allchannels.load());
    if (!users) return errors;
    s.acl.replace_all(std::move(*users));
  }
  return std::nullopt;
}

std::optional<std::string> load_file(command::server_state& s, command::client_context& self) {
  auto& path = s.config.aclfile;
  if (path.empty())
    return std::string(
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL "
        "SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order "
        "to store users in the Redis configuration.");
  std::string text;
  if (auto e = read_file(path, text)) return "ERR " + *e;
  std::string errors;
  auto users = parse_acl_file(text, path, s.table, errors, s.config.acl_pubsub_allchannels.load());
  if (!users) return "ERR " + errors;
  s.acl.replace_all(std::move(*users));
  kill_clients_of(s, self, "");  // Redis frees the old users, disconnecting their clients
  return std::nullopt;
}

std::optional<std::string> save_file(command::server_state& s) {
  auto& path = s.config.aclfile;
  if (path.empty())
    return std::string(
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL "
        "SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order "
        "to store users in the Redis configuration.");
  std::string text;
  for (auto& u : s.acl.all()) text += describe_user(*u, s.table) + "\n";
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  if (f) std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return std::string("ERR There was an error trying to save the ACLs. Please check the server logs for more information");
  }
  return std::nullopt;
}

}  // namespace kvd::acl
