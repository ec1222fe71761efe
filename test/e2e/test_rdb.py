"""RDB snapshots (version 10) with Debian's redis-server 7.0, both ways, and kvd's own SAVE,
BGSAVE, LASTSAVE, save rules, SHUTDOWN SAVE/NOSAVE, save on SIGTERM, and the start-up error on
a corrupt or truncated dump.rdb.

- kvd SAVE -> redis-server started on that dump.rdb has the same keyspace (every type, small
  and large encodings, TTLs, several databases), and redis-check-rdb accepts the file;
- redis-server SAVE (its compact encodings: listpack, quicklist, intset; LZF on) -> kvd loads
  the same keyspace, with the same OBJECT ENCODING for every key.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402
from test_aof_interop import fill, same, snapshot, start, stop  # noqa: E402

import redis  # noqa: E402


def kvd_argv(port, d, *extra):
    return [kvdtest.kvd_server_path(), "--port", str(port), "--bind", "127.0.0.1", "--http-port", "0",
            "--dir", d, "--appendonly", "no", *extra]


def redis_argv(port, d, *extra):
    return [kvdtest.REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
            "--appendonly", "no", "--daemonize", "no", *extra]


def fill_big(port):
    """Adds values past the listpack/intset limits, long compressible strings and integers."""
    for db in (0, 7):
        r = redis.Redis(host="127.0.0.1", port=port, db=db)
        p = r.pipeline(transaction=False)
        p.rpush("biglist", *[f"item-{i}" for i in range(3000)])
        p.rpush("intlist", *range(-300, 300))
        p.sadd("bigintset", *range(1000))
        p.sadd("bigset", *[f"member-{i}" for i in range(700)])
        p.hset("bighash", mapping={f"f{i}": f"v{i}" for i in range(600)})
        p.hset("longhash", mapping={"k": "v" * 200})
        p.zadd("bigzset", {f"z{i}": i / 3 for i in range(300)})
        p.zadd("longzset", {"m" * 100: 1.5, "a": float("inf"), "b": float("-inf")})
        p.zadd("smallzset", {"a": 1, "b": 2.5, "c": -0.125})
        p.set("compressible", "abc" * 1000)
        p.set("int", 123456789)
        p.set("bigint", 9223372036854775807)
        p.set("neg", -5)
        p.set("empty", "")
        p.set("withttl", "v", px=900_000)
        p.execute()


def encodings(port):
    out = {}
    for db in range(16):
        r = redis.Redis(host="127.0.0.1", port=port, db=db)
        for k in r.keys("*"):
            # Strings are re-created at load (embstr/int/raw by size, in Redis too): collections only.
            if r.type(k) != b"string":
                out[(db, k)] = r.object("encoding", k)
    return out


def wait_bgsave(r, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not r.info("persistence")["rdb_bgsave_in_progress"]:
            return
        time.sleep(0.05)
    raise AssertionError("BGSAVE did not finish")


def test_redis_loads_kvd_rdb():
    d = tempfile.mkdtemp(prefix="kvd-rdb-")
    try:
        port = kvdtest.free_port()
        kvd = start(kvd_argv(port, d), port, os.path.join(d, "kvd.log"))
        try:
            fill(port)
            fill_big(port)
            want = snapshot(port)
            r = redis.Redis(host="127.0.0.1", port=port)
            assert r.info("persistence")["rdb_changes_since_last_save"] > 0
            before = r.lastsave()
            time.sleep(1.1)
            eq(kvdtest.redis_cli(port, "SAVE").strip(), "OK", "SAVE")
            assert r.lastsave() > before, "LASTSAVE moves on SAVE"
            eq(r.info("persistence")["rdb_changes_since_last_save"], 0, "dirty after SAVE")
        finally:
            stop(kvd, port)
        path = os.path.join(d, "dump.rdb")
        check = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True)
        assert check.returncode == 0 and "RDB looks OK" in check.stdout, check.stdout + check.stderr
        rport = kvdtest.free_port()
        red = start(redis_argv(rport, d), rport, os.path.join(d, "redis.log"))
        try:
            same(want, snapshot(rport), "redis-server on kvd's dump.rdb")
        finally:
            stop(red, rport)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_kvd_loads_redis_rdb():
    d = tempfile.mkdtemp(prefix="kvd-rdb-")
    try:
        rport = kvdtest.free_port()
        red = start(redis_argv(rport, d), rport, os.path.join(d, "redis.log"))
        try:
            fill(rport)
            fill_big(rport)
            want = snapshot(rport)
            want_enc = encodings(rport)
            redis.Redis(host="127.0.0.1", port=rport).save()
        finally:
            stop(red, rport)
        port = kvdtest.free_port()
        kvd = start(kvd_argv(port, d), port, os.path.join(d, "kvd.log"))
        try:
            same(want, snapshot(port), "kvd on redis-server's dump.rdb")
            eq(encodings(port), want_enc, "OBJECT ENCODING after load")
        finally:
            stop(kvd, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_bgsave_lastsave_shutdown():
    d = tempfile.mkdtemp(prefix="kvd-rdb-")
    try:
        port = kvdtest.free_port()
        kvd = start(kvd_argv(port, d, "--dbfilename", "snap.rdb"), port, os.path.join(d, "kvd.log"))
        r = redis.Redis(host="127.0.0.1", port=port)
        try:
            fill_big(port)
            want = snapshot(port)
            try:
                r.execute_command("BGSAVE", "NOW")
                raise AssertionError("BGSAVE NOW accepted")
            except redis.ResponseError as e:
                eq(str(e), "syntax error", "BGSAVE bad argument")
            eq(kvdtest.redis_cli(port, "BGSAVE").strip(), "Background saving started", "BGSAVE")
            wait_bgsave(r)
            info = r.info("persistence")
            eq(info["rdb_last_bgsave_status"], "ok", "bgsave status")
            eq(info["rdb_changes_since_last_save"], 0, "dirty after BGSAVE")
            eq(info["rdb_saves"], 1, "rdb_saves after one BGSAVE")
            assert r.info("stats")["latest_fork_usec"] > 0
            eq(kvdtest.redis_cli(port, "BGSAVE", "SCHEDULE").strip(), "Background saving started", "BGSAVE SCHEDULE")
            wait_bgsave(r)
            r.save()
            eq(r.info("persistence")["rdb_saves"], 3, "rdb_saves counts BGSAVE and SAVE")
            r.config_resetstat()
            eq(r.info("persistence")["rdb_saves"], 0, "CONFIG RESETSTAT clears rdb_saves")
            # Written after the snapshot: not in it (SHUTDOWN NOSAVE below).
            r.set("later", "x")
            eq(r.info("persistence")["rdb_changes_since_last_save"], 1, "one write counted")
        finally:
            stop(kvd, port)
        assert os.path.exists(os.path.join(d, "snap.rdb"))
        assert not [n for n in os.listdir(d) if n.startswith("temp-")], os.listdir(d)
        kvd = start(kvd_argv(port, d, "--dbfilename", "snap.rdb"), port, os.path.join(d, "kvd2.log"))
        try:
            same(want, snapshot(port), "kvd restarted on its BGSAVE")
            info = r.info("persistence")
            total = sum(v["keys"] for k, v in r.info("keyspace").items() if k.startswith("db"))
            eq((info["rdb_last_load_keys_loaded"], info["rdb_last_load_keys_expired"]), (total, 0),
               "rdb_last_load_keys_* after the start-up load (keys of every db)")
            # SHUTDOWN SAVE saves without save rules.
            r.set("later", "y")
            try:
                r.execute_command("SHUTDOWN", "SAVE")
            except redis.ConnectionError:
                pass
            kvd.wait(timeout=10)
        finally:
            kvdtest._kill(kvd)
        kvd = start(kvd_argv(port, d, "--dbfilename", "snap.rdb", "--save", "3600 1"), port,
                    os.path.join(d, "kvd3.log"))
        try:
            eq(r.get("later"), b"y", "SHUTDOWN SAVE saved")
            eq(r.config_get("save"), {"save": "3600 1"}, "CONFIG GET save")
            r.set("later", "z")
            # SIGTERM with save rules set saves before exiting.
            kvd.send_signal(signal.SIGTERM)
            eq(kvd.wait(timeout=10), 0, "exit code after SIGTERM")
        finally:
            kvdtest._kill(kvd)
        kvd = start(kvd_argv(port, d, "--dbfilename", "snap.rdb"), port, os.path.join(d, "kvd4.log"))
        try:
            eq(r.get("later"), b"z", "SIGTERM saved")
        finally:
            stop(kvd, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_save_rules_trigger_bgsave():
    d = tempfile.mkdtemp(prefix="kvd-rdb-")
    try:
        port = kvdtest.free_port()
        kvd = start(kvd_argv(port, d, "--save", "1 3"), port, os.path.join(d, "kvd.log"))
        r = redis.Redis(host="127.0.0.1", port=port)
        try:
            time.sleep(1.2)
            r.set("a", 1)
            time.sleep(1.5)
            assert not os.path.exists(os.path.join(d, "dump.rdb")), "saved after 1 change with rule '1 3'"
            r.set("b", 2)
            r.set("c", 3)
            deadline = time.monotonic() + 10
            while not os.path.exists(os.path.join(d, "dump.rdb")) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert os.path.exists(os.path.join(d, "dump.rdb")), "save rule did not fire"
            wait_bgsave(r)
            eq(r.info("persistence")["rdb_last_bgsave_status"], "ok", "status")
            for bad in ("1", "a b", "-1 2"):
                try:
                    r.config_set("save", bad)
                    raise AssertionError(f"CONFIG SET save {bad!r} accepted")
                except redis.ResponseError:
                    pass
            r.config_set("save", "")
            eq(r.config_get("save"), {"save": ""}, "save cleared")
        finally:
            stop(kvd, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_flushall_saves_and_bgsave_error_stops_writes():
    """FLUSHALL with save rules saves the empty dataset at once (Redis flushAllDataAndResetRDB);
    a failed BGSAVE under save rules makes writes and PING answer -MISCONF while reads go on
    (stop-writes-on-bgsave-error yes, the default), until a save succeeds again; with the
    option off writes go on."""
    d = tempfile.mkdtemp(prefix="kvd-rdb-")
    data = os.path.join(d, "data")
    os.mkdir(data)
    try:
        port = kvdtest.free_port()
        kvd = start(kvd_argv(port, data, "--save", "3600 1"), port, os.path.join(d, "kvd.log"))
        r = redis.Redis(host="127.0.0.1", port=port)
        try:
            r.set("a", 1)
            eq(r.flushall(), True, "FLUSHALL")
            dump = os.path.join(data, "dump.rdb")
            assert os.path.exists(dump), "FLUSHALL with save rules did not save"
            eq(r.info("persistence")["rdb_changes_since_last_save"], 1, "FLUSHALL counts as one change")
            r.set("kept", "v")
            # The data directory disappears: the child cannot create its temp file.
            shutil.rmtree(data)
            r.bgsave()
            wait_bgsave(r)
            eq(r.info("persistence")["rdb_last_bgsave_status"], "err", "BGSAVE failed")
            misconf = "MISCONF Redis is configured to save RDB snapshots"
            for cmd in (("SET", "x", "1"), ("PING",), ("INCR", "n"), ("DEL", "kept")):
                try:
                    r.execute_command(*cmd)
                    raise AssertionError(f"{cmd} accepted after a failed BGSAVE")
                except redis.ResponseError as e:
                    assert str(e).startswith(misconf), (cmd, str(e))
            eq(r.get("kept"), b"v", "reads go on")
            eq(r.config_set("stop-writes-on-bgsave-error", "no"), True, "CONFIG SET")
            eq(r.set("x", "1"), True, "writes go on with stop-writes-on-bgsave-error no")
            r.config_set("stop-writes-on-bgsave-error", "yes")
            os.mkdir(data)  # the disk is back: a successful save lifts the block
            r.bgsave()
            wait_bgsave(r)
            eq(r.info("persistence")["rdb_last_bgsave_status"], "ok", "BGSAVE ok again")
            eq(r.set("y", "2"), True, "writes accepted after a good save")
            eq(r.ping(), True, "PING")
        finally:
            stop(kvd, port)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_corrupt_rdb_stops_startup():
    d = tempfile.mkdtemp(prefix="kvd-rdb-")
    try:
        port = kvdtest.free_port()
        kvd = start(kvd_argv(port, d), port, os.path.join(d, "kvd.log"))
        try:
            fill_big(port)
            redis.Redis(host="127.0.0.1", port=port).save()
        finally:
            stop(kvd, port)
        path = os.path.join(d, "dump.rdb")
        data = open(path, "rb").read()
        for name, bad in (("truncated", data[: len(data) // 2]), ("flipped", data[:40] + bytes([data[40] ^ 0xFF]) + data[41:])):
            with open(path, "wb") as f:
                f.write(bad)
            p = subprocess.run(kvd_argv(kvdtest.free_port(), d), capture_output=True, text=True, timeout=30)
            eq(p.returncode, 1, f"{name}: exit code")
            assert "at offset" in p.stderr and "redis-check-rdb" in p.stderr and path in p.stderr, p.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([test_redis_loads_kvd_rdb, test_kvd_loads_redis_rdb,
                                            test_bgsave_lastsave_shutdown, test_save_rules_trigger_bgsave,
                                            test_flushall_saves_and_bgsave_error_stops_writes,
                                            test_corrupt_rdb_stops_startup]))
