#!/usr/bin/env bash
# Throughput of kvd vs Debian's redis-server with redis-benchmark, same machine, same flags.
#
# Usage: tools/bench/vs-redis.sh [-n REQUESTS] [-r ROUNDS] [-c CLIENTS] [-t TESTS] [-P "1 16"]
#   env KVD_SERVER (default build/kvd-server), REDIS_SERVER (default /usr/bin/redis-server);
#   extra kvd-server flags after --, e.g. -- --io-threads 4
# Starts both servers on free 127.0.0.1 ports (no persistence), then for each round and each
# pipeline depth runs `redis-benchmark -t TESTS -c CLIENTS -n REQUESTS -P depth -q --csv`
# against kvd and redis alternately (the order flips every round), with FLUSHALL before each
# run. Prints a markdown table of median requests/s per test and depth, the ratio kvd/redis,
# and the geometric mean of the ratios per depth. Builds nothing; stops both servers on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/bench/common.sh

N=100000 ROUNDS=3 CLIENTS=50 TESTS=ping,set,get,incr,mset PIPELINES="1 16"
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    -r) ROUNDS=$2; shift 2 ;;
    -c) CLIENTS=$2; shift 2 ;;
    -t) TESTS=$2; shift 2 ;;
    -P) PIPELINES=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

start_kvd "$@"
start_redis
machine_info
echo "redis-benchmark -t $TESTS -c $CLIENTS -n $N, pipeline depths: $PIPELINES, rounds: $ROUNDS"
echo

results="$BENCH_TMP/results.csv"   # server,pipeline,round,test,rps
: >"$results"
run_one() {  # run_one NAME PORT DEPTH ROUND
  local name=$1 port=$2 depth=$3 round=$4 out
  redis-cli -h 127.0.0.1 -p "$port" FLUSHALL >/dev/null
  out=$(redis-benchmark -h 127.0.0.1 -p "$port" -t "$TESTS" -c "$CLIENTS" -n "$N" \
        -P "$depth" -q --csv 2>"$BENCH_TMP/bench.err")
  if [ -s "$BENCH_TMP/bench.err" ]; then
    echo "redis-benchmark against $name wrote to stderr:" >&2; cat "$BENCH_TMP/bench.err" >&2
  fi
  # --csv lines: "test","rps","avg_latency_ms",... (first line is the header)
  printf '%s\n' "$out" | awk -F'","' -v s="$name" -v p="$depth" -v r="$round" '
    NR > 1 && NF >= 2 { t = substr($1, 2); print s "," p "," r "," t "," $2 }' >>"$results"
  echo "  round $round, -P $depth, $name done" >&2
}

for round in $(seq "$ROUNDS"); do
  for depth in $PIPELINES; do
    if [ $((round % 2)) -eq 1 ]; then
      run_one kvd "$KVD_PORT" "$depth" "$round"; run_one redis "$REDIS_PORT" "$depth" "$round"
    else
      run_one redis "$REDIS_PORT" "$depth" "$round"; run_one kvd "$KVD_PORT" "$depth" "$round"
    fi
  done
done

python3 - "$results" <<'PY'
import csv, math, statistics, sys
rows = {}
order = []
for server, depth, rnd, test, rps in csv.reader(open(sys.argv[1])):
    key = (test, int(depth))
    if key not in order:
        order.append(key)
    rows.setdefault(key, {}).setdefault(server, []).append(float(rps))
print("| test | pipeline | kvd rps (median) | redis rps (median) | kvd/redis |")
print("|---|---:|---:|---:|---:|")
ratios = {}
for key in sorted(order, key=lambda k: (k[1], order.index(k))):
    test, depth = key
    k = statistics.median(rows[key].get("kvd", [0.0]))
    r = statistics.median(rows[key].get("redis", [0.0]))
    ratio = k / r if r > 0 else float("nan")
    if k > 0 and r > 0:
        ratios.setdefault(depth, []).append(ratio)
    print(f"| {test} | {depth} | {k:,.0f} | {r:,.0f} | {ratio:.2f} |")
print()
for depth in sorted(ratios):
    g = math.exp(sum(math.log(x) for x in ratios[depth]) / len(ratios[depth]))
    print(f"geometric mean kvd/redis at -P {depth}: {g:.2f} ({len(ratios[depth])} tests)")
PY
