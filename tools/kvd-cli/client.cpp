#include "client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <charconv>
#include <cctype>
#include <optional>

#include "resp_reader.hpp"

namespace kvd::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::optional<int> parse_db(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

reply error_reply(std::string msg) {
  reply r;
  r.k = reply::kind::error;
  r.str = std::move(msg);
  return r;
}

constexpr std::chrono::seconds handshake_timeout{5};

/// The client TLS context of `o` (redis-cli's --cacert, --cacertdir, --cert, --key,
/// --insecure). Throws connection_error naming the file that cannot be loaded.
asio::ssl::context make_tls_context(const connect_options& o) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  auto load = [](const char* what, const std::string& file, auto&& f) {
    if (file.empty()) return;
    boost::system::error_code ec;
    f(ec);
    if (ec) throw connection_error("kvd-cli: cannot load " + std::string(what) + " " + file + ": " + ec.message());
  };
  load("--cacert", o.cacert, [&](auto& ec) { ctx.load_verify_file(o.cacert, ec); });
  load("--cacertdir", o.cacertdir, [&](auto& ec) { ctx.add_verify_path(o.cacertdir, ec); });
  if (o.cacert.empty() && o.cacertdir.empty()) ctx.set_default_verify_paths();
  load("--cert", o.cert, [&](auto& ec) { ctx.use_certificate_chain_file(o.cert, ec); });
  load("--key", o.key, [&](auto& ec) { ctx.use_private_key_file(o.key, asio::ssl::context::pem, ec); });
  ctx.set_verify_mode(o.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer);
  return ctx;
}

/// Sends the server name (SNI) on `s`: --sni, else the host.
template <class Stream>
void set_sni(Stream& s, const connect_options& o, const std::string& host) {
  const std::string& name = o.sni.empty() ? host : o.sni;
  SSL_set_tlsext_host_name(s.native_handle(), name.c_str());
}

class resp_client final : public client {
 public:
  explicit resp_client(const connect_options& o)
      : opt_(o), ctx_(o.tls ? make_tls_context(o) : asio::ssl::context(asio::ssl::context::tls_client)),
        stream_(ioc_, ctx_) {
    boost::system::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(o.host, std::to_string(o.port), ec);
    if (!ec) asio::connect(stream_.next_layer(), endpoints, ec);
    if (ec)
      throw connection_error("Could not connect to kvd at " + address() + ": " + ec.message());
    stream_.next_layer().set_option(tcp::no_delay(true), ec);
    if (o.tls) {
      set_sni(stream_, o, o.host);
      // Bounded: a plain-text server never answers the ClientHello.
      bool done = false;
      stream_.async_handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& e) {
        ec = e;
        done = true;
      });
      ioc_.run_for(handshake_timeout);
      if (!done) {
        stream_.next_layer().close(ec);
        ioc_.run();
        throw connection_error("Could not negotiate a TLS connection with " + address() +
                               ": no TLS handshake reply in " + std::to_string(handshake_timeout.count()) +
                               " s (is it kvd's tls-port?)");
      }
      ioc_.restart();
      if (ec) throw connection_error("Could not negotiate a TLS connection with " + address() + ": " + ec.message());
    }
  }

  reply call(const std::vector<std::string>& args) override {
    std::string req = encode_command(args);
    boost::system::error_code ec;
    if (opt_.tls) asio::write(stream_, asio::buffer(req), ec);
    else asio::write(stream_.next_layer(), asio::buffer(req), ec);
    if (ec) throw connection_error("Error writing to " + address() + ": " + ec.message());
    char buf[16384];
    for (;;) {
      std::optional<reply> r;
      try {
        r = reader_.next();
      } catch (const protocol_error& e) {
        throw connection_error(std::string("Protocol error from server: ") + e.what());
      }
      if (r) {
        if (!args.empty() && iequals(args[0], "SELECT") && args.size() == 2 && r->k == reply::kind::status)
          if (auto n = parse_db(args[1])) db_ = *n;
        return std::move(*r);
      }
      std::size_t n = opt_.tls ? stream_.read_some(asio::buffer(buf), ec)
                               : stream_.next_layer().read_some(asio::buffer(buf), ec);
      if (ec) throw connection_error("Error reading from " + address() + ": " + (ec == asio::error::eof ? std::string("Server closed the connection") : ec.message()));
      reader_.feed(std::string_view(buf, n));
    }
  }

  std::string address() const override { return opt_.host + ":" + std::to_string(opt_.port); }
  int db() const override { return db_; }

 private:
  connect_options opt_;
  asio::io_context ioc_;
  asio::ssl::context ctx_;
  asio::ssl::stream<tcp::socket> stream_;  // next_layer() alone without --tls
  resp_reader reader_;
  int db_ = 0;
};

// Structural UTF-8 check (lead byte, continuation bytes): invalid strings go as {"base64"}.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 4;
    if (n == 4 || i + n >= s.size() + (n == 0 ? 1 : 0)) return false;
    for (std::size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n + 1;
  }
  return true;
}

std::string b64_encode(std::string_view s) {
  std::string out(beast::detail::base64::encoded_size(s.size()), '\0');
  out.resize(beast::detail::base64::encode(out.data(), s.data(), s.size()));
  return out;
}

std::string b64_decode(std::string_view s) {
  std::string out(beast::detail::base64::decoded_size(s.size()), '\0');
  auto [written, read] = beast::detail::base64::decode(out.data(), s.data(), s.size());
  out.resize(written);
  return out;
}

reply json_to_reply(const json::value& v) {
  reply r;
  switch (v.kind()) {
    case json::kind::null: r.k = reply::kind::nil; break;
    case json::kind::bool_: r.k = reply::kind::boolean; r.num = v.get_bool(); break;
    case json::kind::int64: r.k = reply::kind::integer; r.num = v.get_int64(); break;
    case json::kind::uint64: r.k = reply::kind::integer; r.num = static_cast<std::int64_t>(v.get_uint64()); break;
    case json::kind::double_: {
      r.k = reply::kind::dbl;
      r.str = json::serialize(v);
      break;
    }
    case json::kind::string: r.k = reply::kind::bulk; r.str = v.get_string(); break;
    case json::kind::array:
      r.k = reply::kind::array;
      for (auto& e : v.get_array()) r.elems.push_back(json_to_reply(e));
      break;
    case json::kind::object: {
      auto& o = v.get_object();
      if (o.size() == 1 && o.contains("base64") && o.at("base64").is_string()) {
        r.k = reply::kind::bulk;
        r.str = b64_decode(o.at("base64").get_string());
        break;
      }
      if (o.size() == 1 && o.contains("error") && o.at("error").is_string()) {
        r.k = reply::kind::error;
        r.str = o.at("error").get_string();
        break;
      }
      r.k = reply::kind::map;
      for (auto& kv : o) {
        reply key;
        key.k = reply::kind::bulk;
        key.str = kv.key();
        r.elems.push_back(std::move(key));
        r.elems.push_back(json_to_reply(kv.value()));
      }
      break;
    }
  }
  return r;
}

class http_client final : public client {
 public:
  explicit http_client(const connect_options& o) : opt_(o), db_(o.db) {
    std::string_view url = o.http_url;
    if (url.starts_with("https://")) {
      https_ = true;
      url.remove_prefix(8);
    } else if (url.starts_with("http://")) {
      url.remove_prefix(7);
    }
    if (https_ || o.tls) {
      https_ = true;
      ctx_.emplace(make_tls_context(o));
      tls_.emplace(ioc_, *ctx_);
    } else {
      plain_.emplace(ioc_);
    }
    auto slash = url.find('/');
    std::string_view hostport = url.substr(0, slash);
    prefix_ = slash == std::string_view::npos ? "" : std::string(url.substr(slash));
    while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
    auto bracket = hostport.find(']');
    auto colon = hostport.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
      host_ = hostport.substr(0, colon);
      port_ = hostport.substr(colon + 1);
    } else {
      host_ = hostport;
    }
    if (host_.size() > 2 && host_.front() == '[' && host_.back() == ']') host_ = host_.substr(1, host_.size() - 2);
    if (host_.empty()) throw connection_error("kvd-cli: bad --http URL '" + o.http_url + "' (want http://host:port)");
    if (port_.empty()) port_ = https_ ? "443" : "80";
    display_ = (https_ ? "https://" : "http://") + std::string(hostport) + prefix_;
    if (!o.password.empty())
      auth_ = "Basic " + b64_encode((o.user.empty() ? std::string("default") : o.user) + ":" + o.password);
  }

  reply call(const std::vector<std::string>& args) override {
    // SELECT has no meaning for stateless HTTP requests: it picks the ?db= of later ones.
    if (!args.empty() && iequals(args[0], "SELECT") && args.size() == 2) {
      auto n = parse_db(args[1]);
      if (!n) return error_reply("ERR value is not an integer or out of range");
      db_ = *n;
      reply ok;
      ok.k = reply::kind::status;
      ok.str = "OK";
      return ok;
    }
    json::array a;
    for (auto& s : args) {
      if (valid_utf8(s)) a.emplace_back(json::string(s));
      else a.emplace_back(json::object{{"base64", b64_encode(s)}});
    }
    std::string body = json::serialize(a);
    for (int attempt = 0;; ++attempt) {
      try {
        return send(body);
      } catch (const boost::system::system_error& e) {
        close();
        if (attempt >= 1) throw connection_error("HTTP request to " + display_ + " failed: " + e.code().message());
      }
    }
  }

  std::string address() const override { return display_; }
  int db() const override { return db_; }

 private:
  void close() {
    boost::system::error_code ec;
    if (tls_) {
      beast::get_lowest_layer(*tls_).socket().close(ec);
      tls_.emplace(ioc_, *ctx_);  // a TLS stream is not reused after its connection ends
    } else {
      plain_->socket().close(ec);
    }
    connected_ = false;
  }

  reply send(const std::string& body) {
    if (!connected_) {
      tcp::resolver resolver(ioc_);
      auto endpoints = resolver.resolve(host_, port_);
      if (tls_) {
        beast::get_lowest_layer(*tls_).expires_never();
        beast::get_lowest_layer(*tls_).connect(endpoints);
        set_sni(*tls_, opt_, host_);
        tls_->handshake(asio::ssl::stream_base::client);
      } else {
        plain_->expires_never();
        plain_->connect(endpoints);
      }
      connected_ = true;
    }
    return tls_ ? exchange(*tls_, body) : exchange(*plain_, body);
  }

  template <class Stream>
  reply exchange(Stream& stream, const std::string& body) {
    std::string target = prefix_ + "/v1/command";
    if (db_ != 0) target += "?db=" + std::to_string(db_);
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, host_);
    req.set(http::field::user_agent, "kvd-cli");
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "application/json");
    if (!auth_.empty()) req.set(http::field::authorization, auth_);
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    if (!res.keep_alive()) close();
    return json_body_to_reply(res.body(), res.result_int());
  }

  connect_options opt_;
  asio::io_context ioc_;
  bool https_ = false;
  std::optional<asio::ssl::context> ctx_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;  // https://
  std::optional<beast::tcp_stream> plain_;                   // http://
  bool connected_ = false;
  std::string host_, port_, prefix_, display_, auth_;
  int db_ = 0;
};

}  // namespace

reply json_body_to_reply(const std::string& body, unsigned http_status) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object())
    return error_reply("ERR HTTP " + std::to_string(http_status) + ": " + body.substr(0, 200));
  auto& o = v.get_object();
  if (auto* res = o.if_contains("result")) {
    reply r = json_to_reply(*res);
    if (r.k == reply::kind::bulk && r.str == "OK") r.k = reply::kind::status;
    return r;
  }
  if (auto* err = o.if_contains("error")) {
    std::string msg = err->is_string() ? std::string(err->get_string()) : json::serialize(*err);
    return error_reply(std::move(msg));
  }
  return error_reply("ERR HTTP " + std::to_string(http_status) + ": " + body.substr(0, 200));
}

std::unique_ptr<client> make_resp_client(const connect_options& o, reply& setup_error) {
  auto c = std::make_unique<resp_client>(o);
  setup_error = reply{};
  if (o.resp == 3) {
    std::vector<std::string> hello{"HELLO", "3"};
    if (!o.password.empty()) {
      hello.insert(hello.end(), {"AUTH", o.user.empty() ? std::string("default") : o.user, o.password});
    }
    reply r = c->call(hello);
    if (r.is_error()) {
      setup_error = std::move(r);
      return c;
    }
  } else if (!o.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!o.user.empty()) auth.push_back(o.user);
    auth.push_back(o.password);
    reply r = c->call(auth);
    if (r.is_error()) {
      setup_error = std::move(r);
      return c;
    }
  }
  if (o.db != 0) {
    reply r = c->call({"SELECT", std::to_string(o.db)});
    if (r.is_error()) setup_error = std::move(r);
  }
  return c;
}

std::unique_ptr<client> make_http_client(const connect_options& o) { return std::make_unique<http_client>(o); }

}  // namespace kvd::cli
