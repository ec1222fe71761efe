#include "kvd/util/clock.hpp"

#include <chrono>

namespace kvd::util {
namespace {
std::atomic<std::int64_t> frozen_ms{-1};
}

std::int64_t now_us() noexcept {
  auto f = frozen_ms.load(std::memory_order_relaxed);
  if (f >= 0) return f * 1000;
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t now_ms() noexcept {
  auto f = frozen_ms.load(std::memory_order_relaxed);
  if (f >= 0) return f;
  return now_us() / 1000;
}

void set_clock_for_test(std::int64_t ms) noexcept { frozen_ms.store(ms); }
void advance_clock_for_test(std::int64_t ms) noexcept { frozen_ms.fetch_add(ms); }
void clear_clock_for_test() noexcept { frozen_ms.store(-1); }

}  // namespace kvd::util
