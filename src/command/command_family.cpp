// COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP), as
// Redis 7.0 src/server.c (commandCommand, addReplyCommandInfo, addReplyCommandDocs,
// commandListCommand, getKeysSubcommandImpl) and src/db.c (getKeysFromCommandWithSpecs and
// the getkeys procs). Name, arity, flags, legacy key positions and ACL categories come from
// kvd's command table; tips, key specs and docs come from Redis's own metadata, which
// tools/gen_command_meta.py extracts into src/command/command_meta.json and CMakeLists.txt
// embeds as command_meta.inc. The JSON keeps Redis's field order; RESP types follow from the
// field names (see emit_json and the generator's docstring).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "kvd/command/command_table.hpp"
#include "kvd/command/error.hpp"
#include "kvd/command/dispatcher.hpp"
#include "kvd/command/server_state.hpp"
#include "kvd/util/glob.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {
namespace {

namespace json = boost::json;

constexpr const char* meta_pieces[] = {
#include "command_meta.inc"
};

// ---------------------------------------------------------------------------------------------
// Names and orders as Redis prints them.

/// COMMAND INFO flags in Redis's output order (server.c addReplyFlagsForCommand). A zero bit
/// is a flag kvd's enum does not have (module, asking, no_async_loading): printed when
/// Redis's metadata has it. may_replicate, sentinel and only_sentinel are hidden, as in Redis.
struct info_flag {
  std::string_view name;
  std::uint32_t bit;
};
constexpr info_flag info_flags[] = {
    {"write", f_write},
    {"readonly", f_readonly},
    {"denyoom", f_denyoom},
    {"module", 0},
    {"admin", f_admin},
    {"pubsub", f_pubsub},
    {"noscript", f_noscript},
    {"blocking", f_blocking},
    {"loading", f_loading},
    {"stale", f_stale},
    {"skip_monitor", f_skip_monitor},
    {"skip_slowlog", f_skip_slowlog},
    {"asking", 0},
    {"fast", f_fast},
    {"no_auth", f_no_auth},
    {"no_mandatory_keys", f_no_mandatory_keys},
    {"no_async_loading", 0},
    {"no_multi", f_no_multi},
    {"movablekeys", f_movablekeys},
    {"allow_busy", f_allow_busy},
};

/// ACL categories in Redis's order (acl.c ACLCommandCategories); bit i is entry i.
constexpr std::string_view acl_names[] = {
    "@keyspace", "@read",   "@write",       "@set",  "@sortedset", "@list",      "@hash",
    "@string",   "@bitmap", "@hyperloglog", "@geo",  "@stream",    "@pubsub",    "@admin",
    "@fast",     "@slow",   "@blocking",    "@dangerous", "@connection", "@transaction", "@scripting",
};
/// The bit of category `name` (lower case, without '@'), or 0 when there is none.
constexpr std::uint32_t acl_bit(std::string_view name) {
  for (std::size_t i = 0; i < std::size(acl_names); ++i)
    if (acl_names[i].substr(1) == name) return 1u << i;
  return 0;
}

/// Key spec flags in Redis's order (server.c addReplyFlagsForKeyArgs); bit i is entry i.
constexpr std::string_view key_flag_names[] = {
    "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags",
};
enum key_flag : std::uint32_t {
  k_ro = 1u << 0,
  k_rw = 1u << 1,
  k_ow = 1u << 2,
  k_rm = 1u << 3,
  k_access = 1u << 4,
  k_update = 1u << 5,
  k_insert = 1u << 6,
  k_delete = 1u << 7,
  k_not_key = 1u << 8,
  k_incomplete = 1u << 9,
  k_variable_flags = 1u << 10,
};

// ---------------------------------------------------------------------------------------------
// The embedded metadata, parsed once.

/// One key spec (Redis's keySpec): where the keys of one argument group are.
struct key_spec {
  enum class begin { unknown, index, keyword } bs = begin::unknown;
  enum class find { unknown, range, keynum } fk = find::unknown;
  int index = 0;          ///< begin index: argument position
  std::string keyword;    ///< begin keyword: the keyword, searched from `startfrom`
  int startfrom = 0;      ///< begin keyword: > 0 from the left, < 0 from the right
  int lastkey = 0, keystep = 1, limit = 0;   ///< find range
  int keynumidx = 0, firstkey = 0;           ///< find keynum (keystep shared)
  std::uint32_t flags = 0;  ///< key_flag bits
};

/// Metadata of one command or subcommand (by full name).
struct command_meta {
  const json::object* entry = nullptr;  ///< its object in the JSON (tips, key_specs, docs)
  std::vector<key_spec> key_specs;
  std::uint32_t redis_flags = 0;  ///< bit i: Redis shows info_flags[i]
};

std::uint32_t key_flags_of(const json::value& v) {
  std::uint32_t m = 0;
  if (auto* a = v.if_array())
    for (auto& f : *a)
      for (std::size_t i = 0; i < std::size(key_flag_names); ++i)
        if (f.is_string() && std::string_view(f.get_string()) == key_flag_names[i]) m |= 1u << i;
  return m;
}

int int_of(const json::object& o, std::string_view k, int dflt = 0) {
  auto* v = o.if_contains(k);
  return v && v->is_int64() ? static_cast<int>(v->get_int64()) : dflt;
}

key_spec parse_key_spec(const json::object& o) {
  key_spec ks;
  ks.flags = key_flags_of(o.contains("flags") ? o.at("flags") : json::value());
  if (auto* bs = o.if_contains("begin_search"); bs && bs->is_object()) {
    auto& b = bs->get_object();
    std::string_view type = b.contains("type") && b.at("type").is_string() ? std::string_view(b.at("type").get_string()) : "";
    const json::object* spec = b.contains("spec") ? b.at("spec").if_object() : nullptr;
    if (type == "index" && spec) {
      ks.bs = key_spec::begin::index;
      ks.index = int_of(*spec, "index");
    } else if (type == "keyword" && spec) {
      ks.bs = key_spec::begin::keyword;
      if (auto* kw = spec->if_contains("keyword"); kw && kw->is_string()) ks.keyword = kw->get_string();
      ks.startfrom = int_of(*spec, "startfrom");
    }
  }
  if (auto* fk = o.if_contains("find_keys"); fk && fk->is_object()) {
    auto& f = fk->get_object();
    std::string_view type = f.contains("type") && f.at("type").is_string() ? std::string_view(f.at("type").get_string()) : "";
    const json::object* spec = f.contains("spec") ? f.at("spec").if_object() : nullptr;
    if (type == "range" && spec) {
      ks.fk = key_spec::find::range;
      ks.lastkey = int_of(*spec, "lastkey");
      ks.keystep = int_of(*spec, "keystep", 1);
      ks.limit = int_of(*spec, "limit");
    } else if (type == "keynum" && spec) {
      ks.fk = key_spec::find::keynum;
      ks.keynumidx = int_of(*spec, "keynumidx");
      ks.firstkey = int_of(*spec, "firstkey");
      ks.keystep = int_of(*spec, "keystep", 1);
    }
  }
  if (ks.keystep <= 0) ks.keystep = 1;
  return ks;
}

/// All commands' metadata by full name ("get", "config|get"). Immutable after construction.
class meta_index {
 public:
  /// The process-wide index; the JSON is parsed on first use (thread-safe static init).
  static const meta_index& get() {
    static const meta_index idx;
    return idx;
  }

  /// Metadata of `fullname` (lower case), or nullptr for commands Redis does not have.
  [[nodiscard]] const command_meta* find(const std::string& fullname) const {
    auto it = by_name_.find(fullname);
    return it == by_name_.end() ? nullptr : &it->second;
  }

 private:
  meta_index() {
    std::string text;
    for (const char* p : meta_pieces) text += p;
    boost::system::error_code ec;
    root_ = json::parse(text, ec);
    if (ec || !root_.is_object()) return;  // built in and checked by tests; never expected
    for (auto& [name, v] : root_.get_object()) {
      if (!v.is_object()) continue;
      add(std::string(name), v.get_object());
      if (auto* subs = v.get_object().if_contains("subcommands"); subs && subs->is_object())
        for (auto& [sub, sv] : subs->get_object())
          if (sv.is_object()) add(std::string(sub), sv.get_object());
    }
  }

  void add(std::string name, const json::object& o) {
    command_meta m;
    m.entry = &o;
    if (auto* specs = o.if_contains("key_specs"); specs && specs->is_array())
      for (auto& s : specs->get_array())
        if (s.is_object()) m.key_specs.push_back(parse_key_spec(s.get_object()));
    if (auto* flags = o.if_contains("flags"); flags && flags->is_array())
      for (auto& f : flags->get_array())
        for (std::size_t i = 0; i < std::size(info_flags); ++i)
          if (f.is_string() && std::string_view(f.get_string()) == info_flags[i].name) m.redis_flags |= 1u << i;
    by_name_.emplace(std::move(name), std::move(m));
  }

  json::value root_;
  std::unordered_map<std::string, command_meta> by_name_;
};

const command_meta* meta_of(const command_spec& c) { return meta_index::get().find(c.fullname); }

// ---------------------------------------------------------------------------------------------
// Replies from the metadata.

/// Writes a JSON value as Redis does for that field: object -> map, string -> bulk, integer ->
/// integer, array -> array, except "flags"/"doc_flags" (a set of simple strings) and
/// "history" (a set). `key` is the field name the value belongs to.
void emit_json(const json::value& v, std::string_view key, protocol::reply_builder& rb) {
  switch (v.kind()) {
    case json::kind::string:
      rb.bulk(v.get_string());
      break;
    case json::kind::int64:
      rb.integer(v.get_int64());
      break;
    case json::kind::uint64:
      rb.integer(static_cast<std::int64_t>(v.get_uint64()));
      break;
    case json::kind::array: {
      auto& a = v.get_array();
      if (key == "flags" || key == "doc_flags") {
        rb.set(a.size());
        for (auto& e : a) rb.simple(e.is_string() ? std::string_view(e.get_string()) : std::string_view());
        break;
      }
      if (key == "history") rb.set(a.size());
      else rb.array(a.size());
      for (auto& e : a) emit_json(e, {}, rb);
      break;
    }
    case json::kind::object: {
      auto& o = v.get_object();
      rb.map(o.size());
      for (auto& [k, e] : o) {
        rb.bulk(k);
        emit_json(e, k, rb);
      }
      break;
    }
    default:
      rb.null();
      break;
  }
}

const json::array* array_field(const command_meta* m, std::string_view k) {
  if (!m) return nullptr;
  auto* v = m->entry->if_contains(k);
  return v ? v->if_array() : nullptr;
}

/// ACL category bits of a row: its own categories plus those Redis implies from its flags
/// (server.c setImplicitACLCategories).
std::uint32_t acl_mask(const command_spec& c) {
  std::uint32_t m = 0;
  std::string_view s = c.acl_categories;
  while (!s.empty()) {
    auto sp = s.find(' ');
    auto tok = s.substr(0, sp);
    if (!tok.empty() && tok.front() == '@') tok.remove_prefix(1);
    char buf[32];
    m |= acl_bit(to_lower(tok, buf, sizeof buf));
    s = sp == std::string_view::npos ? std::string_view() : s.substr(sp + 1);
  }
  if (c.has(f_write)) m |= acl_bit("write");
  if (c.has(f_readonly) && !(m & acl_bit("scripting"))) m |= acl_bit("read");
  if (c.has(f_admin)) m |= acl_bit("admin") | acl_bit("dangerous");
  if (c.has(f_pubsub)) m |= acl_bit("pubsub");
  if (c.has(f_fast)) m |= acl_bit("fast");
  if (c.has(f_blocking)) m |= acl_bit("blocking");
  if (!(m & acl_bit("fast"))) m |= acl_bit("slow");
  return m;
}

/// One COMMAND INFO entry (server.c addReplyCommandInfo); nullptr gives a null reply.
void reply_info(const command_spec* c, protocol::reply_builder& rb) {
  if (!c) return rb.null();
  const command_meta* m = meta_of(*c);
  rb.array(10);
  rb.bulk(c->fullname);
  rb.integer(c->arity);

  bool shown[std::size(info_flags)] = {};
  std::size_t nflags = 0;
  for (std::size_t i = 0; i < std::size(info_flags); ++i) {
    auto bit = info_flags[i].bit;
    bool from_redis = m && (m->redis_flags & (1u << i)) && (bit == 0 || bit == f_movablekeys);
    shown[i] = (bit != 0 && (c->flags & bit)) || from_redis;
    nflags += shown[i];
  }
  rb.set(nflags);
  for (std::size_t i = 0; i < std::size(info_flags); ++i)
    if (shown[i]) rb.simple(info_flags[i].name);

  rb.integer(c->first_key);
  rb.integer(c->last_key);
  rb.integer(c->key_step);

  auto acl = acl_mask(*c);
  rb.set(static_cast<std::size_t>(std::popcount(acl)));
  for (std::size_t i = 0; i < std::size(acl_names); ++i)
    if (acl & (1u << i)) rb.simple(acl_names[i]);

  if (auto* tips = array_field(m, "tips")) {
    rb.set(tips->size());
    for (auto& t : *tips) rb.bulk(t.is_string() ? std::string_view(t.get_string()) : std::string_view());
  } else {
    rb.set(0);
  }
  if (auto* specs = array_field(m, "key_specs")) {
    rb.set(specs->size());
    for (auto& s : *specs) emit_json(s, {}, rb);
  } else {
    rb.set(0);
  }

  if (c->subcommands.empty()) {
    rb.set(0);
  } else {
    rb.array(c->subcommands.size());
    for (auto& s : c->subcommands) reply_info(&s, rb);
  }
}

/// One command's COMMAND DOCS map (server.c addReplyCommandDocs), listing only the
/// subcommands kvd has. Commands Redis does not know get just a group.
void reply_docs(const command_spec& c, protocol::reply_builder& rb) {
  const command_meta* m = meta_of(c);
  const json::object* docs = nullptr;
  if (m)
    if (auto* d = m->entry->if_contains("docs")) docs = d->if_object();
  std::size_t n = (docs ? docs->size() : 1) + (c.subcommands.empty() ? 0 : 1);
  rb.map(n);
  if (docs) {
    for (auto& [k, v] : *docs) {
      rb.bulk(k);
      emit_json(v, k, rb);
    }
  } else {
    rb.bulk("group");
    rb.bulk("generic");
  }
  if (!c.subcommands.empty()) {
    rb.bulk("subcommands");
    rb.map(c.subcommands.size());
    for (auto& s : c.subcommands) {
      rb.bulk(s.fullname);
      reply_docs(s, rb);
    }
  }
}

/// A command by full name as COMMAND INFO/DOCS take it: "get" or "config|get" (server.c
/// lookupCommandBySds, strict: a subcommand name needs a container, at most one '|').
const command_spec* find_by_fullname(const command_table& t, std::string_view s) {
  if (s.empty()) return nullptr;
  auto bar = s.find('|');
  if (bar == std::string_view::npos) return t.find(s);
  auto rest = s.substr(bar + 1);
  if (rest.find('|') != std::string_view::npos) return nullptr;
  const command_spec* base = t.find(s.substr(0, bar));
  if (!base || base->subcommands.empty()) return nullptr;
  return base->find_sub(rest);
}

// ---------------------------------------------------------------------------------------------
// Key extraction (db.c): key specs first, then the command's getkeys procedure.

struct key_ref {
  std::size_t pos;
  std::uint32_t flags;  ///< key_flag bits
};

/// Redis getKeysUsingKeySpecs (GET_KEYSPEC_DEFAULT): false when a spec is invalid for these
/// arguments or incomplete, so the caller falls back to the command's procedure.
bool keys_from_specs(const command_meta& m, args_view argv, std::vector<key_ref>& out) {
  const long argc = static_cast<long>(argv.size());
  for (auto& spec : m.key_specs) {
    if (spec.flags & k_not_key) continue;
    long first = 0, last = 0, step = 1;
    if (spec.bs == key_spec::begin::index) {
      first = spec.index;
    } else if (spec.bs == key_spec::begin::keyword) {
      long start = spec.startfrom > 0 ? spec.startfrom : argc + spec.startfrom;
      long end = spec.startfrom > 0 ? argc - 1 : 1;
      for (long i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (iequals(argv[static_cast<std::size_t>(i)], spec.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue;  // keyword absent: no keys from this spec
    } else {
      out.clear();
      return false;
    }

    if (spec.fk == key_spec::find::range) {
      step = spec.keystep;
      if (spec.lastkey >= 0) last = first + spec.lastkey;
      else if (!spec.limit) last = argc + spec.lastkey;
      else last = first + ((argc - first) / spec.limit + spec.lastkey);
    } else if (spec.fk == key_spec::find::keynum) {
      step = spec.keystep;
      long idx = first + spec.keynumidx;
      if (spec.keynumidx >= argc || idx >= argc) {
        out.clear();
        return false;
      }
      auto n = util::parse_int64(argv[static_cast<std::size_t>(idx)]);
      if (!n || *n < 0) {
        out.clear();
        return false;
      }
      first += spec.firstkey;
      last = first + static_cast<int>(*n) - 1;
    } else {
      out.clear();
      return false;
    }

    if (last >= argc || last < first || first >= argc) {
      out.clear();
      return false;
    }
    for (long i = first; i <= last; i += step) {
      if (i >= argc || i < first) continue;
      out.push_back({static_cast<std::size_t>(i), spec.flags});
    }
    if (spec.flags & k_incomplete) {
      out.clear();
      return false;
    }
  }
  return true;
}

/// C atoi(), which Redis's genericGetKeys uses (so "2abc" counts as 2).
int c_atoi(std::string_view s) {
  std::string z(s);
  return static_cast<int>(std::strtol(z.c_str(), nullptr, 10));
}

/// Redis genericGetKeys: numkeys at `count_at`, keys from `first_at`, an optional store key.
void generic_keys(int store_at, int count_at, int first_at, int step, args_view argv, std::vector<key_ref>& out) {
  const int argc = static_cast<int>(argv.size());
  if (count_at >= argc) return;
  int num = c_atoi(argv[static_cast<std::size_t>(count_at)]);
  if (num < 1 || num > (argc - first_at) / step) return;
  for (int i = 0; i < num; ++i) out.push_back({static_cast<std::size_t>(first_at + i * step), 0});
  if (store_at) out.push_back({static_cast<std::size_t>(store_at), 0});
}

/// Redis sortGetKeys: the sorted key, and the last STORE target.
void sort_keys(args_view argv, std::vector<key_ref>& out) {
  out.push_back({1, k_ro | k_access});
  bool found_store = false;
  key_ref store{0, k_ow | k_update};
  static constexpr std::pair<std::string_view, int> skip[] = {{"limit", 2}, {"get", 1}, {"by", 1}};
  for (std::size_t i = 2; i < argv.size(); ++i) {
    for (auto& [name, n] : skip) {
      if (iequals(argv[i], name)) {
        i += static_cast<std::size_t>(n);
        break;
      }
      if (iequals(argv[i], "store") && i + 1 < argv.size()) {
        found_store = true;
        store.pos = i + 1;
        break;
      }
    }
  }
  if (found_store) out.push_back(store);
}

/// Redis migrateGetKeys: argv[3], or the keys after KEYS when argv[3] is empty.
void migrate_keys(args_view argv, std::vector<key_ref>& out) {
  std::size_t first = 3, num = 1;
  static constexpr std::pair<std::string_view, std::size_t> skip[] = {
      {"copy", 0}, {"replace", 0}, {"auth", 1}, {"auth2", 2}};
  if (argv.size() > 6) {
    for (std::size_t i = 6; i < argv.size(); ++i) {
      if (iequals(argv[i], "keys")) {
        if (!argv[3].empty()) {
          num = 0;
        } else {
          first = i + 1;
          num = argv.size() - first;
        }
        break;
      }
      for (auto& [name, n] : skip) {
        if (iequals(argv[i], name)) {
          i += n;
          break;
        }
      }
    }
  }
  for (std::size_t i = 0; i < num; ++i) out.push_back({first + i, k_rw | k_access | k_delete});
}

/// Redis georadiusGetKeys (GEORADIUS, GEORADIUSBYMEMBER): the key and the last STORE/STOREDIST.
void georadius_keys(args_view argv, std::vector<key_ref>& out) {
  std::size_t stored = 0;
  for (std::size_t i = 5; i < argv.size(); ++i) {
    if ((iequals(argv[i], "store") || iequals(argv[i], "storedist")) && i + 1 < argv.size()) {
      stored = i + 1;
      ++i;
    }
  }
  out.push_back({1, 0});
  if (stored) out.push_back({stored, 0});
}

/// Redis xreadGetKeys (XREAD, XREADGROUP): the first half of the arguments after STREAMS.
void xread_keys(args_view argv, std::vector<key_ref>& out) {
  std::size_t streams = 0;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    auto a = argv[i];
    if (iequals(a, "block") || iequals(a, "count")) {
      ++i;
    } else if (iequals(a, "group")) {
      i += 2;
    } else if (iequals(a, "noack")) {
    } else if (iequals(a, "streams")) {
      streams = i;
      break;
    } else {
      break;
    }
  }
  if (!streams) return;
  std::size_t num = argv.size() - streams - 1;
  if (num == 0 || num % 2 != 0) return;
  num /= 2;
  for (std::size_t i = streams + 1; i < argv.size() - num; ++i) out.push_back({i, 0});
}

/// Redis setGetKeys: SET's key is read too when GET is given.
void set_keys(args_view argv, std::vector<key_ref>& out) {
  for (std::size_t i = 3; i < argv.size(); ++i) {
    if (iequals(argv[i], "get")) return out.push_back({1, k_rw | k_access | k_update});
  }
  out.push_back({1, k_ow | k_update});
}

/// Redis bitfieldGetKeys: read-only when only GET (and OVERFLOW) operations are given.
void bitfield_keys(args_view argv, std::vector<key_ref>& out) {
  bool readonly = true;
  for (std::size_t i = 2; i < argv.size(); ++i) {
    std::size_t rem = argv.size() - i - 1;
    auto a = argv[i];
    if (iequals(a, "get") && rem >= 2) {
      i += 2;
    } else if ((iequals(a, "set") || iequals(a, "incrby")) && rem >= 3) {
      readonly = false;
      break;
    } else if (iequals(a, "overflow") && rem >= 1) {
      i += 1;
    } else {
      readonly = false;
      break;
    }
  }
  out.push_back({1, readonly ? (k_ro | k_access) : (k_rw | k_access | k_update)});
}

/// The getkeys procedure Redis 7.0 attaches to `fullname` (commands.c), if any.
using getkeys_proc = void (*)(args_view, std::vector<key_ref>&);
getkeys_proc proc_for(std::string_view n) {
  struct entry {
    std::string_view name;
    getkeys_proc proc;
  };
  static constexpr entry procs[] = {
      {"sort", sort_keys},
      {"sort_ro", [](args_view, std::vector<key_ref>& o) { o.push_back({1, k_ro | k_access}); }},
      {"migrate", migrate_keys},
      {"georadius", georadius_keys},
      {"georadiusbymember", georadius_keys},
      {"xread", xread_keys},
      {"xreadgroup", xread_keys},
      {"set", set_keys},
      {"bitfield", bitfield_keys},
      {"zunionstore", [](args_view a, std::vector<key_ref>& o) { generic_keys(1, 2, 3, 1, a, o); }},
      {"zinterstore", [](args_view a, std::vector<key_ref>& o) { generic_keys(1, 2, 3, 1, a, o); }},
      {"zdiffstore", [](args_view a, std::vector<key_ref>& o) { generic_keys(1, 2, 3, 1, a, o); }},
      {"zunion", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 1, 2, 1, a, o); }},
      {"zinter", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 1, 2, 1, a, o); }},
      {"zdiff", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 1, 2, 1, a, o); }},
      {"zintercard", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 1, 2, 1, a, o); }},
      {"sintercard", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 1, 2, 1, a, o); }},
      {"lmpop", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 1, 2, 1, a, o); }},
      {"zmpop", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 1, 2, 1, a, o); }},
      {"blmpop", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 2, 3, 1, a, o); }},
      {"bzmpop", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 2, 3, 1, a, o); }},
      {"eval", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 2, 3, 1, a, o); }},
      {"evalsha", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 2, 3, 1, a, o); }},
      {"eval_ro", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 2, 3, 1, a, o); }},
      {"evalsha_ro", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 2, 3, 1, a, o); }},
      {"fcall", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 2, 3, 1, a, o); }},
      {"fcall_ro", [](args_view a, std::vector<key_ref>& o) { generic_keys(0, 2, 3, 1, a, o); }},
  };
  for (auto& e : procs)
    if (e.name == n) return e.proc;
  return nullptr;
}

/// Redis doesCommandHaveKeys: a getkeys procedure or a key spec that is not NOT_KEY. Commands
/// without Redis metadata have keys when their table row names positions.
bool has_keys(const command_spec& c, const command_meta* m) {
  if (!m) return c.first_key > 0;
  if (proc_for(c.fullname)) return true;
  return std::any_of(m->key_specs.begin(), m->key_specs.end(), [](auto& s) { return !(s.flags & k_not_key); });
}

/// Redis getKeysFromCommandWithSpecs: key specs when they all have reliable flags, else (or
/// when they fail) the getkeys procedure. Without Redis metadata: the table's positions.
std::vector<key_ref> keys_of(const command_spec& c, const command_meta* m, args_view argv) {
  std::vector<key_ref> out;
  if (!m) {
    for_each_key_index(c, argv.size(), [&](std::size_t i) { out.push_back({i, 0}); });
    return out;
  }
  bool any_key = false, varflags = false;
  for (auto& s : m->key_specs) {
    any_key |= !(s.flags & k_not_key);
    varflags |= (s.flags & k_variable_flags) != 0;
  }
  if (any_key && !varflags && keys_from_specs(*m, argv, out)) return out;
  out.clear();
  if (auto proc = proc_for(c.fullname)) proc(argv, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Handlers.

/// COMMAND (no subcommand) and COMMAND INFO without names: every top-level command.
void reply_all_info(command_context& ctx) {
  auto& all = ctx.server.table.all();
  ctx.rb.array(all.size());
  for (auto& c : all) reply_info(&c, ctx.rb);
}

void cmd_command(command_context& ctx) { reply_all_info(ctx); }

void cmd_count(command_context& ctx) { ctx.rb.integer(static_cast<std::int64_t>(ctx.server.table.all().size())); }

/// COMMAND INFO [name ...]: an entry per name (null when unknown), or all commands.
void cmd_info(command_context& ctx) {
  if (ctx.argc() == 2) return reply_all_info(ctx);
  ctx.rb.array(ctx.argc() - 2);
  for (std::size_t i = 2; i < ctx.argc(); ++i) reply_info(find_by_fullname(ctx.server.table, ctx.arg(i)), ctx.rb);
}

/// COMMAND DOCS [name ...]: a map of name -> docs for the names found, or for all commands.
void cmd_docs(command_context& ctx) {
  std::vector<const command_spec*> found;
  if (ctx.argc() == 2) {
    for (auto& c : ctx.server.table.all()) found.push_back(&c);
  } else {
    for (std::size_t i = 2; i < ctx.argc(); ++i)
      if (auto* c = find_by_fullname(ctx.server.table, ctx.arg(i))) found.push_back(c);
  }
  ctx.rb.map(found.size());
  for (auto* c : found) {
    ctx.rb.bulk(c->fullname);
    reply_docs(*c, ctx.rb);
  }
}

/// COMMAND LIST [FILTERBY MODULE m|ACLCAT c|PATTERN p]: commands and subcommands by full name.
/// kvd has no modules, so MODULE matches nothing; an unknown category matches nothing.
void cmd_list(command_context& ctx) {
  enum class filter { none, module, aclcat, pattern } f = filter::none;
  std::string_view arg;
  for (std::size_t i = 2; i < ctx.argc(); ++i) {
    std::size_t more = ctx.argc() - 1 - i;
    if (iequals(ctx.arg(i), "filterby") && more == 2) {
      auto type = ctx.arg(i + 1);
      if (iequals(type, "module")) f = filter::module;
      else if (iequals(type, "aclcat")) f = filter::aclcat;
      else if (iequals(type, "pattern")) f = filter::pattern;
      else return ctx.rb.error("ERR syntax error");
      arg = ctx.arg(i + 2);
      i += 2;
    } else {
      return ctx.rb.error("ERR syntax error");
    }
  }
  std::uint32_t cat = 0;
  if (f == filter::aclcat) {
    char buf[32];
    cat = arg.size() < sizeof buf ? acl_bit(to_lower(arg, buf, sizeof buf)) : 0;
  }
  auto keep = [&](const command_spec& c) {
    switch (f) {
      case filter::none: return true;
      case filter::module: return false;
      case filter::aclcat: return cat != 0 && (acl_mask(c) & cat) != 0;
      case filter::pattern: return util::glob_match(arg, c.fullname, true);
    }
    return false;
  };
  std::vector<const std::string*> names;
  for (auto& c : ctx.server.table.all()) {
    if (keep(c)) names.push_back(&c.fullname);
    for (auto& s : c.subcommands)
      if (keep(s)) names.push_back(&s.fullname);
  }
  ctx.rb.array(names.size());
  for (auto* n : names) ctx.rb.bulk(*n);
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS <full command>: the key arguments (and their flags).
void getkeys_impl(command_context& ctx, bool with_flags) {
  args_view argv = ctx.args.subspan(2);
  const command_spec* c = ctx.server.table.find(argv[0]);
  if (c && !c->subcommands.empty() && argv.size() >= 2) c = c->find_sub(argv[1]);
  if (!c) return ctx.rb.error("ERR Invalid command specified");
  const command_meta* m = meta_of(*c);
  if (!has_keys(*c, m)) return ctx.rb.error("ERR The command has no key arguments");
  auto argc = static_cast<int>(argv.size());
  if ((c->arity > 0 && c->arity != argc) || argc < -c->arity)
    return ctx.rb.error("ERR Invalid number of arguments specified for command");

  auto keys = keys_of(*c, m, argv);
  if (keys.empty()) {
    if (c->has(f_no_mandatory_keys)) return ctx.rb.array(0);
    return ctx.rb.error("ERR Invalid arguments specified for command");
  }
  ctx.rb.array(keys.size());
  for (auto& k : keys) {
    if (!with_flags) {
      ctx.rb.bulk(argv[k.pos]);
      continue;
    }
    ctx.rb.array(2);
    ctx.rb.bulk(argv[k.pos]);
    ctx.rb.set(static_cast<std::size_t>(std::popcount(k.flags)));
    for (std::size_t i = 0; i < std::size(key_flag_names); ++i)
      if (k.flags & (1u << i)) ctx.rb.simple(key_flag_names[i]);
  }
}

void cmd_getkeys(command_context& ctx) { getkeys_impl(ctx, false); }
void cmd_getkeysandflags(command_context& ctx) { getkeys_impl(ctx, true); }

/// COMMAND HELP: Redis 7.0's text (server.c commandHelpCommand + addReplyHelp).
void cmd_help(command_context& ctx) {
  static constexpr std::string_view lines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full Redis command.",
      "HELP",
      "    Prints this help.",
  };
  reply_help(ctx.rb, lines);
}

}  // namespace

void movable_key_indexes(const command_spec& cmd, args_view args, std::vector<std::size_t>& out) {
  for (auto& k : keys_of(cmd, meta_of(cmd), args)) out.push_back(k.pos);
}

std::uint32_t acl_category_mask(const command_spec& c) { return acl_mask(c); }

void acl_key_positions(const command_spec& cmd, args_view args, std::vector<std::pair<std::size_t, std::uint8_t>>& out) {
  // Redis ACLSelectorCheckKey: ACCESS needs read permission; INSERT, DELETE, UPDATE need
  // write. A key without those flags (EXISTS's RO, or no Redis metadata) matches any pattern.
  for (auto& k : keys_of(cmd, meta_of(cmd), args)) {
    std::uint8_t need = 0;
    if (k.flags & k_access) need |= 1;
    if (k.flags & (k_insert | k_delete | k_update)) need |= 2;
    out.emplace_back(k.pos, need);
  }
}

void written_key_indexes(const command_spec& cmd, args_view args, std::vector<std::size_t>& out) {
  // Keys without flags (no Redis metadata) count as written; RO-only keys are just read.
  for (auto& k : keys_of(cmd, meta_of(cmd), args))
    if ((k.flags & (k_rw | k_ow | k_rm)) || !(k.flags & k_ro)) out.push_back(k.pos);
}

/// Registers COMMAND and its subcommands (Redis 7.0 src/commands/command*.json) and parses
/// the embedded metadata, so the first COMMAND call does not pay for it.
void register_command_family(command_table& t) {
  (void)meta_index::get();
  constexpr std::uint32_t fl = f_loading | f_stale | f_sentinel;
  constexpr std::string_view acl = "slow connection";
  auto& cmd = t.add({"command", -1, fl, 0, 0, 0, cmd_command, acl});
  t.add_sub(cmd, {"count", 2, fl, 0, 0, 0, cmd_count, acl});
  t.add_sub(cmd, {"docs", -2, fl, 0, 0, 0, cmd_docs, acl});
  t.add_sub(cmd, {"getkeys", -4, fl, 0, 0, 0, cmd_getkeys, acl});
  t.add_sub(cmd, {"getkeysandflags", -4, fl, 0, 0, 0, cmd_getkeysandflags, acl});
  t.add_sub(cmd, {"help", 2, fl, 0, 0, 0, cmd_help, acl});
  t.add_sub(cmd, {"info", -2, fl, 0, 0, 0, cmd_info, acl});
  t.add_sub(cmd, {"list", -2, fl, 0, 0, 0, cmd_list, acl});
}

}  // namespace kvd::command
