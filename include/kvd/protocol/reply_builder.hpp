// Wire-format-independent replies. Command handlers call these semantic methods only;
// resp_writer (RESP2/RESP3), capture (a tree, for tests, MULTI and HTTP) implement them.
// Types follow the RESP3 specification (github.com/redis/redis-specifications, RESP3.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kvd::protocol {

/// Receives one reply as a sequence of events; aggregates announce their element count
/// (map(n): n key/value pairs = 2n events) and are followed by exactly that many elements.
class reply_builder {
 public:
  virtual ~reply_builder() = default;
  /// Simple string, e.g. "OK" (RESP `+OK`).
  virtual void simple(std::string_view s) = 0;
  /// Error with its code prefix and no leading '-', e.g. "ERR syntax error" or
  /// "WRONGTYPE Operation against a key holding the wrong kind of value".
  virtual void error(std::string_view s) = 0;
  /// Signed 64-bit integer (`:n`).
  virtual void integer(std::int64_t v) = 0;
  /// Binary-safe bulk string (`$n`).
  virtual void bulk(std::string_view s) = 0;
  /// Null bulk: RESP2 `$-1`, RESP3 `_`.
  virtual void null() = 0;
  /// Null array: RESP2 `*-1`, RESP3 `_` (Redis's addReplyNullArray).
  virtual void null_array() = 0;
  /// Array of n elements.
  virtual void array(std::size_t n) = 0;
  /// Map of n pairs (RESP2: flat array of 2n).
  virtual void map(std::size_t n) = 0;
  /// Set of n elements (RESP2: array).
  virtual void set(std::size_t n) = 0;
  /// Push frame of n elements (RESP2: array).
  virtual void push(std::size_t n) = 0;
  /// Double (RESP3 `,`; RESP2 bulk string formatted "%.17g").
  virtual void dbl(double v) = 0;
  /// Boolean (RESP3 `#t`/`#f`; RESP2 integer 1/0).
  virtual void boolean(bool v) = 0;
  /// Verbatim string with a 3-letter format, e.g. ("txt", text) (RESP2: bulk string).
  virtual void verbatim(std::string_view format, std::string_view text) = 0;
  /// Switches the wire protocol for the rest of the output (HELLO); no-op for trees.
  virtual void set_protocol(int version) { (void)version; }
  /// The protocol version the reply is rendered for (2 or 3); JSON and capture say 3.
  [[nodiscard]] virtual int protocol() const noexcept { return 3; }
};

}  // namespace kvd::protocol
