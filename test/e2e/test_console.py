#!/usr/bin/python3
"""End-to-end test of the web console (issue 7, "Web console").

- HTTP: GET / is the console page (text/html, ETag, Cache-Control: no-cache, CSP), its
  assets are under /console/ with the right Content-Type, If-None-Match gives 304, an
  unknown asset is a 404 JSON error, and the seed routes still answer next to it;
- browser: test/node/console_e2e.mjs drives the console in headless Chromium
  (/usr/bin/chromium, playwright-core from test/node/node_modules, installed by
  tools/bootstrap): the overview shows numbers and draws its charts, the key browser lists
  keys seeded over RESP (SCAN MATCH), shows each type, creates a string key (with a TTL) and
  a hash with two fields, the console prints replies like redis-cli, the slowlog and client
  views open; with a password set (CONFIG SET requirepass), the server's 401 brings up the
  sign-in prompt and the token then goes with every request and is accepted;
- redis-cli then sees what the browser wrote.

Screenshots: <build>/test-output/console/console-{overview,keys,console,slowlog,clients}.png
(<build> is the folder holding kvd-server, normally build/).
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from curl_client import curl  # noqa: E402

NODE_DIR = os.path.join(kvdtest.SOURCE_DIR, "test", "node")
CHROMIUM = "/usr/bin/chromium"
BROWSER_TIMEOUT_S = 180  # the script bounds itself at 150 s; this is the backstop


def output_dir():
    """<build>/test-output/console, next to the kvd-server under test."""
    build = os.path.dirname(os.path.abspath(kvdtest.kvd_server_path()))
    out = os.path.join(build, "test-output", "console")
    os.makedirs(out, exist_ok=True)
    return out


def test_http_assets(s):
    p = s.http_port
    r = curl(p, "GET", "/")
    kvdtest.eq(r.status, 200, "GET / status")
    assert r.content_type == "text/html; charset=utf-8", r
    assert b'<script type="module" src="/console/app.js">' in r.body, r
    etag = r.headers.get("etag", "")
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 18, r.headers
    kvdtest.eq(r.headers.get("cache-control"), "no-cache", "Cache-Control of /")
    assert "default-src 'none'" in r.headers.get("content-security-policy", ""), r.headers
    kvdtest.eq(r.headers.get("x-content-type-options"), "nosniff", "nosniff")

    r304 = curl(p, "GET", "/", ["If-None-Match: " + etag])
    kvdtest.eq(r304.status, 304, "GET / with a matching If-None-Match")
    kvdtest.eq(r304.body, b"", "304 body")
    kvdtest.eq(r304.headers.get("etag"), etag, "304 ETag")
    kvdtest.eq(curl(p, "GET", "/", ['If-None-Match: "other", W/' + etag]).status, 304, "weak tag in a list")
    kvdtest.eq(curl(p, "GET", "/", ['If-None-Match: "other"']).status, 200, "other tag")

    want = {
        "app.js": "text/javascript; charset=utf-8",
        "api.js": "text/javascript; charset=utf-8",
        "keys.js": "text/javascript; charset=utf-8",
        "console.css": "text/css; charset=utf-8",
        "favicon.svg": "image/svg+xml",
        "index.html": "text/html; charset=utf-8",
    }
    for name, ctype in want.items():
        r = curl(p, "GET", "/console/" + name)
        kvdtest.eq((r.status, r.content_type), (200, ctype), "/console/" + name)
        with open(os.path.join(kvdtest.SOURCE_DIR, "src", "http", "console", name), "rb") as f:
            kvdtest.eq(r.body, f.read(), "/console/%s is the file's bytes" % name)
    for path in ("/console/nope.js", "/console/..%2Fconsole.cpp", "/console/app.js.map"):
        r = curl(p, "GET", path)
        kvdtest.eq((r.status, r.json()), (404, {"error": "no such console asset", "code": "NOT_FOUND"}), path)
    r = curl(p, "POST", "/", ["Content-Type: application/json"], "{}")
    kvdtest.eq((r.status, r.headers.get("allow")), (405, "GET"), "POST /")
    # The seed routes are still served next to the console.
    kvdtest.eq(curl(p, "GET", "/api/v0/").json(), {"message": "Api is running"}, "GET /api/v0/")
    kvdtest.eq(curl(p, "GET", "/v1/health").json(), {"ok": True}, "GET /v1/health")


def seed(s):
    c = s.client(decode_responses=False)
    c.rpush("console:list", "a", "b", "c")
    c.sadd("console:set", "x", "y")
    c.zadd("console:zset", {"one": 1, "two": 2.5})
    c.set("console:seeded", "from redis-cli")
    c.set(b"console:bin", b"\x00\xffA")


def test_browser(s):
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "playwright-core")):
        raise AssertionError("test/node/node_modules/playwright-core missing: run tools/bootstrap "
                             "(npm ci --prefix test/node)")
    if not os.access(CHROMIUM, os.X_OK):
        raise AssertionError(CHROMIUM + " missing: run tools/bootstrap (apt-get install chromium)")
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        raise AssertionError("node missing: run tools/bootstrap")
    seed(s)
    out = output_dir()
    for f in os.listdir(out):
        if f.startswith("console-") and f.endswith(".png"):
            os.unlink(os.path.join(out, f))
    argv = [node, os.path.join(NODE_DIR, "console_e2e.mjs"), "--url", "http://127.0.0.1:%d" % s.http_port,
            "--out", out, "--chromium", CHROMIUM]
    env = dict(os.environ, HOME=os.environ.get("HOME") or "/tmp")
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, env=env,
                           stdin=subprocess.DEVNULL, preexec_fn=kvdtest._die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("the browser script did not finish in %d s; output so far:\n%s\n%s" % (
            BROWSER_TIMEOUT_S, e.stdout, e.stderr))
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        raise AssertionError("browser script exited %d:\n%s" % (r.returncode, r.stderr[-4000:]))

    # What the browser wrote, seen over RESP.
    cli = lambda *a: kvdtest.redis_cli(s.port, *a).rstrip("\n")  # noqa: E731
    kvdtest.eq(cli("GET", "console:str"), "hello from the console", "GET console:str")
    ttl = int(cli("TTL", "console:str"))
    assert 900 <= ttl <= 1000, "TTL console:str set in the browser: %d" % ttl
    kvdtest.eq(cli("HGET", "console:hash", "f1"), "v1", "HGET console:hash f1")
    kvdtest.eq(cli("HGET", "console:hash", "f2"), '<b id="injected">v2</b>&amp;', "HGET console:hash f2")
    kvdtest.eq(cli("GET", "console:cli"), "hi there", "GET console:cli (set in the console view)")
    kvdtest.eq(s.client(decode_responses=False).get(b"console:\xffbin"), b"\x00\x01 ok",
               "binary key and value written with \\xHH escapes in the console view")
    kvdtest.eq(cli("LRANGE", "console:list", "0", "-1"), "a\nb\nc\nd", "RPUSH from the list view")
    kvdtest.eq(cli("SMEMBERS", "console:<img src=x id=evil>"), "member", "set created with a markup-like name")
    kvdtest.eq(cli("GET", "console:authed"), "yes", "SET run in the console after signing in with a password")

    for view in ("overview", "keys", "console", "slowlog", "clients"):
        path = os.path.join(out, "console-%s.png" % view)
        with open(path, "rb") as f:
            head = f.read(8)
        assert head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 5000, path
    print("screenshots in " + out)


def main():
    with kvdtest.server() as s:
        return kvdtest.run_tests([test_http_assets, test_browser], s)


if __name__ == "__main__":
    kvdtest.main(main)
