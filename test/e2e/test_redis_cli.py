"""redis-cli against kvd: one-shot commands with exact output (raw and --no-raw), interactive
mode fed on stdin, --pipe, --scan --pattern, --stat, --latency, --raw, -n (SELECT), -x.

redis-cli prints raw replies (no "(integer)", nil as an empty line) when stdout is not a
terminal, which is the case here; --no-raw forces the formatted output.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq, redis_cli  # noqa: E402


def cli(s, *args, **kw):
    return redis_cli(s.port, *args, **kw)


def test_one_shot_raw(s):
    cli(s, "FLUSHALL")
    cases = [
        (("SET", "a", "1"), "OK\n"),
        (("GET", "a"), "1\n"),
        (("INCR", "a"), "2\n"),
        (("GET", "a"), "2\n"),
        (("GET", "missing"), "\n"),
        (("EXISTS", "a", "missing", "a"), "2\n"),
        (("TTL", "a"), "-1\n"),
        (("TTL", "missing"), "-2\n"),
        (("DEL", "a", "missing"), "1\n"),
        (("EXISTS", "a"), "0\n"),
        (("MSET", "x", "1", "y", "two words", "z", ""), "OK\n"),
        (("MGET", "x", "y", "missing", "z"), "1\ntwo words\n\n\n"),
        (("KEYS", "y*"), "y\n"),
        (("KEYS", "nomatch*"), "\n"),
        (("DBSIZE",), "3\n"),
        (("PING",), "PONG\n"),
        (("PING", "hello"), "hello\n"),
        (("ECHO", "hello world"), "hello world\n"),
        (("EXPIRE", "x", "1000"), "1\n"),
        (("PERSIST", "x"), "1\n"),
        (("TTL", "x"), "-1\n"),
    ]
    for args, want in cases:
        eq(cli(s, *args), want, f"redis-cli {' '.join(args)}")
    keys = sorted(cli(s, "KEYS", "*").splitlines())
    eq(keys, ["x", "y", "z"], "KEYS * (sorted)")


def test_one_shot_formatted(s):
    cli(s, "FLUSHALL")
    cases = [
        (("SET", "a", "1"), "OK\n"),
        (("GET", "a"), '"1"\n'),
        (("INCR", "a"), "(integer) 2\n"),
        (("GET", "missing"), "(nil)\n"),
        (("MGET", "a", "missing"), '1) "2"\n2) (nil)\n'),
        (("KEYS", "nomatch*"), "(empty array)\n"),
        (("TTL", "missing"), "(integer) -2\n"),
        (("ECHO", "a\nb"), '"a\\nb"\n'),
        (("PING",), "PONG\n"),
        (("GET",), "(error) ERR wrong number of arguments for 'get' command\n"),
        (("NOSUCHCMD", "x", "y"),
         "(error) ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' 'y' \n"),
        (("INCR", "a", "b"), "(error) ERR wrong number of arguments for 'incr' command\n"),
        (("SET", "s", "abc"), "OK\n"),
        (("INCR", "s"), "(error) ERR value is not an integer or out of range\n"),
    ]
    for args, want in cases:
        eq(cli(s, "--no-raw", *args), want, f"redis-cli --no-raw {' '.join(args)!r}")


def test_info_server(s):
    out = cli(s, "INFO", "server")
    lines = [l.rstrip("\r") for l in out.splitlines()]
    assert "# Server" in lines, f"INFO server has no '# Server' header: {out[:300]!r}"
    run_ids = [l for l in lines if l.startswith("run_id:")]
    assert len(run_ids) == 1, f"INFO server: expected one run_id line, got {run_ids}"
    assert re.fullmatch(r"run_id:[0-9a-f]{40}", run_ids[0]), f"bad run_id line {run_ids[0]!r}"
    # The run id is stable for the life of the process.
    again = [l.rstrip("\r") for l in cli(s, "INFO", "server").splitlines() if l.startswith("run_id:")]
    eq(again, run_ids, "run_id of a second INFO server")
    port_lines = [l for l in lines if l.startswith("tcp_port:")]
    eq(port_lines, [f"tcp_port:{s.port}"], "INFO server tcp_port")


def test_interactive_stdin(s):
    cli(s, "FLUSHALL")
    eq(cli(s, input="SET a 1\nGET a\n"), "OK\n1\n", "stdin 'SET a 1\\nGET a'")
    eq(cli(s, "--no-raw", input="SET a 1\nGET a\nINCR a\nGET nope\n"),
       'OK\n"1"\n(integer) 2\n(nil)\n', "--no-raw stdin session")
    # Quoting as redis-cli parses it, and a blank line (ignored by redis-cli).
    eq(cli(s, "--no-raw", input='SET q "hello world"\n\nGET q\nSET r \'it\\\'s\'\nGET r\n'),
       'OK\n"hello world"\nOK\n"it\'s"\n', "quoted arguments on stdin")
    # SELECT inside the session sticks for the following commands.
    eq(cli(s, "--no-raw", input="SELECT 2\nSET a db2\nGET a\nSELECT 0\nGET a\n"),
       'OK\nOK\n"db2"\nOK\n"2"\n', "SELECT in an interactive session")
    cli(s, "-n", "2", "FLUSHDB")


def test_pipe_and_scan(s):
    cli(s, "FLUSHALL")
    proto = b"".join(kvdtest.resp_command("SET", f"k{i}", f"v{i}") for i in range(500))
    proto += b"".join(kvdtest.resp_command("SET", f"other{i}", "x") for i in range(50))
    out = cli(s, "--pipe", input=proto, timeout=60)
    assert "errors: 0, replies: 550" in out, f"redis-cli --pipe: {out!r}"
    eq(cli(s, "DBSIZE"), "550\n", "DBSIZE after --pipe")
    found = cli(s, "--scan", "--pattern", "k*", timeout=60).splitlines()
    want = {f"k{i}" for i in range(500)}
    missing = want - set(found)
    extra = set(found) - want
    assert not missing and not extra, (f"--scan --pattern k*: {len(missing)} missing "
                                       f"(e.g. {sorted(missing)[:5]}), extra {sorted(extra)[:5]}")
    eq(len(found), 500, "--scan returned duplicates (no writes happened during the scan)")
    all_keys = cli(s, "--scan", timeout=60).splitlines()
    eq(len(set(all_keys)), 550, "--scan over every key")
    eq(cli(s, "GET", "k499"), "v499\n", "GET k499")


def test_stat(s):
    cli(s, "FLUSHALL")
    cli(s, "MSET", "s1", "1", "s2", "2", "s3", "3")
    raw = kvdtest.run_pty([kvdtest.REDIS_CLI, "-h", "127.0.0.1", "-p", str(s.port),
                           "--stat", "-i", "0.1"], 1.5)
    text = raw.decode("utf-8", "replace").replace("\r", "")
    lines = [l.rstrip() for l in text.split("\n") if l.strip()]
    assert len(lines) >= 4, f"--stat printed too little: {text!r}"
    eq(lines[0], "------- data ------ --------------------- load -------------------- - child -",
       "--stat first header line")
    eq(lines[1].split(), ["keys", "mem", "clients", "blocked", "requests", "connections"],
       "--stat column names")
    rows = [l.split() for l in lines[2:] if not l.startswith("---") and not l.startswith("keys")]
    assert len(rows) >= 3, f"--stat: expected >= 3 data rows in 1.5 s at -i 0.1, got {rows}"
    for r in rows:
        assert len(r) >= 6, f"--stat row has {len(r)} columns: {r}"
        eq(r[0], "3", f"--stat keys column (row {r})")
        assert r[2].isdigit() and int(r[2]) >= 1, f"--stat clients column: {r}"
        assert r[3] == "0", f"--stat blocked column: {r}"
    reqs = [int(r[4]) for r in rows]
    assert reqs == sorted(reqs) and reqs[-1] > reqs[0], \
        f"--stat requests column should grow (each sample is an INFO): {reqs}"


def test_latency(s):
    # Not a terminal: runs for -i seconds, prints "min max avg samples" once and exits.
    out = cli(s, "--latency", "-i", "0.5", timeout=20).split()
    assert len(out) == 4, f"redis-cli --latency (raw) printed {out!r}"
    mn, mx, avg, n = int(out[0]), int(out[1]), float(out[2]), int(out[3])
    assert 0 <= mn <= avg <= mx and n > 0, f"--latency numbers inconsistent: {out}"
    # On a terminal it refreshes "min: a, max: b, avg: c (n samples)" until stopped.
    raw = kvdtest.run_pty([kvdtest.REDIS_CLI, "-h", "127.0.0.1", "-p", str(s.port),
                           "--latency"], 2.0).decode("utf-8", "replace")
    m = re.findall(r"min: (\d+), max: (\d+), avg: ([\d.]+) \((\d+) samples\)", raw)
    assert m, f"--latency on a terminal printed no 'min: .., max: .., avg: ..': {raw[:300]!r}"
    assert int(m[-1][3]) >= 10, f"--latency: too few samples in 2 s: {m[-1]}"
    raw = kvdtest.run_pty([kvdtest.REDIS_CLI, "-h", "127.0.0.1", "-p", str(s.port),
                           "--latency-history", "-i", "1"], 2.6).decode("utf-8", "replace")
    ranges = re.findall(r"min: \d+, max: \d+, avg: [\d.]+ \(\d+ samples\) -- [\d.]+ seconds range",
                        raw)
    assert ranges, f"--latency-history -i 1 printed no ranges in 2.6 s: {raw[-300:]!r}"


def test_raw_and_db(s):
    cli(s, "FLUSHALL")
    eq(cli(s, "-n", "3", "SET", "dbk", "in db 3"), "OK\n", "-n 3 SET")
    eq(cli(s, "GET", "dbk"), "\n", "GET in db 0 of a key set in db 3")
    eq(cli(s, "-n", "3", "GET", "dbk"), "in db 3\n", "-n 3 GET")
    eq(cli(s, "-n", "3", "DBSIZE"), "1\n", "-n 3 DBSIZE")
    eq(cli(s, "DBSIZE"), "0\n", "DBSIZE of db 0")
    eq(cli(s, "SET", "nl", "line1\nline2"), "OK\n", "SET a value with a newline")
    eq(cli(s, "--raw", "GET", "nl"), "line1\nline2\n", "--raw GET")
    eq(cli(s, "--no-raw", "GET", "nl"), '"line1\\nline2"\n', "--no-raw GET")
    eq(cli(s, "--raw", "INCR", "cnt"), "1\n", "--raw INCR")
    eq(cli(s, "--no-raw", "INCR", "cnt"), "(integer) 2\n", "--no-raw INCR")
    eq(cli(s, "--raw", "-n", "3", "MGET", "dbk", "nope"), "in db 3\n\n", "--raw -n 3 MGET")
    cli(s, "-n", "3", "FLUSHDB")


def test_x_from_stdin(s):
    cli(s, "FLUSHALL")
    big = "".join(chr(ord("a") + i % 26) for i in range(200_000))
    eq(cli(s, "-x", "SET", "big", input=big), "OK\n", "-x SET with 200 kB from stdin")
    eq(cli(s, "STRLEN", "big"), "200000\n", "STRLEN big")
    eq(cli(s, "GET", "big"), big + "\n", "GET big")
    eq(cli(s, "GETRANGE", "big", "199998", "-1"), big[-2:] + "\n", "GETRANGE tail of big")


def main():
    with kvdtest.server(http=False) as s:
        return kvdtest.run_tests([
            test_one_shot_raw, test_one_shot_formatted, test_info_server,
            test_interactive_stdin, test_pipe_and_scan, test_stat, test_latency,
            test_raw_and_db, test_x_from_stdin,
        ], s)


if __name__ == "__main__":
    kvdtest.main(main)
