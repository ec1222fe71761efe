#!/usr/bin/python3
"""Generates src/command/command_meta.json from Debian's redis-server 7.0.

Starts /usr/bin/redis-server on a free 127.0.0.1 port (no persistence), asks it, over RESP3,
for COMMAND INFO and COMMAND DOCS of every command, writes the metadata that kvd's command
table does not carry, and stops the server. kvd's COMMAND family (src/command/command_family.cpp)
embeds the file and replays it.

Output: one compact JSON object keyed by lower-case command name; each value is
  {"arity": n, "flags": [...], "keys": [first, last, step], "acl": ["@..."],
   "tips": [...], "key_specs": [{...}], "docs": {...}, "subcommands": {"config|get": {...}}}
"arity", "flags", "keys" and "acl" are Redis's own values (kvd's table is authoritative for
them; COMMAND uses "flags" only for flags kvd's enum has no bit for, and tests cross-check).
"key_specs" and "docs" keep Redis's field order. Their RESP types follow from the field names
(the rules of `encode` below, which command_family.cpp implements too):
  object -> map, string -> bulk string, integer -> integer, array -> array, except arrays named
  "flags"/"doc_flags" (a set of simple strings) and "history" (a set).
Before writing, every command's INFO and DOCS reply is re-encoded from the JSON with those rules
and compared byte for byte with what redis-server sent, so the file is known to be lossless.

Usage: tools/gen_command_meta.py [--redis-server PATH] [--out PATH]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------------------------
# A minimal RESP3 client that keeps every reply's exact type.

class Node:
    """One RESP3 reply: kind is one of simple, error, int, bulk, null, array, map, set."""

    def __init__(self, kind, value):
        self.kind = kind
        self.value = value  # str for simple/error/bulk, int, list for aggregates (map: pairs)

    def __repr__(self):
        return f"Node({self.kind}, {self.value!r})"


class Resp3:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.pos = 0

    def close(self):
        self.sock.close()

    def call(self, *args):
        """Sends one command; returns (raw reply bytes, parsed Node)."""
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        self.buf = self.buf[self.pos:]
        self.pos = 0
        node = self._read()
        raw = self.buf[:self.pos]
        return raw, node

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("redis-server closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos:end]
                self.pos = end + 2
                return line
            self._fill()

    def _bytes(self, n):
        while len(self.buf) < self.pos + n + 2:
            self._fill()
        data = self.buf[self.pos:self.pos + n]
        self.pos += n + 2
        return data

    def _read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return Node("simple", rest.decode())
        if t == b"-":
            return Node("error", rest.decode())
        if t == b":":
            return Node("int", int(rest))
        if t == b"$":
            n = int(rest)
            return Node("null", None) if n < 0 else Node("bulk", self._bytes(n).decode())
        if t == b"_":
            return Node("null", None)
        if t in (b"*", b"~"):
            n = int(rest)
            if n < 0:
                return Node("null", None)
            return Node("array" if t == b"*" else "set", [self._read() for _ in range(n)])
        if t == b"%":
            n = int(rest)
            return Node("map", [(self._read(), self._read()) for _ in range(n)])
        raise ValueError(f"unexpected RESP3 type {line!r}")


# ---------------------------------------------------------------------------------------------
# Node <-> JSON, and the JSON -> RESP3 encoding that command_family.cpp implements.

SET_OF_SIMPLE = ("flags", "doc_flags")
SET_KEYS = ("history",)


def to_json(node):
    """Plain JSON value of a Node (maps keep their order; keys must be bulk strings)."""
    if node.kind in ("bulk", "simple"):
        return node.value
    if node.kind == "int":
        return node.value
    if node.kind in ("array", "set"):
        return [to_json(e) for e in node.value]
    if node.kind == "map":
        out = {}
        for k, v in node.value:
            assert k.kind == "bulk", k
            out[k.value] = to_json(v)
        return out
    raise ValueError(f"unexpected node {node!r}")


def _bulk(s):
    b = s.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def encode(value, key=None):
    """RESP3 bytes of a JSON value by the field-name rules (see the module docstring)."""
    if isinstance(value, bool):
        raise ValueError("booleans do not occur")
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, str):
        return _bulk(value)
    if isinstance(value, list):
        if key in SET_OF_SIMPLE:
            return b"~%d\r\n" % len(value) + b"".join(b"+%s\r\n" % v.encode() for v in value)
        head = b"~" if key in SET_KEYS else b"*"
        return head + b"%d\r\n" % len(value) + b"".join(encode(v) for v in value)
    if isinstance(value, dict):
        return b"%%%d\r\n" % len(value) + b"".join(_bulk(k) + encode(v, k) for k, v in value.items())
    raise ValueError(f"unexpected JSON value {value!r}")


def encode_info(name, meta, sub_order):
    """RESP3 bytes of COMMAND INFO for one command from its JSON (subcommands in sub_order)."""
    out = [b"*10\r\n", _bulk(name), b":%d\r\n" % meta["arity"]]
    out.append(b"~%d\r\n" % len(meta["flags"]) + b"".join(b"+%s\r\n" % f.encode() for f in meta["flags"]))
    out += [b":%d\r\n" % k for k in meta["keys"]]
    out.append(b"~%d\r\n" % len(meta["acl"]) + b"".join(b"+%s\r\n" % f.encode() for f in meta["acl"]))
    out.append(b"~%d\r\n" % len(meta["tips"]) + b"".join(_bulk(t) for t in meta["tips"]))
    out.append(b"~%d\r\n" % len(meta["key_specs"]) + b"".join(encode(s) for s in meta["key_specs"]))
    subs = meta.get("subcommands")
    if not subs:
        out.append(b"~0\r\n")
    else:
        out.append(b"*%d\r\n" % len(subs))
        for s in sub_order:
            out.append(encode_info(s, subs[s], []))
    return b"".join(out)


def encode_docs(meta, sub_order):
    """RESP3 bytes of one command's COMMAND DOCS map from its JSON."""
    docs = meta["docs"]
    subs = meta.get("subcommands")
    out = [b"%%%d\r\n" % (len(docs) + (1 if subs else 0))]
    for k, v in docs.items():
        out.append(_bulk(k) + encode(v, k))
    if subs:
        out.append(_bulk("subcommands") + b"%%%d\r\n" % len(subs))
        for s in sub_order:
            out.append(_bulk(s) + encode_docs(subs[s], []))
    return b"".join(out)


# ---------------------------------------------------------------------------------------------

def info_fields(node):
    """The metadata of one COMMAND INFO entry (a 10-element array), subcommands excluded."""
    assert node.kind == "array" and len(node.value) == 10, node
    v = node.value
    for i in (2, 6):
        assert v[i].kind == "set" and all(e.kind == "simple" for e in v[i].value), v[i]
    assert v[7].kind == "set" and all(e.kind == "bulk" for e in v[7].value), v[7]
    assert v[8].kind == "set", v[8]
    return v[0].value, {
        "arity": v[1].value,
        "flags": [e.value for e in v[2].value],
        "keys": [v[3].value, v[4].value, v[5].value],
        "acl": [e.value for e in v[6].value],
        "tips": [e.value for e in v[7].value],
        "key_specs": [to_json(e) for e in v[8].value],
    }, v[9]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_redis(binary):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{binary} exited with {proc.returncode}")
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{binary} did not start on port {port}")


def collect(port):
    """Returns (meta dict, list of (what, expected bytes, actual bytes) mismatches)."""
    c = Resp3(port)
    try:
        _, hello = c.call("HELLO", "3")
        assert hello.kind == "map", hello
        _, infos = c.call("COMMAND", "INFO")
        _, docs = c.call("COMMAND", "DOCS")
        assert infos.kind == "array" and docs.kind == "map"
        docs_by_name = {k.value: v for k, v in docs.value}

        meta, order = {}, {}
        for entry in infos.value:
            name, m, subs = info_fields(entry)
            doc = docs_by_name[name]
            doc_json = to_json(doc)
            doc_json.pop("subcommands", None)
            m["docs"] = doc_json
            sub_names = []
            if subs.kind == "array" and subs.value:
                m["subcommands"] = {}
                doc_fields = {k.value: v for k, v in doc.value}
                sub_docs = {k.value: v for k, v in doc_fields["subcommands"].value}
                for s in subs.value:
                    sname, sm, ssubs = info_fields(s)
                    assert ssubs.kind == "set" and not ssubs.value, sname
                    sd = to_json(sub_docs[sname])
                    sm["docs"] = sd
                    m["subcommands"][sname] = sm
                    sub_names.append(sname)
            else:
                assert subs.kind == "set" and not subs.value, name
            meta[name] = m
            order[name] = sub_names

        # Lossless check: re-encode each command from the JSON and compare with Redis's bytes.
        # Subcommands are taken in the order of that very reply: Redis iterates a hash table,
        # whose order may change between calls.
        roundtrip = json.loads(json.dumps(meta))
        bad = []

        def info_order(node):
            subs = node.value[0].value[9]
            return [e.value[0].value for e in subs.value] if subs.kind == "array" else []

        def docs_order(node):
            doc = dict((k.value, v) for k, v in node.value[0][1].value)
            return [k.value for k, _ in doc["subcommands"].value] if "subcommands" in doc else []

        for name in meta:
            raw_info, node = c.call("COMMAND", "INFO", name)
            mine = b"*1\r\n" + encode_info(name, roundtrip[name], info_order(node))
            if raw_info != mine:
                bad.append((f"INFO {name}", raw_info, mine))
            raw_docs, node = c.call("COMMAND", "DOCS", name)
            mine = b"%1\r\n" + _bulk(name) + encode_docs(roundtrip[name], docs_order(node))
            if raw_docs != mine:
                bad.append((f"DOCS {name}", raw_docs, mine))
            for s in order[name]:
                sub = roundtrip[name]["subcommands"][s]
                raw_info, _ = c.call("COMMAND", "INFO", s)
                mine = b"*1\r\n" + encode_info(s, sub, [])
                if raw_info != mine:
                    bad.append((f"INFO {s}", raw_info, mine))
                raw_docs, _ = c.call("COMMAND", "DOCS", s)
                mine = b"%1\r\n" + _bulk(s) + encode_docs(sub, [])
                if raw_docs != mine:
                    bad.append((f"DOCS {s}", raw_docs, mine))
        return meta, bad
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--redis-server", default="/usr/bin/redis-server")
    ap.add_argument("--out", default=os.path.join(ROOT, "src", "command", "command_meta.json"))
    args = ap.parse_args()

    proc, port = start_redis(args.redis_server)
    try:
        meta, bad = collect(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if bad:
        for what, theirs, mine in bad[:5]:
            print(f"mismatch in {what}:\n  redis: {theirs[:300]!r}\n  json:  {mine[:300]!r}", file=sys.stderr)
        sys.exit(f"{len(bad)} replies do not round-trip; the JSON rules need updating")

    # Stable output: commands and subcommands sorted by name, fields in Redis's order.
    ordered = {}
    for name in sorted(meta):
        m = meta[name]
        if "subcommands" in m:
            m["subcommands"] = {s: m["subcommands"][s] for s in sorted(m["subcommands"])}
        ordered[name] = m
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=True)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    nsub = sum(len(m.get("subcommands", {})) for m in ordered.values())
    print(f"wrote {args.out}: {len(ordered)} commands, {nsub} subcommands, {len(text)} bytes")


if __name__ == "__main__":
    main()
