// The HTTP/1.1 front end (RFC 9112) on Boost.Beast: a listener that accepts connections,
// each served by a session on its own strand of the server's io_context. Sessions parse
// requests (header limit, body limit from `http-max-body-size`, read deadline from
// `http-request-timeout`, keep-alive up to `http-max-requests-per-connection`, Expect: 100-continue) and pass them to route_request() (router.hpp).
// With a TLS context (http-tls, http-tls-port) the same sessions serve HTTPS: each
// connection completes a TLS handshake first, then every route (SSE included) runs as over HTTP.
// Lifetimes follow Beast's example/http/server/async/http_server_async.cpp and
// example/advanced/server/advanced_server.cpp: the listener and each session are
// enable_shared_from_this and live while an asynchronous operation holds them.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "kvd/command/dispatcher.hpp"

namespace kvd::net {
class context_holder;
}

namespace kvd::http {

/// Largest request header (request line and fields), bytes; larger gets 431 and a close.
inline constexpr std::size_t header_limit = 64 * 1024;

/// Accepts HTTP connections on one endpoint. Create it with start_http_listener().
class listener : public std::enable_shared_from_this<listener> {
 public:
  /// Opens, binds (SO_REUSEADDR) and listens on `ep`. Throws boost::system::system_error
  /// when any of these fails. `ioc`, `d` and `tls` must outlive the listener and its sessions.
  /// With `tls` the listener serves HTTPS with the holder's current context (client
  /// certificates per http-tls-auth-clients); null serves plain HTTP.
  listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& ep, command::dispatcher& d,
           const net::context_holder* tls = nullptr);

  /// Starts the accept loop.
  void run();
  /// Closes the acceptor: no new connections; requests in flight finish. Thread-safe.
  void stop();
  /// The bound TCP port (the real one when `ep` asked for port 0).
  [[nodiscard]] unsigned short port() const noexcept { return port_; }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;  ///< serializes acceptor_
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;  ///< waits after EMFILE/ENFILE before accepting again
  int accept_failures_ = 0;            ///< accepts failed in a row for lack of descriptors or memory
  command::dispatcher& d_;
  const net::context_holder* tls_;  ///< null: plain HTTP
  unsigned short port_ = 0;
};

/// Binds `ep`, starts accepting; each session runs on its own strand of `ioc` and executes
/// requests through `d`; HTTPS when `tls` is given (see listener). Returns the running
/// listener (keep it to stop() it). Throws boost::system::system_error if opening, binding
/// or listening fails.
std::shared_ptr<listener> start_http_listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& ep,
                                              command::dispatcher& d, const net::context_holder* tls = nullptr);

}  // namespace kvd::http
