"""TLS on the RESP port (tls-port) and HTTPS (http-tls, http-tls-port), with certificates the
test makes with `openssl` in a temporary directory (a CA, a server certificate for
127.0.0.1/localhost, a client certificate):
- redis-cli --tls --cacert PING/SET/GET; tls-auth-clients yes refuses a client without a
  certificate and serves one with --cert/--key; optional and no;
- python3-redis with ssl=True; TLS clients in CLIENT LIST and connected_clients;
- curl --cacert https://.../v1/kv/... PUT/GET, and an SSE stream over HTTPS;
- tls-protocols TLSv1.3 refuses a TLSv1.2-only client (openssl s_client -tls1_2);
- plain-text bytes sent to the TLS port close that connection only, counted as a failed
  handshake in the log, while another TLS client keeps working; a client that never starts
  the handshake is closed after 10 s;
- a missing certificate file stops start-up with the path in the message;
- CONFIG GET/SET of the tls-* options: a bad file is refused as Redis refuses it and the
  working context is kept, a good one is loaded for new connections;
- `port 0` leaves only the TLS listener.
"""

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

OPENSSL = "/usr/bin/openssl"
CURL = "/usr/bin/curl"


# --- certificates --------------------------------------------------------------------------

def openssl(*args, cwd):
    r = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed: {r.stderr}")


def make_certs(d):
    """CA, server (CN 127.0.0.1, SAN IP:127.0.0.1 DNS:localhost) and client certificates, EC
    P-256 keys, valid 2 days. Returns a dict of paths."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=kvd test CA", cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    with open(os.path.join(d, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for who, cn in (("server", "127.0.0.1"), ("client", "kvd test client")):
        openssl("req", *ec, "-keyout", f"{who}.key", "-out", f"{who}.csr", "-subj", f"/CN={cn}", cwd=d)
        openssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{who}.crt", "-days", "2", "-extfile", f"{who}.ext", cwd=d)
    # A second server certificate (another CN) for the CONFIG SET reload test.
    openssl("req", *ec, "-keyout", "server2.key", "-out", "server2.csr", "-subj", "/CN=localhost", cwd=d)
    openssl("x509", "-req", "-in", "server2.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server2.crt", "-days", "2", "-extfile", "server.ext", cwd=d)
    return {n: os.path.join(d, n) for n in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key",
                                            "server2.crt", "server2.key")}


def tls_args(c, tls_port, *more):
    return ["--tls-port", tls_port, "--tls-cert-file", c["server.crt"], "--tls-key-file", c["server.key"],
            "--tls-ca-cert-file", c["ca.crt"], *more]


def cli(port, c, *args, cert=True, check=True, input=None):
    """redis-cli --tls --cacert (and --cert/--key when `cert`); returns the CompletedProcess."""
    flags = ["--tls", "--cacert", c["ca.crt"]]
    if cert:
        flags += ["--cert", c["client.crt"], "--key", c["client.key"]]
    r = kvdtest.redis_cli_run(port, *flags, *args, input=input, timeout=20)
    if check and (r.returncode != 0 or r.stderr):
        raise AssertionError(f"redis-cli --tls {' '.join(map(str, args))}: status {r.returncode}, "
                             f"stdout {r.stdout!r}, stderr {r.stderr!r}")
    return r


def tls_redis(port, c, cert=True, **kw):
    import redis
    kw.setdefault("decode_responses", True)
    kw.setdefault("socket_timeout", 10)
    extra = {"ssl_certfile": c["client.crt"], "ssl_keyfile": c["client.key"]} if cert else {}
    return redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=c["ca.crt"],
                       ssl_cert_reqs="required", **extra, **kw)


def curl(c, *args, check=True):
    r = subprocess.run([CURL, "-sS", "--max-time", "10", "--cacert", c["ca.crt"], *args],
                       capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError(f"curl {' '.join(args)}: status {r.returncode}, stderr {r.stderr!r}")
    return r


def wait_for(pred, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def tls_connect(port, c, cert=True, timeout=5.0):
    """A TLS socket to 127.0.0.1:port verified with the test CA (client certificate if `cert`)."""
    ctx = ssl.create_default_context(cafile=c["ca.crt"])
    if cert:
        ctx.load_cert_chain(c["client.crt"], c["client.key"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


@contextlib.contextmanager
def tls_server(*more, http=True):
    """kvdtest.server with a free tls-port (tls_args); retried with another port when the
    start failed because the port was taken meanwhile. Yields (Process, tls_port)."""
    for attempt in range(3):
        tls_port = kvdtest.free_port()
        cm = kvdtest.server(*more_args(tls_port, more), http=http)
        try:
            s = cm.__enter__()
        except AssertionError as e:
            if "in use" in str(e).lower() and attempt < 2:
                continue
            raise
        break
    ok = False
    try:
        yield s, tls_port
        ok = True
    finally:
        if ok:
            cm.__exit__(None, None, None)
        else:
            cm.__exit__(*sys.exc_info())


CERTS = {}


def more_args(tls_port, more):
    return tls_args(CERTS, tls_port, *more)


# --- tests on one server: tls-port (tls-auth-clients yes) and https on http-port -----------

def test_redis_cli_tls(s, c, tls_port):
    eq(cli(tls_port, c, "PING").stdout, "PONG\n", "PING over TLS")
    eq(cli(tls_port, c, "SET", "tk", "tv").stdout, "OK\n", "SET over TLS")
    eq(cli(tls_port, c, "GET", "tk").stdout, "tv\n", "GET over TLS")
    # The same keyspace as the plain port.
    eq(s.client().get("tk"), "tv", "plain port sees the TLS write")
    # Pipelined input from stdin, several replies in one TLS stream.
    out = cli(tls_port, c, input="\n".join(f"SET p{i} {i}" for i in range(200)) + "\nDBSIZE\n").stdout
    assert out.endswith("201\n") or out.endswith("(integer) 201\n"), f"pipelined over TLS: {out[-80:]!r}"


def test_quit_sends_close_notify(s, c, tls_port):
    """QUIT over TLS: +OK, then a clean TLS close (close_notify), not a truncated stream."""
    ctx = ssl.create_default_context(cafile=c["ca.crt"])
    ctx.load_cert_chain(c["client.crt"], c["client.key"])
    raw = socket.create_connection(("127.0.0.1", tls_port), timeout=5)
    with ctx.wrap_socket(raw, server_hostname="127.0.0.1", suppress_ragged_eofs=False) as conn:
        conn.sendall(b"QUIT\r\n")
        got = b""
        while True:
            chunk = conn.recv(64)  # SSLEOFError here would mean no close_notify
            if not chunk:
                break
            got += chunk
        eq(got, b"+OK\r\n", "QUIT over TLS")


def test_client_without_certificate_refused(s, c, tls_port):
    r = cli(tls_port, c, "PING", cert=False, check=False)
    assert "PONG" not in r.stdout, f"a client without certificate was served: {r.stdout!r}"
    eq(cli(tls_port, c, "PING").stdout, "PONG\n", "a client with a certificate is served")
    # Python's ssl sees the refusal at the handshake or at the first read.
    try:
        conn = tls_connect(tls_port, c, cert=False)
        conn.sendall(b"PING\r\n")
        got = conn.recv(64)
        conn.close()
        assert got == b"", f"no-certificate client got {got!r}"
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        pass
    wait_for(lambda: "TLS handshake" in s.log(), "the failed handshake in the log")


def test_python_redis_ssl(s, c, tls_port):
    r = tls_redis(tls_port, c)
    try:
        assert r.ping()
        r.set("py", "ssl")
        eq(r.get("py"), "ssl", "redis-py over TLS")
        big = "x" * (3 * 1024 * 1024)  # several TLS records each way
        r.set("big", big)
        eq(r.get("big"), big, "3 MB value over TLS")
        # A pipeline: the server reads requests while its replies (many TLS records) go out.
        p = r.pipeline(transaction=False)
        for i in range(500):
            p.set(f"pv{i}", str(i) * 5000)
            p.get(f"pv{i}")
        res = p.execute()
        eq(res[1::2], [str(i) * 5000 for i in range(500)], "pipelined GETs over TLS")
        eq(r.execute_command("CLIENT", "SETNAME", "tlsclient"), "OK", "CLIENT SETNAME")
        lines = s.client().execute_command("CLIENT", "LIST")
        assert "name=tlsclient" in lines, f"TLS client not in CLIENT LIST: {lines}"
        plain = s.client()
        r2 = tls_redis(tls_port, c)
        r2.execute_command("CLIENT", "SETNAME", "tls2")

        def counts_agree():
            # Polled: connections of earlier tests may still be closing between the two reads.
            n = int(plain.info("clients")["connected_clients"])
            listed = plain.client_list()
            return n == len(listed) and any(e.get("name") == "tls2" for e in listed)
        wait_for(counts_agree, "connected_clients equal to CLIENT LIST's count, TLS clients included")
        r2.close()
    finally:
        r.close()


def test_pubsub_over_tls(s, c, tls_port):
    r = tls_redis(tls_port, c)
    p = r.pubsub()
    try:
        p.subscribe("tlsnews")
        wait_for(lambda: p.get_message(timeout=0.1) is not None, "subscribe confirmation")
        eq(s.client().publish("tlsnews", "hello"), 1, "one TLS subscriber")
        msg = None
        deadline = time.monotonic() + 5
        while msg is None and time.monotonic() < deadline:
            msg = p.get_message(timeout=0.2)
        eq(msg and msg["data"], "hello", "message delivered over TLS")
    finally:
        p.close()
        r.close()


def test_https_kv(s, c, tls_port):
    base = f"https://127.0.0.1:{s.http_port}"
    r = curl(c, "-X", "PUT", "--data-binary", "over https", "-H", "Content-Type: application/octet-stream",
             f"{base}/v1/kv/hk")
    assert '"ok":true' in r.stdout.replace(" ", ""), f"PUT over HTTPS: {r.stdout!r}"
    eq(curl(c, f"{base}/v1/kv/hk?format=raw").stdout, "over https", "GET over HTTPS")
    eq(s.client().get("hk"), "over https", "RESP sees the HTTPS write")
    # localhost is in the certificate's SAN as well.
    eq(curl(c, "--resolve", f"localhost:{s.http_port}:127.0.0.1", f"https://localhost:{s.http_port}/health").returncode,
       0, "https://localhost")
    # Keep-alive: two requests on one connection.
    r = curl(c, "-v", f"{base}/v1/kv/hk?format=raw", f"{base}/v1/kv/hk?format=raw")
    eq(r.stdout, "over httpsover https", "two requests")
    assert "Re-using existing connection" in r.stderr or "Reusing existing connection" in r.stderr, \
        f"HTTPS keep-alive not used: {r.stderr[-400:]}"
    # Plain HTTP to the HTTPS port is not served.
    r = subprocess.run([CURL, "-sS", "--max-time", "5", f"http://127.0.0.1:{s.http_port}/health"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 or '"ok"' not in r.stdout, f"plain HTTP served on the HTTPS port: {r.stdout!r}"


def test_kvd_cli_tls(s, c, tls_port):
    """kvd-cli --tls with redis-cli's options, over RESP (tls-port) and HTTPS (--http https://)."""
    kcli = os.path.join(os.path.dirname(kvdtest.kvd_server_path()), "kvd-cli")

    def run(*args):
        return subprocess.run([kcli, *map(str, args)], capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    tls = ["-p", tls_port, "--tls", "--cacert", c["ca.crt"], "--cert", c["client.crt"], "--key", c["client.key"]]
    r = run(*tls, "SET", "cli-tls", "v1")
    eq((r.returncode, r.stdout), (0, "OK\n"), f"kvd-cli --tls SET ({r.stderr!r})")
    eq(run(*tls, "GET", "cli-tls").stdout, "v1\n", "kvd-cli --tls GET")
    eq(run(*tls, "-3", "HGETALL", "none").stdout, "\n", "kvd-cli --tls -3 (HELLO 3 over TLS)")
    # tls-auth-clients yes: no client certificate, no service.
    r = run("-p", tls_port, "--tls", "--cacert", c["ca.crt"], "PING")
    assert r.returncode != 0 and "PONG" not in r.stdout, f"served without a client certificate: {r}"
    # A server certificate the CA does not vouch for is refused, unless --insecure.
    r = run("-p", tls_port, "--tls", "--cacert", c["client.crt"], "--cert", c["client.crt"], "--key", c["client.key"],
            "PING")
    assert r.returncode != 0 and "TLS" in r.stderr + r.stdout, f"unverified server accepted: {r}"
    r = run("-p", tls_port, "--tls", "--insecure", "--cert", c["client.crt"], "--key", c["client.key"], "PING")
    eq(r.stdout, "PONG\n", f"--insecure ({r.stderr!r})")
    r = run(*tls[:3], "--cacert", "/nonexistent/ca.pem", "PING")
    assert r.returncode != 0 and "/nonexistent/ca.pem" in r.stderr, f"missing --cacert file: {r}"
    # HTTPS: --http https://... verifies with --cacert.
    url = f"https://127.0.0.1:{s.http_port}"
    r = run("--http", url, "--cacert", c["ca.crt"], "GET", "cli-tls")
    eq((r.returncode, r.stdout), (0, "v1\n"), f"kvd-cli --http https:// ({r.stderr!r})")
    r = run("--http", url, "--cacert", c["ca.crt"], "INCR", "cli-n")
    eq(r.stdout, "1\n", "kvd-cli --http https:// INCR")


def test_https_sse(s, c, tls_port):
    url = f"https://127.0.0.1:{s.http_port}/v1/subscribe/ssech?count=2&timeout=10"
    proc = subprocess.Popen([CURL, "-sS", "-N", "--max-time", "15", "--cacert", c["ca.crt"], url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        plain = s.client()
        wait_for(lambda: plain.execute_command("PUBSUB", "NUMSUB", "ssech")[1] == 1, "the SSE subscriber")
        plain.publish("ssech", "one")
        plain.publish("ssech", "two")
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert ": subscribed" in out and '"one"' in out and '"two"' in out, f"SSE over HTTPS: {out!r} {err!r}"


def test_plaintext_on_tls_port(s, c, tls_port):
    r = tls_redis(tls_port, c)
    try:
        r.set("survivor", "1")
        failures_before = s.log().count("TLS handshake")
        closed = False
        with socket.create_connection(("127.0.0.1", tls_port), timeout=5) as raw:
            raw.sendall(b"*1\r\n$4\r\nPING\r\n")
            try:
                data = raw.recv(4096)
                # The server may answer with a TLS alert record (0x15) before it closes.
                assert b"PONG" not in data, f"plain text answered on the TLS port: {data!r}"
                while data:
                    data = raw.recv(4096)
                closed = True
            except ConnectionResetError:
                closed = True
        assert closed, "the plain-text connection was not closed"
        wait_for(lambda: s.log().count("TLS handshake") > failures_before, "the failed handshake logged")
        eq(r.get("survivor"), "1", "another TLS client keeps working")
        eq(cli(tls_port, c, "PING").stdout, "PONG\n", "new TLS clients are served")
    finally:
        r.close()


def test_handshake_deadline(s, c, tls_port):
    """A client that connects and never starts the handshake is closed after 10 s."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", tls_port), timeout=20) as raw:
        try:
            eq(raw.recv(64), b"", "closed without a byte")
        except ConnectionResetError:
            pass
    took = time.monotonic() - t0
    assert 8 <= took <= 15, f"closed after {took:.1f} s, expected about 10 s"
    wait_for(lambda: "no handshake within 10 s" in s.log(), "the deadline in the log")
    eq(cli(tls_port, c, "PING").stdout, "PONG\n", "TLS still served")


def test_config_get_set(s, c, tls_port):
    r = s.client()
    got = r.config_get("tls-*")
    eq(got["tls-port"], str(tls_port), "CONFIG GET tls-port")
    eq(got["tls-cert-file"], c["server.crt"], "CONFIG GET tls-cert-file")
    eq(got["tls-auth-clients"], "yes", "tls-auth-clients default")
    eq(got["tls-protocols"], "", "tls-protocols default (Redis: empty)")
    eq(got["tls-session-caching"], "yes", "tls-session-caching default")
    eq(got["tls-session-cache-size"], "20480", "tls-session-cache-size default")
    eq(got["tls-session-cache-timeout"], "300", "tls-session-cache-timeout default")
    eq(r.config_get("http-tls")["http-tls"], "yes", "CONFIG GET http-tls")
    # The same tls-* names as Redis 7.0's CONFIG GET tls-*.
    redis_names = {"tls-port", "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file",
                   "tls-client-key-file", "tls-client-key-file-pass", "tls-dh-params-file", "tls-ca-cert-file",
                   "tls-ca-cert-dir", "tls-auth-clients", "tls-replication", "tls-cluster", "tls-protocols",
                   "tls-ciphers", "tls-ciphersuites", "tls-prefer-server-ciphers", "tls-session-caching",
                   "tls-session-cache-size", "tls-session-cache-timeout"}
    eq(set(got), redis_names, "CONFIG GET tls-* names")
    eq(got["tls-replication"], "no", "tls-replication")
    import redis
    # Redis's texts: an enum value, an immutable option, a file that does not load.
    try:
        r.config_set("tls-auth-clients", "maybe")
        raise AssertionError("tls-auth-clients maybe accepted")
    except redis.ResponseError as e:
        eq(str(e), "CONFIG SET failed (possibly related to argument 'tls-auth-clients') - argument(s) must be "
                   "one of the following: no, yes, optional", "bad tls-auth-clients")
    try:
        r.config_set("tls-cert-file", "/nonexistent/kvd.crt")
        raise AssertionError("a missing tls-cert-file accepted")
    except redis.ResponseError as e:
        eq(str(e), "CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS "
                   "configuration. Check server logs.", "missing tls-cert-file")
    eq(r.config_get("tls-cert-file")["tls-cert-file"], c["server.crt"], "rolled back")
    assert "/nonexistent/kvd.crt" in s.log(), "the log names the file that failed"
    eq(cli(tls_port, c, "PING").stdout, "PONG\n", "the old context still serves")
    try:
        r.config_set("tls-protocols", "TLSv9")
        raise AssertionError("tls-protocols TLSv9 accepted while TLS is on")
    except redis.ResponseError as e:
        assert "Unable to update TLS configuration" in str(e), str(e)
    # A new certificate pair (both in one CONFIG SET): new connections get it.
    r.execute_command("CONFIG", "SET", "tls-cert-file", c["server2.crt"], "tls-key-file", c["server2.key"])
    with tls_connect(tls_port, c) as conn:
        subject = dict(x[0] for x in conn.getpeercert()["subject"])
        eq(subject.get("commonName"), "localhost", "the reloaded certificate")
    r.execute_command("CONFIG", "SET", "tls-cert-file", c["server.crt"], "tls-key-file", c["server.key"])
    with tls_connect(tls_port, c) as conn:
        eq(dict(x[0] for x in conn.getpeercert()["subject"]).get("commonName"), "127.0.0.1", "back to the first")
    # tls-auth-clients is read per connection: optional serves a client without certificate.
    r.config_set("tls-auth-clients", "optional")
    try:
        eq(cli(tls_port, c, "PING", cert=False).stdout, "PONG\n", "optional: no certificate")
        eq(cli(tls_port, c, "PING").stdout, "PONG\n", "optional: with certificate")
    finally:
        r.config_set("tls-auth-clients", "yes")
    try:
        r.config_set("tls-port", "1")
        raise AssertionError("tls-port changed at runtime")
    except redis.ResponseError as e:
        assert "can't set immutable config" in str(e), str(e)


# --- separate servers ---------------------------------------------------------------------

def test_tls13_only(c):
    with tls_server("--tls-protocols", "TLSv1.3", "--tls-auth-clients", "no", http=False) as (s, tls_port):
        def s_client(flag):
            return subprocess.run([OPENSSL, "s_client", flag, "-connect", f"127.0.0.1:{tls_port}",
                                   "-CAfile", c["ca.crt"], "-verify_return_error"],
                                  input="PING\r\n", capture_output=True, text=True, timeout=30)
        r12 = s_client("-tls1_2")
        assert r12.returncode != 0, f"a TLSv1.2-only client was served: {r12.stdout[-300:]}"
        r13 = s_client("-tls1_3")
        assert r13.returncode == 0 and "New, TLSv1.3" in r13.stdout, f"TLSv1.3 client: {r13.stdout[-500:]} {r13.stderr}"
        with tls_connect(tls_port, c, cert=False) as conn:
            eq(conn.version(), "TLSv1.3", "negotiated version")
            conn.sendall(b"PING\r\n")
            eq(conn.recv(16), b"+PONG\r\n", "PING over TLSv1.3")
        # tls-auth-clients no: redis-cli without a certificate is served.
        eq(cli(tls_port, c, "PING", cert=False).stdout, "PONG\n", "tls-auth-clients no")
        assert s.client().ping()


def test_missing_cert_stops_startup(c):
    binary = kvdtest.kvd_server_path()
    missing = os.path.join(tempfile.gettempdir(), "kvd-no-such-dir", "server.crt")
    with tempfile.TemporaryDirectory() as d:
        for args, needle in (
                (["--tls-port", kvdtest.free_port(), "--tls-cert-file", missing, "--tls-key-file", c["server.key"],
                  "--tls-ca-cert-file", c["ca.crt"]], missing),
                (["--tls-port", kvdtest.free_port(), "--tls-cert-file", c["server.crt"], "--tls-key-file",
                  c["ca.crt"], "--tls-ca-cert-file", c["ca.crt"]], c["ca.crt"]),  # not a key: unparsable
                (["--http-tls", "yes", "--tls-cert-file", c["server.crt"], "--tls-key-file", c["server.key"],
                  "--tls-ca-cert-file", missing], missing),
                (["--tls-port", kvdtest.free_port(), "--tls-key-file", c["server.key"]], "tls-cert-file")):
            argv = [binary, "--port", str(kvdtest.free_port()), "--http-port", str(kvdtest.free_port()), "--dir", d,
                    *map(str, args)]
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            assert r.returncode != 0, f"started with {args}: {r.stdout[-300:]}"
            assert needle in r.stderr, f"the message does not name {needle}: {r.stderr!r}"


def test_port_zero_and_https_port(c):
    """port 0: only the TLS listener; http-tls-port: HTTPS beside the plain http-port."""
    binary = kvdtest.kvd_server_path()
    tls_port, http_port, https_port, plain_port = kvdtest._free_ports(4)
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "kvd.log")
        argv = [binary, "--port", "0", "--http-port", str(http_port), "--bind", "127.0.0.1", "--dir", d,
                "--http-tls-port", str(https_port), *map(str, tls_args(c, tls_port))]
        proc = kvdtest._spawn(argv, log)
        try:
            def ready():
                if proc.poll() is not None:
                    raise AssertionError(f"kvd exited: {open(log).read()[-500:]}")
                try:
                    with tls_connect(tls_port, c, timeout=1) as conn:
                        conn.sendall(b"PING\r\n")
                        return conn.recv(16) == b"+PONG\r\n"
                except OSError:
                    return False
            wait_for(ready, "the TLS listener")
            eq(kvdtest.ping_once(plain_port), False, "nothing on a plain port")
            eq(tls_redis(tls_port, c).ping(), True, "redis-py over TLS with port 0")
            eq(curl(c, f"https://127.0.0.1:{https_port}/health").returncode, 0, "HTTPS on http-tls-port")
            r = subprocess.run([CURL, "-sS", "--max-time", "5", f"http://127.0.0.1:{http_port}/health"],
                               capture_output=True, text=True, timeout=20)
            eq(r.returncode, 0, f"plain HTTP on http-port: {r.stderr}")
        finally:
            kvdtest._stop("kvd", proc, log, True)


def main():
    failures = 0
    with tempfile.TemporaryDirectory(prefix="kvd-tls-") as d:
        c = make_certs(d)
        CERTS.update(c)
        with tls_server("--http-tls", "yes") as (s, tls_port):
            failures += kvdtest.run_tests([
                test_redis_cli_tls, test_quit_sends_close_notify, test_client_without_certificate_refused, test_python_redis_ssl,
                test_pubsub_over_tls, test_https_kv, test_kvd_cli_tls, test_https_sse, test_plaintext_on_tls_port,
                test_handshake_deadline, test_config_get_set,
            ], s, c, tls_port)
        failures += kvdtest.run_tests([test_tls13_only, test_missing_cert_stops_startup, test_port_zero_and_https_port],
                                      c)
    return failures


if __name__ == "__main__":
    kvdtest.main(main)
