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
import tempfile
import time

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


LOADING_KEYS = 1_000_000


def while_loading(script, package, extra=()):
    """Runs `script --only while_loading --key key:1 --value value:1 *extra` against a kvd that is
    still loading an RDB of LOADING_KEYS keys (made by redis-server DEBUG POPULATE + SAVE).

    The script is started once a raw INFO has shown loading:1; kvd is stopped afterwards and must
    exit 0. Returns the script's stdout.
    """
    d = tempfile.mkdtemp(prefix="kvd-client-loading-")
    try:
        with kvdtest.redis_server("--enable-debug-command", "yes") as red:
            c = red.client()
            c.execute_command("DEBUG", "POPULATE", LOADING_KEYS, "key", 16)
            c.save()
            shutil.copy(os.path.join(red.dir, "dump.rdb"), os.path.join(d, "dump.rdb"))
        port = kvdtest.free_port()
        log = os.path.join(d, "kvd.log")
        proc = kvdtest._spawn([kvdtest.kvd_server_path(), "--port", str(port), "--bind", "127.0.0.1",
                               "--http-port", "0", "--dir", d, "--appendonly", "no"], log)
        try:
            deadline = time.monotonic() + 20
            seen = False
            while not seen and time.monotonic() < deadline:
                assert proc.poll() is None, "kvd exited %s\n%s" % (proc.returncode, kvdtest._tail(log))
                try:
                    with kvdtest.RawConn(port, 5) as conn:
                        conn.send(kvdtest.resp_command("INFO", "persistence"))
                        seen = b"loading:1\r\n" in conn.read_reply()
                        if not seen:
                            raise AssertionError("kvd finished loading %d keys before the first INFO" % LOADING_KEYS)
                except OSError:
                    time.sleep(0.002)
            assert seen, "kvd never accepted a connection while loading"
            out, _ = run_script(script, package, port, "kvd",
                                ["--only", "while_loading", "--key", "key:1", "--value", "value:1", *extra])
            return out
        finally:
            kvdtest._stop("kvd", proc, log, True)
    finally:
        shutil.rmtree(d, ignore_errors=True)
