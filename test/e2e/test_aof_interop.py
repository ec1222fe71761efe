"""AOF interoperability with Debian's redis-server 7.0, both ways: redis-server started on
kvd's appendonlydir has the same keyspace (values of every type, TTLs, databases), and kvd started on an
appendonlydir written by redis-server (base file from Redis's rewrite plus incr file) has the
same keyspace as that redis-server had.
"""

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

import redis  # noqa: E402


def start(argv, port, log):
    proc = kvdtest._spawn(argv, log)
    why = kvdtest._wait_ready(argv[0], proc, port, log, 15)
    if why:
        kvdtest._kill(proc)
        raise AssertionError(f"{argv[0]} did not start: {why}\n{kvdtest._tail(log)}")
    return proc


def stop(proc, port):
    try:
        redis.Redis(host="127.0.0.1", port=port).shutdown(nosave=True)
    except (redis.ConnectionError, redis.ResponseError):
        pass
    try:
        proc.wait(timeout=10)
    finally:
        kvdtest._kill(proc)


def kvd_argv(port, d):
    return [kvdtest.kvd_server_path(), "--port", str(port), "--bind", "127.0.0.1", "--http-port", "0",
            "--dir", d, "--appendonly", "yes", "--appendfsync", "always"]


def redis_argv(port, d):
    return [kvdtest.REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
            "--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", "no",
            "--daemonize", "no"]


def fill(port):
    """Strings, counters, binary values and TTLs in databases 0, 3 and 15."""
    for db in (0, 3, 15):
        r = redis.Redis(host="127.0.0.1", port=port, db=db)
        r.set(f"s{db}", f"value-{db}")
        r.set(f"ttl{db}", "x", ex=1000 + db)
        r.incrby(f"n{db}", 41 + db)
        r.incrbyfloat(f"f{db}", 1.25)
        r.set(f"bin{db}", bytes(range(256)))
        r.append(f"s{db}", "+tail")
        r.set(f"gone{db}", "y")
        r.delete(f"gone{db}")
        r.set(f"p{db}", "z", px=500_000)
        r.persist(f"p{db}")
        # Typed values, including commands logged as something else (SPOP -> SREM,
        # HINCRBYFLOAT -> HSET, LMPOP -> LPOP n, ZMPOP -> ZPOPMIN, SORT STORE).
        r.rpush(f"l{db}", *[f"e{i}" for i in range(10)])
        r.lpop(f"l{db}")
        r.lmove(f"l{db}", f"l2{db}", "LEFT", "RIGHT")
        r.execute_command("LMPOP", 1, f"l{db}", "RIGHT", "COUNT", 2)
        r.sadd(f"s_int{db}", *range(20))
        r.spop(f"s_int{db}", 5)
        r.sadd(f"s_str{db}", *[f"m{i}" for i in range(30)])
        r.srem(f"s_str{db}", "m3")
        r.spop(f"s_str{db}")
        r.hset(f"h{db}", mapping={"a": "1", "b": "2", "c": "x" * 100})
        r.hincrbyfloat(f"h{db}", "a", 0.5)
        r.hdel(f"h{db}", "b")
        r.zadd(f"z{db}", {f"m{i}": i * 1.5 for i in range(20)})
        r.zincrby(f"z{db}", 100, "m1")
        r.zpopmin(f"z{db}", 2)
        r.execute_command("ZMPOP", 1, f"z{db}", "MAX", "COUNT", 1)
        r.sort(f"l{db}", alpha=True, store=f"sorted{db}")
        r.setbit(f"bits{db}", 100, 1)
        r.expire(f"h{db}", 5000)


def snapshot(port):
    """{db: {key: (value, has_ttl, ttl_ms)}} for databases 0..15."""
    out = {}
    for db in range(16):
        r = redis.Redis(host="127.0.0.1", port=port, db=db)
        keys = sorted(r.keys("*"))
        if not keys:
            continue
        out[db] = {k: (contents(r, k), r.pttl(k)) for k in keys}
    return out


def contents(r, k):
    """The value of key k in a comparable form, whatever its type."""
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


def same(a, b, what):
    eq(sorted(a), sorted(b), f"{what}: databases")
    for db in a:
        eq(sorted(a[db]), sorted(b[db]), f"{what}: keys of db {db}")
        for k, (va, ta) in a[db].items():
            vb, tb = b[db][k]
            eq(vb, va, f"{what}: value of {k!r} in db {db}")
            assert (ta < 0) == (tb < 0) and abs(ta - tb) < 5000, f"{what}: TTL of {k!r} in db {db}: {ta} vs {tb}"


def test_redis_loads_kvd_aof():
    d = tempfile.mkdtemp(prefix="kvd-interop-")
    try:
        port = kvdtest.free_port()
        kvd = start(kvd_argv(port, d), port, os.path.join(d, "kvd.log"))
        try:
            fill(port)
            want = snapshot(port)
        finally:
            stop(kvd, port)
        rport = kvdtest.free_port()
        red = start(redis_argv(rport, d), rport, os.path.join(d, "redis.log"))
        try:
            same(want, snapshot(rport), "redis-server on kvd's appendonlydir")
        finally:
            stop(red, rport)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_kvd_loads_redis_aof():
    d = tempfile.mkdtemp(prefix="kvd-interop-")
    try:
        rport = kvdtest.free_port()
        red = start(redis_argv(rport, d), rport, os.path.join(d, "redis.log"))
        try:
            fill(rport)
            # A rewrite makes Redis write a real base file (AOF format: no RDB preamble).
            redis.Redis(host="127.0.0.1", port=rport).bgrewriteaof()
            deadline = time.monotonic() + 10
            r = redis.Redis(host="127.0.0.1", port=rport)
            while time.monotonic() < deadline:
                info = r.info("persistence")
                if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
                    break
                time.sleep(0.05)
            r.set("after-rewrite", "incr")  # lands in the new incr file
            want = snapshot(rport)
        finally:
            stop(red, rport)
        names = os.listdir(os.path.join(d, "appendonlydir"))
        assert any(n.endswith(".base.aof") for n in names), names
        port = kvdtest.free_port()
        kvd = start(kvd_argv(port, d), port, os.path.join(d, "kvd.log"))
        try:
            same(want, snapshot(port), "kvd on redis-server's appendonlydir")
        finally:
            stop(kvd, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([test_redis_loads_kvd_aof, test_kvd_loads_redis_aof]))
