"""Blocking pops with real concurrent clients (python3-redis threads and redis-cli processes):
BLPOP/BRPOP/BLMOVE/BLMPOP/BZPOPMIN served by another client's push, FIFO order among waiters,
timeouts (decimal seconds), the push and the pop atomic (nobody sees the value in between),
no waiter left by a client that disconnects or is killed, no thread per blocked client, the
served pop (not the blocking command) in the AOF, and blocking commands over HTTP answering
at once.
"""

import os
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402


def blocked_clients(r):
    return int(r.info("clients")["blocked_clients"])


def wait_blocked(r, n, what, timeout=10.0):
    """Waits until INFO says `n` clients are blocked (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = blocked_clients(r)
        if got == n:
            return
        time.sleep(0.01)
    raise AssertionError(f"{what}: expected {n} blocked clients, INFO says {blocked_clients(r)}")


class Blocker:
    """Runs one blocking command on its own connection in a thread; result() joins it."""

    def __init__(self, s, *cmd):
        self.conn = s.client(single_connection_client=True)
        self.value = None
        self.error = None
        self.done_at = None
        self.thread = threading.Thread(target=self._run, args=(cmd,), daemon=True)
        self.thread.start()

    def _run(self, cmd):
        try:
            v = self.conn.execute_command(*cmd)
            # redis-py turns BLPOP/BZPOPMIN replies into tuples (and scores into floats).
            self.value = list(v) if isinstance(v, tuple) else v
        except Exception as e:  # reported by result()
            self.error = e
        self.done_at = time.monotonic()

    def result(self, timeout=10.0):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "blocking command still running"
        self.conn.close()
        if self.error:
            raise self.error
        return self.value


def test_blpop_served_by_push(s):
    r = s.client()
    r.flushall()
    b = Blocker(s, "BLPOP", "q1", "q2", 0)
    wait_blocked(r, 1, "BLPOP on two empty lists")
    time.sleep(0.1)
    assert b.thread.is_alive(), "BLPOP returned before any push"
    eq(r.rpush("q2", "hello"), 1, "RPUSH reply counts the pushed element")
    eq(b.result(), ["q2", "hello"], "BLPOP reply [key, value]")
    eq(r.exists("q2"), 0, "the served list was emptied and deleted")
    eq(blocked_clients(r), 0, "no blocked client left")


def test_fifo_order_among_waiters(s):
    r = s.client()
    r.flushall()
    waiters = []
    for i in range(3):
        waiters.append(Blocker(s, "BRPOP", "fifo", 0))
        wait_blocked(r, i + 1, f"waiter {i}")
    r.rpush("fifo", "a", "b", "c")  # BRPOP pops from the right: c, b, a in blocking order
    got = [w.result()[1] for w in waiters]
    eq(got, ["c", "b", "a"], "waiters served in the order they blocked")
    eq(r.exists("fifo"), 0, "all three elements went to waiters")


def test_push_and_pop_atomic(s):
    r = s.client()
    r.flushall()
    b = Blocker(s, "BLPOP", "atomic", 0)
    wait_blocked(r, 1, "BLPOP atomic")
    # Pipelined on one connection: the LLEN right after the push runs after the waiter took
    # the value (it was served inside the push), so it sees an empty list.
    p = r.pipeline(transaction=False)
    p.rpush("atomic", "v")
    p.llen("atomic")
    p.lrange("atomic", 0, -1)
    eq(p.execute(), [1, 0, []], "RPUSH, then LLEN/LRANGE see the list already served")
    eq(b.result(), ["atomic", "v"], "the waiter got the value")


def test_timeouts(s):
    r = s.client()
    r.flushall()
    t0 = time.monotonic()
    eq(r.execute_command("BLPOP", "none", "0.3"), None, "BLPOP times out with a null array")
    took = time.monotonic() - t0
    assert 0.25 <= took < 5, f"BLPOP 0.3 took {took:.3f} s"
    eq(r.execute_command("BLMOVE", "none", "dst", "LEFT", "RIGHT", "0.05"), None, "BLMOVE timeout: null bulk")
    raw = kvdtest.redis_cli(s.port, "--no-raw", "BLPOP", "none", "0.01")
    eq(raw.strip(), "(nil)", "redis-cli sees a null reply on timeout")
    try:
        r.execute_command("BLPOP", "k", "-1")
        raise AssertionError("negative timeout accepted")
    except Exception as e:
        eq(str(e), "timeout is negative", "BLPOP negative timeout")
    try:
        r.execute_command("BLPOP", "k", "abc")
        raise AssertionError("non-numeric timeout accepted")
    except Exception as e:
        eq(str(e), "timeout is not a float or out of range", "BLPOP bad timeout")
    eq(blocked_clients(r), 0, "timed-out clients are not blocked any more")


def test_disconnect_and_kill_leave_no_waiter(s):
    r = s.client()
    r.flushall()
    # A redis-cli process that blocks and is killed: its connection goes away.
    proc = subprocess.Popen(["redis-cli", "-p", str(s.port), "BLPOP", "gone", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_blocked(r, 1, "redis-cli BLPOP")
    finally:
        proc.kill()
        proc.wait(5)
    wait_blocked(r, 0, "after the blocked redis-cli died")
    r.rpush("gone", "kept")
    eq(r.lrange("gone", 0, -1), ["kept"], "a push after the disconnect stays in the list")
    # CLIENT KILL of a blocked client.
    b = Blocker(s, "BLPOP", "killed", 0)
    wait_blocked(r, 1, "BLPOP before CLIENT KILL")
    victim = [c for c in r.client_list() if c.get("cmd") == "blpop"]
    eq(len(victim), 1, "CLIENT LIST shows the blocked BLPOP")
    eq(r.execute_command("CLIENT", "KILL", "ID", victim[0]["id"]), 1, "CLIENT KILL ID")
    try:
        b.result()
        raise AssertionError("killed BLPOP returned a value")
    except AssertionError:
        raise
    except Exception:
        pass  # connection closed: expected
    wait_blocked(r, 0, "after CLIENT KILL")
    r.rpush("killed", "kept")
    eq(r.llen("killed"), 1, "a push after the kill stays in the list")


def test_redis_cli_processes(s):
    r = s.client()
    r.flushall()
    proc = subprocess.Popen(["redis-cli", "-p", str(s.port), "--no-raw", "BRPOPLPUSH", "src", "dst", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_blocked(r, 1, "redis-cli BRPOPLPUSH")
        kvdtest.redis_cli(s.port, "RPUSH", "src", "moved")
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    eq(out.strip(), '"moved"', "BRPOPLPUSH reply in the blocked redis-cli")
    eq(r.lrange("dst", 0, -1), ["moved"], "the destination got the element")
    eq(r.exists("src"), 0, "the source was emptied")


def test_blmove_chain_and_blmpop(s):
    r = s.client()
    r.flushall()
    final = Blocker(s, "BLPOP", "stage2", 0)
    wait_blocked(r, 1, "BLPOP stage2")
    mover = Blocker(s, "BLMOVE", "stage1", "stage2", "LEFT", "RIGHT", 0)
    wait_blocked(r, 2, "BLMOVE stage1 -> stage2")
    r.rpush("stage1", "x")
    eq(mover.result(), "x", "BLMOVE reply")
    eq(final.result(), ["stage2", "x"], "the element moved on to the BLPOP on the destination")
    eq(r.exists("stage1", "stage2"), 0, "both lists empty")
    m = Blocker(s, "BLMPOP", 0, 2, "m1", "m2", "RIGHT", "COUNT", 2)
    wait_blocked(r, 1, "BLMPOP")
    r.rpush("m2", "a", "b", "c")
    eq(m.result(), ["m2", ["c", "b"]], "BLMPOP pops COUNT from the right")
    eq(r.lrange("m2", 0, -1), ["a"], "what BLMPOP left")


def test_bzpopmin_and_bzmpop(s):
    r = s.client()
    r.flushall()
    b = Blocker(s, "BZPOPMIN", "z", 0)
    wait_blocked(r, 1, "BZPOPMIN")
    r.zadd("z", {"a": 2, "b": 1})
    eq(b.result(), ["z", "b", 1.0], "BZPOPMIN reply [key, member, score]")
    eq(r.zrange("z", 0, -1), ["a"], "BZPOPMIN left the other member")
    b = Blocker(s, "BZMPOP", 0, 1, "z2", "MAX")
    wait_blocked(r, 1, "BZMPOP")
    r.zadd("z2", {"c": 5, "d": 1})
    res = b.result()
    eq(res[0], "z2", "BZMPOP key")
    eq(res[1], [["c", "5"]], "BZMPOP MAX pops the highest")


def test_many_blocked_clients_cost_no_thread(s):
    r = s.client()
    r.flushall()
    def threads():
        with open(f"/proc/{s.pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("Threads:"))
    before = threads()
    n = 200
    socks = []
    try:
        for i in range(n):
            c = kvdtest.RawConn(s.port)
            key = f"many{i % 10}"
            c.send(f"*3\r\n$5\r\nBLPOP\r\n${len(key)}\r\n{key}\r\n$1\r\n0\r\n".encode())
            socks.append(c)
        wait_blocked(r, n, f"{n} raw BLPOP connections")
        eq(threads(), before, "server threads with 200 blocked clients")
        t0 = time.monotonic()
        for _ in range(100):
            r.ping()
        took = time.monotonic() - t0
        assert took < 5, f"100 PINGs took {took:.2f} s with {n} blocked clients"
        # Serve all: each list gets 20 elements, one per waiter.
        for k in range(10):
            r.rpush(f"many{k}", *[f"e{j}" for j in range(20)])
        wait_blocked(r, 0, "after serving every waiter")
        for c in socks:
            reply = c.read_reply(timeout=5)
            assert reply.startswith(b"*2\r\n"), f"a waiter got {reply!r}"
        eq(r.dbsize(), 0, "every pushed element went to a waiter")
    finally:
        for c in socks:
            c.close()


def test_http_does_not_block(s):
    url = f"http://127.0.0.1:{s.http_port}/v1/command"
    body = b'["BLPOP", "httpq", "0"]'
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    t0 = time.monotonic()
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read().decode()
    assert time.monotonic() - t0 < 5, "BLPOP over HTTP blocked"
    assert "null" in text, f"BLPOP over HTTP on an empty list: {text}"


def test_aof_logs_the_served_pop():
    with kvdtest.server("--appendonly", "yes", "--appendfsync", "always", http=False) as s:
        r = s.client()
        b = Blocker(s, "BLPOP", "aq", 0)
        wait_blocked(r, 1, "BLPOP with AOF")
        r.rpush("aq", "one", "two")
        eq(b.result(), ["aq", "one"], "BLPOP served with AOF on")
        aof_dir = os.path.join(s.dir, "appendonlydir")
        incr = [f for f in os.listdir(aof_dir) if f.endswith(".incr.aof")]
        eq(len(incr), 1, "one incr file")
        with open(os.path.join(aof_dir, incr[0]), "rb") as f:
            data = f.read()
        assert b"BLPOP" not in data.upper(), f"the blocking command itself reached the AOF: {data!r}"
        assert b"LPOP" in data.upper(), f"the served pop is not in the AOF: {data!r}"
        eq(r.lrange("aq", 0, -1), ["two"], "what the pop left")


def main():
    failures = 0
    with kvdtest.server() as s:
        failures += kvdtest.run_tests([
            test_blpop_served_by_push, test_fifo_order_among_waiters, test_push_and_pop_atomic,
            test_timeouts, test_disconnect_and_kill_leave_no_waiter, test_redis_cli_processes,
            test_blmove_chain_and_blmpop, test_bzpopmin_and_bzmpop,
            test_many_blocked_clients_cost_no_thread, test_http_does_not_block,
        ], s)
    failures += kvdtest.run_tests([test_aof_logs_the_served_pop])
    return failures


if __name__ == "__main__":
    kvdtest.main(main)
