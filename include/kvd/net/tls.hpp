// TLS for the RESP and HTTP listeners through Asio's OpenSSL support, with Redis 7.0's
// tls-* options and semantics (redis src/tls.c): the server context built from the options,
// a holder that CONFIG SET swaps when a tls-* file is reloaded, and maybe_tls_stream, the
// byte stream a session owns, plain or TLS, so one session implementation serves both.
// Included only by network .cpp files (the Asio SSL headers are in the network PCH).
#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "kvd/config/config.hpp"

namespace kvd::net {

/// Longest time a client may take to complete the TLS handshake; then the connection closes.
inline constexpr std::chrono::seconds tls_handshake_timeout{10};

/// True when some listener serves TLS (tls-port, http-tls or http-tls-port set), i.e. when
/// the tls-* files must be loaded at start-up and reloaded by CONFIG SET.
bool tls_enabled(const config::server_config& cfg);

/// Builds the server context from the tls-* options, as Redis's tlsConfigure: certificate
/// chain (tls-cert-file), private key (tls-key-file, decrypted with tls-key-file-pass), CA
/// (tls-ca-cert-file / tls-ca-cert-dir, required when tls-port is set and tls-auth-clients
/// is not no, or HTTPS is on and http-tls-auth-clients is not no), DH parameters (tls-dh-params-file, else automatic),
/// tls-protocols (default "TLSv1.2 TLSv1.3"), tls-ciphers, tls-ciphersuites,
/// tls-prefer-server-ciphers and tls-session-caching / -cache-size / -cache-timeout.
/// Throws std::runtime_error whose message names the option and the file (or value) at fault
/// and OpenSSL's reason.
std::shared_ptr<boost::asio::ssl::context> make_server_context(const config::server_config& cfg);

/// The peer verification mode for a tls-auth-clients value: "yes" requires a client
/// certificate signed by the CA (verify_peer | verify_fail_if_no_peer_cert), "optional"
/// verifies one when the client sends it (verify_peer), "no" asks for none (verify_none).
boost::asio::ssl::verify_mode client_verify_mode(std::string_view auth_clients);

/// The context new TLS connections use. Thread-safe; a connection keeps the context it
/// started with, so CONFIG SET replacing it affects only later connections (as Redis).
class context_holder {
 public:
  /// The current context (null before set()).
  [[nodiscard]] std::shared_ptr<boost::asio::ssl::context> get() const {
    std::lock_guard lk(mu_);
    return ctx_;
  }
  /// Replaces the current context.
  void set(std::shared_ptr<boost::asio::ssl::context> ctx) {
    std::lock_guard lk(mu_);
    ctx_ = std::move(ctx);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
};

/// Server-side TLS run by OpenSSL directly on the socket's descriptor (as Redis's tls.c), for
/// RESP connections, which are many and mostly idle: a connection holds only OpenSSL's state,
/// whose record buffers are released while idle (SSL_MODE_RELEASE_BUFFERS), where
/// asio::ssl::stream keeps about 68 KB of fixed buffers per connection. Operations call
/// SSL_read / SSL_write / SSL_do_handshake on the non-blocking descriptor and wait for
/// readiness with socket.async_wait when OpenSSL wants to read or write. One read and one
/// write may be outstanding at a time, both from the connection's strand. The process must
/// ignore SIGPIPE (server::run does): OpenSSL writes to the descriptor itself.
class fd_tls_stream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;

  /// Binds a new SSL of `ctx` (server side) to `socket`'s descriptor, made non-blocking.
  /// Throws boost::system::system_error if OpenSSL cannot allocate it.
  fd_tls_stream(boost::asio::ip::tcp::socket& socket, boost::asio::ssl::context& ctx);
  ~fd_tls_stream();
  fd_tls_stream(const fd_tls_stream&) = delete;
  fd_tls_stream& operator=(const fd_tls_stream&) = delete;

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  /// Peer verification for this connection (client_verify_mode()).
  void set_verify_mode(boost::asio::ssl::verify_mode m);
  /// Before closing (as Redis's connTLSClose): sends close_notify when the handshake is done
  /// and the alert can be written at once; never waits, never reads. No-op on a closed socket.
  void close_notify();

  /// The server-side handshake; `h(error_code)`.
  template <class Handler>
  void async_handshake(boost::asio::ssl::stream_base::handshake_type, Handler&& h) {
    start<false>([this](std::size_t&) { return SSL_do_handshake(ssl_); }, std::forward<Handler>(h));
  }
  /// Reads decrypted bytes into the first buffer of `buffers`; `h(error_code, bytes)`.
  template <class MutableBufferSequence, class Handler>
  void async_read_some(const MutableBufferSequence& buffers, Handler&& h) {
    boost::asio::mutable_buffer b = *boost::asio::buffer_sequence_begin(buffers);
    start<true>([this, b](std::size_t& n) { return SSL_read_ex(ssl_, b.data(), b.size(), &n); },
                std::forward<Handler>(h));
  }
  /// Encrypts and sends (part of) the first buffer of `buffers`; `h(error_code, bytes)`.
  template <class ConstBufferSequence, class Handler>
  void async_write_some(const ConstBufferSequence& buffers, Handler&& h) {
    boost::asio::const_buffer b = *boost::asio::buffer_sequence_begin(buffers);
    start<true>([this, b](std::size_t& n) { return SSL_write_ex(ssl_, b.data(), b.size(), &n); },
                std::forward<Handler>(h));
  }

 private:
  /// The error for a failed OpenSSL call `r` (SSL_get_error), clearing OpenSSL's queue.
  boost::system::error_code error_for(int ret);

  /// One OpenSSL call retried after each readiness wait until it completes; `step(n)`
  /// returns OpenSSL's result (1 = done, with n bytes for read/write). Never completes
  /// inside the initiating call (the result is posted instead).
  template <bool WithSize, class Step, class Handler>
  void start(Step step, Handler&& h) {
    using sig = std::conditional_t<WithSize, void(boost::system::error_code, std::size_t),
                                   void(boost::system::error_code)>;
    boost::asio::async_compose<Handler, sig>(
        [this, step, first = true, done = false, result = boost::system::error_code(), n = std::size_t(0)](
            auto& self, boost::system::error_code ec = {}) mutable {
          auto finish = [&](boost::system::error_code e) {
            if constexpr (WithSize) self.complete(e, e ? 0 : n);
            else self.complete(e);
          };
          if (done) return finish(result);
          // Never touch the descriptor once the socket is closed: its number may already
          // belong to another connection.
          if (!ec && !socket_.is_open()) ec = boost::asio::error::operation_aborted;
          if (!ec) {
            ERR_clear_error();
            int ret = step(n);
            if (ret != 1) {
              int err = SSL_get_error(ssl_, ret);
              if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                first = false;
                return socket_.async_wait(err == SSL_ERROR_WANT_READ ? boost::asio::socket_base::wait_read
                                                                     : boost::asio::socket_base::wait_write,
                                          std::move(self));
              }
              ec = error_for(err);
            }
          }
          if (!first) return finish(ec);
          done = true;
          result = ec;
          boost::asio::post(socket_.get_executor(), std::move(self));
        },
        h, socket_);
  }

  boost::asio::ip::tcp::socket& socket_;
  SSL* ssl_ = nullptr;
};

/// A connection's byte stream: `Next` (boost::asio::ip::tcp::socket for RESP,
/// boost::beast::tcp_stream for HTTP), plain or wrapped in server-side TLS by `Tls`
/// (asio::ssl::stream over `Next`, or fd_tls_stream for RESP), constructed as
/// Tls(next_layer, context). It models
/// Asio's AsyncReadStream and AsyncWriteStream, so asio::async_write and Beast's
/// http::async_read/async_write run on it unchanged; the choice is one branch per operation.
/// Not movable (the TLS layer refers to `next_`). Used from the session's strand only.
template <class Next, class Tls = boost::asio::ssl::stream<Next&>>
class maybe_tls_stream {
 public:
  using executor_type = typename Next::executor_type;
  using next_layer_type = Next;
  using tls_stream_type = Tls;

  /// Plain over `next` when `ctx` is null; else TLS (server side) with `ctx`, whose
  /// handshake the session starts with async_handshake().
  maybe_tls_stream(Next&& next, std::shared_ptr<boost::asio::ssl::context> ctx)
      : next_(std::move(next)), ctx_(std::move(ctx)) {
    if (ctx_) tls_ = std::make_unique<tls_stream_type>(next_, *ctx_);
  }
  maybe_tls_stream(const maybe_tls_stream&) = delete;
  maybe_tls_stream& operator=(const maybe_tls_stream&) = delete;

  executor_type get_executor() noexcept { return next_.get_executor(); }
  /// The wrapped stream (for a tcp_stream: timeouts, cancel).
  Next& next_layer() noexcept { return next_; }
  /// The TCP socket underneath (endpoints, shutdown, close, native_handle).
  auto& socket() noexcept {
    if constexpr (requires { next_.socket(); }) return next_.socket();
    else return next_;
  }
  /// True for a TLS connection.
  [[nodiscard]] bool is_tls() const noexcept { return tls_ != nullptr; }

  // For a beast::tcp_stream: its timeouts and cancel().
  void expires_after(std::chrono::steady_clock::duration d) { next_.expires_after(d); }
  void expires_never() { next_.expires_never(); }
  void cancel() { next_.cancel(); }

  /// Before closing the socket: a TLS layer that can send close_notify without waiting does
  /// (fd_tls_stream); otherwise nothing.
  void close_notify() {
    if constexpr (requires(Tls& t) { t.close_notify(); })
      if (tls_) tls_->close_notify();
  }

  /// TLS only: sets the peer verification mode of this connection (client_verify_mode()).
  void set_verify_mode(boost::asio::ssl::verify_mode m) { tls_->set_verify_mode(m); }
  /// TLS only: the server-side handshake; `h(error_code)`.
  template <class Handler>
  void async_handshake(Handler&& h) {
    tls_->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(h));
  }

  /// AsyncReadStream: `h(error_code, bytes)`.
  template <class MutableBufferSequence, class Handler>
  void async_read_some(const MutableBufferSequence& buffers, Handler&& h) {
    if (tls_) tls_->async_read_some(buffers, std::forward<Handler>(h));
    else next_.async_read_some(buffers, std::forward<Handler>(h));
  }
  /// AsyncWriteStream: `h(error_code, bytes)`.
  template <class ConstBufferSequence, class Handler>
  void async_write_some(const ConstBufferSequence& buffers, Handler&& h) {
    if (tls_) tls_->async_write_some(buffers, std::forward<Handler>(h));
    else next_.async_write_some(buffers, std::forward<Handler>(h));
  }

 private:
  Next next_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;  ///< kept alive while the connection uses it
  std::unique_ptr<tls_stream_type> tls_;            ///< null for a plain connection
};

}  // namespace kvd::net
