#!/usr/bin/python3
"""Memory per idle connection, kvd next to Debian's redis-server in one run.

Usage: tools/bench/idle-connections.py [connections]   (default 10000; build/kvd-server, or
$KVD_SERVER). For each server and each transport (RESP plain, RESP over TLS; HTTP keep-alive
for kvd alone, Redis has no HTTP) it opens the connections one after the other, each proven
served (PING answered, or one HTTP request answered on it), and reads the server's RSS from
/proc at 0, half and all of them. Prints bytes per connection over the whole range and over
each half (flat memory: both halves alike), and kvd/redis ratios. Everything stays on
127.0.0.1; the servers are started and stopped by the script.
"""
import os
import resource
import socket
import ssl
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "e2e"))
import kvdtest  # noqa: E402
from test_tls import make_certs  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000


def settle(server):
    """The server's RSS once it stopped moving (at most 3 s): allocator purges and lazy frees land first."""
    last = server.rss_bytes()
    for _ in range(30):
        time.sleep(0.1)
        now = server.rss_bytes()
        if abs(now - last) < 64 * 1024:
            return now
        last = now
    return last


def open_resp(port, tls_ctx):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if tls_ctx:
        s = tls_ctx.wrap_socket(s, server_hostname="127.0.0.1")
    s.sendall(b"PING\r\n")
    got = b""
    while not got.endswith(b"\r\n"):
        chunk = s.recv(64)
        if not chunk:
            raise RuntimeError(f"connection closed after {got!r}")
        got += chunk
    if got != b"+PONG\r\n":
        raise RuntimeError(f"PING answered {got!r}")
    return s


def open_http(port, tls_ctx):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got or not got.rstrip().endswith(b"}"):
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError(f"connection closed after {got!r}")
        got += chunk
    if not got.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(got[:100])
    return s


def measure(server, port, opener, tls_ctx):
    conns = []
    r0 = settle(server)
    try:
        for i in range(N):
            conns.append(opener(port, tls_ctx))
            if i + 1 == N // 2:
                r_half = settle(server)
        r_all = settle(server)
    finally:
        for c in conns:
            c.close()
    half = N // 2
    return ((r_all - r0) / N, (r_half - r0) / half, (r_all - r_half) / (N - half))


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < N + 100:
        sys.exit(f"ulimit -Hn {hard} is below {N + 100}: this process needs a descriptor per connection")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    certs = make_certs(tempfile.mkdtemp(prefix="kvd-bench-certs-"))
    ctx = ssl.create_default_context(cafile=certs["ca.crt"])
    ctx.load_cert_chain(certs["client.crt"], certs["client.key"])
    tls = ["--tls-cert-file", certs["server.crt"], "--tls-key-file", certs["server.key"],
           "--tls-ca-cert-file", certs["ca.crt"]]
    maxclients = ["--maxclients", str(N + 100)]
    rows = []
    for name, start, http in (("kvd", kvdtest.server, True), ("redis-server", kvdtest.redis_server, False)):
        tls_port = kvdtest.free_port()
        extra = maxclients + ["--tls-port", str(tls_port)] + tls
        if name == "kvd":
            extra += ["--appendonly", "no", "--save", ""]
        with start(*extra) as s:
            rows.append((name, "RESP", measure(s, s.port, open_resp, None)))
            rows.append((name, "RESP over TLS", measure(s, tls_port, open_resp, ctx)))
            if http:
                rows.append((name, "HTTP keep-alive", measure(s, s.http_port, open_http, None)))
    print(f"{N} idle connections, bytes of server RSS per connection "
          f"(all / first half / second half):")
    print("| server | transport | per connection | first half | second half |")
    print("|---|---|---|---|---|")
    for name, what, (a, h1, h2) in rows:
        print(f"| {name} | {what} | {a:,.0f} | {h1:,.0f} | {h2:,.0f} |")
    by = {(n, w): m[0] for n, w, m in rows}
    for what in ("RESP", "RESP over TLS"):
        print(f"kvd/redis {what}: {by[('kvd', what)] / by[('redis-server', what)]:.2f}")


if __name__ == "__main__":
    main()
