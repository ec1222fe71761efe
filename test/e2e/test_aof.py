"""End-to-end durability of kvd's append-only file (Redis 7.0 multi-part AOF, issue 4).

Every test starts the real kvd-server on a directory it controls, so it can stop (SIGTERM,
SHUTDOWN or SIGKILL) and restart on the same `--dir`:

1. test_round_trip_16_dbs: strings, counters, APPEND/SETRANGE, TTLs (EX/PX/EXPIRE/PEXPIREAT/
   GETEX/PERSIST), RENAME, COPY, MOVE, SWAPDB, DEL, FLUSHDB across databases survive SIGTERM
   and SHUTDOWN restarts (values, TTL presence, PTTL within a tolerance); Debian's
   redis-check-aof says the files are valid; INFO persistence shows aof_enabled:1.
2. test_propagation: relative expiries are logged absolute (SET ... PXAT, PEXPIREAT), no-ops
   log nothing, keys expired lazily and actively are logged as DEL.
3. test_kill9_rounds: appendfsync always, 32 pipelined connections, SIGKILL at a random moment,
   restart: every acknowledged key is there with its value; keys accumulate over rounds
   (KVD_AOF_ROUNDS, default 20).
4. test_torn_tail: the incr file cut at every byte offset inside its last 3 records loads
   exactly the complete prefix with aof-load-truncated yes (and the file is cut back to it);
   with `no` start-up fails naming the file and offset; after a cut, new writes append cleanly.
5. test_corruption: a damaged record header or bulk length mid-file, a malformed manifest, a
   missing base or incr file stop start-up with exit code 1 and a message naming the file
   (offset, redis-check-aof --fix); the damaged file is left untouched.
6. test_always_concurrent: 20 threads x 200 SETs under appendfsync always, SIGKILL, restart:
   all 4000 keys (custom appenddirname/appendfilename).
7. test_expiry_across_restart: keys whose PXAT passes while the server is down are gone;
   APPEND/INCR on lazily expired keys and FLUSHALL replay to the same keyspace.
8. test_loading_replies: while a 200k-record AOF replays, clients get -LOADING, never a partial
   keyspace.
9. test_http_write_durable_always: under `always` an HTTP PUT's 200 leaves only after its
   record is in the file (issue 4: "HTTP writes keep the same promise").

Run a subset or a longer crash campaign by hand, e.g.
  KVD_AOF_ROUNDS=500 KVD_AOF_SEED=1 python3 test/e2e/test_aof.py test_kill9_rounds
"""

import collections
import concurrent.futures
import os
import random
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

KVD = kvdtest.kvd_server_path()
REDIS_CHECK_AOF = "/usr/bin/redis-check-aof"
ROUNDS = int(os.environ.get("KVD_AOF_ROUNDS", "20"))
NDB = 16


# --- RESP --------------------------------------------------------------------------------------

class RespError(Exception):
    pass


def parse_reply(buf, pos=0):
    """Decodes one RESP2 reply at buf[pos]: (value, end) or None when incomplete.
    Bulk strings are bytes, errors are RespError instances (not raised)."""
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    t, line = buf[pos:pos + 1], buf[pos + 1:nl]
    if t == b"+":
        return line.decode(), nl + 2
    if t == b"-":
        return RespError(line.decode("utf-8", "replace")), nl + 2
    if t == b":":
        return int(line), nl + 2
    if t == b"$":
        n = int(line)
        if n < 0:
            return None, nl + 2
        end = nl + 2 + n
        if len(buf) < end + 2:
            return None
        return buf[nl + 2:end], end + 2
    if t == b"*":
        n = int(line)
        if n < 0:
            return None, nl + 2
        out, p = [], nl + 2
        for _ in range(n):
            r = parse_reply(buf, p)
            if r is None:
                return None
            v, p = r
            out.append(v)
        return out, p
    raise AssertionError(f"not a RESP reply: {buf[pos:pos + 60]!r}")


def parse_records(data):
    """Splits AOF bytes into records: list of (start, end, [args as bytes]); stops at the
    first incomplete record (returned as the tail offset)."""
    recs, pos = [], 0
    while pos < len(data):
        assert data[pos:pos + 1] == b"*", f"AOF record does not start with '*' at {pos}"
        r = parse_reply(data, pos)
        if r is None:
            break
        args, end = r
        recs.append((pos, end, args))
        pos = end
    return recs, pos


class Conn:
    """Blocking client over kvdtest.RawConn with decoded replies and pipelining."""

    def __init__(self, port, timeout=10.0):
        self.raw = kvdtest.RawConn(port, timeout)

    def close(self):
        self.raw.close()

    def pipeline(self, cmds):
        self.raw.send(b"".join(kvdtest.resp_command(*c) for c in cmds))
        out = []
        for raw in self.raw.read_replies(len(cmds)):
            out.append(parse_reply(raw)[0])
        return out

    def cmd(self, *args):
        return self.pipeline([args])[0]

    def ok(self, *args):
        """Runs a command and raises if it answered an error."""
        r = self.cmd(*args)
        if isinstance(r, RespError):
            raise AssertionError(f"{args!r} -> -{r}")
        return r


# --- kvd processes on a chosen --dir -----------------------------------------------------------

class Kvd:
    """A kvd-server on `dir_` (stdout and stderr in separate files under logdir)."""

    def __init__(self, dir_, *args, logdir=None):
        self.dir = dir_
        self.args = [str(a) for a in args]
        self.logdir = logdir or dir_
        self.proc = None
        self.port = None

    def argv(self):
        return [KVD, "--port", str(self.port), "--http-port", "0", "--bind", "127.0.0.1",
                "--dir", self.dir, *self.args]

    def spawn(self):
        os.makedirs(self.logdir, exist_ok=True)
        self.port = kvdtest.free_port()
        tag = f"{os.getpid()}.{threading.get_ident()}.{time.monotonic_ns()}"
        self.out_path = os.path.join(self.logdir, f"kvd.{tag}.out")
        self.err_path = os.path.join(self.logdir, f"kvd.{tag}.err")
        with open(self.out_path, "wb") as o, open(self.err_path, "wb") as e:
            self.proc = subprocess.Popen(self.argv(), stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                                         preexec_fn=kvdtest._die_with_parent)
        return self

    def start(self, timeout=15.0):
        """Spawns and waits until PING answers +PONG (i.e. loading is over)."""
        for attempt in range(3):
            self.spawn()
            reason = kvdtest._wait_ready("kvd", self.proc, self.port, self.out_path, timeout)
            if reason is None:
                return self
            kvdtest._kill(self.proc)
            if "in use" not in self.output().lower():
                break
        raise AssertionError(f"{reason}\nargv: {self.argv()}\n--- output ---\n{self.output()[-3000:]}")

    def output(self):
        return _read_text(self.out_path) + _read_text(self.err_path)

    def stderr(self):
        return _read_text(self.err_path)

    def conn(self):
        return Conn(self.port)

    def stop(self):
        """SIGTERM; asserts exit status 0 within 5 s."""
        kvdtest._stop("kvd", self.proc, self.out_path, True)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=5)

    def cleanup(self):
        if self.proc is not None:
            kvdtest._kill(self.proc)

    def run_to_exit(self, timeout=10.0):
        """Spawns and waits for the process to exit by itself (start-up failure expected).
        Returns (exit code, stderr); raises if it is still running after `timeout` s or if it
        answered PING (it started). Retries when the port was taken meanwhile."""
        for attempt in range(3):
            self.spawn()
            deadline = time.monotonic() + timeout
            try:
                while time.monotonic() < deadline:
                    if self.proc.poll() is not None:
                        break
                    time.sleep(0.02)
                else:
                    answered = kvdtest.ping_once(self.port)
                    raise AssertionError(f"kvd still running {timeout} s after start (PING answered: "
                                         f"{answered}); expected a start-up failure\n{self.output()[-2000:]}")
            finally:
                kvdtest._kill(self.proc)
            err = self.stderr()
            if "address already in use" not in err.lower():
                break
        return self.proc.returncode, err


def _read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Dirs:
    """A temporary directory tree removed at the end; every Kvd started is killed at the end."""

    def __init__(self, prefix):
        self.root = tempfile.mkdtemp(prefix=f"kvd-aof-{prefix}-")
        self.servers = []
        self.lock = threading.Lock()

    def kvd(self, dir_, *args):
        k = Kvd(dir_, *args, logdir=os.path.join(self.root, "logs"))
        with self.lock:
            self.servers.append(k)
        return k

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for k in self.servers:
            k.cleanup()
        if exc[0] is not None:
            logs = os.path.join(self.root, "logs")
            try:
                last = sorted(os.listdir(logs), key=lambda n: os.path.getmtime(os.path.join(logs, n)))[-2:]
                for n in last:
                    sys.stderr.write(f"--- {n} ---\n{_read_text(os.path.join(logs, n))[-3000:]}\n")
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def aof_files(dir_, dirname="appendonlydir", filename="appendonly.aof"):
    folder = os.path.join(dir_, dirname)
    return (os.path.join(folder, f"{filename}.manifest"), os.path.join(folder, f"{filename}.1.base.aof"),
            os.path.join(folder, f"{filename}.1.incr.aof"))


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


# --- keyspace snapshots ------------------------------------------------------------------------

def dump(c):
    """{db: {key: (value, pttl)}} of every database (strings only exist)."""
    out = {}
    for db in range(NDB):
        eq(c.cmd("SELECT", db), "OK", f"SELECT {db}")
        keys = c.ok("KEYS", "*")
        if not keys:
            continue
        replies = c.pipeline([cmd for k in keys for cmd in (("GET", k), ("PTTL", k))])
        d = {}
        for i, k in enumerate(keys):
            v, t = replies[2 * i], replies[2 * i + 1]
            if v is None:   # expired between KEYS and GET
                continue
            assert not isinstance(v, RespError), f"GET {k!r} in db {db}: {v}"
            d[k] = (v, t)
        if d:
            out[db] = d
    c.cmd("SELECT", 0)
    return out


def values_only(snap):
    return {db: {k: v for k, (v, _) in d.items()} for db, d in snap.items()}


def compare_snapshots(before, after, elapsed_ms, what):
    """Same keys and values; TTL present iff present before, remaining PTTL in
    [before - elapsed - 1500, before + 50]."""
    eq(sorted(after), sorted(before), f"{what}: non-empty databases")
    for db in before:
        eq(sorted(after[db]), sorted(before[db]), f"{what}: keys of db {db}")
        for k, (v, t) in before[db].items():
            v2, t2 = after[db][k]
            eq(v2, v, f"{what}: value of {k!r} in db {db}")
            if t == -1:
                eq(t2, -1, f"{what}: PTTL of {k!r} in db {db} (no TTL before)")
            else:
                assert t - elapsed_ms - 1500 <= t2 <= t + 50, \
                    f"{what}: PTTL of {k!r} in db {db}: {t} before, {t2} after {elapsed_ms} ms"


def check_aof_valid(manifest):
    r = subprocess.run([REDIS_CHECK_AOF, manifest], capture_output=True, text=True, timeout=30)
    out = r.stdout + r.stderr
    eq(r.returncode, 0, f"redis-check-aof {manifest} exit code (output: {out[-1500:]})")
    assert "All AOF files and manifest are valid" in out and "not valid" not in out, \
        f"redis-check-aof output: {out[-1500:]}"


# --- 1. round trip -----------------------------------------------------------------------------

def round_trip_workload(c):
    now_ms = int(time.time() * 1000)
    script = [
        # db 0: strings, counters, append/setrange, TTLs
        ("SELECT", 0),
        ("SET", "s1", "hello"), ("SET", "bin", b"\x00\r\n\xff*3\r\n$"), ("SET", "empty", ""),
        ("SET", "cnt", "10"), ("INCR", "cnt"), ("INCRBY", "cnt", 5), ("DECR", "cnt"),
        ("DECRBY", "cnt", -100), ("INCR", "fresh"),
        ("SET", "f", "1.5"), ("INCRBYFLOAT", "f", "0.25"), ("INCRBYFLOAT", "f2", "3.0e2"),
        ("INCRBYFLOAT", "f", "-0.1"),
        ("APPEND", "a", "foo"), ("APPEND", "a", "bar"), ("SETRANGE", "a", 1, "XY"),
        ("SETRANGE", "pad", 5, "zz"), ("APPEND", "pad", "!"),
        ("SET", "ex", "v", "EX", 1000), ("SET", "px", "v", "PX", 500000),
        ("SET", "exp", "v"), ("EXPIRE", "exp", 3000),
        ("SET", "pexp", "v"), ("PEXPIRE", "pexp", 4000000),
        ("SET", "pat", "v"), ("PEXPIREAT", "pat", now_ms + 600000),
        ("SET", "eat", "v"), ("EXPIREAT", "eat", now_ms // 1000 + 7000),
        ("SET", "gx", "v"), ("GETEX", "gx", "EX", 2000),
        ("SET", "gpx", "v", "EX", 10), ("GETEX", "gpx", "PERSIST"),
        ("SET", "per", "v", "EX", 100), ("PERSIST", "per"),
        ("SETEX", "setex", 900, "v"), ("PSETEX", "psetex", 800000, "v"),
        ("SET", "keepttl", "a", "EX", 1200), ("SET", "keepttl", "b", "KEEPTTL"),
        ("SET", "ttlgone", "a", "EX", 1200), ("SET", "ttlgone", "b"),
        ("SET", "rn", "v-rn", "EX", 700), ("RENAME", "rn", "rn2"),
        ("SET", "rnx", "v-rnx"), ("RENAMENX", "rnx", "rnx2"),
        ("SET", "c1", "copied", "PX", 800000), ("COPY", "c1", "c1copy"), ("COPY", "c1", "c1db3", "DB", 3),
        ("SET", "mv", "moved", "EX", 5000), ("MOVE", "mv", 2),
        ("SET", "del1", "x"), ("SET", "del2", "x"), ("DEL", "del1", "del2", "nope"),
        ("SET", "unl", "x"), ("UNLINK", "unl"), ("SET", "gd", "x"), ("GETDEL", "gd"),
        ("SET", "gs", "old"), ("GETSET", "gs", "new"),
        ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m3", "3", "m4", "4"), ("SETNX", "m1", "no"),
        ("SET", "nx", "first", "NX"), ("SET", "nx", "second", "NX"), ("SET", "xx", "v", "XX"),
        ("SET", "short", "gone", "PX", 30), ("SET", "neg", "v"), ("EXPIRE", "neg", -5),
        ("SET", b"bin\r\nkey *1\r\n$0\r\n\x00", b"big" * 400000, "PX", 900000), ("APPEND", "big2", b"\xfe" * 70000),
        # db 1: written, flushed, written again
        ("SELECT", 1),
        ("SET", "before-flush", "x"), ("SET", "b2", "y", "EX", 100), ("FLUSHDB",),
        ("SET", "after-flush", "kept"), ("SET", "ttl1", "t", "PX", 90000),
        # db 4 / 5 swapped
        ("SELECT", 4), ("SET", "in4", "four"), ("SET", "t4", "x", "EX", 4000),
        ("SELECT", 5), ("SET", "in5", "five"), ("SWAPDB", 4, 5),
        # db 7: flushed to nothing
        ("SELECT", 7), ("SET", "x", "1"), ("FLUSHDB",),
        # db 15
        ("SELECT", 15), ("MSET", "k1", "v1", "k2", "v2"), ("EXPIRE", "k2", 6000), ("INCRBYFLOAT", "fl", "2.5"),
        ("COPY", "k1", "k1c"), ("RENAME", "k1c", "k1r"),
        ("SELECT", 0),
    ]
    for cmd in script:
        r = c.cmd(*cmd)
        assert not isinstance(r, RespError), f"{cmd!r} -> -{r}"
    time.sleep(0.06)  # "short" expires


def test_round_trip_16_dbs():
    with Dirs("rt") as t:
        d = os.path.join(t.root, "data")
        os.makedirs(d)
        args = ("--appendonly", "yes", "--appendfsync", "everysec")
        k = t.kvd(d, *args).start()
        c = k.conn()
        eq(c.cmd("CONFIG", "GET", "appendonly"), [b"appendonly", b"yes"], "CONFIG GET appendonly")
        round_trip_workload(c)
        snap = dump(c)
        t0 = time.monotonic()
        # Spot checks that the workload did what it says (so the comparison is meaningful).
        eq(snap[0][b"cnt"][0], b"115", "cnt")
        eq(snap[0][b"a"][0], b"fXYbar", "a")
        eq(snap[0][b"pad"][0], b"\x00" * 5 + b"zz!", "pad")
        assert b"short" not in snap[0] and b"neg" not in snap[0] and b"rn" not in snap[0]
        eq(snap[0][b"per"][1], -1, "PTTL per")
        eq(snap[0][b"ttlgone"][1], -1, "PTTL ttlgone")
        eq(snap[1].keys(), {b"after-flush", b"ttl1"}, "db 1")
        eq(set(snap[4]), {b"in5"}, "db 4 after SWAPDB")
        eq(set(snap[5]), {b"in4", b"t4"}, "db 5 after SWAPDB")
        assert 7 not in snap, snap.get(7)
        eq(snap[2][b"mv"][0], b"moved", "moved key")
        eq(snap[3][b"c1db3"][0], b"copied", "copied key")
        c.close()

        # Restart 1: SIGTERM.
        k.stop()
        k = t.kvd(d, *args).start()
        c = k.conn()
        after = dump(c)
        compare_snapshots(snap, after, (time.monotonic() - t0) * 1000, "after SIGTERM restart")

        # More writes on the replayed file, then restart 2: SHUTDOWN.
        for cmd in [("SELECT", 9), ("SET", "second", "life", "EX", 3333), ("SELECT", 0), ("INCR", "cnt"),
                    ("DEL", "s1"), ("SWAPDB", 0, 9), ("SELECT", 9), ("APPEND", "a", "++")]:
            r = c.cmd(*cmd)
            assert not isinstance(r, RespError), f"{cmd!r} -> -{r}"
        snap = dump(c)
        t0 = time.monotonic()
        eq(snap[9][b"cnt"][0], b"116", "cnt after SWAPDB 0 9")
        eq(snap[9][b"a"][0], b"fXYbar++", "APPEND after SWAPDB")
        try:
            c.raw.send(kvdtest.resp_command("SHUTDOWN"))
            c.raw.read_until_close(5)
        except OSError:
            pass
        c.close()
        eq(k.proc.wait(timeout=5), 0, "exit status after SHUTDOWN")
        k = t.kvd(d, *args).start()
        c = k.conn()
        compare_snapshots(snap, dump(c), (time.monotonic() - t0) * 1000, "after SHUTDOWN restart")
        info = c.ok("INFO", "persistence").decode()
        c.close()
        k.stop()

        manifest, base, incr = aof_files(d)
        eq(os.path.getsize(base), 0, "base file size")
        assert os.path.getsize(incr) > 0
        check_aof_valid(manifest)
        # INFO persistence as Redis 7.0 reports a running AOF (checked last, so a wrong INFO
        # does not hide the durability results above).
        for field in ("aof_enabled:1", "aof_last_write_status:ok", "loading:0"):
            assert field in info.split("\r\n"), f"INFO persistence lacks {field!r}:\n{info}"


# --- 2. propagation ----------------------------------------------------------------------------

RELATIVE = {b"EXPIRE", b"PEXPIRE", b"SETEX", b"PSETEX"}


def test_propagation():
    with Dirs("prop") as t:
        d = os.path.join(t.root, "data")
        os.makedirs(d)
        args = ("--appendonly", "yes", "--appendfsync", "always")
        k = t.kvd(d, *args).start()
        _, _, incr = aof_files(d)
        c = k.conn()

        def records():
            recs, tail = parse_records(read_bytes(incr))
            eq(tail, os.path.getsize(incr), "incr file ends with a complete record")
            return [a for _, _, a in recs]

        def new_records(n_before):
            return [a for a in records()[n_before:] if a[0].upper() != b"SELECT"]

        def timed(cmd):
            n = len(records())
            lo = int(time.time() * 1000)
            r = c.cmd(*cmd)
            hi = int(time.time() * 1000)
            assert not isinstance(r, RespError), f"{cmd!r} -> -{r}"
            return new_records(n), lo, hi

        # SET EX -> SET PXAT
        recs, lo, hi = timed(("SET", "k", "v", "EX", 100))
        eq(len(recs), 1, f"records for SET EX: {recs}")
        r = [a.upper() if i in (0, 3) else a for i, a in enumerate(recs[0])]
        eq(r[:4], [b"SET", b"k", b"v", b"PXAT"], "SET EX logged as")
        eq(len(r), 5, f"SET EX record {recs[0]}")
        assert lo + 100000 - 50 <= int(r[4]) <= hi + 100000 + 50, (lo, hi, r)
        assert b"PXAT" in read_bytes(incr) and b"$2\r\nEX\r\n" not in read_bytes(incr)

        # Other relative expiries -> absolute.
        c.ok("SET", "e", "v")
        for cmd, ms in [(("EXPIRE", "e", 50), 50000), (("PEXPIRE", "e", 70000), 70000),
                        (("GETEX", "e", "EX", 80), 80000), (("GETEX", "e", "PX", 90000), 90000)]:
            recs, lo, hi = timed(cmd)
            eq(len(recs), 1, f"records for {cmd}: {recs}")
            eq([recs[0][0].upper(), recs[0][1]], [b"PEXPIREAT", b"e"], f"{cmd} logged as {recs[0]}")
            assert lo + ms - 50 <= int(recs[0][2]) <= hi + ms + 50, (cmd, lo, hi, recs)
        for cmd, ms in [(("SETEX", "se", 60, "v"), 60000), (("PSETEX", "pse", 61000, "v"), 61000),
                        (("SET", "spx", "v", "PX", 62000), 62000)]:
            recs, lo, hi = timed(cmd)
            eq(len(recs), 1, f"records for {cmd}: {recs}")
            a = recs[0]
            assert a[0].upper() == b"SET" and b"PXAT" in [x.upper() for x in a], f"{cmd} logged as {a}"
            at = int(a[[x.upper() for x in a].index(b"PXAT") + 1])
            assert lo + ms - 50 <= at <= hi + ms + 50, (cmd, lo, hi, a)
            eq(a[1:3], [cmd[1].encode(), b"v"], f"{cmd} key/value")

        # Commands that change nothing log nothing.
        c.ok("SET", "plain", "v")
        size = os.path.getsize(incr)
        n = len(records())
        for cmd in [("DEL", "missing"), ("DEL", "missing", "missing2"), ("UNLINK", "missing"),
                    ("EXPIRE", "missing", 10), ("PERSIST", "plain"), ("SETNX", "plain", "x"),
                    ("SET", "plain", "x", "NX"), ("SET", "missing", "x", "XX"), ("GETDEL", "missing"),
                    ("MSETNX", "plain", "1", "new1", "2"), ("RENAMENX", "plain", "k"), ("MOVE", "missing", 3),
                    ("COPY", "missing", "dst")]:
            c.ok(*cmd)
            eq(os.path.getsize(incr), size, f"incr file size after no-op {cmd}")
        time.sleep(0.15)
        eq(os.path.getsize(incr), size, "incr file size 150 ms after the no-ops")
        c.ok("SET", "marker", "1")
        eq(new_records(n), [[b"SET", b"marker", b"1"]], "records after the no-ops")

        # Keys expired by time are logged as DEL: lazily (read) and actively (never touched).
        c.ok("SET", "lazy", "v", "PX", 100)
        c.ok("SET", "active", "v", "PX", 100)
        n = len(records())
        time.sleep(0.25)
        eq(c.cmd("GET", "lazy"), None, "GET of the expired key")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            dels = [a for a in new_records(n) if a[0].upper() in (b"DEL", b"UNLINK")]
            if sorted(a[1] for a in dels) == [b"active", b"lazy"]:
                break
            time.sleep(0.05)
        eq(sorted(a[1:] for a in dels), [[b"active"], [b"lazy"]], "DEL records for expired keys")
        eq(new_records(n), dels, "records after the expiries (only the DELs)")

        # No record anywhere uses a relative expiry.
        for a in records():
            assert a[0].upper() not in RELATIVE, f"relative expiry logged: {a}"
            if a[0].upper() in (b"SET", b"GETEX"):
                assert not ({b"EX", b"PX"} & {x.upper() for x in a[3:]}), f"relative expiry logged: {a}"
        c.close()

        # The log replays to the same keyspace.
        snap = dump(k.conn())
        t0 = time.monotonic()
        k.stop()
        k = t.kvd(d, *args).start()
        after = dump(k.conn())
        compare_snapshots(snap, after, (time.monotonic() - t0) * 1000, "propagation restart")
        k.stop()


# --- 3. kill -9 rounds -------------------------------------------------------------------------

def value_for(key):
    # Values derived from the key, of varying length (1..40 repetitions).
    n = 1 + (sum(key) * 7) % 40
    return (key + b"|") * n


def write_until_killed(k, rnd, nconn, depth, kill_after):
    """nconn raw sockets in one selector loop, `depth` pipelined SETs each; SIGKILL after
    `kill_after` s; then drains what the server sent before it died. Returns acked keys."""
    sel = selectors.DefaultSelector()
    conns = []
    acked = []
    for ci in range(nconn):
        s = socket.create_connection(("127.0.0.1", k.port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        st = {"sock": s, "ci": ci, "next": 0, "inflight": collections.deque(), "buf": b"", "out": b""}
        conns.append(st)

    def refill(st):
        while len(st["inflight"]) < depth:
            key = b"r%d:c%d:%d" % (rnd, st["ci"], st["next"])
            st["next"] += 1
            st["inflight"].append(key)
            st["out"] += kvdtest.resp_command(b"SET", key, value_for(key))

    def consume(st):
        buf, pos = st["buf"], 0
        while pos < len(buf):
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                break
            line = buf[pos:nl]
            assert line == b"+OK", f"round {rnd} conn {st['ci']}: reply {line!r} to SET " \
                                   f"{st['inflight'][0] if st['inflight'] else None!r}"
            acked.append(st["inflight"].popleft())
            pos = nl + 2
        st["buf"] = buf[pos:]

    try:
        for st in conns:
            refill(st)
            sel.register(st["sock"], selectors.EVENT_READ | selectors.EVENT_WRITE, st)
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline:
            for key, ev in sel.select(timeout=0.05):
                st = key.data
                if ev & selectors.EVENT_READ:
                    chunk = st["sock"].recv(65536)
                    if not chunk:
                        raise AssertionError(f"round {rnd}: server closed conn {st['ci']} before the kill")
                    st["buf"] += chunk
                    consume(st)
                    refill(st)
                if ev & selectors.EVENT_WRITE and st["out"]:
                    try:
                        n = st["sock"].send(st["out"])
                        st["out"] = st["out"][n:]
                    except BlockingIOError:
                        pass
                sel.modify(st["sock"], selectors.EVENT_READ | (selectors.EVENT_WRITE if st["out"] else 0), st)
        k.kill9()
        # Whatever reached us was sent before the process died: those writes were acknowledged.
        for st in conns:
            st["sock"].setblocking(True)
            st["sock"].settimeout(2)
            while True:
                try:
                    chunk = st["sock"].recv(65536)
                except (ConnectionResetError, socket.timeout, OSError):
                    break
                if not chunk:
                    break
                st["buf"] += chunk
            consume(st)
    finally:
        sel.close()
        for st in conns:
            st["sock"].close()
    return acked


def verify_keys(c, keys, what):
    missing, wrong = [], []
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        vals = c.cmd("MGET", *chunk)
        assert isinstance(vals, list), f"MGET -> {vals!r}"
        for key, v in zip(chunk, vals):
            if v is None:
                missing.append(key)
            elif v != value_for(key):
                wrong.append((key, v[:60]))
    assert not missing and not wrong, (f"{what}: {len(missing)} acknowledged keys missing "
                                       f"(first {missing[:5]}), {len(wrong)} with wrong values "
                                       f"(first {wrong[:3]}) of {len(keys)}")


def verify_present(c, keys, what):
    """EXISTS over all keys in chunks: the count must be the number of keys."""
    n = 2000
    cmds = [("EXISTS", *keys[i:i + n]) for i in range(0, len(keys), n)]
    counts = c.pipeline(cmds) if cmds else []
    for i, got in enumerate(counts):
        if got != len(cmds[i]) - 1:
            verify_keys(c, keys[i * n:(i + 1) * n], what)  # names the missing keys
            raise AssertionError(f"{what}: EXISTS counted {got} of {len(cmds[i]) - 1}")


def test_kill9_rounds():
    rng = random.Random(int(os.environ.get("KVD_AOF_SEED", str(int(time.time())))))
    with Dirs("kill9") as t:
        d = os.path.join(t.root, "data")
        os.makedirs(d)
        args = ("--appendonly", "yes", "--appendfsync", "always")
        acked, last = [], []
        per_round = []
        for rnd in range(ROUNDS):
            k = t.kvd(d, *args).start()
            c = k.conn()
            # Values of the previous round's keys; presence of every earlier round's keys.
            verify_keys(c, last, f"start of round {rnd}, round {rnd - 1}'s keys")
            verify_present(c, acked, f"start of round {rnd}")
            c.close()
            got = write_until_killed(k, rnd, 32, 2, rng.uniform(0.2, 0.8))
            last = got
            assert got, f"round {rnd}: no write acknowledged"
            per_round.append(len(got))
            acked.extend(got)
        # Final: all acknowledged keys, and every key present (acked or not) holds its own value.
        k = t.kvd(d, *args).start()
        c = k.conn()
        verify_keys(c, acked, f"after {ROUNDS} rounds")
        present, cursor = [], b"0"
        for _ in range(100000):  # SCAN, not KEYS: one huge reply is slow to collect
            cursor, batch = c.ok("SCAN", cursor, "MATCH", "r*", "COUNT", 5000)
            present.extend(batch)
            if cursor == b"0":
                break
        present = sorted(set(present))
        extra = sorted(set(present) - set(acked))
        verify_keys(c, extra, "unacknowledged keys that survived")
        eq(c.cmd("DBSIZE"), len(present), "DBSIZE")
        c.close()
        k.stop()
        check_aof_valid(aof_files(d)[0])
        print(f"  kill9: {ROUNDS} rounds, {len(acked)} acknowledged writes (per round "
              f"{min(per_round)}..{max(per_round)}), {len(extra)} unacknowledged survived", flush=True)


# --- 4. torn tail ------------------------------------------------------------------------------

def model_state(records):
    """Applies SELECT/SET/INCR/APPEND/DEL records: {db: {key: value}} (non-empty dbs)."""
    dbs, db = collections.defaultdict(dict), 0
    for args in records:
        name = args[0].upper()
        if name == b"SELECT":
            db = int(args[1])
        elif name == b"SET":
            assert len(args) == 3, args
            dbs[db][args[1]] = args[2]
        elif name == b"INCR":
            dbs[db][args[1]] = b"%d" % (int(dbs[db].get(args[1], b"0")) + 1)
        elif name == b"APPEND":
            dbs[db][args[1]] = dbs[db].get(args[1], b"") + args[2]
        elif name == b"DEL":
            for a in args[1:]:
                dbs[db].pop(a, None)
        else:
            raise AssertionError(f"model cannot apply {args}")
    return {k: v for k, v in dbs.items() if v}


def test_torn_tail():
    with Dirs("torn") as t:
        src = os.path.join(t.root, "src")
        os.makedirs(src)
        k = t.kvd(src, "--appendonly", "yes", "--appendfsync", "always").start()
        c = k.conn()
        for i in range(12):
            c.ok("SET", f"k{i}", f"v{i}")
        c.ok("INCR", "n"), c.ok("INCR", "n"), c.ok("DEL", "k3")
        c.ok("SELECT", 2), c.ok("SET", "a", "1")
        c.ok("SELECT", 1), c.ok("SET", "b", "22"), c.ok("APPEND", "b", "3")
        c.close()
        k.stop()
        _, _, incr = aof_files(src)
        data = read_bytes(incr)
        recs, tail = parse_records(data)
        eq(tail, len(data), "complete source file")
        eq([a[0] for _, _, a in recs[-3:]], [b"SELECT", b"SET", b"APPEND"], "last 3 records")
        eq(model_state([a for _, _, a in recs]), {0: {**{b"k%d" % i: b"v%d" % i for i in range(12) if i != 3},
                                                      b"n": b"2"}, 2: {b"a": b"1"}, 1: {b"b": b"223"}},
           "model of the source file")
        first = recs[-3][0]
        cuts = list(range(first, len(data) + 1))

        def prefix_end(cut):
            return max([e for _, e, _ in recs if e <= cut], default=0)

        def expect(cut):
            return model_state([a for _, e, a in recs if e <= cut])

        def one(cut, load_truncated):
            d = os.path.join(t.root, f"cut-{cut}-{load_truncated}")
            shutil.copytree(src, d, ignore=shutil.ignore_patterns("kvd.*"))
            p = aof_files(d)[2]
            os.truncate(p, cut)
            kk = t.kvd(d, "--appendonly", "yes", "--appendfsync", "always", "--aof-load-truncated", load_truncated)
            try:
                if load_truncated == "no" and cut != prefix_end(cut):
                    rc, err = kk.run_to_exit()
                    eq(rc, 1, f"exit code with aof-load-truncated no, cut at {cut}")
                    assert os.path.basename(p) in err and re.search(rf"offset {prefix_end(cut)}\b", err), \
                        f"cut at {cut}: stderr should name the file and offset {prefix_end(cut)}: {err!r}"
                    eq(os.path.getsize(p), cut, "file left as it was")
                    return
                kk.start()
                cc = kk.conn()
                got = values_only(dump(cc))
                cc.close()
                eq(got, expect(cut), f"keyspace after loading the file cut at {cut} (records end at "
                                     f"{[e for _, e, _ in recs[-4:]]})")
                # Loading is over (PING answered): the torn record is already cut from the file.
                eq(os.path.getsize(p), prefix_end(cut), f"incr file size after loading the cut at {cut}")
                kk.kill9()  # SIGTERM costs a 0.5 s drain per server; the clean stop is tested elsewhere
                if cut != prefix_end(cut):
                    out = kk.output()
                    assert os.path.basename(p) in out and str(prefix_end(cut)) in out, \
                        f"cut at {cut}: no warning naming the file and offset {prefix_end(cut)} in\n{out[-1500:]}"
            finally:
                kk.cleanup()
                shutil.rmtree(d, ignore_errors=True)

        # After a cut, the server appends after the complete prefix: new writes, a restart and
        # redis-check-aof all see one valid file.
        d = os.path.join(t.root, "continue")
        shutil.copytree(src, d, ignore=shutil.ignore_patterns("kvd.*"))
        cut = recs[-2][0] + 7
        os.truncate(aof_files(d)[2], cut)
        kk = t.kvd(d, "--appendonly", "yes", "--appendfsync", "always").start()
        cc = kk.conn()
        cc.ok("SET", "after-cut", "yes"), cc.ok("SELECT", 1), cc.ok("APPEND", "b", "+")
        cc.close()
        kk.kill9()
        kk = t.kvd(d, "--appendonly", "yes").start()
        cc = kk.conn()
        want = expect(cut)
        want.setdefault(0, {})[b"after-cut"] = b"yes"
        want.setdefault(1, {})[b"b"] = want.get(1, {}).get(b"b", b"") + b"+"
        eq(values_only(dump(cc)), want, "keyspace after cut + new writes + SIGKILL + restart")
        cc.close()
        kk.stop()
        check_aof_valid(aof_files(d)[0])

        jobs = [(cut, "yes") for cut in cuts]
        last = recs[-1]
        jobs += [(first + 1, "no"), (recs[-2][0] + 6, "no"), (last[1] - 1, "no"), (last[0], "no")]
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
            futures = [ex.submit(one, *j) for j in jobs]
            errors = []
            for f, j in zip(futures, jobs):
                try:
                    f.result(timeout=120)
                except Exception as e:  # noqa: BLE001 - collect all cuts that fail
                    errors.append(f"{j}: {e}")
        assert not errors, f"{len(errors)} of {len(jobs)} cuts failed:\n" + "\n".join(errors[:10])
        print(f"  torn tail: {len(cuts)} cut offsets ({first}..{len(data)}) with yes, 4 with no", flush=True)


# --- 5. corruption -----------------------------------------------------------------------------

def test_corruption():
    with Dirs("corrupt") as t:
        src = os.path.join(t.root, "src")
        os.makedirs(src)
        args = ("--appendonly", "yes", "--appendfsync", "always")
        k = t.kvd(src, *args).start()
        c = k.conn()
        for i in range(30):
            c.ok("SET", f"key{i}", f"value{i}")
        c.close()
        k.stop()
        manifest, _, incr = aof_files(src)
        data = read_bytes(incr)
        recs, _ = parse_records(data)
        start, end, _ = recs[len(recs) // 2]
        flip = data.index(b"$", start)
        assert flip < end

        for load_truncated in ("yes", "no"):
            d = os.path.join(t.root, f"flip-{load_truncated}")
            shutil.copytree(src, d, ignore=shutil.ignore_patterns("kvd.*"))
            p = aof_files(d)[2]
            bad = data[:flip] + b"#" + data[flip + 1:]
            with open(p, "wb") as f:
                f.write(bad)
            rc, err = t.kvd(d, *args, "--aof-load-truncated", load_truncated).run_to_exit()
            eq(rc, 1, f"exit code for a flipped byte at {flip} (aof-load-truncated {load_truncated})")
            assert p in err or os.path.basename(p) in err, f"stderr does not name the file: {err!r}"
            offs = [int(m) for m in re.findall(r"offset (\d+)", err)]
            assert any(start <= o <= flip for o in offs), \
                f"stderr names no offset in [{start}, {flip}] (record start .. flipped byte): {err!r}"
            assert "redis-check-aof --fix" in err, f"stderr does not mention redis-check-aof --fix: {err!r}"
            if load_truncated == "yes":
                print(f"  corrupt header: {err.strip()}", flush=True)
            eq(read_bytes(p), bad, "a corrupt file is left untouched")

        # A bulk length made longer mid-file ("$6" -> "$9"): the record no longer parses.
        d = os.path.join(t.root, "length")
        shutil.copytree(src, d, ignore=shutil.ignore_patterns("kvd.*"))
        p = aof_files(d)[2]
        start, end, args_ = recs[len(recs) // 3]
        at = data.index(b"$%d\r\n%s\r\n" % (len(args_[2]), args_[2]), start)
        bad = data[:at + 1] + b"%d" % (len(args_[2]) + 3) + data[at + 1 + len(b"%d" % len(args_[2])):]
        with open(p, "wb") as f:
            f.write(bad)
        rc, err = t.kvd(d, *args).run_to_exit()
        eq(rc, 1, f"exit code for a lengthened bulk at {at}")
        assert os.path.basename(p) in err and "redis-check-aof --fix" in err and re.search(r"offset \d+", err), \
            f"stderr for a lengthened bulk: {err!r}"
        eq(read_bytes(p), bad, "a corrupt file is left untouched")

        d = os.path.join(t.root, "manifest")
        shutil.copytree(src, d, ignore=shutil.ignore_patterns("kvd.*"))
        with open(aof_files(d)[0], "ab") as f:
            f.write(b"this is not a manifest line\n")
        rc, err = t.kvd(d, *args).run_to_exit()
        eq(rc, 1, "exit code for a malformed manifest")
        assert "appendonly.aof.manifest" in err, f"stderr does not name the manifest: {err!r}"

        for which in (1, 2):  # missing base, missing incr
            d = os.path.join(t.root, f"missing{which}")
            shutil.copytree(src, d, ignore=shutil.ignore_patterns("kvd.*"))
            p = aof_files(d)[which]
            os.unlink(p)
            rc, err = t.kvd(d, *args).run_to_exit()
            eq(rc, 1, f"exit code for a missing {os.path.basename(p)}")
            assert os.path.basename(p) in err, f"stderr does not name the missing file: {err!r}"
            assert not os.path.exists(p), f"the missing {p} was recreated instead of refusing to start"


# --- 6. appendfsync always under concurrency ---------------------------------------------------

def test_always_concurrent():
    with Dirs("always") as t:
        d = os.path.join(t.root, "data")
        os.makedirs(d)
        args = ("--appendonly", "yes", "--appendfsync", "always",
                "--appenddirname", "aofdir", "--appendfilename", "my.aof")
        k = t.kvd(d, *args).start()
        nthreads, per = 20, 200
        errors = []

        def worker(ti):
            try:
                c = Conn(k.port, timeout=30)
                for i in range(per):
                    key = b"t%d:%d" % (ti, i)
                    r = c.cmd("SET", key, value_for(key))
                    if r != "OK":
                        raise AssertionError(f"SET {key!r} -> {r!r}")
                c.close()
            except Exception as e:  # noqa: BLE001
                errors.append(f"thread {ti}: {e}")

        t0 = time.monotonic()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(nthreads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert not any(th.is_alive() for th in threads), "SET threads still running after 60 s"
        assert not errors, errors[:5]
        took = time.monotonic() - t0
        k.kill9()  # every acknowledged write is on disk under `always`
        manifest, base, incr = aof_files(d, "aofdir", "my.aof")
        assert os.path.exists(manifest) and os.path.exists(base) and os.path.exists(incr), \
            os.listdir(os.path.join(d, "aofdir"))
        k = t.kvd(d, *args).start()
        c = k.conn()
        keys = [b"t%d:%d" % (ti, i) for ti in range(nthreads) for i in range(per)]
        verify_keys(c, keys, "after SIGKILL")
        eq(c.cmd("DBSIZE"), nthreads * per, "DBSIZE")
        c.close()
        k.stop()
        check_aof_valid(manifest)
        print(f"  always: {nthreads * per} SETs from {nthreads} threads in {took:.2f} s", flush=True)


# --- 7. expiry and replay ordering ---------------------------------------------------------------

def test_expiry_across_restart():
    """Keys whose absolute expiry passes while the server is down are gone after the restart;
    writes to a lazily expired key replay to the same value; FLUSHALL replays."""
    with Dirs("expiry") as t:
        d = os.path.join(t.root, "data")
        os.makedirs(d)
        args = ("--appendonly", "yes", "--appendfsync", "always")
        k = t.kvd(d, *args).start()
        c = k.conn()
        for db in (0, 6):
            c.ok("SELECT", db)
            c.ok("SET", "dies-down", "v", "PX", 600)          # expires while the server is down
            c.ok("SET", "dies-down2", "v"), c.ok("PEXPIRE", "dies-down2", 600)
            c.ok("SET", "lives", "v", "EX", 1000)
            c.ok("SET", "re", "old", "PX", 100)
            c.ok("SET", "cnt", "41", "PX", 100)
        time.sleep(0.2)
        for db in (0, 6):
            c.ok("SELECT", db)
            eq(c.cmd("APPEND", "re", "new"), 3, "APPEND to an expired key starts from empty")
            eq(c.cmd("INCR", "cnt"), 1, "INCR of an expired counter starts from 0")
        c.ok("SELECT", 9), c.ok("SET", "x", "1"), c.ok("SELECT", 10), c.ok("SET", "y", "2")
        c.ok("FLUSHALL")
        c.ok("SELECT", 10), c.ok("SET", "after-flushall", "z")
        snap = dump(c)
        c.close()
        k.kill9()
        time.sleep(0.7)
        k = t.kvd(d, *args).start()
        c = k.conn()
        got = dump(c)
        eq(values_only(got), {10: {b"after-flushall": b"z"}}, "keyspace after FLUSHALL replay")
        eq(values_only(snap), values_only(got), "same as before the restart")
        # Before FLUSHALL: a second file, without the FLUSHALL.
        c.ok("FLUSHALL")
        for db in (0, 6):
            c.ok("SELECT", db)
            c.ok("SET", "dies-down", "v", "PX", 600)
            c.ok("SET", "lives", "v", "EX", 1000)
            c.ok("SET", "re", "old", "PX", 100)
            c.ok("SET", "cnt", "41", "PX", 100)
        time.sleep(0.2)
        for db in (0, 6):
            c.ok("SELECT", db)
            c.ok("APPEND", "re", "new"), c.ok("INCR", "cnt")
        c.close()
        k.kill9()
        time.sleep(0.7)
        k = t.kvd(d, *args).start()
        c = k.conn()
        got = dump(c)
        want = {db: {b"lives": b"v", b"re": b"new", b"cnt": b"1"} for db in (0, 6)}
        eq(values_only(got), want, "keyspace after the expiries during the downtime")
        for db in (0, 6):
            eq(got[db][b"re"][1], -1, f"PTTL of re in db {db} (rewritten after expiry)")
            eq(got[db][b"cnt"][1], -1, f"PTTL of cnt in db {db}")
            assert 990000 < got[db][b"lives"][1] <= 1000000, got[db][b"lives"]
        c.close()
        k.stop()
        check_aof_valid(aof_files(d)[0])


# --- 8. -LOADING while replaying ----------------------------------------------------------------

def test_loading_replies():
    """A hand-written 200k-record incr file (Redis's own format): while it replays, clients get
    -LOADING (never a partial keyspace); afterwards everything is there."""
    n = 200000
    with Dirs("loading") as t:
        d = os.path.join(t.root, "data")
        os.makedirs(d)
        args = ("--appendonly", "yes")
        k = t.kvd(d, *args).start()
        k.stop()
        incr = aof_files(d)[2]
        rec = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
        with open(incr, "ab") as f:
            f.write(b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n")
            f.write(b"".join(rec % (len(kk), kk, len(kk) + 1, kk + b"!")
                             for kk in (b"key:%d" % i for i in range(n))))
        k = t.kvd(d, *args).spawn()
        replies = []
        deadline = time.monotonic() + 15
        sock = None
        while time.monotonic() < deadline and sock is None:
            try:
                sock = kvdtest.RawConn(k.port, 5)
            except OSError:
                assert k.proc.poll() is None, f"kvd exited with {k.proc.returncode}\n{k.output()[-2000:]}"
                time.sleep(0.005)
        assert sock is not None, "kvd did not accept a connection within 15 s"
        c = Conn.__new__(Conn)
        c.raw = sock
        while time.monotonic() < deadline:
            r = c.pipeline([("SELECT", 3), ("DBSIZE",), ("GET", "key:%d" % (n - 1))])
            replies.append(r)
            if not isinstance(r[1], RespError):
                break
            time.sleep(0.005)
        c.close()
        for r in replies[:-1]:
            assert all(isinstance(x, RespError) and str(x).startswith("LOADING") for x in r[1:]), \
                f"reply while loading: {r}"
        eq(replies[-1][1:], [n, b"key:%d!" % (n - 1)], "DBSIZE and last key once loaded")
        assert len(replies) > 1, "no -LOADING reply seen although the replay of 200k records takes a while"
        k.stop()
        print(f"  loading: {len(replies) - 1} polls answered -LOADING", flush=True)


# --- 9. HTTP writes under appendfsync always ---------------------------------------------------

def test_http_write_durable_always():
    """Issue 4: HTTP writes keep the `always` promise (the 2xx leaves after the fsync). So when
    the 200 of a PUT arrives, the key's record must already be in the incr file - checked for
    300 PUTs while 8 RESP connections keep the fsync thread busy (batches queue behind fsyncs).
    Then SIGKILL and restart: every PUT key is there."""
    import http.client
    with Dirs("http") as t:
        d = os.path.join(t.root, "data")
        os.makedirs(d)
        hport = kvdtest.free_port()
        args = ("--appendonly", "yes", "--appendfsync", "always", "--http-bind", "127.0.0.1")
        k = t.kvd(d, *args)
        k.argv = lambda: [KVD, "--port", str(k.port), "--http-port", str(hport), "--bind", "127.0.0.1",
                          "--dir", d, *k.args]
        k.start()
        _, _, incr = aof_files(d)
        stop = threading.Event()
        errors = []

        def load(ci):
            try:
                c = Conn(k.port)
                i = 0
                while not stop.is_set():
                    key = b"bg%d:%d" % (ci, i)
                    c.pipeline([("SET", key, value_for(key))] * 4)
                    i += 1
                c.close()
            except Exception as e:  # noqa: BLE001
                errors.append(f"load {ci}: {e}")

        threads = [threading.Thread(target=load, args=(i,)) for i in range(8)]
        for th in threads:
            th.start()
        late = []
        try:
            time.sleep(0.2)
            h = http.client.HTTPConnection("127.0.0.1", hport, timeout=10)
            for i in range(300):
                key = f"http-{i}"
                before = os.path.getsize(incr)
                h.request("PUT", f"/v1/kv/{key}", body=b"val-%d" % i,
                          headers={"Content-Type": "application/octet-stream"})
                r = h.getresponse()
                body = r.read()
                eq(r.status, 200, f"PUT {key} ({body!r})")
                with open(incr, "rb") as f:
                    f.seek(before)
                    appended = f.read()
                if kvdtest.resp_command(key).split(b"\r\n", 1)[1] not in appended:
                    late.append(key)
            h.close()
        finally:
            stop.set()
            for th in threads:
                th.join(timeout=10)
        assert not errors, errors[:3]
        k.kill9()
        k = t.kvd(d, *args)
        k.start()
        c = k.conn()
        vals = c.cmd("MGET", *[f"http-{i}" for i in range(300)])
        missing = [f"http-{i}" for i, v in enumerate(vals) if v != b"val-%d" % i]
        c.close()
        k.stop()
        assert not late and not missing, (
            f"appendfsync always: {len(late)} of 300 HTTP PUTs answered 200 before their record was in "
            f"{incr} (first {late[:5]}); {len(missing)} missing after SIGKILL (first {missing[:5]})")


TESTS = [test_round_trip_16_dbs, test_propagation, test_kill9_rounds, test_torn_tail, test_corruption,
         test_always_concurrent, test_expiry_across_restart, test_loading_replies,
         test_http_write_durable_always]

if __name__ == "__main__":
    only = sys.argv[1:]
    kvdtest.main(lambda: kvdtest.run_tests([f for f in TESTS if not only or f.__name__ in only]))
