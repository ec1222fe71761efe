"""Transactions end to end with python3-redis: MULTI/EXEC pipelines, EXECABORT, WATCH races
from two threads, atomicity seen by a concurrent reader (several io threads), expiry of a
watched key, RESP3 null, CLIENT LIST flags, HTTP refusal, and the AOF: MULTI ... EXEC
groups, restart, a torn transaction reverted, and redis-server loading kvd's AOF.
"""

import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402
import test_aof_interop as interop  # noqa: E402

import redis  # noqa: E402
from redis.exceptions import ExecAbortError, ResponseError, WatchError  # noqa: E402


def test_pipelines(kvd):
    r = kvd.client()
    r.flushall()
    p = r.pipeline(transaction=True)
    p.set("a", "1").incr("a").get("a").lpush("l", "x", "y").lrange("l", 0, -1)
    eq(p.execute(), [True, 2, "2", 2, ["y", "x"]], "MULTI/EXEC pipeline")
    p = r.pipeline(transaction=False)
    p.set("b", "1").incrby("b", 5).get("b")
    eq(p.execute(), [True, 6, "6"], "plain pipeline")
    # A runtime error is one element; the others still ran.
    p = r.pipeline(transaction=True)
    p.set("s", "x").incr("s").set("t", "y")
    out = p.execute(raise_on_error=False)
    eq(out[0], True)
    assert isinstance(out[1], ResponseError), out
    eq(out[2], True)
    eq(r.get("t"), "y")


def test_execabort_and_errors(kvd):
    r = kvd.client(single_connection_client=True)
    r.flushall()
    eq(r.execute_command("MULTI"), "OK")
    eq(r.execute_command("APPEND", "k", "v"), "QUEUED")
    try:
        r.execute_command("NOSUCHCOMMAND", "x")
        raise AssertionError("unknown command was queued")
    except ResponseError as e:
        assert "unknown command" in str(e), e
    try:
        r.execute_command("EXEC")
        raise AssertionError("EXEC ran after a queuing error")
    except ExecAbortError as e:
        eq(str(e), "Transaction discarded because of previous errors.")
    eq(r.exists("k"), 0)
    for cmd, msg in (("EXEC", "EXEC without MULTI"), ("DISCARD", "DISCARD without MULTI")):
        try:
            r.execute_command(cmd)
            raise AssertionError(cmd)
        except ResponseError as e:
            eq(str(e), msg)
    r.execute_command("MULTI")
    try:
        r.execute_command("MULTI")
    except ResponseError as e:
        eq(str(e), "MULTI calls can not be nested")
    try:
        r.execute_command("WATCH", "k")
    except ResponseError as e:
        eq(str(e), "WATCH inside MULTI is not allowed")
    eq(r.execute_command("DISCARD"), "OK")


def test_watch_race_two_threads(kvd):
    r = kvd.client()
    r.set("counter", 0)
    per_thread, threads, errors = 500, 2, []
    retries = [0]

    def work():
        c = kvd.client()
        try:
            for _ in range(per_thread):
                for _attempt in range(10_000):  # bounded: a livelock fails the test
                    with c.pipeline() as p:
                        try:
                            p.watch("counter")
                            v = int(p.get("counter"))
                            p.multi()
                            p.set("counter", v + 1)
                            p.execute()
                            break
                        except WatchError:
                            retries[0] += 1
                else:
                    raise AssertionError("10000 WATCH retries for one increment")
        except Exception as e:  # reported by the main thread
            errors.append(e)

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not any(t.is_alive() for t in ts), "WATCH workers did not finish"
    assert not errors, errors
    eq(int(r.get("counter")), per_thread * threads, "optimistic increments")
    print(f"  {retries[0]} WATCH retries for {per_thread * threads} increments")


def test_atomicity_seen_by_reader(kvd):
    """A reader never sees a half-applied transaction (keys on different shards)."""
    r = kvd.client()
    keys = [f"atom:{i}" for i in range(16)]
    r.mset({k: 0 for k in keys})
    stop, bad, rounds = threading.Event(), [], 400

    def reader():
        c = kvd.client()
        while not stop.is_set():
            vals = c.mget(keys)
            if len(set(vals)) != 1:
                bad.append(vals)
                return
            p = c.pipeline(transaction=True)
            for k in keys:
                p.get(k)
            vals = p.execute()
            if len(set(vals)) != 1:
                bad.append(vals)
                return

    t = threading.Thread(target=reader)
    t.start()
    w = kvd.client()
    try:
        for i in range(1, rounds + 1):
            p = w.pipeline(transaction=True)
            for k in keys:
                p.set(k, i)
            p.execute()
    finally:
        stop.set()
        t.join(30)
    assert not bad, f"reader saw a half-applied transaction: {bad[0]}"
    eq(set(r.mget(keys)), {str(rounds)})


def test_watch_expiry_and_resp3(kvd):
    r = kvd.client(single_connection_client=True)
    r.set("wk", "v", px=100)
    r.execute_command("WATCH", "wk")
    time.sleep(0.3)
    r.execute_command("MULTI")
    r.execute_command("PING")
    eq(r.execute_command("EXEC"), None, "EXEC after a watched key expired")
    # RESP3: the aborted EXEC is `_`.
    with kvd.raw() as c:
        c.send(kvdtest.resp_command("HELLO", "3"))
        c.read_reply()
        c.send(kvdtest.resp_command("WATCH", "k3"))
        eq(c.read_reply(), b"+OK\r\n")
        r.set("k3", "changed")
        c.send(kvdtest.resp_command("MULTI") + kvdtest.resp_command("GET", "k3") + kvdtest.resp_command("EXEC"))
        eq(c.read_replies(3), [b"+OK\r\n", b"+QUEUED\r\n", b"_\r\n"])


def test_client_list_and_http(kvd):
    a = kvd.client(single_connection_client=True)
    a.client_setname("txn")
    a.execute_command("MULTI")
    a.execute_command("SET", "x", "1")
    line = [c for c in kvd.client().client_list() if c["name"] == "txn"][0]
    eq((line["flags"], line["multi"]), ("x", "1"), "CLIENT LIST of a client in MULTI")
    a.execute_command("DISCARD")
    line = [c for c in kvd.client().client_list() if c["name"] == "txn"][0]
    eq((line["flags"], line["multi"]), ("N", "-1"))
    # HTTP has no session: transaction commands are refused with 400.
    for cmd in ("MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"):
        body = json.dumps([cmd] + (["k"] if cmd == "WATCH" else [])).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{kvd.http_port}/v1/command", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError(f"HTTP {cmd} was accepted")
        except urllib.error.HTTPError as e:
            eq(e.code, 400, f"HTTP {cmd}")


def incr_file(d):
    folder = os.path.join(d, "appendonlydir")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".incr.aof"))
    return os.path.join(folder, names[-1])


def resp(*args):
    return kvdtest.resp_command(*args)


def test_aof_groups_restart_and_redis_interop():
    d = tempfile.mkdtemp(prefix="kvd-txn-aof-")
    try:
        port = kvdtest.free_port()
        kvd = interop.start(interop.kvd_argv(port, d), port, os.path.join(d, "kvd.log"))
        try:
            r = redis.Redis(host="127.0.0.1", port=port)
            p = r.pipeline(transaction=True)
            p.set("a", "1").incr("a").execute_command("SELECT", 3)
            p.set("c", "x").rpush("l", "1", "2").execute_command("SELECT", 0)
            out = p.execute()
            eq((out[0], out[1], out[3], out[4]), (True, 2, True, 2))
            p = r.pipeline(transaction=True)
            p.set("one", "lone")  # a single write: logged bare, as Redis 7.0 does
            p.execute()
            p = r.pipeline(transaction=True)
            p.get("a").exists("zz")  # nothing written: nothing logged
            p.execute()
            want = interop.snapshot(port)
        finally:
            interop.stop(kvd, port)
        data = open(incr_file(d), "rb").read()
        group = (resp("MULTI") + resp("SET", "a", "1") + resp("INCRBY", "a", "1") + resp("SELECT", "3") +
                 resp("SET", "c", "x") + resp("RPUSH", "l", "1", "2") + resp("EXEC"))
        assert group in data, data
        assert data.endswith(group + resp("SELECT", "0") + resp("SET", "one", "lone")), data
        # Restart: the same keyspace.
        kvd = interop.start(interop.kvd_argv(port, d), port, os.path.join(d, "kvd2.log"))
        try:
            interop.same(want, interop.snapshot(port), "kvd restarted on its AOF")
        finally:
            interop.stop(kvd, port)
        # redis-server loads kvd's AOF with its transactions.
        rport = kvdtest.free_port()
        red = interop.start(interop.redis_argv(rport, d), rport, os.path.join(d, "redis.log"))
        try:
            interop.same(want, interop.snapshot(rport), "redis-server on kvd's AOF with transactions")
        finally:
            interop.stop(red, rport)
        # A torn transaction at the end (a crash mid-append): reverted and cut at its MULTI.
        with open(incr_file(d), "ab") as f:
            f.write(resp("MULTI") + resp("SET", "torn", "1") + resp("SET", "torn2", "2")[:7])
        kvd = interop.start(interop.kvd_argv(port, d), port, os.path.join(d, "kvd3.log"))
        try:
            rr = redis.Redis(host="127.0.0.1", port=port)
            eq(rr.exists("torn"), 0, "key of the reverted transaction")
            interop.same(want, interop.snapshot(port), "kvd after reverting a torn transaction")
        finally:
            interop.stop(kvd, port)
        assert open(incr_file(d), "rb").read() == data, "the torn transaction was not cut at its MULTI"
        assert "MULTI/EXEC transaction" in open(os.path.join(d, "kvd3.log")).read()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    with kvdtest.server("--io-threads", "4") as kvd:
        failures = kvdtest.run_tests([test_pipelines, test_execabort_and_errors, test_watch_race_two_threads,
                                      test_atomicity_seen_by_reader, test_watch_expiry_and_resp3,
                                      test_client_list_and_http], kvd)
    return failures + kvdtest.run_tests([test_aof_groups_restart_and_redis_interop])


if __name__ == "__main__":
    kvdtest.main(main)
