#!/usr/bin/python3
"""ioredis against kvd, compared with Debian's redis-server 7.0 (issue 5, "Tests").

test/node/ioredis_e2e.mjs (ioredis from test/node/node_modules, installed by tools/bootstrap
with `npm ci --prefix test/node`) runs unchanged client code against a server: connect (CLIENT
SETINFO, INFO ready check), strings, lists, sets, hashes, zsets, pipelines, MULTI/EXEC with
EXECABORT and WATCH aborts, pub/sub with SUBSCRIBE and PSUBSCRIBE, binary Buffers, expiry,
scanStream, blocking BLPOP/BZPOPMIN/BLMOVE, ReplyError texts (WRONGTYPE...), reconnect after
CLIENT KILL (also a subscriber's re-subscribe), MONITOR, enableAutoPipelining with the
connectionName and db options, stringNumbers, keyspace notifications as pmessage events.
And while kvd loads a 1M-key RDB: -LOADING surfaces as a ReplyError, and a default client's
INFO ready check waits for loading:0 before its queued GET runs.

The script runs against kvd and against redis-server; both runs must pass every step and the
replies the script records (its RESULTS line) must be identical. Nothing is skipped: a missing
node, node_modules or redis-server fails the test.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
import node_clients  # noqa: E402


def test_ioredis():
    node_clients.differential("ioredis_e2e.mjs", "ioredis")


def test_ioredis_while_loading():
    node_clients.while_loading("ioredis_e2e.mjs", "ioredis")


def main():
    return kvdtest.run_tests([test_ioredis, test_ioredis_while_loading])


if __name__ == "__main__":
    kvdtest.main(main)
