"""Inline commands (the telnet/nc form: a line of space separated words) on a raw TCP socket
and through `nc -q 1`: quoting and escapes as redis `sdssplitargs` parses them, blank lines
ignored, LF-only lines, inline and RESP mixed on one connection, unbalanced quotes and an
over-long line answered with `-ERR Protocol error: ...` and the connection closed while
another client keeps working. Every input is also sent to Debian's redis-server and the
reply bytes must be identical.
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

UNBALANCED = b"-ERR Protocol error: unbalanced quotes in request\r\n"

# (name, bytes sent, connection must close, exact reply bytes expected)
CASES = [
    ("double quotes", b'SET a "hello world"\r\nGET a\r\n', False,
     b"+OK\r\n$11\r\nhello world\r\n"),
    ("escapes in double quotes", b'SET b "\\x41\\x62\\n\\r\\t\\b\\a\\"q\\\\"\r\nGET b\r\n', False,
     b'+OK\r\n$10\r\nAb\n\r\t\x08\x07"q\\\r\n'),
    ("hex escape upper case", b'ECHO "\\x4A\\x4b"\r\n', False, b"$2\r\nJK\r\n"),
    ("invalid hex escape is literal", b'ECHO "\\xzz"\r\n', False, b"$3\r\nxzz\r\n"),
    ("short hex escape is literal", b'ECHO "\\x4"\r\n', False, b"$2\r\nx4\r\n"),
    ("unknown escape keeps the char", b'ECHO "\\u\\q"\r\n', False, b"$2\r\nuq\r\n"),
    ("single quotes", b"SET c 'it\\'s \"x\" \\n'\r\nGET c\r\n", False,
     b"+OK\r\n$11\r\nit's \"x\" \\n\r\n"),
    ("empty quoted args", b"ECHO \"\"\r\nECHO ''\r\n", False, b"$0\r\n\r\n$0\r\n\r\n"),
    ("quoted arg with spaces only", b'ECHO "   "\r\n', False, b"$3\r\n   \r\n"),
    ("tabs and runs of spaces separate", b"  ECHO\t \t\"tab\"   \r\n", False, b"$3\r\ntab\r\n"),
    ("blank lines ignored", b"\r\n\n\r\n   \r\nPING\r\n\n", False, b"+PONG\r\n"),
    ("LF-only line ends", b"SET lf 1\nINCR lf\nGET lf\n", False, b"+OK\r\n:2\r\n$1\r\n2\r\n"),
    ("inline and RESP mixed", b"PING\r\n*1\r\n$4\r\nPING\r\nPING x\n", False,
     b"+PONG\r\n+PONG\r\n$1\r\nx\r\n"),
    ("lower-case command", b"ping\r\necho Hi\r\n", False, b"+PONG\r\n$2\r\nHi\r\n"),
    ("unknown inline command", b"FOO a b c\r\n", False,
     b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' 'c' \r\n"),
    ("wrong arity inline", b"GET\r\n", False,
     b"-ERR wrong number of arguments for 'get' command\r\n"),
    ("many args", b"MSET " + b" ".join(b"k%d v%d" % (i, i) for i in range(200)) + b"\r\nMGET k0 k199\r\n",
     False, b"+OK\r\n*2\r\n$2\r\nv0\r\n$4\r\nv199\r\n"),
    ("unbalanced double quote", b'SET e "abc\r\n', True, UNBALANCED),
    ("unbalanced single quote", b"SET e 'abc\r\n", True, UNBALANCED),
    ("closing quote followed by a char", b'SET d "abc"x\r\n', True, UNBALANCED),
    ("closing single quote followed by a char", b"SET d 'abc'x\r\n", True, UNBALANCED),
    ("unbalanced after good commands", b'PING\r\nECHO "a"b"\r\nPING\r\n', True,
     b"+PONG\r\n" + UNBALANCED),
    ("too big inline request", b"x" * 66000, True,
     b"-ERR Protocol error: too big inline request\r\n"),
]


def run_case(port, data, must_close):
    return kvdtest.exchange(port, data, expect_close=must_close)


def test_cases_against_literal_and_redis(kvd, redis):
    bad = []
    with kvd.raw() as bystander:
        bystander.send(b"PING\r\n")
        eq(bystander.read_reply(), b"+PONG\r\n", "bystander PING")
        for name, data, must_close, want in CASES:
            got, closed = run_case(kvd.port, data, must_close)
            ref, ref_closed = run_case(redis.port, data, must_close)
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
                bad.append(f"[{name}] sent {data[:80]!r}:\n    " + "\n    ".join(problems))
            # A closed or confused connection must not affect other clients.
            bystander.send(b"PING\r\n")
            try:
                eq(bystander.read_reply(), b"+PONG\r\n", f"bystander PING after [{name}]")
            except AssertionError as e:
                bad.append(str(e))
                break
    assert not bad, f"{len(bad)} inline case(s) differ:\n" + "\n".join(bad)


def test_nc(kvd, redis):
    nc = shutil.which("nc")
    if not nc:
        print("SKIP test_nc: nc not installed")
        return

    def run(port, data):
        r = subprocess.run([nc, "-q", "1", "127.0.0.1", str(port)], input=data,
                           capture_output=True, timeout=15)
        return r.stdout

    data = b'SET a "hello world"\r\nGET a\r\nINCR n\r\nDEL a n\r\n'
    want = b"+OK\r\n$11\r\nhello world\r\n:1\r\n:2\r\n"
    eq(run(kvd.port, data), want, "nc: inline SET/GET/INCR/DEL")
    eq(run(redis.port, data), want, "nc against redis-server (reference)")
    data = b"PING\r\nSET x 'unbalanced\r\nPING\r\n"
    want = b"+PONG\r\n" + UNBALANCED
    eq(run(kvd.port, data), want, "nc: unbalanced quotes")
    eq(run(redis.port, data), want, "nc: unbalanced quotes against redis-server (reference)")


def main():
    with kvdtest.redis_server() as redis, kvdtest.server(http=False) as kvd:
        return kvdtest.run_tests([test_cases_against_literal_and_redis, test_nc], kvd, redis)


if __name__ == "__main__":
    kvdtest.main(main)
