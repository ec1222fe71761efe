// GET /metrics: the server's counters in the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Names follow Prometheus
// conventions: `kvd_` prefix, `_total` on counters, base units (seconds, bytes).
#pragma once
#include <string>
#include <string_view>

#include "kvd/command/server_state.hpp"

namespace kvd::http {

/// Content-Type of the exposition format.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Renders every metric of `s`: per-command calls and seconds (subcommands as "config|get"),
/// error replies, clients, connections, network bytes, keys and expires per db, memory
/// (used, RSS, peak), expired keys, keyspace hits/misses, uptime. Thread-safe.
[[nodiscard]] std::string render_metrics(command::server_state& s);

/// Escapes a label value for the text format (backslash, double quote, newline).
[[nodiscard]] std::string escape_label_value(std::string_view v);

}  // namespace kvd::http
