"""redis-py (Debian's python3-redis) against kvd: a 10,000-command pipeline, 50 concurrent
connections each doing 200 SET/GET/INCR plus a shared counter, CLIENT SETNAME/GETNAME/ID/LIST,
and SELECT isolation between databases.
"""

import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

import redis  # noqa: E402


def test_pipeline_10000(s):
    r = s.client()
    r.flushall()
    p = r.pipeline(transaction=False)
    want = []
    for i in range(2500):
        p.set(f"p:{i}", f"v{i}")
        want.append(True)
        p.get(f"p:{i}")
        want.append(f"v{i}")
        p.incr("p:counter")
        want.append(i + 1)
        p.exists(f"p:{i}", f"p:missing:{i}")
        want.append(1)
    got = p.execute()
    eq(len(got), 10_000, "number of pipeline results")
    for i, (g, w) in enumerate(zip(got, want)):
        eq(g, w, f"pipeline result {i}")
    eq(r.dbsize(), 2501, "DBSIZE after the pipeline")
    # Errors in a pipeline come back in place without breaking the rest.
    p = r.pipeline(transaction=False)
    p.set("p:str", "abc").incr("p:str").get("p:str").incr("p:counter")
    res = p.execute(raise_on_error=False)
    eq(res[0], True, "SET in an erroring pipeline")
    assert isinstance(res[1], redis.ResponseError), f"INCR of 'abc' should fail, got {res[1]!r}"
    eq(str(res[1]), "value is not an integer or out of range", "INCR of 'abc' error text")
    eq(res[2:], ["abc", 2501], "commands after the error")


def test_50_concurrent_clients(s):
    s.client().flushall()
    n_threads, n_ops = 50, 200
    errors = []
    start = threading.Barrier(n_threads, timeout=30)

    def worker(t):
        try:
            c = s.client(single_connection_client=True)
            try:
                start.wait()
                for i in range(n_ops):
                    k = f"t{t}:k{i % 20}"
                    v = f"t{t}-{i}"
                    if not c.set(k, v):
                        raise AssertionError(f"SET {k} returned false")
                    got = c.get(k)
                    if got != v:
                        raise AssertionError(f"GET {k}: expected {v!r}, got {got!r}")
                    n = c.incr(f"t{t}:n")
                    if n != i + 1:
                        raise AssertionError(f"INCR t{t}:n: expected {i + 1}, got {n}")
                    c.incr("shared")
            finally:
                c.close()
        except Exception as e:  # collected and reported by the main thread
            errors.append(f"thread {t}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(n_threads)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 120
    for th in threads:
        th.join(max(0.0, deadline - time.monotonic()))
    alive = sum(th.is_alive() for th in threads)
    assert alive == 0, f"{alive} client threads still running after 120 s"
    assert not errors, f"{len(errors)} client thread(s) failed:\n" + "\n".join(errors[:10])
    r = s.client()
    eq(r.get("shared"), str(n_threads * n_ops), "shared counter INCRed by every thread")
    for t in range(n_threads):
        eq(r.get(f"t{t}:n"), str(n_ops), f"per-thread counter t{t}:n")
    eq(r.dbsize(), n_threads * 21 + 1, "DBSIZE after the concurrent clients")


def test_client_name_id_list(s):
    a = s.client(single_connection_client=True)
    b = s.client(single_connection_client=True)
    try:
        eq(a.client_getname(), None, "CLIENT GETNAME before SETNAME")
        eq(a.client_setname("alpha-conn"), True, "CLIENT SETNAME alpha-conn")
        eq(b.client_setname("beta-conn"), True, "CLIENT SETNAME beta-conn")
        eq(a.client_getname(), "alpha-conn", "CLIENT GETNAME")
        eq(b.client_getname(), "beta-conn", "CLIENT GETNAME on the other connection")
        try:
            a.client_setname("has space")
            raise AssertionError("CLIENT SETNAME 'has space' should fail")
        except redis.ResponseError as e:
            eq(str(e), "Client names cannot contain spaces, newlines or special characters.",
               "CLIENT SETNAME with a space")
        eq(a.client_getname(), "alpha-conn", "name unchanged after a refused SETNAME")
        ida, idb = a.client_id(), b.client_id()
        assert isinstance(ida, int) and isinstance(idb, int) and ida > 0 and idb > 0, \
            f"CLIENT ID should be positive integers: {ida!r} {idb!r}"
        assert ida != idb, f"two connections share CLIENT ID {ida}"
        eq(a.client_id(), ida, "CLIENT ID is stable on a connection")
        # redis-py parses CLIENT LIST into dicts; the raw text is checked too, via redis-cli.
        entries = a.client_list()
        by_id = {int(e["id"]): e for e in entries if "id" in e}
        assert len(by_id) == len(entries), f"CLIENT LIST entries without id=: {entries}"
        assert ida in by_id and idb in by_id, f"CLIENT LIST lacks ids {ida},{idb}: {entries}"
        eq(by_id[ida].get("name"), "alpha-conn", f"name= of client {ida} in CLIENT LIST")
        eq(by_id[idb].get("name"), "beta-conn", f"name= of client {idb} in CLIENT LIST")
        assert re.fullmatch(r"127\.0\.0\.1:\d+", by_id[ida].get("addr", "")), \
            f"addr= of client {ida}: {by_id[ida]}"
        eq(by_id[ida].get("cmd"), "client|list", f"cmd= of the connection running CLIENT LIST")
        raw = kvdtest.redis_cli(s.port, "CLIENT", "LIST")
        lines = [l for l in raw.splitlines() if l.strip()]
        assert all(re.match(r"id=\d+ addr=", l) for l in lines), f"CLIENT LIST text: {raw!r}"
        assert any(" name=alpha-conn " in l for l in lines), f"CLIENT LIST text: {raw!r}"
        assert any(" name=beta-conn " in l for l in lines), f"CLIENT LIST text: {raw!r}"
        eq(a.client_setname(""), True, "CLIENT SETNAME '' clears the name")
        eq(a.client_getname(), None, "CLIENT GETNAME after clearing")
    finally:
        a.close()
        b.close()


def test_select_isolation(s):
    r0 = s.client()
    r5 = s.client(db=5)
    r0.flushall()
    r0.set("shared-name", "db0")
    eq(r5.get("shared-name"), None, "a db0 key is invisible from db5")
    r5.set("shared-name", "db5")
    r5.set("only5", "x")
    eq(r0.get("shared-name"), "db0", "db0 value after setting the same name in db5")
    eq(r5.get("shared-name"), "db5", "db5 value")
    eq((r0.dbsize(), r5.dbsize()), (1, 2), "DBSIZE of db0 and db5")
    eq(r0.exists("only5"), 0, "EXISTS from db0 of a db5 key")
    r5.flushdb()
    eq((r0.dbsize(), r5.dbsize()), (1, 0), "FLUSHDB on db5 leaves db0")
    c = s.client(single_connection_client=True)
    try:
        eq(c.execute_command("SELECT", 5), True, "SELECT 5")
        c.set("via-select", "1")
        eq(r5.get("via-select"), "1", "a key set after SELECT 5 lands in db5")
        eq(r0.get("via-select"), None, "and not in db0")
        try:
            c.execute_command("SELECT", 16)
            raise AssertionError("SELECT 16 should fail with 16 databases")
        except redis.ResponseError as e:
            eq(str(e), "DB index is out of range", "SELECT 16")
        eq(c.get("via-select"), "1", "a failed SELECT keeps the current db")
    finally:
        c.close()


def main():
    with kvdtest.server(http=False) as s:
        return kvdtest.run_tests([
            test_pipeline_10000, test_50_concurrent_clients, test_client_name_id_list,
            test_select_isolation,
        ], s)


if __name__ == "__main__":
    kvdtest.main(main)
