#include "kvd/server/resp_session.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "kvd/util/clock.hpp"

namespace kvd::server {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t keep_buffer = 1024 * 1024;  // shrink buffers above this after use

constexpr std::string_view protected_mode_error =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set "
    "for the default user. In this mode connections are only accepted from the loopback interface. If you "
    "want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just "
    "disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by "
    "connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly "
    "accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis configuration file, and setting the "
    "protected mode option to 'no', and then restarting the server. 3) If you started the server manually just "
    "for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for "
    "the default user. NOTE: You only need to do one of the above things in order for the server to start "
    "accepting connections from the outside.\r\n";

std::string endpoint_text(const asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}
}  // namespace

resp_session::resp_session(asio::ip::tcp::socket socket, command::dispatcher& disp, std::shared_ptr<asio::ssl::context> tls)
    : stream_(std::move(socket), std::move(tls)), disp_(disp), writer_(&out_, 2), block_timer_(stream_.get_executor()) {}

resp_session::~resp_session() {
  if (client_) {
    command::pubsub_reset_client(*client_, disp_.server());
    if (client_->blocked_on) disp_.server().blocking.cancel(client_->blocked_on);
    disp_.server().watches.unwatch_all(*client_);  // the registry holds a pointer to it
    disp_.server().clients.remove(client_->id);
    disp_.server().stats.connected_clients.fetch_sub(1, std::memory_order_relaxed);
  }
}

template <class Next>
void resp_session::with_handshake(Next next) {
  if (!stream_.is_tls()) return next();
  // On the strand: the deadline timer and the handshake complete there.
  asio::dispatch(stream_.get_executor(), [self = shared_from_this(), next = std::move(next)]() mutable {
    auto& st = self->disp_.server();
    self->stream_.set_verify_mode(net::client_verify_mode(st.config.tls_auth_clients.get()));
    // block_timer_ is free until the client runs commands: it bounds the handshake.
    self->block_timer_.expires_after(net::tls_handshake_timeout);
    self->block_timer_.async_wait([self](const error_code& ec) {
      if (ec) return;
      error_code ignored;
      self->stream_.socket().close(ignored);  // the handshake ends with operation_aborted
    });
    error_code e;
    std::string addr = "?";
    if (auto ep = self->stream_.socket().remote_endpoint(e); !e) addr = endpoint_text(ep);
    self->stream_.async_handshake([self, next = std::move(next), addr](const error_code& ec) mutable {
      bool timed_out = self->block_timer_.cancel() == 0;
      if (!ec) return next();
      // Redis: "Error accepting a client connection: <reason>" (this connection only).
      self->disp_.server().stats.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("Error accepting a client connection: TLS handshake: {} (addr={})",
                   timed_out ? "no handshake within " + std::to_string(net::tls_handshake_timeout.count()) + " s"
                             : ec.message(),
                   addr);
      self->closing_ = true;
      self->shutdown_socket();
    });
  });
}

void resp_session::start() {
  with_handshake([self = shared_from_this()] { self->begin(); });
}

void resp_session::begin() {
  auto& st = disp_.server();
  client_ = std::make_shared<command::client_context>();
  client_->id = st.clients.next_id();
  client_->created_ms = util::now_ms();
  client_->last_interaction_ms = client_->created_ms;
  client_->fd = stream_.socket().native_handle();
  error_code ec;
  if (auto ep = stream_.socket().remote_endpoint(ec); !ec) client_->addr = endpoint_text(ep);
  if (auto ep = stream_.socket().local_endpoint(ec); !ec) client_->laddr = endpoint_text(ep);
  client_->handle = weak_from_this();
  client_->subscriber = weak_from_this();
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  parser_.set_limits({st.config.proto_max_bulk_len.load(), INT_MAX, 64 * 1024});  // Redis: multibulk length up to INT_MAX
  // Redis createClient: the default user, authenticated when it needs no password. Redis 7.0
  // protected mode: while the default user has no password, only clients from 127.0.0.1 and
  // ::1 are served (networking.c clientAcceptHandler).
  const acl::user* user = acl::client_user(st, *client_);
  if (st.config.protected_mode.load() && user && user->nopass) {
    auto ep = stream_.socket().remote_endpoint(ec);
    auto a = ep.address();
    bool loopback = !ec && (a == asio::ip::make_address("127.0.0.1") || a == asio::ip::make_address("::1"));
    if (!loopback) {
      spdlog::warn("refused client {}: protected mode", client_->addr);
      client_.reset();
      return refuse(std::string(protected_mode_error));
    }
  }
  st.clients.add(client_);
  st.stats.connected_clients.fetch_add(1, std::memory_order_relaxed);
  st.stats.total_connections_received.fetch_add(1, std::memory_order_relaxed);
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void resp_session::refuse(std::string reply_bytes) {
  out_ = std::move(reply_bytes);
  closing_ = true;
  with_handshake([self = shared_from_this()] {
    asio::dispatch(self->stream_.get_executor(), [self] { self->do_write(); });
  });
}

void resp_session::deliver(std::shared_ptr<const pubsub::message> m) {
  asio::post(stream_.get_executor(), [self = shared_from_this(), m = std::move(m)] { self->on_message(*m); });
}

void resp_session::on_message(const pubsub::message& m) {
  if (closing_ || !stream_.socket().is_open()) return;
  writer_.set_protocol(client_->resp);
  using k = pubsub::message::kind;
  switch (m.type) {
    case k::message:
    case k::smessage:
      writer_.push(3);
      writer_.bulk(m.type == k::message ? "message" : "smessage");
      writer_.bulk(m.channel);
      writer_.bulk(m.payload);
      break;
    case k::pmessage:
      writer_.push(4);
      writer_.bulk("pmessage");
      writer_.bulk(m.pattern);
      writer_.bulk(m.channel);
      writer_.bulk(m.payload);
      break;
    case k::monitor:
      writer_.simple(m.payload);
      break;
  }
  if (check_output_limit()) return;
  if (!write_in_flight_ && !waiting_fsync_) do_write();
}

bool resp_session::check_output_limit() {
  std::size_t used = out_.size() + writing_.size();
  client_->output_buffer_bytes.store(used, std::memory_order_relaxed);
  auto& st = disp_.server();
  auto cls = client_->subs.pubsub_mode ? config::client_class::pubsub : config::client_class::normal;
  auto& lim = st.config.client_output_buffer_limit[static_cast<int>(cls)];
  auto hard = lim.hard.load(std::memory_order_relaxed), soft = lim.soft.load(std::memory_order_relaxed);
  auto u = static_cast<std::int64_t>(used);
  bool over = hard > 0 && u >= hard;
  if (soft > 0 && u >= soft) {
    std::int64_t now = util::now_ms();
    std::int64_t seconds = lim.soft_seconds.load(std::memory_order_relaxed);
    if (soft_limit_since_ms_ == 0) {
      soft_limit_since_ms_ = now;
      // Nothing else may happen on this connection (a client that stopped reading): look
      // again when the soft limit's time is up.
      if (!output_limit_timer_) output_limit_timer_.emplace(stream_.get_executor());
      output_limit_timer_->expires_after(std::chrono::milliseconds(seconds * 1000 + 10));
      output_limit_timer_->async_wait([self = shared_from_this()](const error_code& ec) {
        if (!ec && !self->closing_ && self->soft_limit_since_ms_ != 0) self->check_output_limit();
      });
    } else if (now - soft_limit_since_ms_ > seconds * 1000) {
      over = true;
    }
  } else {
    soft_limit_since_ms_ = 0;
  }
  if (!over) return false;
  spdlog::warn("Client id={} addr={} closed for overcoming of output buffer limits ({} bytes pending, class {}).",
               client_->id, client_->addr, used, cls == config::client_class::pubsub ? "pubsub" : "normal");
  closing_ = true;
  out_.clear();
  out_.shrink_to_fit();
  client_->output_buffer_bytes.store(0, std::memory_order_relaxed);
  shutdown_socket();  // an async_write in flight ends with operation_aborted
  return true;
}

void resp_session::close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    self->cancel_block();
    if (!self->write_in_flight_) self->shutdown_socket();
  });
}

void resp_session::unblocked() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->blocked_ || !self->client_->blocked_on) return;
    auto& w = *self->client_->blocked_on;
    self->out_ += w.reply;
    self->client_->aof_seq = std::max(self->client_->aof_seq, w.aof_seq);
    self->finish_blocked();
  });
}

void resp_session::enter_blocked() {
  blocked_ = true;
  auto ms = client_->blocked_on->timeout_ms;
  if (ms > 0) {
    block_timer_.expires_after(std::chrono::milliseconds(ms));
    block_timer_.async_wait([self = shared_from_this()](const error_code& ec) { self->on_block_timeout(ec); });
  }
}

void resp_session::on_block_timeout(const error_code& ec) {
  if (ec || !blocked_ || !client_->blocked_on) return;
  // Served meanwhile (cancel fails): unblocked() is on its way with the reply.
  if (!disp_.server().blocking.cancel(client_->blocked_on)) return;
  writer_.set_protocol(client_->resp);
  if (client_->blocked_on->on_timeout == command::block_timeout_reply::null_array) writer_.null_array();
  else writer_.null();
  finish_blocked();
}

void resp_session::finish_blocked() {
  blocked_ = false;
  client_->blocked_on.reset();
  block_timer_.cancel();
  if (!stream_.socket().is_open()) return;
  process_input();
}

void resp_session::cancel_block() {
  if (!blocked_ || !client_ || !client_->blocked_on) return;
  disp_.server().blocking.cancel(client_->blocked_on);
  client_->blocked_on.reset();
  blocked_ = false;
  block_timer_.cancel();
}

void resp_session::shutdown_socket() {
  cancel_block();
  if (output_limit_timer_) output_limit_timer_->cancel();  // releases the session at once
  // Stop receiving messages now, not when the last queued delivery lets the session go.
  if (client_) command::pubsub_reset_client(*client_, disp_.server());
  error_code ec;
  stream_.close_notify();  // TLS: tell the client the stream ends here (no-op when plain)
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

void resp_session::reserve_input(std::size_t want) {
  // Compact first; grow only when the unparsed bytes plus `want` do not fit. The new block is
  // not zero-filled, so memory is committed only as bytes arrive.
  std::size_t unparsed = in_end_ - in_begin_;
  if (in_cap_ - in_end_ >= want) return;
  if (in_begin_ > 0) {
    std::memmove(in_.get(), in_.get() + in_begin_, unparsed);
    in_end_ = unparsed;
    in_begin_ = 0;
    if (in_cap_ - in_end_ >= want) return;
  }
  std::size_t cap = unparsed + want;
  auto grown = std::make_unique_for_overwrite<char[]>(cap);
  if (unparsed) std::memcpy(grown.get(), in_.get(), unparsed);
  in_ = std::move(grown);
  in_cap_ = cap;
}

void resp_session::do_read() {
  if (closing_ || read_in_flight_ || !stream_.socket().is_open()) return;
  // A large bulk argument is read into place, but the buffer only grows geometrically with
  // the bytes received: an announced length alone (`$536870000`) commits nothing.
  std::size_t unparsed = in_end_ - in_begin_;
  std::size_t pending = parser_.pending_bulk_bytes(unparsed);
  std::size_t want = std::max(read_chunk, std::min(pending, unparsed));
  reserve_input(want);
  read_in_flight_ = true;
  stream_.async_read_some(asio::buffer(in_.get() + in_end_, in_cap_ - in_end_),
                          [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

void resp_session::on_read(const error_code& ec, std::size_t n) {
  read_in_flight_ = false;
  if (ec) {
    if (ec != asio::error::eof && ec != asio::error::operation_aborted && ec != asio::error::connection_reset)
      spdlog::debug("client {} read: {}", client_->addr, ec.message());
    return shutdown_socket();
  }
  if (closing_) return;
  in_end_ += n;
  auto& st = disp_.server();
  st.stats.total_net_input_bytes.fetch_add(n, std::memory_order_relaxed);
  client_->last_interaction_ms.store(util::now_ms(), std::memory_order_relaxed);
  process_input();
}

void resp_session::process_input() {
  auto& st = disp_.server();
  // CONFIG SET proto-max-bulk-len applies to connections already open, as in Redis.
  parser_.set_limits({st.config.proto_max_bulk_len.load(std::memory_order_relaxed), INT_MAX, 64 * 1024});  // Redis: multibulk length up to INT_MAX
  while (!closing_ && !blocked_) {
    std::size_t consumed = 0;
    auto status = parser_.parse(in_.get() + in_begin_, in_end_ - in_begin_, args_, consumed);
    if (status == protocol::parse_status::incomplete) break;
    if (status == protocol::parse_status::error) {
      // Redis replies "-ERR Protocol error: ..." and closes this connection only.
      writer_.error("ERR " + parser_.error());
      spdlog::debug("client {} protocol error: {}", client_->addr, parser_.error());
      st.stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
      closing_ = true;
      break;
    }
    if (status == protocol::parse_status::complete) {
      if (auto ms = command::pause_wait_ms(st, args_)) {  // CLIENT PAUSE: the command waits unparsed
        block_timer_.expires_after(std::chrono::milliseconds(std::min<std::int64_t>(ms, 10)));
        block_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
          if (!ec && !self->blocked_) self->process_input();
        });
        break;
      }
    }
    in_begin_ += consumed;
    if (status == protocol::parse_status::empty) continue;
    writer_.set_protocol(client_->resp);
    std::size_t reply_mark = out_.size();
    bool skip_this = skip_reply_;
    disp_.execute(*client_, args_, writer_);
    // CLIENT REPLY OFF|SKIP: drop this command's reply (networking.c CLIENT_REPLY_SKIP).
    if (skip_this || client_->reply_off || client_->reply_skip_next) out_.resize(reply_mark);
    skip_reply_ = client_->reply_skip_next;
    client_->reply_skip_next = false;
    // Large pending output is checked after every command, so pipelined commands past the
    // hard limit build no more replies (Redis checks on every reply it adds).
    if (out_.size() >= read_chunk && check_output_limit()) return;
    if (client_->close_after_reply) closing_ = true;
    if (client_->blocked_on) enter_blocked();
  }
  // A read may be in flight into [in_end_, in_cap_) when input runs from a timer (CLIENT PAUSE)
  // or an unblock: then the buffer must not move or shrink under it.
  if (in_begin_ == in_end_ && !read_in_flight_) in_begin_ = in_end_ = 0;
  if (in_cap_ > keep_buffer && in_end_ - in_begin_ < read_chunk && !parser_.in_frame() && !read_in_flight_) {
    // Give back the memory of a large request once it is consumed.
    std::size_t unparsed = in_end_ - in_begin_;
    auto smaller = std::make_unique_for_overwrite<char[]>(read_chunk);
    if (unparsed) std::memcpy(smaller.get(), in_.get() + in_begin_, unparsed);
    in_ = std::move(smaller);
    in_cap_ = read_chunk;
    in_begin_ = 0;
    in_end_ = unparsed;
  }
  client_->query_buffer_bytes.store(in_end_ - in_begin_, std::memory_order_relaxed);
  if (static_cast<std::int64_t>(in_end_ - in_begin_) > st.config.client_query_buffer_limit.load()) {
    spdlog::warn("closing client {} (id={}): query buffer exceeds client-query-buffer-limit", client_->addr, client_->id);
    closing_ = true;
    out_.clear();
  }
  if (!out_.empty() && check_output_limit()) return;
  if (!out_.empty() && !write_in_flight_) {
    if (hold_for_fsync()) return;
    return do_write();
  }
  if (waiting_fsync_) return;  // replies are held; resume_after_fsync() goes on
  if (closing_) {
    if (!write_in_flight_) shutdown_socket();
    return;
  }
  if (!write_in_flight_) do_read();
}

bool resp_session::hold_for_fsync() {
  // appendfsync always: this connection's replies (the write's and every later one) leave
  // only once its last write is on disk. The fsync thread calls back; we resume on our strand.
  auto* aof = disp_.server().aof.load(std::memory_order_acquire);
  if (!aof || client_->aof_seq <= aof->durable()) return false;
  if (aof->policy() != persist::fsync_policy::always) {
    // everysec / no: the records are written (not fsynced) before the replies leave, as
    // Redis does in beforeSleep; a write error leaves them queued for the fsync thread.
    aof->flush();
    return false;
  }
  if (!waiting_fsync_) {
    waiting_fsync_ = true;
    aof->when_durable(client_->aof_seq, [self = shared_from_this()] {
      asio::post(self->stream_.get_executor(), [self] {
        self->waiting_fsync_ = false;
        self->resume_after_fsync();
      });
    });
  }
  return true;
}

void resp_session::resume_after_fsync() {
  if (!stream_.socket().is_open() || write_in_flight_) return;
  if (!out_.empty()) {
    if (hold_for_fsync()) return;
    return do_write();
  }
  if (closing_) return shutdown_socket();
  do_read();
}

void resp_session::do_write() {
  if (out_.empty()) {
    if (closing_) shutdown_socket();
    return;
  }
  writing_.swap(out_);
  out_.clear();
  if (client_) client_->output_buffer_bytes.store(writing_.size(), std::memory_order_relaxed);
  // A subscriber's buffer keeps the capacity of the largest burst; give big ones back.
  if (out_.capacity() > keep_buffer) std::string().swap(out_);
  write_in_flight_ = true;
  asio::async_write(stream_, asio::buffer(writing_),
                    [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_write(ec, n); });
}

void resp_session::on_write(const error_code& ec, std::size_t n) {
  write_in_flight_ = false;
  if (ec) {
    if (ec != asio::error::operation_aborted && ec != asio::error::broken_pipe && ec != asio::error::connection_reset)
      spdlog::debug("client {} write: {}", client_ ? client_->addr : "-", ec.message());
    return shutdown_socket();
  }
  disp_.server().stats.total_net_output_bytes.fetch_add(n, std::memory_order_relaxed);
  writing_.clear();
  if (out_.empty()) soft_limit_since_ms_ = 0;  // caught up: a later burst starts a new soft-limit period
  if (client_) client_->output_buffer_bytes.store(out_.size(), std::memory_order_relaxed);
  if (writing_.capacity() > keep_buffer) std::string().swap(writing_);
  if (!out_.empty()) {
    if (hold_for_fsync()) return;
    return do_write();
  }
  if (closing_) return shutdown_socket();
  // Commands may already be waiting in the buffer (pipelined while we were writing).
  if (in_end_ > in_begin_) return process_input();
  do_read();
}

}  // namespace kvd::server
