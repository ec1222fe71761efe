// The per-key access metadata Redis keeps in robj->lru (24 bits), which value::lru() holds:
// - under an LRU policy (and noeviction, random, ttl): the LRU clock of the last access,
//   Unix seconds mod 2^24 (Redis LRU_CLOCK, LRU_CLOCK_RESOLUTION 1000 ms);
// - under an LFU policy: the minute of the last decrement in the high 16 bits (Unix minutes
//   mod 2^16) and an 8-bit logarithmic access counter in the low 8 (Redis evict.c, "LFU").
// A policy change does not convert the field: it is read the other way, as Redis does, and
// adjusts with further accesses. Pure functions of their arguments (time in Unix ms passed in),
// after Redis 7.0 src/evict.c and src/object.c.
#pragma once
#include <cstdint>

namespace kvd::store {

/// Redis LRU_CLOCK_MAX: the LRU field's largest value (24 bits).
inline constexpr std::uint32_t lru_clock_max = (1u << 24) - 1;
/// Redis LFU_INIT_VAL: the counter of a new key under an LFU policy (what OBJECT FREQ says).
inline constexpr std::uint32_t lfu_init_val = 5;

/// The LRU clock at `now_ms` (Unix ms): seconds mod 2^24 (Redis getLRUClock).
[[nodiscard]] constexpr std::uint32_t lru_clock(std::int64_t now_ms) noexcept {
  return static_cast<std::uint32_t>(now_ms / 1000) & lru_clock_max;
}

/// Milliseconds since the access recorded in the LRU field `lru`, at `now_ms`, handling one
/// wrap of the 24-bit clock (Redis estimateObjectIdleTime). OBJECT IDLETIME = this / 1000.
[[nodiscard]] constexpr std::uint64_t lru_idle_ms(std::uint32_t lru, std::int64_t now_ms) noexcept {
  std::uint64_t clock = lru_clock(now_ms);
  lru &= lru_clock_max;
  if (clock >= lru) return (clock - lru) * 1000;
  return (clock + (lru_clock_max - lru)) * 1000;
}

/// The LFU minute clock at `now_ms`: Unix minutes mod 2^16 (Redis LFUGetTimeInMinutes).
[[nodiscard]] constexpr std::uint32_t lfu_minutes(std::int64_t now_ms) noexcept {
  return static_cast<std::uint32_t>(now_ms / 1000 / 60) & 65535;
}

/// Minutes from the LFU field's minute `ldt` to `now_min`, with one wrap (LFUTimeElapsed).
[[nodiscard]] constexpr std::uint32_t lfu_elapsed(std::uint32_t ldt, std::uint32_t now_min) noexcept {
  if (now_min >= ldt) return now_min - ldt;
  return 65535 - ldt + now_min;
}

/// Redis LFULogIncr: increments `counter` (0..255) with probability
/// 1 / ((counter - LFU_INIT_VAL) * log_factor + 1); `r` is a uniform draw in [0, 1].
[[nodiscard]] constexpr std::uint32_t lfu_log_incr(std::uint32_t counter, int log_factor, double r) noexcept {
  if (counter >= 255) return 255;
  double baseval = static_cast<double>(counter) - lfu_init_val;
  if (baseval < 0) baseval = 0;
  double p = 1.0 / (baseval * log_factor + 1);
  return r < p ? counter + 1 : counter;
}

/// Redis LFUDecrAndReturn: the counter of LFU field `lru` decayed by one per `decay_time`
/// minutes elapsed since its minute (0 decay_time: no decay). OBJECT FREQ reports it.
[[nodiscard]] constexpr std::uint32_t lfu_decr_and_return(std::uint32_t lru, int decay_time, std::int64_t now_ms) noexcept {
  std::uint32_t ldt = (lru >> 8) & 65535;
  std::uint32_t counter = lru & 255;
  std::uint32_t periods = decay_time > 0 ? lfu_elapsed(ldt, lfu_minutes(now_ms)) / static_cast<std::uint32_t>(decay_time) : 0;
  if (periods) counter = periods > counter ? 0 : counter - periods;
  return counter;
}

/// Redis updateLFU, for an access: decay, then a probabilistic increment; the field gets the
/// current minute. `r` uniform in [0, 1].
[[nodiscard]] constexpr std::uint32_t lfu_touch(std::uint32_t lru, int log_factor, int decay_time, std::int64_t now_ms,
                                                double r) noexcept {
  std::uint32_t counter = lfu_log_incr(lfu_decr_and_return(lru, decay_time, now_ms), log_factor, r);
  return (lfu_minutes(now_ms) << 8) | counter;
}

/// The field of a new object (Redis createObject): LFU_INIT_VAL at the current minute under
/// an LFU policy, else the LRU clock.
[[nodiscard]] constexpr std::uint32_t fresh_lru(bool lfu, std::int64_t now_ms) noexcept {
  return lfu ? (lfu_minutes(now_ms) << 8) | lfu_init_val : lru_clock(now_ms);
}

/// Redis objectSetLRUOrLFU's LRU half (RESTORE IDLETIME, RDB IDLE): the clock `idle_s`
/// seconds before `now_ms`, wrapped into the 24-bit field.
[[nodiscard]] constexpr std::uint32_t lru_from_idle(std::int64_t idle_s, std::int64_t now_ms) noexcept {
  std::int64_t when = static_cast<std::int64_t>(lru_clock(now_ms)) - idle_s;
  if (when < 0) when += lru_clock_max;
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(when) & lru_clock_max);
}

/// Redis objectSetLRUOrLFU's LFU half (RESTORE FREQ, RDB FREQ): counter `freq` (0..255) at
/// the current minute.
[[nodiscard]] constexpr std::uint32_t lfu_from_freq(std::uint32_t freq, std::int64_t now_ms) noexcept {
  return (lfu_minutes(now_ms) << 8) | (freq & 255);
}

}  // namespace kvd::store
