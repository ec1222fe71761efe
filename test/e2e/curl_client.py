"""curl in a subprocess for the HTTP end-to-end tests (test_seed_routes.py, test_metrics.py,
test_openapi.py): `curl(port, method, path, ...)` returns a Response with the status, the
response header fields (lower-case names) and the body bytes. Every call has a 30 s limit.
"""
import json
import os
import subprocess
import tempfile


class Response:
    """One HTTP response: .status (int), .headers (lower-case name -> value), .body (bytes)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        """The body parsed as JSON."""
        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self):
        return self.headers.get("content-type", "")

    def __repr__(self):
        return "%d %r %r" % (self.status, self.headers.get("content-type"), self.body[:300])


def curl_argv(port, method, path, headers=(), data=None):
    """The curl argv of a request, as a user would type it; `data` (str) goes in
    --data-binary verbatim."""
    argv = ["curl", "-sS", "--max-time", "30", "-X", method]
    for h in headers:
        argv += ["-H", h]
    if data is not None:
        argv += ["--data-binary", data]
    argv.append("http://127.0.0.1:%d%s" % (port, path))
    return argv


def run(argv):
    """Runs a curl argv (without -o/-D/-w, which this adds); returns a Response."""
    with tempfile.TemporaryDirectory(prefix="kvd-curl-") as tmp:
        argv = list(argv)
        for i, a in enumerate(argv):
            if isinstance(a, bytes):  # binary body: through a file, argv cannot carry NUL
                req = os.path.join(tmp, "req")
                with open(req, "wb") as f:
                    f.write(a)
                argv[i] = "@" + req
        body_out = os.path.join(tmp, "body")
        head_out = os.path.join(tmp, "head")
        full = argv[:1] + ["-o", body_out, "-D", head_out, "-w", "%{http_code}"] + argv[1:]
        out = subprocess.run(full, check=True, capture_output=True, timeout=60)
        status = int(out.stdout.decode().strip() or 0)
        headers = {}
        with open(head_out, "rb") as f:
            for line in f.read().decode("latin-1").split("\r\n"):
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
        body = b""
        if os.path.exists(body_out):
            with open(body_out, "rb") as f:
                body = f.read()
        return Response(status, headers, body)


def curl(port, method, path, headers=(), data=None):
    """Sends one request to 127.0.0.1:port; `data` (str or bytes) is the body."""
    return run(curl_argv(port, method, path, headers, data))
