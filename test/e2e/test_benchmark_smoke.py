"""redis-benchmark against kvd as a smoke test (not a measurement): PING/SET/GET/INCR/MSET with
50 clients, 20,000 requests each, without and with a pipeline of 16. Every test must report a
requests-per-second number, stderr must stay empty (it gets e.g. "WARNING: Could not fetch
server CONFIG" or error replies), and the data written must be right afterwards (the INCR
counter equals the request count).
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

TESTS = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"]
N = 20000


def bench(s, *extra):
    argv = [kvdtest.REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(s.port),
            "-t", "ping,set,get,incr,mset", "-c", "50", "-n", str(N), "-q", *extra]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{' '.join(argv)} did not finish in 240 s; output so far "
                             f"{(e.stdout or b'')[-500:]!r}")
    eq(r.stderr, "", f"stderr of redis-benchmark {' '.join(extra)}")
    eq(r.returncode, 0, f"exit status of redis-benchmark {' '.join(extra)}")
    # -q prints progress lines ending in \r and one final "<TEST>: <n> requests per second" each.
    finals = {}
    for piece in re.split(r"[\r\n]", r.stdout):
        m = re.fullmatch(r"\s*(.+?): ([0-9.]+) requests per second(?:, p50=[0-9.]+ msec)?\s*",
                         piece)
        if m:
            finals[m.group(1)] = float(m.group(2))
    eq(sorted(finals), sorted(TESTS), f"tests reported by redis-benchmark {' '.join(extra)} "
       f"(output tail {r.stdout[-300:]!r})")
    for t, rps in finals.items():
        assert rps > 0, f"{t}: {rps} requests per second"
    return finals


def check_data(s, what):
    r = s.client()
    eq(r.get("counter:__rand_int__"), str(N), f"{what}: INCR counter after {N} INCRs")
    eq(r.get("key:__rand_int__"), "VXK", f"{what}: value written by SET/MSET (-d 3 default)")
    eq(r.dbsize(), 2, f"{what}: DBSIZE (redis-benchmark without -r uses two keys)")


def test_no_pipeline(s):
    s.client().flushall()
    rps = bench(s)
    check_data(s, "-P 1")
    print("  -P 1: " + ", ".join(f"{t} {v:.0f}" for t, v in rps.items()))


def test_pipeline_16(s):
    s.client().flushall()
    rps = bench(s, "-P", "16")
    check_data(s, "-P 16")
    print("  -P 16: " + ", ".join(f"{t} {v:.0f}" for t, v in rps.items()))


def main():
    with kvdtest.server(http=False) as s:
        return kvdtest.run_tests([test_no_pipeline, test_pipeline_16], s)


if __name__ == "__main__":
    kvdtest.main(main)
