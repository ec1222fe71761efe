#!/usr/bin/python3
"""End-to-end test of the OpenAPI document (issue 7, OpenAPI).

- GET /v1/openapi.json serves docs/openapi.yaml converted to JSON, unchanged
  (tools/gen_openapi.py --check: the embedded src/http/openapi_doc.cpp is current);
- the document is OpenAPI 3.0 and every $ref resolves;
- the router's route table (the rows between "ROUTES BEGIN" and "ROUTES END" in
  src/http/router.cpp) and the document list the same (path, method) pairs;
- the live server agrees: every documented operation is routed (not 404 "no such route",
  not 405), every documented path answers 405 with the documented methods in Allow for a
  method it does not serve, and an undocumented path answers 404.
"""
import json
import os
import re
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from curl_client import curl  # noqa: E402

FAILURES = []
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ROW = re.compile(r'\{\{"([^"]+)", "([^"]+)", (true|false)\}')


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def router_routes():
    """{(path, METHOD)} from the route table in src/http/router.cpp."""
    with open(os.path.join(kvdtest.SOURCE_DIR, "src", "http", "router.cpp"), encoding="utf-8") as f:
        text = f.read()
    block = text[text.index("// ROUTES BEGIN"):text.index("// ROUTES END")]
    out = set()
    for path, methods, _compat in ROW.findall(block):
        for m in methods.split(","):
            out.add((path, m.strip()))
    return out


def doc_routes(doc):
    return {(path, m.upper()) for path, item in doc["paths"].items() for m in item if m in METHODS}


def resolves(doc, ref):
    """True when the local reference `ref` ("#/components/...") names a node of `doc`."""
    if not ref.startswith("#/"):
        return False
    node = doc
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def all_refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from all_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_refs(v)


def probe_path(path):
    for param in ("{key}", "{member}", "{field}"):
        path = path.replace(param, "openapi-probe")
    return path


def main():
    with open(os.path.join(kvdtest.SOURCE_DIR, "docs", "openapi.yaml"), encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    gen = subprocess.run(["/usr/bin/python3", os.path.join(kvdtest.SOURCE_DIR, "tools", "gen_openapi.py"), "--check"],
                         capture_output=True, timeout=60)
    check(gen.returncode == 0, "src/http/openapi_doc.cpp is generated from docs/openapi.yaml %s" % gen.stderr.decode())

    check(str(doc.get("openapi", "")).startswith("3.0."), "OpenAPI 3.0 document")
    check(doc.get("info", {}).get("title") and doc.get("info", {}).get("version"), "info.title and info.version")
    bad = [r for r in all_refs(doc) if not resolves(doc, r)]
    check(not bad, "every $ref resolves (%s)" % bad)
    for path, item in doc["paths"].items():
        for m, op in item.items():
            if m in METHODS:
                check(bool(op.get("responses")) and bool(op.get("summary")), "%s %s has a summary and responses" % (
                    m.upper(), path))
                for status in op.get("responses", {}):
                    check(re.fullmatch(r"[1-5][0-9][0-9]", str(status)) is not None,
                          "%s %s: response key %r is a status code" % (m.upper(), path, status))

    table = router_routes()
    documented = doc_routes(doc)
    check(len(table) > 20, "route table read from router.cpp (%d routes)" % len(table))
    check(table - documented == set(), "every served route is documented (missing: %s)" % sorted(table - documented))
    check(documented - table == set(), "every documented route is served (extra: %s)" % sorted(documented - table))

    with kvdtest.server() as s:
        p = s.http_port
        r = curl(p, "GET", "/v1/openapi.json")
        check(r.status == 200 and r.content_type.startswith("application/json"), "GET /v1/openapi.json (%r)" % r)
        served = r.json() if r.status == 200 else None
        check(served == json.loads(json.dumps(doc)), "served document == docs/openapi.yaml")

        by_path = {}
        for path, m in documented:
            by_path.setdefault(path, set()).add(m)
        for path, methods in sorted(by_path.items()):
            for m in sorted(methods):
                headers, data = (), None
                if m in ("POST", "PUT"):
                    headers, data = ["Content-Type: application/octet-stream"], "x"
                    if path in ("/v1/command", "/api/v0/set"):
                        headers, data = ["Content-Type: application/json"], '["PING"]'
                q = "?key=openapi-probe" if path in ("/api/v0/get", "/api/v0/delete") else ""
                if path in ("/v1/subscribe/{key}", "/v1/psubscribe/{key}"):
                    q = "?timeout=1"  # an event stream: ends after 1 s
                r = curl(p, m, probe_path(path) + q, headers, data)
                routed = r.status != 405 and not (r.status == 404 and b"no such route" in r.body)
                check(routed, "%s %s is served (%r)" % (m, path, r))
            other = next(x for x in ("PATCH", "PUT", "DELETE", "GET") if x not in methods)
            r = curl(p, other, probe_path(path))
            allow = {a.strip() for a in r.headers.get("allow", "").split(",") if a.strip()}
            check(r.status == 405 and allow == methods, "%s %s -> 405 Allow %s (%r, %s)" % (
                other, path, sorted(methods), r, sorted(allow)))
        for path in ("/nope", "/v1/kv", "/v1/kv/a/b", "/api/v1/", "/blobs/a/b", "/db", "/v1/lists/a/b",
                     "/v1/sets/a/b/c", "/v1/hashes", "/v1/zsets/a/b/c"):
            r = curl(p, "GET", path)
            check(r.status == 404 and r.json().get("code") == "NOT_FOUND", "undocumented %s -> 404 (%r)" % (path, r))
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)
    print("all OpenAPI checks passed")


if __name__ == "__main__":
    main()
