"""Shared helpers for kvd's end-to-end tests (test/e2e/test_*.py).

Each test file imports this module (it sits next to them), starts the real kvd-server
(path in $KVD_SERVER, else <repo>/build/kvd-server) on free 127.0.0.1 ports with
`server()`, talks to it over sockets, redis-cli or redis-py, and stops it. Differential
tests also start Debian's /usr/bin/redis-server with `redis_server()` and compare replies.

Rules kept here so the tests need not repeat them:
- every wait is bounded by a deadline; nothing loops forever;
- every process started is stopped in a `finally`, also when the test raises, and gets
  PR_SET_PDEATHSIG=SIGKILL so it dies with the test process if that is killed;
- `server()` asserts that kvd exits with status 0 within 5 s of SIGTERM.
"""

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("KVD_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
REDIS_BENCHMARK = "/usr/bin/redis-benchmark"

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


def kvd_server_path():
    """The kvd-server binary under test: $KVD_SERVER, else <repo>/build/kvd-server."""
    path = os.environ.get("KVD_SERVER") or os.path.join(SOURCE_DIR, "build", "kvd-server")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"kvd-server not found or not executable: {path} (set KVD_SERVER)")
    return path


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _free_ports(n):
    ports = []
    while len(ports) < n:
        p = free_port()
        if p not in ports:
            ports.append(p)
    return ports


# --- processes -----------------------------------------------------------------------------

_libc = None


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL when the test process dies (PR_SET_PDEATHSIG)."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL("libc.so.6", use_errno=True)
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        pass


def _sigterm_to_exit(signum, frame):
    # ctest sends SIGTERM on timeout: unwind so every finally stops its servers.
    raise SystemExit(f"killed by signal {signum}")


signal.signal(signal.SIGTERM, _sigterm_to_exit)


def _tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return f"(no log: {e})"
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def ping_once(port, timeout=0.5):
    """True if a RESP PING on 127.0.0.1:port answers +PONG (or -NOAUTH: the server is up and
    wants a password, `requirepass` / an ACL file) within `timeout` seconds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            buf = b""
            deadline = time.monotonic() + timeout
            while len(buf) < 7 and time.monotonic() < deadline:
                chunk = s.recv(64)
                if not chunk:
                    break
                buf += chunk
            return buf.startswith(b"+PONG\r\n") or buf.startswith(b"-NOAUTH")
    except OSError:
        return False


class Process:
    """A started server: .port .http_port .proc .log_path .dir; .log() returns its output."""

    def __init__(self, name, proc, port, http_port, log_path, dir_):
        self.name = name
        self.proc = proc
        self.port = port
        self.http_port = http_port
        self.log_path = log_path
        self.dir = dir_

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def client(self, **kw):
        """A redis-py client on this server (decode_responses=True unless overridden)."""
        import redis
        kw.setdefault("decode_responses", True)
        kw.setdefault("socket_timeout", 30)
        kw.setdefault("socket_connect_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def raw(self, timeout=5.0):
        """A RawConn (plain socket) to this server."""
        return RawConn(self.port, timeout)

    def rss_bytes(self):
        """Resident set size from /proc/<pid>/status VmRSS, in bytes."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")


def _spawn(argv, log_path):
    log = open(log_path, "wb")
    try:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    finally:
        log.close()


def _kill(proc):
    if proc.poll() is None:
        proc.kill()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass


def socket_fds(pid):
    """The socket descriptors open in process `pid`: sorted (fd, "socket:[inode]") pairs."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            out.append((int(fd), target))
    return sorted(out)


def _listens(pid, port):
    """True if process `pid` holds the socket listening on 127.0.0.1:`port` (/proc/net/tcp
    inodes against the process's descriptors). True as well when /proc cannot tell."""
    try:
        inodes = {target[8:-1] for _, target in socket_fds(pid)}
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                    return fields[9] in inodes
    except (OSError, StopIteration, IndexError, ValueError):
        return True
    return True


def _wait_ready(name, proc, port, log_path, timeout):
    """Waits until PING answers; returns None on success or the reason it did not start.
    A PING answered by another process (the free port was taken by a server started at the
    same moment, ours then fails to bind) does not count: ours exits and the caller retries."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"{name} exited with status {proc.returncode} before answering PING"
        if ping_once(port) and _listens(proc.pid, port):
            return None
        time.sleep(0.05)
    return f"{name} did not answer PING on 127.0.0.1:{port} within {timeout:.0f} s"


def _stop(name, proc, log_path, expect_zero):
    """SIGTERM, wait <= 5 s; kill -9 and raise if it hangs or (expect_zero) exits non-zero."""
    if proc.poll() is not None:
        rc = proc.returncode
        if expect_zero:
            raise AssertionError(f"{name} had already exited with status {rc} before SIGTERM\n"
                                 f"--- log tail ---\n{_tail(log_path)}")
        return
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise AssertionError(f"{name} did not exit within {STOP_TIMEOUT_S:.0f} s of SIGTERM "
                             f"(killed with SIGKILL)\n--- log tail ---\n{_tail(log_path)}")
    if expect_zero and rc != 0:
        raise AssertionError(f"{name} exited with status {rc} after SIGTERM, expected 0\n"
                             f"--- log tail ---\n{_tail(log_path)}")


@contextlib.contextmanager
def _managed(name, make_argv, expect_zero_exit, http):
    """Starts a server (retrying on a lost port race), yields a Process, always stops it."""
    tmp = tempfile.mkdtemp(prefix=f"{name}-e2e-")
    proc = None
    failed = False
    try:
        reason = None
        for attempt in range(3):
            port, http_port = _free_ports(2)
            if not http:
                http_port = 0
            log_path = os.path.join(tmp, f"{name}.{attempt}.log")
            proc = _spawn(make_argv(port, http_port, tmp), log_path)
            reason = _wait_ready(name, proc, port, log_path, START_TIMEOUT_S)
            if reason is None:
                break
            _kill(proc)
            log = _tail(log_path)
            # Only a bind race is worth another try; anything else is the server's fault.
            if "in use" not in log.lower():
                break
        if reason is not None:
            raise AssertionError(f"{reason}\nargv: {make_argv(port, http_port, tmp)}\n"
                                 f"--- log tail ---\n{_tail(log_path)}")
        p = Process(name, proc, port, http_port, log_path, tmp)
        try:
            yield p
        except BaseException:
            failed = True
            sys.stderr.write(f"--- {name} log tail (test failed) ---\n{_tail(log_path)}\n")
            raise
        finally:
            if failed:
                try:
                    _stop(name, proc, log_path, expect_zero_exit)
                except AssertionError as e:
                    sys.stderr.write(f"also: {e}\n")
            else:
                _stop(name, proc, log_path, expect_zero_exit)
    finally:
        if proc is not None:
            _kill(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def server(*extra_args, http=True, wrapper=()):
    """Context manager: kvd-server on free 127.0.0.1 ports (HTTP off when http=False).

    Runs `$KVD_SERVER --port P --http-port H --bind 127.0.0.1 --http-bind 127.0.0.1
    --dir <tmpdir> *extra_args`, waits up to 10 s for PING, yields a Process; on exit sends
    SIGTERM and asserts status 0 within 5 s (else SIGKILL and AssertionError); removes tmpdir.
    `wrapper`: commands that exec the server (e.g. prlimit), put before it on the command line.
    """
    binary = kvd_server_path()

    def argv(port, http_port, tmp):
        return [*wrapper, binary, "--port", str(port), "--http-port", str(http_port),
                "--bind", "127.0.0.1", "--http-bind", "127.0.0.1", "--dir", tmp,
                *[str(a) for a in extra_args]]
    return _managed("kvd", argv, True, http)


def redis_server(*extra_args, wrapper=(), config_file=None):
    """Context manager: Debian's redis-server on a free 127.0.0.1 port, no persistence.
    `wrapper` as for server(); `config_file`: its config file (the one CONFIG REWRITE writes),
    overridden by the command-line options."""
    if not os.access(REDIS_SERVER, os.X_OK):
        raise AssertionError(f"{REDIS_SERVER} missing (apt-get install redis-server)")

    def argv(port, http_port, tmp):
        return [*wrapper, REDIS_SERVER, *([config_file] if config_file else []), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", tmp, "--daemonize", "no",
                *[str(a) for a in extra_args]]
    return _managed("redis", argv, False, False)


# --- redis-cli -----------------------------------------------------------------------------

def redis_cli(port, *args, input=None, timeout=30, check=True):
    """Runs `redis-cli -p port *args` (stdin from `input`, str or bytes); returns stdout (str).

    Raises AssertionError if it times out or (check) exits non-zero or writes to stderr.
    """
    r = redis_cli_run(port, *args, input=input, timeout=timeout)
    if check and (r.returncode != 0 or r.stderr):
        raise AssertionError(f"redis-cli {' '.join(map(str, args))} -> status {r.returncode}, "
                             f"stderr {r.stderr[:500]!r}{'...' if len(r.stderr) > 500 else ''}, "
                             f"stdout {r.stdout[:500]!r}")
    return r.stdout


def redis_cli_run(port, *args, input=None, timeout=30):
    """Like redis_cli but returns the CompletedProcess (text mode) without checking."""
    if isinstance(input, bytes):
        input = input.decode("utf-8", "surrogateescape")
    try:
        return subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(port), *map(str, args)],
                              input=input, capture_output=True, text=True, timeout=timeout,
                              errors="surrogateescape",
                              stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"redis-cli {' '.join(map(str, args))} did not finish in {timeout} s;"
                             f" stdout so far {e.stdout!r}")


def run_pty(argv, seconds, cwd=None):
    """Runs argv with stdout/stderr on a pseudo-terminal for `seconds`, then SIGTERM (SIGKILL
    after 5 s); returns everything it printed (bytes). For redis-cli modes that only print
    line by line (or in colour) on a terminal: --stat, --latency, --latency-history.
    """
    import select
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                                cwd=cwd, preexec_fn=_die_with_parent)
    finally:
        os.close(slave)
    out = b""
    try:
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _kill(proc)
        os.close(master)
    return out


# --- raw sockets ---------------------------------------------------------------------------

class RawConn:
    """A plain TCP connection for byte-exact protocol tests. All reads have deadlines."""

    def __init__(self, port, timeout=5.0):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads more bytes; False on EOF/reset or when the deadline passed."""
        if self.closed:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.closed = True
            return False
        if not chunk:
            self.closed = True
            return False
        self.buf += chunk
        return True

    def read_reply(self, timeout=None):
        """One complete RESP2 reply as raw bytes; AssertionError on timeout or close."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            end = resp_reply_end(self.buf, 0)
            if end is not None:
                out, self.buf = self.buf[:end], self.buf[end:]
                return out
            if not self._fill(deadline):
                raise AssertionError(
                    f"no complete reply ({'connection closed' if self.closed else 'timeout'});"
                    f" have {self.buf[:200]!r}")

    def read_replies(self, n, timeout=None):
        """n complete replies concatenated (raw bytes)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        out = []
        for _ in range(n):
            out.append(self.read_reply(max(0.01, deadline - time.monotonic())))
        return out

    def read_until_close(self, timeout=None):
        """All bytes until the peer closes; returns (bytes, closed) - closed False on timeout."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while self._fill(deadline):
            pass
        out, self.buf = self.buf, b""
        return out, self.closed

    def read_until(self, suffix, timeout=None):
        """Bytes until the buffer ends with `suffix` (kept), EOF or timeout: (bytes, closed)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.buf.endswith(suffix):
            if not self._fill(deadline):
                break
        out, self.buf = self.buf, b""
        return out, self.closed

    def is_closed(self, timeout=2.0):
        """True if the peer closes within `timeout` s (bytes arriving first are kept)."""
        deadline = time.monotonic() + timeout
        while not self.closed and self._fill(deadline):
            pass
        return self.closed


SENTINEL_CMD = b"*2\r\n$4\r\nECHO\r\n$11\r\n__kvd_end__\r\n"
SENTINEL_REPLY = b"$11\r\n__kvd_end__\r\n"


def hold_resp_clients(port, n, tries=50):
    """Opens n RESP connections that each answered PING, for maxclients tests. The start-up
    readiness PING's connection may still hold a slot for a moment after it closed: when a
    connection is refused with the maxclients error, all are closed and tried again (bounded:
    `tries` rounds 0.1 s apart). Returns the RawConns; the caller closes them."""
    refused = b"-ERR max number of clients reached\r\n"
    for _ in range(tries):
        held = [RawConn(port) for _ in range(n)]
        replies = []
        for c in held:
            c.send(b"PING\r\n")
            replies.append(c.read_reply())
        if all(r == b"+PONG\r\n" for r in replies):
            return held
        for c in held:
            c.close()
        if not all(r in (b"+PONG\r\n", refused) for r in replies):
            raise AssertionError(f"unexpected replies to PING: {replies!r}")
        time.sleep(0.1)
    raise AssertionError(f"{n} RESP clients were never admitted together")


def assert_full_at(port, n):
    """Holds n RESP clients (hold_resp_clients) and asserts that one more is refused with
    Redis's maxclients error; closes them all."""
    held = hold_resp_clients(port, n)
    try:
        with RawConn(port) as extra:
            eq(extra.read_until_close(), (b"-ERR max number of clients reached\r\n", True),
               f"client {n + 1} with maxclients {n}")
    finally:
        for c in held:
            c.close()


def exchange(port, data, expect_close=False, timeout=3.0, chunks=None):
    """Sends `data` on a fresh connection and returns (reply bytes, closed).

    expect_close=False: appends `ECHO __kvd_end__` and reads until its reply (stripped from the
    result), so the result is exactly the replies to `data`. expect_close=True: reads until the
    server closes. Either way gives up after `timeout` s (closed is then False). `chunks`, if
    given, is a list of byte strings sent one by one with a 1 ms pause (split frames).
    """
    with RawConn(port, timeout) as c:
        try:
            if chunks is not None:
                for piece in chunks:
                    c.send(piece)
                    time.sleep(0.001)
            else:
                c.send(data)
            if not expect_close:
                c.send(SENTINEL_CMD)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed early; what it sent before is still readable
        if expect_close:
            return c.read_until_close(timeout)
        out, closed = c.read_until(SENTINEL_REPLY, timeout)
        if out.endswith(SENTINEL_REPLY):
            out = out[:-len(SENTINEL_REPLY)]
        else:
            out += b"<no reply to the ECHO sentinel: " + (b"closed>" if closed else b"timeout>")
        return out, closed


def resp_reply_end(buf, pos):
    """Index just past the RESP2/RESP3 reply starting at buf[pos], or None if incomplete."""
    if pos >= len(buf):
        return None
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    t = buf[pos:pos + 1]
    line = buf[pos + 1:nl]
    if t in (b"+", b"-", b":", b",", b"#", b"_", b"("):
        return nl + 2
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return nl + 2
        end = nl + 2 + n + 2
        return end if len(buf) >= end else None
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if t in (b"%", b"|"):
            n *= 2
        p = nl + 2
        for _ in range(max(n, 0)):
            p = resp_reply_end(buf, p)
            if p is None:
                return None
        return p
    raise AssertionError(f"not a RESP reply at offset {pos}: {buf[pos:pos + 60]!r}")


def resp_command(*args):
    """Encodes one command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# --- running the test functions of a file --------------------------------------------------

def run_tests(tests, *args):
    """Calls each test(*args) in order, reports PASS/FAIL per test; returns the failure count.

    A failing test does not stop the others, so one run lists every broken behaviour.
    """
    failed = []
    for t in tests:
        name = t.__name__
        t0 = time.monotonic()
        try:
            t(*args)
        except Exception:
            failed.append(name)
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
        else:
            print(f"PASS {name} ({time.monotonic() - t0:.2f} s)", flush=True)
    print(f"{len(tests) - len(failed)} passed, {len(failed)} failed"
          + (f": {', '.join(failed)}" if failed else ""), flush=True)
    return len(failed)


def main(body):
    """Runs body() (which returns a failure count or raises) and exits 0 only if all passed."""
    try:
        failures = body()
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    sys.exit(1 if failures else 0)


def eq(got, want, what=""):
    """assert got == want with both shown (repr) in the message."""
    if got != want:
        raise AssertionError(f"{what}: expected {want!r}, got {got!r}" if what
                             else f"expected {want!r}, got {got!r}")


def wait_until(pred, what, timeout=10.0, interval=0.05):
    """Calls pred() every `interval` seconds until it returns a true value, and returns that
    value; raises AssertionError naming `what` once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
