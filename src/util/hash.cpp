#include "kvd/util/hash.hpp"

#include <random>

namespace kvd::util {
std::uint64_t hash_seed = 0x9e3779b97f4a7c15ULL;

void init_hash_seed() {
  std::random_device rd;
  hash_seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}
}  // namespace kvd::util
