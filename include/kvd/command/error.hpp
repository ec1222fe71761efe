// Error replies with Redis 7.0's exact texts (server.c shared.* objects, t_string.c, db.c).
// Store operations return op_status; reply_error() maps each to the wire text.
// Model: dragonfly src/facade/op_status.h + src/facade/error.h.
#pragma once
#include <span>
#include <string_view>
#include <utility>

#include "kvd/protocol/reply_builder.hpp"

namespace kvd::command {

/// Outcome of a store operation that did not produce its value.
enum class op_status {
  ok,
  key_not_found,
  wrong_type,      ///< WRONGTYPE Operation against a key holding the wrong kind of value
  not_integer,     ///< ERR value is not an integer or out of range
  not_float,       ///< ERR value is not a valid float
  overflow,        ///< ERR increment or decrement would overflow
  syntax,          ///< ERR syntax error
  out_of_range,    ///< ERR index out of range
  oom,             ///< OOM command not allowed when used memory > 'maxmemory'.
  string_too_long  ///< ERR string exceeds maximum allowed size (proto-max-bulk-len)
};

namespace err {
inline constexpr std::string_view wrong_type = "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view not_integer = "ERR value is not an integer or out of range";
inline constexpr std::string_view not_float = "ERR value is not a valid float";
inline constexpr std::string_view overflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view syntax = "ERR syntax error";
inline constexpr std::string_view no_such_key = "ERR no such key";
inline constexpr std::string_view out_of_range = "ERR index out of range";
inline constexpr std::string_view db_index = "ERR DB index is out of range";
inline constexpr std::string_view oom = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view string_too_long = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
}  // namespace err

/// The reply text of `s` (precondition: s != ok and s != key_not_found).
std::string_view error_text(op_status s) noexcept;

/// What a store op returns: its value, or the Redis error text to reply (an op_status text
/// or a family-specific message given with failure()). No exceptions on the command path.
template <class T>
class op_result {
 public:
  op_result(T v) : v_(std::move(v)) {}  // NOLINT: implicit by design
  op_result(op_status s) : err_(error_text(s)) {}
  /// A failure with a family-specific error text (must be a literal or outlive the result).
  static op_result failure(std::string_view text) {
    op_result r{T{}};
    r.err_ = text;
    return r;
  }
  [[nodiscard]] bool ok() const noexcept { return err_.empty(); }
  [[nodiscard]] const T& value() const noexcept { return v_; }
  [[nodiscard]] std::string_view error() const noexcept { return err_; }

 private:
  T v_{};
  std::string_view err_;
};

/// Replies an array of simple strings, the shape of every Redis `<COMMAND> HELP` reply.
inline void reply_help(protocol::reply_builder& rb, std::span<const std::string_view> lines) {
  rb.array(lines.size());
  for (auto l : lines) rb.simple(l);
}

}  // namespace kvd::command
