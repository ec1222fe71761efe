// Service-manager supervision (`supervised no|systemd|auto`, Redis 7.0's option): with
// systemd, the server reports its state over $NOTIFY_SOCKET (sd_notify(3), Type=notify units):
// READY=1 once the listeners are up and the AOF is loaded, STOPPING=1 at shutdown.
#pragma once
#include <cstdlib>
#include <string>
#include <string_view>

#include "kvd/config/config.hpp"

namespace kvd::server::supervise {

/// The supervision in effect for `cfg`: "systemd" when `supervised` is systemd, or auto with
/// $NOTIFY_SOCKET set; otherwise "no". This is what INFO reports as process_supervised.
/// Inline: kvd_core (INFO) uses it without linking the server library.
[[nodiscard]] inline std::string mode(const config::server_config& cfg) {
  bool systemd = cfg.supervised == "systemd" || (cfg.supervised == "auto" && std::getenv("NOTIFY_SOCKET") != nullptr);
  return systemd ? "systemd" : "no";
}

/// Checks the setting once at start-up and logs a warning when systemd supervision was asked
/// for but cannot work (no $NOTIFY_SOCKET, or kvd built without libsystemd), as Redis does.
void check(const config::server_config& cfg);

/// Sends "READY=1" and "STATUS=Ready to accept connections" when supervised by systemd.
void ready(const config::server_config& cfg);

/// Sends "STATUS=<text>" when supervised by systemd (e.g. while the AOF loads).
void status(const config::server_config& cfg, std::string_view text);

/// Sends "STOPPING=1" and a STATUS line when supervised by systemd.
void stopping(const config::server_config& cfg);

}  // namespace kvd::server::supervise
