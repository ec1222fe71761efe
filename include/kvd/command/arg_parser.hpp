// A small cursor over command arguments that latches the first error, so option parsing
// in handlers stays linear. Model: dragonfly src/facade/cmd_arg_parser.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "kvd/command/command_table.hpp"
#include "kvd/command/error.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {

/// Reads args[pos...] left to right. After the first failure every call fails and
/// error() names the Redis error text to reply.
class arg_parser {
 public:
  arg_parser(args_view args, std::size_t pos) noexcept : args_(args), pos_(pos) {}

  [[nodiscard]] bool has_next() const noexcept { return !err_ && pos_ < args_.size(); }
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }

  /// The next argument as text; sets syntax error when none is left.
  std::string_view next() noexcept {
    if (err_ || pos_ >= args_.size()) return fail(err::syntax), std::string_view{};
    return args_[pos_++];
  }
  /// The next argument as a 64-bit integer (Redis string2ll rules), else not_integer.
  std::int64_t next_int() noexcept {
    auto s = next();
    if (err_) return 0;
    auto v = util::parse_int64(s);
    if (!v) return fail(err::not_integer), 0;
    return *v;
  }
  /// When the next argument equals `word` (ASCII case-insensitive), consumes it.
  bool check(std::string_view word) noexcept {
    if (err_ || pos_ >= args_.size() || !iequals(args_[pos_], word)) return false;
    ++pos_;
    return true;
  }
  /// Latches `e` as the error when none is set yet.
  void fail(std::string_view e) noexcept {
    if (!err_) err_ = e;
  }
  [[nodiscard]] bool ok() const noexcept { return !err_; }
  [[nodiscard]] std::string_view error() const noexcept { return err_ ? *err_ : std::string_view{}; }

 private:
  args_view args_;
  std::size_t pos_;
  std::optional<std::string_view> err_;
};

}  // namespace kvd::command
