#include "kvd/server/supervise.hpp"

#include <cstdlib>

#include <spdlog/spdlog.h>

#ifdef KVD_WITH_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace kvd::server::supervise {

namespace {

bool systemd_wanted(const config::server_config& cfg) { return mode(cfg) == "systemd"; }

void notify(const config::server_config& cfg, const std::string& msg) {
  if (!systemd_wanted(cfg)) return;
#ifdef KVD_WITH_SYSTEMD
  // unset_environment = 0: $NOTIFY_SOCKET stays for later messages. < 0 is an error; 0 means
  // no socket (not supervised after all), which check() already reported.
  if (int r = sd_notify(0, msg.c_str()); r < 0) spdlog::warn("sd_notify failed: error {}", -r);
#else
  (void)msg;
#endif
}

}  // namespace

void check(const config::server_config& cfg) {
  if (cfg.supervised == "no" || (cfg.supervised == "auto" && !std::getenv("NOTIFY_SOCKET"))) return;
#ifdef KVD_WITH_SYSTEMD
  if (!std::getenv("NOTIFY_SOCKET"))
    spdlog::warn("systemd supervision requested, but NOTIFY_SOCKET not found");
  else
    spdlog::info("supervised by systemd; will notify READY=1 when ready");
#else
  spdlog::warn("systemd supervision requested, but this kvd-server was built without libsystemd");
#endif
}

void ready(const config::server_config& cfg) { notify(cfg, "READY=1\nSTATUS=Ready to accept connections"); }

void status(const config::server_config& cfg, std::string_view text) { notify(cfg, "STATUS=" + std::string(text)); }

void stopping(const config::server_config& cfg) { notify(cfg, "STOPPING=1\nSTATUS=Shutting down"); }

}  // namespace kvd::server::supervise
