"""DUMP and RESTORE between kvd and Debian's redis-server 7.0, both ways.

- redis-server -> kvd: every type and encoding Redis 7.0 has (string int/embstr/raw and LZF,
  list quicklist with LZF-compressed listpack nodes, set intset/hashtable, hash
  listpack/hashtable, zset listpack/skiplist), with TTLs: DUMP from Redis, RESTORE into kvd
  (python3-redis), same contents, TTLs and OBJECT ENCODING;
- kvd -> redis-server: the same the other way;
- once with redis-cli alone: `redis-cli --no-raw DUMP k` on one server, its quoted output fed to
  `redis-cli` as `RESTORE k 0 <payload>` on the other (how values move with redis-cli);
- ABSTTL, REPLACE, IDLETIME across the two servers, and the AOF of kvd: a relative TTL is
  logged as ABSTTL with the absolute time, so a restart does not extend it.
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

import redis  # noqa: E402


def cl(server):
    """A redis-py client on `server` that returns bytes."""
    return server.client(decode_responses=False)


def fill(r):
    """Every type and encoding, small and large, with TTLs on some keys (db of client r)."""
    rnd = random.Random(7)
    p = r.pipeline(transaction=False)
    p.set("s:int", 12345)
    p.set("s:negint", -9223372036854775808)
    p.set("s:embstr", "hello world")
    p.set("s:raw", "r" * 30 + "".join(chr(65 + rnd.randrange(26)) for _ in range(70)))
    p.set("s:lzf", "abc" * 2000)
    p.set("s:random", bytes(rnd.randrange(256) for _ in range(5000)))
    p.set("s:binary", bytes(range(256)))
    p.set("s:empty", "")
    p.set("s:ttl", "expiring", px=600_000)
    p.rpush("l:small", "a", 1, "b", -2, "")
    p.rpush("l:big", *[f"element-{i}" for i in range(5000)])
    p.rpush("l:longitems", *["y" * 500 + str(i) for i in range(50)])
    p.rpush("l:ints", *range(-300, 300))
    p.sadd("set:intset", 1, 2, 3, -5, 9223372036854775807)
    p.sadd("set:bigint", *range(1000))
    p.sadd("set:small", "a", "b", "c")
    p.sadd("set:big", *[f"member-{i}" for i in range(1000)])
    p.hset("h:listpack", mapping={"f1": "v1", "n": 42, "e": ""})
    p.hset("h:big", mapping={f"field-{i}": f"value-{i}" for i in range(1000)})
    p.hset("h:longval", mapping={"k": "x" * 1000, "j": "short"})
    p.zadd("z:listpack", {"a": 1, "b": 2.5, "c": -0.125, "inf": float("inf"), "ninf": float("-inf")})
    p.zadd("z:skiplist", {f"z{i}": i / 3 for i in range(300)})
    p.zadd("z:longmember", {"m" * 100: 1.5, "x": 2})
    p.pexpire("h:big", 900_000)
    p.pexpire("z:skiplist", 800_000)
    p.pexpire("l:big", 700_000)
    p.execute()


def contents(r, k):
    t = r.type(k)
    if t == b"string":
        return r.get(k)
    if t == b"list":
        return ("list", r.lrange(k, 0, -1))
    if t == b"set":
        return ("set", sorted(r.smembers(k)))
    if t == b"hash":
        return ("hash", sorted(r.hgetall(k).items()))
    if t == b"zset":
        return ("zset", r.zrange(k, 0, -1, withscores=True))
    raise AssertionError(f"unexpected type {t!r} of {k!r}")


def snapshot(r):
    """{key: (contents, encoding, pttl)} of every key of r's db."""
    return {k: (contents(r, k), r.object("encoding", k), r.pttl(k)) for k in sorted(r.keys("*"))}


def same(want, got, what):
    eq(sorted(got), sorted(want), f"{what}: keys")
    for k, (val, enc, ttl) in want.items():
        gval, genc, gttl = got[k]
        eq(gval, val, f"{what}: value of {k!r}")
        eq(genc, enc, f"{what}: OBJECT ENCODING of {k!r}")
        assert (ttl < 0) == (gttl < 0) and abs(ttl - gttl) < 5000, f"{what}: TTL of {k!r}: {ttl} vs {gttl}"


def move_all(src, dst):
    """DUMP every key of src and RESTORE it into dst with its remaining TTL; returns the count."""
    n = 0
    for k in src.keys("*"):
        payload = src.dump(k)
        assert payload is not None, k
        ttl = src.pttl(k)
        eq(dst.restore(k, ttl if ttl > 0 else 0, payload), b"OK", f"RESTORE {k!r}")
        n += 1
    return n


def test_redis_to_kvd():
    with kvdtest.redis_server() as red, kvdtest.server(http=False) as kvd:
        rr, kr = cl(red), cl(kvd)
        fill(rr)
        want = snapshot(rr)
        n = move_all(rr, kr)
        eq(n, len(want), "keys moved")
        same(want, snapshot(kr), "kvd after RESTORE of redis-server's DUMPs")


def test_kvd_to_redis():
    with kvdtest.redis_server() as red, kvdtest.server(http=False) as kvd:
        rr, kr = cl(red), cl(kvd)
        fill(kr)
        want = snapshot(kr)
        move_all(kr, rr)
        same(want, snapshot(rr), "redis-server after RESTORE of kvd's DUMPs")
        # And back again: kvd restores what Redis dumped from kvd's values.
        kr.flushall()
        move_all(rr, kr)
        same(want, snapshot(kr), "kvd after the round trip through redis-server")


def test_identical_payloads_for_shared_encodings():
    """Strings and listpack hashes: kvd's DUMP bytes are Redis's."""
    with kvdtest.redis_server() as red, kvdtest.server(http=False) as kvd:
        rr, kr = cl(red), cl(kvd)
        fill(rr)
        fill(kr)
        for k in rr.keys("s:*") + [b"h:listpack"]:
            eq(kr.dump(k), rr.dump(k), f"DUMP {k!r}")


def test_redis_cli_both_ways():
    with kvdtest.redis_server() as red, kvdtest.server(http=False) as kvd:
        rr, kr = cl(red), cl(kvd)
        keys = ["s:binary", "s:lzf", "l:small", "h:listpack", "z:listpack", "set:intset", "l:longitems"]
        fill(rr)
        fill(kr)
        for src, dst, what in ((red, kvd, "redis -> kvd"), (kvd, red, "kvd -> redis")):
            for k in keys:
                quoted = kvdtest.redis_cli(src.port, "--no-raw", "DUMP", k).strip()
                assert quoted.startswith('"') and quoted.endswith('"'), f"{what}: DUMP {k}: {quoted[:80]}"
                out = kvdtest.redis_cli(dst.port, "--no-raw", input=f"RESTORE {k}:copy 0 {quoted}\n").strip()
                eq(out, "OK", f"{what}: RESTORE {k} via redis-cli")
                src_c = cl(src)
                dst_c = cl(dst)
                eq(contents(dst_c, f"{k}:copy"), contents(src_c, k), f"{what}: {k} copied by redis-cli")
        # redis-cli's -x: the payload as the last argument, from stdin, byte for byte.
        payload = rr.dump("s:random")
        r = kvdtest.redis_cli(kvd.port, "-x", "RESTORE", "viax", "0", input=payload)
        eq(r.strip(), "OK", "RESTORE -x")
        eq(kr.get("viax"), rr.get("s:random"), "value restored with redis-cli -x")


def test_ttl_options_across_servers():
    with kvdtest.redis_server() as red, kvdtest.server(http=False) as kvd:
        rr, kr = cl(red), cl(kvd)
        rr.set("k", "v")
        payload = rr.dump("k")
        at = int(time.time() * 1000) + 300_000
        for c in (rr, kr):
            c.restore("abs", at, payload, absttl=True)
            c.restore("past", 1000, payload, absttl=True)
            c.set("busy", "old")
            c.restore("idle", 0, payload, idletime=1000)
        eq(kr.pexpiretime("abs"), rr.pexpiretime("abs"), "ABSTTL")
        eq(kr.exists("past"), rr.exists("past"), "past ABSTTL")
        eq(kr.exists("past"), 0, "past ABSTTL creates nothing")
        for c in (rr, kr):
            try:
                c.restore("busy", 0, payload)
                raise AssertionError("RESTORE onto an existing key succeeded")
            except redis.ResponseError as e:
                eq(str(e), "BUSYKEY Target key name already exists.", "BUSYKEY")
            c.restore("busy", 0, payload, replace=True)
            eq(c.get("busy"), b"v", "REPLACE")
            assert 1000 <= c.object("idletime", "idle") <= 1002
        for bad in (payload[:-1], payload[:-1] + bytes([payload[-1] ^ 1]), b""):
            errs = []
            for c in (rr, kr):
                try:
                    c.restore("x", 0, bad)
                    errs.append(None)
                except redis.ResponseError as e:
                    errs.append(str(e))
            eq(errs[1], errs[0], f"error for payload {bad[:20]!r}")


def test_aof_logs_absolute_ttl():
    """RESTORE with a relative TTL reaches kvd's AOF as ABSTTL + absolute ms: after a restart
    the key expires when it would have, not later."""
    with kvdtest.redis_server() as red:
        cl(red).set("k", "v")
        payload = cl(red).dump("k")
    with kvdtest.server("--appendonly", "yes", "--appendfsync", "always", http=False) as kvd:
        kr = cl(kvd)
        kr.restore("rel", 60_000, payload)
        kr.restore("gone", 1000, payload, absttl=True)
        kr.set("old", "x")
        kr.restore("old", 1000, payload, absttl=True, replace=True)
        want = kr.pexpiretime("rel")
        folder = os.path.join(kvd.dir, "appendonlydir")
        incr = [f for f in os.listdir(folder) if ".incr." in f]
        eq(len(incr), 1, f"one incr file in {os.listdir(folder)}")
        data = open(os.path.join(folder, incr[0]), "rb").read()
        assert b"$6\r\nABSTTL\r\n" in data and str(want).encode() in data, data[-300:]
        assert b"gone" not in data, "an already expired RESTORE logs nothing"
        assert b"*2\r\n$3\r\nDEL\r\n$3\r\nold\r\n" in data, data[-300:]
        assert b"$5\r\n60000\r\n" not in data, "the relative TTL is not logged"


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([test_redis_to_kvd, test_kvd_to_redis,
                                            test_identical_payloads_for_shared_encodings,
                                            test_redis_cli_both_ways, test_ttl_options_across_servers,
                                            test_aof_logs_absolute_ttl]))
