# Sourced by tools/bench/*.sh: start/stop kvd-server and Debian's redis-server on free
# 127.0.0.1 ports, without persistence, and clean up on exit. Not a test; builds nothing.

KVD_SERVER=${KVD_SERVER:-build/kvd-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kvd-bench.XXXXXX")
BENCH_PIDS=()

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    # at most 5 s each, then SIGKILL
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_ping PORT PID NAME: up to 10 s for +PONG, else print the log and fail.
wait_ping() {
  local port=$1 pid=$2 name=$3 i
  for i in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited during startup; log:" >&2; cat "$BENCH_TMP/$name.log" >&2; exit 1
    fi
    [ "$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  echo "$name did not answer PING on port $port within 10 s; log:" >&2
  cat "$BENCH_TMP/$name.log" >&2; exit 1
}

# start_kvd: sets KVD_PORT and KVD_PID.
start_kvd() {
  [ -x "$KVD_SERVER" ] || { echo "kvd-server not found at $KVD_SERVER (set KVD_SERVER)" >&2; exit 1; }
  KVD_PORT=$(free_port)
  mkdir -p "$BENCH_TMP/kvd"
  "$KVD_SERVER" --port "$KVD_PORT" --bind 127.0.0.1 --http-port 0 --dir "$BENCH_TMP/kvd" \
    --loglevel warning "$@" >"$BENCH_TMP/kvd.log" 2>&1 &
  KVD_PID=$!
  BENCH_PIDS+=("$KVD_PID")
  wait_ping "$KVD_PORT" "$KVD_PID" kvd
}

# start_redis: sets REDIS_PORT and REDIS_PID.
start_redis() {
  REDIS_PORT=$(free_port)
  mkdir -p "$BENCH_TMP/redis"
  "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$BENCH_TMP/redis" --daemonize no --loglevel warning "$@" >"$BENCH_TMP/redis.log" 2>&1 &
  REDIS_PID=$!
  BENCH_PIDS+=("$REDIS_PID")
  wait_ping "$REDIS_PORT" "$REDIS_PID" redis
}

# rss_bytes PID: VmRSS from /proc/PID/status, in bytes.
rss_bytes() {
  awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

machine_info() {
  echo "machine: $(uname -srm), $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "redis-server: $("$REDIS_SERVER" --version | awk '{ print $3 }'); kvd-server: $KVD_SERVER"
}
