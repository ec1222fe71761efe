"""Resource limits of a real kvd-server, each next to Debian's redis-server where Redis has it:

- too few descriptors for `maxclients` (ulimit -n 64): maxclients is lowered to fit, as Redis's
  adjustOpenFilesLimit does; CONFIG SET maxclients beyond it fails with Redis's text; a limit
  too low to start stops start-up;
- accept() failing with EMFILE (the limit lowered under the running server with prlimit):
  the listeners back off instead of spinning, existing clients are served, and the clients
  that waited in the listen backlog are served once descriptors are free again;
- `client-output-buffer-limit normal`: a client that pipelines large replies and never reads
  them is disconnected at the hard limit with the server's memory bounded, and one that stays
  over the soft limit longer than its seconds is disconnected although it sends nothing more;
- HTTP: a request arriving one byte at a time (slowloris) is closed by `http-request-timeout`,
  and `http-max-requests-per-connection` ends a keep-alive or pipelined connection.

Every loop is bounded; the servers are started and stopped by the test.
"""

import os
import resource
import select
import socket
import subprocess
import sys
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402
from curl_client import curl  # noqa: E402

# Starts a server with 64 descriptors and no way to raise the limit (root keeps
# CAP_SYS_RESOURCE otherwise).
LOW_FDS = ["prlimit", "--nofile=64:64", "setpriv", "--inh-caps=-sys_resource", "--bounding-set=-sys_resource", "--"]


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return [int(x) for x in os.listdir(f"/proc/{pid}/fd")]


def client_names(c):
    return {e.get("name") for e in c.client_list()}


def stalled_client(port, name):
    """A RESP connection named `name` with a tiny receive window, that never reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"CLIENT SETNAME {name}\r\n".encode())
    return sock


# --- descriptors -------------------------------------------------------------------------------

def test_low_ulimit_lowers_maxclients_as_redis():
    errors = {}
    with kvdtest.server(http=False, wrapper=LOW_FDS) as k, kvdtest.redis_server(wrapper=LOW_FDS) as r:
        for s in (k, r):
            c = s.client()
            eq(c.config_get("maxclients"), {"maxclients": "32"}, f"{s.name}: maxclients under ulimit -n 64")
            try:
                c.config_set("maxclients", 100)
                raise AssertionError(f"{s.name}: CONFIG SET maxclients 100 accepted with 64 descriptors")
            except redis.ResponseError as e:
                errors[s.name] = str(e)
            eq(c.config_get("maxclients"), {"maxclients": "32"}, f"{s.name}: maxclients after the refused SET")
            eq(c.config_set("maxclients", 20), True, f"{s.name}: CONFIG SET maxclients 20")
            c.connection_pool.disconnect()  # close() only returns the connection to the pool
        eq(errors["kvd"], errors["redis"], "CONFIG SET maxclients error text")
        assert "try with 32" in errors["kvd"], errors
        assert "maxclients has been reduced to 32" in k.log(), "the lowered maxclients is logged"
        # The 32 descriptors kept aside leave room for every admitted client: the 21st is
        # refused by maxclients, not by the descriptor limit.
        kvdtest.assert_full_at(k.port, 20)
    # Too few descriptors for even one client: start-up stops with Redis's advice.
    out = subprocess.run(["prlimit", "--nofile=20:20", "setpriv", "--inh-caps=-sys_resource",
                          "--bounding-set=-sys_resource", "--", kvdtest.kvd_server_path(), "--port",
                          str(kvdtest.free_port()), "--http-port", "0", "--bind", "127.0.0.1"],
                         capture_output=True, text=True, timeout=10)
    eq(out.returncode, 1, "exit status with ulimit -n 20")
    assert "Your current 'ulimit -n' of 20 is not enough for the server to start" in out.stdout + out.stderr, out


def test_accept_backs_off_on_emfile_and_recovers():
    with kvdtest.server() as s:
        pid = s.pid
        old = kvdtest.RawConn(s.port)
        waiting = []
        try:
            old.send(b"PING\r\n")
            eq(old.read_reply(), b"+PONG\r\n")
            soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
            # No descriptor number left below the limit, except holes left by closed ones.
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (max(open_fds(pid)) + 1, hard))
            # Connect until one is not served: the kernel completes the handshake, the
            # server's accept() fails with EMFILE, the client waits in the backlog.
            for _ in range(64):
                c = kvdtest.RawConn(s.port)
                c.send(b"PING\r\n")
                try:
                    eq(c.read_reply(timeout=0.5), b"+PONG\r\n")
                except AssertionError:
                    waiting.append(c)
                    break
                waiting.append(c)  # served (it took a hole); kept open so the hole stays used
            assert waiting and not waiting[-1].closed, "every connection was served: no EMFILE reached"
            pending = [waiting[-1]]
            for _ in range(3):
                c = kvdtest.RawConn(s.port)
                c.send(b"PING\r\n")
                pending.append(c)
                waiting.append(c)
            http = socket.create_connection(("127.0.0.1", s.http_port), timeout=5)
            http.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            # Backing off, not spinning: over 1.5 s a busy accept loop would use a core.
            cpu0 = cpu_seconds(pid)
            time.sleep(1.5)
            used = cpu_seconds(pid) - cpu0
            assert used < 0.5, f"the server used {used:.2f} s of CPU in 1.5 s while out of descriptors"
            old.send(b"PING\r\n")
            eq(old.read_reply(), b"+PONG\r\n", "a connected client is served while accept() fails")
            for c in pending:
                assert not c.buf, f"a client was answered while out of descriptors: {c.buf!r}"
            log = s.log()
            assert "Too many open files; retrying every 100 ms" in log, log[-2000:]
            assert log.count("Too many open files") <= 4, "one line per failing streak, not one per retry"
            # Descriptors again: the clients in the backlog are accepted and served.
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
            for c in pending:
                eq(c.read_reply(timeout=3), b"+PONG\r\n", "a client from the backlog after recovery")
            http.settimeout(3)
            body = b""
            while True:
                chunk = http.recv(65536)
                if not chunk:
                    break
                body += chunk
            http.close()
            assert body.startswith(b"HTTP/1.1 200"), body[:200]
            assert "Accepting client connections again after" in s.log()
            assert "http: accepting connections again after" in s.log()
        finally:
            old.close()
            for c in waiting:
                c.close()


# --- client-output-buffer-limit normal ---------------------------------------------------------

BIG = 10 * 1024 * 1024
# Peak RSS a 32 MB hard limit may cost: the buffer grows by doubling (64 MB at most) plus the
# value itself. Sanitizer builds (tools/test --sanitize sets KVD_SANITIZE) multiply it:
# ASan's quarantine keeps freed buffers, TSan adds shadow memory per byte. Without the limit
# the 50 replies would take 500 MB, times the same factor.
RSS_BOUND = 200 * 1024 * 1024 * (5 if os.environ.get("KVD_SANITIZE") else 1)


def test_output_buffer_limit_normal_matches_redis():
    with kvdtest.server(http=False) as k, kvdtest.redis_server() as r:
        for s in (k, r):
            c = s.client()
            c.set("big", "x" * BIG)
            # Hard limit: 50 pipelined GETs (500 MB of replies), never read. The client is
            # disconnected once 32 MB are pending; the replies past that are never built.
            c.config_set("client-output-buffer-limit", "normal 32mb 0 0")
            rss0 = proc_status(s.pid, "VmRSS")
            sock = stalled_client(s.port, "hard")
            sock.sendall(b"GET big\r\n" * 50)
            kvdtest.wait_until(lambda: "hard" not in client_names(c), f"{s.name}: the client past the hard limit to go",
                               timeout=5)
            grown = proc_status(s.pid, "VmHWM") - rss0
            assert grown < RSS_BOUND, f"{s.name}: peak RSS grew {grown >> 20} MB for a 32 MB limit"
            sock.close()
            # Soft limit: over 256 KB for more than 1 s, without another command.
            c.config_set("client-output-buffer-limit", "normal 0 256kb 1")
            sock = stalled_client(s.port, "soft")
            sock.sendall(b"GET big\r\n")
            time.sleep(0.5)
            assert "soft" in client_names(c), f"{s.name}: closed before the soft limit's second"
            kvdtest.wait_until(lambda: "soft" not in client_names(c),
                               f"{s.name}: the client over the soft limit for 4 s to go", timeout=4)
            sock.close()
            # A client that reads its replies stays, though each reply passes the soft limit (for
            # up to 10 s: reading 10 MB can take over a second when the tests share the cores).
            c.config_set("client-output-buffer-limit", "normal 0 256kb 10")
            reader = s.client()
            reader.client_setname("reader")
            for _ in range(5):
                eq(len(reader.get("big")), BIG, f"{s.name}: GET big")
            assert "reader" in client_names(c), f"{s.name}: a reading client was disconnected"
            reader.close()
            c.config_set("client-output-buffer-limit", "normal 0 0 0")
            eq(c.ping(), True, f"{s.name}: other clients unaffected")
        assert "closed for overcoming of output buffer limits" in k.log()


# --- HTTP ----------------------------------------------------------------------------------------

def slow_send(port, data, step_s):
    """Sends `data` one byte every `step_s` seconds; returns (seconds until the server closed
    the connection or None, bytes the server sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    start = time.monotonic()
    got = b""
    try:
        for b in data:
            try:
                sock.sendall(bytes([b]))
            except OSError:
                return time.monotonic() - start, got
            ready, _, _ = select.select([sock], [], [], step_s)
            if ready:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    return time.monotonic() - start, got
                if not chunk:
                    return time.monotonic() - start, got
                got += chunk
        return None, got
    finally:
        sock.close()


def test_http_slowloris_closed_by_deadline():
    with kvdtest.server("--http-request-timeout", "2") as s:
        # 60 header bytes at 4 a second would take 15 s: the deadline closes it after 2.
        head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 17 + b"\r\n\r\n"
        took, got = slow_send(s.http_port, head, 0.25)
        assert took is not None, f"a request trickling in for {len(head) * 0.25:.0f} s was served: {got[:100]!r}"
        assert 1.5 <= took <= 4.5, f"closed after {took:.1f} s, http-request-timeout is 2"
        eq(got, b"", "nothing is answered to an unfinished request")
        # A body trickling in after a prompt header meets the same deadline.
        with kvdtest.RawConn(s.http_port) as c:
            c.send(b"PUT /v1/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nab")
            t0 = time.monotonic()
            data, closed = c.read_until_close(timeout=6)
            assert closed and 1.5 <= time.monotonic() - t0 <= 4.5, (data, closed, time.monotonic() - t0)
        eq(s.client().exists("slow"), 0, "an unfinished PUT changes nothing")
        # An idle keep-alive connection is closed by the same deadline; a prompt one is served.
        with kvdtest.RawConn(s.http_port) as c:
            c.send(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            reply, _ = c.read_until(b"\r\n\r\n", timeout=3)
            assert reply.startswith(b"HTTP/1.1 200"), reply
            c.read_until(b"}", timeout=1)
            assert c.is_closed(timeout=4), "an idle keep-alive connection outlived http-request-timeout"
        # CONFIG SET applies to the next request.
        s.client().config_set("http-request-timeout", 30)
        took, got = slow_send(s.http_port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 0.1)
        eq(took, None, "a 3.5 s request under a 30 s deadline is served")
        assert got.startswith(b"HTTP/1.1 200"), got[:100]
        eq(curl(s.http_port, "GET", "/health").status, 200, "the server is unaffected")


def read_http_responses(conn, timeout):
    """All bytes until the server closes: (number of responses, the last one's header)."""
    data, closed = conn.read_until_close(timeout=timeout)
    assert closed, "the connection was not closed"
    heads = [h for h in data.split(b"HTTP/1.1 ")[1:]]
    return len(heads), heads[-1].split(b"\r\n\r\n")[0] if heads else b""


def test_http_max_requests_per_connection():
    req = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with kvdtest.server("--http-max-requests-per-connection", "3") as s:
        # Pipelined: three answered, the third says close, the rest are not answered.
        with kvdtest.RawConn(s.http_port) as c:
            c.send(req * 5)
            n, last = read_http_responses(c, 5)
            eq(n, 3, "responses to 5 pipelined requests with a cap of 3")
            assert b"connection: close" in last.lower(), last
        # One at a time on a keep-alive connection: the same.
        with kvdtest.RawConn(s.http_port) as c:
            for i in range(2):
                c.send(req)
                head, _ = c.read_until(b"\r\n\r\n", timeout=3)
                assert head.startswith(b"HTTP/1.1 200") and b"close" not in head.lower(), head
                c.read_until(b"}", timeout=1)
            c.send(req)
            n, last = read_http_responses(c, 5)
            eq(n, 1, "the third request's response")
            assert b"connection: close" in last.lower(), last
        # 0 lifts the cap.
        s.client().config_set("http-max-requests-per-connection", 0)
        with kvdtest.RawConn(s.http_port) as c:
            c.send(req * 19 + b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            n, _ = read_http_responses(c, 5)
            eq(n, 20, "responses without a cap")


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([
        test_low_ulimit_lowers_maxclients_as_redis,
        test_accept_backs_off_on_emfile_and_recovers,
        test_output_buffer_limit_normal_matches_redis,
        test_http_slowloris_closed_by_deadline,
        test_http_max_requests_per_connection,
    ]))
