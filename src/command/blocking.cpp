// Blocking commands: timeout parsing and the waiter registry (see blocking.hpp).
#include "kvd/command/blocking.hpp"

#include <cmath>

#include "kvd/command/client_context.hpp"
#include "kvd/util/clock.hpp"
#include "kvd/util/numbers.hpp"

namespace kvd::command {

std::optional<std::int64_t> parse_block_timeout(command_context& c, std::string_view arg) {
  // Redis getTimeoutFromObjectOrReply(UNIT_SECONDS): string2ld, times 1000, truncated.
  auto f = util::parse_long_double(arg);
  if (!f || std::isnan(*f)) return c.rb.error("ERR timeout is not a float or out of range"), std::nullopt;
  long double ms = *f * 1000.0L;
  if (ms < 0) return c.rb.error("ERR timeout is negative"), std::nullopt;
  if (ms >= static_cast<long double>(INT64_MAX - util::now_ms()))
    return c.rb.error("ERR timeout is out of range"), std::nullopt;
  return static_cast<std::int64_t>(ms);
}

bool may_block(const command_context& c) noexcept {
  (void)c;
  return false;  // the waiter registry lands in the next commit
}

void reply_timeout(command_context& c, block_timeout_reply r) {
  if (r == block_timeout_reply::null_array) c.rb.null_array();
  else c.rb.null();
}

void block(command_context& c, std::vector<std::string>, std::vector<std::string>, std::int64_t,
           block_timeout_reply on_timeout, serve_fn) {
  reply_timeout(c, on_timeout);
}

}  // namespace kvd::command
