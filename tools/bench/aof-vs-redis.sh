#!/usr/bin/env bash
# Write throughput and latency with the AOF on: kvd vs Debian's redis-server, both with
# `appendonly yes`, at appendfsync always, everysec and no, with 50 clients and with 1.
#
# Usage: tools/bench/aof-vs-redis.sh [-n REQUESTS_C50] [-m REQUESTS_C1] [-t TESTS]
#   env KVD_SERVER (default build/kvd-server), REDIS_SERVER (default /usr/bin/redis-server)
# For each policy both servers are started on free 127.0.0.1 ports with fresh directories,
# then `redis-benchmark -t TESTS -c C -n N --csv` runs against kvd and redis alternately.
# Prints a markdown table: requests/s, p50 and p99 latency (ms) for each, and the rps ratio.
# Builds nothing; stops both servers on exit. The numbers depend on the disk's fsync speed.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/bench/common.sh

N50=50000 N1=5000 TESTS=set,incr
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N50=$2; shift 2 ;;
    -m) N1=$2; shift 2 ;;
    -t) TESTS=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

machine_info
echo "disk: $(df -h "$BENCH_TMP" | awk 'NR==2 { print $1, $2 }')"
echo
echo "| appendfsync | clients | test | kvd rps | redis rps | kvd/redis | kvd p50 / p99 ms | redis p50 / p99 ms |"
echo "|---|---:|---|---:|---:|---:|---:|---:|"

stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# bench PORT CLIENTS N -> lines "TEST rps p50 p99"
bench() {
  redis-cli -h 127.0.0.1 -p "$1" FLUSHALL >/dev/null
  redis-benchmark -h 127.0.0.1 -p "$1" -t "$TESTS" -c "$2" -n "$3" --csv 2>/dev/null |
    awk -F, 'NR > 1 { for (i = 1; i <= NF; i++) gsub(/"/, "", $i); print $1, $2, $5, $7 }'
}

for policy in always everysec no; do
  rm -rf "$BENCH_TMP/kvd" "$BENCH_TMP/redis"
  start_kvd --appendonly yes --appendfsync "$policy"
  start_redis --appendonly yes --appendfsync "$policy" --aof-use-rdb-preamble yes
  for clients in 50 1; do
    n=$N50
    [ "$clients" = 1 ] && n=$N1
    k=$(bench "$KVD_PORT" "$clients" "$n")
    r=$(bench "$REDIS_PORT" "$clients" "$n")
    join <(echo "$k" | sort) <(echo "$r" | sort) | while read -r test krps kp50 kp99 rrps rp50 rp99; do
      ratio=$(awk -v a="$krps" -v b="$rrps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
      printf '| %s | %s | %s | %.0f | %.0f | %s | %s / %s | %s / %s |\n' \
        "$policy" "$clients" "$test" "$krps" "$rrps" "$ratio" "$kp50" "$kp99" "$rp50" "$rp99"
    done
  done
  stop_pid "$KVD_PID"
  stop_pid "$REDIS_PID"
  BENCH_PIDS=()
done
