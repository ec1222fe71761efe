#include "kvd/http/http_listener.hpp"
#include "kvd/persist/aof.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/serialize.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "kvd/http/json_reply.hpp"
#include "kvd/http/router.hpp"
#include "kvd/net/tls.hpp"
#include "kvd/util/clock.hpp"

namespace kvd::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using protocol::reply;

namespace {

std::string endpoint_string(const tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// How long a closing session keeps reading (and discarding) after it sent a final error
// response, so that unread request bytes do not turn the close into a reset that loses
// the response (RFC 9112 section 9.6).
constexpr std::chrono::seconds linger_timeout{2};

/// One HTTP connection. Owns its stream, buffers and client_context; lives while an
/// asynchronous operation holds a shared_ptr to it. Everything runs on the stream's strand,
/// requests are handled one at a time (a pipelined request waits in buffer_ until the
/// previous response is written).
class session : public std::enable_shared_from_this<session>,
                public command::client_handle,
                public pubsub::subscriber {
 public:
  /// `tls`: a server context for HTTPS, or null for plain HTTP.
  session(tcp::socket&& socket, command::dispatcher& d, std::shared_ptr<net::ssl::context> tls)
      : stream_(beast::tcp_stream(std::move(socket)), std::move(tls)), d_(d) {
    ctx_ = std::make_shared<command::client_context>();
    ctx_->id = d_.server().clients.next_id();
    ctx_->is_http = true;
    ctx_->resp = 3;  // replies are captured as RESP3 trees, then rendered as JSON
    ctx_->created_ms = util::now_ms();
    ctx_->last_interaction_ms = ctx_->created_ms;
    auto& sock = stream_.socket();
    ctx_->fd = static_cast<int>(sock.native_handle());
    error_code ec;
    if (auto ep = sock.remote_endpoint(ec); !ec) ctx_->addr = endpoint_string(ep);
    if (auto ep = sock.local_endpoint(ec); !ec) ctx_->laddr = endpoint_string(ep);
    auto& stats = d_.server().stats;
    stats.total_connections_received.fetch_add(1, std::memory_order_relaxed);
    stats.connected_clients.fetch_add(1, std::memory_order_relaxed);
  }

  ~session() override {
    command::pubsub_reset_client(*ctx_, d_.server());
    d_.server().clients.remove(ctx_->id);
    d_.server().stats.connected_clients.fetch_sub(1, std::memory_order_relaxed);
  }

  /// Starts serving on the session's strand.
  void run() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::on_run, shared_from_this())); }

  /// CLIENT KILL / SHUTDOWN: close once the response being written (if any) is out.
  void close() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->sse_) return self->sse_close();
      self->closing_ = true;
      if (!self->writing_) self->stream_.cancel();  // the pending read ends with operation_aborted
    });
  }

 private:
  void on_run() {
    ctx_->handle = std::weak_ptr<command::client_handle>(shared_from_this());
    d_.server().clients.add(ctx_);
    if (stream_.is_tls()) return do_handshake();
    do_read();
  }

  // HTTPS: the TLS handshake (deadline kvd::net::tls_handshake_timeout), then requests as over HTTP.
  void do_handshake() {
    stream_.set_verify_mode(kvd::net::client_verify_mode(d_.server().config.http_tls_auth_clients.get()));
    stream_.expires_after(kvd::net::tls_handshake_timeout);
    stream_.async_handshake([self = shared_from_this()](error_code ec) {
      if (!ec) return self->do_read();
      self->d_.server().stats.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("http client {} ({}): TLS handshake failed: {}", self->ctx_->id, self->ctx_->addr,
                   ec == beast::error::timeout ? "no handshake within " +
                                                     std::to_string(kvd::net::tls_handshake_timeout.count()) + " s"
                                               : ec.message());
      // The socket closes when the last handler releases the session.
    });
  }

  /// http-request-timeout: how long one read phase (header, then body) or one write may take.
  std::chrono::seconds request_timeout() const {
    return std::chrono::seconds(d_.server().config.http_request_timeout.load(std::memory_order_relaxed));
  }

  void do_read() {
    if (closing_) return do_close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(header_limit));
    auto limit = d_.server().config.http_max_body_size.load(std::memory_order_relaxed);
    parser_->body_limit(limit > 0 ? boost::optional<std::uint64_t>(static_cast<std::uint64_t>(limit)) : boost::none);
    stream_.expires_after(request_timeout());
    bhttp::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(error_code ec, std::size_t n) {
    count_in(n);
    if (ec) return on_read_error(ec);
    auto& req = parser_->get();
    if (!parser_->is_done() && beast::iequals(req[bhttp::field::expect], "100-continue")) {
      // RFC 9110 10.1.1: the client waits for this before it sends the body.
      continue_.emplace(bhttp::status::continue_, req.version());
      writing_ = true;
      stream_.expires_after(request_timeout());
      return bhttp::async_write(stream_, *continue_, [self = shared_from_this()](error_code ec, std::size_t n) {
        self->writing_ = false;
        self->count_out(n);
        if (ec) return self->fail(ec, "write 100-continue");
        self->read_body();
      });
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_request();
    stream_.expires_after(request_timeout());
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(error_code ec, std::size_t n) {
    count_in(n);
    if (ec) return on_read_error(ec);
    on_request();
  }

  void on_read_error(error_code ec) {
    if (ec == bhttp::error::end_of_stream) return do_close();  // closed between requests
    if (ec == beast::error::timeout) {
      // tcp_stream closed the socket already (slow or idle client).
      spdlog::debug("http client {} ({}): request not received within {} s, closed", ctx_->id, ctx_->addr,
                    request_timeout().count());
      return;
    }
    if (ec == bhttp::error::body_limit) {
      auto limit = d_.server().config.http_max_body_size.load(std::memory_order_relaxed);
      spdlog::debug("http client {} ({}): body larger than {} bytes", ctx_->id, ctx_->addr, limit);
      return send_final_error(
          error_response(413, "request body exceeds http-max-body-size (" + std::to_string(limit) + " bytes)",
                         "PAYLOAD_TOO_LARGE"));
    }
    if (ec == bhttp::error::header_limit) {
      spdlog::debug("http client {} ({}): header larger than {} bytes", ctx_->id, ctx_->addr, header_limit);
      return send_final_error(error_response(431, "request header too large", "HEADERS_TOO_LARGE"));
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
        ec != bhttp::error::partial_message) {
      spdlog::debug("http client {} ({}): bad request: {}", ctx_->id, ctx_->addr, ec.message());
      return send_final_error(error_response(400, "malformed HTTP request: " + ec.message(), "BAD_REQUEST"));
    }
    fail(ec, "read");
  }

  void on_request() {
    auto& req = parser_->get();
    ctx_->last_interaction_ms.store(util::now_ms(), std::memory_order_relaxed);
    response out;
    try {
      request in{req.method_string(), req.target(), req[bhttp::field::content_type], req[bhttp::field::accept],
                 req.body(), req[bhttp::field::if_none_match]};
      in.authorization = req[bhttp::field::authorization];
      out = route_request(d_, *ctx_, in);
    } catch (const std::exception& e) {
      spdlog::error("http client {} ({}): {} {}: {}", ctx_->id, ctx_->addr, req.method_string(), req.target(), e.what());
      out = error_response(500, "internal error", "INTERNAL");
    }
    if (out.status >= 500) {
      spdlog::warn("http client {} ({}): {} {} -> {}", ctx_->id, ctx_->addr, req.method_string(), req.target(),
                   out.status);
    } else if (out.status >= 400) {
      spdlog::debug("http client {} ({}): {} {} -> {} {}", ctx_->id, ctx_->addr, req.method_string(), req.target(),
                    out.status, out.body);
    }
    bool keep = req.keep_alive() && !ctx_->close_after_reply && !closing_;
    // http-max-requests-per-connection: the last response says close; what the client
    // pipelined after it is drained unanswered (RFC 9112 9.3.2: it retries elsewhere).
    auto cap = d_.server().config.http_max_requests_per_connection.load(std::memory_order_relaxed);
    bool last = cap > 0 && ++requests_ >= static_cast<std::uint64_t>(cap);
    if (last) keep = false;
    unsigned version = req.version();
    if (out.stream) return start_sse(std::move(*out.stream), version);
    // The AOF promise holds for HTTP too: under appendfsync always the response to a write
    // leaves only after its record is fsynced; under everysec/no after it is written.
    if (auto* aof = d_.server().aof.load(std::memory_order_acquire); aof && ctx_->aof_seq > aof->durable()) {
      if (aof->policy() == persist::fsync_policy::always) {
        auto held = std::make_shared<response>(std::move(out));
        aof->when_durable(ctx_->aof_seq, [self = shared_from_this(), version, keep, last, held] {
          net::post(self->stream_.get_executor(),
                    [self, version, keep, last, held] { self->send(version, keep, std::move(*held), last); });
        });
        return;
      }
      aof->flush();
    }
    send(version, keep, std::move(out), last);
  }

  // ---- Server-Sent Events (GET /v1/subscribe/{channel}, /v1/psubscribe/{pattern}) ----
  // The connection becomes a pub/sub client: SUBSCRIBE / PSUBSCRIBE run through the
  // dispatcher with this session as the receiver, messages arrive via deliver() posted to
  // the strand, and the response body is the event stream (no Content-Length; it ends when
  // the connection closes). client-output-buffer-limit pubsub bounds what a slow reader
  // can make us hold.

 public:
  void deliver(std::shared_ptr<const pubsub::message> m) override {
    net::post(stream_.get_executor(), [self = shared_from_this(), m = std::move(m)] { self->on_sse_message(*m); });
  }

 private:
  void start_sse(sse_subscription sub, unsigned version) {
    ctx_->subscriber = std::weak_ptr<pubsub::subscriber>(shared_from_this());
    std::string_view verb = sub.pattern ? "PSUBSCRIBE" : "SUBSCRIBE";
    reply r = run_command(d_, *ctx_, {verb, sub.name});
    if (r.k == reply::kind::error) {
      command::pubsub_reset_client(*ctx_, d_.server());
      return send(version, false, error_response(400, r.str, error_code_of(r.str)), false);
    }
    sse_ = true;
    sse_sub_ = std::move(sub);
    stream_.expires_never();
    sse_out_ = "HTTP/1.1 200 OK\r\nServer: kvd/" KVD_VERSION
               "\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
               "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n: subscribed\n\n";
    sse_flush();
    // A read that ends when the client goes away (anything it sends is ignored).
    sse_read();
    if (sse_sub_.timeout_s > 0) {
      sse_timer_.emplace(stream_.get_executor());
      sse_timer_->expires_after(std::chrono::seconds(sse_sub_.timeout_s));
      sse_timer_->async_wait([self = shared_from_this()](error_code ec) {
        if (!ec) self->sse_finish();
      });
    }
  }

  void sse_read() {
    stream_.async_read_some(drain_buffer(), [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->sse_close();
      self->sse_read();
    });
  }

  void on_sse_message(const pubsub::message& m) {
    if (!sse_ || sse_closed_ || sse_done_) return;
    if (sse_sub_.raw) {
      // One `data:` line per payload line (SSE: a line break ends a data line).
      std::string_view p = m.payload;
      while (true) {
        auto nl = p.find('\n');
        auto line = p.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        sse_out_ += "data: ";
        sse_out_.append(line);
        sse_out_ += '\n';
        if (nl == std::string_view::npos) break;
        p.remove_prefix(nl + 1);
      }
      sse_out_ += '\n';
    } else {
      boost::json::object o;
      if (m.type == pubsub::message::kind::pmessage) o["pattern"] = bytes_to_json(m.pattern);
      o["channel"] = bytes_to_json(m.channel);
      o["message"] = bytes_to_json(m.payload);
      sse_out_ += "data: ";
      sse_out_ += boost::json::serialize(o);
      sse_out_ += "\n\n";
    }
    if (sse_over_limit()) return;
    if (sse_sub_.count > 0 && ++sse_sent_ >= sse_sub_.count) return sse_finish();
    sse_flush();
  }

  /// client-output-buffer-limit pubsub, as resp_session applies it.
  bool sse_over_limit() {
    std::size_t used = sse_out_.size() + sse_writing_.size();
    ctx_->output_buffer_bytes.store(used, std::memory_order_relaxed);
    auto& lim = d_.server().config.client_output_buffer_limit[static_cast<int>(config::client_class::pubsub)];
    auto hard = lim.hard.load(std::memory_order_relaxed), soft = lim.soft.load(std::memory_order_relaxed);
    auto u = static_cast<std::int64_t>(used);
    bool over = hard > 0 && u >= hard;
    if (soft > 0 && u >= soft) {
      auto now = util::now_ms();
      if (sse_soft_since_ == 0) sse_soft_since_ = now;
      else if (now - sse_soft_since_ > lim.soft_seconds.load(std::memory_order_relaxed) * 1000) over = true;
    } else {
      sse_soft_since_ = 0;
    }
    if (!over) return false;
    spdlog::warn("http client id={} addr={} closed for overcoming of output buffer limits ({} bytes pending, class pubsub).",
                 ctx_->id, ctx_->addr, used);
    sse_out_.clear();
    sse_close();
    return true;
  }

  void sse_flush() {
    if (sse_closed_ || writing_ || sse_out_.empty()) {
      if (!writing_ && sse_done_ && sse_out_.empty()) sse_close();
      return;
    }
    sse_writing_.swap(sse_out_);
    sse_out_.clear();
    writing_ = true;
    net::async_write(stream_, net::buffer(sse_writing_), [self = shared_from_this()](error_code ec, std::size_t n) {
      self->writing_ = false;
      self->count_out(n);
      self->sse_writing_.clear();
      if (ec) return self->sse_close();
      self->sse_flush();
    });
  }

  /// Ends the stream once what is queued is written (?timeout, ?count).
  void sse_finish() {
    sse_done_ = true;
    command::pubsub_reset_client(*ctx_, d_.server());
    sse_flush();
  }

  void sse_close() {
    if (sse_closed_) return;
    sse_closed_ = true;
    command::pubsub_reset_client(*ctx_, d_.server());
    if (sse_timer_) sse_timer_->cancel();
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  // Sends a response to a request that could not be read completely, then closes.
  void send_final_error(response out) {
    unsigned version = 11;
    if (parser_ && parser_->is_header_done()) version = parser_->get().version();
    send(version, false, std::move(out), true);
  }

  void send(unsigned version, bool keep_alive, response out, bool linger) {
    res_ = {};
    res_.version(version);
    res_.result(out.status);
    res_.set(bhttp::field::server, "kvd/" KVD_VERSION);
    if (!out.content_type.empty()) res_.set(bhttp::field::content_type, out.content_type);
    if (!out.allow.empty()) res_.set(bhttp::field::allow, out.allow);
    for (auto& [name, value] : out.headers) res_.set(name, value);
    res_.body() = std::move(out.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    writing_ = true;
    stream_.expires_after(request_timeout());
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&session::on_write, shared_from_this(), keep_alive, linger));
  }

  void on_write(bool keep_alive, bool linger, error_code ec, std::size_t n) {
    writing_ = false;
    count_out(n);
    res_ = {};  // free the body now, not at the next response
    if (ec) return fail(ec, "write");
    if (linger) return do_linger();
    if (!keep_alive || closing_) return do_close();
    do_read();
  }

  // Half-closes and discards what the client still sends until it closes or linger_timeout.
  /// Where bytes the session ignores are read to (SSE, linger): made on first use, so an
  /// idle keep-alive connection does not carry it.
  net::mutable_buffer drain_buffer() {
    if (!drain_) drain_ = std::make_unique_for_overwrite<char[]>(drain_size);
    return net::buffer(drain_.get(), drain_size);
  }

  void do_linger() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    buffer_.clear();
    stream_.expires_after(linger_timeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(drain_buffer(), [self = shared_from_this()](error_code ec, std::size_t) {
      if (!ec) self->drain();
    });
  }

  void do_close() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    // The socket closes when the last handler releases the session.
  }

  void fail(error_code ec, const char* what) {
    if (ec == net::error::operation_aborted || ec == net::error::eof || ec == bhttp::error::end_of_stream) return;
    spdlog::debug("http client {} ({}): {}: {}", ctx_->id, ctx_->addr, what, ec.message());
  }

  void count_in(std::size_t n) {
    d_.server().stats.total_net_input_bytes.fetch_add(n, std::memory_order_relaxed);
  }
  void count_out(std::size_t n) {
    d_.server().stats.total_net_output_bytes.fetch_add(n, std::memory_order_relaxed);
  }

  kvd::net::maybe_tls_stream<beast::tcp_stream> stream_;  ///< plain HTTP or HTTPS
  beast::flat_buffer buffer_;
  command::dispatcher& d_;
  std::shared_ptr<command::client_context> ctx_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;  ///< one per request
  std::optional<bhttp::response<bhttp::empty_body>> continue_;       ///< 100 Continue in flight
  bhttp::response<bhttp::string_body> res_;                          ///< the response in flight
  static constexpr std::size_t drain_size = 16 * 1024;
  std::unique_ptr<char[]> drain_;  ///< see drain_buffer()
  std::uint64_t requests_ = 0;  ///< requests answered (http-max-requests-per-connection)
  bool writing_ = false;
  bool closing_ = false;  ///< close() was called: finish the current response, then close
  // SSE stream state (start_sse).
  bool sse_ = false, sse_done_ = false, sse_closed_ = false;
  sse_subscription sse_sub_;
  std::string sse_out_, sse_writing_;
  std::int64_t sse_soft_since_ = 0, sse_sent_ = 0;
  std::optional<net::steady_timer> sse_timer_;
};

}  // namespace

listener::listener(net::io_context& ioc, const tcp::endpoint& ep, command::dispatcher& d, const kvd::net::context_holder* tls)
    : ioc_(ioc), strand_(net::make_strand(ioc)), acceptor_(strand_), backoff_(strand_), d_(d), tls_(tls) {
  acceptor_.open(ep.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void listener::run() { net::dispatch(strand_, beast::bind_front_handler(&listener::do_accept, shared_from_this())); }

void listener::stop() {
  net::dispatch(strand_, [self = shared_from_this()] {
    error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void listener::do_accept() {
  if (!acceptor_.is_open()) return;
  // Each connection gets its own strand (DESIGN.md: strand per connection).
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
  if (ec) {
    if (ec == net::error::no_descriptors || ec == std::errc::too_many_files_open_in_system ||
        ec == net::error::no_buffer_space || ec == net::error::no_memory) {
      // Out of descriptors or memory: accepting again at once would spin. New clients wait
      // in the listen backlog; one line per streak, not one per retry.
      if (accept_failures_++ == 0) spdlog::warn("http accept: {}; retrying every 100 ms", ec.message());
      backoff_.expires_after(std::chrono::milliseconds(100));
      backoff_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec) self->do_accept();
      });
      return;
    }
    spdlog::warn("http accept: {}", ec.message());
    return do_accept();
  }
  if (accept_failures_ > 0) {
    spdlog::warn("http: accepting connections again after {} failed attempts", accept_failures_);
    accept_failures_ = 0;
  }
  auto& st = d_.server();
  if (st.stats.connected_clients.load() >= st.config.maxclients.load()) {
    // Over `maxclients` (shared with RESP): answer 503 and close. The reply fits in the new
    // socket's empty send buffer, so a non-blocking write sends it whole or fails harmlessly.
    st.stats.rejected_connections.fetch_add(1, std::memory_order_relaxed);
    error_code wec;
    if (tls_) {  // HTTPS: no answer before a handshake; the client sees the connection close
      socket.close(wec);
      return do_accept();
    }
    static const std::string body = R"({"error":"max number of clients reached","code":"MAXCLIENTS"})";
    static const std::string reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                     "Content-Length: " + std::to_string(body.size()) +
                                     "\r\nConnection: close\r\n\r\n" + body;
    socket.non_blocking(true, wec);
    socket.write_some(net::buffer(reply), wec);
    socket.shutdown(tcp::socket::shutdown_both, wec);
    socket.close(wec);
    return do_accept();
  }
  std::make_shared<session>(std::move(socket), d_, tls_ ? tls_->get() : nullptr)->run();
  do_accept();
}

std::shared_ptr<listener> start_http_listener(net::io_context& ioc, const tcp::endpoint& ep, command::dispatcher& d,
                                              const kvd::net::context_holder* tls) {
  auto l = std::make_shared<listener>(ioc, ep, d, tls);
  l->run();
  spdlog::info("{} listening on {}", tls ? "HTTPS" : "HTTP", endpoint_string(tcp::endpoint(ep.address(), l->port())));
  return l;
}

}  // namespace kvd::http
