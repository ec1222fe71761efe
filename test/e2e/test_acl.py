"""AUTH and ACL end to end (issue 6, "Who gets in"): requirepass and NOAUTH, AUTH in both
forms, HELLO AUTH, users limited in keys, channels and commands (python3-redis and
`redis-cli --user --pass` / `-a`), ACL LOG entries, DELUSER disconnecting a user's clients,
`user` directives in the config file, the aclfile (start-up errors with file:line, ACL SAVE /
ACL LOAD round trip), selectors ("(~k:* +get)") over RESP and HTTP, CONFIG REWRITE of users
with a restart from the rewritten file, and HTTP: 401 without credentials, Bearer and Basic on
/v1/command, /v1/kv, /api/v0 and /metrics (http-metrics-auth), /health (http-health-auth),
NOPERM as 403.
"""

import base64
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from curl_client import curl  # noqa: E402
from kvdtest import eq  # noqa: E402

import redis  # noqa: E402


def cli(port, *args):
    """redis-cli output (stripped), errors included (they go to stdout with --no-raw off)."""
    r = kvdtest.redis_cli_run(port, "--no-auth-warning", *args)
    return (r.stdout + r.stderr).strip()


def assert_refused(cases):
    """Each (what, call, text): call() raises NoPermissionError whose message holds text."""
    for what, fn, msg in cases:
        try:
            fn()
        except redis.exceptions.NoPermissionError as e:
            assert msg in str(e), (what, str(e))
        else:
            raise AssertionError(f"{what}: not refused")


def basic(user, pw):
    return "Authorization: Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


def test_requirepass_and_auth():
    with kvdtest.server("--requirepass", "sec") as s:
        eq(cli(s.port, "PING"), "NOAUTH Authentication required.", "no AUTH")
        eq(cli(s.port, "-a", "sec", "PING"), "PONG", "redis-cli -a")
        out = cli(s.port, "-a", "bad", "PING")
        assert "AUTH failed: WRONGPASS invalid username-password pair or user is disabled." in out, out
        assert "NOAUTH Authentication required." in out, out
        eq(cli(s.port, "--user", "default", "--pass", "sec", "PING"), "PONG", "redis-cli --user --pass")
        r = s.client(password="sec")
        eq(r.ping(), True)
        eq(r.execute_command("ACL", "WHOAMI"), "default")
        # AUTH user pass and AUTH pass on a raw connection; HELLO AUTH.
        out, _ = kvdtest.exchange(s.port, kvdtest.resp_command("GET", "k") + kvdtest.resp_command("AUTH", "x") +
                                  kvdtest.resp_command("AUTH", "default", "sec") + kvdtest.resp_command("GET", "k"))
        eq(out, b"-NOAUTH Authentication required.\r\n"
                b"-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n$-1\r\n", "AUTH forms")
        out, _ = kvdtest.exchange(s.port, kvdtest.resp_command("HELLO", "3") +
                                  kvdtest.resp_command("HELLO", "3", "AUTH", "default", "sec", "SETNAME", "hx") +
                                  kvdtest.resp_command("CLIENT", "GETNAME"))
        assert out.startswith(b"-NOAUTH HELLO must be called with the client already authenticated"), out
        assert b"%7\r\n$6\r\nserver\r\n" in out and out.endswith(b"$2\r\nhx\r\n"), out
        # CONFIG SET requirepass: new connections need the new password; this one stays in.
        eq(r.config_set("requirepass", "new"), True)
        eq(r.ping(), True)
        eq(cli(s.port, "-a", "new", "PING"), "PONG")
        eq(r.config_get("requirepass"), {"requirepass": "new"})
        eq(r.config_set("requirepass", ""), True)
        eq(cli(s.port, "PING"), "PONG", "requirepass removed")


def test_users_keys_channels_commands():
    with kvdtest.server() as s:
        admin = s.client()
        eq(admin.execute_command("ACL", "SETUSER", "alice", "on", ">p1", "~app:*", "%R~ro:*", "&news.*",
                                 "+@read", "+@write", "-flushall", "+publish", "+subscribe", "+client|list",
                                 "+@transaction"), "OK")
        admin.set("ro:1", "r")
        a = s.client(username="alice", password="p1")
        eq(a.set("app:1", "v"), True)
        eq(a.get("ro:1"), "r")
        assert_refused([
            ("write to a read-only key", lambda: a.set("ro:1", "x"), "keys"),
            ("other key", lambda: a.get("other"), "keys"),
            ("command", lambda: a.flushall(), "run the 'flushall' command"),
            ("config", lambda: a.config_get("port"), "run the 'config|get' command"),
            ("channel", lambda: a.publish("chat", "x"), "channels"),
        ])
        eq(a.publish("news.1", "x"), 0)
        # redis-cli with --user/--pass.
        eq(cli(s.port, "--user", "alice", "--pass", "p1", "GET", "app:1"), "v")
        eq(cli(s.port, "--user", "alice", "--pass", "p1", "DEL", "other"),
           "NOPERM this user has no permissions to access one of the keys used as arguments")
        # MULTI: refused at queue time, EXEC aborts.
        p = a.pipeline(transaction=True)
        p.set("app:2", "v").get("zzz")
        try:
            p.execute()
        except redis.exceptions.ResponseError as e:
            assert "no permissions" in str(e) or "EXECABORT" in str(e), str(e)
        else:
            raise AssertionError("MULTI with a denied command ran")
        eq(admin.exists("app:2"), 0, "nothing of the aborted transaction ran")
        # ACL LOG: the denials, newest first, with Redis 7.0's fields.
        log = admin.execute_command("ACL", "LOG")
        assert len(log) >= 5, log
        fields = [log[0][i] for i in range(0, len(log[0]), 2)]
        eq(fields, ["count", "reason", "context", "object", "username", "age-seconds", "client-info"])
        entries = [dict(zip(e[::2], e[1::2])) for e in log]
        reasons = {(e["reason"], e["object"]) for e in entries}
        for want in [("key", "ro:1"), ("key", "other"), ("command", "flushall"), ("command", "config|get"),
                     ("channel", "chat")]:
            assert want in reasons, (want, reasons)
        assert any(e["context"] == "multi" for e in entries), entries
        assert all(e["username"] == "alice" for e in entries), entries
        assert "user=alice" in entries[0]["client-info"], entries[0]
        eq(admin.execute_command("ACL", "LOG", "RESET"), "OK")
        eq(admin.execute_command("ACL", "LOG"), [])
        # A failed AUTH is logged with reason auth.
        try:
            s.client(username="alice", password="bad").ping()
        except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError):
            pass
        e = admin.execute_command("ACL", "LOG")[0]
        eq(dict(zip(e[::2], e[1::2]))["reason"], "auth")
        # CLIENT LIST shows the user; DELUSER disconnects alice's connections.
        lines = admin.execute_command("CLIENT", "LIST")
        assert "user=alice" in lines, lines
        eq(admin.execute_command("ACL", "DELUSER", "alice"), 1)
        deadline = time.monotonic() + 5
        while "user=alice" in admin.execute_command("CLIENT", "LIST") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "user=alice" not in admin.execute_command("CLIENT", "LIST")
        try:
            a.get("app:1")
        except (redis.exceptions.ConnectionError, redis.exceptions.AuthenticationError,
                redis.exceptions.ResponseError):
            pass  # dropped; a reconnection cannot authenticate as alice any more
        else:
            raise AssertionError("a deleted user's connection still runs commands")


def test_config_file_users():
    with tempfile.TemporaryDirectory(prefix="kvd-acl-") as tmp:
        config_file_users(tmp)


def config_file_users(tmp):
    conf = os.path.join(tmp, "kvd.conf")
    with open(conf, "w") as f:
        f.write("user = default on >dpw ~* &* +@all\n")
        f.write("user = worker on >wpw ~job:* -@all +lpush +rpop\n")
    with kvdtest.server("--config", conf) as s:
        eq(cli(s.port, "PING"), "NOAUTH Authentication required.")
        eq(cli(s.port, "--user", "worker", "--pass", "wpw", "LPUSH", "job:1", "a"), "1")
        eq(cli(s.port, "--user", "worker", "--pass", "wpw", "GET", "job:1"),
           "NOPERM this user has no permissions to run the 'get' command")
        eq(cli(s.port, "-a", "dpw", "ACL", "USERS"), "default\nworker")


def test_aclfile_round_trip():
    with tempfile.TemporaryDirectory(prefix="kvd-acl-") as tmp:
        aclfile_round_trip(tmp)


def aclfile_round_trip(tmp):
    path = os.path.join(tmp, "users.acl")
    # Start-up errors stop the server and name file:line.
    with open(path, "w") as f:
        f.write("user a on >x ~* +@all\nfoo\nuser c bad\n")
    binary = kvdtest.kvd_server_path()
    port = kvdtest.free_port()
    r = subprocess.run([binary, "--port", str(port), "--http-port", "0", "--dir", tmp, "--aclfile", path],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0, r
    assert f"{path}:2 should start with user keyword" in r.stderr and f"{path}:3: Syntax error" in r.stderr, r.stderr
    with open(path, "w") as f:
        f.write("user default on nopass ~* &* +@all\nuser a on >x ~a:* resetchannels -@all +get\n")
    with kvdtest.server("--aclfile", path) as s:
        admin = s.client()
        eq(admin.execute_command("ACL", "LIST"),
           ["user a on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~a:* resetchannels -@all +get",
            "user default on nopass ~* &* +@all"])
        eq(admin.execute_command("ACL", "SETUSER", "b", "on", ">y", "allkeys", "+@string"), "OK")
        eq(admin.execute_command("ACL", "SAVE"), "OK")
        with open(path) as f:
            saved = f.read()
        assert "user b on #" in saved and "~* resetchannels -@all +@string" in saved, saved
        # Edit the file, ACL LOAD picks it up; a client of a user that goes away is dropped.
        b = s.client(username="b", password="y")
        eq(b.set("k", "v"), True)
        with open(path, "w") as f:
            f.write(saved.replace("user a on", "user a off"))
        eq(admin.execute_command("ACL", "LOAD"), "OK")
        eq(admin.execute_command("ACL", "GETUSER", "a")[1], ["off"])
        with open(path, "a") as f:
            f.write("garbage\n")
        try:
            admin.execute_command("ACL", "LOAD")
        except redis.exceptions.ResponseError as e:
            assert "should start with user keyword" in str(e), str(e)
        else:
            raise AssertionError("ACL LOAD of a bad file succeeded")
        eq(len(admin.execute_command("ACL", "USERS")), 3, "a failed LOAD changes nothing")
        # Selectors go through ACL SAVE / ACL LOAD as ACL LIST prints them.
        eq(admin.execute_command("ACL", "SETUSER", "c", "on", ">z", "~c:*", "+get", "(%W~w:* &ch +set +publish)"),
           "OK")
        listed = admin.execute_command("ACL", "LIST")
        eq(admin.execute_command("ACL", "SAVE"), "OK")
        with open(path) as f:
            assert " (%W~w:* resetchannels &ch -@all " in f.read()
        eq(admin.execute_command("ACL", "LOAD"), "OK")
        eq(admin.execute_command("ACL", "LIST"), listed, "selectors after ACL LOAD")
        eq(admin.execute_command("ACL", "DRYRUN", "c", "set", "w:1", "v"), "OK")


def test_http_auth():
    with kvdtest.server("--requirepass", "sec") as s:
        hp = s.http_port
        body = '["SET","hk","v"]'
        r = curl(hp, "POST", "/v1/command", ["Content-Type: application/json"], body)
        eq(r.status, 401, "no credentials")
        assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
        eq(r.json()["code"], "UNAUTHORIZED")
        r = curl(hp, "POST", "/v1/command", ["Content-Type: application/json", "Authorization: Bearer bad"], body)
        eq(r.status, 401, "bad bearer")
        r = curl(hp, "POST", "/v1/command", ["Content-Type: application/json", "Authorization: Bearer sec"], body)
        eq((r.status, r.json()), (200, {"result": "OK"}), "bearer")
        r = curl(hp, "GET", "/v1/kv/hk?format=raw", [basic("default", "sec")])
        eq((r.status, r.body), (200, b"v"), "basic default")
        eq(curl(hp, "GET", "/v1/kv/hk").status, 401, "kv without credentials")
        eq(curl(hp, "GET", "/api/v0/get?key=hk").status, 401, "compat route without credentials")
        eq(curl(hp, "GET", "/api/v0/get?key=hk", ["Authorization: Bearer sec"]).status, 200, "compat route")
        eq(curl(hp, "POST", "/v1/publish/ch", [], "x").status, 401, "publish")
        # Public by default: health, console; /metrics needs auth (http-metrics-auth yes).
        eq(curl(hp, "GET", "/health").status, 200)
        eq(curl(hp, "GET", "/").status, 200)
        eq(curl(hp, "GET", "/metrics").status, 401)
        eq(curl(hp, "GET", "/metrics", ["Authorization: Bearer sec"]).status, 200)
        admin = s.client(password="sec")
        admin.config_set("http-metrics-auth", "no")
        eq(curl(hp, "GET", "/metrics").status, 200, "http-metrics-auth no")
        admin.config_set("http-health-auth", "yes")
        eq(curl(hp, "GET", "/health").status, 401, "http-health-auth yes")
        eq(curl(hp, "GET", "/v1/health", ["Authorization: Bearer sec"]).status, 200)
        # A user without FLUSHALL cannot run it over HTTP either (403 NOPERM); nothing runs.
        admin.execute_command("ACL", "SETUSER", "app", "on", ">apw", "~*", "+@all", "-flushall")
        r = curl(hp, "POST", "/v1/command", ["Content-Type: application/json", basic("app", "apw")], '["FLUSHALL"]')
        eq(r.status, 403, "flushall by app")
        eq(r.json()["code"], "NOPERM")
        eq(admin.get("hk"), "v", "nothing flushed")
        r = curl(hp, "POST", "/v1/command", ["Content-Type: application/json", basic("app", "bad")], '["PING"]')
        eq(r.status, 401, "basic bad password")
        r = curl(hp, "POST", "/v1/command", ["Content-Type: application/json", basic("app", "apw")], '["PING"]')
        eq((r.status, r.json()), (200, {"result": "PONG"}))


def test_protected_commands_and_configs():
    with kvdtest.server() as s:
        r = s.client()
        for cmd, want in [(("CONFIG", "SET", "dbfilename", "x.rdb"), "can't set protected config"),
                          (("DEBUG", "SLEEP", "0"), "DEBUG command not allowed")]:
            try:
                r.execute_command(*cmd)
            except redis.exceptions.ResponseError as e:
                assert want in str(e), str(e)
            else:
                raise AssertionError(f"{cmd} allowed")
    with kvdtest.server("--enable-protected-configs", "local", "--enable-debug-command", "local") as s:
        r = s.client()
        eq(r.config_set("dbfilename", "x.rdb"), True)
        eq(r.execute_command("DEBUG", "SLEEP", "0"), "OK")


def test_selectors():
    """Redis 7.0 selectors: the root permissions or any selector may allow a command, with
    its keys and channels checked together per selector; over RESP and HTTP Basic alike."""
    with kvdtest.server() as s:
        admin = s.client()
        eq(admin.execute_command("ACL", "SETUSER", "sel", "on", ">spw", "~a:*", "+set", "(~k:* +get)",
                                 "(%R~r:* +@read)", "(&ch.* +publish)"), "OK")
        eq(admin.execute_command("ACL", "LIST")[1],
           "user sel on #" + hashlib.sha256(b"spw").hexdigest() +
           " ~a:* resetchannels -@all +set (~k:* resetchannels -@all +get)"
           " (%R~r:* resetchannels -@all +@read) (resetchannels &ch.* -@all +publish)")
        admin.mset({"k:1": "kv", "r:1": "rv", "a:1": "av"})
        u = s.client(username="sel", password="spw")
        eq(u.get("k:1"), "kv", "selector 1")
        eq(u.get("r:1"), "rv", "selector 2")
        eq(u.set("a:2", "x"), True, "root")
        eq(u.publish("ch.1", "m"), 0, "selector 3")
        assert_refused([
            ("GET of a root-only key", lambda: u.get("a:1"), "keys"),
            ("SET of a read-only key", lambda: u.set("r:1", "x"), "keys"),
            ("MGET mixing two selectors", lambda: u.mget("k:1", "r:1"), "keys"),
            ("unlisted command", lambda: u.lpush("k:1", "x"), "run the 'lpush' command"),
            ("other channel", lambda: u.publish("zz", "m"), "channels"),
        ])
        eq(cli(s.port, "--user", "sel", "--pass", "spw", "GET", "k:1"), "kv", "redis-cli")
        eq(admin.execute_command("ACL", "DRYRUN", "sel", "mget", "k:1", "r:1"),
           "This user has no permissions to access the 'k:1' key")
        hp = s.http_port
        r = curl(hp, "GET", "/v1/kv/k:1?format=raw", [basic("sel", "spw")])
        eq((r.status, r.body), (200, b"kv"), "HTTP GET allowed by a selector")
        r = curl(hp, "GET", "/v1/kv/a:1?format=raw", [basic("sel", "spw")])
        eq(r.status, 403, "HTTP GET of a root-only key")
        r = curl(hp, "POST", "/v1/command", ["Content-Type: application/json", basic("sel", "spw")],
                 '["SET","k:2","v"]')
        eq(r.status, 403, "HTTP SET where only GET is allowed")
        r = curl(hp, "POST", "/v1/command", ["Content-Type: application/json", basic("sel", "spw")],
                 '["SET","a:3","v"]')
        eq((r.status, r.json()), (200, {"result": "OK"}), "HTTP SET allowed by the root")
        # clearselectors: only the root is left.
        eq(admin.execute_command("ACL", "SETUSER", "sel", "clearselectors"), "OK")
        assert_refused([("GET allowed only by a cleared selector", lambda: u.get("k:1"), "run the 'get' command")])


def pubsub_client(port, user, pw, command):
    """A raw RESP2 connection authenticated as `user` that sent `command` and read its replies."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"AUTH {user} {pw}\r\n{command}\r\n".encode())
    got = b""
    deadline = time.monotonic() + 5
    lines = 1 + (6 * command.count("SUBSCRIBE") or 1)  # +OK, then "+PONG" or 6 lines per (un)subscribe reply
    while got.count(b"\r\n") < lines and time.monotonic() < deadline:
        got += sock.recv(4096)
    assert got.startswith(b"+OK\r\n"), got
    return sock


def closed(sock, wait):
    """True when the server closes `sock` within `wait` seconds (pending pushes are read)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if sock.recv(4096) == b"":
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


def setuser_kills_pubsub_clients(port):
    """The steps of test_setuser_kills_pubsub_clients against one server."""
    admin = redis.Redis(port=port, decode_responses=True)
    admin.execute_command("ACL", "SETUSER", "ps", "on", ">p", "+@all", "~*", "resetchannels", "&news.*", "&chat")
    steps = [
        # (SETUSER rules, {client command: closed?}) — clients connect before the SETUSER.
        (["&more"], {"SUBSCRIBE news.a": False, "PSUBSCRIBE news.*": False, "SUBSCRIBE chat": False,
                     "SSUBSCRIBE chat": False, "PING": False}),
        (["resetchannels", "&news.*"], {"SUBSCRIBE news.a": False, "PSUBSCRIBE news.*": False,
                                        "SUBSCRIBE chat": True, "SSUBSCRIBE chat": True, "PING": False}),
        # A pattern subscription needs the very same pattern; a channel may match a glob.
        (["resetchannels", "&news.b", "&news.*x"], {"SUBSCRIBE news.b": False, "PSUBSCRIBE news.*": True}),
        # A selector with allchannels allows everything.
        (["resetchannels", "(+@all allchannels)"], {"SUBSCRIBE news.b": False}),
        (["clearselectors", "resetchannels"], {"SUBSCRIBE news.b": True, "PING": False,
                                               "SUBSCRIBE news.b\r\nUNSUBSCRIBE": False}),
    ]
    admin.execute_command("ACL", "SETUSER", "other", "on", ">p", "+@all", "~*", "allchannels")
    bystander = pubsub_client(port, "other", "p", "SUBSCRIBE chat")
    for rules, clients in steps:
        socks = {cmd: pubsub_client(port, "ps", "p", cmd) for cmd in clients}
        eq(admin.execute_command("ACL", "SETUSER", "ps", *rules), "OK")
        for cmd, want in clients.items():
            eq(closed(socks[cmd], 5 if want else 0.3), want, f"after SETUSER {rules}: client {cmd!r} closed")
            socks[cmd].close()
    eq(closed(bystander, 0.3), False, "another user's subscriber")
    eq(admin.publish("chat", "m"), 1)
    bystander.close()
    admin.connection_pool.disconnect()


def test_setuser_kills_pubsub_clients():
    """ACL SETUSER closes the user's pub/sub connections whose channels or patterns the new
    rules no longer allow (Redis 7.0 ACLKillPubsubClientsIfNeeded), the same on both servers."""
    with kvdtest.redis_server() as r:
        setuser_kills_pubsub_clients(r.port)
    with kvdtest.server() as s:
        setuser_kills_pubsub_clients(s.port)


def test_config_rewrite_users():
    with tempfile.TemporaryDirectory(prefix="kvd-acl-") as tmp:
        config_rewrite_users(tmp)


def config_rewrite_users(tmp):
    conf = os.path.join(tmp, "kvd.conf")
    with open(conf, "w") as f:
        f.write("# users of this test\n"
                "user = old on >opw ~o:* +get\n"
                "acllog-max-len = 64\n"
                "\n"
                "user keep on >kpw ~k:* +@read (~w:* +set)\n"
                "# end\n")
    with kvdtest.server("--config", conf) as s:
        admin = s.client()
        eq(admin.execute_command("ACL", "SETUSER", "app", "on", ">apw", "~app:*", "+@all", "-@dangerous",
                                 "(%R~shared:* +get +mget)"), "OK")
        eq(admin.execute_command("ACL", "DELUSER", "old"), 1)
        eq(admin.config_set("requirepass", "dpw"), True)
        eq(admin.execute_command("CONFIG", "REWRITE"), "OK")
        before = admin.execute_command("ACL", "LIST")
    with open(conf) as f:
        text = f.read()
    lines = text.splitlines()
    # The users take the places of the `user` lines (sorted by name), the rest is appended
    # after "# Generated by CONFIG REWRITE"; comments and other lines stay.
    eq(lines[0], "# users of this test")
    assert lines[1].startswith("user = app on #") and "(%R~shared:* resetchannels -@all" in lines[1], lines
    eq(lines[2], "acllog-max-len = 64")
    eq(lines[4], "user default on #" + hashlib.sha256(b"dpw").hexdigest() + " ~* &* +@all")
    eq(lines[5], "# end")
    assert "old" not in text, text
    assert "# Generated by CONFIG REWRITE" in lines, lines
    assert lines[-1].startswith("user = keep on #") and lines[-1].endswith("(~w:* resetchannels -@all +set)"), lines
    assert 'requirepass = dpw' in lines, lines
    # A restart from the rewritten file has the same users.
    with kvdtest.server("--config", conf) as s:
        eq(cli(s.port, "PING"), "NOAUTH Authentication required.")
        admin = s.client(password="dpw")
        # As Redis 7.0 (ACLLoadConfiguredUsers resets the default user before its line's
        # rules), the default user comes back with sanitize-payload; the rest is equal.
        want = [u.replace("user default on ", "user default on sanitize-payload ") for u in before]
        eq(admin.execute_command("ACL", "LIST"), want, "ACL LIST after a restart")
        eq(cli(s.port, "--user", "app", "--pass", "apw", "SET", "app:1", "v"), "OK")
        eq(cli(s.port, "--user", "app", "--pass", "apw", "GET", "shared:1"), "", "a selector after a restart")
        eq(cli(s.port, "--user", "keep", "--pass", "kpw", "SET", "w:1", "v"), "OK")
        out = cli(s.port, "--user", "old", "--pass", "opw", "PING")
        assert "AUTH failed: WRONGPASS" in out and "PONG" not in out, out
    # With an aclfile, CONFIG REWRITE writes no user lines (ACL SAVE keeps the users).
    conf2 = os.path.join(tmp, "kvd2.conf")
    acl = os.path.join(tmp, "users.acl")
    with open(acl, "w") as f:
        f.write("user default on nopass ~* &* +@all\n")
    with open(conf2, "w") as f:
        f.write(f"aclfile = {acl}\n")
    with kvdtest.server("--config", conf2) as s:
        admin = s.client()
        eq(admin.execute_command("ACL", "SETUSER", "x", "on", ">xpw", "(~x +get)"), "OK")
        eq(admin.execute_command("CONFIG", "REWRITE"), "OK")
    with open(conf2) as f:
        text = f.read()
    assert "user" not in text.replace("users.acl", ""), text


def main():
    return kvdtest.run_tests([test_requirepass_and_auth, test_users_keys_channels_commands, test_config_file_users,
                              test_aclfile_round_trip, test_http_auth, test_protected_commands_and_configs,
                              test_selectors, test_setuser_kills_pubsub_clients, test_config_rewrite_users])


if __name__ == "__main__":
    kvdtest.main(main)
