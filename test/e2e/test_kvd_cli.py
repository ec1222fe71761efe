"""kvd-cli against kvd: one-shot mode (exact output, exit codes), commands from stdin, -n,
-3 (RESP3 maps pretty-printed), --tls against a plain port (test_tls.py covers TLS), --http mode (the JSON API), and the interactive
mode driven through tmux (send-keys / capture-pane): a command and its reply, arrow-up
history recall, argument hints, the `list` and `stats` aliases, `quit`.

kvd-cli is next to kvd-server ($KVD_SERVER). Every wait is bounded; the tmux server runs on
its own socket (-L, unique name) and is killed in a finally.
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

TMUX = "/usr/bin/tmux"


def kvd_cli_path():
    path = os.path.join(os.path.dirname(kvdtest.kvd_server_path()), "kvd-cli")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"kvd-cli not found next to kvd-server: {path}")
    return path


def cli_run(*args, input=None, timeout=20, env=None):
    """Runs kvd-cli *args (stdout a pipe, so raw output unless --no-raw); CompletedProcess."""
    try:
        return subprocess.run([kvd_cli_path(), *map(str, args)], input=input, capture_output=True,
                              text=True, timeout=timeout, env=env,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"kvd-cli {args} did not finish in {timeout} s; stdout {e.stdout!r}")


def cli(s, *args, input=None):
    """kvd-cli -p <port> *args; asserts exit status 0 and returns stdout."""
    r = cli_run("-p", s.port, *args, input=input)
    if r.returncode != 0:
        raise AssertionError(f"kvd-cli {args} -> status {r.returncode}, stdout {r.stdout!r}, "
                             f"stderr {r.stderr!r}")
    return r.stdout


def test_one_shot(s):
    cli(s, "FLUSHALL")
    cases = [
        (("SET", "k", "v"), "OK\n"),
        (("GET", "k"), "v\n"),
        (("GET", "missing"), "\n"),
        (("INCR", "n"), "1\n"),
        (("MSET", "l1", "a", "l2", "b c"), "OK\n"),
        (("MGET", "l1", "l2"), "a\nb c\n"),
        (("MGET", "k", "missing"), "v\n\n"),
        (("--no-raw", "GET", "k"), '"v"\n'),
        (("--no-raw", "SET", "nl", "a\nb"), "OK\n"),
        (("--no-raw", "GET", "nl"), '"a\\nb"\n'),
        (("--no-raw", "INCR", "n"), "(integer) 2\n"),
        (("--no-raw", "GET", "missing"), "(nil)\n"),
        (("--no-raw", "MGET", "k", "missing"), '1) "v"\n2) (nil)\n'),
        (("--no-raw", "MGET", "l1", "l2"), '1) "a"\n2) "b c"\n'),
        (("--no-raw", "SET", "bin", "\x01\t\"q\""), "OK\n"),
        (("--no-raw", "GET", "bin"), '"\\x01\\t\\"q\\""\n'),
        (("--no-raw", "KEYS", "nomatch*"), "(empty array)\n"),
        (("--no-raw", "SCAN", "0", "MATCH", "k", "COUNT", "1000"), '1) "0"\n2) 1) "k"\n'),
    ]
    for args, want in cases:
        eq(cli(s, *args), want, f"kvd-cli {' '.join(args)}")
    # An error reply: printed on stdout, exit status 1.
    r = cli_run("-p", s.port, "NOSUCHCOMMAND", "x")
    eq(r.returncode, 1, "exit status of an error reply")
    assert r.stdout.startswith("ERR unknown command"), r.stdout
    r = cli_run("-p", s.port, "--no-raw", "INCR", "k")
    eq(r.returncode, 1, "exit status of INCR on a non-integer")
    eq(r.stdout, "(error) ERR value is not an integer or out of range\n", "--no-raw error")
    # No server: message on stderr, status 1.
    r = cli_run("-p", kvdtest.free_port(), "PING")
    eq(r.returncode, 1, "exit status when nothing listens")
    assert "Could not connect" in r.stderr, r.stderr
    # --tls against the plain port: the handshake gets no answer; a bounded, clear failure.
    r = cli_run("-p", s.port, "--tls", "--insecure", "PING")
    eq(r.returncode, 1, "--tls exit status against a plain port")
    assert "Could not negotiate a TLS connection" in r.stderr, r.stderr
    eq(r.stdout, "", "--tls prints nothing on stdout")


def test_stdin(s):
    cli(s, "FLUSHALL")
    r = cli_run("-p", s.port, input='SET a 1\nINCR a\n\nGET a\nSET b "two words"\nGET b\n')
    eq((r.returncode, r.stdout), (0, "OK\n2\n2\nOK\ntwo words\n"), "commands from stdin")
    r = cli_run("-p", s.port, "--no-raw", input="GET a\nINCR b\nGET missing\n")
    eq(r.returncode, 1, "stdin mode with an error reply")
    eq(r.stdout, '"2"\n(error) ERR value is not an integer or out of range\n(nil)\n',
       "stdin mode, formatted")


def test_db(s):
    cli(s, "FLUSHALL")
    eq(cli(s, "-n", "3", "SET", "dbk", "in db 3"), "OK\n", "-n 3 SET")
    eq(cli(s, "GET", "dbk"), "\n", "GET in db 0")
    eq(cli(s, "-n", "3", "GET", "dbk"), "in db 3\n", "-n 3 GET")
    eq(cli(s, "-n", "3", input="DBSIZE\n"), "1\n", "-n 3 with stdin")
    r = cli_run("-p", s.port, "-n", "99", "PING")
    eq(r.returncode, 1, "-n out of range")
    assert "ERR" in r.stdout, r.stdout
    cli(s, "-n", "3", "FLUSHDB")


def test_resp3(s):
    cli(s, "FLUSHALL")
    cli(s, "SET", "h", "v")
    eq(cli(s, "-3", "CONFIG", "GET", "port"), f"port {s.port}\n", "-3 --raw CONFIG GET")
    eq(cli(s, "-3", "--no-raw", "CONFIG", "GET", "port"), f'1# "port" => "{s.port}"\n',
       "-3 CONFIG GET port")
    eq(cli(s, "--no-raw", "CONFIG", "GET", "port"), f'1) "port"\n2) "{s.port}"\n',
       "RESP2 CONFIG GET port")
    hello = cli(s, "-3", "--no-raw", "HELLO", "3")
    assert hello.startswith('1# "server" => '), hello
    assert '# "proto" => (integer) 3\n' in hello, hello
    # Nested aggregates inside a map are indented under their key.
    assert '# "modules" => (empty array)\n' in hello, hello
    eq(cli(s, "-3", "--no-raw", "EXISTS", "h"), "(integer) 1\n", "-3 integer")
    eq(cli(s, "-3", "--no-raw", "CONFIG", "GET", "nosuchoption"), "(empty hash)\n", "-3 empty map")
    eq(cli(s, "-3", "--no-raw", "GET", "missing"), "(nil)\n", "-3 null")


def test_http(s):
    cli(s, "FLUSHALL")
    url = f"http://127.0.0.1:{s.http_port}"

    def http(*args, input=None):
        return cli_run("--http", url, *args, input=input)

    r = http("SET", "hk", "hello http")
    eq((r.returncode, r.stdout), (0, "OK\n"), "--http SET")
    eq(cli(s, "GET", "hk"), "hello http\n", "RESP GET of a key set over HTTP")
    eq(http("GET", "hk").stdout, "hello http\n", "--http GET")
    eq(http("--no-raw", "GET", "hk").stdout, '"hello http"\n', "--http --no-raw GET")
    eq(http("--no-raw", "INCR", "hn").stdout, "(integer) 1\n", "--http INCR")
    eq(http("--no-raw", "GET", "missing").stdout, "(nil)\n", "--http nil")
    cli(s, "MSET", "hl1", "a", "hl2", "b")
    eq(http("--no-raw", "MGET", "hl1", "hl2", "nope").stdout, '1) "a"\n2) "b"\n3) (nil)\n',
       "--http array")
    eq(http("--no-raw", "CONFIG", "GET", "port").stdout, f'1# "port" => "{s.port}"\n',
       "--http map (the JSON object of a RESP3 map)")
    r = http("INCR", "hk")
    eq(r.returncode, 1, "--http error exit status")
    eq(r.stdout, "ERR value is not an integer or out of range\n", "--http error text")
    eq(http("-n", "2", "SET", "k2", "v2").returncode, 0, "--http -n 2 SET")
    eq(cli(s, "-n", "2", "GET", "k2"), "v2\n", "key set over HTTP with -n 2 lands in db 2")
    r = http(input="SET s 1\nINCR s\nSELECT 2\nGET k2\n")
    eq((r.returncode, r.stdout), (0, "OK\n2\nOK\nv2\n"), "--http with stdin, SELECT picks ?db=")
    r = cli_run("--http", f"http://127.0.0.1:{kvdtest.free_port()}", "PING")
    eq(r.returncode, 1, "--http to a closed port")


# --- RESP3 types kvd does not send yet, from a scripted fake server -------------------------

CANNED = {
    "double": b",1.5\r\n",
    "true": b"#t\r\n",
    "false": b"#f\r\n",
    "verbatim": b"=15\r\ntxt:hello world\r\n",
    "null": b"_\r\n",
    "bignum": b"(12345678901234567890\r\n",
    "set": b"~2\r\n+a\r\n:1\r\n",
    "nested": b"%2\r\n$1\r\nk\r\n*2\r\n:1\r\n*1\r\n$1\r\nx\r\n$2\r\nk2\r\n%1\r\n+a\r\n,2.5\r\n",
    "attribute": b"|1\r\n+key-popularity\r\n:1\r\n:42\r\n",
    "ten": b"*10\r\n" + b"".join(b":%d\r\n" % i for i in range(10)),
    "bloberr": b"!9\r\nERR oops!\r\n",
    "emptyset": b"~0\r\n",
    "nilarray": b"*-1\r\n",
}


def fake_server(handle):
    """A thread serving each connection with handle(conn) on a free port; returns (port, stop)."""
    import socket
    import threading
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    ls.settimeout(0.2)
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                conn, _ = ls.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    handle(conn)
                except OSError:
                    pass
        ls.close()

    t = threading.Thread(target=loop, daemon=True)
    t.start()

    def close():
        stop.set()
        t.join(5)
    return ls.getsockname()[1], close


def serve_canned(conn):
    """Reads one RESP command and answers CANNED[last argument], one byte per send."""
    buf = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        end = kvdtest.resp_reply_end(buf, 0) if buf.startswith(b"*") else None
        if end is not None:
            break
        chunk = conn.recv(4096)
        if not chunk:
            return
        buf += chunk
    name = buf.split(b"\r\n")[-2].decode()
    for i in range(len(CANNED[name])):
        conn.sendall(CANNED[name][i:i + 1])


def test_resp3_types_fake_server(s):
    port, close = fake_server(serve_canned)
    try:
        def fake(*args):
            return cli_run("-p", port, *args)
        pretty = {
            "double": "(double) 1.5\n",
            "true": "(true)\n",
            "false": "(false)\n",
            "verbatim": "hello world\n",
            "null": "(nil)\n",
            "bignum": "(big number) 12345678901234567890\n",
            "set": "1~ a\n2~ (integer) 1\n",
            "nested": '1# "k" => 1) (integer) 1\n   2) 1) "x"\n2# "k2" => 1# a => (double) 2.5\n',
            "attribute": "(integer) 42\n",
            "ten": "".join(f"{i + 1:2d}) (integer) {i}\n" for i in range(10)),
            "emptyset": "(empty set)\n",
            "nilarray": "(nil)\n",
        }
        for name, want in pretty.items():
            r = fake("--no-raw", "ECHO", name)
            eq((r.returncode, r.stdout), (0, want), f"pretty {name}")
        raw = {"double": "1.5\n", "true": "(true)\n", "verbatim": "hello world\n", "null": "\n",
               "set": "a\n1\n", "nested": "k 1\nx\nk2 a 2.5\n"}
        for name, want in raw.items():
            r = fake("ECHO", name)
            eq((r.returncode, r.stdout), (0, want), f"raw {name}")
        r = fake("--no-raw", "ECHO", "bloberr")
        eq((r.returncode, r.stdout), (1, "(error) ERR oops!\n"), "blob error")
    finally:
        close()


# --- interactive mode through tmux ---------------------------------------------------------

class Tmux:
    """A private tmux server (own socket) running one kvd-cli session; kill() ends it."""

    def __init__(self, argv, env):
        self.sock = f"kvdcli-test-{os.getpid()}-{time.monotonic_ns()}"
        self.name = "cli"
        env_args = []
        for k, v in env.items():
            env_args += ["-e", f"{k}={v}"]
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", self.name, "-x", "200", "-y", "50",
                  *env_args, " ".join(argv))

    def tmux(self, *args, check=True):
        r = subprocess.run([TMUX, "-L", self.sock, *args], capture_output=True, text=True,
                           timeout=10)
        if check and r.returncode != 0:
            raise AssertionError(f"tmux {args} -> {r.returncode}: {r.stderr}")
        return r.stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", self.name, *keys)

    def type(self, text):
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.name, check=False)

    def wait_for(self, pred, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if pred(text):
                return text
            time.sleep(0.05)
        raise AssertionError(f"tmux: timed out waiting for {what}; screen:\n{text}")

    def alive(self):
        r = subprocess.run([TMUX, "-L", self.sock, "has-session", "-t", self.name],
                           capture_output=True, timeout=10)
        return r.returncode == 0

    def kill(self):
        subprocess.run([TMUX, "-L", self.sock, "kill-server"], capture_output=True, timeout=10)


def lines(text):
    return [ln.rstrip() for ln in text.splitlines()]


def test_interactive_tmux(s):
    if not os.access(TMUX, os.X_OK):
        raise AssertionError(f"{TMUX} missing (apt-get install tmux; see tools/bootstrap)")
    cli(s, "FLUSHALL")
    cli(s, "MSET", "alpha", "1", "beta", "2")
    home = tempfile.mkdtemp(prefix="kvdcli-home-")
    hist = os.path.join(home, "hist")
    prompt = f"127.0.0.1:{s.port}>"
    t = Tmux([kvd_cli_path(), "-p", str(s.port)],
             {"HOME": home, "KVDCLI_HISTFILE": hist, "TERM": "screen"})
    try:
        t.wait_for(lambda x: prompt in x, "the prompt")
        t.type("SET greeting hello")
        t.keys("Enter")
        t.wait_for(lambda x: "OK" in lines(x), "OK after SET")
        t.type("GET greeting")
        t.keys("Enter")
        t.wait_for(lambda x: lines(x).count('"hello"') == 1, "the GET reply")
        # Arrow up recalls GET greeting; Enter runs it again.
        t.keys("Up")
        t.wait_for(lambda x: lines(x)[-1:] != [] and
                   [ln for ln in lines(x) if ln][-1].startswith(f"{prompt} GET greeting"),
                   "GET greeting recalled by arrow up")
        t.keys("Enter")
        t.wait_for(lambda x: lines(x).count('"hello"') == 2, "the recalled command's reply")
        # Hints from COMMAND DOCS while typing.
        t.type("GETRANGE ")
        t.wait_for(lambda x: "key start end" in x, "the GETRANGE argument hint")
        t.type("k 0 ")
        t.wait_for(lambda x: "key start end" not in x and " end" in x, "the hint after 2 args")
        t.keys("C-u")
        t.wait_for(lambda x: " end" not in x, "the hint cleared")
        # The `list` alias: every key, sorted.
        t.type("list")
        t.keys("Enter")
        t.wait_for(lambda x: '3) "greeting"' in x, "list output")
        screen = lines(t.screen())
        i = screen.index('1) "alpha"')
        eq(screen[i:i + 3], ['1) "alpha"', '2) "beta"', '3) "greeting"'], "list alias")
        t.type("list g*")
        t.keys("Enter")
        t.wait_for(lambda x: lines(x).count('1) "greeting"') == 1, "list g*")
        t.type("stats")
        t.keys("Enter")
        t.wait_for(lambda x: "connected_clients: " in x, "stats alias")
        # `compact` sends BGREWRITEAOF: Redis's status line (a rewrite works with appendonly no too).
        t.type("compact")
        t.keys("Enter")
        t.wait_for(lambda x: "Background append only file rewriting started" in x, "compact alias")
        t.type("help GETRANGE")
        t.keys("Enter")
        t.wait_for(lambda x: "GETRANGE key start end" in x, "help <command>")
        t.type("SELECT 2")
        t.keys("Enter")
        t.wait_for(lambda x: f"127.0.0.1:{s.port}[2]>" in x, "the prompt of db 2")
        t.type("quit")
        t.keys("Enter")
        deadline = time.monotonic() + 10
        while t.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not t.alive(), "kvd-cli did not exit on quit"
        with open(hist, encoding="utf-8", errors="replace") as f:
            saved = f.read()
        assert "GET greeting" in saved.replace("\\040", " "), f"history file: {saved!r}"
    finally:
        t.kill()
        subprocess.run(["rm", "-rf", home], timeout=10)


def test_interactive_not_connected(s):
    """Without a server: the reason, a `not connected>` prompt, and `exit` still works."""
    home = tempfile.mkdtemp(prefix="kvdcli-home-")
    t = Tmux([kvd_cli_path(), "-p", str(kvdtest.free_port())],
             {"HOME": home, "KVDCLI_HISTFILE": os.path.join(home, "hist"), "TERM": "screen"})
    try:
        t.wait_for(lambda x: "Could not connect" in x and "not connected>" in x, "not connected")
        t.type("exit")
        t.keys("Enter")
        deadline = time.monotonic() + 10
        while t.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not t.alive(), "kvd-cli did not exit on exit"
    finally:
        t.kill()
        subprocess.run(["rm", "-rf", home], timeout=10)


def test_interactive_history_reload(s):
    """A second session recalls the first one's commands from KVDCLI_HISTFILE."""
    home = tempfile.mkdtemp(prefix="kvdcli-home-")
    hist = os.path.join(home, "hist")
    prompt = f"127.0.0.1:{s.port}>"
    env = {"HOME": home, "KVDCLI_HISTFILE": hist, "TERM": "screen"}
    try:
        for round_ in range(2):
            t = Tmux([kvd_cli_path(), "-p", str(s.port)], env)
            try:
                t.wait_for(lambda x: prompt in x, "the prompt")
                if round_ == 0:
                    t.type("ECHO remembered")
                    t.keys("Enter")
                    t.wait_for(lambda x: '"remembered"' in x, "ECHO reply")
                else:
                    t.keys("Up")
                    t.wait_for(lambda x: f"{prompt} ECHO remembered" in x, "recall from file")
                    t.keys("Enter")
                    t.wait_for(lambda x: '"remembered"' in x, "ECHO reply after recall")
                t.keys("C-d")
                deadline = time.monotonic() + 10
                while t.alive() and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert not t.alive(), "kvd-cli did not exit on Ctrl-D"
            finally:
                t.kill()
    finally:
        subprocess.run(["rm", "-rf", home], timeout=10)


def main():
    with kvdtest.server() as s:
        return kvdtest.run_tests([
            test_one_shot, test_stdin, test_db, test_resp3, test_resp3_types_fake_server, test_http,
            test_interactive_tmux, test_interactive_not_connected, test_interactive_history_reload,
        ], s)


if __name__ == "__main__":
    kvdtest.main(main)
