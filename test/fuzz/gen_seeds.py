#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into test/fuzz/corpus/<target>/.

Run once by hand when a target's input format changes (`/usr/bin/python3 test/fuzz/gen_seeds.py`);
the RDB seeds come from Debian's redis-server 7.0 (started here on a free loopback port with a
temporary dir and stopped), the rest is written out below. Regression inputs found by
tools/fuzz are added next to the seeds by hand and are never overwritten by this script
(their names start with "crash-" or "regress-").
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def seeds_resp():
    # first byte: chunk size selector
    put("resp", "set_get", b"\x00" + resp("SET", "k", "v") + resp("GET", "k"))
    put("resp", "pipeline_chunked", b"\x03" + resp("RPUSH", "l", "a", "b") + resp("LRANGE", "l", 0, -1) * 3)
    put("resp", "inline_mixed", b"\x07PING\r\nSET a \"x y\"\r\n" + resp("ECHO", "z"))
    put("resp", "empty_frames", b"\x01*0\r\n*-1\r\n\r\n" + resp("PING"))
    put("resp", "bad_bulk_len", b"\x02*1\r\n$-5\r\n")
    put("resp", "bad_mbulk", b"\x05*abc\r\n")
    put("resp", "big_bulk", b"\x0f*2\r\n$3\r\nSET\r\n$99999\r\n")
    put("resp", "binary", b"\x04" + resp("SET", b"\x00\r\n\xff", b"\r\n\x00"))
    put("resp", "unbalanced", b"\x00SET \"abc\n")


def seeds_inline():
    put("inline", "basic", b"SET k v\nGET k\n\n   \n")
    put("inline", "quotes", b"SET \"a b\" 'c d'\r\nECHO \"\\x41\\n\\t\"\nECHO 'it\\'s'\n")
    put("inline", "unbalanced", b"SET \"abc\nECHO 'x\n")
    put("inline", "star", b"*3 not a frame\n")
    put("inline", "closing_quote_glued", b"SET \"a\"b c\n")


def http(method, target, body=b"", ctype=None, extra=b""):
    h = b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method.encode(), target.encode())
    if ctype:
        h += b"Content-Type: %s\r\n" % ctype.encode()
    if body or method in ("POST", "PUT"):
        h += b"Content-Length: %d\r\n" % len(body)
    return h + extra + b"\r\n" + body


def seeds_http():
    put("http", "kv", http("PUT", "/v1/kv/a", b'{"value":"aGk=","encoding":"base64"}', "application/json")
        + http("GET", "/v1/kv/a") + http("DELETE", "/v1/kv/a"))
    put("http", "command", http("POST", "/v1/command", b'["SET","x",{"base64":"AAE="}]', "application/json")
        + http("POST", "/v1/command?encoding=base64", b'["GET","x"]', "application/json"))
    put("http", "lists", http("POST", "/v1/lists/l?end=left", b'["a","b"]', "application/json")
        + http("GET", "/v1/lists/l?start=0&stop=-1") + http("DELETE", "/v1/queues/l"))
    put("http", "hashes", http("POST", "/v1/hashes/h", b'{"f":"v"}', "application/json")
        + http("GET", "/v1/hashes/h/f") + http("DELETE", "/v1/hashes/h/f?encoding=base64"))
    put("http", "zsets", http("POST", "/v1/zsets/z", b'[{"member":"m","score":1.5}]', "application/json")
        + http("GET", "/v1/zsets/z?withscores=true"))
    put("http", "sets", http("POST", "/v1/sets/s", b'["a"]', "application/json") + http("GET", "/v1/sets/s/a"))
    put("http", "seeds", http("POST", "/api/v0/set", b'{"key":"k","value":"v"}', "application/json")
        + http("GET", "/api/v0/get?key=k") + http("POST", "/db/k", b"raw", "application/octet-stream")
        + http("GET", "/db/k?format=json") + http("POST", "/blobs/b", b"x") + http("GET", "/blobs"))
    put("http", "ops", http("GET", "/v1/info?section=keyspace") + http("GET", "/v1/keys?match=*&count=5")
        + http("GET", "/health") + http("GET", "/v1/openapi.json"))
    put("http", "bad", http("GET", "/v1/kv/%2e%2e%2fetc%2fpasswd") + http("PUT", "/v1/kv/a", b"{\xff\xfe", "application/json")
        + http("POST", "/v1/command", b"[]", "application/json"))


def seeds_aof():
    # first byte: bit 0 = aof-load-truncated
    body = (resp("SELECT", 0) + resp("SET", "k", "v") + resp("PEXPIREAT", "k", 4102444800000)
            + resp("RPUSH", "l", "a", "b", "c") + resp("HSET", "h", "f", "v") + resp("SADD", "s", 1, 2, 3)
            + resp("ZADD", "z", "1.5", "m") + resp("SELECT", 3) + resp("INCRBY", "n", 5) + resp("DEL", "k"))
    put("aof", "types", b"\x00" + body)
    put("aof", "torn_tail", b"\x01" + body + b"*3\r\n$3\r\nSET\r\n$1\r\nx")
    put("aof", "torn_strict", b"\x00" + body[:-3])
    put("aof", "unknown_cmd", b"\x00" + resp("NOSUCH", "a"))
    put("aof", "garbage_mid", b"\x01" + resp("SET", "a", "1") + b"xx\r\n" + resp("SET", "b", "2"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def seeds_rdb():
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        srv = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                                "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        try:
            cli = ["redis-cli", "-p", str(port)]
            for _ in range(100):
                if subprocess.run(cli + ["ping"], capture_output=True).stdout.strip() == b"PONG":
                    break
                time.sleep(0.05)
            cmds = [["set", "s", "v"], ["set", "i", "12345"], ["set", "big", "x" * 200],
                    ["set", "t", "v", "px", "999999999"], ["rpush", "l", "a", "1", "bb"],
                    ["sadd", "si", "1", "2", "3"], ["sadd", "ss", "a", "b"], ["hset", "h", "f", "v", "g", "2"],
                    ["zadd", "z", "1", "a", "2.5", "b"], ["select", "2"], ["set", "db2", "x"]]
            script = "\n".join(" ".join(c) for c in cmds) + "\n"
            subprocess.run(cli, input=script.encode(), capture_output=True, check=True)
            # big encodings: hashtable set/hash, skiplist zset, multi-node quicklist
            pipe = []
            for i in range(200):
                pipe.append("sadd hs m%d" % i)
                pipe.append("hset hh f%d %s" % (i, "v" * 70))
                pipe.append("zadd zs %d m%d" % (i, i))
                pipe.append("rpush ll %s" % ("e%d" % i * 5))
            subprocess.run(cli, input=("\n".join(pipe) + "\n").encode(), capture_output=True, check=True)
            subprocess.run(cli + ["save"], capture_output=True, check=True)
            with open(os.path.join(d, "dump.rdb"), "rb") as f:
                data = f.read()
        finally:
            subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
            srv.wait(timeout=10)
    # No ".rdb" suffix: .gitignore ignores *.rdb, and the seeds must be in the repository
    # (ctest fuzz.rdb replays this folder; it fails on an empty one).
    put("rdb", "redis70_all_types", data)
    put("rdb", "truncated", data[: len(data) // 2])
    put("rdb", "empty_v10", b"REDIS0010\xff" + b"\x00" * 8)


if __name__ == "__main__":
    seeds_resp()
    seeds_inline()
    seeds_http()
    seeds_aof()
    seeds_rdb()
    print("seeds written to", CORPUS, file=sys.stderr)
