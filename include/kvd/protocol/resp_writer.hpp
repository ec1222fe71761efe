// RESP2 and RESP3 serialization of replies into an output buffer (a std::string owned by
// the session and reused between reads, so steady-state replies allocate nothing).
// Source: Redis protocol spec (RESP2) and RESP3.md; formats match Redis 7.0 networking.c.
#pragma once
#include <string>

#include "kvd/protocol/reply_builder.hpp"

namespace kvd::protocol {

/// Appends RESP2 or RESP3 (`protocol` 2 or 3) frames to `*out`. `out` must outlive it.
class resp_writer final : public reply_builder {
 public:
  explicit resp_writer(std::string* out, int protocol = 2) noexcept : out_(out), proto_(protocol) {}
  void set_protocol(int p) noexcept override { proto_ = p; }
  void set_output(std::string* out) noexcept { out_ = out; }
  [[nodiscard]] int protocol() const noexcept override { return proto_; }

  // The reply_builder events (documented there), rendered as RESP2 or RESP3 frames.
  void simple(std::string_view s) override;
  void error(std::string_view s) override;
  void integer(std::int64_t v) override;
  void bulk(std::string_view s) override;
  void null() override;
  void null_array() override;
  void array(std::size_t n) override;
  void map(std::size_t n) override;
  void set(std::size_t n) override;
  void push(std::size_t n) override;
  void dbl(double v) override;
  void boolean(bool v) override;
  void verbatim(std::string_view format, std::string_view text) override;

 private:
  void header(char c, std::int64_t n);
  std::string* out_;
  int proto_;
};

}  // namespace kvd::protocol
