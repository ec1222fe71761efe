// TLS pieces (src/net/tls.cpp, include/kvd/net/tls.hpp): the context built from the tls-*
// options and its error messages, the tls-auth-clients verify modes, maybe_tls_stream over a
// real loopback connection in both modes, and CONFIG SET's apply hook (a failing reload rolls
// the command back with Redis's text). Certificates are made in memory with OpenSSL and
// written to a temporary directory.
#define BOOST_TEST_MODULE tls
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.hpp"
#include "kvd/net/tls.hpp"

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using kvd::net::make_server_context;

namespace {

/// A temporary directory with a self-signed P-256 certificate (CN 127.0.0.1) and its key.
struct cert_dir {
  std::filesystem::path dir;
  std::string cert, key;

  cert_dir() {
    dir = std::filesystem::temp_directory_path() / ("kvd-tls-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    cert = (dir / "server.crt").string();
    key = (dir / "server.key").string();
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509_sign(x, pkey, EVP_sha256());
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
  ~cert_dir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

/// Sets the options the way a config file would (cert, key, CA = the self-signed cert).
void configure(kvd::config::server_config& cfg, const cert_dir& d) {
  cfg.tls_cert_file = d.cert;
  cfg.tls_key_file = d.key;
  cfg.tls_ca_cert_file = d.cert;
}

std::string error_of(const kvd::config::server_config& cfg) {
  try {
    make_server_context(cfg);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(context_errors_name_the_option_and_file) {
  cert_dir d;
  kvd::config::server_config cfg;
  cfg.tls_port = 6380;
  BOOST_TEST(error_of(cfg) == "TLS: No tls-cert-file configured!");
  cfg.tls_cert_file = d.cert;
  BOOST_TEST(error_of(cfg) == "TLS: No tls-key-file configured!");
  cfg.tls_key_file = d.key;
  BOOST_TEST(error_of(cfg).find("Either tls-ca-cert-file or tls-ca-cert-dir must be specified") != std::string::npos);
  cfg.tls_auth_clients = "no";
  BOOST_TEST(error_of(cfg) == "");  // no CA needed when nobody's certificate is verified
  cfg.tls_auth_clients = "yes";
  cfg.tls_port = 0;
  cfg.http_tls = true;
  BOOST_TEST(error_of(cfg) == "");  // HTTPS only: http-tls-auth-clients no (the default)
  cfg.http_tls_auth_clients = "optional";
  BOOST_TEST(error_of(cfg).find("Either tls-ca-cert-file") != std::string::npos);
  cfg.http_tls_auth_clients = "no";
  cfg.tls_cert_file = (d.dir / "missing.crt").string();
  BOOST_TEST(error_of(cfg) == "TLS: tls-cert-file '" + (d.dir / "missing.crt").string() + "': No such file or directory");
  cfg.tls_cert_file = d.key;  // a key is not a certificate
  BOOST_TEST(error_of(cfg).find("Failed to load certificate: tls-cert-file '" + d.key + "'") != std::string::npos);
  cfg.tls_cert_file = d.cert;
  cfg.tls_key_file = d.cert;  // a certificate is not a key
  BOOST_TEST(error_of(cfg).find("Failed to load private key: tls-key-file '" + d.cert + "'") != std::string::npos);
  cfg.tls_key_file = d.key;
  cfg.tls_protocols = "TLSv1.2 SSLv3";
  BOOST_TEST(error_of(cfg).find("Invalid tls-protocols specified") != std::string::npos);
  cfg.tls_protocols = "tlsv1.3";  // any case, as Redis
  BOOST_TEST(error_of(cfg) == "");
  cfg.tls_ciphers = "NO-SUCH-CIPHER";
  BOOST_TEST(error_of(cfg).find("Failed to configure ciphers: tls-ciphers 'NO-SUCH-CIPHER'") != std::string::npos);
  cfg.tls_ciphers = "";
  cfg.tls_ca_cert_dir = (d.dir / "nodir").string();
  BOOST_TEST(error_of(cfg).find("tls-ca-cert-dir") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_modes) {
  BOOST_TEST(kvd::net::client_verify_mode("no") == ssl::verify_none);
  BOOST_TEST(kvd::net::client_verify_mode("optional") == ssl::verify_peer);
  BOOST_TEST(kvd::net::client_verify_mode("yes") == (ssl::verify_peer | ssl::verify_fail_if_no_peer_cert));
  BOOST_TEST(kvd::net::client_verify_mode("YES") == (ssl::verify_peer | ssl::verify_fail_if_no_peer_cert));
}

BOOST_AUTO_TEST_CASE(tls_enabled_by_any_listener) {
  kvd::config::server_config cfg;
  BOOST_TEST(!kvd::net::tls_enabled(cfg));
  cfg.tls_port = 6380;
  BOOST_TEST(kvd::net::tls_enabled(cfg));
  cfg.tls_port = 0;
  cfg.http_tls = true;
  BOOST_TEST(kvd::net::tls_enabled(cfg));
  cfg.http_port = 0;
  BOOST_TEST(!kvd::net::tls_enabled(cfg));  // http-tls without an http-port serves nothing
  cfg.http_tls_port = 8443;
  BOOST_TEST(kvd::net::tls_enabled(cfg));
}

// One byte stream type, both modes: a TLS echo through maybe_tls_stream (handshake, read,
// asio::async_write) and the same code plain; with asio::ssl::stream (HTTP) and with
// fd_tls_stream (RESP).
template <class Tls>
void echo_test() {
  cert_dir d;
  kvd::config::server_config cfg;
  configure(cfg, d);
  cfg.tls_auth_clients = "no";
  auto server_ctx = make_server_context(cfg);
  for (bool tls : {true, false}) {
    asio::io_context ioc;
    tcp::acceptor acc(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client_sock(ioc);
    client_sock.connect(acc.local_endpoint());
    kvd::net::maybe_tls_stream<tcp::socket, Tls> server(acc.accept(), tls ? server_ctx : nullptr);
    BOOST_TEST(server.is_tls() == tls);
    BOOST_TEST(server.socket().is_open());
    std::string got(5, '\0');
    std::string from_server;
    auto serve = [&] {
      server.async_read_some(asio::buffer(got), [&](boost::system::error_code ec, std::size_t n) {
        BOOST_TEST(!ec);
        got.resize(n);
        asio::async_write(server, asio::buffer(got), [&](boost::system::error_code ec, std::size_t) { BOOST_TEST(!ec); });
      });
    };
    if (tls) {
      ssl::context cctx(ssl::context::tls_client);
      cctx.load_verify_file(d.cert);
      ssl::stream<tcp::socket&> client(client_sock, cctx);
      client.set_verify_mode(ssl::verify_peer);
      server.set_verify_mode(kvd::net::client_verify_mode("no"));
      server.async_handshake([&](boost::system::error_code ec) {
        BOOST_TEST(!ec, ec.message());
        serve();
      });
      client.async_handshake(ssl::stream_base::client, [&](boost::system::error_code ec) {
        BOOST_TEST(!ec, ec.message());
        asio::async_write(client, asio::buffer("hello", 5), [&](boost::system::error_code, std::size_t) {
          from_server.resize(5);
          asio::async_read(client, asio::buffer(from_server), [&](boost::system::error_code ec, std::size_t) {
            BOOST_TEST(!ec);
          });
        });
      });
      ioc.run();
    } else {
      serve();
      asio::write(client_sock, asio::buffer("hello", 5));
      ioc.run_one();  // the read
      ioc.run();      // the write
      from_server.resize(5);
      asio::read(client_sock, asio::buffer(from_server));
    }
    BOOST_TEST(got == "hello");
    BOOST_TEST(from_server == "hello");
  }
}

BOOST_AUTO_TEST_CASE(maybe_tls_stream_echo_asio_ssl) { echo_test<ssl::stream<tcp::socket&>>(); }
BOOST_AUTO_TEST_CASE(maybe_tls_stream_echo_fd_tls) { echo_test<kvd::net::fd_tls_stream>(); }

// fd_tls_stream never uses a closed socket's descriptor (its number may be reused): an
// operation started after the close completes with operation_aborted, asynchronously.
BOOST_AUTO_TEST_CASE(fd_tls_stream_after_close) {
  cert_dir d;
  kvd::config::server_config cfg;
  configure(cfg, d);
  auto ctx = make_server_context(cfg);
  asio::io_context ioc;
  tcp::acceptor acc(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(ioc);
  client.connect(acc.local_endpoint());
  tcp::socket sock = acc.accept();
  kvd::net::fd_tls_stream s(sock, *ctx);
  sock.close();
  char buf[16];
  bool called = false;
  s.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
    called = true;
    BOOST_TEST((ec == asio::error::operation_aborted));
    BOOST_TEST(n == 0u);
  });
  BOOST_TEST(!called);  // not inside the initiating call
  ioc.run();
  BOOST_TEST(called);
}

// CONFIG SET: an apply hook that fails rolls back every value of the command, with Redis's text.
BOOST_AUTO_TEST_CASE(config_set_apply_failure_rolls_back) {
  kvd::test::harness h;
  auto& reg = h.state().options;
  BOOST_TEST(h.wire({"CONFIG", "GET", "tls-auth-clients"}) == "*2\r\n$16\r\ntls-auth-clients\r\n$3\r\nyes\r\n");
  BOOST_TEST(h.wire({"CONFIG", "SET", "tls-auth-clients", "maybe"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients') - argument(s) must be one of "
             "the following: no, yes, optional\r\n");
  BOOST_TEST(h.wire({"CONFIG", "SET", "tls-port", "6380"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'tls-port') - can't set immutable config\r\n");
  reg.on_apply = [](const std::string& name) -> std::optional<std::string> {
    if (name == "tls-cert-file") return "Unable to update TLS configuration. Check server logs.";
    return std::nullopt;
  };
  BOOST_TEST(h.wire({"CONFIG", "SET", "tls-ciphers", "HIGH", "tls-cert-file", "/x.crt"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS "
             "configuration. Check server logs.\r\n");
  BOOST_TEST(h.state().config.tls_ciphers.get() == "");  // rolled back too
  BOOST_TEST(h.state().config.tls_cert_file.get() == "");
  BOOST_TEST(h.wire({"CONFIG", "SET", "tls-ciphers", "HIGH"}) == "+OK\r\n");
  BOOST_TEST(h.state().config.tls_ciphers.get() == "HIGH");
  reg.on_apply = nullptr;
}

BOOST_AUTO_TEST_SUITE_END()
