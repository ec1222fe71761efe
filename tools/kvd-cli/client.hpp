// kvd-cli transports: RESP over TCP (resp_client) and the HTTP JSON API (http_client,
// `POST <url>/v1/command` with a JSON array, answered {"result": ...} or {"error","code"}).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "reply.hpp"

namespace kvd::cli {

/// The connection could not be made or broke: message for the user, exit status 1.
struct connection_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Connection settings from the command line (redis-cli's -h -p -a --user -n -3).
struct connect_options {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // empty: AUTH with the password only
  std::string password;  // empty: no AUTH
  int db = 0;
  int resp = 2;          // 3: HELLO 3 on connect
  std::string http_url;  // non-empty: HTTP mode (https:// for HTTPS)
  // TLS (RESP with tls, and https:// URLs), redis-cli's options: the server certificate is
  // verified against cacert / cacertdir (the system's CAs when both are empty) unless
  // insecure; cert and key are the client certificate (tls-auth-clients); sni overrides the
  // server name sent (default: the host).
  bool tls = false;
  std::string cacert, cacertdir, cert, key, sni;
  bool insecure = false;
};

/// Sends one command and waits for its reply. Implementations are not thread-safe.
class client {
 public:
  virtual ~client() = default;
  /// Runs `args` (command name first) and returns the reply (errors are error replies).
  /// Throws connection_error when the server cannot be reached or the reply is garbage.
  virtual reply call(const std::vector<std::string>& args) = 0;
  /// The prompt's address part: "127.0.0.1:6379" or the HTTP URL.
  virtual std::string address() const = 0;
  /// Current database (after -n or a successful SELECT).
  virtual int db() const = 0;
};

/// Connects over RESP, then HELLO 3 / AUTH / SELECT as the options ask. Throws
/// connection_error (unreachable) or returns the failing reply in `setup_error`.
std::unique_ptr<client> make_resp_client(const connect_options& o, reply& setup_error);

/// An HTTP client for `o.http_url` (http://host[:port][/prefix]); -n becomes `?db=N`, -a a
/// Basic Authorization header. Connects lazily, one request per call (Beast, synchronous).
std::unique_ptr<client> make_http_client(const connect_options& o);

/// Converts a /v1/command JSON body ({"result": v} or {"error": m, "code": c}) to a reply:
/// strings -> bulk ("OK" at top level -> status), integers, doubles, booleans, null -> nil,
/// arrays, objects -> maps, {"base64": s} -> decoded bulk, {"error": m} -> error.
reply json_body_to_reply(const std::string& body, unsigned http_status);

}  // namespace kvd::cli
