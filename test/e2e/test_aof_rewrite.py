"""AOF rewrite (issue 4, Redis 7.0 multi-part AOF): BGREWRITEAOF under concurrent writes, then
a restart has every key; the file layout after a rewrite (manifest = new base + the incr file
opened at the fork, old files gone); the replies while another child runs (a child held with
SIGSTOP); the automatic rewrite; CONFIG SET appendonly yes/no at runtime; BGREWRITEAOF with
appendonly no (a base and a manifest, as redis-server writes); interop both ways with Debian's
redis-server 7.0 (it loads kvd's rewritten appendonlydir with an RDB base and a plain one; kvd
loads the appendonlydir redis-server rewrote); kvd-check-aof accepts the RDB base layout.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402
from test_aof_interop import fill, same, snapshot, start, stop  # noqa: E402

import redis  # noqa: E402

KVD = kvdtest.kvd_server_path()
CHECK = os.environ.get("KVD_CHECK_AOF") or os.path.join(os.path.dirname(KVD), "kvd-check-aof")


def kvd_argv(port, d, *extra):
    return [KVD, "--port", str(port), "--bind", "127.0.0.1", "--http-port", "0", "--dir", d, *extra]


def redis_argv(port, d, *extra):
    return [kvdtest.REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
            "--daemonize", "no", *extra]


def run_kvd(d, *extra):
    port = kvdtest.free_port()
    proc = start(kvd_argv(port, d, *extra), port, os.path.join(d, f"kvd.{time.monotonic_ns()}.log"))
    return proc, port


def manifest(d):
    """[(name, seq, type)] of appendonlydir/appendonly.aof.manifest."""
    out = []
    with open(os.path.join(d, "appendonlydir", "appendonly.aof.manifest")) as f:
        for line in f:
            w = line.split()
            out.append((w[1], int(w[3]), w[5]))
    return out


def files(d):
    return sorted(os.listdir(os.path.join(d, "appendonlydir")))


def wait_rewrite(r, before, timeout=60):
    """Waits until aof_rewrites > before and no rewrite runs; returns the persistence INFO."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = r.info("persistence")
        if info["aof_rewrites"] > before and not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return info
        time.sleep(0.05)
    raise AssertionError(f"rewrite did not finish: {r.info('persistence')}")


def children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def stop_child(pid):
    """SIGSTOPs the running child of `pid` (a BGSAVE or rewrite child); returns its pid, or None
    when it had already exited."""
    for k in children(pid):
        try:
            os.kill(k, signal.SIGSTOP)
            for _ in range(100):
                with open(f"/proc/{k}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                if state == "T":
                    return k
                if state in "ZX":
                    break
                time.sleep(0.005)
            os.kill(k, signal.SIGCONT)
        except (ProcessLookupError, FileNotFoundError):
            pass
    return None




def start_stopped_child(r, pid, command, reply):
    """Runs `command` (BGSAVE or BGREWRITEAOF) until its child could be stopped; returns it."""
    for _ in range(20):
        eq(kvdtest.redis_cli(r.connection_pool.connection_kwargs["port"], command).strip(), reply, command)
        k = stop_child(pid)
        if k:
            return k
        wait_idle(r)
    raise AssertionError(f"could not catch the {command} child")


def wait_idle(r, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        info = r.info("persistence")
        if not (info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"] or info["rdb_bgsave_in_progress"]):
            return info
        assert time.monotonic() < deadline, f"children still running: {info}"
        time.sleep(0.05)


def check_layout(d, base_ext):
    m = manifest(d)
    eq([t for _, _, t in m], ["b", "i"], f"manifest entry types {m}")
    base, incr = m[0][0], m[1][0]
    assert base.endswith(base_ext), m
    eq(base, f"appendonly.aof.{m[0][1]}.base{base_ext}", "base name")
    eq(incr, f"appendonly.aof.{m[1][1]}.incr.aof", "incr name")
    eq(files(d), sorted([base, incr, "appendonly.aof.manifest"]), "files in appendonlydir (old ones deleted)")
    return m


def test_rewrite_under_writes_then_restart():
    d = tempfile.mkdtemp(prefix="kvd-aofrw-")
    try:
        proc, port = run_kvd(d, "--appendonly", "yes", "--appendfsync", "always")
        try:
            fill(port)
            r = redis.Redis(host="127.0.0.1", port=port)
            stop_flag = threading.Event()
            acked = [0] * 6
            errors = []

            def writer(i):
                c = redis.Redis(host="127.0.0.1", port=port, db=i % 3)
                n = 0
                try:
                    while not stop_flag.is_set() and n < 3000:  # bounded
                        c.incr(f"ctr{i}")
                        c.rpush(f"log{i}", n)
                        c.set(f"k{i}:{n % 50}", n)
                        c.hset(f"h{i}", f"f{n % 20}", n)
                        n += 1
                        acked[i] = n
                except Exception as e:  # noqa: BLE001
                    errors.append(e)

            threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
            for t in threads:
                t.start()
            try:
                for _ in range(3):
                    time.sleep(0.2)
                    before = r.info("persistence")["aof_rewrites"]
                    eq(r.bgrewriteaof(), True, "BGREWRITEAOF")
                    info = wait_rewrite(r, before)
                    eq(info["aof_last_bgrewrite_status"], "ok", "status")
            finally:
                stop_flag.set()
                for t in threads:
                    t.join(60)
            assert not errors, errors
            for i in range(6):
                c = redis.Redis(host="127.0.0.1", port=port, db=i % 3)
                eq(int(c.get(f"ctr{i}")), acked[i], f"ctr{i}")
                eq(c.llen(f"log{i}"), acked[i], f"log{i}")
            want = snapshot(port)
            info = r.info("persistence")
            eq(info["aof_rewrites"], 3, "aof_rewrites")
            assert info["aof_last_rewrite_time_sec"] >= 0, info
            assert info["aof_base_size"] > 0 and info["aof_current_size"] >= info["aof_base_size"], info
            m = check_layout(d, ".rdb")
            eq(m[0][1], 4, "base seq after 3 rewrites (1 at start-up)")
            eq(m[1][1], 4, "incr seq after 3 rewrites")
        finally:
            stop(proc, port)
        proc, port = run_kvd(d, "--appendonly", "yes")
        try:
            same(want, snapshot(port), "after restart")
        finally:
            stop(proc, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_replies_while_another_child_runs():
    d = tempfile.mkdtemp(prefix="kvd-aofrw-")
    try:
        proc, port = run_kvd(d, "--appendonly", "yes")
        try:
            r = redis.Redis(host="127.0.0.1", port=port)
            # Enough data that a child takes a moment (to be caught and stopped).
            p = r.pipeline(transaction=False)
            for i in range(50000):
                p.set(f"fill:{i}", "v" * 64)
            p.execute()
            r.set("a", "1")
            # A rewrite whose child is stopped: other requests are refused or scheduled.
            kid = start_stopped_child(r, proc.pid, "BGREWRITEAOF", "Background append only file rewriting started")
            try:
                eq(r.info("persistence")["aof_rewrite_in_progress"], 1, "in progress")
                # The child closed what it inherited: no listening socket stays bound by it.
                eq(kvdtest.socket_fds(kid), [], "sockets open in the rewrite child")
                eq(kvdtest.redis_cli(port, "BGREWRITEAOF").strip(),
                   "ERR Background append only file rewriting already in progress")
                out = kvdtest.redis_cli(port, "BGSAVE").strip()
                assert out.startswith("ERR Another child process is active (AOF?)"), out
                eq(kvdtest.redis_cli(port, "BGSAVE", "SCHEDULE").strip(), "Background saving scheduled")
            finally:
                os.kill(kid, signal.SIGCONT)
            deadline = time.monotonic() + 30
            while not os.path.exists(os.path.join(d, "dump.rdb")):
                assert time.monotonic() < deadline, f"scheduled BGSAVE did not run\n{proc_log(d)}"
                time.sleep(0.05)
            wait_idle(r)
            # A BGSAVE whose child is stopped: the rewrite is scheduled and runs afterwards.
            before = r.info("persistence")["aof_rewrites"]
            kid = start_stopped_child(r, proc.pid, "BGSAVE", "Background saving started")
            try:
                eq(kvdtest.socket_fds(kid), [], "sockets open in the BGSAVE child")
                eq(kvdtest.redis_cli(port, "BGREWRITEAOF").strip(), "Background append only file rewriting scheduled")
                eq(r.info("persistence")["aof_rewrite_scheduled"], 1, "scheduled")
            finally:
                os.kill(kid, signal.SIGCONT)
            wait_rewrite(r, before)
            eq(r.get("a"), b"1")
        finally:
            stop(proc, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def proc_log(d):
    return "\n".join(open(os.path.join(d, f)).read()[-3000:] for f in os.listdir(d) if f.endswith(".log"))


def test_auto_rewrite():
    d = tempfile.mkdtemp(prefix="kvd-aofrw-")
    try:
        proc, port = run_kvd(d, "--appendonly", "yes", "--auto-aof-rewrite-percentage", "100",
                             "--auto-aof-rewrite-min-size", "200kb")
        try:
            r = redis.Redis(host="127.0.0.1", port=port)
            eq(r.config_get("auto-aof-rewrite-min-size"), {"auto-aof-rewrite-min-size": "204800"})
            # Overwriting the same keys: the log grows, the data does not.
            p = r.pipeline(transaction=False)
            for i in range(3000):
                p.set(f"key{i % 100}", "x" * 100)
            p.execute()
            deadline = time.monotonic() + 30
            while r.info("persistence")["aof_rewrites"] < 1:
                assert time.monotonic() < deadline, f"no automatic rewrite: {r.info('persistence')}"
                time.sleep(0.1)
            info = wait_rewrite(r, 0)
            assert info["aof_base_size"] < 200 * 1024, info
            check_layout(d, ".rdb")
            eq(r.dbsize(), 100)
        finally:
            stop(proc, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_config_set_appendonly():
    d = tempfile.mkdtemp(prefix="kvd-aofrw-")
    try:
        proc, port = run_kvd(d, "--appendonly", "no")
        try:
            r = redis.Redis(host="127.0.0.1", port=port)
            fill(port)
            eq(r.info("persistence")["aof_enabled"], 0)
            eq(r.config_set("appendonly", "yes"), True, "CONFIG SET appendonly yes")
            info = r.info("persistence")
            eq(info["aof_enabled"], 1, "aof_enabled")
            r.set("after", "on")
            wait_rewrite(r, 0)
            check_layout(d, ".rdb")
            r.set("after2", "on")
            r.rpush("l0", "more")
            want = snapshot(port)
            eq(r.config_set("appendonly", "no"), True, "CONFIG SET appendonly no")
            eq(r.info("persistence")["aof_enabled"], 0)
            incr = os.path.join(d, "appendonlydir", manifest(d)[1][0])
            size = os.path.getsize(incr)
            r.set("not-logged", "x")
            time.sleep(0.1)
            eq(os.path.getsize(incr), size, "no writes logged after appendonly no")
        finally:
            stop(proc, port)
        proc, port = run_kvd(d, "--appendonly", "yes")
        try:
            same(want, snapshot(port), "restart on the AOF started at runtime")
        finally:
            stop(proc, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_shutdown_refused_while_the_initial_aof_is_written():
    """Redis prepareForShutdown: with appendonly switched on at runtime and no base written yet,
    SHUTDOWN (and SIGTERM) refuse to exit, since the AOF alone could not bring the data back;
    SHUTDOWN FORCE exits anyway. Once the first rewrite is in, SHUTDOWN works and a restart on
    the AOF has every key."""
    d = tempfile.mkdtemp(prefix="kvd-aofrw-")
    try:
        proc, port = run_kvd(d, "--appendonly", "no")
        try:
            r = redis.Redis(host="127.0.0.1", port=port)
            p = r.pipeline(transaction=False)
            for i in range(50000):
                p.set(f"fill:{i}", "v" * 64)
            p.execute()
            r.set("a", "1")
            # The first rewrite waits behind a BGSAVE whose child is stopped.
            kid = start_stopped_child(r, proc.pid, "BGSAVE", "Background saving started")
            try:
                eq(r.config_set("appendonly", "yes"), True, "CONFIG SET appendonly yes")
                eq(r.info("persistence")["aof_rewrite_scheduled"], 1, "first rewrite scheduled")
                for args in (["SHUTDOWN"], ["SHUTDOWN", "NOSAVE"], ["SHUTDOWN", "SAVE"]):
                    eq(kvdtest.redis_cli(port, *args).strip(), "ERR Errors trying to SHUTDOWN. Check logs.",
                       " ".join(args))
                proc.send_signal(signal.SIGTERM)
                deadline = time.monotonic() + 10
                while "SIGTERM received but errors trying to shut down" not in proc_log(d):
                    assert time.monotonic() < deadline, f"SIGTERM not handled\n{proc_log(d)}"
                    time.sleep(0.05)
                assert proc.poll() is None, "kvd exited on SIGTERM before its first AOF was written"
                eq(r.get("a"), b"1", "still serving")
                assert "Writing initial AOF, can't exit." in proc_log(d), proc_log(d)
            finally:
                os.kill(kid, signal.SIGCONT)
            wait_rewrite(r, 0)
            r.set("b", "2")
            eq(kvdtest.redis_cli_run(port, "SHUTDOWN").stdout.strip(), "", "SHUTDOWN once the base is in")
            proc.wait(timeout=30)
        finally:
            stop(proc, port)
        proc, port = run_kvd(d, "--appendonly", "yes")
        try:
            r = redis.Redis(host="127.0.0.1", port=port)
            eq((r.get("a"), r.get("b"), r.dbsize()), (b"1", b"2", 50002), "restart on the AOF")
            # FORCE exits even while the first rewrite waits.
            eq(r.config_set("appendonly", "no"), True)
            kid = start_stopped_child(r, proc.pid, "BGSAVE", "Background saving started")
            try:
                eq(r.config_set("appendonly", "yes"), True)
                cli = subprocess.Popen([kvdtest.REDIS_CLI, "-p", str(port), "SHUTDOWN", "NOSAVE", "FORCE"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + 10
                while "Writing initial AOF. Exit anyway." not in proc_log(d):
                    assert time.monotonic() < deadline, proc_log(d)
                    time.sleep(0.05)
                os.kill(kid, signal.SIGCONT)  # the shutdown kills it, and waits for it
                proc.wait(timeout=30)
                cli.wait(timeout=30)
            finally:
                try:
                    os.kill(kid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        finally:
            stop(proc, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_bgrewriteaof_with_appendonly_no():
    d = tempfile.mkdtemp(prefix="kvd-aofrw-")
    try:
        proc, port = run_kvd(d, "--appendonly", "no")
        try:
            r = redis.Redis(host="127.0.0.1", port=port)
            fill(port)
            want = snapshot(port)
            eq(kvdtest.redis_cli(port, "BGREWRITEAOF").strip(), "Background append only file rewriting started")
            wait_rewrite(r, 0)
            eq(manifest(d), [("appendonly.aof.1.base.rdb", 1, "b")], "manifest: the base alone (as Redis)")
            eq(files(d), ["appendonly.aof.1.base.rdb", "appendonly.aof.manifest"])
            r.config_set("aof-use-rdb-preamble", "no")
            eq(kvdtest.redis_cli(port, "BGREWRITEAOF").strip(), "Background append only file rewriting started")
            wait_rewrite(r, 1)
            eq(manifest(d), [("appendonly.aof.2.base.aof", 2, "b")], "manifest after a plain rewrite")
            eq(files(d), ["appendonly.aof.2.base.aof", "appendonly.aof.manifest"])
        finally:
            stop(proc, port)
        proc, port = run_kvd(d, "--appendonly", "yes")
        try:
            same(want, snapshot(port), "kvd on the plain base")
        finally:
            stop(proc, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def kvd_rewritten_dir(preamble):
    """A kvd appendonlydir after a rewrite with aof-use-rdb-preamble `preamble` and writes after it."""
    d = tempfile.mkdtemp(prefix="kvd-aofrw-")
    proc, port = run_kvd(d, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    try:
        r = redis.Redis(host="127.0.0.1", port=port)
        fill(port)
        for db in (0, 7):
            c = redis.Redis(host="127.0.0.1", port=port, db=db)
            c.rpush("biglist", *[f"item-{i}" for i in range(300)])
            c.sadd("bigset", *[f"member-{i}" for i in range(700)])
            c.hset("bighash", mapping={f"f{i}": f"v{i}" for i in range(600)})
            c.zadd("bigzset", {f"z{i}": i / 3 for i in range(300)})
            c.zadd("special", {"a": float("inf"), "b": float("-inf"), "c": 0.1})
        r.bgrewriteaof()
        wait_rewrite(r, 0)
        for db in (0, 3):
            c = redis.Redis(host="127.0.0.1", port=port, db=db)
            c.set("after-rewrite", db)
            c.incr(f"n{db}")
        want = snapshot(port)
    finally:
        stop(proc, port)
    return d, want


def test_redis_loads_kvd_rewritten_aof():
    for preamble, ext in (("yes", ".rdb"), ("no", ".aof")):
        d, want = kvd_rewritten_dir(preamble)
        try:
            check_layout(d, ext)
            rc = subprocess.run(["redis-check-aof", os.path.join(d, "appendonlydir", "appendonly.aof.manifest")],
                                capture_output=True, text=True, timeout=60)
            assert rc.returncode == 0 and "is valid" in rc.stdout, rc.stdout + rc.stderr
            rc = subprocess.run([CHECK, os.path.join(d, "appendonlydir")], capture_output=True, text=True, timeout=60)
            eq(rc.returncode, 0, f"kvd-check-aof on the {ext} base: {rc.stdout}{rc.stderr}")
            rport = kvdtest.free_port()
            red = start(redis_argv(rport, d, "--appendonly", "yes"), rport, os.path.join(d, "redis.log"))
            try:
                same(want, snapshot(rport), f"redis-server on kvd's rewritten AOF ({ext} base)")
            finally:
                stop(red, rport)
        finally:
            shutil.rmtree(d, ignore_errors=True)


def test_kvd_loads_redis_rewritten_aof():
    d = tempfile.mkdtemp(prefix="kvd-aofrw-")
    try:
        rport = kvdtest.free_port()
        red = start(redis_argv(rport, d, "--appendonly", "yes", "--aof-use-rdb-preamble", "yes"), rport,
                    os.path.join(d, "redis.log"))
        try:
            fill(rport)
            r = redis.Redis(host="127.0.0.1", port=rport)
            r.rpush("biglist", *[f"item-{i}" for i in range(3000)])
            r.sadd("intset", *range(100))
            r.set("compressible", "abc" * 1000)
            r.bgrewriteaof()
            wait_rewrite(r, 0)
            r.set("after-rewrite", "1")
            r.incr("n0")
            want = snapshot(rport)
        finally:
            stop(red, rport)
        assert any(n.endswith(".base.rdb") for n, _, _ in manifest(d)), manifest(d)
        rc = subprocess.run([CHECK, os.path.join(d, "appendonlydir")], capture_output=True, text=True, timeout=60)
        eq(rc.returncode, 0, f"kvd-check-aof on redis-server's rewritten AOF: {rc.stdout}{rc.stderr}")
        assert re.search(r"base\.rdb: \d+ valid records", rc.stdout), rc.stdout
        proc, port = run_kvd(d, "--appendonly", "yes")
        try:
            same(want, snapshot(port), "kvd on redis-server's rewritten AOF")
            # and kvd rewrites on top of it
            r = redis.Redis(host="127.0.0.1", port=port)
            r.bgrewriteaof()
            wait_rewrite(r, 0)
            check_layout(d, ".rdb")
        finally:
            stop(proc, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([test_rewrite_under_writes_then_restart, test_replies_while_another_child_runs,
                                            test_auto_rewrite, test_config_set_appendonly,
                                            test_shutdown_refused_while_the_initial_aof_is_written,
                                            test_bgrewriteaof_with_appendonly_no, test_redis_loads_kvd_rewritten_aof,
                                            test_kvd_loads_redis_rewritten_aof]))
