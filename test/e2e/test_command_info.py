#!/usr/bin/python3
"""COMMAND INFO / COMMAND DOCS / COMMAND GETKEYS of kvd against Debian's redis-server 7.0.

For every command and subcommand in kvd's `COMMAND LIST`, `COMMAND INFO name` and
`COMMAND DOCS name` must equal redis-server's: compared as parsed RESP2 replies (redis-py) and
as typed RESP3 trees (sets, maps, simple vs bulk strings kept apart). Redis prints subcommands
in hash-table order and kvd in table order, and kvd may implement fewer subcommands of a
container (CONFIG, CLIENT...), so subcommand lists are compared sorted by name and restricted
to the subcommands kvd lists; each of those is also compared on its own. Then COMMAND COUNT,
and COMMAND GETKEYS / GETKEYSANDFLAGS byte for byte on generated argument lists for every
command kvd has keys for.
"""
import os
import random
import socket
import sys

import redis

import kvdtest

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------------
# A raw RESP2/RESP3 client that keeps types (redis-py 4.3 has no RESP3).

class Raw:
    def __init__(self, port, resp=2):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.pos = 0
        if resp == 3:
            self.call("HELLO", "3")

    def close(self):
        self.sock.close()

    def call(self, *args):
        """Sends one command; returns (exact reply bytes, typed tree)."""
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        self.buf = self.buf[self.pos:]
        self.pos = 0
        tree = self._read()
        return self.buf[:self.pos], tree

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos:end]
                self.pos = end + 2
                return line
            self._fill()

    def _read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-", b":", b",", b"#", b"("):
            return (t.decode(), rest.decode())
        if t == b"_":
            return ("null", None)
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return ("null", None)
            while len(self.buf) < self.pos + n + 2:
                self._fill()
            data = self.buf[self.pos:self.pos + n]
            self.pos += n + 2
            return ("$", data.decode("utf-8", "replace"))
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return ("null", None)
            return (t.decode(), [self._read() for _ in range(n)])
        if t == b"%":
            n = int(rest)
            return ("%", [(self._read(), self._read()) for _ in range(n)])
        raise ValueError(f"unexpected RESP type in {line!r}")


def raw_py(client, *args):
    """A redis-py parsed reply without response callbacks (COMMAND has its own)."""
    conn = client.connection_pool.get_connection(args[0])
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        client.connection_pool.release(conn)


# ---------------------------------------------------------------------------------------------
# Normalization: subcommands sorted by name and restricted to kvd's.

def s(x):
    return x.decode() if isinstance(x, bytes) else x


def norm_info_py(entry, keep):
    """A parsed RESP2 COMMAND INFO entry with its subcommand list normalized."""
    if entry is None:
        return None
    entry = list(entry)
    subs = [norm_info_py(e, keep) for e in entry[9] if s(e[0]) in keep]
    entry[9] = sorted(subs, key=lambda e: s(e[0]))
    return entry


def norm_docs_py(flat, keep):
    """A parsed RESP2 docs map (flat list) with "subcommands" normalized."""
    out = list(flat)
    for i in range(0, len(out) - 1, 2):
        if s(out[i]) == "subcommands":
            v = out[i + 1]
            pairs = [(s(v[j]), norm_docs_py(v[j + 1], keep)) for j in range(0, len(v), 2) if s(v[j]) in keep]
            out[i + 1] = sorted(pairs)
    return out


def norm_info_3(tree, keep):
    if tree[0] != "*":
        return tree
    v = list(tree[1])
    subs = v[9]
    if subs[0] == "*":
        kept = [norm_info_3(e, keep) for e in subs[1] if e[1][0][1] in keep]
        v[9] = ("*", sorted(kept, key=lambda e: e[1][0][1]))
    return ("*", v)


def norm_docs_3(tree, keep):
    pairs = []
    for k, v in tree[1]:
        if k[1] == "subcommands":
            kept = [(sk, norm_docs_3(sv, keep)) for sk, sv in v[1] if sk[1] in keep]
            v = ("%", sorted(kept, key=lambda p: p[0][1]))
        pairs.append((k, v))
    return ("%", pairs)


def flat_pairs_3(tree):
    """RESP3 map reply as a list of (key, value) pairs."""
    return list(tree[1])


# ---------------------------------------------------------------------------------------------

WORDS = ["a", "b", "c", "0", "1", "2", "3", "-1", "2abc", "STORE", "store", "STOREDIST", "KEYS", "STREAMS",
         "BY", "GET", "LIMIT", "SET", "INCRBY", "OVERFLOW", "COUNT", "BLOCK", "GROUP", "NOACK", "AUTH", "COPY",
         "REPLACE", "", "WEIGHTS", "LEFT", "MIN", "WITHSCORES", "EX", "x"]


def main():
    failures = []

    def fail(msg):
        failures.append(msg)
        print("FAIL:", msg, file=sys.stderr)

    with kvdtest.server() as k, kvdtest.redis_server() as r:
        kpy = redis.Redis(host="127.0.0.1", port=k.port)
        rpy = redis.Redis(host="127.0.0.1", port=r.port)
        k2, r2 = Raw(k.port, 2), Raw(r.port, 2)
        k3, r3 = Raw(k.port, 3), Raw(r.port, 3)
        try:
            names = [s(n) for n in raw_py(kpy, "COMMAND", "LIST")]
            keep = set(names)
            redis_names = set(s(n) for n in raw_py(rpy, "COMMAND", "LIST"))
            if not names:
                fail("kvd's COMMAND LIST is empty")
            extra = sorted(keep - redis_names)
            if extra:
                print(f"note: not in Redis 7.0, not compared: {extra}")
            names = [n for n in names if n in redis_names]

            top = [n for n in keep if "|" not in n]
            # Containers are compared over the subcommands both sides have (kvd-only ones,
            # such as 7.2's CLIENT SETINFO, are listed above and not compared).
            keep = keep & redis_names
            count = raw_py(kpy, "COMMAND", "COUNT")
            if count != len(top):
                fail(f"COMMAND COUNT is {count}, COMMAND LIST has {len(top)} top-level commands")

            for name in names:
                # RESP2, parsed by redis-py.
                mine = raw_py(kpy, "COMMAND", "INFO", name)
                theirs = raw_py(rpy, "COMMAND", "INFO", name)
                if [norm_info_py(e, keep) for e in mine] != [norm_info_py(e, keep) for e in theirs]:
                    fail(f"COMMAND INFO {name} (RESP2):\n  kvd:   {mine}\n  redis: {theirs}")
                mine = raw_py(kpy, "COMMAND", "DOCS", name)
                theirs = raw_py(rpy, "COMMAND", "DOCS", name)
                if len(mine) != 2 or len(theirs) != 2 or mine[0] != theirs[0] or \
                        norm_docs_py(mine[1], keep) != norm_docs_py(theirs[1], keep):
                    fail(f"COMMAND DOCS {name} (RESP2):\n  kvd:   {mine}\n  redis: {theirs}")

                # RESP3, typed; exact bytes unless subcommand order or set differs.
                for what, norm in (("INFO", norm_info_3), ("DOCS", norm_docs_3)):
                    mb, mt = k3.call("COMMAND", what, name)
                    tb, tt = r3.call("COMMAND", what, name)
                    if mb == tb:
                        continue
                    if what == "INFO":
                        same = mt[0] == tt[0] == "*" and [norm(e, keep) for e in mt[1]] == [norm(e, keep) for e in tt[1]]
                    else:
                        same = mt[0] == tt[0] == "%" and len(mt[1]) == len(tt[1]) == 1 and \
                            mt[1][0][0] == tt[1][0][0] and norm(mt[1][0][1], keep) == norm(tt[1][0][1], keep)
                    if not same:
                        fail(f"COMMAND {what} {name} (RESP3):\n  kvd:   {mb[:600]!r}\n  redis: {tb[:600]!r}")

            # A name kvd lacks answers nil, as Redis does for unknown names.
            missing = sorted(n for n in redis_names - keep if "|" not in n)
            if missing:
                for conn in (k2, k3):
                    mb, _ = conn.call("COMMAND", "INFO", missing[0])
                    if mb not in (b"*1\r\n$-1\r\n", b"*1\r\n_\r\n"):
                        fail(f"COMMAND INFO {missing[0]} (not in kvd) gave {mb!r}")

            # GETKEYS / GETKEYSANDFLAGS on generated argument lists, byte for byte.
            # Containers are skipped (kvd may lack the subcommand a random argument names);
            # their subcommands are checked by full name.
            rnd = random.Random(7)
            containers = {n.split("|")[0] for n in keep if "|" in n}
            for name in names:
                if name.startswith("command") or name in containers:
                    continue
                parts = name.split("|")
                for _ in range(25):
                    args = [rnd.choice(WORDS) for _ in range(rnd.randint(0, 8))]
                    for sub in ("GETKEYS", "GETKEYSANDFLAGS"):
                        for kc, rc in ((k2, r2), (k3, r3)):
                            mb, _ = kc.call("COMMAND", sub, *parts, *args)
                            tb, _ = rc.call("COMMAND", sub, *parts, *args)
                            if mb != tb:
                                fail(f"COMMAND {sub} {' '.join(parts + args)!r}:\n  kvd:   {mb!r}\n  redis: {tb!r}")
                                break

            # HELP is identical.
            for kc, rc in ((k2, r2), (k3, r3)):
                if kc.call("COMMAND", "HELP")[0] != rc.call("COMMAND", "HELP")[0]:
                    fail("COMMAND HELP differs")
        finally:
            for c in (k2, r2, k3, r3):
                c.close()

    if failures:
        print(f"{len(failures)} mismatches", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {len(names)} commands and subcommands match Redis 7.0")


if __name__ == "__main__":
    main()
