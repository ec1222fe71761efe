// The network server: one io_context run by `io-threads` threads, the RESP listener
// (a strand per connection), the HTTP listener, signal handling and the server cron
// (active expire, idle-client timeout), as DESIGN.md "One picture" shows.
#pragma once
#include <memory>

#include "kvd/command/dispatcher.hpp"

namespace kvd::server {

/// Owns the io_context and listeners. Construct, then run() blocks until shutdown.
class server {
 public:
  /// `state` and `disp` must outlive the server. Binds nothing until run().
  server(command::server_state& state, command::dispatcher& disp);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds the RESP and HTTP listeners (throws std::runtime_error naming the address when a
  /// bind fails), serves until SIGINT/SIGTERM or SHUTDOWN, then returns the exit code.
  int run();

  /// Starts an orderly stop from any thread: stop accepting, let in-flight commands and their
  /// replies finish, close clients, return from run() with `code` within a second.
  void stop(int code);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kvd::server
