#!/usr/bin/python3
"""BGSAVE / BGREWRITEAOF stall: max GET latency while the command forks, and INFO
latest_fork_usec (the time every shard lock is held: for BGREWRITEAOF that includes switching
the AOF to a new incr file). Usage: tools/bench/bgsave-stall.py <port> [--rewrite]
(a kvd with data loaded; --rewrite needs appendonly yes)."""
import redis, threading, time, sys
port = int(sys.argv[1])
rewrite = "--rewrite" in sys.argv[2:]
name, busy = ("BGREWRITEAOF", "aof_rewrite_in_progress") if rewrite else ("BGSAVE", "rdb_bgsave_in_progress")
r = redis.Redis(port=port); c = redis.Redis(port=port)
def lat(seconds):
    worst = 0; end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter(); r.get("key:1"); worst = max(worst, time.perf_counter() - t)
    return worst
base = lat(2.0)
res = []
for i in range(5):
    box = {}
    th = threading.Thread(target=lambda: box.setdefault("w", lat(0.6))); th.start()
    time.sleep(0.1)
    c.bgrewriteaof() if rewrite else c.bgsave()
    th.join()
    while c.info("persistence")[busy]: time.sleep(0.05)
    res.append((box["w"] * 1000, c.info("stats")["latest_fork_usec"] / 1000))
print(f"baseline max GET latency over 2 s: {base*1000:.1f} ms")
for w, f in res: print(f"{name}: max GET latency {w:.1f} ms, fork (locks held) {f:.1f} ms")
