// Incremental request parser for RESP multibulk frames and telnet-style inline commands,
// with Redis 7.0's rules and error texts (networking.c processMultibulkBuffer,
// processInlineBuffer; sds.c sdssplitargs for inline quoting).
//
// The parser works on the session's read buffer in place: arguments of a complete frame are
// string_views into that buffer (zero-copy). Partial frames keep their progress as offsets, so
// input arriving one byte at a time is parsed in linear time. The buffer may be reallocated
// between calls (offsets stay valid) but its unconsumed bytes must not move until parse()
// returns complete and the caller consumes them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::protocol {

/// Limits from redis.conf 7.0.
struct parser_limits {
  std::int64_t proto_max_bulk_len = 512LL * 1024 * 1024;  ///< bytes, `proto-max-bulk-len`
  std::int64_t max_multibulk_len = 2147483647;  ///< elements (Redis: INT_MAX; 10 before AUTH when auth is on)
  std::size_t max_inline_len = 64 * 1024;                 ///< bytes, PROTO_INLINE_MAX_SIZE
};

/// Result of one parse() call.
enum class parse_status {
  complete,    ///< one command is in `args`; `consumed` bytes may be dropped after use
  empty,       ///< bytes were consumed but formed no command (blank line, `*0`, `*-1`)
  incomplete,  ///< need more bytes; nothing to drop yet
  error        ///< protocol error: reply "-ERR " + error() and close the connection
};

/// Stateful parser; one per connection.
class resp_parser {
 public:
  explicit resp_parser(parser_limits limits = {}) : limits_(limits) {}

  /// Parses at most one command from data[0, size). On `complete` and `empty`, `consumed`
  /// is the number of bytes of the command, counted from `data`; the caller drops them
  /// (and must then pass the remaining bytes, starting at the next command). On `complete`,
  /// `args` holds views into `data` (inline commands with quotes or escapes are unescaped
  /// into storage owned by the parser, valid until the next parse()).
  parse_status parse(const char* data, std::size_t size, std::vector<std::string_view>& args,
                     std::size_t& consumed);

  /// The error text of the last `error` result, e.g. "Protocol error: invalid bulk length".
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

  /// Bytes the pending bulk argument still needs (for sizing reads of large values), or 0.
  [[nodiscard]] std::size_t pending_bulk_bytes(std::size_t available) const noexcept;

  /// True while a multibulk frame is partially parsed.
  [[nodiscard]] bool in_frame() const noexcept { return multibulk_left_ > 0 || pos_ > 0; }

  void set_limits(parser_limits l) noexcept { limits_ = l; }

 private:
  parse_status fail(std::string_view msg);
  parse_status parse_inline(const char* data, std::size_t size, std::vector<std::string_view>& args,
                            std::size_t& consumed);
  void reset() noexcept;

  parser_limits limits_;
  std::string error_;
  // Multibulk progress, as offsets from the start of the current frame.
  std::size_t pos_ = 0;
  std::int64_t multibulk_left_ = 0;  // arguments still to read
  std::int64_t bulk_len_ = -1;       // length of the bulk being read, -1 = need header
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  // Unescaped inline arguments.
  std::vector<std::string> inline_storage_;
};

/// Splits an inline command line into arguments with Redis's sdssplitargs quoting rules.
/// Returns false on unbalanced quotes. Exposed for tests and kvd-cli.
bool split_inline_args(std::string_view line, std::vector<std::string>& out);

}  // namespace kvd::protocol
