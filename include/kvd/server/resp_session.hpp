// One RESP connection: reads into a growable buffer, parses every complete command in it
// (RESP2/RESP3 multibulk or inline), executes them through the dispatcher on the
// connection's strand, and sends all their replies in one write (pipelining).
// Lifetime: shared_ptr held by pending async operations only (Beast example style).
// The same session serves plain and TLS connections (tls-port): its stream is a
// net::maybe_tls_stream, and a TLS connection first completes its handshake.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <optional>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "kvd/command/dispatcher.hpp"
#include "kvd/net/tls.hpp"
#include "kvd/protocol/resp_parser.hpp"
#include "kvd/protocol/resp_writer.hpp"

namespace kvd::server {

class resp_session final : public command::client_handle,
                           public pubsub::subscriber,
                           public std::enable_shared_from_this<resp_session> {
 public:
  /// Takes the accepted socket (its executor must be a strand). With `tls` (a server
  /// context, tls-port) the connection speaks TLS: start() and refuse() first run the
  /// handshake (deadline net::tls_handshake_timeout; a failure closes this connection only,
  /// logged and counted in stats.tls_handshake_failures), peer verification per
  /// tls-auth-clients.
  resp_session(boost::asio::ip::tcp::socket socket, command::dispatcher& disp,
               std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~resp_session() override;

  /// Registers the client and starts reading.
  void start();
  /// Thread-safe: closes the connection once queued replies are written.
  void close() override;
  /// Thread-safe: the command this client is blocked on was served; resume on the strand.
  void unblocked() override;
  /// Sends `reply_bytes` and closes (used to refuse a client, e.g. maxclients).
  void refuse(std::string reply_bytes);
  /// Thread-safe: queues a pub/sub message or MONITOR line; always posts to the strand
  /// (holding this session), where it is rendered (RESP2 array / RESP3 push) and sent.
  void deliver(std::shared_ptr<const pubsub::message> m) override;

 private:
  /// Runs `next` at once for a plain connection; for TLS after a successful handshake.
  template <class Next>
  void with_handshake(Next next);
  /// start() after the handshake: registers the client (CLIENT LIST, connected_clients),
  /// applies protected mode, starts reading.
  void begin();
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void process_input();
  void do_write();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void shutdown_socket();
  void on_message(const pubsub::message& m);
  /// Redis checkClientOutputBufferLimits: closes the connection (dropping pending output)
  /// when the pending reply bytes pass client-output-buffer-limit for the client's class
  /// (pubsub while subscribed, else normal). Returns true when it closed.
  bool check_output_limit();
  /// True (and a callback registered) while this client's last write is not yet durable
  /// under appendfsync always; its replies wait.
  bool hold_for_fsync();
  void resume_after_fsync();
  /// The last command blocked (client_->blocked_on is set): stop running input, start the timeout.
  void enter_blocked();
  void on_block_timeout(const boost::system::error_code& ec);
  /// Leaves the blocked state and goes on with queued input and replies.
  void finish_blocked();
  /// Drops this client's waiter (disconnect, kill): no waiter is left behind.
  void cancel_block();

  net::maybe_tls_stream<boost::asio::ip::tcp::socket, net::fd_tls_stream> stream_;
  command::dispatcher& disp_;
  std::shared_ptr<command::client_context> client_;
  protocol::resp_parser parser_;
  /// Makes room for `want` more bytes after the unparsed input (compacting, then growing).
  void reserve_input(std::size_t want);

  std::unique_ptr<char[]> in_;  ///< read buffer: [in_begin_, in_end_) is unparsed input
  std::size_t in_cap_ = 0, in_begin_ = 0, in_end_ = 0;
  std::vector<std::string_view> args_;
  std::string out_, writing_;
  protocol::resp_writer writer_;
  bool write_in_flight_ = false;
  bool read_in_flight_ = false;
  bool closing_ = false;
  bool waiting_fsync_ = false;
  bool blocked_ = false;  ///< a blocking command waits; input is read but not run
  std::int64_t soft_limit_since_ms_ = 0;  ///< when output went over the soft limit (0 = under)
  bool skip_reply_ = false;  ///< CLIENT REPLY SKIP was the last command: drop the next reply
  /// BLPOP... timeout and CLIENT PAUSE polling; before that, the TLS handshake deadline.
  boost::asio::steady_timer block_timer_;
  /// Re-checks the soft output limit once its seconds passed, for a client that stopped
  /// reading and sends nothing more (Redis's clientsCron does the same). Made on first use.
  std::optional<boost::asio::steady_timer> output_limit_timer_;
};

}  // namespace kvd::server
