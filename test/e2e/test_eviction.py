"""maxmemory and eviction with python3-redis against the real kvd-server.

For each maxmemory-policy the test fills past the limit (8 MB above the server's memory at
the start of the test) and checks the policy's choice statistically: allkeys-lru keeps keys
read recently, allkeys-lfu keeps keys read often, volatile-* never evict keys without a TTL,
volatile-ttl evicts the nearest expires first, allkeys-random takes from old and new keys
alike. Also: used_memory stays near maxmemory, noeviction answers -OOM to writes while GET
and DEL run, evicted keys reach the AOF as DEL and `__keyevent@0__:evicted` subscribers, a
WATCHed key that is evicted aborts EXEC, OBJECT IDLETIME / FREQ, INFO fields. Every loop is
bounded; the file takes well under a minute.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402
from curl_client import curl  # noqa: E402

LIMIT_ABOVE_START = 8 * 1024 * 1024  # maxmemory = used memory at the start + this
VALUE = "x" * 1000
OOM = "command not allowed when used memory > 'maxmemory'."


def used_memory(r):
    return int(r.info("memory")["used_memory"])


def evicted_keys(r):
    return int(r.info("stats")["evicted_keys"])


def setup(r, policy, samples=5):
    """Empties the server, sets the policy and a limit 8 MB above current use."""
    r.config_set("maxmemory", 0)
    r.flushall()
    r.config_resetstat()
    r.config_set("maxmemory-policy", policy)
    r.config_set("maxmemory-samples", samples)
    limit = used_memory(r) + LIMIT_ABOVE_START
    r.config_set("maxmemory", limit)
    return limit


def fill(r, prefix, n, ttl=None, batch=100):
    """SETs prefix:0..n-1 to a 1000-byte value (EX ttl when given), pipelined."""
    for start in range(0, n, batch):
        p = r.pipeline(transaction=False)
        for i in range(start, min(n, start + batch)):
            if ttl is None:
                p.set(f"{prefix}:{i}", VALUE)
            else:
                p.set(f"{prefix}:{i}", VALUE, ex=ttl)
        p.execute()


def read(r, prefix, n, times=1, batch=200):
    for _ in range(times):
        for start in range(0, n, batch):
            p = r.pipeline(transaction=False)
            for i in range(start, min(n, start + batch)):
                p.get(f"{prefix}:{i}")
            p.execute()


def survivors(r, prefix, n, batch=500):
    """How many of prefix:0..n-1 exist (EXISTS does not touch the keys)."""
    alive = 0
    for start in range(0, n, batch):
        alive += r.exists(*[f"{prefix}:{i}" for i in range(start, min(n, start + batch))])
    return alive


def check_near_limit(r, limit, what):
    used = used_memory(r)
    # Pipelined query buffers and reply buffers count too: allow 5% + 1 MB over.
    assert used <= limit * 1.05 + 1024 * 1024, f"{what}: used_memory {used} far above maxmemory {limit}"


def stop_evicting(r, limit, what):
    """Checks used_memory against the limit, then lifts the limit: the cron may still be
    evicting (slower builds: sanitizers), and survivors and evicted_keys must be counted on
    the same keyspace. Returns evicted_keys."""
    check_near_limit(r, limit, what)
    r.config_set("maxmemory", 0)
    return evicted_keys(r)


# About 7000 keys of 1000 bytes fit in 8 MB: each test writes 8000-10000 so that the keys
# the policy should evict first outnumber the evictions needed.

def test_allkeys_lru_keeps_recently_read_keys(s):
    r = s.client()
    limit = setup(r, "allkeys-lru")
    fill(r, "cold", 3000)
    fill(r, "hot", 2000)
    time.sleep(2.2)  # the LRU clock has seconds resolution (as Redis)
    read(r, "hot", 2000)
    fill(r, "new", 4000)
    n = stop_evicting(r, limit, "allkeys-lru")
    hot, cold, new = survivors(r, "hot", 2000), survivors(r, "cold", 3000), survivors(r, "new", 4000)
    print(f"  allkeys-lru: evicted {n}; survive: hot {hot}/2000, new {new}/4000, cold {cold}/3000")
    assert n > 1000, "nothing evicted"
    assert hot >= 1800, f"recently read keys were evicted: {hot}/2000 left"
    assert new >= 3600, f"new keys were evicted: {new}/4000 left"
    assert cold <= 3000 - n * 0.8, f"untouched keys survived: {cold}/3000 left, {n} evicted"
    # /metrics shows the same count and the limit.
    r.config_set("maxmemory", limit)
    before = evicted_keys(r)
    body = curl(s.http_port, "GET", "/metrics").body.decode()
    after = evicted_keys(r)  # the cron may still evict meanwhile
    got = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(kvd_evicted_keys_total|kvd_maxmemory_bytes) (\S+)$",
                                                              body, re.M)}
    assert before <= got.get("kvd_evicted_keys_total", -1) <= after, (got, before, after)
    eq(got.get("kvd_maxmemory_bytes"), float(limit), "kvd_maxmemory_bytes")


def test_allkeys_lfu_keeps_frequently_read_keys(s):
    r = s.client()
    limit = setup(r, "allkeys-lfu")
    fill(r, "rare", 3000)
    fill(r, "freq", 3000)
    read(r, "freq", 3000, times=5)
    fill(r, "new", 4000)
    n = stop_evicting(r, limit, "allkeys-lfu")
    freq, rare, new = survivors(r, "freq", 3000), survivors(r, "rare", 3000), survivors(r, "new", 4000)
    print(f"  allkeys-lfu: evicted {n}; survive: frequent {freq}/3000, rare {rare}/3000, new {new}/4000")
    assert n > 1500, "nothing evicted"
    # Rare and new keys have the same counter (5): they share the evictions.
    assert freq >= 2850, f"frequently read keys were evicted: {freq}/3000 left"
    assert rare + new <= 7000 - n * 0.9, f"rare and new keys survived: {rare + new}/7000 left, {n} evicted"
    eq(r.object("freq", "freq:1") >= 6, True, "OBJECT FREQ of a key read 5 times")


def test_volatile_policies_spare_keys_without_ttl(s):
    r = s.client()
    for policy in ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"):
        limit = setup(r, policy)
        before = evicted_keys(r)
        fill(r, "perm", 3000)
        fill(r, "vol", 4000, ttl=1000)
        fill(r, "more", 3000, ttl=1000)
        n = stop_evicting(r, limit, policy) - before
        perm = survivors(r, "perm", 3000)
        vol = survivors(r, "vol", 4000) + survivors(r, "more", 3000)
        print(f"  {policy}: persistent {perm}/3000 survive, volatile {vol}/7000, evicted {n}")
        eq(perm, 3000, f"{policy}: keys without TTL evicted")
        assert n > 1000, f"{policy}: nothing evicted"
        eq(vol, 7000 - n, f"{policy}: volatile keys left")
    r.config_set("maxmemory", 0)


def test_volatile_ttl_evicts_nearest_expires_first(s):
    r = s.client()
    limit = setup(r, "volatile-ttl")
    fill(r, "short", 3000, ttl=600)
    fill(r, "long", 2500, ttl=60000)
    fill(r, "perm", 3000)
    n = stop_evicting(r, limit, "volatile-ttl")
    short, long_ = survivors(r, "short", 3000), survivors(r, "long", 2500)
    print(f"  volatile-ttl: evicted {n}; survive: short TTL {short}/3000, long TTL {long_}/2500")
    assert n > 500, "nothing evicted"
    assert long_ >= 2375, f"long TTLs evicted before short ones: {long_}/2500"
    assert short <= 3000 - n * 0.9, f"short TTLs survived: {short}/3000, {n} evicted"


def test_allkeys_random_takes_old_and_new(s):
    r = s.client()
    limit = setup(r, "allkeys-random")
    fill(r, "old", 5000)
    fill(r, "new", 5000)
    n = stop_evicting(r, limit, "allkeys-random")
    old, new = survivors(r, "old", 5000), survivors(r, "new", 5000)
    print(f"  allkeys-random: evicted {n}; old {old}/5000 survive, new {new}/5000")
    eq(old + new, 10000 - n, "keys left")
    assert old >= 500 and new >= 500, f"survivors not spread: old {old}, new {new}"
    assert old < 4500, f"old keys were not evicted: {old}"


def test_noeviction_answers_oom(s):
    r = s.client()
    limit = setup(r, "noeviction")
    r.set("keep", "v")
    err = None
    for start in range(0, 20000, 100):  # bounded: 20 MB would be far past the 8 MB limit
        try:
            fill(r, f"f{start}", 100)
        except Exception as e:  # redis.exceptions.OutOfMemoryError
            err = e
            break
    assert err is not None, "no -OOM after writing past maxmemory"
    assert OOM in str(err), f"unexpected error text: {err}"
    eq(r.get("keep"), "v", "GET over the limit")
    eq(r.delete("keep"), 1, "DEL over the limit")
    eq(evicted_keys(r), 0, "noeviction evicted keys (since CONFIG RESETSTAT)")
    raw = kvdtest.redis_cli(s.port, "SET", "x", "1")
    eq(raw.strip(), "OOM " + OOM, "redis-cli sees Redis's -OOM text")
    mem = r.info("memory")
    eq(mem["maxmemory_policy"], "noeviction", "INFO maxmemory_policy")
    eq(int(mem["maxmemory"]), limit, "INFO maxmemory")
    assert "mem_not_counted_for_evict" in mem
    stats = r.info("stats")
    assert int(stats["current_eviction_exceeded_time"]) >= 0
    r.config_set("maxmemory", 0)
    r.flushall()
    eq(r.set("x", "1"), True, "writes run again under the limit")


def test_watched_key_evicted_aborts_exec(s):
    r = s.client()
    setup(r, "volatile-random")
    r.set("w", "1", ex=1000)
    a = s.client(single_connection_client=True)
    a.execute_command("WATCH", "w")
    try:
        fill(r, "p", 12000)  # persistent keys push memory over: w is the only candidate
    except Exception as e:
        assert OOM in str(e), e
    eq(r.exists("w"), 0, "the volatile key was evicted")
    r.config_set("maxmemory", 0)  # over the limit, MULTI would refuse to queue the SET
    a.execute_command("MULTI")
    a.execute_command("SET", "w", "2")
    eq(a.execute_command("EXEC"), None, "EXEC after the WATCHed key was evicted")
    a.close()
    r.config_set("maxmemory", 0)


def test_object_idletime_and_freq(s):
    r = s.client()
    r.config_set("maxmemory", 0)
    r.config_set("maxmemory-policy", "allkeys-lru")
    r.set("idle", "v")
    time.sleep(2.1)
    assert r.object("idletime", "idle") >= 2
    eq(r.type("idle"), "string")  # TYPE does not touch
    assert r.object("idletime", "idle") >= 2
    r.get("idle")
    eq(r.object("idletime", "idle"), 0, "after GET")
    r.config_set("maxmemory-policy", "allkeys-lfu")
    r.set("f", "v")
    eq(r.object("freq", "f"), 5, "LFU_INIT_VAL")
    r.config_set("lfu-log-factor", 0)
    for _ in range(10):
        r.get("f")
    eq(r.object("freq", "f"), 15, "factor 0: each access counts")
    r.config_set("lfu-log-factor", 10)
    r.config_set("maxmemory-policy", "noeviction")


def test_concurrent_writers_while_evicting():
    """4 io threads, 4 writers, a transaction loop and a KEYS loop (every shard lock) while
    allkeys-lru evicts: no deadlock, no client error, memory near the limit."""
    import threading
    with kvdtest.server("--io-threads", "4", http=False) as s:
        r = s.client()
        limit = setup(r, "allkeys-lru")
        errors, done = [], threading.Event()

        def writer(w):
            c = s.client()
            try:
                for round_ in range(100):
                    p = c.pipeline(transaction=False)
                    for i in range(100):
                        p.set(f"w{w}:{round_}:{i}", VALUE)
                        p.get(f"w{w}:{round_ // 2}:{i}")
                    p.execute()
            except Exception as e:  # reported below
                errors.append(f"writer {w}: {e!r}")

        def transactions():
            c = s.client()
            try:
                while not done.is_set():
                    p = c.pipeline(transaction=True)
                    p.incr("counter")
                    p.rpush("list", "x")
                    p.ltrim("list", 0, 9)
                    p.execute()
            except Exception as e:
                errors.append(f"transactions: {e!r}")

        def scanner():
            c = s.client()
            try:
                while not done.is_set():
                    c.keys("w0:1:*")
                    c.dbsize()
            except Exception as e:
                errors.append(f"keys: {e!r}")

        threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(4)]
        others = [threading.Thread(target=transactions, daemon=True), threading.Thread(target=scanner, daemon=True)]
        for t in threads + others:
            t.start()
        deadline = time.monotonic() + 60
        for t in threads:
            t.join(max(0.1, deadline - time.monotonic()))
        done.set()
        for t in others:
            t.join(max(0.1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in threads + others), "clients stuck: deadlock?"
        eq(errors, [], "client errors")
        n = evicted_keys(r)
        print(f"  concurrent: evicted {n}, dbsize {r.dbsize()}")
        assert n > 5000, f"evicted only {n}"
        check_near_limit(r, limit, "concurrent writers")
        r.config_set("maxmemory", 0)


def test_rdb_keeps_idle_and_freq():
    """IDLE / FREQ opcodes: written under an LRU / LFU policy, applied on load, both ways
    between kvd and redis-server (DEBUG RELOAD NOSAVE loads the dump.rdb copied in)."""
    import shutil
    with kvdtest.server("--enable-debug-command", "yes", http=False) as s, \
            kvdtest.redis_server("--enable-debug-command", "yes") as redis:
        import redis as redis_py
        k = s.client()
        rd = redis_py.Redis(host="127.0.0.1", port=redis.port, decode_responses=True)
        for c in (k, rd):
            c.config_set("maxmemory-policy", "allkeys-lru")
            c.set("idle", "v")
        time.sleep(2.1)
        eq(k.execute_command("DEBUG", "RELOAD"), "OK")
        assert k.object("idletime", "idle") >= 2, "IDLE lost by kvd's save + load"
        # LFU: counter 15 (factor 0: every access counts) survives a save and a load.
        for c in (k, rd):
            c.config_set("maxmemory-policy", "allkeys-lfu")
            c.config_set("lfu-log-factor", 0)
            c.set("f", "v")
            for _ in range(10):
                c.get("f")
            eq(c.object("freq", "f"), 15, "counter before saving")
        rd.save()
        shutil.copy(os.path.join(redis.dir, "dump.rdb"), os.path.join(s.dir, "dump.rdb"))
        eq(k.execute_command("DEBUG", "RELOAD", "NOSAVE"), "OK")
        eq(k.object("freq", "f"), 15, "redis-server's FREQ loaded by kvd")
        k.set("g", "v")
        for _ in range(20):
            k.get("g")
        k.save()
        shutil.copy(os.path.join(s.dir, "dump.rdb"), os.path.join(redis.dir, "dump.rdb"))
        eq(rd.execute_command("DEBUG", "RELOAD", "NOSAVE"), "OK")
        eq(rd.object("freq", "g"), 25, "kvd's FREQ loaded by redis-server")
        rd.close()


def test_aof_and_keyspace_events():
    with kvdtest.server("--appendonly", "yes", "--appendfsync", "always",
                        "--notify-keyspace-events", "Ee") as s:
        r = s.client()
        sub = s.client().pubsub()
        sub.subscribe("__keyevent@0__:evicted")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the subscribe confirmation
            m = sub.get_message(timeout=0.2)
            if m and m["type"] == "subscribe":
                break
        setup(r, "allkeys-random")
        fill(r, "k", 10000)
        r.config_set("maxmemory", 0)  # no eviction while the survivors are counted
        n = evicted_keys(r)
        assert n > 1000, f"evicted {n}"
        events = set()
        deadline = time.monotonic() + 10
        while len(events) < n and time.monotonic() < deadline:
            m = sub.get_message(timeout=0.5)
            if m and m["type"] == "message":
                events.add(m["data"])
        eq(len(events), n, "evicted events received")
        alive = {f"k:{i}" for i in range(10000) if r.exists(f"k:{i}")}
        eq(events & alive, set(), "events name keys that still exist")
        eq(len(alive) + n, 10000, "every key either lives or was evicted")
        sub.close()
        aof_dir = os.path.join(s.dir, "appendonlydir")
        incr = [f for f in os.listdir(aof_dir) if f.endswith(".incr.aof")]
        with open(os.path.join(aof_dir, incr[0]), "rb") as f:
            data = f.read()
        dels = data.count(b"*2\r\n$3\r\nDEL\r\n")
        eq(dels, n, "DEL records in the AOF")


def main():
    failures = 0
    with kvdtest.server() as s:
        failures += kvdtest.run_tests([
            test_allkeys_lru_keeps_recently_read_keys, test_allkeys_lfu_keeps_frequently_read_keys,
            test_volatile_policies_spare_keys_without_ttl, test_volatile_ttl_evicts_nearest_expires_first,
            test_allkeys_random_takes_old_and_new, test_noeviction_answers_oom,
            test_watched_key_evicted_aborts_exec, test_object_idletime_and_freq,
        ], s)
    failures += kvdtest.run_tests([test_concurrent_writers_while_evicting, test_rdb_keeps_idle_and_freq,
                                   test_aof_and_keyspace_events])
    return failures


if __name__ == "__main__":
    kvdtest.main(main)
