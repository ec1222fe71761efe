#!/usr/bin/python3
"""End-to-end test of the seed stores' HTTP routes (issue 7, `http-compat-routes yes`).

The four systems kvd replaces are described in ../shared/seeds/; each route is driven with
the curl examples of its README (httpie's for seed 001, translated to curl), answered as
documented there, and every write is checked from RESP (redis-py), since all routes run
through the same dispatcher:
- 000 mini_db: /api/v0/ status, set, get, delete, get/all, keys/all, values/all;
- 001 db-key-value-store: /db/{key} POST (application/octet-stream only, 415 otherwise),
  GET (?format=json), DELETE;
- 002 small_db: /v1/health, PUT/GET/DELETE /v1/kv/{key}, POST /v1/checkpoint (BGSAVE with
  appendonly no: dump.rdb appears and holds the keys; BGREWRITEAOF with appendonly yes: a new
  AOF base appears in appendonlydir);
- 004 mini-kvstore-go: /blobs/{key} POST/GET/DELETE, GET /blobs, /health, /metrics.
Finally `http-compat-routes no` (at start and by CONFIG SET) turns the seed routes off.
"""
import base64
import os
import sys
import time
import zlib

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from curl_client import curl, curl_argv, run  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def is_json(r):
    return r.content_type.startswith("application/json")


def seed_000_mini_db(s, rc):
    p = s.http_port
    r = curl(p, "GET", "/api/v0/")
    check(r.status == 200 and is_json(r) and r.json() == {"message": "Api is running"},
          "GET /api/v0/ -> {message: Api is running} (%r)" % r)
    r = curl(p, "GET", "/api/v0")
    check(r.status == 200 and r.json() == {"message": "Api is running"}, "GET /api/v0 (no slash) (%r)" % r)

    # POST /api/v0/set {"key": "mykey", "value": "myvalue"}
    r = curl(p, "POST", "/api/v0/set", ["Content-Type: application/json"], '{"key": "mykey", "value": "myvalue"}')
    check(r.status == 200 and r.json() == {"status": "success", "message": "ok"}, "set -> success/ok (%r)" % r)
    check(rc.get("mykey") == b"myvalue", "RESP GET sees the value set over /api/v0/set")
    r = curl(p, "POST", "/api/v0/set", ["Content-Type: application/json"], '{"key": "k2", "value": "v2"}')
    check(r.status == 200, "set k2")
    r = curl(p, "POST", "/api/v0/set", (), "key=formkey&value=form+value")
    check(r.status == 200 and rc.get("formkey") == b"form value", "set with a form body (Fiber BodyParser) (%r)" % r)
    rc.delete("formkey")
    r = curl(p, "POST", "/api/v0/set", ["Content-Type: application/json"], '{"key": 1}')
    check(r.status == 400 and r.json() == {"status": "error", "message": "Invalid body."},
          "set with a bad body -> 400 {status: error, message: Invalid body.} (%r)" % r)

    # GET /api/v0/get?key=
    r = curl(p, "GET", "/api/v0/get?key=mykey")
    check(r.status == 200 and r.json() == {"status": "success", "value": "myvalue"}, "get -> value (%r)" % r)
    rc.set("from-resp", "written by RESP")
    r = curl(p, "GET", "/api/v0/get?key=from-resp")
    check(r.status == 200 and r.json()["value"] == "written by RESP", "get sees a RESP write (%r)" % r)
    r = curl(p, "GET", "/api/v0/get?key=missing")
    check(r.status == 404 and r.json() == {"status": "error", "message": "Not found"},
          "get missing -> {status: error, message: Not found} (%r)" % r)

    # getall, getallkeys, getallvalues
    # A list is listed by keys/all and skipped by the value routes (once lists exist).
    try:
        rc.rpush("a-list", "x")
        have_lists = True
    except redis.exceptions.ResponseError as e:
        check("unknown command" in str(e), "RPUSH is only missing, not failing (%s)" % e)
        have_lists = False
    r = curl(p, "GET", "/api/v0/get/all")
    check(r.status == 200 and r.json() == {"status": "success",
                                           "values": {"mykey": "myvalue", "k2": "v2", "from-resp": "written by RESP"}},
          "get/all -> every string key and value (%r)" % r)
    r = curl(p, "GET", "/api/v0/keys/all")
    check(r.status == 200 and r.json() == {
        "status": "success", "keys": sorted(["mykey", "k2", "from-resp"] + (["a-list"] if have_lists else []))},
          "keys/all -> every key (%r)" % r)
    r = curl(p, "GET", "/api/v0/values/all")
    check(r.status == 200 and r.json()["status"] == "success"
          and sorted(r.json()["values"]) == sorted(["myvalue", "v2", "written by RESP"]),
          "values/all -> every string value (%r)" % r)

    # DELETE /api/v0/delete?key=
    r = curl(p, "DELETE", "/api/v0/delete?key=mykey")
    check(r.status == 200 and r.json() == {"message": "ok", "status": "success"}, "delete -> ok/success (%r)" % r)
    check(rc.exists("mykey") == 0, "RESP no longer sees the deleted key")
    r = curl(p, "DELETE", "/api/v0/delete?key=mykey")
    check(r.status == 404 and r.json() == {"status": "error", "message": "Couldn't delete key value pair."},
          "delete missing -> Couldn't delete key value pair. (%r)" % r)
    if have_lists:
        r = curl(p, "GET", "/api/v0/get?key=a-list")
        check(r.status == 409 and r.json()["status"] == "error" and r.json()["message"].startswith("WRONGTYPE"),
              "get of a list -> 409 in the seed's error shape (%r)" % r)
    else:
        print("skip WRONGTYPE checks: no list commands in this build")
    r = curl(p, "GET", "/api/v0/set")
    check(r.status == 405 and r.headers.get("allow") == "POST", "GET /api/v0/set -> 405 Allow: POST (%r)" % r)
    r = curl(p, "GET", "/api/v0/get?key=k2&db=1")
    check(r.status == 404, "?db=1 reads database 1 (%r)" % r)
    rc.flushdb()


def seed_001_db(s, rc):
    p = s.http_port
    # http --verbose POST "http://localhost:8080/db/mykey" Content-Type:application/octet-stream foo=bar
    # (httpie sends {"foo": "bar"} as the body, with the Content-Type given)
    r = curl(p, "POST", "/db/mykey", ["Content-Type: application/octet-stream"], '{"foo": "bar"}')
    check(r.status == 201 and r.body == b"", "POST /db/mykey (octet-stream) -> 201 (%r)" % r)
    check(rc.get("mykey") == b'{"foo": "bar"}', "RESP sees the /db/ value")
    # http --verbose GET "http://localhost:8080/db/mykey"
    r = curl(p, "GET", "/db/mykey")
    check(r.status == 200 and r.body == b'{"foo": "bar"}' and r.content_type == "application/octet-stream",
          "GET /db/mykey -> raw bytes (%r)" % r)
    # http --verbose GET "http://localhost:8080/db/mykey?format=json"
    r = curl(p, "GET", "/db/mykey?format=json")
    check(r.status == 200 and r.content_type == "application/json" and r.json() == {"foo": "bar"},
          "GET /db/mykey?format=json -> Content-Type application/json (%r)" % r)
    r = curl(p, "POST", "/db/mykey", ["Content-Type: application/json"], '{"foo": "baz"}')
    check(r.status == 415 and is_json(r) and r.json().get("code") == "UNSUPPORTED_MEDIA_TYPE",
          "POST /db/ with another Content-Type -> 415 JSON (%r)" % r)
    r = curl(p, "POST", "/db/mykey", (), "no content type")
    check(r.status == 415, "POST /db/ with curl's default form Content-Type -> 415 (%r)" % r)
    check(rc.get("mykey") == b'{"foo": "bar"}', "a rejected POST changes nothing")
    blob = bytes(range(256))
    r = curl(p, "POST", "/db/bin", ["Content-Type: application/octet-stream"], blob)
    check(r.status == 201 and rc.get("bin") == blob, "binary value through /db/ (%r)" % r)
    r = curl(p, "GET", "/db/bin")
    check(r.body == blob, "binary value read back from /db/")
    # http --verbose DELETE "http://localhost:8080/db/mykey"
    r = curl(p, "DELETE", "/db/mykey")
    check(r.status == 200 and rc.exists("mykey") == 0, "DELETE /db/mykey -> 200, gone from RESP (%r)" % r)
    r = curl(p, "GET", "/db/mykey")
    check(r.status == 404 and is_json(r) and r.json()["code"] == "NOT_FOUND", "GET missing /db/ key -> 404 (%r)" % r)
    r = curl(p, "PUT", "/db/mykey", ["Content-Type: application/octet-stream"], "x")
    check(r.status == 405 and r.headers.get("allow") == "GET, POST, DELETE", "PUT /db/ -> 405 (%r)" % r)
    rc.flushdb()


def seed_002_small_db(s, rc):
    p = s.http_port
    r = curl(p, "GET", "/v1/health")
    check(r.status == 200 and r.json() == {"ok": True}, "GET /v1/health -> {ok: true} (%r)" % r)
    # curl -X PUT http://localhost:8080/v1/kv/hello -H 'Content-Type: application/json'
    #   -d '{"value":"d29ybGQ=","encoding":"base64"}'
    r = run(curl_argv(p, "PUT", "/v1/kv/hello", ["Content-Type: application/json"],
                      '{"value":"d29ybGQ=","encoding":"base64"}'))
    check(r.status == 200 and r.json()["ok"] is True, "PUT /v1/kv/hello -> {ok: true} (%r)" % r)
    check(rc.get("hello") == b"world", "RESP sees the base64-decoded value")
    # curl http://localhost:8080/v1/kv/hello
    r = curl(p, "GET", "/v1/kv/hello")
    check(r.status == 200 and r.json() == {"key": "hello", "value": "d29ybGQ=", "encoding": "base64"},
          "GET /v1/kv/hello -> {key, value, encoding: base64} (%r)" % r)
    r = curl(p, "PUT", "/v1/kv/text", ["Content-Type: application/json"], '{"value":"plain","encoding":"utf-8"}')
    check(r.status == 200 and rc.get("text") == b"plain", "PUT with encoding utf-8")
    # curl -X DELETE http://localhost:8080/v1/kv/hello
    r = curl(p, "DELETE", "/v1/kv/hello")
    check(r.status == 200 and r.json()["ok"] is True and rc.exists("hello") == 0, "DELETE /v1/kv/hello (%r)" % r)
    r = curl(p, "GET", "/v1/kv/hello")
    check(r.status == 404, "GET deleted key -> 404 (%r)" % r)
    # curl -X POST http://localhost:8080/v1/checkpoint  (appendonly no: a BGSAVE)
    rc.set("kept", "by the checkpoint")
    r = curl(p, "POST", "/v1/checkpoint")
    check(r.status == 200 and r.json()["ok"] is True and r.json()["started"] == "bgsave",
          "POST /v1/checkpoint -> 200 {ok: true, started: bgsave} (%r)" % r)
    wait_persistence(rc, b"rdb_bgsave_in_progress")
    dump = os.path.join(s.dir, "dump.rdb")
    check(os.path.exists(dump) and b"by the checkpoint" in open(dump, "rb").read(),
          "the checkpoint wrote dump.rdb with the key")
    rc.delete("kept")
    r = curl(p, "GET", "/v1/checkpoint")
    check(r.status == 405 and r.headers.get("allow") == "POST", "GET /v1/checkpoint -> 405 (%r)" % r)
    rc.flushdb()


def seed_004_blobs(s, rc):
    p = s.http_port
    # curl -X POST http://localhost:9002/blobs/user:123 -d "Hello, World!"
    r = run(["curl", "-sS", "--max-time", "30", "-X", "POST",
             "http://127.0.0.1:%d/blobs/user:123" % p, "-d", "Hello, World!"])
    etag = "%08x" % (zlib.crc32(b"Hello, World!") & 0xFFFFFFFF)
    check(r.status == 201 and r.json() == {"key": "user:123", "etag": etag, "size": 13, "volume_id": "kvd"},
          "POST /blobs/user:123 -> 201 {key, etag, size, volume_id} (%r)" % r)
    check(rc.get("user:123") == b"Hello, World!", "RESP sees the blob")
    # curl http://localhost:9002/blobs/user:123
    r = run(["curl", "-sS", "--max-time", "30", "http://127.0.0.1:%d/blobs/user:123" % p])
    check(r.status == 200 and r.body == b"Hello, World!" and r.content_type == "application/octet-stream",
          "GET /blobs/user:123 -> the bytes (%r)" % r)
    rc.set("user:456", "from RESP")
    r = curl(p, "GET", "/blobs")
    check(r.status == 200 and r.json() == ["user:123", "user:456"], "GET /blobs lists every key (%r)" % r)
    # curl -X DELETE http://localhost:9002/blobs/user:123
    r = run(["curl", "-sS", "--max-time", "30", "-X", "DELETE", "http://127.0.0.1:%d/blobs/user:123" % p])
    check(r.status == 204 and r.body == b"" and rc.exists("user:123") == 0, "DELETE /blobs/user:123 -> 204 (%r)" % r)
    r = curl(p, "GET", "/blobs/user:123")
    check(r.status == 404 and r.json()["error"] == "Blob not found", "GET deleted blob -> 404 Blob not found (%r)" % r)
    r = curl(p, "GET", "/health")
    check(r.status == 200 and r.json()["ok"] is True, "GET /health (%r)" % r)
    r = curl(p, "GET", "/metrics")
    check(r.status == 200 and r.content_type.startswith("text/plain") and b"kvd_db_keys{db=\"0\"} 1" in r.body,
          "GET /metrics -> Prometheus text with the key count (%r)" % r)
    rc.flushdb()


def wait_persistence(rc, field, limit=30.0):
    """Waits (bounded) until INFO persistence shows `field`:0 (the child finished)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if rc.info("persistence").get(field.decode()) == 0:
            return
        time.sleep(0.05)
    check(False, "%s still 1 after %.0f s" % (field.decode(), limit))


def checkpoint_with_aof():
    with kvdtest.server("--appendonly", "yes") as s:
        rc = s.client()
        rc.set("a", "1")
        r = curl(s.http_port, "POST", "/v1/checkpoint")
        check(r.status == 200 and r.json()["started"] == "bgrewriteaof",
              "appendonly yes: POST /v1/checkpoint -> 200 {started: bgrewriteaof} (%r)" % r)
        wait_persistence(rc, b"aof_rewrite_in_progress")
        names = os.listdir(os.path.join(s.dir, "appendonlydir"))
        check(any(".base." in n for n in names) and rc.info("persistence")["aof_rewrites"] >= 1,
              "the checkpoint rewrote the AOF (new base in %r)" % names)
        # (restart from a rewritten AOF: test_aof_rewrite.py)


def compat_off():
    with kvdtest.server("--http-compat-routes", "no") as s:
        p = s.http_port
        for path in ("/api/v0/", "/api/v0/get?key=a", "/blobs", "/blobs/a", "/db/a"):
            r = curl(p, "GET", path)
            check(r.status == 404 and r.json()["code"] == "NOT_FOUND", "compat off: GET %s -> 404 (%r)" % (path, r))
        r = curl(p, "GET", "/v1/health")
        check(r.status == 200, "compat off: /v1/health still served")
        rc = s.client()
        check(rc.config_get("http-compat-routes") == {"http-compat-routes": "no"}, "CONFIG GET http-compat-routes")
        rc.config_set("http-compat-routes", "yes")
        r = curl(p, "GET", "/api/v0/")
        check(r.status == 200 and r.json() == {"message": "Api is running"}, "CONFIG SET http-compat-routes yes (%r)" % r)
        rc.config_set("http-compat-routes", "no")
        check(curl(p, "GET", "/blobs").status == 404, "CONFIG SET http-compat-routes no")


def main():
    with kvdtest.server() as s:
        rc = s.client(decode_responses=False)
        for t in (seed_000_mini_db, seed_001_db, seed_002_small_db, seed_004_blobs):
            print("== " + t.__name__)
            t(s, rc)
    print("== checkpoint_with_aof")
    checkpoint_with_aof()
    print("== compat_off")
    compat_off()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)
    print("all seed route checks passed")


if __name__ == "__main__":
    main()
