// Injectable wall clock for expiry and server time.
// Source: Redis keeps expires as absolute Unix times in milliseconds (mstime()).
#pragma once
#include <atomic>
#include <cstdint>

namespace kvd::util {

/// Returns the current Unix time in milliseconds. Tests replace it with set_clock_for_test().
std::int64_t now_ms() noexcept;

/// Returns the current Unix time in microseconds (same clock as now_ms()).
std::int64_t now_us() noexcept;

/// Freezes the clock at `ms` (Unix milliseconds) until cleared with clear_clock_for_test().
/// Only for single-threaded unit tests.
void set_clock_for_test(std::int64_t ms) noexcept;

/// Moves a frozen test clock forward by `ms` milliseconds.
void advance_clock_for_test(std::int64_t ms) noexcept;

/// Returns the clock to real time.
void clear_clock_for_test() noexcept;

}  // namespace kvd::util
