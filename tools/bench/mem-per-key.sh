#!/usr/bin/env bash
# Memory per key of kvd vs Debian's redis-server: resident memory added by N string keys.
#
# Usage: tools/bench/mem-per-key.sh [-k KEYS] [-v VALUE_BYTES] [-- extra kvd-server flags]
#   env KVD_SERVER (default build/kvd-server), REDIS_SERVER (default /usr/bin/redis-server)
# Generates N (default 1,000,000) `SET key:<10 digits> <value>` commands as RESP with 16-byte
# values (-v), starts each server fresh on a free 127.0.0.1 port (no persistence), reads
# VmRSS from /proc/<pid>/status, loads the keys with `redis-cli --pipe`, checks DBSIZE, reads
# VmRSS again and prints (after - before) / N for both servers and the ratio kvd/redis.
# Builds nothing; stops both servers on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/bench/common.sh

KEYS=1000000 VALUE_BYTES=16
while [ $# -gt 0 ]; do
  case "$1" in
    -k) KEYS=$2; shift 2 ;;
    -v) VALUE_BYTES=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
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

measure() {  # measure NAME PORT PID -> prints "NAME before after bytes_per_key"
  local name=$1 port=$2 pid=$3 before after out dbsize
  sleep 0.5
  before=$(rss_bytes "$pid")
  out=$(redis-cli -h 127.0.0.1 -p "$port" --pipe <"$proto" 2>&1)
  if ! grep -q "errors: 0, replies: $KEYS" <<<"$out"; then
    echo "redis-cli --pipe into $name failed: $out" >&2; exit 1
  fi
  dbsize=$(redis-cli -h 127.0.0.1 -p "$port" DBSIZE)
  [ "$dbsize" = "$KEYS" ] || { echo "$name: DBSIZE $dbsize, expected $KEYS" >&2; exit 1; }
  sleep 1   # let background work (rehash, lazy frees) settle
  after=$(rss_bytes "$pid")
  echo "$name $before $after $(( (after - before) / KEYS ))"
}

machine_info
echo "$KEYS keys, key 'key:<10 digits>' (14 bytes), value $VALUE_BYTES bytes, loaded with redis-cli --pipe"
echo
start_kvd "$@"
kvd_line=$(measure kvd "$KVD_PORT" "$KVD_PID")
start_redis
redis_line=$(measure redis "$REDIS_PORT" "$REDIS_PID")

printf '%s\n%s\n' "$kvd_line" "$redis_line" | awk '
  { name[NR] = $1; before[NR] = $2; after[NR] = $3; per[NR] = ($3 - $2) / '"$KEYS"' }
  END {
    print "| server | RSS before (MiB) | RSS after (MiB) | bytes/key |"
    print "|---|---:|---:|---:|"
    for (i = 1; i <= NR; i++)
      printf "| %s | %.1f | %.1f | %.1f |\n", name[i], before[i] / 1048576, after[i] / 1048576, per[i]
    if (per[2] > 0) printf "\nkvd/redis bytes per key: %.2f\n", per[1] / per[2]
  }'
