// Per-connection state the command layer sees, for RESP and HTTP clients alike
// (Redis's `client` struct, the parts commands use). No networking types.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kvd/pubsub/pubsub.hpp"

namespace kvd::acl {
struct user;
}

namespace kvd::command {

/// Implemented by sessions so that other threads can close them (CLIENT KILL, SHUTDOWN).
/// close() must be thread-safe (sessions post to their own strand).
class client_handle {
 public:
  virtual ~client_handle() = default;  ///< sessions are destroyed by their last pending operation
  /// Asks the connection to close after pending replies are written.
  virtual void close() = 0;
  /// A blocked command of this client was served (its reply is in the waiter): resume.
  /// Thread-safe (sessions post to their own strand). Default: nothing.
  virtual void unblocked() {}
};

struct waiter;
struct command_spec;

/// One command queued inside MULTI: its resolved table row (the subcommand's for CLIENT
/// LIST...) and a copy of its arguments, name first.
struct queued_command {
  const command_spec* cmd = nullptr;
  std::vector<std::string> argv;
};

/// A connected client. Fields are owned by the connection's strand; those that other
/// threads read (CLIENT LIST) are guarded by `info_mu`.
struct client_context {
  std::uint64_t id = 0;
  int db = 0;                ///< selected database (SELECT)
  int resp = 2;              ///< protocol version (HELLO)
  bool close_after_reply = false;  ///< QUIT, protocol errors: close once replies are written
  bool is_http = false;
  bool replaying_aof = false;  ///< the start-up loader: no LOADING refusal, no propagation
  std::uint64_t aof_seq = 0;   ///< AOF sequence of this client's last write (group commit)
  int fd = -1;
  std::int64_t created_ms = 0;      ///< Unix ms when connected
  std::atomic<std::int64_t> last_interaction_ms{0};
  std::string addr = "127.0.0.1:0";  ///< peer "ip:port"
  std::string laddr = "127.0.0.1:0";  ///< local "ip:port"
  std::weak_ptr<client_handle> handle;
  // ---- Transactions (multi.hpp, watch.hpp); owned by the connection's strand unless noted.
  bool in_multi = false;        ///< inside MULTI (and while EXEC runs): blocking commands do not block
  bool multi_error = false;     ///< a command was rejected while queuing: EXEC answers EXECABORT
  bool watching = false;        ///< has WATCHed keys (the registry is asked only then)
  std::vector<queued_command> multi_queue;  ///< commands queued since MULTI
  /// A watched key was modified: EXEC answers null. Set by other threads (watch_registry).
  std::atomic<bool> dirty_cas{false};
  /// Queued commands for CLIENT LIST "multi=" (-1 outside MULTI); read by other threads.
  std::atomic<int> multi_count{-1};
  bool reply_off = false;       ///< CLIENT REPLY OFF: the session drops this client's replies
  bool reply_skip_next = false; ///< CLIENT REPLY SKIP: the session drops the next command's reply
  std::atomic<bool> no_evict{false};  ///< CLIENT NO-EVICT on (flag "e" in CLIENT LIST)
  /// Set by command::block() when the last command blocked; the session takes it (starts
  /// the timeout, stops processing input) and clears it when the client is unblocked.
  std::shared_ptr<waiter> blocked_on;
  /// Where this client's pub/sub messages and MONITOR lines go (its session); empty for
  /// clients that cannot receive them (a plain HTTP request, the AOF loader).
  std::weak_ptr<pubsub::subscriber> subscriber;
  pubsub::client_subscriptions subs;  ///< SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE state, MONITOR flag

  // ---- ACL (acl/acl.hpp). Set up on the first command (acl::client_user); owned by the
  // connection's strand, `user` written under info_mu (CLIENT LIST, DELUSER read it).
  bool acl_ready = false;        ///< user and authenticated are set
  bool authenticated = false;    ///< Redis c->authenticated
  std::uint64_t acl_gen = 0;     ///< acl::registry generation `user` was read at
  std::shared_ptr<const acl::user> user;  ///< null after the user was deleted

  mutable std::mutex info_mu;  ///< guards the fields below, `db` and `resp` for readers elsewhere
  std::string name;            ///< CLIENT SETNAME
  std::string lib_name, lib_ver;  ///< CLIENT SETINFO
  std::string last_command = "NULL";  ///< lower-case full name of the last command ("cmd=")
  std::atomic<std::size_t> query_buffer_bytes{0};   ///< unparsed input ("qbuf")
  std::atomic<std::size_t> output_buffer_bytes{0};  ///< reply bytes being written ("omem")
};

/// The CLIENT INFO / CLIENT LIST line of `c` ("id=... user=... resp=...\n"; Redis 7.0
/// catClientInfoString), as ACL LOG's client-info shows it (connection_family.cpp).
std::string client_info_line(const client_context& c);

}  // namespace kvd::command
