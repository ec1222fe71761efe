"""kvd-check-rdb, the built RDB checker (tools/kvd-check-rdb), against Debian's redis-check-rdb.

- kvd's dump.rdb (SAVE) and redis-server's dump.rdb pass: exit 0, "\\o/ RDB looks OK! \\o/",
  and the same AUX FIELD / key / expire counts redis-check-rdb prints for the same file;
- truncated, bit-flipped and bad-CRC files fail: exit 1, "--- RDB ERROR DETECTED ---" and an
  "[offset N]" inside the file, where redis-check-rdb fails too;
- a missing file and no argument are errors (exit 1).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402
from test_aof_interop import fill  # noqa: E402
from test_rdb import fill_big  # noqa: E402

BUILD = os.path.dirname(kvdtest.kvd_server_path())
CHECK = os.path.join(BUILD, "kvd-check-rdb")


def check(path, tool=None):
    # Not text=True: a damaged file can make the checkers print raw key bytes (not UTF-8).
    r = subprocess.run([tool or CHECK, path], capture_output=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def info_lines(out):
    return [l for l in out.splitlines() if l.startswith("[info]")]


def aux_lines(out):
    return [re.sub(r"^\[offset \d+\] ", "", l) for l in out.splitlines() if "AUX FIELD" in l]


def saved_rdb(server, fill_port):
    """Fills the server, SAVEs, returns the dump.rdb bytes and the number of keys."""
    fill_port(server.port)
    c = server.client()
    eq(c.save(), True, "SAVE")
    keys = sum(c.info("keyspace").get(f"db{i}", {}).get("keys", 0) for i in range(16))
    with open(os.path.join(server.dir, "dump.rdb"), "rb") as f:
        return f.read(), keys


def fill_all(port):
    fill(port)
    fill_big(port)


def assert_ok_like_redis(path, keys, what):
    rc, out = check(path)
    eq(rc, 0, f"{what}: kvd-check-rdb exit status\n{out}")
    lines = out.splitlines()
    eq(lines[0], f"[offset 0] Checking RDB file {path}", f"{what}: first line")
    assert "\\o/ RDB looks OK! \\o/" in out, out
    assert f"[info] {keys} keys read" in out, out
    rrc, rout = check(path, "redis-check-rdb")
    eq(rrc, 0, f"{what}: redis-check-rdb accepts it\n{rout}")
    eq(info_lines(out), info_lines(rout), f"{what}: [info] lines as redis-check-rdb")
    eq(aux_lines(out), aux_lines(rout), f"{what}: AUX FIELD lines as redis-check-rdb")
    eq([l for l in lines if "Selecting DB" in l], [l for l in rout.splitlines() if "Selecting DB" in l],
       f"{what}: SELECTDB lines (with offsets) as redis-check-rdb")
    return out


def assert_fails(path, data, what, max_offset=None):
    with open(path, "wb") as f:
        f.write(data)
    rc, out = check(path)
    eq(rc, 1, f"{what}: kvd-check-rdb exit status\n{out}")
    assert "--- RDB ERROR DETECTED ---" in out, f"{what}: {out}"
    m = re.search(r"^\[offset (\d+)\] (.+)$", out.split("--- RDB ERROR DETECTED ---", 1)[1].strip(), re.M)
    assert m, f"{what}: no offset after the error banner: {out}"
    off = int(m.group(1))
    assert off <= len(data), f"{what}: offset {off} past the end ({len(data)} bytes)"
    if max_offset is not None:
        assert off <= max_offset, f"{what}: offset {off} > {max_offset}"
    rrc, rout = check(path, "redis-check-rdb")
    eq(rrc, 1, f"{what}: redis-check-rdb also rejects it\n{rout}")
    return off, m.group(2), out


def test_kvd_and_redis_dumps_pass():
    with kvdtest.server(http=False) as kvd:
        data, keys = saved_rdb(kvd, fill_all)
    with kvdtest.redis_server() as red:
        rdata, rkeys = saved_rdb(red, fill_all)
    tmp = tempfile.mkdtemp(prefix="kvd-check-rdb-")
    try:
        for name, blob, n in (("kvd", data, keys), ("redis", rdata, rkeys)):
            path = os.path.join(tmp, f"{name}.rdb")
            with open(path, "wb") as f:
                f.write(blob)
            out = assert_ok_like_redis(path, n, f"{name}'s dump.rdb")
            assert "Checksum OK" in out, out
            print(f"  {name}'s dump.rdb: {len(blob)} bytes, {n} keys: OK", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_corrupt_files_fail_with_offset():
    with kvdtest.redis_server() as red:
        rdata, _ = saved_rdb(red, fill_all)
    with kvdtest.server(http=False) as kvd:
        kdata, _ = saved_rdb(kvd, fill_all)
    tmp = tempfile.mkdtemp(prefix="kvd-check-rdb-")
    try:
        path = os.path.join(tmp, "dump.rdb")
        for name, data in (("redis", rdata), ("kvd", kdata)):
            # Truncated: at several points, the offset is at most the cut.
            for cut in (5, 9, 30, len(data) // 3, len(data) // 2, len(data) - 9, len(data) - 1):
                off, why, _ = assert_fails(path, data[:cut], f"{name} truncated at {cut}", max_offset=cut)
                assert ("end of file" in why or "signature" in why or "version" in why
                        or "exceeds the bytes left" in why), why
            # Bad CRC: the last byte flipped.
            bad = data[:-1] + bytes([data[-1] ^ 0x01])
            off, why, out = assert_fails(path, bad, f"{name} bad CRC")
            eq(off, len(data) - 8, f"{name} bad CRC offset")
            assert "checksum" in why, why
            assert "While doing: check-sum" in out, out
            # Bit flips mid-file: caught by the parser or by the CRC.
            for at in (len(data) // 4, len(data) // 2, 3 * len(data) // 4):
                flipped = data[:at] + bytes([data[at] ^ 0x40]) + data[at + 1:]
                assert_fails(path, flipped, f"{name} bit flipped at {at}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_usage_and_missing_file():
    rc, out = check("/nonexistent/dump.rdb")
    eq(rc, 1, f"missing file\n{out}")
    assert "/nonexistent/dump.rdb" in out and "--- RDB ERROR DETECTED ---" in out, out
    r = subprocess.run([CHECK], capture_output=True, text=True, timeout=10)
    eq(r.returncode, 1, "no argument")
    assert "Usage: kvd-check-rdb" in r.stderr, r.stderr
    r = subprocess.run([CHECK, "--version"], capture_output=True, text=True, timeout=10)
    eq(r.returncode, 0, "--version")
    assert r.stdout.startswith("kvd-check-rdb "), r.stdout


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([test_kvd_and_redis_dumps_pass, test_corrupt_files_fail_with_offset,
                                            test_usage_and_missing_file]))
