"""Helpers of the Node.js client tests (test_ioredis.py, test_node_redis.py).

A script test/node/<name>.mjs takes `--port P --server kvd|redis`, prints "ok ..." lines,
"FAIL <step>: ..." lines, one "RESULTS <json>" line (replies it recorded, which must not
depend on the server) and a summary line "... e2e...: N passed, M failed"; it exits 0 only
when all passed. `differential()` runs it against Debian's redis-server and against kvd and
compares the two RESULTS. Nothing is skipped: a missing node, node_modules or redis-server
fails the test with the command that fixes it.
"""
import json
import os
import re
import shutil
import subprocess

import kvdtest

NODE_DIR = os.path.join(kvdtest.SOURCE_DIR, "test", "node")
RUN_TIMEOUT_S = 120  # the script bounds itself at 90 s; this is the backstop


def node_binary(package):
    """Path of node; AssertionError naming the fix when node or the npm package is missing."""
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", package)):
        raise AssertionError("test/node/node_modules/%s missing: run tools/bootstrap "
                             "(npm ci --prefix test/node)" % package)
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        raise AssertionError("node missing: run tools/bootstrap")
    return node


def run_script(script, package, port, kind, extra=()):
    """Runs `node test/node/<script> --port P --server kind *extra`; returns (stdout, results).

    AssertionError (with the output) unless it exits 0 and prints its summary line.
    """
    argv = [node_binary(package), os.path.join(NODE_DIR, script), "--port", str(port), "--server", kind,
            *extra]
    env = dict(os.environ, HOME=os.environ.get("HOME") or "/tmp")
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env,
                           cwd=NODE_DIR, stdin=subprocess.DEVNULL,
                           preexec_fn=kvdtest._die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("%s against %s did not finish in %d s; output so far:\n%s\n%s" % (
            script, kind, RUN_TIMEOUT_S, e.stdout, e.stderr))
    summary = [ln for ln in r.stdout.splitlines() if re.search(r" e2e\b.*: \d+ passed, \d+ failed", ln)]
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


def differential(script, package, extra=()):
    """Runs `script` against a fresh redis-server, then a fresh kvd; compares what they recorded.

    Returns kvd's stdout. AssertionError if either run fails or a recorded reply differs.
    """
    what = " ".join([script, *extra])
    with kvdtest.redis_server() as rs:
        _, want = run_script(script, package, rs.port, "redis", extra)
    with kvdtest.server(http=False) as s:
        out, got = run_script(script, package, s.port, "kvd", extra)
    compare(got, want, what)
    return out
