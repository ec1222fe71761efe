// Used memory, cheaply enough to be read before every command (the maxmemory check, Redis
// performEvictions → getMaxmemoryState → zmalloc_used_memory()).
//
// How it is measured: jemalloc keeps, per thread, two monotonic byte counters of the usable
// size of every allocation and deallocation that thread made (mallctl `thread.allocatedp` /
// `thread.deallocatedp`, pointers to the counters, updated on jemalloc's fast path). The meter
// registers each thread that calls it (and threads that call register_thread()), and sums
// allocated - deallocated over the registered threads, plus the final balance of registered
// threads that have exited. Memory a thread frees that another allocated cancels out in the
// sum, so the total is the bytes currently allocated by the registered threads' history: the
// same quantity as Redis's zmalloc used_memory counter, exact to the byte and without a
// shared atomic on every malloc. Threads that never register (the allocator's own, libraries'
// helpers) are not counted; kvd registers every thread it starts. Cost of a read: one atomic
// increment/decrement plus two loads per registered thread (a handful).
//
// Without jemalloc (sanitizer and fuzz builds, unit tests), the meter falls back to glibc's
// mallinfo2 (bytes in use), sampled at most every 10 ms by used_bytes().
#pragma once
#include <cstdint>

namespace kvd::util::memory_meter {

/// True when the per-thread jemalloc counters are available (kvd-server links jemalloc).
[[nodiscard]] bool exact() noexcept;

/// Registers the calling thread's counters (idempotent; cheap after the first call). Its
/// balance is kept after it exits. Threads that call used_bytes() register themselves.
void register_thread() noexcept;

/// Bytes currently allocated (Redis used_memory / zmalloc_used_memory). Thread-safe; cheap
/// (see above). Never negative.
[[nodiscard]] std::int64_t used_bytes() noexcept;

/// The allocator's own total (jemalloc `stats.allocated` after an `epoch` refresh; mallinfo2
/// without jemalloc): slower (merges every arena's stats), includes thread-cached regions.
/// For INFO allocator_allocated and cross-checks.
[[nodiscard]] std::int64_t allocator_allocated() noexcept;

}  // namespace kvd::util::memory_meter
