"""The start-up LOADING state, observed from a client polling right after kvd starts on a
large dataset (a bounded loop):

- RDB: 2M keys (redis-server DEBUG POPULATE + SAVE). While it loads, INFO persistence says
  loading:1 with Redis's loading_* fields (start time, total bytes = the file's size, loaded
  bytes never decreasing and never above the total, percentage, ETA, the RDB's used-mem),
  GET is answered `-LOADING Redis is loading the dataset in memory`, and GET /ready is 503;
  afterwards loading:0 without loading_* fields, /ready 200 and every key is there.
- AOF: a 500k-record incr file; the same fields while it replays (total = the files' size).
"""

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

LOADING_ERR = b"-LOADING Redis is loading the dataset in memory\r\n"
RDB_KEYS = 2_000_000
AOF_RECORDS = 500_000


def parse_info(raw):
    """The fields of a raw INFO bulk reply."""
    body = raw.split(b"\r\n", 1)[1].decode()
    return dict(l.split(":", 1) for l in body.splitlines() if ":" in l and not l.startswith("#"))


def ready_status(http_port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=2)
        c.request("GET", "/ready")
        st = c.getresponse().status
        c.close()
        return st
    except OSError:
        return None


def spawn_kvd(d, log, *extra):
    port, http_port = kvdtest.free_port(), kvdtest.free_port()
    argv = [kvdtest.kvd_server_path(), "--port", str(port), "--bind", "127.0.0.1", "--http-port", str(http_port),
            "--http-bind", "127.0.0.1", "--dir", d, *extra]
    return kvdtest._spawn(argv, log), port, http_port


def poll_while_loading(proc, port, http_port, log, probe_key):
    """Connects as soon as kvd accepts and polls INFO persistence, GET probe_key and /ready
    until loading:0 (at most 120 s). Returns [(info fields, GET reply, /ready status)]."""
    deadline = time.monotonic() + 120
    conn = None
    while conn is None and time.monotonic() < deadline:
        try:
            conn = kvdtest.RawConn(port, 10)
        except OSError:
            assert proc.poll() is None, f"kvd exited with {proc.returncode}\n{kvdtest._tail(log)}"
            time.sleep(0.002)
    assert conn is not None, "kvd did not accept a connection"
    samples = []
    try:
        while time.monotonic() < deadline:
            conn.send(kvdtest.resp_command("INFO", "persistence") + kvdtest.resp_command("GET", probe_key))
            info, get = conn.read_replies(2, timeout=30)
            fields = parse_info(info)
            samples.append((fields, get, ready_status(http_port)))
            if fields["loading"] == "0":
                return samples
            time.sleep(0.01)
    finally:
        conn.close()
    raise AssertionError(f"still loading after 120 s: {samples[-1][0]}")


def check_samples(samples, total, what, used_mem=None):
    loading = [s for s in samples if s[0]["loading"] == "1"]
    print(f"  {what}: {len(loading)} of {len(samples)} polls saw loading:1", flush=True)
    assert loading, f"{what}: no poll saw loading:1 (the load was too quick to observe)"
    last = -1
    for fields, get, ready in loading:
        for f in ("loading_start_time", "loading_total_bytes", "loading_rdb_used_mem", "loading_loaded_bytes",
                  "loading_loaded_perc", "loading_eta_seconds"):
            assert f in fields, f"{what}: {f} missing while loading: {sorted(fields)}"
        eq(int(fields["loading_total_bytes"]), total, f"{what}: loading_total_bytes")
        loaded = int(fields["loading_loaded_bytes"])
        assert last <= loaded <= total, f"{what}: loading_loaded_bytes {loaded} after {last} (total {total})"
        last = loaded
        assert abs(float(fields["loading_loaded_perc"]) - 100.0 * loaded / total) < 0.01, fields
        assert abs(int(fields["loading_start_time"]) - time.time()) < 300, fields
        if used_mem is not None:
            # 0 until the loader has read the used-mem aux field near the file's start.
            assert int(fields["loading_rdb_used_mem"]) in (0, used_mem), fields
        eq(get, LOADING_ERR, f"{what}: GET while loading")
        # The HTTP poll runs after the INFO reply: loading may have ended in between.
        assert ready in (503, 200), f"{what}: /ready answered {ready}"
    assert any(r == 503 for _, _, r in loading), f"{what}: /ready never 503 while loading"
    if used_mem is not None:
        eq(int(loading[-1][0]["loading_rdb_used_mem"]), used_mem, f"{what}: loading_rdb_used_mem")
    fields, get, ready = samples[-1]
    assert not any(k.startswith("loading_") for k in fields), f"{what}: loading_* fields after loading"
    assert get != LOADING_ERR, f"{what}: GET after loading"
    eq(ready, 200, f"{what}: /ready after loading")


def test_rdb_loading():
    d = tempfile.mkdtemp(prefix="kvd-loading-")
    try:
        with kvdtest.redis_server("--enable-debug-command", "yes") as red:
            c = red.client()
            c.execute_command("DEBUG", "POPULATE", RDB_KEYS, "key", 16)
            eq(c.dbsize(), RDB_KEYS, "DEBUG POPULATE")
            c.save()
            shutil.copy(os.path.join(red.dir, "dump.rdb"), os.path.join(d, "dump.rdb"))
        total = os.path.getsize(os.path.join(d, "dump.rdb"))
        used_mem = None
        check = subprocess.run(["redis-check-rdb", os.path.join(d, "dump.rdb")], capture_output=True, text=True)
        for line in check.stdout.splitlines():
            if "AUX FIELD used-mem = '" in line:
                used_mem = int(line.split("'")[1])
        log = os.path.join(d, "kvd.log")
        t0 = time.monotonic()
        proc, port, http_port = spawn_kvd(d, log, "--appendonly", "no")
        try:
            samples = poll_while_loading(proc, port, http_port, log, "key:1")
            print(f"  RDB: {RDB_KEYS} keys ({total} bytes) loaded in about {time.monotonic() - t0:.2f} s", flush=True)
            check_samples(samples, total, "RDB", used_mem)
            c = kvdtest.Process("kvd", proc, port, http_port, log, d).client()
            eq(c.dbsize(), RDB_KEYS, "DBSIZE after loading")
            assert c.get("key:1").startswith("value:1"), c.get("key:1")
        finally:
            kvdtest._stop("kvd", proc, log, True)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_aof_loading():
    d = tempfile.mkdtemp(prefix="kvd-loading-")
    try:
        log = os.path.join(d, "kvd.log")
        with kvdtest.server("--appendonly", "yes", http=False) as k:
            folder = os.path.join(k.dir, "appendonlydir")
            names = sorted(os.listdir(folder))
            manifest = [n for n in names if n.endswith(".manifest")][0]
            incr = [n for n in names if ".incr." in n][0]
            shutil.copytree(folder, os.path.join(d, "appendonlydir"))
        rec = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
        with open(os.path.join(d, "appendonlydir", incr), "ab") as f:
            f.write(b"".join(rec % (len(kk), kk, len(kk) + 1, kk + b"!")
                             for kk in (b"key:%d" % i for i in range(AOF_RECORDS))))
        total = sum(os.path.getsize(os.path.join(d, "appendonlydir", n))
                    for n in os.listdir(os.path.join(d, "appendonlydir")) if n != manifest)
        proc, port, http_port = spawn_kvd(d, log, "--appendonly", "yes")
        try:
            samples = poll_while_loading(proc, port, http_port, log, "key:1")
            check_samples(samples, total, "AOF")
            c = kvdtest.Process("kvd", proc, port, http_port, log, d).client()
            eq(c.dbsize(), AOF_RECORDS, "DBSIZE after replay")
        finally:
            kvdtest._stop("kvd", proc, log, True)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([test_rdb_loading, test_aof_loading]))
