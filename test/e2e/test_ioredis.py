#!/usr/bin/python3
"""ioredis against kvd, compared with Debian's redis-server 7.0 (issue 5, "Tests").

test/node/ioredis_e2e.mjs (ioredis from test/node/node_modules, installed by tools/bootstrap
with `npm ci --prefix test/node`) runs unchanged client code against a server: connect (CLIENT
SETINFO, INFO ready check), strings, lists, sets, hashes, zsets, pipelines, MULTI/EXEC with
EXECABORT and WATCH aborts, pub/sub with SUBSCRIBE and PSUBSCRIBE, binary Buffers, expiry,
scanStream, blocking BLPOP/BZPOPMIN/BLMOVE, ReplyError texts (WRONGTYPE...), reconnect after
CLIENT KILL (also a subscriber's re-subscribe), MONITOR.

The script runs against kvd and against redis-server; both runs must pass every step and the
replies the script records (its RESULTS line) must be identical. Nothing is skipped: a missing
node, node_modules or redis-server fails the test.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402

NODE_DIR = os.path.join(kvdtest.SOURCE_DIR, "test", "node")
SCRIPT = "ioredis_e2e.mjs"
PACKAGE = "ioredis"
RUN_TIMEOUT_S = 60  # the script bounds itself at 45 s; this is the backstop


def node_binary():
    """Path of node; AssertionError naming the fix when node or the package is missing."""
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", PACKAGE)):
        raise AssertionError("test/node/node_modules/%s missing: run tools/bootstrap "
                             "(npm ci --prefix test/node)" % PACKAGE)
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        raise AssertionError("node missing: run tools/bootstrap")
    return node


def run_script(script, port, kind, extra=()):
    """Runs `node test/node/<script> --port P --server kind`; returns (stdout, results dict).

    AssertionError (with the output) unless it exits 0 and prints its summary line.
    """
    argv = [node_binary(), os.path.join(NODE_DIR, script), "--port", str(port), "--server", kind,
            *extra]
    env = dict(os.environ, HOME=os.environ.get("HOME") or "/tmp")
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env,
                           cwd=NODE_DIR, stdin=subprocess.DEVNULL,
                           preexec_fn=kvdtest._die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("%s against %s did not finish in %d s; output so far:\n%s\n%s" % (
            script, kind, RUN_TIMEOUT_S, e.stdout, e.stderr))
    summary = [ln for ln in r.stdout.splitlines() if " e2e: " in ln]
    fails = [ln for ln in r.stdout.splitlines() if ln.startswith("FAIL")]
    if r.returncode != 0 or not summary or not summary[-1].endswith(" 0 failed"):
        raise AssertionError("%s against %s exited %d\n%s\n--- stdout tail ---\n%s\n--- stderr ---\n%s" % (
            script, kind, r.returncode, "\n".join(fails)[:6000], r.stdout[-3000:], r.stderr[-3000:]))
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULTS ")]
    if len(lines) != 1:
        raise AssertionError("%s against %s printed no RESULTS line" % (script, kind))
    print("%s against %s: %s" % (script, kind, summary[-1]))
    return r.stdout, json.loads(lines[0][len("RESULTS "):])


def compare(kvd, redis, what):
    """AssertionError listing every label whose recorded reply differs (or is missing)."""
    diffs = []
    for label in sorted(set(kvd) | set(redis)):
        if kvd.get(label, "<missing>") != redis.get(label, "<missing>"):
            diffs.append("  %s: kvd %s, redis-server %s" % (
                label, json.dumps(kvd.get(label, "<missing>")), json.dumps(redis.get(label, "<missing>"))))
    if diffs:
        raise AssertionError("%s: %d replies differ from redis-server's:\n%s" % (what, len(diffs), "\n".join(diffs)))
    print("%s: %d recorded replies identical to redis-server's" % (what, len(kvd)))


def differential(script, kvd_args=(), redis_args=(), extra=()):
    """Runs `script` against a fresh redis-server and a fresh kvd; compares what they recorded."""
    with kvdtest.redis_server(*redis_args) as rs:
        _, want = run_script(script, rs.port, "redis", extra)
    with kvdtest.server(*kvd_args, http=False) as s:
        out, got = run_script(script, s.port, "kvd", extra)
    compare(got, want, script)
    return out


def test_ioredis():
    differential(SCRIPT)


def main():
    return kvdtest.run_tests([test_ioredis])


if __name__ == "__main__":
    kvdtest.main(main)
