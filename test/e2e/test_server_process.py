"""Process-level behaviour of a real kvd-server: configuration sources and errors, the
start-up log line, SIGINT/SIGTERM shutdown within a second, SHUTDOWN, idle `timeout`,
`maxclients`, `client-query-buffer-limit`, and active expiry (keys vanish without being read).
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

KVD = kvdtest.kvd_server_path()
CONF = os.path.join(os.environ.get("KVD_SOURCE_DIR", "."), "conf", "kvd.conf")


def run_once(*args, env=None, timeout=10):
    return subprocess.run([KVD, *args], capture_output=True, text=True, timeout=timeout,
                          env=env or os.environ.copy())


def test_unknown_and_malformed_options_exit_1():
    r = run_once("--config", CONF, "--no-such-option", "1")
    eq(r.returncode, 1, "exit code for unknown option")
    assert "no-such-option" in r.stderr, r.stderr
    r = run_once("--port", "notanumber")
    eq(r.returncode, 1, "exit code for malformed value")
    assert "'port'" in r.stderr, r.stderr
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("databases = 16\nbogus-option = 3\n")
    try:
        r = run_once("--config", f.name)
        eq(r.returncode, 1, "exit code for unknown option in the file")
        assert "bogus-option" in r.stderr, r.stderr
    finally:
        os.unlink(f.name)


def start(args, env=None):
    port = kvdtest.free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    proc = subprocess.Popen([KVD, *args, "--port", str(port), "--http-port", "0"], stdout=log,
                            stderr=subprocess.STDOUT, env=env or os.environ.copy())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if kvdtest.ping_once(port):
            return proc, port, log.name
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("kvd-server did not start: " + open(log.name).read())


def stop_with(proc, sig, log):
    t0 = time.monotonic()
    proc.send_signal(sig)
    try:
        code = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    took = time.monotonic() - t0
    os.unlink(log)
    return code, took


def test_config_file_then_flags_then_environment():
    env = os.environ.copy()
    env["KVD_DATABASES"] = "4"
    env["KVD_MAXCLIENTS"] = "77"
    proc, port, log = start(["--config", CONF, "--maxclients", "50", "--hz", "20"], env=env)
    try:
        r = kvdtest.redis_cli(port, "CONFIG", "GET", "maxclients")
        eq(r.split(), ["maxclients", "77"], "environment overrides the command line")
        eq(kvdtest.redis_cli(port, "CONFIG", "GET", "hz").split(), ["hz", "20"], "flag overrides the file")
        eq(kvdtest.redis_cli(port, "SELECT", "4").strip(), "ERR DB index is out of range", "databases from env")
        text = open(log).read()
        assert "starting" in text and "pid=" in text and str(port) in text and "kvd.conf" in text, text
    finally:
        code, took = stop_with(proc, signal.SIGINT, log)
    eq(code, 0, "exit code after SIGINT")
    assert took < 1.0, f"SIGINT shutdown took {took:.2f} s"


def test_redis_conf_style_lines():
    """redis.conf lines ("name value", no '='), values holding '#', and quoted values load as
    Redis loads them; the same file started with redis-server gives the same CONFIG GET."""
    lines = ['# a comment line', 'maxmemory 100mb', 'requirepass "a#b c"', 'hz = 20',
             'save 3600 1 300 100', 'notify-keyspace-events "Ex"']
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        proc, port, log = start(["--config", f.name])
        try:
            got = {}
            for name in ("maxmemory", "requirepass", "hz", "save", "notify-keyspace-events"):
                r = kvdtest.redis_cli(port, "--no-auth-warning", "-a", "a#b c", "CONFIG", "GET", name)
                got[name] = r.splitlines()[1]
        finally:
            stop_with(proc, signal.SIGTERM, log)
        eq(got, {"maxmemory": "104857600", "requirepass": "a#b c", "hz": "20", "save": "3600 1 300 100",
                 "notify-keyspace-events": "xE"}, "values from a redis.conf-style file")
        with open(f.name, "w") as w:  # redis-server takes the same lines (but "hz = 20")
            w.write("\n".join(line for line in lines if "=" not in line) + "\nhz 20\n")
        with kvdtest.redis_server("--include", f.name) as r:
            want = {}
            for name in got:
                out = kvdtest.redis_cli(r.port, "--no-auth-warning", "-a", "a#b c", "CONFIG", "GET", name)
                want[name] = out.splitlines()[1]
        eq(got, want, "kvd and redis-server read the same file alike")
    finally:
        os.unlink(f.name)


def test_sigterm_with_busy_clients_exits_fast():
    proc, port, log = start([])
    conns = []
    try:
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"SET k v\r\n")
            conns.append(s)
        for s in conns:
            s.recv(100)
    finally:
        code, took = stop_with(proc, signal.SIGTERM, log)
        for s in conns:
            s.close()
    eq(code, 0, "exit code after SIGTERM")
    assert took < 1.0, f"SIGTERM shutdown took {took:.2f} s"


def test_shutdown_command():
    proc, port, log = start([])
    r = kvdtest.redis_cli_run(port, "SHUTDOWN", "NOSAVE")
    code = proc.wait(timeout=5)
    os.unlink(log)
    eq(code, 0, "exit code after SHUTDOWN")
    assert "ERR" not in r.stdout, r.stdout


def test_idle_timeout_closes_clients():
    with kvdtest.server("--timeout", "1", http=False) as s:
        with kvdtest.RawConn(s.port) as idle, kvdtest.RawConn(s.port) as busy:
            idle.send(b"PING\r\n")
            eq(idle.read_reply(), b"+PONG\r\n")
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline and not idle.is_closed(timeout=0.3):
                busy.send(b"PING\r\n")
                eq(busy.read_reply(), b"+PONG\r\n", "an active client is kept")
            assert idle.is_closed(timeout=0.1), "idle client still open after 4 s with timeout 1"
        # As Redis: a subscriber, a MONITOR client and a client blocked in BLPOP 0 stay.
        with kvdtest.RawConn(s.port) as sub, kvdtest.RawConn(s.port) as mon, kvdtest.RawConn(s.port) as blk:
            sub.send(b"SUBSCRIBE idle-chan\r\n")
            assert sub.read_reply().startswith(b"*3\r\n$9\r\nsubscribe"), "SUBSCRIBE"
            mon.send(b"MONITOR\r\n")
            eq(mon.read_reply(), b"+OK\r\n", "MONITOR")
            blk.send(b"BLPOP idle-list 0\r\n")
            time.sleep(3)
            for conn, what in ((sub, "subscriber"), (mon, "monitor"), (blk, "blocked client")):
                assert not conn.is_closed(timeout=0.1), what + " closed by the idle timeout"
            c = s.client()
            c.rpush("idle-list", "v")
            eq(blk.read_reply(), b"*2\r\n$9\r\nidle-list\r\n$1\r\nv\r\n", "the blocked client is served")


def test_maxclients_refuses_extra_client():
    with kvdtest.server("--maxclients", "3", http=False) as s:
        kvdtest.assert_full_at(s.port, 3)
        # Slots are freed when clients leave.
        def served():
            with kvdtest.RawConn(s.port) as c:
                c.send(b"PING\r\n")
                return c.read_reply() == b"+PONG\r\n"
        kvdtest.wait_until(served, "a new client to be served after the others left", timeout=3, interval=0.1)


def test_query_buffer_limit_closes_only_that_client():
    with kvdtest.server("--client-query-buffer-limit", "1mb", http=False) as s:
        with kvdtest.RawConn(s.port) as big, kvdtest.RawConn(s.port) as other:
            # An inline-free, never-ending bulk header keeps growing the query buffer.
            big.send(b"*2\r\n$3\r\nSET\r\n$100000000\r\n")
            try:
                for _ in range(40):
                    big.send(b"x" * 65536)
            except OSError:
                pass
            assert big.is_closed(timeout=3), "client past client-query-buffer-limit still open"
            other.send(b"PING\r\n")
            eq(other.read_reply(), b"+PONG\r\n", "other clients unaffected")


def from_127_0_0_2(port):
    """Connects from source address 127.0.0.2 (loopback, but not 127.0.0.1), sends PING and
    returns (bytes received until close or 2 s, closed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(b"PING\r\n")
    except OSError:
        pass
    data, closed = b"", False
    deadline = time.monotonic() + 2
    try:
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
            if data == b"+PONG\r\n":
                break
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        s.close()
    return data, closed


def test_protected_mode_matches_redis():
    with kvdtest.server(http=False) as k, kvdtest.redis_server("--protected-mode", "yes") as r:
        mine, mine_closed = from_127_0_0_2(k.port)
        theirs, _ = from_127_0_0_2(r.port)
        assert theirs.startswith(b"-DENIED"), theirs
        eq(mine, theirs, "protected-mode refusal bytes")
        assert mine_closed, "refused client must be disconnected"
        with kvdtest.RawConn(k.port) as local:
            local.send(b"PING\r\n")
            eq(local.read_reply(), b"+PONG\r\n", "127.0.0.1 is served")
    with kvdtest.server("--protected-mode", "no", http=False) as k:
        eq(from_127_0_0_2(k.port)[0], b"+PONG\r\n", "protected-mode no serves other addresses")


def test_announced_bulk_length_commits_no_memory():
    """A bulk header alone (`$536870000`) must not make kvd commit the announced size."""
    with kvdtest.server(http=False) as s:
        before = s.rss_bytes()
        conns = [kvdtest.RawConn(s.port) for _ in range(8)]
        try:
            for c in conns:
                c.send(b"*2\r\n$3\r\nGET\r\n$536870000\r\n")
            time.sleep(0.5)
            grown = s.rss_bytes() - before
            assert grown < 64 * 1024 * 1024, f"RSS grew by {grown} bytes for 8 idle announced bulks"
            with kvdtest.RawConn(s.port) as other:
                other.send(b"PING\r\n")
                eq(other.read_reply(), b"+PONG\r\n")
        finally:
            for c in conns:
                c.close()


def test_pipelined_commands_after_client_kill_self_do_not_run():
    with kvdtest.server(http=False) as k, kvdtest.redis_server() as r:
        outs = []
        for port in (k.port, r.port):
            with kvdtest.RawConn(port) as c:
                c.send(b"CLIENT ID\r\n")
                cid = int(c.read_reply()[1:-2])
                c.send(b"CLIENT KILL ID %d SKIPME no\r\nSET zz 1\r\nPING\r\n" % cid)
                outs.append(c.read_until_close())
            eq(kvdtest.redis_cli(port, "EXISTS", "zz").strip(), "0", "command after CLIENT KILL self ran")
        eq(outs[0], outs[1], "replies around CLIENT KILL of oneself (kvd vs redis)")


def test_proto_max_bulk_len_applies_to_open_connections():
    with kvdtest.server(http=False) as s:
        with kvdtest.RawConn(s.port) as c:
            c.send(b"CONFIG SET proto-max-bulk-len 1mb\r\n")
            eq(c.read_reply(), b"+OK\r\n")
            c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n")
            eq(c.read_until_close(), (b"-ERR Protocol error: invalid bulk length\r\n", True))


def test_randomkey_finds_live_key_among_expired():
    with kvdtest.server("--enable-debug-command", "local", http=False) as s:
        r = s.client()
        eq(r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0"), "OK")
        pipe = r.pipeline(transaction=False)
        for i in range(5000):
            pipe.set(f"e{i}", "v", px=1)
        pipe.set("live", "v")
        pipe.execute()
        time.sleep(0.05)
        eq(r.randomkey(), "live", "RANDOMKEY with 5000 expired keys and one live key")


def test_active_expiry_without_reads():
    with kvdtest.server(http=False) as s:
        r = s.client()
        pipe = r.pipeline(transaction=False)
        for i in range(500):
            pipe.set(f"vol:{i}", "x", px=2000)  # long enough to count them first on a loaded machine
        for i in range(50):
            pipe.set(f"keep:{i}", "y")
        pipe.execute()
        info = r.info("keyspace")
        eq(info["db0"]["expires"], 500, "expires before")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and r.dbsize() > 50:
            time.sleep(0.1)
        eq(r.dbsize(), 50, "volatile keys reclaimed by the active cycle, without being read")
        assert r.info("stats")["expired_keys"] >= 500
        eq(r.info("keyspace")["db0"]["expires"], 0)


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([
        test_unknown_and_malformed_options_exit_1,
        test_config_file_then_flags_then_environment,
        test_redis_conf_style_lines,
        test_sigterm_with_busy_clients_exits_fast,
        test_shutdown_command,
        test_idle_timeout_closes_clients,
        test_maxclients_refuses_extra_client,
        test_query_buffer_limit_closes_only_that_client,
        test_protected_mode_matches_redis,
        test_announced_bulk_length_commits_no_memory,
        test_pipelined_commands_after_client_kill_self_do_not_run,
        test_proto_max_bulk_len_applies_to_open_connections,
        test_randomkey_finds_live_key_among_expired,
        test_active_expiry_without_reads,
    ]))
