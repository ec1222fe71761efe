#!/usr/bin/env bash
# Used-memory accounting of kvd vs Debian's redis-server: how INFO used_memory grows against
# resident memory (RSS) while N string keys are loaded.
#
# Usage: tools/bench/mem-accounting.sh [-k KEYS] [-v VALUE_BYTES] [-- extra kvd-server flags]
#   env KVD_SERVER (default build/kvd-server), REDIS_SERVER (default /usr/bin/redis-server)
# Generates N (default 1,000,000) `SET key:<10 digits> <value>` commands as RESP (16-byte
# values, -v), starts each server fresh on a free 127.0.0.1 port (no persistence), reads INFO
# used_memory and VmRSS (/proc/<pid>/status), loads the keys with `redis-cli --pipe`, checks
# DBSIZE, waits a second, reads both again and prints the deltas and used/RSS growth ratio
# (1.00 = used_memory grew exactly as much as RSS). Builds nothing; stops both servers on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/bench/common.sh

KEYS=1000000 VALUE_BYTES=16
while [ $# -gt 0 ]; do
  case "$1" in
    -k) KEYS=$2; shift 2 ;;
    -v) VALUE_BYTES=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

proto="$BENCH_TMP/load.resp"
python3 - "$KEYS" "$VALUE_BYTES" "$proto" <<'PY'
import sys
n, vlen, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(path, "wb", buffering=1 << 20) as f:
    for i in range(n):
        k = b"key:%010d" % i
        v = (b"%d" % i).rjust(vlen, b"v")[:vlen]
        f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PY

used_memory() {  # used_memory PORT
  redis-cli -h 127.0.0.1 -p "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'
}

measure() {  # measure NAME PORT PID -> "NAME used_before used_after rss_before rss_after"
  local name=$1 port=$2 pid=$3 ub ua rb ra out dbsize
  sleep 0.5
  ub=$(used_memory "$port"); rb=$(rss_bytes "$pid")
  out=$(redis-cli -h 127.0.0.1 -p "$port" --pipe <"$proto" 2>&1)
  if ! grep -q "errors: 0, replies: $KEYS" <<<"$out"; then
    echo "redis-cli --pipe into $name failed: $out" >&2; exit 1
  fi
  dbsize=$(redis-cli -h 127.0.0.1 -p "$port" DBSIZE)
  [ "$dbsize" = "$KEYS" ] || { echo "$name: DBSIZE $dbsize, expected $KEYS" >&2; exit 1; }
  sleep 1   # let background work (rehash, lazy frees) settle
  ua=$(used_memory "$port"); ra=$(rss_bytes "$pid")
  echo "$name $ub $ua $rb $ra"
}

machine_info
echo "$KEYS keys, key 'key:<10 digits>' (14 bytes), value $VALUE_BYTES bytes, loaded with redis-cli --pipe"
echo
start_kvd "$@"
kvd_line=$(measure kvd "$KVD_PORT" "$KVD_PID")
start_redis
redis_line=$(measure redis "$REDIS_PORT" "$REDIS_PID")

printf '%s\n%s\n' "$kvd_line" "$redis_line" | awk '
  { name[NR] = $1; du[NR] = $3 - $2; dr[NR] = $5 - $4 }
  END {
    print "| server | used_memory delta (MiB) | RSS delta (MiB) | used/RSS growth |"
    print "|---|---:|---:|---:|"
    for (i = 1; i <= NR; i++)
      printf "| %s | %.1f | %.1f | %.3f |\n", name[i], du[i] / 1048576, dr[i] / 1048576, dr[i] ? du[i] / dr[i] : 0
  }'
