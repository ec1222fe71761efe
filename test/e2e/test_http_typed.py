#!/usr/bin/python3
"""End-to-end test of the typed HTTP routes (issue 3, HTTP part; include/kvd/http/typed_routes.hpp).

Starts a real kvd-server (kvdtest.server()) and drives with curl (curl_client.py):
- /v1/lists/{key}: POST ?end=left|right (JSON array or raw body), GET ?start=&stop=,
  DELETE ?end=&count=;
- /v1/queues/{key} (FIFO: RPUSH, LPOP, LINDEX 0) and /v1/stacks/{key} (LIFO: RPUSH, RPOP,
  LINDEX -1), 404 when empty;
- /v1/sets/{key} (GET, POST, DELETE ?member=) and /v1/sets/{key}/{member};
- /v1/hashes/{key} (GET as an object) and /v1/hashes/{key}/{field} (GET, PUT, DELETE);
- /v1/zsets/{key} (POST {"member","score"} or an array, GET by rank or by score with
  Redis syntax: (exclusive, -inf, +inf; DELETE ?member=) and /v1/zsets/{key}/{member};
- ?encoding=base64 round trips of binary bytes on every typed resource;
- errors: 409 WRONGTYPE (also GET /v1/kv/{key} of a list), 400 bad parameters and bodies,
  404 missing keys, members and fields;
- RESP (redis-py, redis-cli) sees what HTTP wrote and HTTP what RESP wrote;
- under appendfsync always a typed write's response leaves after its AOF record is on disk.
"""
import base64
import glob
import json
import os
import sys
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from curl_client import curl  # noqa: E402

FAILURES = []
J = ["Content-Type: application/json"]
RAW = ["Content-Type: application/octet-stream"]
ALL_BYTES = bytes(range(256))
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def js(r):
    """The body as JSON, or None when it is not JSON."""
    try:
        return r.json()
    except ValueError:
        return None


def is_error(r, status, code):
    body = js(r)
    return (r.status == status and r.content_type.startswith("application/json") and isinstance(body, dict)
            and isinstance(body.get("error"), str) and body.get("code") == code)


def is_ok(r, want):
    return r.status == 200 and r.content_type.startswith("application/json") and js(r) == want


def b64(b):
    return base64.b64encode(b).decode()


def seg(s):
    """A path segment: every reserved character percent-encoded."""
    return urllib.parse.quote(s, safe="")


def post_json(p, path, obj):
    return curl(p, "POST", path, J, json.dumps(obj))


def test_lists(s, rc):
    p = s.http_port
    r = post_json(p, "/v1/lists/l1", ["a", "b", "c"])
    check(is_ok(r, {"length": 3}), "POST JSON array RPUSHes -> {length:3} (%r)" % r)
    r = post_json(p, "/v1/lists/l1?end=left", ["z", "y"])
    check(is_ok(r, {"length": 5}), "POST ?end=left LPUSHes (%r)" % r)
    check(rc.lrange("l1", 0, -1) == ["y", "z", "a", "b", "c"], "RESP LRANGE sees HTTP pushes in order")
    r = curl(p, "POST", "/v1/lists/l1", ["Content-Type: text/plain"], '["not", "an array"]')
    check(is_ok(r, {"length": 6}), "POST text/plain body is one raw element (%r)" % r)
    check(rc.lindex("l1", -1) == '["not", "an array"]', "raw body stored verbatim")
    r = post_json(p, "/v1/lists/l1?end=right", ["d"])
    check(is_ok(r, {"length": 7}), "POST ?end=right (%r)" % r)

    r = curl(p, "GET", "/v1/lists/l1")
    check(is_ok(r, ["y", "z", "a", "b", "c", '["not", "an array"]', "d"]), "GET whole list (%r)" % r)
    r = curl(p, "GET", "/v1/lists/l1?start=1&stop=2")
    check(is_ok(r, ["z", "a"]), "GET ?start=1&stop=2 (%r)" % r)
    r = curl(p, "GET", "/v1/lists/l1?start=-2")
    check(is_ok(r, ['["not", "an array"]', "d"]), "GET ?start=-2 (stop defaults to -1) (%r)" % r)
    r = curl(p, "GET", "/v1/lists/l1?start=100")
    check(is_ok(r, []), "GET range past the end of an existing list -> 200 [] (%r)" % r)
    r = curl(p, "GET", "/v1/lists/nosuchlist")
    check(is_error(r, 404, "NOT_FOUND"), "GET missing list -> 404 (%r)" % r)

    r = curl(p, "DELETE", "/v1/lists/l1")
    check(is_ok(r, {"values": ["y"]}), "DELETE pops the head by default (%r)" % r)
    r = curl(p, "DELETE", "/v1/lists/l1?end=right")
    check(is_ok(r, {"values": ["d"]}), "DELETE ?end=right pops the tail (%r)" % r)
    r = curl(p, "DELETE", "/v1/lists/l1?count=2")
    check(is_ok(r, {"values": ["z", "a"]}), "DELETE ?count=2 (%r)" % r)
    r = curl(p, "DELETE", "/v1/lists/l1?end=right&count=10")
    check(is_ok(r, {"values": ['["not", "an array"]', "c", "b"]}),
          "DELETE ?end=right&count=10 pops the rest, tail first (%r)" % r)
    check(rc.exists("l1") == 0, "emptied list is deleted (RESP EXISTS 0)")
    r = curl(p, "DELETE", "/v1/lists/l1")
    check(is_error(r, 404, "NOT_FOUND"), "DELETE on a missing list -> 404 (%r)" % r)
    r = curl(p, "DELETE", "/v1/lists/l1?count=3")
    check(is_error(r, 404, "NOT_FOUND"), "DELETE ?count on a missing list -> 404 (%r)" % r)

    rc.rpush("l2", "1", "2", "3")
    check(is_ok(curl(p, "GET", "/v1/lists/l2"), ["1", "2", "3"]), "HTTP GET sees RESP RPUSH")
    out = kvdtest.redis_cli(s.port, "LRANGE", "l2", "0", "-1")
    check(out.split() == ["1", "2", "3"], "redis-cli LRANGE (%r)" % out)

    # bad parameters and bodies
    for path, what in (("/v1/lists/l2?end=middle", "end=middle"), ("/v1/lists/l2?count=0", "count=0"),
                       ("/v1/lists/l2?count=-1", "count=-1"), ("/v1/lists/l2?count=x", "count=x")):
        check(is_error(curl(p, "DELETE", path), 400, "BAD_REQUEST"), "DELETE %s -> 400" % what)
    for q in ("start=a", "stop=1.5", "start=", "encoding=hex"):
        check(is_error(curl(p, "GET", "/v1/lists/l2?" + q), 400, "BAD_REQUEST"), "GET ?%s -> 400" % q)
    check(is_error(post_json(p, "/v1/lists/l2?end=top", ["x"]), 400, "BAD_REQUEST"), "POST ?end=top -> 400")
    for body in ('{"a": 1}', "[]", "[1]", '[null]', "[", '"x"', ""):
        r = curl(p, "POST", "/v1/lists/l2", J, body)
        check(is_error(r, 400, "BAD_REQUEST"), "POST JSON body %r -> 400 (%r)" % (body, r))
    check(rc.lrange("l2", 0, -1) == ["1", "2", "3"], "rejected requests changed nothing")
    r = curl(p, "PUT", "/v1/lists/l2", J, '["x"]')
    check(r.status == 405 and r.headers.get("allow") == "GET, POST, DELETE", "PUT -> 405 Allow (%r)" % r)

    # type clashes
    rc.set("str", "v")
    for m, path, hdr, data in (("GET", "/v1/lists/str", (), None), ("POST", "/v1/lists/str", J, '["x"]'),
                               ("DELETE", "/v1/lists/str", (), None),
                               ("DELETE", "/v1/lists/str?count=2", (), None)):
        r = curl(p, m, path, hdr, data)
        check(is_error(r, 409, "WRONGTYPE") and js(r)["error"] == WRONGTYPE, "%s %s -> 409 WRONGTYPE (%r)" % (
            m, path, r))
    check(rc.get("str") == "v", "string untouched")


def test_queues_stacks(s, rc):
    p = s.http_port
    r = post_json(p, "/v1/queues/q", ["j1", "j2"])
    check(is_ok(r, {"length": 2}), "enqueue JSON array (%r)" % r)
    r = curl(p, "POST", "/v1/queues/q", RAW, "j3")
    check(is_ok(r, {"length": 3}), "enqueue raw body (%r)" % r)
    check(rc.type("q") == "list" and rc.lrange("q", 0, -1) == ["j1", "j2", "j3"], "RESP sees a list j1 j2 j3")
    check(is_ok(curl(p, "GET", "/v1/queues/q"), {"value": "j1"}), "peek the front")
    got = [js(curl(p, "DELETE", "/v1/queues/q")) for _ in range(3)]
    check(got == [{"value": "j1"}, {"value": "j2"}, {"value": "j3"}], "dequeue is FIFO (%r)" % got)
    r = curl(p, "DELETE", "/v1/queues/q")
    check(is_error(r, 404, "NOT_FOUND") and js(r)["error"] == "empty queue", "dequeue empty -> 404 (%r)" % r)
    r = curl(p, "GET", "/v1/queues/q")
    check(is_error(r, 404, "NOT_FOUND"), "peek empty queue -> 404 (%r)" % r)
    check(rc.exists("q") == 0, "emptied queue is deleted")
    rc.rpush("q", "from-resp")
    check(is_ok(curl(p, "DELETE", "/v1/queues/q"), {"value": "from-resp"}), "dequeue what RESP enqueued")

    r = post_json(p, "/v1/stacks/st", ["s1", "s2"])
    check(is_ok(r, {"length": 2}), "push JSON array (%r)" % r)
    check(is_ok(curl(p, "POST", "/v1/stacks/st", ["Content-Type: text/plain"], "s3"), {"length": 3}), "push raw")
    check(rc.lrange("st", 0, -1) == ["s1", "s2", "s3"], "RESP sees the stack as a list, top last")
    check(is_ok(curl(p, "GET", "/v1/stacks/st"), {"value": "s3"}), "peek the top")
    got = [js(curl(p, "DELETE", "/v1/stacks/st")) for _ in range(3)]
    check(got == [{"value": "s3"}, {"value": "s2"}, {"value": "s1"}], "pop is LIFO (%r)" % got)
    r = curl(p, "DELETE", "/v1/stacks/st")
    check(is_error(r, 404, "NOT_FOUND") and js(r)["error"] == "empty stack", "pop empty -> 404 (%r)" % r)
    check(is_error(curl(p, "GET", "/v1/stacks/st"), 404, "NOT_FOUND"), "peek empty stack -> 404")
    # queues and stacks are lists: one key, three views
    post_json(p, "/v1/lists/shared", ["a", "b", "c"])
    check(is_ok(curl(p, "GET", "/v1/queues/shared"), {"value": "a"}) and
          is_ok(curl(p, "GET", "/v1/stacks/shared"), {"value": "c"}), "a list read as queue and as stack")

    rc.sadd("aset", "x")
    for path in ("/v1/queues/aset", "/v1/stacks/aset"):
        for m, hdr, data in (("GET", (), None), ("POST", J, '["x"]'), ("DELETE", (), None)):
            r = curl(p, m, path, hdr, data)
            check(is_error(r, 409, "WRONGTYPE"), "%s %s on a set -> 409 (%r)" % (m, path, r))
    for path in ("/v1/queues/q", "/v1/stacks/q"):
        r = post_json(p, path, [])
        check(is_error(r, 400, "BAD_REQUEST"), "POST [] to %s -> 400 (%r)" % (path, r))
        r = curl(p, "PUT", path)
        check(r.status == 405 and r.headers.get("allow") == "GET, POST, DELETE", "PUT %s -> 405 (%r)" % (path, r))


def test_sets(s, rc):
    p = s.http_port
    r = post_json(p, "/v1/sets/s1", ["a", "b", "a"])
    check(is_ok(r, {"added": 2}), "POST JSON array SADDs (%r)" % r)
    r = curl(p, "POST", "/v1/sets/s1", ["Content-Type: text/plain"], "a/b")
    check(is_ok(r, {"added": 1}), "POST raw body adds one member (%r)" % r)
    check(rc.smembers("s1") == {"a", "b", "a/b"}, "RESP SMEMBERS sees them")
    r = curl(p, "GET", "/v1/sets/s1")
    check(r.status == 200 and sorted(js(r)) == ["a", "a/b", "b"], "GET members (%r)" % r)
    r = curl(p, "GET", "/v1/sets/s1/a")
    check(is_ok(r, {"member": "a", "exists": True}), "GET member -> 200 exists (%r)" % r)
    r = curl(p, "GET", "/v1/sets/s1/" + seg("a/b"))
    check(is_ok(r, {"member": "a/b", "exists": True}), "GET %%2F-encoded member (%r)" % r)
    r = curl(p, "GET", "/v1/sets/s1/zz")
    check(is_error(r, 404, "NOT_FOUND") and js(r).get("exists") is False and js(r).get("member") == "zz",
          "GET non-member -> 404 exists:false (%r)" % r)
    r = curl(p, "GET", "/v1/sets/nosuchset/a")
    check(is_error(r, 404, "NOT_FOUND"), "GET member of a missing set -> 404 (%r)" % r)
    r = curl(p, "DELETE", "/v1/sets/s1?member=a&member=zz")
    check(is_ok(r, {"removed": 1}), "DELETE ?member=a&member=zz -> removed 1 (%r)" % r)
    r = curl(p, "DELETE", "/v1/sets/s1?member=" + seg("a/b"))
    check(is_ok(r, {"removed": 1}), "DELETE percent-encoded member (%r)" % r)
    check(rc.smembers("s1") == {"b"}, "RESP sees the removal")
    r = curl(p, "DELETE", "/v1/sets/s1")
    check(is_error(r, 400, "BAD_REQUEST"), "DELETE without member -> 400 (%r)" % r)
    r = curl(p, "DELETE", "/v1/sets/s1?member=b")
    check(is_ok(r, {"removed": 1}) and rc.exists("s1") == 0, "removing the last member deletes the key")
    check(is_error(curl(p, "GET", "/v1/sets/s1"), 404, "NOT_FOUND"), "GET missing set -> 404")
    check(is_ok(curl(p, "DELETE", "/v1/sets/s1?member=x"), {"removed": 0}), "DELETE from missing set -> removed 0")

    rc.sadd("s2", "1", "2", "3")
    r = curl(p, "GET", "/v1/sets/s2")
    check(r.status == 200 and sorted(js(r)) == ["1", "2", "3"], "HTTP sees RESP SADD (intset) (%r)" % r)
    out = kvdtest.redis_cli(s.port, "SISMEMBER", "s2", "2")
    check(out.strip() == "1", "redis-cli SISMEMBER (%r)" % out)

    for body in ('{"a": 1}', "[]", "[1]", "["):
        check(is_error(curl(p, "POST", "/v1/sets/s2", J, body), 400, "BAD_REQUEST"), "POST %r -> 400" % body)
    check(is_error(curl(p, "GET", "/v1/sets/s2?encoding=x"), 400, "BAD_REQUEST"), "GET ?encoding=x -> 400")
    r = curl(p, "GET", "/v1/sets/s2/a/b")
    check(is_error(r, 404, "NOT_FOUND"), "GET /v1/sets/k/a/b -> 404 no such route (%r)" % r)
    r = curl(p, "GET", "/v1/sets//a")
    check(is_error(r, 400, "BAD_REQUEST"), "empty key segment -> 400 (%r)" % r)
    r = curl(p, "POST", "/v1/sets/s2/a", J, '["x"]')
    check(r.status == 405 and r.headers.get("allow") == "GET", "POST member route -> 405 Allow: GET (%r)" % r)

    rc.rpush("alist", "x")
    for m, path, hdr, data in (("GET", "/v1/sets/alist", (), None), ("POST", "/v1/sets/alist", J, '["x"]'),
                               ("DELETE", "/v1/sets/alist?member=x", (), None), ("GET", "/v1/sets/alist/x", (), None)):
        r = curl(p, m, path, hdr, data)
        check(is_error(r, 409, "WRONGTYPE"), "%s %s -> 409 (%r)" % (m, path, r))


def test_hashes(s, rc):
    p = s.http_port
    r = curl(p, "PUT", "/v1/hashes/h1/name", RAW, "kvd")
    check(is_ok(r, {"added": 1}), "PUT raw field value -> added 1 (%r)" % r)
    r = curl(p, "PUT", "/v1/hashes/h1/name", ["Content-Type: text/plain"], "kvd2")
    check(is_ok(r, {"added": 0}), "PUT again -> added 0 (%r)" % r)
    r = curl(p, "PUT", "/v1/hashes/h1/lang", J, '{"value": "C++"}')
    check(is_ok(r, {"added": 1}), "PUT JSON {value} (%r)" % r)
    r = curl(p, "PUT", "/v1/hashes/h1/" + seg("a b/c"), J, '{"value": {"base64": "/w=="}}')
    check(is_ok(r, {"added": 1}), "PUT JSON {value: {base64}} on a %%-encoded field (%r)" % r)
    check(s.client(decode_responses=False).hgetall("h1") == {b"name": b"kvd2", b"lang": b"C++", b"a b/c": b"\xff"},
          "RESP HGETALL sees the fields")
    r = curl(p, "GET", "/v1/hashes/h1")
    check(is_ok(r, {"name": "kvd2", "lang": "C++", "a b/c": {"base64": "/w=="}}), "GET hash as an object (%r)" % r)
    r = curl(p, "GET", "/v1/hashes/h1/lang")
    check(is_ok(r, {"field": "lang", "value": "C++"}), "GET field (%r)" % r)
    r = curl(p, "GET", "/v1/hashes/h1/nope")
    check(is_error(r, 404, "NOT_FOUND"), "GET missing field -> 404 (%r)" % r)
    r = curl(p, "DELETE", "/v1/hashes/h1/lang")
    check(is_ok(r, {"deleted": 1}), "DELETE field -> deleted 1 (%r)" % r)
    r = curl(p, "DELETE", "/v1/hashes/h1/lang")
    check(is_ok(r, {"deleted": 0}), "DELETE again -> deleted 0 (%r)" % r)
    check(rc.hexists("h1", "lang") is False or rc.hexists("h1", "lang") == 0, "RESP sees HDEL")
    check(is_error(curl(p, "GET", "/v1/hashes/nohash"), 404, "NOT_FOUND"), "GET missing hash -> 404")
    check(is_error(curl(p, "GET", "/v1/hashes/nohash/f"), 404, "NOT_FOUND"), "GET field of missing hash -> 404")

    rc.hset("h2", mapping={"x": "1", "y": "2"})
    check(is_ok(curl(p, "GET", "/v1/hashes/h2"), {"x": "1", "y": "2"}), "HTTP sees RESP HSET")
    out = kvdtest.redis_cli(s.port, "HGET", "h1", "name")
    check(out.strip() == "kvd2", "redis-cli HGET (%r)" % out)

    for body in ('{"v": 1}', '"x"', "[", '{"value": 5}', '{"value": {"base64": "!"}}'):
        r = curl(p, "PUT", "/v1/hashes/h2/z", J, body)
        check(is_error(r, 400, "BAD_REQUEST"), "PUT JSON %r -> 400 (%r)" % (body, r))
    check(rc.hexists("h2", "z") in (False, 0), "rejected PUTs changed nothing")
    r = curl(p, "POST", "/v1/hashes/h2", J, "{}")
    check(r.status == 405 and r.headers.get("allow") == "GET", "POST /v1/hashes/{key} -> 405 (%r)" % r)
    r = curl(p, "PATCH", "/v1/hashes/h2/x")
    check(r.status == 405 and r.headers.get("allow") == "GET, PUT, DELETE", "PATCH field -> 405 (%r)" % r)

    # a field name that is not UTF-8 cannot be a JSON object key: 406 unless base64
    s.client(decode_responses=False).hset("hb", b"\xff\xfe", b"v")
    r = curl(p, "GET", "/v1/hashes/hb")
    check(is_error(r, 406, "NOT_ACCEPTABLE"), "GET hash with a binary field name -> 406 (%r)" % r)
    r = curl(p, "GET", "/v1/hashes/hb?encoding=base64")
    check(is_ok(r, {b64(b"\xff\xfe"): b64(b"v")}), "... with ?encoding=base64 -> 200 (%r)" % r)

    rc.sadd("aset2", "x")
    for m, path, hdr, data in (("GET", "/v1/hashes/aset2", (), None), ("GET", "/v1/hashes/aset2/f", (), None),
                               ("PUT", "/v1/hashes/aset2/f", RAW, "v"), ("DELETE", "/v1/hashes/aset2/f", (), None)):
        r = curl(p, m, path, hdr, data)
        check(is_error(r, 409, "WRONGTYPE"), "%s %s -> 409 (%r)" % (m, path, r))


def test_zsets(s, rc):
    p = s.http_port
    r = post_json(p, "/v1/zsets/z1", {"member": "a", "score": 1})
    check(is_ok(r, {"added": 1}), "POST one {member, score} (%r)" % r)
    r = post_json(p, "/v1/zsets/z1", [{"member": "b", "score": 2.5}, {"member": "c", "score": "3"},
                                      {"member": "top", "score": "+inf"}, {"member": "bottom", "score": "-inf"},
                                      {"member": "a", "score": 1}])
    check(is_ok(r, {"added": 4}), "POST an array -> added 4 (%r)" % r)
    check(rc.zrange("z1", 0, -1, withscores=True) ==
          [("bottom", float("-inf")), ("a", 1.0), ("b", 2.5), ("c", 3.0), ("top", float("inf"))],
          "RESP ZRANGE WITHSCORES sees them")
    everything = [{"member": "bottom", "score": "-inf"}, {"member": "a", "score": 1}, {"member": "b", "score": 2.5},
                  {"member": "c", "score": 3}, {"member": "top", "score": "inf"}]
    r = curl(p, "GET", "/v1/zsets/z1")
    check(is_ok(r, everything), "GET all by rank (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1?start=1&stop=2")
    check(is_ok(r, everything[1:3]), "GET ?start=1&stop=2 (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1?start=-2")
    check(is_ok(r, everything[3:]), "GET ?start=-2 (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1?min=1&max=3")
    check(is_ok(r, everything[1:4]), "GET ?min=1&max=3 (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1?min=%281&max=3")
    check(is_ok(r, everything[2:4]), "GET ?min=(1 exclusive (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1?min=1&max=%283")
    check(is_ok(r, everything[1:3]), "GET ?max=(3 exclusive (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1?min=-inf&max=%2Binf")
    check(is_ok(r, everything), "GET ?min=-inf&max=+inf (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1?min=2")
    check(is_ok(r, everything[2:]), "GET ?min=2 (max defaults to +inf) (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1?max=1")
    check(is_ok(r, everything[:2]), "GET ?max=1 (min defaults to -inf) (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1?min=100&max=200")
    check(is_ok(r, []), "GET empty score range of an existing zset -> 200 [] (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1/b")
    check(is_ok(r, {"member": "b", "score": 2.5}), "GET member score (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1/top")
    check(is_ok(r, {"member": "top", "score": "inf"}), "GET infinite score (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/z1/nope")
    check(is_error(r, 404, "NOT_FOUND"), "GET non-member -> 404 (%r)" % r)
    r = curl(p, "DELETE", "/v1/zsets/z1?member=a&member=nope")
    check(is_ok(r, {"removed": 1}), "DELETE ?member=a&member=nope -> removed 1 (%r)" % r)
    check(rc.zscore("z1", "a") is None and rc.zcard("z1") == 4, "RESP sees ZREM")
    post_json(p, "/v1/zsets/z1", {"member": "b", "score": -7})
    check(rc.zscore("z1", "b") == -7.0, "POST updates an existing score")
    check(is_error(curl(p, "GET", "/v1/zsets/nozset"), 404, "NOT_FOUND"), "GET missing zset -> 404")
    check(is_error(curl(p, "GET", "/v1/zsets/nozset?min=1"), 404, "NOT_FOUND"), "GET by score of missing zset -> 404")
    check(is_error(curl(p, "GET", "/v1/zsets/nozset/a"), 404, "NOT_FOUND"), "GET member of missing zset -> 404")

    rc.zadd("z2", {"x": 1.5, "y": 2})
    check(is_ok(curl(p, "GET", "/v1/zsets/z2"), [{"member": "x", "score": 1.5}, {"member": "y", "score": 2}]),
          "HTTP sees RESP ZADD")
    out = kvdtest.redis_cli(s.port, "ZSCORE", "z1", "c")
    check(out.strip() == "3", "redis-cli ZSCORE (%r)" % out)

    for q in ("start=1&min=2", "start=x", "stop=1.5", "encoding=nope"):
        r = curl(p, "GET", "/v1/zsets/z2?" + q)
        check(is_error(r, 400, "BAD_REQUEST"), "GET ?%s -> 400 BAD_REQUEST (%r)" % (q, r))
    r = curl(p, "GET", "/v1/zsets/z2?min=abc")
    check(is_error(r, 400, "ERR") and "float" in js(r)["error"], "GET ?min=abc -> 400 ERR from Redis (%r)" % r)
    for body in ('{"member": "a"}', '{"score": 1}', '{"member": "a", "score": null}', "[]", "[1]", "nope", "",
                 '{"member": 1, "score": 1}'):
        r = curl(p, "POST", "/v1/zsets/z2", J, body)
        check(is_error(r, 400, "BAD_REQUEST"), "POST %r -> 400 (%r)" % (body, r))
    r = post_json(p, "/v1/zsets/z2", {"member": "a", "score": "abc"})
    check(is_error(r, 400, "ERR"), "POST score 'abc' -> 400 ERR (%r)" % r)
    r = post_json(p, "/v1/zsets/z2", [{"member": "ok", "score": 1}, {"member": "bad", "score": "nan"}])
    check(is_error(r, 400, "ERR") and rc.zscore("z2", "ok") is None, "one bad score rejects the whole ZADD (%r)" % r)
    check(is_error(curl(p, "DELETE", "/v1/zsets/z2"), 400, "BAD_REQUEST"), "DELETE without member -> 400")

    rc.set("zstr", "v")
    for m, path, hdr, data in (("GET", "/v1/zsets/zstr", (), None), ("GET", "/v1/zsets/zstr?min=0", (), None),
                               ("POST", "/v1/zsets/zstr", J, '{"member": "a", "score": 1}'),
                               ("DELETE", "/v1/zsets/zstr?member=a", (), None), ("GET", "/v1/zsets/zstr/a", (), None)):
        r = curl(p, m, path, hdr, data)
        check(is_error(r, 409, "WRONGTYPE"), "%s %s -> 409 (%r)" % (m, path, r))


def test_base64(s, rc):
    p = s.http_port
    rb = s.client(decode_responses=False)
    odd = b"\x00\xff\x80"
    # lists: JSON base64 in, bytes in RESP, base64 or {"base64"} out
    r = post_json(p, "/v1/lists/bl?encoding=base64", [b64(ALL_BYTES), b64(odd)])
    check(is_ok(r, {"length": 2}), "POST ?encoding=base64 (%r)" % r)
    check(rb.lrange("bl", 0, -1) == [ALL_BYTES, odd], "RESP sees the decoded bytes")
    check(is_ok(curl(p, "GET", "/v1/lists/bl?encoding=base64"), [b64(ALL_BYTES), b64(odd)]), "GET ?encoding=base64")
    check(is_ok(curl(p, "GET", "/v1/lists/bl"), [{"base64": b64(ALL_BYTES)}, {"base64": b64(odd)}]),
          "GET without encoding: {base64} objects for non-UTF-8")
    r = post_json(p, "/v1/lists/bl", [{"base64": b64(b"\xfe")}, "text"])
    check(is_ok(r, {"length": 4}) and rb.lrange("bl", -2, -1) == [b"\xfe", b"text"], "{base64} elements in JSON bodies")
    check(is_ok(curl(p, "GET", "/v1/lists/bl?encoding=base64&start=-1"), [b64(b"text")]), "text rendered base64 too")
    r = curl(p, "DELETE", "/v1/lists/bl?encoding=base64&count=2")
    check(is_ok(r, {"values": [b64(ALL_BYTES), b64(odd)]}), "DELETE ?encoding=base64 (%r)" % r)
    r = curl(p, "POST", "/v1/lists/bl2", RAW, ALL_BYTES)
    check(is_ok(r, {"length": 1}) and rb.lindex("bl2", 0) == ALL_BYTES, "raw binary body is one element")
    check(is_error(post_json(p, "/v1/lists/bl?encoding=base64", ["!!"]), 400, "BAD_REQUEST"), "bad base64 -> 400")

    # queue and stack
    curl(p, "POST", "/v1/queues/bq", RAW, ALL_BYTES)
    curl(p, "POST", "/v1/stacks/bs", RAW, odd)
    check(is_ok(curl(p, "GET", "/v1/queues/bq?encoding=base64"), {"value": b64(ALL_BYTES)}), "queue peek base64")
    check(is_ok(curl(p, "DELETE", "/v1/queues/bq?encoding=base64"), {"value": b64(ALL_BYTES)}), "dequeue base64")
    check(is_ok(curl(p, "DELETE", "/v1/stacks/bs"), {"value": {"base64": b64(odd)}}), "stack pop {base64}")

    # sets: members in JSON, in the path and in ?member= as base64
    r = post_json(p, "/v1/sets/bset?encoding=base64", [b64(odd), b64(b"plain")])
    check(is_ok(r, {"added": 2}) and rb.smembers("bset") == {odd, b"plain"}, "SADD base64 members (%r)" % r)
    r = curl(p, "GET", "/v1/sets/bset?encoding=base64")
    check(r.status == 200 and sorted(js(r)) == sorted([b64(odd), b64(b"plain")]), "GET members base64 (%r)" % r)
    r = curl(p, "GET", "/v1/sets/bset/%s?encoding=base64" % seg(b64(odd)))
    check(is_ok(r, {"member": b64(odd), "exists": True}), "membership with a base64 path segment (%r)" % r)
    r = curl(p, "GET", "/v1/sets/bset/%FF?encoding=base64")
    check(is_error(r, 400, "BAD_REQUEST"), "path segment not base64 -> 400 (%r)" % r)
    r = curl(p, "DELETE", "/v1/sets/bset?encoding=base64&member=" + seg(b64(odd)))
    check(is_ok(r, {"removed": 1}) and rb.smembers("bset") == {b"plain"}, "SREM with base64 ?member= (%r)" % r)
    r = curl(p, "GET", "/v1/sets/bset/%00")
    check(r.status == 404, "%%00 path segment is a member byte (%r)" % r)
    rb.sadd("bset", b"\x00")
    check(is_ok(curl(p, "GET", "/v1/sets/bset/%00"), {"member": "\u0000", "exists": True}), "%%00 member found")

    # hashes: field in the path as base64, binary raw value
    field = b"\xff/f"
    r = curl(p, "PUT", "/v1/hashes/bh/%s?encoding=base64" % seg(b64(field)), RAW, ALL_BYTES)
    check(is_ok(r, {"added": 1}) and rb.hget("bh", field) == ALL_BYTES, "HSET base64 field, raw binary value (%r)" % r)
    r = curl(p, "PUT", "/v1/hashes/bh/%s?encoding=base64" % seg(b64(b"j")), J, json.dumps({"value": b64(odd)}))
    check(is_ok(r, {"added": 1}) and rb.hget("bh", b"j") == odd, "HSET JSON base64 value (%r)" % r)
    r = curl(p, "GET", "/v1/hashes/bh?encoding=base64")
    check(is_ok(r, {b64(field): b64(ALL_BYTES), b64(b"j"): b64(odd)}), "HGETALL base64 (%r)" % r)
    r = curl(p, "GET", "/v1/hashes/bh/%s?encoding=base64" % seg(b64(field)))
    check(is_ok(r, {"field": b64(field), "value": b64(ALL_BYTES)}), "HGET base64 (%r)" % r)
    r = curl(p, "GET", "/v1/hashes/bh/j")
    check(is_ok(r, {"field": "j", "value": {"base64": b64(odd)}}), "HGET without encoding: {base64} (%r)" % r)
    r = curl(p, "DELETE", "/v1/hashes/bh/%s?encoding=base64" % seg(b64(field)))
    check(is_ok(r, {"deleted": 1}) and rb.hexists("bh", field) in (False, 0), "HDEL base64 field (%r)" % r)

    # sorted sets
    r = post_json(p, "/v1/zsets/bz?encoding=base64", [{"member": b64(odd), "score": 1}, {"member": b64(b"t"),
                                                                                          "score": 0.5}])
    check(is_ok(r, {"added": 2}) and rb.zscore("bz", odd) == 1.0, "ZADD base64 members (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/bz?encoding=base64")
    check(is_ok(r, [{"member": b64(b"t"), "score": 0.5}, {"member": b64(odd), "score": 1}]), "ZRANGE base64 (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/bz")
    check(is_ok(r, [{"member": "t", "score": 0.5}, {"member": {"base64": b64(odd)}, "score": 1}]),
          "ZRANGE without encoding (%r)" % r)
    r = curl(p, "GET", "/v1/zsets/bz/%s?encoding=base64" % seg(b64(odd)))
    check(is_ok(r, {"member": b64(odd), "score": 1}), "ZSCORE base64 path segment (%r)" % r)
    r = post_json(p, "/v1/zsets/bz", {"member": {"base64": b64(b"\x01")}, "score": 2})
    check(is_ok(r, {"added": 1}) and rb.zscore("bz", b"\x01") == 2.0, "ZADD {base64} member (%r)" % r)
    r = curl(p, "DELETE", "/v1/zsets/bz?encoding=base64&member=%s&member=%s" % (seg(b64(odd)), seg(b64(b"t"))))
    check(is_ok(r, {"removed": 2}) and rb.zcard("bz") == 1, "ZREM base64 ?member= (%r)" % r)


def test_kv_and_typed(s, rc):
    p = s.http_port
    rc.rpush("kvlist", "x")
    r = curl(p, "GET", "/v1/kv/kvlist")
    check(is_error(r, 409, "WRONGTYPE") and js(r)["error"] == WRONGTYPE, "GET /v1/kv of a list -> 409 (%r)" % r)
    for key, make in (("kvset", lambda: rc.sadd("kvset", "m")), ("kvhash", lambda: rc.hset("kvhash", "f", "v")),
                      ("kvzset", lambda: rc.zadd("kvzset", {"m": 1}))):
        make()
        r = curl(p, "GET", "/v1/kv/" + key)
        check(is_error(r, 409, "WRONGTYPE"), "GET /v1/kv of a %s -> 409 (%r)" % (rc.type(key), r))
    r = curl(p, "DELETE", "/v1/kv/kvlist")
    check(is_ok(r, {"ok": True, "deleted": 1}), "DELETE /v1/kv removes a list (%r)" % r)
    check(is_error(curl(p, "GET", "/v1/lists/kvlist"), 404, "NOT_FOUND"), "... and it is gone")
    # ?db=N applies to the typed routes too
    post_json(p, "/v1/sets/indb?db=3", ["m"])
    check(is_error(curl(p, "GET", "/v1/sets/indb"), 404, "NOT_FOUND") and
          is_ok(curl(p, "GET", "/v1/sets/indb?db=3"), ["m"]), "?db=3 selects the database")
    keys, cursor = set(), "0"
    for _ in range(1000):
        r = curl(p, "GET", "/v1/keys?type=zset&count=100&cursor=" + cursor)
        if r.status != 200:
            break
        keys.update(js(r)["keys"])
        cursor = js(r)["cursor"]
        if cursor == "0":
            break
    check("kvzset" in keys and "kvlist" not in keys, "GET /v1/keys?type=zset lists the zset (%r)" % sorted(keys))


def test_fsync_always():
    """Under appendfsync always the typed writes' responses leave after their records are on disk."""
    with kvdtest.server("--appendonly", "yes", "--appendfsync", "always") as s:
        p = s.http_port

        def incr():
            files = glob.glob(os.path.join(s.dir, "appendonlydir", "*.incr.aof"))
            if not files:
                return b""
            with open(files[0], "rb") as f:
                return f.read()
        steps = (
            (lambda: post_json(p, "/v1/queues/dq", ["job-one"]), b"job-one"),
            (lambda: curl(p, "PUT", "/v1/hashes/dh/field-one", RAW, "hash-value-one"), b"hash-value-one"),
            (lambda: post_json(p, "/v1/sets/ds", ["set-member-one"]), b"set-member-one"),
            (lambda: post_json(p, "/v1/zsets/dz", {"member": "zset-member-one", "score": 1}), b"zset-member-one"),
            (lambda: curl(p, "DELETE", "/v1/queues/dq"), b"LPOP"),
        )
        for send, marker in steps:
            r = send()
            check(r.status == 200 and marker in incr(), "AOF holds %r when the response arrives (%r)" % (marker, r))


def main():
    def body():
        with kvdtest.server() as s:
            rc = s.client()
            for t in (test_lists, test_queues_stacks, test_sets, test_hashes, test_zsets, test_base64,
                      test_kv_and_typed):
                print("== " + t.__name__, flush=True)
                try:
                    t(s, rc)
                except Exception:
                    traceback.print_exc()
                    FAILURES.append(t.__name__ + " raised")
        print("== test_fsync_always", flush=True)
        try:
            test_fsync_always()
        except Exception:
            traceback.print_exc()
            FAILURES.append("test_fsync_always raised")
        if FAILURES:
            print("%d check(s) failed:" % len(FAILURES))
            for f in FAILURES:
                print("  " + f)
        else:
            print("all typed HTTP checks passed")
        return len(FAILURES)
    kvdtest.main(body)


if __name__ == "__main__":
    main()
