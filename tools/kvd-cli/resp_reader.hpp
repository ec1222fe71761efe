// kvd-cli RESP2/RESP3 reply reader: decodes server replies (not requests) from a byte buffer,
// per the RESP3 specification (redis-specification protocol/RESP3.md): + - : $ * and the RESP3
// types _ , # ! = ( % ~ > and attributes | (read and dropped, as redis-cli does).
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "reply.hpp"

namespace kvd::cli {

/// A malformed reply: the connection cannot be trusted any more.
struct protocol_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Incremental reader: feed() bytes as they arrive, next() returns a whole reply once one is
/// buffered (nullopt until then). Throws protocol_error on bytes that are not RESP.
class resp_reader {
 public:
  /// Appends received bytes to the internal buffer.
  void feed(std::string_view bytes) { buf_.append(bytes); }

  /// The next complete reply, removing its bytes from the buffer; nullopt when incomplete.
  std::optional<reply> next();

  /// Bytes buffered and not yet consumed by next().
  std::size_t buffered() const noexcept { return buf_.size() - pos_; }

 private:
  // Parses one value at pos; returns false (pos unspecified) when more bytes are needed.
  bool parse(std::size_t& pos, reply& out, int depth);
  bool read_line(std::size_t& pos, std::string_view& line);

  std::string buf_;
  std::size_t pos_ = 0;
};

/// Encodes a command as a RESP array of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").
std::string encode_command(const std::vector<std::string>& args);

}  // namespace kvd::cli
