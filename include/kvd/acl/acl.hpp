// Users and permissions (Redis 7.0 ACL, src/acl.c): users with on/off, SHA-256 passwords,
// key patterns (~, %R~, %W~), channel patterns (&), command and category rules; the
// per-command permission check the dispatcher runs before a command; the ACL LOG; the ACL
// file format (one "user <name> <rules...>" line per user); Redis 7.0 selectors
// ("(~key* +get)": further sets of commands, keys and channels, any of which may allow a
// command). See docs "Security" in README.md.
#pragma once
#include <atomic>
#include <bitset>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/command/command_table.hpp"

namespace kvd::command {
struct client_context;
struct server_state;
}  // namespace kvd::command

namespace kvd::acl {

/// Permission bitmap over command_spec::id; bit `future_bit` is set only by +@all /
/// allcommands (Redis's "can execute future commands" trick for ACL GETUSER's description).
constexpr std::size_t max_commands = 1024;
using command_bits = std::bitset<max_commands>;
constexpr std::size_t future_bit = max_commands - 1;

/// Key pattern permissions (%R~, %W~; ~ is both).
enum key_perm : std::uint8_t { perm_read = 1, perm_write = 2, perm_all = 3 };

/// One key pattern and what it grants.
struct key_pattern {
  std::string pattern;
  std::uint8_t perms = perm_all;
};

/// One set of permissions (Redis 7.0 aclSelector): commands, key patterns, channel patterns.
/// A command is allowed when one selector allows its command, all its keys and channels.
struct selector {
  bool allkeys = false, allchannels = false, allcommands = false;
  std::vector<key_pattern> keys;       ///< in the order added
  std::vector<std::string> channels;   ///< channel patterns, in the order added
  command_bits allowed;                ///< by command_spec::id (+ future_bit)
  /// Allowed first arguments of otherwise denied commands (+select|0), by command id.
  std::map<std::size_t, std::vector<std::string>> firstargs;
};

/// One user: its root selector (the base), flags, passwords and its added selectors
/// ("(...)" rules). Published users are immutable: changes build a new copy
/// (registry::set_user), so readers need no lock.
struct user : selector {
  std::string name;
  bool enabled = false;           ///< on / off
  bool nopass = false;            ///< any password (or none) authenticates
  int sanitize = 0;               ///< 0, 1 = sanitize-payload, 2 = skip-sanitize-payload (flags only)
  std::vector<std::string> passwords;  ///< lower-case hex SHA-256 of each password
  std::vector<selector> selectors;     ///< "(...)" selectors in the order added (clearselectors empties)
};

/// Lower-case hex SHA-256 of `data` (64 chars), via OpenSSL.
[[nodiscard]] std::string sha256_hex(std::string_view data);

/// The reasons a command is refused (Redis ACL_DENIED_*).
enum class denial { none, command, key, channel, auth };

/// Result of a permission check: what was denied and the argument index (key or channel).
struct check_result {
  denial what = denial::none;
  std::size_t pos = 0;
};

/// ACL category bit of `name` (lower case, no '@'; Redis's order, see categories()), or 0.
[[nodiscard]] std::uint32_t category_bit(std::string_view name);
/// ACL category names in Redis's order (ACL CAT), without '@'.
[[nodiscard]] const std::vector<std::string_view>& categories();

/// Applies one ACL SETUSER rule (Redis ACLSetUser) to `u`, resolving commands and categories
/// in `table`; "(rules...)" adds a selector, "clearselectors" drops them. Returns nullopt, or
/// the error text of Redis's ACLSetUserStringError ("Syntax error", "Unknown command or
/// category name in ACL", ...). `pubsub_all`: acl-pubsub-default allchannels (what "reset"
/// and a new selector get).
[[nodiscard]] std::optional<std::string> apply_rule(user& u, std::string_view rule, const command::command_table& table,
                                                    bool pubsub_all = false);
/// Redis ACLMergeSelectorArguments: joins the arguments of a selector split over several
/// arguments ("(~a" "+get)" -> "(~a +get)") into `out`. Returns the index (in `args`) of the
/// argument opening a selector that never closes, or nullopt.
[[nodiscard]] std::optional<std::size_t> merge_selector_args(std::span<const std::string_view> args,
                                                             std::vector<std::string>& out);
/// A new user as ACL SETUSER creates it: off, no passwords, keys or commands; every channel
/// when `pubsub_all` (acl-pubsub-default allchannels), else none.
[[nodiscard]] user make_user(std::string name, bool pubsub_all = false);
/// The built-in default user: on nopass ~* &* +@all.
[[nodiscard]] user make_default_user(const command::command_table& table);

/// ACL GETUSER "commands" / ACL LIST command part (Redis 7.0 ACLDescribeSelectorCommandRules:
/// +@all or -@all, then the best-fitting categories, then single commands).
[[nodiscard]] std::string describe_commands(const selector& u, const command::command_table& table);
/// ACL GETUSER "keys": "~*" or the patterns ("%R~a ~b"), space-separated.
[[nodiscard]] std::string describe_keys(const selector& u);
/// ACL GETUSER "channels": "&*" or the patterns ("&a &b").
[[nodiscard]] std::string describe_channels(const selector& u);
/// Redis ACLDescribeSelector: "~k* resetchannels &c -@all +get" (keys, channels, commands).
[[nodiscard]] std::string describe_selector(const selector& s, const command::command_table& table);
/// ACL GETUSER "flags": on/off, nopass, (skip-)sanitize-payload.
[[nodiscard]] std::vector<std::string> flags_of(const user& u);
/// One ACL LIST / ACL file line: "user <name> on #<sha> ~* &* +@all (~k* resetchannels -@all +get)".
[[nodiscard]] std::string describe_user(const user& u, const command::command_table& table);

/// Whether `u` may run `cmd` (its resolved subcommand) with `args` (name first): allowed when
/// the root selector or any other selector allows the command bits or first args, then the
/// keys with their read/write flags, then PUBLISH/SUBSCRIBE channels (Redis 7.0
/// ACLCheckAllUserCommandPerm / ACLSelectorCheckCmd). When none does, the denial reported is
/// the gravest (channel > key > command), at the highest argument index among equals.
/// Commands flagged no_auth are always allowed.
[[nodiscard]] check_result check(const user& u, const command::command_spec& cmd, command::args_view args);
/// True when `u` may run everything (the fast path: no per-key work).
[[nodiscard]] bool unrestricted(const user& u) noexcept;

/// One ACL LOG entry (Redis 7.0 fields: count, reason, context, object, username,
/// age-seconds, client-info).
struct log_entry {
  std::uint64_t count = 1;
  std::string reason;       ///< command | key | channel | auth
  std::string context;      ///< toplevel | multi | lua
  std::string object;       ///< command full name, key, channel, or auth command name
  std::string username;
  std::int64_t created_ms = 0;  ///< last update, Unix ms (age-seconds)
  std::string client_info;  ///< CLIENT INFO line of the client
};

/// All users, the ACL LOG and the default user's auth state. Thread-safe: readers take a
/// snapshot pointer of a user; writers replace users under the lock and bump generation(),
/// which connections compare on every command to pick up changes.
class registry {
 public:
  /// Creates the default user; `table` must outlive the registry.
  explicit registry(const command::command_table& table);

  /// The user called `name`, or null.
  [[nodiscard]] std::shared_ptr<const user> find(std::string_view name) const;
  /// The default user (never null).
  [[nodiscard]] std::shared_ptr<const user> default_user() const;
  /// Every user, sorted by name.
  [[nodiscard]] std::vector<std::shared_ptr<const user>> all() const;
  /// Creates or replaces a user (its name is the key).
  void set_user(user u);
  /// Removes `name` (not "default"); true when it existed.
  bool remove(std::string_view name);
  /// Replaces every user (ACL LOAD, start-up); a missing default user gets the built-in one.
  void replace_all(std::vector<user> users);
  /// Changes since start-up; a connection re-reads its user when this moved.
  [[nodiscard]] std::uint64_t generation() const noexcept { return gen_.load(std::memory_order_acquire); }
  /// Redis authRequired: the default user has a password (or is off).
  [[nodiscard]] bool auth_required() const noexcept { return auth_required_.load(std::memory_order_acquire); }
  /// requirepass / CONFIG SET requirepass: resetpass, then >pw (or nopass when empty).
  void set_requirepass(std::string_view pw);

  /// Applies SETUSER rules atomically to `name` (created when missing). Returns the error
  /// reply text ("ERR Error in ACL SETUSER modifier ...") or nullopt.
  /// `pubsub_all`: acl-pubsub-default allchannels.
  [[nodiscard]] std::optional<std::string> setuser(std::string_view name, std::span<const std::string_view> rules,
                                                   bool pubsub_all = false);

  /// Checks `pass` for `name` (Redis ACLCheckUserCredentials): the user, enabled, and nopass
  /// or a matching password hash. Returns the user on success.
  [[nodiscard]] std::shared_ptr<const user> authenticate(std::string_view name, std::string_view pass) const;

  // ---- ACL LOG
  /// Adds or merges (same reason, context, object, user within 60 s) an entry; keeps at
  /// most `max_len` entries, newest first.
  void log(log_entry e, std::int64_t max_len);
  /// Newest first, at most `count` entries.
  [[nodiscard]] std::vector<log_entry> log_entries(std::size_t count) const;
  void log_reset();

  [[nodiscard]] const command::command_table& table() const noexcept { return table_; }

 private:
  void changed_locked();
  const command::command_table& table_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const user>, std::less<>> users_;
  std::atomic<std::uint64_t> gen_{1};
  std::atomic<bool> auth_required_{false};
  mutable std::mutex log_mu_;
  std::deque<log_entry> log_;
};

/// Parses ACL file text (Redis ACLLoadFromFile): "user <name> <rules...>" lines, blank
/// lines skipped. On any error returns nullopt and sets `errors` to Redis's messages
/// ("<file>:<line>: <why>. "); `file` names the source in them.
[[nodiscard]] std::optional<std::vector<user>> parse_acl_file(std::string_view text, std::string_view file,
                                                               const command::command_table& table,
                                                               std::string& errors, bool pubsub_all = false);

// ---- Server glue (acl.cpp; used by the dispatcher, AUTH/HELLO, ACL commands, HTTP)

/// The user `c` runs as, refreshed when the registry changed (null: the user was deleted).
/// Sets up a new client as Redis createClient does (default user; authenticated when it
/// needs no password).
const user* client_user(command::server_state& s, command::client_context& c);

/// The one call the dispatcher makes before running (or queuing) `cmd`: NOAUTH before
/// authentication (except no_auth commands), then the permission check, logging denials in
/// ACL LOG. Returns the error reply text, or nullopt when the command may run.
[[nodiscard]] std::optional<std::string> check_command(command::server_state& s, command::client_context& c,
                                                       const command::command_spec& cmd, command::args_view args);

/// EXEC: checks a queued command again (rules may have changed since it was queued); the
/// error text of Redis 7.0 execCommand ("NOPERM ACLs rules changed between ...") or nullopt.
[[nodiscard]] std::optional<std::string> recheck_queued(command::server_state& s, command::client_context& c,
                                                        const command::command_spec& cmd, command::args_view args);

/// AUTH / HELLO AUTH: authenticates `c` as `name`; on failure logs an "auth" entry with
/// object `cmd_name`. Returns true on success.
bool authenticate_client(command::server_state& s, command::client_context& c, std::string_view name,
                         std::string_view pass, std::string_view cmd_name);

/// Closes every connection authenticated as `name` (DELUSER; "" = every non-default user,
/// ACL LOAD); the calling client `self` closes after its reply.
void kill_clients_of(command::server_state& s, command::client_context& self, std::string_view name);

/// After ACL SETUSER changed `name` (Redis 7.0 ACLKillPubsubClientsIfNeeded): closes every
/// connection of that user subscribed to a channel or shard channel that none of the user's
/// selectors allows now, or to a pattern that is not one of its channel patterns verbatim.
/// The calling client `self` closes after its reply.
void kill_pubsub_clients_if_needed(command::server_state& s, command::client_context& self, std::string_view name);

/// Start-up: `user` directives of the config file, or `aclfile`, then requirepass. Returns
/// an error text (Redis's) that must stop start-up.
[[nodiscard]] std::optional<std::string> load_at_startup(command::server_state& s);

/// ACL LOAD: reads `aclfile`; error reply text or nullopt.
[[nodiscard]] std::optional<std::string> load_file(command::server_state& s, command::client_context& self);
/// ACL SAVE: writes every user to `aclfile` (temp file + rename); error text or nullopt.
[[nodiscard]] std::optional<std::string> save_file(command::server_state& s);

}  // namespace kvd::acl
