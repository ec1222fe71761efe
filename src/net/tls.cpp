#include "kvd/net/tls.hpp"

#include <cctype>
#include <cerrno>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace kvd::net {

namespace ssl = boost::asio::ssl;

namespace {

std::string lower(std::string_view v) {
  std::string s(v);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// OpenSSL's queued errors as text ("error:...:reason"), emptying the queue.
std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("TLS: " + what); }

/// A file an option names must exist and be readable; the message names both.
void check_file(const char* option, const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) fail(std::string(option) + " '" + path + "': No such file or directory");
  if (std::filesystem::is_directory(st)) fail(std::string(option) + " '" + path + "': is a directory");
}

/// Redis parseProtocolsConfig: "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3" (any case, any subset);
/// empty is TLSv1.2 and TLSv1.3. Returns the SSL_OP_NO_* options for the versions left out.
long protocol_options(const std::string& value) {
  std::istringstream in(value);
  bool v10 = false, v11 = false, v12 = false, v13 = false, any = false;
  for (std::string w; in >> w;) {
    auto t = lower(w);
    if (t == "tlsv1") v10 = true;
    else if (t == "tlsv1.1") v11 = true;
    else if (t == "tlsv1.2") v12 = true;
    else if (t == "tlsv1.3") v13 = true;
    else
      fail("Invalid tls-protocols specified ('" + value +
           "'). Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
    any = true;
  }
  if (!any) v12 = v13 = true;
  long op = 0;
  if (!v10) op |= SSL_OP_NO_TLSv1;
  if (!v11) op |= SSL_OP_NO_TLSv1_1;
  if (!v12) op |= SSL_OP_NO_TLSv1_2;
  if (!v13) op |= SSL_OP_NO_TLSv1_3;
  return op;
}

}  // namespace

fd_tls_stream::fd_tls_stream(boost::asio::ip::tcp::socket& socket, ssl::context& ctx)
    : socket_(socket), ssl_(SSL_new(ctx.native_handle())) {
  if (!ssl_) throw boost::system::system_error(boost::asio::error::no_memory, "SSL_new");
  boost::system::error_code ec;
  socket_.native_non_blocking(true, ec);
  SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
  SSL_set_accept_state(ssl_);
  // asio::async_write retries the rest of a buffer after a partial write.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

fd_tls_stream::~fd_tls_stream() { SSL_free(ssl_); }  // the descriptor is the socket's (not closed here)

void fd_tls_stream::close_notify() {
  if (!socket_.is_open() || !SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // non-blocking descriptor: written now or dropped
  ERR_clear_error();
}

void fd_tls_stream::set_verify_mode(ssl::verify_mode m) { SSL_set_verify(ssl_, m, nullptr); }

boost::system::error_code fd_tls_stream::error_for(int err) {
  namespace error = boost::asio::error;
  if (err == SSL_ERROR_ZERO_RETURN) return error::eof;  // close_notify
  if (err == SSL_ERROR_SYSCALL) {
    int e = errno;
    ERR_clear_error();
    if (e == 0) return ssl::error::stream_truncated;  // closed without close_notify
    return {e, boost::system::system_category()};
  }
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return ssl::error::stream_truncated;
  return {static_cast<int>(code ? code : err), error::get_ssl_category()};
}

bool tls_enabled(const config::server_config& cfg) {
  return cfg.tls_port > 0 || (cfg.http_tls && cfg.http_port > 0) || cfg.http_tls_port > 0;
}

ssl::verify_mode client_verify_mode(std::string_view auth_clients) {
  auto v = lower(auth_clients);
  if (v == "no") return ssl::verify_none;
  if (v == "optional") return ssl::verify_peer;
  return ssl::verify_peer | ssl::verify_fail_if_no_peer_cert;  // yes (and anything else: fail secure)
}

std::shared_ptr<ssl::context> make_server_context(const config::server_config& cfg) {
  auto cert = cfg.tls_cert_file.get(), key = cfg.tls_key_file.get(), pass = cfg.tls_key_file_pass.get();
  auto ca_file = cfg.tls_ca_cert_file.get(), ca_dir = cfg.tls_ca_cert_dir.get();
  auto dh = cfg.tls_dh_params_file.get();
  if (cert.empty()) fail("No tls-cert-file configured!");
  if (key.empty()) fail("No tls-key-file configured!");
  // A CA is needed when a listener in use verifies clients (an HTTPS-only server with the
  // default tls-auth-clients yes needs none).
  bool https = (cfg.http_tls && cfg.http_port > 0) || cfg.http_tls_port > 0;
  bool verifies = (cfg.tls_port > 0 && lower(cfg.tls_auth_clients.get()) != "no") ||
                  (https && lower(cfg.http_tls_auth_clients.get()) != "no");
  if (verifies && ca_file.empty() && ca_dir.empty())
    fail("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-auth-clients (with tls-port) "
         "or http-tls-auth-clients (with HTTPS) is enabled!");
  long no_protocols = protocol_options(cfg.tls_protocols.get());

  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* h = ctx->native_handle();
  SSL_CTX_set_options(h, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_DH_USE |
                             SSL_OP_NO_RENEGOTIATION | static_cast<unsigned long>(no_protocols));
  // Idle connections give their read/write buffers back (10,000 idle TLS clients).
  SSL_CTX_set_mode(h, SSL_MODE_RELEASE_BUFFERS);
  if (!pass.empty()) ctx->set_password_callback([pass](std::size_t, ssl::context::password_purpose) { return pass; });

  check_file("tls-cert-file", cert);
  if (SSL_CTX_use_certificate_chain_file(h, cert.c_str()) <= 0)
    fail("Failed to load certificate: tls-cert-file '" + cert + "': " + openssl_errors());
  check_file("tls-key-file", key);
  if (SSL_CTX_use_PrivateKey_file(h, key.c_str(), SSL_FILETYPE_PEM) <= 0)
    fail("Failed to load private key: tls-key-file '" + key + "': " + openssl_errors());
  if (SSL_CTX_check_private_key(h) <= 0)
    fail("tls-key-file '" + key + "' does not match tls-cert-file '" + cert + "': " + openssl_errors());
  if (!ca_file.empty()) check_file("tls-ca-cert-file", ca_file);
  if (!ca_dir.empty() && !std::filesystem::is_directory(ca_dir))
    fail("tls-ca-cert-dir '" + ca_dir + "': not a directory");
  if ((!ca_file.empty() || !ca_dir.empty()) &&
      SSL_CTX_load_verify_locations(h, ca_file.empty() ? nullptr : ca_file.c_str(),
                                    ca_dir.empty() ? nullptr : ca_dir.c_str()) <= 0)
    fail("Failed to configure CA certificate(s) file/directory: tls-ca-cert-file '" + ca_file +
         "', tls-ca-cert-dir '" + ca_dir + "': " + openssl_errors());
  // The client certificate request names the CAs we accept (as OpenSSL's s_server does).
  if (!ca_file.empty())
    if (auto* names = SSL_load_client_CA_file(ca_file.c_str())) SSL_CTX_set_client_CA_list(h, names);
  ERR_clear_error();
  if (auto ciphers = cfg.tls_ciphers.get(); !ciphers.empty() && !SSL_CTX_set_cipher_list(h, ciphers.c_str()))
    fail("Failed to configure ciphers: tls-ciphers '" + ciphers + "': " + openssl_errors());
  if (auto suites = cfg.tls_ciphersuites.get(); !suites.empty() && !SSL_CTX_set_ciphersuites(h, suites.c_str()))
    fail("Failed to configure ciphersuites: tls-ciphersuites '" + suites + "': " + openssl_errors());
  if (cfg.tls_session_caching.load()) {
    SSL_CTX_set_session_cache_mode(h, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(h, static_cast<long>(cfg.tls_session_cache_size.load()));
    SSL_CTX_set_timeout(h, static_cast<long>(cfg.tls_session_cache_timeout.load()));
  } else {
    SSL_CTX_set_session_cache_mode(h, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(h, SSL_OP_NO_TICKET);
  }
  // Needed to resume sessions of verified clients (Redis uses "redis").
  SSL_CTX_set_session_id_context(h, reinterpret_cast<const unsigned char*>("kvd"), 3);
  if (cfg.tls_prefer_server_ciphers.load()) SSL_CTX_set_options(h, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!dh.empty()) {
    check_file("tls-dh-params-file", dh);
    boost::system::error_code ec;
    ctx->use_tmp_dh_file(dh, ec);
    if (ec) fail("Failed to load tls-dh-params-file '" + dh + "': " + ec.message());
  } else {
    SSL_CTX_set_dh_auto(h, 1);
  }
  return ctx;
}

}  // namespace kvd::net
