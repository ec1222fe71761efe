#define BOOST_TEST_MODULE eviction
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "harness.hpp"
#include "kvd/command/eviction.hpp"
#include "kvd/store/lru.hpp"

// maxmemory eviction, LRU/LFU metadata, OBJECT IDLETIME/FREQ and the -OOM rules. Texts and
// counters were checked against Debian's redis-server 7.0.15. Memory here is the allocator's
// real use, so tests that must evict set maxmemory to 1 byte: every candidate key goes.

namespace {

using kvd::command::eviction_pool;
namespace store = kvd::store;

constexpr std::int64_t t0 = 1'700'000'000'000;  // frozen_clock's start, Unix ms

struct fixture {
  kvd::test::frozen_clock clk;
  kvd::test::harness h;

  std::string run(std::vector<std::string> args) { return h.run(std::move(args)).debug_string(); }
  std::uint64_t evicted() { return h.state().eviction.evicted_keys.load(); }
};

const std::string oom = "-OOM command not allowed when used memory > 'maxmemory'.";

}  // namespace

BOOST_AUTO_TEST_SUITE(eviction)

// ---- LRU / LFU arithmetic (store/lru.hpp, Redis evict.c) ----

BOOST_AUTO_TEST_CASE(lru_clock_and_idle) {
  BOOST_TEST(store::lru_clock(t0) == ((t0 / 1000) & store::lru_clock_max));
  std::uint32_t lru = store::lru_clock(t0);
  BOOST_TEST(store::lru_idle_ms(lru, t0 + 10'500) == 10'000u);  // seconds resolution
  // Wrap of the 24-bit clock: an access just before the wrap, read just after.
  std::int64_t wrap_ms = (std::int64_t{1} << 24) * 1000 * 100;  // a multiple of the period
  BOOST_TEST(store::lru_clock(wrap_ms) == 0u);
  BOOST_TEST(store::lru_idle_ms(store::lru_clock_max - 4, wrap_ms + 3000) == (3 + 4) * 1000u);
  // objectSetLRUOrLFU: IDLETIME n puts the clock n seconds back, wrapping below 0.
  BOOST_TEST(store::lru_idle_ms(store::lru_from_idle(1000, t0), t0) == 1'000'000u);
  BOOST_TEST(store::lru_from_idle(5, wrap_ms) == store::lru_clock_max - 5);
}

BOOST_AUTO_TEST_CASE(lfu_counter_math) {
  // LFULogIncr: probability 1 / ((counter - 5) * factor + 1); always at or below LFU_INIT_VAL.
  BOOST_TEST(store::lfu_log_incr(0, 10, 0.999) == 1u);
  BOOST_TEST(store::lfu_log_incr(5, 10, 0.999) == 6u);
  BOOST_TEST(store::lfu_log_incr(6, 10, 0.0900) == 7u);  // p = 1/11 = 0.0909
  BOOST_TEST(store::lfu_log_incr(6, 10, 0.0910) == 6u);
  BOOST_TEST(store::lfu_log_incr(255, 0, 0.0) == 255u);  // saturates
  BOOST_TEST(store::lfu_log_incr(100, 0, 0.999) == 101u);  // factor 0: every access counts
  // Expected accesses to reach a counter with factor 10: sum of 1/p = ~ (c-5)^2 * 5.
  // LFUDecrAndReturn: one per lfu-decay-time minutes since the field's minute.
  std::uint32_t f = store::lfu_from_freq(20, t0);
  BOOST_TEST(store::lfu_decr_and_return(f, 1, t0) == 20u);
  BOOST_TEST(store::lfu_decr_and_return(f, 1, t0 + 3 * 60'000) == 17u);
  BOOST_TEST(store::lfu_decr_and_return(f, 2, t0 + 3 * 60'000) == 19u);
  BOOST_TEST(store::lfu_decr_and_return(f, 0, t0 + 300 * 60'000) == 20u);  // decay off
  BOOST_TEST(store::lfu_decr_and_return(f, 1, t0 + 300 * 60'000) == 0u);
  // A fresh object under LFU: LFU_INIT_VAL at the current minute.
  BOOST_TEST((store::fresh_lru(true, t0) & 255) == store::lfu_init_val);
  BOOST_TEST(store::fresh_lru(false, t0) == store::lru_clock(t0));
  // updateLFU: decay first, then increment, and the minute moves to now.
  std::uint32_t touched = store::lfu_touch(f, 10, 1, t0 + 3 * 60'000, 0.999);
  BOOST_TEST((touched & 255) == 17u);
  BOOST_TEST((touched >> 8) == store::lfu_minutes(t0 + 3 * 60'000));
  // The minute clock wraps at 2^16.
  BOOST_TEST(store::lfu_elapsed(65530, 4) == 9u);
}

BOOST_AUTO_TEST_CASE(lfu_counter_grows_logarithmically) {
  // With lfu-log-factor 10, 1000 accesses give a counter near 5 + sqrt(2*1000/10) = ~19
  // (Redis's table in redis.conf: 100 hits -> 10, 1K -> 18, 100K -> 142 for factor 10... it
  // is logarithmic-ish); only bounds are asserted.
  std::uint32_t c = store::lfu_init_val;
  std::uint64_t x = 12345;
  for (int i = 0; i < 1000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    double r = static_cast<double>(x >> 11) / static_cast<double>(1ULL << 53);
    c = store::lfu_log_incr(c, 10, r);
  }
  BOOST_TEST(c > 12u);
  BOOST_TEST(c < 30u);
}

BOOST_AUTO_TEST_CASE(time_limit_from_tenacity) {
  BOOST_TEST(kvd::command::eviction_time_limit_us(0) == 0u);
  BOOST_TEST(kvd::command::eviction_time_limit_us(10) == 500u);
  BOOST_TEST(kvd::command::eviction_time_limit_us(11) == 575u);  // 500 * 1.15
  BOOST_TEST(kvd::command::eviction_time_limit_us(99) > 100'000'000u);
  BOOST_TEST(kvd::command::eviction_time_limit_us(100) == UINT64_MAX);
}

// ---- The eviction pool (Redis evictionPoolPopulate / performEvictions) ----

BOOST_AUTO_TEST_CASE(pool_keeps_the_best_sixteen) {
  eviction_pool p;
  for (int i = 0; i < 40; ++i) p.insert(0, "k" + std::to_string(i), static_cast<std::uint64_t>((i * 7) % 40));
  // Ascending, full, and holding the 16 largest idle values 24..39.
  const auto& e = p.entries();
  for (std::size_t k = 0; k < eviction_pool::capacity; ++k) {
    BOOST_TEST(e[k].db == 0);
    BOOST_TEST(e[k].idle == 24 + k);
  }
  // Worse than all in a full pool: dropped.
  p.insert(1, "low", 3);
  BOOST_TEST(p.entries()[0].idle == 24u);
  // Pops go best first.
  eviction_pool::entry out;
  BOOST_TEST(p.pop_best(out));
  BOOST_TEST(out.idle == 39u);
  BOOST_TEST(p.pop_best(out));
  BOOST_TEST(out.idle == 38u);
}

BOOST_AUTO_TEST_CASE(pool_insert_with_free_space_shifts_right) {
  eviction_pool p;
  p.insert(0, "a", 10);
  p.insert(0, "b", 30);
  p.insert(2, "c", 20);
  const auto& e = p.entries();
  BOOST_TEST(e[0].key == "a");
  BOOST_TEST(e[1].key == "c");
  BOOST_TEST(e[1].db == 2);
  BOOST_TEST(e[2].key == "b");
  BOOST_TEST(e[3].db == -1);
  eviction_pool::entry out;
  BOOST_TEST(p.pop_best(out));
  BOOST_TEST(out.key == "b");
  p.clear();
  BOOST_TEST(!p.pop_best(out));
}

// ---- Access metadata through the commands ----

BOOST_FIXTURE_TEST_CASE(object_idletime_and_freq, fixture) {
  BOOST_TEST(run({"SET", "k", "v"}) == "+OK");
  clk.advance(10'000);
  BOOST_TEST(run({"OBJECT", "IDLETIME", "k"}) == "10");
  BOOST_TEST(run({"TYPE", "k"}) == "+string");      // LOOKUP_NOTOUCH
  BOOST_TEST(run({"EXISTS", "k"}) == "1");          // LOOKUP_NOTOUCH
  BOOST_TEST(run({"OBJECT", "IDLETIME", "k"}) == "10");
  BOOST_TEST(run({"OBJECT", "FREQ", "k"}) ==
             "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
             "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  BOOST_TEST(run({"GET", "k"}) == "\"v\"");
  BOOST_TEST(run({"OBJECT", "IDLETIME", "k"}) == "0");
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}) == "+OK");
  BOOST_TEST(run({"OBJECT", "IDLETIME", "k"}) ==
             "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
             "between policies at runtime LRU and LFU data will take some time to adjust.");
  // The LRU clock read as LFU data (not converted, as Redis): the minute is decades off.
  BOOST_TEST(run({"OBJECT", "FREQ", "k"}) == "0");
  BOOST_TEST(run({"SET", "n", "v"}) == "+OK");
  BOOST_TEST(run({"OBJECT", "FREQ", "n"}) == "5");  // LFU_INIT_VAL
  BOOST_TEST(run({"CONFIG", "SET", "lfu-log-factor", "0"}) == "+OK");  // every access counts
  for (int i = 0; i < 3; ++i) BOOST_TEST(run({"GET", "n"}) == "\"v\"");
  BOOST_TEST(run({"OBJECT", "FREQ", "n"}) == "8");
  BOOST_TEST(run({"SET", "n", "w"}) == "+OK");  // overwrite keeps the counter (dbOverwrite) + 1 access
  BOOST_TEST(run({"OBJECT", "FREQ", "n"}) == "9");
  clk.advance(3 * 60'000);
  BOOST_TEST(run({"OBJECT", "FREQ", "n"}) == "6");  // lfu-decay-time 1: one per minute
  BOOST_TEST(run({"CONFIG", "SET", "lfu-decay-time", "0"}) == "+OK");
  BOOST_TEST(run({"OBJECT", "FREQ", "n"}) == "9");
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory-policy", "noeviction"}) == "+OK");
}

BOOST_FIXTURE_TEST_CASE(rename_and_move_keep_the_access_time, fixture) {
  BOOST_TEST(run({"SET", "a", "1"}) == "+OK");
  clk.advance(50'000);
  BOOST_TEST(run({"RENAME", "a", "b"}) == "+OK");  // lookupKeyWrite touches the source first
  clk.advance(20'000);
  BOOST_TEST(run({"OBJECT", "IDLETIME", "b"}) == "20");
  BOOST_TEST(run({"MOVE", "b", "1"}) == "1");
  BOOST_TEST(run({"SELECT", "1"}) == "+OK");
  BOOST_TEST(run({"OBJECT", "IDLETIME", "b"}) == "0");  // MOVE looks the key up for writing
}

// ---- Configuration ----

BOOST_FIXTURE_TEST_CASE(config_options, fixture) {
  BOOST_TEST(run({"CONFIG", "GET", "maxmemory-samples"}) == "{\"maxmemory-samples\":\"5\"}");
  BOOST_TEST(run({"CONFIG", "GET", "maxmemory-eviction-tenacity"}) == "{\"maxmemory-eviction-tenacity\":\"10\"}");
  BOOST_TEST(run({"CONFIG", "GET", "lfu-log-factor"}) == "{\"lfu-log-factor\":\"10\"}");
  BOOST_TEST(run({"CONFIG", "GET", "lfu-decay-time"}) == "{\"lfu-decay-time\":\"1\"}");
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory-samples", "0"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument must be between 1 "
             "and 2147483647 inclusive");
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory-eviction-tenacity", "101"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-eviction-tenacity') - argument must be "
             "between 0 and 100 inclusive");
  BOOST_TEST(run({"CONFIG", "SET", "lfu-log-factor", "-1"}) ==
             "-ERR CONFIG SET failed (possibly related to argument 'lfu-log-factor') - argument must be between 0 and "
             "2147483647 inclusive");
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory-samples", "10"}) == "+OK");
  BOOST_TEST(h.state().config.maxmemory_samples.load() == 10);
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory-policy", "VOLATILE-TTL"}) == "+OK");
  BOOST_TEST(h.state().config.maxmemory_policy_code.load() == kvd::config::policy_volatile_ttl);
}

// ---- Eviction and -OOM through the dispatcher ----

BOOST_FIXTURE_TEST_CASE(noeviction_refuses_denyoom_commands, fixture) {
  BOOST_TEST(run({"SET", "k", "v"}) == "+OK");
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory", "1"}) == "+OK");
  BOOST_TEST(h.wire({"SET", "x", "1"}) == oom + "\r\n");
  BOOST_TEST(run({"GET", "k"}) == "\"v\"");  // not denyoom: runs
  BOOST_TEST(run({"EXPIRE", "k", "100"}) == "1");
  BOOST_TEST(run({"DEL", "k"}) == "1");
  BOOST_TEST(evicted() == 0u);
  auto stats = h.run({"INFO", "stats"}).debug_string();
  BOOST_TEST(stats.find("evicted_keys:0") != std::string::npos);
  BOOST_TEST(stats.find("current_eviction_exceeded_time:") != std::string::npos);
  auto mem = h.run({"INFO", "memory"}).debug_string();
  BOOST_TEST(mem.find("maxmemory_human:1B") != std::string::npos);
  BOOST_TEST(mem.find("maxmemory_policy:noeviction") != std::string::npos);
  BOOST_TEST(mem.find("mem_not_counted_for_evict:0") != std::string::npos);
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory", "0"}) == "+OK");
  BOOST_TEST(run({"SET", "x", "1"}) == "+OK");
}

BOOST_FIXTURE_TEST_CASE(oom_inside_multi, fixture) {
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory", "1"}) == "+OK");
  // Queuing anything is refused (and flags the transaction); EXEC then aborts.
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"GET", "a"}) == oom);
  BOOST_TEST(run({"SET", "b", "1"}) == oom);
  BOOST_TEST(run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.");
  // Queued before the limit was crossed: a transaction with a denyoom command is refused at
  // EXEC, one without runs.
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory", "0"}) == "+OK");
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"SET", "b", "1"}) == "+QUEUED");
  h.state().config.maxmemory = 1;
  BOOST_TEST(run({"EXEC"}) ==
             "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.");
  BOOST_TEST(run({"EXEC"}) == "-ERR EXEC without MULTI");
  h.state().config.maxmemory = 0;
  BOOST_TEST(run({"MULTI"}) == "+OK");
  BOOST_TEST(run({"GET", "b"}) == "+QUEUED");
  h.state().config.maxmemory = 1;
  BOOST_TEST(run({"EXEC"}) == "[nil]");
  BOOST_TEST(run({"MULTI"}) == "+OK");  // MULTI itself is not denyoom
  BOOST_TEST(run({"DISCARD"}) == "+OK");
  h.state().config.maxmemory = 0;
}

BOOST_FIXTURE_TEST_CASE(volatile_policies_spare_keys_without_ttl, fixture) {
  for (auto policy : {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}) {
    BOOST_TEST_CONTEXT(policy) {
      BOOST_TEST(run({"FLUSHALL"}) == "+OK");
      BOOST_TEST(run({"CONFIG", "SET", "maxmemory-policy", policy}) == "+OK");
      for (int i = 0; i < 20; ++i) {
        BOOST_TEST(run({"SET", "keep" + std::to_string(i), "v"}) == "+OK");
        BOOST_TEST(run({"SET", "vol" + std::to_string(i), "v", "EX", "1000"}) == "+OK");
      }
      BOOST_TEST(run({"SELECT", "3"}) == "+OK");
      BOOST_TEST(run({"SET", "vol-db3", "v", "EX", "1000"}) == "+OK");
      BOOST_TEST(run({"SELECT", "0"}) == "+OK");
      auto before = evicted();
      // No time limit (as in the case below): under TSan or on a loaded machine the 500 us
      // of tenacity 10 may end the pass early, and the command runs (Redis EVICT_RUNNING).
      h.state().config.maxmemory_eviction_tenacity = 100;
      h.state().config.maxmemory = 1;
      // Every volatile key goes (memory stays above 1 byte), then nothing is left: -OOM.
      BOOST_TEST(h.wire({"SET", "x", "1"}) == oom + "\r\n");
      h.state().config.maxmemory_eviction_tenacity = 10;
      h.state().config.maxmemory = 0;
      BOOST_TEST(evicted() - before == 21u);
      BOOST_TEST(run({"DBSIZE"}) == "20");
      BOOST_TEST(run({"EXISTS", "keep0", "keep19"}) == "2");
      BOOST_TEST(run({"SELECT", "3"}) == "+OK");
      BOOST_TEST(run({"DBSIZE"}) == "0");
      BOOST_TEST(run({"SELECT", "0"}) == "+OK");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(allkeys_policies_evict_everything_when_needed, fixture) {
  for (auto policy : {"allkeys-lru", "allkeys-lfu", "allkeys-random"}) {
    BOOST_TEST_CONTEXT(policy) {
      BOOST_TEST(run({"FLUSHALL"}) == "+OK");
      BOOST_TEST(run({"CONFIG", "SET", "maxmemory-policy", policy}) == "+OK");
      for (int i = 0; i < 50; ++i) BOOST_TEST(run({"SET", "k" + std::to_string(i), "v"}) == "+OK");
      BOOST_TEST(run({"SELECT", "5"}) == "+OK");
      BOOST_TEST(run({"RPUSH", "l", "a", "b"}) == "2");
      BOOST_TEST(run({"SELECT", "0"}) == "+OK");
      auto before = evicted();
      // No time limit: on a loaded machine 500 us (tenacity 10) may end the pass before the
      // last key, and the rest would be left to the cron.
      h.state().config.maxmemory_eviction_tenacity = 100;
      h.state().config.maxmemory = 1;
      BOOST_TEST(run({"GET", "k1"}) == "nil");  // not denyoom: runs after evicting everything
      h.state().config.maxmemory_eviction_tenacity = 10;
      h.state().config.maxmemory = 0;
      BOOST_TEST(evicted() - before == 51u);
      BOOST_TEST(run({"DBSIZE"}) == "0");
    }
  }
}

BOOST_FIXTURE_TEST_CASE(eviction_touches_watchers_and_notifies, fixture) {
  BOOST_TEST(run({"CONFIG", "SET", "maxmemory-policy", "allkeys-random"}) == "+OK");
  BOOST_TEST(run({"SET", "w", "1"}) == "+OK");
  BOOST_TEST(run({"WATCH", "w"}) == "+OK");
  h.state().config.maxmemory = 1;
  BOOST_TEST(run({"MULTI"}) == "+OK");  // the eviction before MULTI deletes w
  h.state().config.maxmemory = 0;
  BOOST_TEST(run({"SET", "w", "2"}) == "+QUEUED");
  BOOST_TEST(run({"EXEC"}) == "nil");  // the WATCHed key was evicted: aborted
  BOOST_TEST(evicted() == 1u);
  auto stats = h.run({"INFO", "stats"}).debug_string();
  BOOST_TEST(stats.find("evicted_keys:1") != std::string::npos);
  BOOST_TEST(run({"CONFIG", "RESETSTAT"}) == "+OK");
  BOOST_TEST(evicted() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
