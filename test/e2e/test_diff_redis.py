"""Differential test against Debian's redis-server: every test/e2e/diff/*.txt script (one
redis-cli command per line, # comments) is fed to `redis-cli --no-raw` on stdin against both
servers, starting with FLUSHALL, and the outputs must be identical line by line.

Before each command the feeder inserts `ECHO "@@<file line>"`, so the output splits into one
block per command; a mismatch is reported per command (file line, command, redis vs kvd), and
a unified diff of the whole outputs follows. Inside a transaction (from a MULTI line to the
next EXEC, DISCARD or RESET line, inclusive) no marker is inserted, since it would be queued:
the output of those lines joins the MULTI line's block.
"""

import difflib
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402

DIFF_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "diff")


def load_script(path):
    """[(line number, command text)] of the non-blank, non-comment lines."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            text = line.strip()
            if text and not text.startswith("#"):
                out.append((n, text))
    return out


def marked(commands):
    """Line numbers that get an ECHO marker: all but those after a MULTI up to its end."""
    out, in_multi = set(), False
    for n, text in commands:
        word = text.split()[0].upper() if text.split() else ""
        if not in_multi:
            out.add(n)
            in_multi = word == "MULTI"
        elif word in ("EXEC", "DISCARD", "RESET"):
            in_multi = False
    return out


def feed(port, commands):
    """Runs the commands through one redis-cli session; returns {line: [output lines]}."""
    lines = ["FLUSHALL"]
    marks = marked(commands)
    for n, text in commands:
        if n in marks:
            lines.append(f'ECHO "@@{n}"')
        lines.append(text)
    r = kvdtest.redis_cli_run(port, "--no-raw", input="\n".join(lines) + "\n", timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"redis-cli on port {port} exited {r.returncode}: {r.stderr!r}")
    blocks = {0: []}
    current = 0
    for out_line in r.stdout.split("\n"):
        if out_line.startswith('"@@') and out_line.endswith('"') and out_line[3:-1].isdigit():
            current = int(out_line[3:-1])
            blocks[current] = []
        else:
            blocks[current].append(out_line)
    return blocks, r.stdout


def run_script(path, kvd, redis):
    commands = load_script(path)
    name = os.path.relpath(path, os.path.dirname(DIFF_DIR))
    assert len(commands) > 0, f"{name}: no commands"
    want, want_text = feed(redis.port, commands)
    got, got_text = feed(kvd.port, commands)
    marks = marked(commands)
    commands = [(n, text) for n, text in commands if n in marks]
    missing_ref = [n for n, _ in commands if n not in want]
    assert not missing_ref, (f"{name}: redis-server output lacks ECHO markers for lines "
                             f"{missing_ref[:10]} (script or redis-cli problem)")
    eq_head = want.get(0) == got.get(0)
    bad = []
    if not eq_head:
        bad.append(f"  FLUSHALL (first command)\n    redis: {want.get(0)}\n    kvd:   {got.get(0)}")
    for n, text in commands:
        w = want[n]
        g = got.get(n)
        if g is None:
            bad.append(f"  line {n}: {text}\n    redis: {w}\n    kvd:   (no ECHO marker: output lost"
                       " or merged into the previous block)")
        elif g != w:
            bad.append(f"  line {n}: {text}\n    redis: {' | '.join(w)}\n    kvd:   {' | '.join(g)}")
    if bad:
        udiff = "".join(difflib.unified_diff(
            want_text.splitlines(keepends=True), got_text.splitlines(keepends=True),
            fromfile=f"redis-server ({name})", tofile=f"kvd ({name})", n=2)).splitlines()
        if len(udiff) > 400:
            udiff = udiff[:400] + [f"... ({len(udiff) - 400} more diff lines)"]
        udiff = "\n".join(udiff)
        raise AssertionError(
            f"{name}: {len(bad)} of {len(commands)} commands differ from redis-server:\n"
            + "\n".join(bad) + "\n--- unified diff of the redis-cli outputs (markers are "
            + "'\"@@<line>\"') ---\n" + udiff)
    print(f"  {name}: {len(commands)} commands, identical output")


def main():
    scripts = sorted(glob.glob(os.path.join(DIFF_DIR, "*.txt")))
    assert scripts, f"no scripts in {DIFF_DIR}"
    with kvdtest.redis_server() as redis, kvdtest.server(http=False) as kvd:
        tests = []
        for path in scripts:
            def t(kvd, redis, path=path):
                run_script(path, kvd, redis)
            t.__name__ = "diff_" + os.path.splitext(os.path.basename(path))[0]
            tests.append(t)
        return kvdtest.run_tests(tests, kvd, redis)


if __name__ == "__main__":
    kvdtest.main(main)
