// The command hot path allocates nothing beyond the value stored: GET, SET over an existing
// key, INCR, EXISTS, PING through the dispatcher and the RESP writer (output buffer reused).
// Counted by replacing the global operator new in this test binary.
#define BOOST_TEST_MODULE hot_path_alloc
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "harness.hpp"

namespace {
std::atomic<long> allocations{0};
}

// The replacement pair below is malloc/free on purpose; GCC cannot see they match.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

BOOST_AUTO_TEST_CASE(get_set_incr_allocate_nothing_in_steady_state) {
  kvd::test::harness h;
  // A command preempted for 10 ms on a loaded machine would be copied into the slow log.
  h.state().config.slowlog_log_slower_than = -1;
  h.run({"SET", "key:000000000001", "0123456789abcdef"});
  h.run({"SET", "counter", "1"});
  std::vector<std::vector<std::string_view>> cmds = {
      {"GET", "key:000000000001"}, {"SET", "key:000000000001", "fedcba9876543210"},
      {"INCR", "counter"},         {"EXISTS", "key:000000000001"},
      {"PING"},                    {"GET", "missing"},
  };
  std::string out;
  out.reserve(1 << 16);
  kvd::protocol::resp_writer w(&out, 2);
  auto& disp = *new kvd::command::dispatcher(h.state());
  for (auto& c : cmds) disp.execute(h.client(), c, w);  // warm up (first touches may grow buffers)
  out.clear();
  long before = allocations.load();
  for (int i = 0; i < 1000; ++i) {
    for (auto& c : cmds) disp.execute(h.client(), c, w);
    out.clear();
  }
  BOOST_TEST(allocations.load() - before == 0);
  delete &disp;
}
