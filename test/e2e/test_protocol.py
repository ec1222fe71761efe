"""RESP framing on a raw socket: malformed frames get Redis's exact `-ERR Protocol error: ...`
bytes and that connection is closed while another client keeps working; frames split one
byte at a time and at every offset; 1000 pipelined commands in one send; big bulk values;
empty and null multibulk (`*0`, `*-1`) are ignored. Every byte sequence is also sent to
Debian's redis-server and the replies must be identical.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq, resp_command  # noqa: E402


def perr(msg):
    return b"-ERR Protocol error: " + msg + b"\r\n"


# (name, bytes, connection must close, exact reply bytes)
CASES = [
    ("multibulk length not a number", b"*abc\r\n", True, perr(b"invalid multibulk length")),
    ("multibulk length empty", b"*\r\n", True, perr(b"invalid multibulk length")),
    ("multibulk length > INT_MAX", b"*2147483648\r\n", True, perr(b"invalid multibulk length")),
    ("multibulk length with a space", b"*1 \r\n$4\r\nPING\r\n", True,
     perr(b"invalid multibulk length")),
    ("multibulk length with a plus sign", b"*+1\r\n$4\r\nPING\r\n", True,
     perr(b"invalid multibulk length")),
    ("multibulk length with a leading zero", b"*01\r\n$4\r\nPING\r\n", True,
     perr(b"invalid multibulk length")),
    ("simple string instead of bulk", b"*1\r\n+foo\r\n", True, perr(b"expected '$', got '+'")),
    ("integer instead of bulk", b"*1\r\n:1\r\n", True, perr(b"expected '$', got ':'")),
    ("nested array", b"*1\r\n*1\r\n", True, perr(b"expected '$', got '*'")),
    ("negative bulk length", b"*1\r\n$-5\r\n", True, perr(b"invalid bulk length")),
    ("null bulk in a command", b"*1\r\n$-1\r\n", True, perr(b"invalid bulk length")),
    ("bulk length not a number", b"*1\r\n$abc\r\n", True, perr(b"invalid bulk length")),
    ("bulk length empty", b"*1\r\n$\r\n", True, perr(b"invalid bulk length")),
    ("bulk length with a leading zero", b"*1\r\n$04\r\nPING\r\n", True,
     perr(b"invalid bulk length")),
    ("bulk length with a plus sign", b"*1\r\n$+4\r\nPING\r\n", True,
     perr(b"invalid bulk length")),
    ("huge bulk length", b"*1\r\n$999999999999\r\n", True, perr(b"invalid bulk length")),
    ("bulk over proto-max-bulk-len (512 MB)", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n",
     True, perr(b"invalid bulk length")),
    ("multibulk count line over 64 kB", b"*" + b"1" * 66000, True,
     perr(b"too big mbulk count string")),
    ("bulk count line over 64 kB", b"*1\r\n$" + b"1" * 66000, True,
     perr(b"too big bulk count string")),
    ("good command then a bad frame", resp_command("PING") + b"*1\r\n$-1\r\n" + resp_command("PING"),
     True, b"+PONG\r\n" + perr(b"invalid bulk length")),
    ("empty multibulk is ignored", b"*0\r\n", False, b""),
    ("null multibulk is ignored", b"*-1\r\n", False, b""),
    ("negative multibulk is ignored", b"*-5\r\n", False, b""),
    ("empty multibulk between commands", resp_command("PING") + b"*0\r\n" + resp_command("PING"),
     False, b"+PONG\r\n+PONG\r\n"),
    ("empty command name", b"*1\r\n$0\r\n\r\n", False,
     b"-ERR unknown command '', with args beginning with: \r\n"),
    ("binary-safe bulk", resp_command("SET", b"bin", b"a\r\n\x00b") + resp_command("GET", "bin"),
     False, b"+OK\r\n$5\r\na\r\n\x00b\r\n"),
    ("empty value", resp_command("SET", "empty", "") + resp_command("GET", "empty")
     + resp_command("STRLEN", "empty"), False, b"+OK\r\n$0\r\n\r\n:0\r\n"),
    ("null reply", resp_command("GET", "no-such-key"), False, b"$-1\r\n"),
]


def test_cases_against_literal_and_redis(kvd, redis):
    bad = []
    with kvd.raw() as bystander:
        for name, data, must_close, want in CASES:
            got, closed = kvdtest.exchange(kvd.port, data, expect_close=must_close)
            ref, ref_closed = kvdtest.exchange(redis.port, data, expect_close=must_close)
            problems = []
            if got != want:
                problems.append(f"expected {want!r}, got {got!r}")
            if got != ref:
                problems.append(f"redis-server replied {ref!r}, kvd {got!r}")
            if must_close and not closed:
                problems.append("kvd did not close the connection within 3 s")
            if ref != want or (must_close and not ref_closed):
                problems.append(f"(reference check: redis-server gave {ref!r} closed={ref_closed})")
            if problems:
                bad.append(f"[{name}] sent {data[:60]!r}:\n    " + "\n    ".join(problems))
            bystander.send(resp_command("PING"))
            try:
                eq(bystander.read_reply(), b"+PONG\r\n", f"bystander PING after [{name}]")
            except AssertionError as e:
                bad.append(str(e))
                break
    assert not bad, f"{len(bad)} protocol case(s) differ:\n" + "\n".join(bad)


def test_one_byte_at_a_time(kvd, redis):
    data = (resp_command("SET", "slow", "hello") + resp_command("GET", "slow")
            + b"*0\r\n" + resp_command("INCRBY", "slow-n", "42"))
    want = b"+OK\r\n$5\r\nhello\r\n:42\r\n"
    for srv, who in ((kvd, "kvd"), (redis, "redis-server")):
        kvdtest.exchange(srv.port, resp_command("DEL", "slow", "slow-n"))
        got, _ = kvdtest.exchange(srv.port, None, chunks=[bytes([b]) for b in data], timeout=10)
        eq(got, want, f"{who}: frames delivered one byte at a time")


def test_split_at_every_offset(kvd, redis):
    data = resp_command("SET", "split", "v" * 20) + resp_command("APPEND", "split", "xy")
    want = b"+OK\r\n:22\r\n"
    bad = []
    for cut in range(1, len(data)):
        got, _ = kvdtest.exchange(kvd.port, None, chunks=[data[:cut], data[cut:]])
        if got != want:
            bad.append(f"cut at {cut} ({data[:cut][-8:]!r} | {data[cut:][:8]!r}): got {got!r}")
    assert not bad, f"expected {want!r} for every split point; {len(bad)} differ:\n" + "\n".join(bad[:10])


def test_pipeline_1000(kvd, redis):
    cmds, want = [], []
    for i in range(1000):
        k = f"pipe:{(i // 4) % 100}"
        if i % 4 == 0:
            cmds.append(resp_command("SET", k, f"value-{i}"))
            want.append(b"+OK\r\n")
        elif i % 4 == 1:
            cmds.append(resp_command("GET", k))
            v = f"value-{i - 1}".encode()
            want.append(b"$%d\r\n%s\r\n" % (len(v), v))
        elif i % 4 == 2:
            cmds.append(resp_command("INCR", f"pipe-n:{i % 7}"))
            want.append(None)  # checked below: per counter, 1, 2, 3, ...
        else:
            cmds.append(b"PING\r\n" if i % 8 == 3 else resp_command("ECHO", f"e{i}"))
            want.append(b"+PONG\r\n" if i % 8 == 3 else b"$%d\r\ne%d\r\n" % (len(str(i)) + 1, i))
    for srv, who in ((kvd, "kvd"), (redis, "redis-server")):
        kvdtest.exchange(srv.port, resp_command("FLUSHALL"))
        with srv.raw(timeout=20) as c:
            c.send(b"".join(cmds))
            replies = c.read_replies(1000, timeout=20)
        counters = {}
        for i, (got, w) in enumerate(zip(replies, want)):
            if w is None:
                counters[i % 7] = counters.get(i % 7, 0) + 1
                w = b":%d\r\n" % counters[i % 7]
            eq(got, w, f"{who}: reply {i} of 1000 pipelined (command {cmds[i][:40]!r})")


def test_big_values(kvd, redis):
    big = bytes(range(256)) * 4096  # 1 MiB, every byte value
    for srv, who in ((kvd, "kvd"), (redis, "redis-server")):
        with srv.raw(timeout=20) as c:
            c.send(resp_command("SET", "big", big))
            eq(c.read_reply(), b"+OK\r\n", f"{who}: SET of 1 MiB in one send")
            c.send(resp_command("GET", "big"))
            eq(c.read_reply(timeout=20), b"$%d\r\n%s\r\n" % (len(big), big), f"{who}: GET of 1 MiB")
            frame = resp_command("SET", "big2", big[:600_000])
            for off in range(0, len(frame), 1000):
                c.send(frame[off:off + 1000])
            eq(c.read_reply(), b"+OK\r\n", f"{who}: SET of 600 kB sent in 1 kB pieces")
            c.send(resp_command("STRLEN", "big2") + resp_command("DEL", "big", "big2"))
            eq(c.read_replies(2), [b":600000\r\n", b":2\r\n"], f"{who}: STRLEN/DEL after big SETs")


def main():
    with kvdtest.redis_server() as redis, kvdtest.server(http=False) as kvd:
        return kvdtest.run_tests([
            test_cases_against_literal_and_redis, test_one_byte_at_a_time,
            test_split_at_every_offset, test_pipeline_1000, test_big_values,
        ], kvd, redis)


if __name__ == "__main__":
    kvdtest.main(main)
