#!/usr/bin/python3
"""End-to-end test of GET /metrics (issue 7, Observability).

Starts kvd-server (test/e2e/kvdtest.py), fetches /metrics with curl, checks the output with
`promtool check metrics` (Debian's prometheus package, installed by tools/bootstrap) and
checks that the values move with the traffic: 10 SETs raise kvd_commands_total{cmd="set"}
by 10, keys and expires per db, keyspace hits/misses, error replies, expired keys,
subcommands ("config|get"), connections, network bytes, memory and uptime; then, on a server
with appendonly yes, the AOF (size, fsync histogram, rewrites) and snapshot families.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from curl_client import curl  # noqa: E402

PROMTOOL = "/usr/bin/promtool"
FAILURES = []
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def scrape(port):
    """GET /metrics; returns (response, {(name, labels): value})."""
    r = curl(port, "GET", "/metrics")
    samples = {}
    for line in r.body.decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError("unparsable sample line: %r" % line)
        samples[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return r, samples


def promtool_check(text):
    if not os.access(PROMTOOL, os.X_OK):
        check(False, "promtool is installed (%s; run tools/bootstrap)" % PROMTOOL)
        return
    out = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, timeout=60)
    check(out.returncode == 0, "promtool check metrics passes (rc=%d) %s%s" % (
        out.returncode, out.stdout.decode(errors="replace"), out.stderr.decode(errors="replace")))


def persistence_metrics():
    """AOF and snapshot families with appendonly yes, appendfsync always: writes fill the fsync
    histogram (cumulative buckets, +Inf == count); BGSAVE and BGREWRITEAOF move their counters."""
    with kvdtest.server("--appendonly", "yes", "--appendfsync", "always", "--save", "") as s:
        rc = s.client()
        _, before = scrape(s.http_port)
        for i in range(20):
            rc.set("p%d" % i, "x" * 100)
        _, mid = scrape(s.http_port)
        check(mid.get(("kvd_aof_size_bytes", ""), 0) >= 20 * 100, "kvd_aof_size_bytes holds the writes (%s)" %
              mid.get(("kvd_aof_size_bytes", "")))
        rc.bgsave()
        deadline = time.time() + 30
        while time.time() < deadline and rc.info("persistence")["rdb_bgsave_in_progress"]:
            time.sleep(0.05)
        rc.bgrewriteaof()
        while time.time() < deadline and rc.info("persistence")["aof_rewrite_in_progress"]:
            time.sleep(0.05)
        r, after = scrape(s.http_port)
        promtool_check(r.body)
        check(after.get(("kvd_aof_enabled", "")) == 1, "kvd_aof_enabled 1")
        check(0 < after.get(("kvd_aof_size_bytes", ""), 0) <= mid.get(("kvd_aof_size_bytes", "")),
              "kvd_aof_size_bytes after the rewrite: the compact base (%s)" % after.get(("kvd_aof_size_bytes", "")))
        check(after.get(("kvd_aof_last_write_ok", "")) == 1, "kvd_aof_last_write_ok 1")
        check(("kvd_aof_pending_bytes", "") in after, "kvd_aof_pending_bytes present")
        count = after.get(("kvd_aof_fsync_duration_seconds_count", ""), 0)
        check(count - before.get(("kvd_aof_fsync_duration_seconds_count", ""), 0) >= 1,
              "fsync histogram counts the always-policy fsyncs (%s -> %s)" % (
                  before.get(("kvd_aof_fsync_duration_seconds_count", "")), count))
        buckets = sorted((float(lbl.split('"')[1]), v) for (n, lbl), v in after.items()
                         if n == "kvd_aof_fsync_duration_seconds_bucket")
        values = [v for _, v in buckets]
        check(len(buckets) >= 10 and values == sorted(values) and buckets[-1] == (float("inf"), count),
              "fsync buckets are cumulative and end with +Inf == count (%s)" % buckets)
        check(after.get(("kvd_aof_fsync_duration_seconds_sum", ""), -1) >= 0, "fsync sum present")
        check(after.get(("kvd_aof_rewrites_total", "")) == before.get(("kvd_aof_rewrites_total", "")) + 1,
              "BGREWRITEAOF raises kvd_aof_rewrites_total")
        check(after.get(("kvd_aof_last_rewrite_ok", "")) == 1 and after.get(("kvd_aof_rewrite_in_progress", "")) == 0,
              "rewrite finished ok")
        check(after.get(("kvd_rdb_saves_total", "")) == before.get(("kvd_rdb_saves_total", "")) + 1,
              "BGSAVE raises kvd_rdb_saves_total")
        check(after.get(("kvd_rdb_last_bgsave_ok", "")) == 1 and after.get(("kvd_rdb_bgsave_in_progress", "")) == 0,
              "snapshot finished ok")
        check(abs(after.get(("kvd_rdb_last_save_timestamp_seconds", ""), 0) - time.time()) < 60,
              "last save timestamp is now")
        check(before.get(("kvd_rdb_changes_since_last_save", ""), -1) == 0 and
              after.get(("kvd_rdb_changes_since_last_save", ""), -1) == 0,
              "changes since last save: 0 at start, 0 after the BGSAVE")
        check(after.get(("kvd_rdb_last_bgsave_duration_seconds", ""), -1) >= 0, "bgsave duration recorded")
        check(after.get(("kvd_fork_duration_seconds", ""), 0) > 0, "fork duration recorded")
        check(("kvd_replication_offset_bytes", "") in after, "replication offset present")


def main():
    with kvdtest.server() as s:
        rc = s.client()
        r, before = scrape(s.http_port)
        check(r.status == 200 and r.content_type == "text/plain; version=0.0.4; charset=utf-8",
              "GET /metrics -> 200 text/plain; version=0.0.4 (%r)" % r)
        promtool_check(r.body)
        for name in ("kvd_connected_clients", "kvd_memory_used_bytes", "kvd_memory_rss_bytes",
                     "kvd_memory_peak_bytes", "kvd_uptime_seconds", "kvd_keyspace_hits_total",
                     "kvd_keyspace_misses_total", "kvd_expired_keys_total", "kvd_error_replies_total",
                     "kvd_connections_received_total", "kvd_net_input_bytes_total", "kvd_net_output_bytes_total",
                     "kvd_commands_processed_total"):
            check((name, "") in before, "metric %s present" % name)
        sets_before = before.get(("kvd_commands_total", '{cmd="set"}'), 0)

        for i in range(10):
            rc.set("k%d" % i, "v%d" % i)
        rc.set("volatile", "x", ex=1000)
        rc.get("k0")
        rc.get("k1")
        rc.get("nope")
        rc.config_get("maxclients")
        try:
            rc.lpush("k0", "x")  # WRONGTYPE
        except Exception:
            pass
        try:
            rc.execute_command("GET")  # wrong number of arguments: rejected, an error reply
        except Exception:
            pass
        with rc.pipeline(transaction=False) as pipe:
            pipe.execute_command("SELECT", "3")
            pipe.set("in-db3", "1")
            pipe.execute_command("SELECT", "0")
            pipe.execute()
        rc.set("short", "x", px=1)
        deadline = time.time() + 10
        while time.time() < deadline and rc.exists("short"):  # reading it expires it
            time.sleep(0.05)

        r, after = scrape(s.http_port)
        promtool_check(r.body)
        sets = after.get(("kvd_commands_total", '{cmd="set"}'), 0)
        check(sets - sets_before >= 10 and sets >= 12, "10 SETs raise kvd_commands_total{cmd=\"set\"} (%s -> %s)" % (
            sets_before, sets))
        check(after.get(("kvd_commands_duration_seconds_total", '{cmd="set"}'), 0) > 0,
              "set duration seconds > 0")
        check(after.get(("kvd_commands_total", '{cmd="config|get"}'), 0) >= 1, "subcommand config|get counted")
        check(after.get(("kvd_commands_rejected_total", '{cmd="get"}'), 0) >= 1, "rejected GET counted")
        check(after[("kvd_error_replies_total", "")] >= before[("kvd_error_replies_total", "")] + 1,
              "kvd_error_replies_total moved")
        check(after.get(("kvd_errors_total", '{type="ERR"}'), 0) >= 1, "kvd_errors_total{type=\"ERR\"} counts the arity error")
        check(after.get(("kvd_errors_total", '{type="WRONGTYPE"}'), 0) >= 1,
              "kvd_errors_total{type=\"WRONGTYPE\"} counts LPUSH on a string")
        check(after.get(("kvd_db_keys", '{db="0"}')) == 11, "kvd_db_keys{db=\"0\"} == 11 (%s)" % after.get(
            ("kvd_db_keys", '{db="0"}')))
        check(after.get(("kvd_db_keys_expiring", '{db="0"}')) == 1, "kvd_db_keys_expiring{db=\"0\"} == 1")
        check(after.get(("kvd_db_keys", '{db="3"}')) == 1, "kvd_db_keys{db=\"3\"} == 1")
        check(after[("kvd_keyspace_hits_total", "")] >= before[("kvd_keyspace_hits_total", "")] + 2,
              "keyspace hits moved")
        check(after[("kvd_keyspace_misses_total", "")] >= before[("kvd_keyspace_misses_total", "")] + 1,
              "keyspace misses moved")
        check(after[("kvd_expired_keys_total", "")] >= before[("kvd_expired_keys_total", "")] + 1,
              "expired keys moved")
        check(after[("kvd_net_input_bytes_total", "")] > before[("kvd_net_input_bytes_total", "")],
              "net input bytes moved")
        check(after[("kvd_net_output_bytes_total", "")] > before[("kvd_net_output_bytes_total", "")],
              "net output bytes moved")
        check(after[("kvd_connections_received_total", "")] > before[("kvd_connections_received_total", "")],
              "connections received moved (curl connects each time)")
        check(after[("kvd_connected_clients", "")] >= 2, "connected clients counts the RESP client and curl")
        check(after[("kvd_commands_processed_total", "")] >= before[("kvd_commands_processed_total", "")] + 10,
              "commands processed moved")
        used, rss, peak = (after[("kvd_memory_used_bytes", "")], after[("kvd_memory_rss_bytes", "")],
                           after[("kvd_memory_peak_bytes", "")])
        # Under AddressSanitizer the allocator statistics read 0 (INFO used_memory too).
        info_used = int(rc.info("memory")["used_memory"])
        check((used > 0 or info_used == 0) and rss > 0 and peak >= used,
              "memory used %d (INFO %d), rss %d, peak %d" % (used, info_used, rss, peak))
        check(0 <= after[("kvd_uptime_seconds", "")] < 600, "uptime in seconds")
        check(abs(after[("kvd_start_time_seconds", "")] - time.time()) < 600, "start time is Unix seconds")
        names = {n for n, _ in after}
        check(all(n.startswith("kvd_") for n in names), "every metric has the kvd_ prefix")
    persistence_metrics()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)
    print("all metrics checks passed")


if __name__ == "__main__":
    main()
