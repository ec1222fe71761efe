"""AOF write failure (issue 4, ENOSPC) on a small tmpfs mounted as kvd's `dir`:

- the disk fills up under appendfsync always: the write whose record cannot be written keeps
  its reply held, new writes get -MISCONF, reads go on, INFO shows aof_last_write_status:err;
  once the filler file is deleted the held write is acknowledged and service resumes by
  itself (aof_last_write_status:ok), with no restart;
- a BGREWRITEAOF whose child runs out of space fails cleanly: aof_last_bgrewrite_status:err,
  no temp file left, the manifest's files intact, and writes go on;
- after a restart every acknowledged write is there, with its value.

Needs root (mount -t tmpfs); skipped with a message otherwise.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402
from test_aof_interop import start, stop  # noqa: E402

import redis  # noqa: E402

KVD = kvdtest.kvd_server_path()


def kvd_argv(port, d):
    return [KVD, "--port", str(port), "--bind", "127.0.0.1", "--http-port", "0", "--dir", d,
            "--appendonly", "yes", "--appendfsync", "always", "--auto-aof-rewrite-percentage", "0"]


def fill_disk(path, leave=0):
    """Writes `path` until the filesystem is full (or only about `leave` bytes remain)."""
    chunk = b"\0" * 4096
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while True:
            if leave:
                st = os.statvfs(os.path.dirname(path))
                if st.f_bavail * st.f_frsize <= leave:
                    break
            os.write(fd, chunk)
    except OSError:
        pass
    finally:
        os.close(fd)


class Mount:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="kvd-enospc-")
        self.dir = os.path.join(self.root, "data")
        os.makedirs(self.dir)
        self.mounted = False

    def __enter__(self):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", self.dir], check=True,
                       capture_output=True)
        self.mounted = True
        return self

    def __exit__(self, *exc):
        log = os.path.join(self.root, "kvd.log")
        if exc[0] is not None and os.path.exists(log):
            print(kvdtest._tail(log, 60), flush=True)
        if self.mounted:
            subprocess.run(["umount", "-l", self.dir], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def test_enospc_misconf_then_resume_and_rewrite_failure():
    with Mount() as m:
        d = m.dir
        filler = os.path.join(d, "filler")
        acked = {}
        port = kvdtest.free_port()
        log = os.path.join(m.root, "kvd.log")
        proc = start(kvd_argv(port, d), port, log)
        try:
            r = redis.Redis(host="127.0.0.1", port=port)
            for i in range(50):
                r.set(f"pre{i}", f"v{i}")
                acked[f"pre{i}"] = f"v{i}".encode()
            fill_disk(filler)
            # One connection writes until a reply is held (its record cannot be written).
            held = {"n": 0, "done": False, "error": None}
            stop_writing = threading.Event()

            def writer():
                c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=60)
                try:
                    for i in range(100000):  # bounded: the tail page of the incr file fills fast
                        if stop_writing.is_set():
                            break
                        c.set(f"w{i}", "x" * 512)
                        acked[f"w{i}"] = b"x" * 512
                        held["n"] = i + 1
                except Exception as e:  # noqa: BLE001
                    held["error"] = e
                held["done"] = True

            t = threading.Thread(target=writer)
            t.start()
            try:
                kvdtest.wait_until(lambda: r.info("persistence")["aof_last_write_status"] == "err" or held["done"],
                         "aof_last_write_status:err", timeout=20)
                assert not held["done"], f"the writer finished without a write error: {held}"
                stop_writing.set()  # the write in flight is the held one
                eq(r.info("persistence")["aof_last_write_status"], "err", "INFO while full")
                try:
                    r.set("refused", "1")
                    raise AssertionError("a write was accepted while the AOF cannot be written")
                except redis.ResponseError as e:
                    assert "Errors writing to the AOF file" in str(e), str(e)  # -MISCONF ...
                out = kvdtest.redis_cli(port, "SET", "refused", "1").strip()
                assert out.startswith("MISCONF Errors writing to the AOF file"), out
                eq(r.get("pre3"), b"v3", "reads go on")
                eq(r.dbsize() >= 50, True, "DBSIZE")
                n_before = held["n"]
                time.sleep(0.3)
                eq(held["n"], n_before, "the held write's reply stays held")
            finally:
                os.unlink(filler)
            t.join(60)
            assert held["done"] and held["error"] is None, held
            kvdtest.wait_until(lambda: r.info("persistence")["aof_last_write_status"] == "ok", "aof_last_write_status:ok", timeout=20)
            r.set("resumed", "yes")
            acked["resumed"] = b"yes"

            # A rewrite that runs out of space fails cleanly.
            p = r.pipeline(transaction=False)
            for i in range(150):
                v = os.urandom(2048)
                p.set(f"big{i}", v)
                acked[f"big{i}"] = v
            p.execute()
            folder = os.path.join(d, "appendonlydir")
            before_files = {f: open(os.path.join(folder, f), "rb").read() for f in os.listdir(folder)}
            fill_disk(filler, leave=64 * 1024)
            try:
                out = kvdtest.redis_cli(port, "BGREWRITEAOF").strip()
                if out == "Background append only file rewriting started":
                    kvdtest.wait_until(lambda: not r.info("persistence")["aof_rewrite_in_progress"], "rewrite end", timeout=20)
                else:
                    assert out.startswith("ERR Can't execute an AOF background rewriting"), out
                info = r.info("persistence")
                eq(info["aof_last_bgrewrite_status"], "err", "aof_last_bgrewrite_status")
                left = os.listdir(folder)
                assert not [f for f in left if f.startswith("temp-")], left
                for f, data in before_files.items():
                    if f.endswith(".manifest"):
                        continue
                    assert f in left, f"{f} deleted by a failed rewrite: {left}"
                    assert open(os.path.join(folder, f), "rb").read().startswith(data), f"{f} changed"
                eq(r.get("big7"), acked["big7"], "data intact")
            finally:
                os.unlink(filler)
            r.set("after-failed-rewrite", "1")
            acked["after-failed-rewrite"] = b"1"
            # With space again, a rewrite succeeds.
            before = r.info("persistence")["aof_rewrites"]
            eq(kvdtest.redis_cli(port, "BGREWRITEAOF").strip(), "Background append only file rewriting started")
            kvdtest.wait_until(lambda: r.info("persistence")["aof_rewrites"] > before
                     and not r.info("persistence")["aof_rewrite_in_progress"], "second rewrite", timeout=20)
            eq(r.info("persistence")["aof_last_bgrewrite_status"], "ok")
        finally:
            stop(proc, port)
        proc = start(kvd_argv(port, d), port, log)
        try:
            r = redis.Redis(host="127.0.0.1", port=port)
            missing = [k for k, v in acked.items() if r.get(k) != v]
            eq(missing, [], "acknowledged writes missing after restart")
            eq(r.get("refused"), None, "the refused write")
        finally:
            stop(proc, port)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: needs root to mount a tmpfs")
        sys.exit(0)
    kvdtest.main(lambda: kvdtest.run_tests([test_enospc_misconf_then_resume_and_rewrite_failure]))
