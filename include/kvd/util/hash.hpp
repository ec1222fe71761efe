// Seeded 64-bit hash for keys (multiply-fold construction in the style of wyhash).
// The seed is random per process, so hostile clients cannot precompute collisions.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kvd::util {

/// Process-wide random seed, set once at start-up by init_hash_seed().
extern std::uint64_t hash_seed;

/// Draws a random seed from std::random_device. Call once before any keyspace is built.
void init_hash_seed();

namespace detail {
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}
}  // namespace detail

/// Hashes `s` with the process seed. Pure function of (seed, bytes).
inline std::uint64_t hash_bytes(std::string_view s) noexcept {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL,
                          k2 = 0x8ebc6af09c88c6e3ULL;
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = hash_seed ^ (n * k0);
  while (n >= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    h = detail::mix(a ^ k1 ^ h, b ^ k2);
    p += 16;
    n -= 16;
  }
  std::uint64_t a = 0, b = 0;
  if (n >= 8) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + n - 8, 8);
  } else if (n > 0) {
    std::memcpy(&a, p, n);
  }
  h = detail::mix(a ^ k1 ^ h, b ^ k2 ^ n);
  return detail::mix(h ^ k0, k1 ^ h);
}

}  // namespace kvd::util
