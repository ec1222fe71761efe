#!/usr/bin/python3
"""node-redis v5 against kvd, compared with Debian's redis-server 7.0 (issue 5, "Tests").

test/node/node_redis_e2e.mjs (package `redis` from test/node/node_modules, installed by
tools/bootstrap with `npm ci --prefix test/node`) runs unchanged client code, once with the
client's default RESP2 and once with `RESP: 3` (HELLO 3 in the handshake): CLIENT SETINFO
lib-name/lib-ver and the connection name from the handshake, HELLO replies and errors, maps,
sets, doubles, nulls and verbatim INFO decoded as node-redis decodes them from Redis (through its
command methods and raw with a wire-type mapping), MULTI/EXEC, execAsPipeline, MultiErrorReply,
EXECABORT and WatchError, pub/sub on a dedicated subscriber and (RESP3) on the command connection
itself, WRONGTYPE and other ErrorReply texts, scanIterator and its hash/set/zset forms,
sendCommand, BLPOP/BZPOPMIN, reconnect after CLIENT KILL, reset() (RESET and the handshake
replayed), SSUBSCRIBE/SPUBLISH, MONITOR lines, the database option. And while kvd loads a
1M-key RDB: the RESP3 handshake succeeds, commands get -LOADING until the load ends.

Each protocol's run against kvd must pass and record the same replies as against redis-server.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
import node_clients  # noqa: E402


def test_node_redis_resp2():
    node_clients.differential("node_redis_e2e.mjs", "redis", ["--resp", "2"])


def test_node_redis_resp3():
    node_clients.differential("node_redis_e2e.mjs", "redis", ["--resp", "3"])


def test_node_redis_while_loading():
    node_clients.while_loading("node_redis_e2e.mjs", "redis", ["--resp", "3"])


def main():
    return kvdtest.run_tests([test_node_redis_resp2, test_node_redis_resp3, test_node_redis_while_loading])


if __name__ == "__main__":
    kvdtest.main(main)
