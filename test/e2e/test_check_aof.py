"""kvd-check-aof (issue 4): a valid appendonlydir passes (exit 0) given as directory, manifest
or single file; a torn tail of the last incr file is reported with its offset (exit 1), --fix
asks before cutting (an answer other than y leaves the file alone), --fix -y cuts it, and kvd
then starts with aof-load-truncated no and has every complete write; a corrupt record in the
middle gives exit 1 with the record's byte offset, and kvd's start-up error names kvd-check-aof.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

KVD = kvdtest.kvd_server_path()
CHECK = os.environ.get("KVD_CHECK_AOF") or os.path.join(os.path.dirname(KVD), "kvd-check-aof")


def check(*args, input=None):
    r = subprocess.run([CHECK, *map(str, args)], capture_output=True, text=True, timeout=60,
                       input=input, stdin=None if input is not None else subprocess.DEVNULL)
    return r.returncode, r.stdout + r.stderr


def start_kvd(d, *args):
    port = kvdtest.free_port()
    out = os.path.join(d, f"kvd.{time.monotonic_ns()}.log")
    with open(out, "wb") as o:
        proc = subprocess.Popen([KVD, "--port", str(port), "--http-port", "0", "--bind", "127.0.0.1",
                                 "--dir", d, "--appendonly", "yes", "--appendfsync", "always", *args],
                                stdout=o, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=kvdtest._die_with_parent)
    reason = kvdtest._wait_ready("kvd", proc, port, out, 15)
    return proc, port, out, reason


def stop_kvd(proc, out):
    kvdtest._stop("kvd", proc, out, True)


def populate(d, n=5):
    proc, port, out, reason = start_kvd(d)
    assert reason is None, f"{reason}: {open(out).read()}"
    try:
        for i in range(n):
            eq(kvdtest.redis_cli(port, "SET", f"k{i}", f"v{i}").strip(), "OK")
        kvdtest.redis_cli(port, "-n", "2", "RPUSH", "l", "a", "b")
    finally:
        stop_kvd(proc, out)


def incr_file(d):
    folder = os.path.join(d, "appendonlydir")
    incr = [f for f in os.listdir(folder) if f.endswith(".incr.aof")]
    eq(len(incr), 1, f"incr files in {os.listdir(folder)}")
    return os.path.join(folder, incr[0])


def record_offsets(data):
    """Start offsets of the RESP array records in `data`."""
    offs, pos = [], 0
    while pos < len(data):
        offs.append(pos)
        assert data[pos:pos + 1] == b"*", data[pos:pos + 20]
        eol = data.index(b"\r\n", pos)
        n = int(data[pos + 1:eol])
        pos = eol + 2
        for _ in range(n):
            eol = data.index(b"\r\n", pos)
            ln = int(data[pos + 1:eol])
            pos = eol + 2 + ln + 2
    return offs


def test_good_dir():
    d = tempfile.mkdtemp(prefix="kvd-check-aof-")
    try:
        populate(d)
        folder = os.path.join(d, "appendonlydir")
        manifest = os.path.join(folder, "appendonly.aof.manifest")
        path = incr_file(d)
        nrec = len(record_offsets(open(path, "rb").read()))
        for target in (folder, manifest):
            rc, out = check(target)
            eq(rc, 0, f"exit code for {target}: {out}")
            assert "AOF is valid." in out, out
            assert f"{os.path.basename(path)}: {nrec} valid records" in out, out
            assert "base.aof: 0 valid records" in out, out
        rc, out = check(path)
        eq(rc, 0, out)
        rc, out = check(os.path.join(d, "nonexistent"))
        eq(rc, 1, out)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_torn_tail_fix_then_start():
    d = tempfile.mkdtemp(prefix="kvd-check-aof-")
    try:
        populate(d)
        path = incr_file(d)
        good = open(path, "rb").read()
        nrec = len(record_offsets(good))
        with open(path, "ab") as f:
            f.write(b"*3\r\n$3\r\nSET\r\n$2\r\nzz\r\n$5\r\nhal")
        torn_size = os.path.getsize(path)
        manifest = os.path.join(d, "appendonlydir", "appendonly.aof.manifest")
        rc, out = check(manifest)
        eq(rc, 1, out)
        assert f"{nrec} valid records, first problem at byte offset {len(good)} of {torn_size}" in out, out
        assert "--fix" in out, out
        # --fix asks; "n" aborts and leaves the file as it was.
        rc, out = check("--fix", manifest, input="n\n")
        eq(rc, 1, out)
        assert "Continue? [y/N]" in out and "Aborting" in out, out
        eq(os.path.getsize(path), torn_size, "size after a refused fix")
        # "y" on stdin cuts it.
        rc, out = check("--fix", manifest, input="y\n")
        eq(rc, 0, out)
        assert "Successfully truncated" in out, out
        eq(open(path, "rb").read(), good, "file after --fix")
        rc, out = check(manifest)
        eq(rc, 0, out)
        # -y does not ask (a second torn tail).
        with open(path, "ab") as f:
            f.write(b"*2\r\n$3\r\nDEL")
        rc, out = check("--fix", "-y", os.path.join(d, "appendonlydir"))
        eq(rc, 0, out)
        assert "Continue?" not in out, out
        eq(open(path, "rb").read(), good, "file after --fix -y")
        # kvd starts even with aof-load-truncated no and has every complete write.
        proc, port, log, reason = start_kvd(d, "--aof-load-truncated", "no")
        assert reason is None, f"{reason}: {open(log).read()}"
        try:
            eq(kvdtest.redis_cli(port, "GET", "k4").strip(), "v4")
            eq(kvdtest.redis_cli(port, "-n", "2", "LRANGE", "l", "0", "-1").split(), ["a", "b"])
            eq(kvdtest.redis_cli(port, "EXISTS", "zz").strip(), "0")
        finally:
            stop_kvd(proc, log)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_corrupt_middle():
    d = tempfile.mkdtemp(prefix="kvd-check-aof-")
    try:
        populate(d)
        path = incr_file(d)
        data = bytearray(open(path, "rb").read())
        offs = record_offsets(bytes(data))
        assert len(offs) >= 5, offs
        bad = offs[3]
        # The record's first bulk header "$3" becomes "#3": not a bulk string.
        hdr = data.index(b"\r\n", bad) + 2
        eq(data[hdr:hdr + 1], b"$")
        data[hdr:hdr + 1] = b"#"
        open(path, "wb").write(bytes(data))
        rc, out = check(os.path.join(d, "appendonlydir"))
        eq(rc, 1, out)
        assert f"3 valid records, first problem at byte offset {bad} of {len(data)}" in out, out
        assert "Protocol error" in out, out
        # A record naming no command is also refused with its offset.
        data2 = bytearray(data)
        data2[hdr:hdr + 1] = b"$"
        name_at = data2.index(b"\r\n", hdr) + 2
        data2[name_at:name_at + 3] = b"QQQ"
        open(path, "wb").write(bytes(data2))
        rc, out = check(path)
        eq(rc, 1, out)
        assert f"first problem at byte offset {bad}" in out and "unknown command 'QQQ'" in out, out
        open(path, "wb").write(bytes(data))
        # kvd refuses to start, naming the file, the offset and kvd-check-aof.
        proc, port, log, reason = start_kvd(d)
        try:
            assert reason is not None, "kvd started on a corrupt AOF"
            proc.wait(timeout=10)
            text = open(log).read()
            eq(proc.returncode, 1, f"exit code: {text}")
            assert f"offset {bad}" in text and "kvd-check-aof --fix" in text, text
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if not os.access(CHECK, os.X_OK):
        print(f"kvd-check-aof not found at {CHECK} (set KVD_CHECK_AOF)")
        sys.exit(1)
    kvdtest.main(lambda: kvdtest.run_tests([test_good_dir, test_torn_tail_fix_then_start, test_corrupt_middle]))
