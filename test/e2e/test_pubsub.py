"""Pub/Sub end to end with python3-redis, raw sockets, redis-cli and curl: SUBSCRIBE /
PSUBSCRIBE delivery and receiver counts, the RESP2 subscribed context (errors, PING), RESP3
push frames (raw HELLO 3: Debian's redis-py 4.3 has no RESP3), a subscriber that stops reading
disconnected past client-output-buffer-limit pubsub while the publisher keeps going (memory
bounded), keyspace notifications for a representative set of commands (expired included),
MONITOR through `redis-cli monitor`, and the HTTP routes: POST /v1/publish/{channel} and the
Server-Sent Events stream GET /v1/subscribe/{channel} read with `curl -N`.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402


def next_message(p, timeout=5.0):
    """The next redis-py pubsub message of type message/pmessage (bounded wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = p.get_message(timeout=0.1)
        if m and m["type"] in ("message", "pmessage"):
            return m
    raise AssertionError("no message within %.1f s" % timeout)


def numsub(r, channel):
    return r.pubsub_numsub(channel)[0][1]


def test_subscribe_publish(s):
    r = s.client()
    p = r.pubsub()
    p.subscribe("news", "sport")
    kvdtest.wait_until(lambda: numsub(r, "news") == 1 and numsub(r, "sport") == 1, "two subscriptions")
    eq(r.publish("news", "hello"), 1, "PUBLISH counts the receiver")
    eq(r.publish("nobody", "x"), 0, "PUBLISH to an empty channel")
    m = next_message(p)
    eq((m["channel"], m["data"]), ("news", "hello"), "message delivered")
    eq(sorted(r.pubsub_channels()), ["news", "sport"], "PUBSUB CHANNELS")
    p2 = r.pubsub()
    p2.subscribe("news")
    kvdtest.wait_until(lambda: numsub(r, "news") == 2, "second subscriber")
    eq(r.publish("news", "both"), 2, "two receivers")
    eq(next_message(p)["data"], "both", "first subscriber")
    eq(next_message(p2)["data"], "both", "second subscriber")
    p.unsubscribe()
    p2.close()
    p.close()
    kvdtest.wait_until(lambda: numsub(r, "news") == 0, "unsubscribed and closed")
    eq(r.publish("news", "gone"), 0, "nobody left")


def test_psubscribe_patterns(s):
    r = s.client()
    p = r.pubsub()
    p.psubscribe("news.*", "h?llo")
    kvdtest.wait_until(lambda: r.pubsub_numpat() == 2, "two patterns")
    eq(r.publish("news.tech", "a"), 1, "pattern receiver")
    m = next_message(p)
    eq((m["type"], m["pattern"], m["channel"], m["data"]), ("pmessage", "news.*", "news.tech", "a"), "pmessage")
    eq(r.publish("hallo", "b"), 1, "? matches one character")
    eq(next_message(p)["pattern"], "h?llo", "second pattern")
    eq(r.publish("news", "c"), 0, "news.* does not match news")
    info = r.info("stats")
    eq(info["pubsub_patterns"], 2, "INFO pubsub_patterns")
    p.punsubscribe("h?llo")
    kvdtest.wait_until(lambda: r.pubsub_numpat() == 1, "one pattern left")
    p.close()
    kvdtest.wait_until(lambda: r.pubsub_numpat() == 0, "patterns dropped on close")


def test_resp2_subscribed_context(s):
    with s.raw() as c:
        c.send(kvdtest.resp_command("SUBSCRIBE", "a"))
        eq(c.read_reply(), b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", "subscribe ack")
        c.send(kvdtest.resp_command("GET", "x") + kvdtest.resp_command("PING") + kvdtest.resp_command("PING", "hi"))
        eq(c.read_reply(), b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                           b"RESET are allowed in this context\r\n", "GET refused")
        eq(c.read_reply(), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING in pub/sub mode")
        eq(c.read_reply(), b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n", "PING with an argument")
        c.send(kvdtest.resp_command("RESET") + kvdtest.resp_command("GET", "x"))
        eq(c.read_reply(), b"+RESET\r\n", "RESET")
        eq(c.read_reply(), b"$-1\r\n", "out of pub/sub mode")


def test_resp3_push_frames(s):
    r = s.client()
    with s.raw() as c:
        c.send(kvdtest.resp_command("HELLO", "3"))
        hello, _ = c.read_until(b"modules\r\n*0\r\n")
        assert hello.startswith(b"%7\r\n"), hello
        c.send(kvdtest.resp_command("SUBSCRIBE", "r3"))
        got, _ = c.read_until(b":1\r\n")
        eq(got, b">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n", "RESP3 subscribe ack is a push frame")
        eq(r.publish("r3", "m"), 1, "publish to the RESP3 subscriber")
        got, _ = c.read_until(b"$1\r\nm\r\n")
        eq(got, b">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$1\r\nm\r\n", "message as a push frame")
        c.send(kvdtest.resp_command("SET", "r3k", "v") + kvdtest.resp_command("GET", "r3k"))
        got, _ = c.read_until(b"$1\r\nv\r\n")
        eq(got, b"+OK\r\n$1\r\nv\r\n", "RESP3: any command while subscribed")


def test_slow_subscriber_disconnected(s):
    """A subscriber that never reads is cut off past the hard limit; PUBLISH never waits."""
    r = s.client()
    r.config_set("client-output-buffer-limit", "pubsub 4mb 1mb 60")
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", s.port))
        sock.sendall(kvdtest.resp_command("SUBSCRIBE", "flood"))
        kvdtest.wait_until(lambda: numsub(r, "flood") == 1, "slow subscriber subscribed")
        rss_before = s.rss_bytes()
        payload = "x" * 65536
        t0 = time.monotonic()
        receivers = []
        for _ in range(1000):  # 64 MB offered, far past the 4 MB hard limit
            receivers.append(r.publish("flood", payload))
        elapsed = time.monotonic() - t0
        assert elapsed < 30, f"publisher slowed down: {elapsed:.1f} s for 1000 PUBLISH"
        eq(receivers[0], 1, "first message had a receiver")
        kvdtest.wait_until(lambda: numsub(r, "flood") == 0, "slow subscriber dropped")
        eq(r.publish("flood", "after"), 0, "nobody left on the channel")
        grown = s.rss_bytes() - rss_before
        assert grown < 48 * 1024 * 1024, f"RSS grew by {grown} bytes for a 4 MB limit"
        print(f"  1000 x 64 KB PUBLISH in {elapsed:.2f} s; RSS growth {grown / 1e6:.1f} MB; "
              f"receivers became 0 after {receivers.count(1)} messages")
        # The client sees its connection closed once it drains what was sent.
        sock.settimeout(10)
        total = 0
        while True:
            try:
                chunk = sock.recv(1 << 20)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            total += len(chunk)
        assert total < 16 * 1024 * 1024, f"received {total} bytes"
        sock.close()
        assert "output buffer limits" in s.log(), "the disconnection is logged"
    finally:
        r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60")


def test_keyspace_notifications(s):
    r = s.client()
    r.config_set("notify-keyspace-events", "KEA")
    eq(r.config_get("notify-keyspace-events")["notify-keyspace-events"], "AKE", "canonical form")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    kvdtest.wait_until(lambda: r.pubsub_numpat() == 1, "psubscribed")
    try:
        w = s.client()
        w.set("k", "v")
        w.expire("k", 100)
        w.persist("k")
        w.rename("k", "k2")
        w.delete("k2")
        w.lpush("l", "a", "b")
        w.rpop("l")
        w.lpop("l")
        w.sadd("s", "m")
        w.srem("s", "m")
        w.hset("h", "f", "1")
        w.hincrby("h", "f", 1)
        w.hdel("h", "f")
        w.zadd("z", {"m": 1})
        w.zincrby("z", 1, "m")
        w.zrem("z", "m")
        w.incr("n")
        w.append("n", "0")
        w.set("e", "v", px=50)
        want = [("set", "k"), ("expire", "k"), ("persist", "k"), ("rename_from", "k"), ("rename_to", "k2"),
                ("del", "k2"), ("lpush", "l"), ("rpop", "l"), ("lpop", "l"), ("del", "l"), ("sadd", "s"),
                ("srem", "s"), ("del", "s"), ("hset", "h"), ("hincrby", "h"), ("hdel", "h"), ("del", "h"),
                ("zadd", "z"), ("zincr", "z"), ("zrem", "z"), ("del", "z"), ("incrby", "n"), ("append", "n"),
                ("set", "e"), ("expire", "e"), ("expired", "e")]
        got = []
        deadline = time.monotonic() + 10
        while len(got) < len(want) and time.monotonic() < deadline:
            m = p.get_message(timeout=0.2)
            if m and m["type"] == "pmessage":
                got.append((m["channel"].split(":", 1)[1], m["data"]))
        eq(got, want, "keyevent notifications in order")
    finally:
        p.close()
        r.config_set("notify-keyspace-events", "")


def test_monitor_with_redis_cli(s):
    r = s.client()
    proc = subprocess.Popen([kvdtest.REDIS_CLI, "-p", str(s.port), "monitor"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        eq(proc.stdout.readline().strip(), "OK", "MONITOR answers OK")
        r.set("mon", "a b\"c")
        r.get("mon")
        r.config_get("hz")  # admin: not shown
        r.execute_command("ECHO", "done")
        lines = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = proc.stdout.readline().strip()
            lines.append(line)
            if '"ECHO" "done"' in line:
                break
        text = "\n".join(lines)
        assert '"SET" "mon" "a b\\"c"' in text, text
        assert '"GET" "mon"' in text, text
        assert '"config"' not in text.lower(), text
        first = next(l for l in lines if '"SET"' in l)
        ts, rest = first.split(" ", 1)
        float(ts)
        assert rest.startswith("[0 127.0.0.1:"), first
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_http_publish_and_sse(s):
    r = s.client()
    url = f"http://127.0.0.1:{s.http_port}"
    curl = subprocess.Popen(["curl", "-sS", "-N", "--max-time", "20", f"{url}/v1/subscribe/web?count=2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    raw = subprocess.Popen(["curl", "-sS", "-N", "--max-time", "20", f"{url}/v1/psubscribe/we%2A?format=raw&count=2"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        kvdtest.wait_until(lambda: numsub(r, "web") == 1 and r.pubsub_numpat() == 1, "SSE clients subscribed")
        listed = r.client_list(_type="pubsub")
        eq(sorted((c["sub"], c["psub"]) for c in listed), [("0", "1"), ("1", "0")],
           "SSE connections are pubsub clients")
        req = urllib.request.Request(f"{url}/v1/publish/web", data=b"hello", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            eq(json.loads(resp.read()), {"receivers": 2}, "POST /v1/publish")
        eq(r.publish("web", "two\nlines"), 2, "RESP publish reaches SSE clients")
        out, err = curl.communicate(timeout=20)
        text = out.decode()
        eq(text, ': subscribed\n\ndata: {"channel":"web","message":"hello"}\n\n'
                 'data: {"channel":"web","message":"two\\nlines"}\n\n', "JSON event stream")
        out, err = raw.communicate(timeout=20)
        eq(out.decode(), ": subscribed\n\ndata: hello\n\ndata: two\ndata: lines\n\n", "raw event stream")
        kvdtest.wait_until(lambda: numsub(r, "web") == 0 and r.pubsub_numpat() == 0, "streams ended, unsubscribed")
        # A stream ends with its client.
        c = subprocess.Popen(["curl", "-sS", "-N", "--max-time", "2", f"{url}/v1/subscribe/bye"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kvdtest.wait_until(lambda: numsub(r, "bye") == 1, "third stream")
        c.communicate(timeout=10)
        kvdtest.wait_until(lambda: numsub(r, "bye") == 0, "curl gone, subscription gone")
        # The headers.
        hdr = subprocess.run(["curl", "-sS", "-N", "-D", "-", "-o", "/dev/null", "--max-time", "5",
                              f"{url}/v1/subscribe/h?timeout=1"], capture_output=True, timeout=20)
        head = hdr.stdout.decode().lower()
        assert "content-type: text/event-stream" in head, head
        assert head.startswith("http/1.1 200"), head
    finally:
        for p in (curl, raw):
            if p.poll() is None:
                p.kill()
                p.wait()


def new_and_keymiss_events(port):
    """The "new" (class n) and "keymiss" (m) keyevents a fixed command sequence raises, in order."""
    import redis
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    r.flushall()
    r.config_set("notify-keyspace-events", "Enm")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    kvdtest.wait_until(lambda: r.pubsub_numpat() == 1, "psubscribed")
    try:
        w = redis.Redis(host="127.0.0.1", port=port)
        w.set("a", "1")
        w.set("b", "1")
        w.set("b", "2")  # overwrite: no "new"
        w.rename("a", "b")  # the destination is added again: "new", as Redis
        w.get("nokey")
        w.rpush("l", "x")
        w.lpush("l", "y")
        w.hget("nohash", "f")
        w.zscore("nozset", "m")
        w.copy("b", "c")
        w.sadd("s", "m")
        w.set("last", "1")
        got = []
        deadline = time.monotonic() + 10
        while (not got or got[-1] != ("new", "last")) and time.monotonic() < deadline:
            m = p.get_message(timeout=0.2)
            if m and m["type"] == "pmessage":
                got.append((m["channel"].split(":", 1)[1], m["data"]))
        return got
    finally:
        p.close()
        r.config_set("notify-keyspace-events", "")


def test_new_and_keymiss_notifications(s):
    got = new_and_keymiss_events(s.port)
    with kvdtest.redis_server() as rs:
        want = new_and_keymiss_events(rs.port)
    eq(want[-1], ("new", "last"), "redis-server's sequence is complete")
    eq(got, want, "new/keymiss keyevents, kvd vs redis-server")


def main():
    with kvdtest.server() as s:
        return kvdtest.run_tests([
            test_subscribe_publish, test_psubscribe_patterns, test_resp2_subscribed_context,
            test_resp3_push_frames, test_slow_subscriber_disconnected, test_keyspace_notifications,
            test_monitor_with_redis_cli, test_http_publish_and_sse, test_new_and_keymiss_notifications,
        ], s)


if __name__ == "__main__":
    kvdtest.main(main)
