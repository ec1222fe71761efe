"""`supervised systemd` (Type=notify units): kvd-server started with $NOTIFY_SOCKET pointing at
a datagram socket made here sends READY=1 only once it answers PING (and, with appendonly,
once the AOF is replayed), STOPPING=1 at SIGTERM, and nothing with `supervised no`.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

KVD = kvdtest.kvd_server_path()


class Notify:
    """An AF_UNIX datagram socket standing in for systemd's notification socket."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []

    def wait_for(self, field, timeout, proc=None):
        """Reads datagrams until one holds the line `field` (e.g. READY=1); returns that datagram."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None and field != "STOPPING=1":
                raise AssertionError(f"kvd-server exited ({proc.returncode}) before {field}")
            self.sock.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            self.messages.append(data)
            if field in data.split("\n"):
                return data
        raise AssertionError(f"no {field} within {timeout} s; got {self.messages!r}")

    def close(self):
        self.sock.close()


def start(tmp, notify_path, *args):
    port = kvdtest.free_port()
    env = os.environ.copy()
    env["NOTIFY_SOCKET"] = notify_path
    log = open(os.path.join(tmp, "kvd.log"), "wb")
    proc = subprocess.Popen([KVD, "--port", str(port), "--http-port", "0", "--dir", tmp, *args],
                            stdout=log, stderr=subprocess.STDOUT, env=env,
                            preexec_fn=kvdtest._die_with_parent)
    log.close()
    return proc, port


def stop(proc, notify, tmp):
    proc.send_signal(signal.SIGTERM)
    msg = notify.wait_for("STOPPING=1", 5, proc)
    code = proc.wait(timeout=5)
    eq(code, 0, "exit status after SIGTERM")
    return msg


def with_server(tmp, mode, *args, body):
    notify = Notify(tmp)
    proc, port = start(tmp, notify.path, "--supervised", mode, *args)
    try:
        return body(proc, port, notify)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        notify.close()
        os.unlink(notify.path)


def test_ready_after_listeners_then_stopping():
    with tempfile.TemporaryDirectory() as tmp:
        def body(proc, port, notify):
            msg = notify.wait_for("READY=1", 10, proc)
            assert "STATUS=Ready to accept connections" in msg.split("\n"), msg
            # READY=1 promises a working server: the very first PING after it must answer.
            assert kvdtest.ping_once(port, timeout=2), "PING right after READY=1"
            eq(kvdtest.redis_cli(port, "INFO", "server").count("process_supervised:systemd"), 1,
               "INFO process_supervised")
            msg = stop(proc, notify, tmp)
            assert "STOPPING=1" in msg.split("\n"), msg
            eq(sum("READY=1" in m.split("\n") for m in notify.messages), 1, "READY=1 sent once")
        with_server(tmp, "systemd", body=body)


def test_ready_after_aof_loaded():
    with tempfile.TemporaryDirectory() as tmp:
        def fill(proc, port, notify):
            notify.wait_for("READY=1", 10, proc)
            r = redis.Redis(port=port)
            pipe = r.pipeline(transaction=False)
            for i in range(200):
                pipe.rpush("l", *[f"v{i}-{j}" for j in range(50)])
            pipe.execute()
            r.close()
            stop(proc, notify, tmp)
        with_server(tmp, "systemd", "--appendonly", "yes", body=fill)

        def check(proc, port, notify):
            notify.wait_for("READY=1", 20, proc)
            statuses = [m for m in notify.messages if "STATUS=Loading the append only file" in m]
            assert statuses, f"STATUS while loading: {notify.messages!r}"
            # After READY=1 the data is there (no -LOADING, every record replayed).
            eq(kvdtest.redis_cli(port, "LLEN", "l").strip(), "10000", "list replayed before READY=1")
            stop(proc, notify, tmp)
        with_server(tmp, "systemd", "--appendonly", "yes", body=check)


def test_auto_follows_notify_socket():
    with tempfile.TemporaryDirectory() as tmp:
        def body(proc, port, notify):
            notify.wait_for("READY=1", 10, proc)
            stop(proc, notify, tmp)
        with_server(tmp, "auto", body=body)


def test_no_sends_nothing():
    with tempfile.TemporaryDirectory() as tmp:
        def body(proc, port, notify):
            deadline = time.monotonic() + 10
            while not kvdtest.ping_once(port) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert kvdtest.ping_once(port), "server did not start"
            assert "process_supervised:no" in kvdtest.redis_cli(port, "INFO", "server")
            proc.send_signal(signal.SIGTERM)
            eq(proc.wait(timeout=5), 0, "exit status")
            notify.sock.settimeout(0.2)
            try:
                data = notify.sock.recv(4096)
            except socket.timeout:
                data = None
            eq(data, None, "datagram with supervised no")
        with_server(tmp, "no", body=body)


def test_bad_value_refused():
    r = subprocess.run([KVD, "--supervised", "upstart-ish", "--port", "0", "--http-port", "0"],
                       capture_output=True, text=True, timeout=10)
    eq(r.returncode, 1, "exit status")
    assert "'supervised'" in r.stderr, r.stderr


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([
        test_ready_after_listeners_then_stopping,
        test_ready_after_aof_loaded,
        test_auto_follows_notify_socket,
        test_no_sends_nothing,
        test_bad_value_refused,
    ]))
