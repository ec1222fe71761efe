#include "kvd/util/memory_meter.hpp"

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

// jemalloc's control interface, present when kvd-server links jemalloc (weak otherwise).
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp, std::size_t newlen)
    __attribute__((weak));

namespace kvd::util::memory_meter {
namespace {

/// One registered thread's jemalloc counters (null when the slot is free).
struct slot {
  std::atomic<const std::uint64_t*> allocated{nullptr};
  std::atomic<const std::uint64_t*> deallocated{nullptr};
};

constexpr int max_slots = 256;
slot slots[max_slots];
std::atomic<int> slots_used{0};               ///< slots [0, slots_used) may be live
std::atomic<int> readers{0};                  ///< used_bytes() calls summing right now
std::atomic<std::int64_t> retired{0};         ///< final balance of exited threads
std::mutex registry_mu;                       ///< registration and exit

std::uint64_t load(const std::uint64_t* p) noexcept { return __atomic_load_n(p, __ATOMIC_RELAXED); }

/// The calling thread's counters, or false when jemalloc (with stats) is absent.
bool thread_counters(std::uint64_t*& a, std::uint64_t*& d) noexcept {
  if (!mallctl) return false;
  std::size_t sz = sizeof a;
  if (mallctl("thread.allocatedp", &a, &sz, nullptr, 0) != 0) return false;
  sz = sizeof d;
  if (mallctl("thread.deallocatedp", &d, &sz, nullptr, 0) != 0) return false;
  return a && d;
}

bool detect_exact() noexcept {
  std::uint64_t *a = nullptr, *d = nullptr;
  return thread_counters(a, d);
}

bool exact_mode() noexcept {
  static const bool on = detect_exact();
  return on;
}

/// Registers the thread on first use; its destructor (thread exit) folds the thread's
/// balance into `retired` and frees the slot, after any reader summing it has finished.
struct registration {
  int index = -1;
  registration() noexcept {
    std::uint64_t *a = nullptr, *d = nullptr;
    if (!thread_counters(a, d)) return;
    std::lock_guard lk(registry_mu);
    int used = slots_used.load();
    for (int i = 0; i < used; ++i)
      if (!slots[i].allocated.load()) {
        index = i;
        break;
      }
    if (index < 0 && used < max_slots) {
      index = used;
      slots_used.store(used + 1);
    }
    if (index < 0) return;  // more than max_slots threads: this one is not counted
    slots[index].deallocated.store(d);
    slots[index].allocated.store(a);
  }
  ~registration() {
    if (index < 0) return;
    std::lock_guard lk(registry_mu);
    auto& s = slots[index];
    const std::uint64_t* a = s.allocated.load();
    const std::uint64_t* d = s.deallocated.load();
    retired.fetch_add(static_cast<std::int64_t>(load(a) - load(d)));
    s.allocated.store(nullptr);
    s.deallocated.store(nullptr);
    // A reader that saw the pointers before they were cleared may still read them: the
    // counters live in this thread's TLS, so wait for it before the thread goes.
    while (readers.load() != 0) std::this_thread::yield();
  }
  registration(const registration&) = delete;
  registration& operator=(const registration&) = delete;
};

void ensure_registered() noexcept {
  thread_local registration r;
  (void)r;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizer runtime's allocator statistics (sanitizer/allocator_interface.h, which GCC 12
// does not ship): bytes allocated and not yet freed.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

std::int64_t mallinfo_bytes() noexcept {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // ASan and TSan replace malloc, so mallinfo2 reads 0 there; their allocator counts instead
  // (tools/test --sanitize runs the eviction tests too).
  return static_cast<std::int64_t>(__sanitizer_get_current_allocated_bytes());
#else
  struct mallinfo2 mi = mallinfo2();
  return static_cast<std::int64_t>(mi.uordblks + mi.hblkhd);
#endif
}

std::int64_t now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

bool exact() noexcept { return exact_mode(); }

void register_thread() noexcept {
  if (exact_mode()) ensure_registered();
}

std::int64_t used_bytes() noexcept {
  if (!exact_mode()) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    // The sanitizer's counters are cheap to read: no sampling, so that an eviction sees the
    // bytes each deleted key gave back (a stale value made it evict far past the limit).
    return mallinfo_bytes();
#endif
    // mallinfo2 walks the arenas under their locks: sample it at most every 10 ms.
    static std::atomic<std::int64_t> cached{0}, cached_at{-1000};
    std::int64_t now = now_ms();
    if (now - cached_at.load(std::memory_order_relaxed) >= 10) {
      cached.store(mallinfo_bytes(), std::memory_order_relaxed);
      cached_at.store(now, std::memory_order_relaxed);
    }
    return cached.load(std::memory_order_relaxed);
  }
  ensure_registered();
  readers.fetch_add(1);
  std::int64_t sum = retired.load();
  int n = slots_used.load();
  for (int i = 0; i < n; ++i) {
    const std::uint64_t* a = slots[i].allocated.load();
    const std::uint64_t* d = slots[i].deallocated.load();
    if (a && d) sum += static_cast<std::int64_t>(load(a) - load(d));
  }
  readers.fetch_sub(1);
  return sum > 0 ? sum : 0;
}

std::int64_t allocator_allocated() noexcept {
  if (mallctl) {
    std::uint64_t epoch = 1;
    std::size_t sz = sizeof epoch;
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    std::size_t allocated = 0;
    sz = sizeof allocated;
    if (mallctl("stats.allocated", &allocated, &sz, nullptr, 0) == 0) return static_cast<std::int64_t>(allocated);
  }
  return mallinfo_bytes();
}

}  // namespace kvd::util::memory_meter
