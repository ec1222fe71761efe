#!/usr/bin/env bash
# Memory per collection element of kvd vs Debian's redis-server (issue 3's target: no worse).
#
# Usage: tools/bench/mem-per-element.sh [N | -n N | --quick] [-c CASES] [-- extra kvd-server flags]
#   N: elements per case (default 1,000,000; --quick = 100,000); CASES: comma-separated subset of
#   list,set,hash,zset,hashes (default all). env KVD_SERVER (default build/kvd-server),
#   REDIS_SERVER (default /usr/bin/redis-server).
# Cases: one list of N elements (RPUSH), one set of N members (SADD), one hash of N fields (HSET),
# one zset of N members (ZADD), and N hashes of 3 fields each (one HSET per key; per hash).
# Per case, each server is started fresh on a free 127.0.0.1 port (no persistence), alone:
# VmRSS and INFO used_memory are read, the case's RESP file is loaded with `redis-cli --pipe`
# (1000 elements per command), element counts and a few values are checked (failing loudly),
# VmRSS and used_memory are read again after 1 s and the server is stopped. Prints
# (after - before) / N for both servers and both measures, and the ratios kvd/redis.
# Builds nothing; stops every server it started on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/bench/common.sh

N=1000000 CASES=list,set,hash,zset,hashes BATCH=1000
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    -c) CASES=$2; shift 2 ;;
    --quick) N=100000; shift ;;
    [0-9]*) N=$1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive integer, got '$N'" >&2; exit 2; }
KVD_FLAGS=("$@")
IFS=, read -ra case_list <<<"$CASES"
for c in "${case_list[@]}"; do
  case "$c" in list|set|hash|zset|hashes) ;; *) echo "unknown case '$c' (see --help)" >&2; exit 2 ;; esac
done

# gen CASE FILE: writes the case's commands as RESP into FILE, prints the number of commands.
gen() {
  python3 - "$1" "$N" "$BATCH" "$2" <<'PY'
import sys
case, n, batch, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def cmd(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
commands = 0
with open(path, "wb", buffering=1 << 20) as f:
    if case == "hashes":
        for i in range(n):
            v = b"value:%d" % i
            f.write(cmd([b"HSET", b"hash:%d" % i, b"field1", v, b"field2", v, b"field3", v]))
            commands += 1
    else:
        head = {"list": [b"RPUSH", b"list"], "set": [b"SADD", b"set"],
                "hash": [b"HSET", b"hash"], "zset": [b"ZADD", b"zset"]}[case]
        for lo in range(0, n, batch):
            args = list(head)
            for i in range(lo, min(n, lo + batch)):
                if case == "list":
                    args.append(b"value:%d" % i)
                elif case == "set":
                    args.append(b"member:%d" % i)
                elif case == "hash":
                    args += [b"field:%d" % i, b"value:%d" % i]
                else:
                    args += [b"%d" % i, b"member:%d" % i]
            f.write(cmd(args))
            commands += 1
print(commands)
PY
}

cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

# expect WHAT EXPECTED ACTUAL: fail loudly when they differ.
expect() {
  [ "$2" = "$3" ] || { echo "FAIL $SERVER/$CASE: $1 is '$3', expected '$2'" >&2; exit 1; }
}

# check CASE: element count and spot values on the server at $PORT; prints the encoding.
check() {
  local last=$((N - 1)) key
  case "$1" in
    list)
      expect LLEN "$N" "$(cli LLEN list)"
      expect "LINDEX list 0" value:0 "$(cli LINDEX list 0)"
      expect "LINDEX list -1" "value:$last" "$(cli LINDEX list -1)"
      key="list" ;;
    set)
      expect SCARD "$N" "$(cli SCARD set)"
      expect "SISMEMBER member:$last" 1 "$(cli SISMEMBER set "member:$last")"
      expect "SISMEMBER value:0" 0 "$(cli SISMEMBER set value:0)"
      key="set" ;;
    hash)
      expect HLEN "$N" "$(cli HLEN hash)"
      expect "HGET field:$last" "value:$last" "$(cli HGET hash "field:$last")"
      key="hash" ;;
    zset)
      expect ZCARD "$N" "$(cli ZCARD zset)"
      expect "ZSCORE member:$last" "$last" "$(cli ZSCORE zset "member:$last")"
      expect "ZRANGE 0 0" member:0 "$(cli ZRANGE zset 0 0)"
      key="zset" ;;
    hashes)
      expect DBSIZE "$N" "$(cli DBSIZE)"
      expect "HLEN hash:0" 3 "$(cli HLEN hash:0)"
      expect "HGET hash:$last field3" "value:$last" "$(cli HGET "hash:$last" field3)"
      key="hash:0" ;;
  esac
  cli OBJECT ENCODING "$key"
}

used_memory() { cli INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }

# stop_server PID: SIGTERM, wait up to 10 s (then SIGKILL), and forget the pid.
stop_server() {
  local pid=$1 p keep=()
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
}

# measure SERVER CASE FILE COMMANDS: start SERVER fresh, load, check, append a result line.
results="$BENCH_TMP/results"   # case server rss_before rss_after used_before used_after encoding secs
: >"$results"
measure() {
  SERVER=$1 CASE=$2
  local file=$3 commands=$4 pid out rss0 rss1 used0 used1 enc t0 t1
  if [ "$SERVER" = kvd ]; then start_kvd "${KVD_FLAGS[@]}"; PORT=$KVD_PORT pid=$KVD_PID
  else start_redis; PORT=$REDIS_PORT pid=$REDIS_PID; fi
  sleep 0.5
  rss0=$(rss_bytes "$pid"); used0=$(used_memory)
  t0=$(date +%s.%N)
  out=$(cli --pipe <"$file" 2>&1) || true
  t1=$(date +%s.%N)
  grep -q "errors: 0, replies: $commands\$" <<<"$out" ||
    { echo "FAIL $SERVER/$CASE: redis-cli --pipe: $out" >&2; exit 1; }
  enc=$(check "$CASE")
  sleep 1   # let background work (incremental rehash, lazy frees) settle
  rss1=$(rss_bytes "$pid"); used1=$(used_memory)
  echo "$CASE $SERVER $rss0 $rss1 $used0 $used1 $enc $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" >>"$results"
  stop_server "$pid"
}

machine_info
echo "N = $N per case; elements: list 'value:<n>'; set 'member:<n>'; hash field 'field:<n>' ->"
echo "'value:<n>'; zset 'member:<n>' with score n; hashes: N keys 'hash:<n>', fields"
echo "field1..field3 -> 'value:<n>'. Loaded with redis-cli --pipe, $BATCH elements per command"
echo "(one HSET per key for hashes); each server fresh and alone per case."
echo

for c in "${case_list[@]}"; do
  file="$BENCH_TMP/$c.resp"
  commands=$(gen "$c" "$file")
  measure kvd "$c" "$file" "$commands"
  measure redis "$c" "$file" "$commands"
  rm -f "$file"
  echo "  $c done" >&2
done

awk -v n="$N" '
  function mib(b) { return b / 1048576 }
  { key = $1 SUBSEP $2; rss[key] = ($4 - $3) / n; used[key] = ($6 - $5) / n; enc[key] = $7
    line[NR] = $0; if (!($1 in seen)) { seen[$1] = 1; order[++ncases] = $1 } }
  END {
    print "| case | server | encoding | RSS before (MiB) | RSS after (MiB) | used_memory before (MiB) | used_memory after (MiB) | load (s) |"
    print "|---|---|---|---:|---:|---:|---:|---:|"
    for (i = 1; i <= NR; i++) {
      split(line[i], f, " ")
      printf "| %s | %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f |\n", f[1], f[2], f[7], mib(f[3]), mib(f[4]), mib(f[5]), mib(f[6]), f[8]
    }
    print ""
    print "Bytes per element ((after - before) / N; for hashes: per 3-field hash, key included):"
    print ""
    print "| case | kvd RSS | redis RSS | kvd/redis RSS | kvd used_memory | redis used_memory | kvd/redis used_memory |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= ncases; i++) {
      c = order[i]; k = c SUBSEP "kvd"; r = c SUBSEP "redis"
      rr = rss[r] > 0 ? sprintf("%.2f", rss[k] / rss[r]) : "n/a"
      ru = used[r] > 0 ? sprintf("%.2f", used[k] / used[r]) : "n/a"
      printf "| %s | %.1f | %.1f | %s | %.1f | %.1f | %s |\n", c, rss[k], rss[r], rr, used[k], used[r], ru
    }
  }' "$results"
